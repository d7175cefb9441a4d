"""Reference strategies expressed as setup entries (for backtests and cross-checks)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from fracfire.evaluation._kernels import ema
from fracfire.evaluation.setups import SetupEntry

__all__ = ["ema_cross_entries"]


def ema_cross_entries(
    bars: pd.DataFrame, fast: int = 20, slow: int = 200, stop: float = 4.0, target: float = 8.0
) -> list[SetupEntry]:
    """EMA crossover: long when the fast EMA of the close crosses above the slow
    one at a bar's close (short when below), stop and target ``stop`` /
    ``target`` points from that close."""
    close = bars["close"].to_numpy(dtype=float)
    f, s = ema(close, float(fast)), ema(close, float(slow))
    up = np.flatnonzero((f[:-1] <= s[:-1]) & (f[1:] > s[1:])) + 1
    down = np.flatnonzero((f[:-1] >= s[:-1]) & (f[1:] < s[1:])) + 1
    times = bars["time"].array
    entries = [SetupEntry(times[i], "long", "ema_cross", close[i], close[i] - stop, close[i] + target) for i in up]
    entries += [SetupEntry(times[i], "short", "ema_cross", close[i], close[i] + stop, close[i] - target) for i in down]
    return sorted(entries, key=lambda e: e.time)
