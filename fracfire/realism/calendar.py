"""Synthetic bars on a real calendar, and time splits of real data."""

from __future__ import annotations

import numpy as np
import pandas as pd

from fracfire._typing import SeedLike
from fracfire.physics import PhysicsConfig, PriceGenerator
from fracfire.schema import TICK_SIZE

__all__ = ["align_to_calendar", "split_by_time", "synthetic_like"]


def align_to_calendar(bars: pd.DataFrame, times: pd.Series) -> pd.DataFrame:
    """Keep the bars whose ``time`` is in ``times`` (same minutes, same gaps),
    recomputing ``delta_ticks`` so the frame stays valid."""
    ns = bars["time"].to_numpy(dtype="datetime64[ns]").astype(np.int64)
    want = pd.DatetimeIndex(times).as_unit("ns").asi8
    keep = pd.Series(np.isin(ns, want), index=bars.index)
    out = bars.loc[keep].reset_index(drop=True)
    if out.empty:
        raise ValueError("align_to_calendar: no bar falls on the calendar")
    first_prev = bars["close_ticks"].shift().loc[keep].iloc[0]
    prev = np.concatenate(
        [[first_prev if pd.notna(first_prev) else out["open_ticks"].iloc[0]], out["close_ticks"].to_numpy()[:-1]]
    )
    out["delta_ticks"] = out["close_ticks"].to_numpy() - prev.astype(np.int64)
    return out


def synthetic_like(
    real: pd.DataFrame, physics: PhysicsConfig | None = None, seed: SeedLike = 0, **generate
) -> pd.DataFrame:
    """FracFire bars with exactly the bars of ``real`` (same times, same bar size).

    The engine generates the Globex sessions from the first to the last
    trading date of ``real`` (``generate_days(..., calendar="globex")``),
    aggregates them to the real bar size when that is coarser than one minute
    (five-minute files), keeps the bars whose start times are in ``real``
    (halts, missing quiet minutes and RTH-only files included) and shifts
    prices by whole ticks so the first open equals the real one. With
    ``calendar=None`` in ``generate``, wall-clock days from the local midnight
    before the first real bar are generated instead.
    """
    from fracfire.calendar import sessions, trading_day_number
    from fracfire.data.checks import bar_minutes
    from fracfire.data.resample import resample_bars

    first_open = int(round(float(real["open"].iloc[0]) / TICK_SIZE))
    gen = PriceGenerator(initial_price=first_open * TICK_SIZE, seed=seed, physics=physics)
    if generate.get("calendar", "globex") is None:
        start = real["time"].iloc[0].normalize()
        days = int((real["time"].iloc[-1] - start) / pd.Timedelta(days=1)) + 1
    else:
        day_numbers = trading_day_number(real["time"])
        start, end = (pd.Timestamp(int(d), unit="D") for d in (day_numbers.min(), day_numbers.max()))
        days = max(1, len(sessions(start, end=end)))
    bars = gen.generate_days(start, days, **generate)
    minutes = real.attrs.get("bar_minutes") or (bar_minutes(real) if len(real) > 2 else 1)
    if minutes > 1:
        bars = resample_bars(bars, f"{minutes}min")
    bars = align_to_calendar(bars, real["time"])
    shift = first_open - int(bars["open_ticks"].iloc[0])
    for name in ("open", "high", "low", "close"):
        bars[f"{name}_ticks"] += shift
        bars[name] = bars[f"{name}_ticks"] * TICK_SIZE
    if (bars["low_ticks"] < 1).any():
        raise ValueError("synthetic_like: shifting to the real open pushed prices below one tick")
    return bars


def split_by_time(bars: pd.DataFrame, train_fraction: float = 0.6) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split at a session boundary near ``train_fraction`` of the rows (earlier part first)."""
    if not 0 < train_fraction < 1:
        raise ValueError(f"train_fraction must be in (0, 1); got {train_fraction}")
    session = bars["session_id"].to_numpy()
    cut = int(len(bars) * train_fraction)
    boundaries = np.flatnonzero(np.diff(session) != 0) + 1
    if len(boundaries):
        cut = int(boundaries[np.argmin(np.abs(boundaries - cut))])
    if cut <= 0 or cut >= len(bars):
        raise ValueError("split_by_time: not enough sessions to split")
    return bars.iloc[:cut].reset_index(drop=True), bars.iloc[cut:].reset_index(drop=True)
