"""Fan chart: scenario quantiles over the real history they continue."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

__all__ = ["fan_chart"]

BANDS = ((0.05, 0.95), (0.1, 0.9), (0.25, 0.75))
HISTORY_BARS = 240
"""History bars drawn before the cut (at the history's bar size)."""


def fan_chart(result, save_path: str | os.PathLike | None = None, history_bars: int = HISTORY_BARS, actual=None):
    """Draw the close of ``result``'s history and the quantile bands of its scenarios.

    Parameters
    ----------
    result : fracfire.scenarios.ScenarioResult
    save_path : str or PathLike, optional
        Write a PNG there (atomically) and return the path; else return the figure.
    history_bars : int
        Bars of history drawn before the cut.
    actual : pandas.DataFrame, optional
        What the market then did (bars after the cut), drawn over the fan.

    Returns
    -------
    pathlib.Path or matplotlib.figure.Figure
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from fracfire.viz.charts import save_figure

    bars = result.bars
    n = int(bars["scenario"].nunique())
    closes = bars["close"].to_numpy(dtype=float).reshape(n, -1)
    times = bars["time"].iloc[: closes.shape[1]]
    history = result.history.iloc[-history_bars:]
    fig = Figure(figsize=(12, 5.5), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    ax.plot(history["time"], history["close"], color="#222222", lw=1.0, label="history")
    for (lo, hi), alpha in zip(BANDS, (0.15, 0.25, 0.35), strict=True):
        ax.fill_between(
            times,
            np.quantile(closes, lo, axis=0),
            np.quantile(closes, hi, axis=0),
            color="#d95f02",
            alpha=alpha,
            lw=0,
            label=f"{lo:.0%}-{hi:.0%}",
        )
    ax.plot(times, np.median(closes, axis=0), color="#d95f02", lw=1.2, label="median")
    if actual is not None and len(actual):
        ax.plot(actual["time"], actual["close"], color="#1b9e77", lw=1.0, label="what happened")
    ax.axvline(result.cut, color="#777777", lw=0.8, ls="--")
    ax.set_title(
        f"{n:,} scenarios ({result.method}) from {result.cut:%Y-%m-%d %H:%M %Z}, forecast activity x{result.level:.2f}"
    )
    ax.set_ylabel("price")
    ax.legend(loc="upper left", fontsize=8)
    fig.autofmt_xdate()
    if save_path is None:
        return fig
    return save_figure(fig, Path(save_path))
