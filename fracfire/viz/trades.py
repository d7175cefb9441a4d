"""Trade overlays: entries, stops and targets over one-minute candles."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from matplotlib.collections import LineCollection
from matplotlib.lines import Line2D

from fracfire.viz import _draw
from fracfire.viz.charts import _check_frame, new_figure, save_figure
from fracfire.viz.config import ChartConfig

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["OUTCOME_COLORS", "plot_trades", "trade_records"]

OUTCOME_COLORS = {"target": "#2e7d32", "stop": "#c62828", "open": "#f9a825"}
"""Entry-marker colour by result: target hit, stop hit, still open."""

_FIELDS = ("time", "direction", "kind", "entry_price", "stop_price", "target_price")


def _get(obj, name):
    return obj.get(name) if isinstance(obj, Mapping) else getattr(obj, name, None)


def trade_records(outcomes: Iterable) -> pd.DataFrame:
    """Normalise setup outcomes (objects or dicts, as in ``summary.json``) to a table.

    Each outcome needs an ``entry`` with ``time, direction ('long'|'short'), kind,
    entry_price, stop_price, target_price`` and the fields ``hit_target, hit_stop,
    exit_time, r_multiple``.

    Returns
    -------
    pandas.DataFrame
        One row per trade: the entry fields plus ``result`` (target, stop or open),
        ``exit_time`` and ``r_multiple``.
    """
    rows = []
    for i, outcome in enumerate(outcomes):
        entry = _get(outcome, "entry")
        if entry is None:
            raise ValueError(f"outcome {i} has no 'entry'")
        row = {name: _get(entry, name) for name in _FIELDS}
        missing = [name for name, value in row.items() if value is None]
        if missing:
            raise ValueError(f"outcome {i}: entry is missing {missing}")
        if row["direction"] not in ("long", "short"):
            raise ValueError(f"outcome {i}: direction must be 'long' or 'short'; got {row['direction']!r}")
        hit_target, hit_stop = bool(_get(outcome, "hit_target")), bool(_get(outcome, "hit_stop"))
        row["result"] = "target" if hit_target else "stop" if hit_stop else "open"
        row["exit_time"] = _get(outcome, "exit_time")
        row["r_multiple"] = float(_get(outcome, "r_multiple") or 0.0)
        rows.append(row)
    table = pd.DataFrame(rows, columns=[*_FIELDS, "result", "exit_time", "r_multiple"])
    for column in ("time", "exit_time"):
        table[column] = pd.to_datetime(table[column], utc=True).dt.tz_convert("America/New_York")
    return table


def plot_trades(
    df_1m: pd.DataFrame,
    outcomes: Iterable,
    save_path: str | os.PathLike | None = None,
    title: str | None = None,
    config: ChartConfig | None = None,
) -> Figure:
    """Draw trades over one-minute candles.

    Entry markers (triangles up for longs, down for shorts) are coloured by
    result (:data:`OUTCOME_COLORS`); the stop (red) and target (green) lines
    run from entry to exit (or to the last bar if still open); each entry
    is labelled with its kind and R multiple.

    Parameters
    ----------
    df_1m : pandas.DataFrame
        One-minute bars covering the trades.
    outcomes : iterable
        Setup outcomes (objects or ``summary.json`` dicts, see :func:`trade_records`).
    save_path : str or PathLike, optional
        Also save the figure there.
    title : str, optional
    config : ChartConfig, optional
        Figure size, candle colours and dpi.

    Returns
    -------
    matplotlib.figure.Figure
    """
    cfg = config or ChartConfig()
    _check_frame(df_1m, need_volume=False)
    trades = trade_records(outcomes)
    fig, (ax,) = new_figure(cfg.figsize, cfg.dpi)
    o, h, lo, c = (df_1m[k].to_numpy(dtype=float) for k in ("open", "high", "low", "close"))
    _draw.draw_candles(ax, o, h, lo, c, _draw.candle_colors(o, c, cfg.color_up, cfg.color_down))
    _draw.time_axis(ax, df_1m["time"].reset_index(drop=True))
    times = df_1m["time"].to_numpy()
    if len(trades):
        start = np.searchsorted(times, trades["time"].to_numpy())
        outside = (start >= len(times)) | (trades["time"].to_numpy() < times[0])
        if outside.any():
            first = trades.loc[outside, "time"].iloc[0]
            raise ValueError(
                f"trade entry at {first} is outside the bars ({df_1m['time'].iloc[0]} to {df_1m['time'].iloc[-1]})"
            )
        exit_times = trades["exit_time"].fillna(df_1m["time"].iloc[-1]).to_numpy()
        end = np.minimum(np.searchsorted(times, exit_times), len(times) - 1)
        for column, color in (("stop_price", OUTCOME_COLORS["stop"]), ("target_price", OUTCOME_COLORS["target"])):
            y = trades[column].to_numpy(dtype=float)
            segments = np.stack([np.column_stack([start, y]), np.column_stack([end, y])], axis=1)
            ax.add_collection(LineCollection(segments, colors=color, linewidths=1.2, alpha=0.8))  # type: ignore[arg-type]
        for direction, marker in (("long", "^"), ("short", "v")):
            mask = (trades["direction"] == direction).to_numpy()
            ax.scatter(
                start[mask],
                trades.loc[mask, "entry_price"],
                c=[OUTCOME_COLORS[r] for r in trades.loc[mask, "result"]],
                marker=marker,
                s=90,
                edgecolors="black",
                linewidths=0.6,
                zorder=5,
            )
        for x, (_, trade) in zip(start, trades.iterrows(), strict=True):
            ax.annotate(
                f"{trade['kind']} {trade['r_multiple']:+.1f}R",
                (x, trade["entry_price"]),
                xytext=(6, 6),
                textcoords="offset points",
                fontsize=8,
            )
        low = min(float(lo.min()), float(trades[["stop_price", "target_price"]].min().min()))
        high = max(float(h.max()), float(trades[["stop_price", "target_price"]].max().max()))
        pad = 0.03 * max(high - low, 1.0)
        ax.set_ylim(low - pad, high + pad)
    handles = [
        Line2D([], [], marker="^", linestyle="", color=OUTCOME_COLORS[r], markeredgecolor="black", label=label)
        for r, label in (("target", "target hit"), ("stop", "stop hit"), ("open", "still open"))
    ]
    handles += [
        Line2D([], [], color=OUTCOME_COLORS["stop"], label="stop"),
        Line2D([], [], color=OUTCOME_COLORS["target"], label="target"),
    ]
    kinds = ", ".join(f"{k}: {n}" for k, n in trades["kind"].value_counts().items()) or "no trades"
    ax.legend(handles=handles, loc="upper left", fontsize=8, title=kinds, title_fontsize=8)
    ax.grid(alpha=0.25)
    total_r = trades["r_multiple"].sum()
    ax.set_title(title or f"{len(trades)} trades, total {total_r:+.1f}R")
    if save_path is not None:
        save_figure(fig, save_path, cfg.dpi)
    return fig
