"""Resampling one-minute bars to coarser timeframes, keeping the bars schema."""

from __future__ import annotations

import numpy as np
import pandas as pd

from fracfire.schema import LABEL_COLUMNS, bars_frame

__all__ = ["resample_bars", "timeframe_minutes"]


def timeframe_minutes(timeframe: str) -> int:
    """Length of a pandas-style timeframe (``'5min'``, ``'4h'``, ``'1D'``) in minutes.

    Raises ``ValueError`` for anything that is not a whole number of minutes.
    """
    try:
        delta = pd.Timedelta(pd.tseries.frequencies.to_offset(timeframe.replace("H", "h")))
    except (TypeError, ValueError, AttributeError):
        raise ValueError(f"timeframe must look like '5min', '15min', '4h' or '1D'; got {timeframe!r}") from None
    minutes = delta / pd.Timedelta(minutes=1)
    if minutes < 1 or minutes != int(minutes):
        raise ValueError(f"timeframe must be a whole number of minutes >= 1; got {timeframe!r}")
    return int(minutes)


def resample_bars(df: pd.DataFrame, timeframe: str) -> pd.DataFrame:
    """Aggregate bars (one-minute, or any size ``timeframe`` is a multiple of) into ``timeframe`` bars.

    Bins are aligned on the America/New_York wall clock (a ``'1D'`` bar runs
    from midnight to midnight, ``'4h'`` bars start at 00:00, 04:00, ...).
    Open is the first open, high the max, low the min, close the last close
    and volume the sum; empty bins are dropped. Labels take the value in
    force at the bin's close (``state``, ``session_id``, ``segment_id``, ``macro_regime``),
    except ``session``, which is the session the bin opens in.

    Parameters
    ----------
    df : pandas.DataFrame
        One-minute bars in the :mod:`fracfire.schema` schema (labels optional).
    timeframe : str
        ``'5min'``, ``'15min'``, ``'1h'``, ``'4h'``, ``'1D'``, ...

    Returns
    -------
    pandas.DataFrame
        Bars in the same schema, ``time`` being each bin's start.
    """
    minutes = timeframe_minutes(timeframe)
    if df.empty:
        raise ValueError("resample_bars: bars are empty (0 rows)")
    from fracfire.data.checks import grid_minutes

    size = grid_minutes(df)
    if minutes % size:
        raise ValueError(
            f"resample_bars: cannot make {timeframe} bars from {size}-minute bars (they would split a bar); "
            f"use a multiple of {size} minutes"
        )
    if df["time"].dt.tz is None:
        raise ValueError(
            "resample_bars: 'time' must be timezone-aware (bars carry America/New_York times); "
            f"got naive timestamps such as {df['time'].iloc[0]}"
        )
    wall = df["time"].dt.tz_localize(None).astype("datetime64[ns]").to_numpy().astype(np.int64)
    instant = df["time"].dt.tz_convert("UTC").dt.tz_localize(None).astype("datetime64[ns]").to_numpy().astype(np.int64)
    backwards = np.flatnonzero(np.diff(instant) < 0)
    if len(backwards):
        raise ValueError(
            f"resample_bars: 'time' must be sorted ascending; row {backwards[0] + 1} "
            f"({df['time'].iloc[backwards[0] + 1]}) comes before the row above it"
        )
    key = wall // (minutes * 60_000_000_000)
    # A bin ends where the wall-clock bin changes; in the autumn's repeated hour the wall clock
    # steps back, so its bars form bins of their own (timed at their first bar's instant).
    starts = np.flatnonzero(np.concatenate([[True], key[1:] != key[:-1]]))
    ends = np.concatenate([starts[1:], [len(df)]]) - 1
    o = df["open_ticks"].to_numpy()[starts]
    h = np.maximum.reduceat(df["high_ticks"].to_numpy(), starts)
    lo = np.minimum.reduceat(df["low_ticks"].to_numpy(), starts)
    c = df["close_ticks"].to_numpy()[ends]
    volume = np.add.reduceat(df["volume"].to_numpy(), starts)
    first_prev = int(df["close_ticks"].iloc[0] - df["delta_ticks"].iloc[0])
    wall_start = key[starts] * minutes * 60_000_000_000
    time = pd.DatetimeIndex(wall_start.view("datetime64[ns]")).tz_localize(
        df["time"].dt.tz, ambiguous="NaT", nonexistent="shift_forward"
    )
    # Ambiguous wall times (the repeated hour in autumn) take the first bar's instant.
    missing = time.isna()
    if missing.any():  # (both sides tz-aware: no per-element object conversion)
        time = time.where(~missing, pd.DatetimeIndex(df["time"].iloc[starts]))
    labels = {}
    for name in LABEL_COLUMNS:
        if name in df.columns:
            pick = starts if name == "session" else ends
            labels[name] = df[name].iloc[pick].reset_index(drop=True)
        else:
            labels[name] = pd.Series([pd.NA] * len(starts), dtype="object")
    out = bars_frame(time, o, h, lo, c, volume, first_prev, labels)
    for extra in ("day_state", "hour_state"):
        if extra in df.columns:
            out[extra] = df[extra].iloc[ends].to_numpy()
    return out
