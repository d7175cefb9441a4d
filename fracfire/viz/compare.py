"""The seed's compare harness: real and synthetic charts of the same windows, side by side."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from fracfire.viz.charts import ChartVisualizer, new_figure, save_figure
from fracfire.viz.config import ChartConfig

if TYPE_CHECKING:
    from fracfire.physics import PhysicsConfig

__all__ = ["compare_windows"]


def _window(real: pd.DataFrame, days: int) -> pd.DataFrame:
    start = real["time"].iloc[-1] - pd.Timedelta(days=days)
    return real[real["time"] > start].reset_index(drop=True)


def compare_windows(
    real: pd.DataFrame,
    physics: PhysicsConfig,
    out_dir: str | os.PathLike,
    windows: dict[str, tuple[int, int, tuple[str, ...]]],
) -> pd.DataFrame:
    """The seed's compare harness: real vs synthetic charts and wick/body statistics.

    Parameters
    ----------
    real : pandas.DataFrame
        Real one-minute bars.
    physics : PhysicsConfig
        Knobs of the synthetic side.
    out_dir : str or PathLike
        Where ``<window>_<timeframe>.png`` side-by-side charts go.
    windows : dict
        Name -> ``(calendar_days, seed, timeframes)``; each window is the last
        ``calendar_days`` of the real data (or all of it).

    Returns
    -------
    pandas.DataFrame
        One row per (window, timeframe, source) with :func:`fracfire.realism.compare.wick_body_stats`.
    """
    from fracfire.data.resample import resample_bars
    from fracfire.realism.calendar import synthetic_like
    from fracfire.realism.compare import wick_body_stats

    out = Path(out_dir)
    rows = []
    for name, (days, seed, timeframes) in windows.items():
        real_window = _window(real, days)
        synthetic = synthetic_like(real_window, physics, seed)
        for tf in timeframes:
            chart = ChartVisualizer(
                ChartConfig(show_volume=False, show_state_changes=False, show_session_changes=False, timeframe=tf)
            )
            fig, axes = new_figure((22, 10), 100, rows=2, sharex=False)
            for ax, frame, label in zip(axes, (real_window, synthetic), ("real", "FracFire"), strict=True):
                rows.append(
                    {"window": name, "timeframe": tf, "source": label, **wick_body_stats(resample_bars(frame, tf))}
                )
                chart.draw(frame, ax, title=f"{label}: last {days} days to {frame['time'].iloc[-1]:%Y-%m-%d}, {tf}")
            save_figure(fig, out / f"{name}_{tf}.png")
    return pd.DataFrame(rows)
