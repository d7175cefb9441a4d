"""Candlestick charts of one-minute (or resampled) bars with states and sessions."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from fracfire._atomic import atomic_path
from fracfire.data.checks import grid_minutes
from fracfire.viz import _draw
from fracfire.viz.config import SESSION_COLORS, STATE_COLORS, ChartConfig

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["ChartVisualizer", "new_figure", "quick_chart", "save_figure"]

_PALETTE = ("#6a1b9a", "#00838f", "#ad1457", "#4e342e", "#283593", "#558b2f", "#ef6c00")


def new_figure(figsize, dpi, rows: int = 1, height_ratios=None, sharex: bool = True):
    """A headless (Agg) figure with ``rows`` stacked axes (no pyplot state)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    # Fixed margins instead of a layout engine: constrained layout costs a
    # second full draw of every text artist on each save.
    fig = Figure(figsize=figsize, dpi=dpi)
    FigureCanvasAgg(fig)
    width, height = figsize
    # Margins in inches: room for the axis labels and tick labels (nothing clipped) and, on top, a
    # title and a row of legend entries.
    gridspec = {
        "left": 0.85 / width,
        "right": 1 - 0.25 / width,
        "bottom": 0.55 / height,
        "top": 1 - 0.5 / height,
        "hspace": 0.05 if sharex else 0.25,
    }
    if height_ratios:
        gridspec["height_ratios"] = height_ratios
    axes = fig.subplots(rows, 1, sharex=sharex, squeeze=False, gridspec_kw=gridspec)
    return fig, list(axes[:, 0])


def save_figure(fig: Figure, path: str | os.PathLike, dpi: int | None = None) -> Path:
    """Save ``fig`` atomically; the format follows the suffix (``.png``, ``.svg``, ``.pdf``)."""
    path = Path(path)
    fmt = path.suffix.lstrip(".").lower()
    if fmt not in ("png", "svg", "pdf", "jpg", "jpeg"):
        raise ValueError(f"save_path must end in .png, .svg, .pdf or .jpg; got {str(path)!r}")
    # zlib level 3 instead of 6: PNG encoding was half the render time, files grow ~10%.
    extra: dict[str, Any] = {"pil_kwargs": {"compress_level": 3}} if fmt == "png" else {}
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format=fmt, dpi=dpi, **extra)
    return path


def _check_frame(df: pd.DataFrame, need_volume: bool) -> None:
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"charts need a bars DataFrame; got {type(df).__name__}")
    required = ["time", "open", "high", "low", "close"] + (["volume"] if need_volume else [])
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise ValueError(f"charts need columns {required}; missing {missing}")
    if df.empty:
        raise ValueError("cannot chart empty bars (0 rows)")
    if df[["open", "high", "low", "close"]].isna().any().any():
        raise ValueError("cannot chart bars with NaN prices")


def _label_colors(values, base: dict, overrides: dict) -> dict[str, str]:
    colors = {**base, **overrides}
    extra = [str(v) for v in pd.unique(values) if str(v) not in colors]
    colors.update({name: _PALETTE[i % len(_PALETTE)] for i, name in enumerate(extra)})
    return colors


class ChartVisualizer:
    """Draw candlestick charts of bars.

    Parameters
    ----------
    config : ChartConfig, optional
        Appearance; ``ChartConfig()`` by default.

    Examples
    --------
    >>> from fracfire import PriceGenerator
    >>> day = PriceGenerator(seed=1).generate_day("2025-01-06")
    >>> fig = ChartVisualizer().create_chart(day, title="2025-01-06")  # doctest: +SKIP
    """

    def __init__(self, config: ChartConfig | None = None) -> None:
        if config is None:
            config = ChartConfig()
        if not isinstance(config, ChartConfig):
            raise TypeError(f"config must be a ChartConfig; got {type(config).__name__}")
        self.config = config

    def create_chart(
        self, df: pd.DataFrame, title: str | None = None, save_path: str | os.PathLike | None = None
    ) -> Figure:
        """Draw ``df`` as candles, with volume, state changes and session shading.

        Parameters
        ----------
        df : pandas.DataFrame
            Bars (labels optional: without ``state`` or ``session`` those layers
            are skipped, so real data charts too).
        title : str, optional
            Figure title (default: bar count, timeframe and date span).
        save_path : str or PathLike, optional
            Also save the figure there (atomically).

        Returns
        -------
        matplotlib.figure.Figure
        """
        cfg = self.config
        rows = 2 if cfg.show_volume else 1
        fig, axes = new_figure(cfg.figsize, cfg.dpi, rows, [4, 1] if rows == 2 else None)
        rows_of_legend = self.draw(df, axes[0], axes[1] if cfg.show_volume else None, title)
        if rows_of_legend > 1:  # a narrow figure: make room above the plot for every legend row
            axes[0].get_gridspec().update(top=1 - (0.34 + 0.16 * rows_of_legend) / cfg.figsize[1])
            for ax in axes:
                ax.set_position(ax.get_subplotspec().get_position(fig))
        if save_path is not None:
            save_figure(fig, save_path, cfg.dpi)
        return fig

    def draw(self, df: pd.DataFrame, price_ax: Axes, volume_ax: Axes | None = None, title: str | None = None) -> int:
        """Draw ``df`` onto existing axes (price, and volume when given and configured).

        Used by :meth:`create_chart`, and to compose several charts in one figure.
        Returns the number of legend rows drawn above the price axes (0 without a legend).
        """
        cfg = self.config
        _check_frame(df, cfg.show_volume and volume_ax is not None)
        if cfg.timeframe:
            from fracfire.data.resample import resample_bars

            df = resample_bars(df, cfg.timeframe)
        o, h, lo, c = (df[k].to_numpy(dtype=float) for k in ("open", "high", "low", "close"))
        colors = _draw.candle_colors(o, c, cfg.color_up, cfg.color_down)
        _draw.draw_candles(price_ax, o, h, lo, c, colors)
        handles = []
        if cfg.show_session_changes and "session" in df.columns and df["session"].notna().all():
            sessions = df["session"].astype(str).to_numpy()
            handles += _draw.shade_spans(
                price_ax, sessions, _label_colors(sessions, SESSION_COLORS, cfg.session_colors)
            )
        if cfg.show_state_changes and "state" in df.columns and df["state"].notna().all():
            states = df["state"].astype(str).to_numpy()
            handles += _draw.mark_changes(
                price_ax, states, _label_colors(states, STATE_COLORS, cfg.state_colors), cfg.max_state_labels
            )
        if handles:
            # Above the plot, beside the title: inside it, the legend hid candles and state labels.
            width_in = price_ax.figure.get_size_inches()[0]  # type: ignore[union-attr]  # an axes drawn has a figure
            per_row = max(4, min(len(handles), int(width_in * 0.6)))
            price_ax.legend(
                handles=handles,
                loc="lower right",
                bbox_to_anchor=(1.0, 1.0),
                fontsize=8,
                ncols=per_row,
                frameon=False,
                borderaxespad=0.2,
                handlelength=1.5,
                columnspacing=1.0,
            )
            legend_rows = -(-len(handles) // per_row)
        else:
            legend_rows = 0
        if cfg.show_volume and volume_ax is not None:
            _draw.draw_volume(volume_ax, df["volume"].to_numpy(dtype=float), colors)
        _draw.time_axis(
            volume_ax if (cfg.show_volume and volume_ax is not None) else price_ax, df["time"].reset_index(drop=True)
        )
        price_ax.set_ylabel("price")
        price_ax.grid(alpha=0.25)
        span = f"{df['time'].iloc[0]:%Y-%m-%d %H:%M} to {df['time'].iloc[-1]:%Y-%m-%d %H:%M}"
        price_ax.set_title(
            title or f"{len(df):,} bars ({cfg.timeframe or f'{grid_minutes(df)}min'}), {span}",
            loc="left" if handles else "center",
        )
        return legend_rows


def quick_chart(
    df: pd.DataFrame,
    title: str | None = None,
    save_path: str | os.PathLike | None = None,
    show_state_changes: bool = True,
    show_session_changes: bool = True,
    timeframe: str | None = None,
    **config: Any,
) -> Figure:
    """Chart ``df`` in one call (see :class:`ChartVisualizer` and :class:`ChartConfig`).

    Returns
    -------
    matplotlib.figure.Figure
    """
    cfg = ChartConfig(
        show_state_changes=show_state_changes, show_session_changes=show_session_changes, timeframe=timeframe, **config
    )
    return ChartVisualizer(cfg).create_chart(df, title=title, save_path=save_path)
