"""Checks that bars are fit for a job: bar size and number of trading sessions.

Callers (calibration, the realism scorecard, training) use these to stop early
with a message that says what the data has and what the job needs, instead of
failing later on an empty fit or a wrong-timeframe statistic.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fracfire.calendar import SESSION_BREAK

__all__ = [
    "bar_minutes",
    "count_sessions",
    "grid_minutes",
    "require_bar_minutes",
    "require_price_changes",
    "require_sessions",
]

_BREAK_MINUTES = SESSION_BREAK / pd.Timedelta(minutes=1)
_WHOLE_MINUTE_TOLERANCE = 1 / 60
"""How far (in minutes) the median spacing may sit from a whole minute: one second."""

_LISTED_SESSIONS = 5
"""Up to this many sessions are listed by date in :func:`require_sessions`' message."""


def _times(bars: pd.DataFrame, caller: str) -> np.ndarray:
    if not isinstance(bars, pd.DataFrame):
        raise TypeError(f"{caller}: bars must be a pandas DataFrame; got {type(bars).__name__}")
    if "time" not in bars.columns:
        raise ValueError(f"{caller}: bars must have a 'time' column; got columns {list(bars.columns)}")
    return pd.DatetimeIndex(bars["time"]).as_unit("ns").asi8


def _spacing(bars: pd.DataFrame, caller: str) -> tuple[float, int]:
    """Median spacing in minutes of consecutive bars within sessions, and the number of pairs."""
    step = np.diff(_times(bars, caller)) / 60e9
    step = step[(step > 0) & (step <= _BREAK_MINUTES)]
    if step.size == 0:
        raise ValueError(
            f"{caller}: too few bars to measure the bar size: need at least two bars less than "
            f"{_BREAK_MINUTES:g} minutes apart; got {len(bars):,} bar(s) and no such pair"
        )
    return float(np.median(step)), int(step.size)


def _describe(median: float, pairs: int) -> str:
    return f"median spacing {median:g} min over {pairs:,} pair{'s' if pairs != 1 else ''}"


def bar_minutes(bars: pd.DataFrame) -> int:
    """The bar size in minutes: the median spacing of consecutive bars, rounded.

    Spacings over :data:`~fracfire.calendar.SESSION_BREAK` (session breaks, weekends) and
    repeated timestamps are ignored, so quiet minutes with no row and the daily
    maintenance break do not change the answer.

    Parameters
    ----------
    bars : pandas.DataFrame
        Bars with a tz-aware (or naive) ``time`` column, sorted by time.

    Returns
    -------
    int
        Minutes per bar, at least 1.

    Raises
    ------
    ValueError
        If no two bars are less than an hour apart, or the median spacing is
        not a whole number of minutes (within a second), e.g. 30-second bars.

    Examples
    --------
    >>> import pandas as pd
    >>> times = pd.date_range("2024-03-01 09:30", periods=4, freq="5min", tz="America/New_York")
    >>> bar_minutes(pd.DataFrame({"time": times}))
    5
    """
    median, pairs = _spacing(bars, "bar_minutes")
    minutes = round(median)
    if minutes < 1 or abs(median - minutes) > _WHOLE_MINUTE_TOLERANCE:
        raise ValueError(
            f"bar_minutes: bars must be a whole number of minutes >= 1 apart; got {_describe(median, pairs)}"
        )
    return int(minutes)


def grid_minutes(bars: pd.DataFrame) -> int:
    """The bar grid in minutes: the greatest common divisor of the whole-minute spacings of consecutive
    bars within a session (under :data:`~fracfire.calendar.SESSION_BREAK`), so missing quiet minutes,
    however many, do not coarsen it (:func:`bar_minutes`, the median spacing, reads a one-minute file
    with most minutes missing as coarser); ``attrs["bar_minutes"]`` (or 1) when no such pair exists.
    ``resample_bars`` uses it: a timeframe must be a multiple of the grid."""
    if "time" in bars.columns and len(bars) > 1:
        step = np.diff(_times(bars, "grid_minutes")) // 60_000_000_000
        step = step[(step > 0) & (step <= _BREAK_MINUTES)]
        if step.size:
            return int(np.gcd.reduce(step.astype(np.int64)))
    return int(bars.attrs.get("bar_minutes") or 1)


def require_bar_minutes(bars: pd.DataFrame, expected: int, what: str) -> int:
    """Raise unless ``bars`` are ``expected``-minute bars.

    Parameters
    ----------
    bars : pandas.DataFrame
        Bars with a ``time`` column.
    expected : int
        The bar size in minutes the job needs (at least 1).
    what : str
        The job, for the message (``"calibration"``, ``"the realism scorecard"``).

    Returns
    -------
    int
        The bar size, equal to ``expected``.

    Raises
    ------
    ValueError
        Naming the bar size found (with the median spacing and the number of
        pairs it came from) and the one needed, or if the bar size cannot be
        measured (see :func:`bar_minutes`).

    Examples
    --------
    >>> import pandas as pd
    >>> times = pd.date_range("2024-03-01 09:30", periods=4, freq="5min", tz="America/New_York")
    >>> require_bar_minutes(pd.DataFrame({"time": times}), 1, "calibration")
    Traceback (most recent call last):
    ...
    ValueError: calibration needs 1-minute bars; the data has 5-minute bars (median spacing 5 min over 3 pairs). ...
    """
    if isinstance(expected, bool) or not isinstance(expected, (int, np.integer)):
        raise TypeError(f"require_bar_minutes: expected must be an int; got {type(expected).__name__}")
    if expected < 1:
        raise ValueError(f"require_bar_minutes: expected must be >= 1; got {expected}")
    found = bar_minutes(bars)
    if found != expected:
        median, pairs = _spacing(bars, "require_bar_minutes")
        if expected % found == 0:
            fix = (
                f"Use a file of {expected}-minute bars, or resample these with "
                f"fracfire.data.resample_bars(bars, '{expected}min')."
            )
        else:
            fix = f"Use a file of {expected}-minute bars (coarser bars cannot be split into finer ones)."
        raise ValueError(
            f"{what} needs {expected}-minute bars; {_subject(bars)} has {found}-minute bars "
            f"({_describe(median, pairs)}). {fix}"
        )
    return found


def count_sessions(bars: pd.DataFrame) -> int:
    """Number of trading sessions: distinct ``session_id`` values.

    Every bars frame (real or synthetic) numbers its sessions in ``session_id``
    (:func:`fracfire.calendar.number_sessions`: a new one after any gap over
    :data:`~fracfire.calendar.SESSION_BREAK` that is not a halt inside one session).

    Parameters
    ----------
    bars : pandas.DataFrame
        Bars with a ``session_id`` column.

    Returns
    -------
    int

    Examples
    --------
    >>> import pandas as pd
    >>> count_sessions(pd.DataFrame({"session_id": [0, 0, 1, 1, 2]}))
    3
    """
    if not isinstance(bars, pd.DataFrame):
        raise TypeError(f"count_sessions: bars must be a pandas DataFrame; got {type(bars).__name__}")
    if "session_id" not in bars.columns:
        raise ValueError(
            f"count_sessions: bars must have a 'session_id' column (load real files with "
            f"fracfire.data.load_continuous_contract); got columns {list(bars.columns)}"
        )
    return int(bars["session_id"].nunique())


def require_sessions(bars: pd.DataFrame, minimum: int, what: str, reason: str | None = None) -> int:
    """Raise unless ``bars`` hold at least ``minimum`` trading sessions.

    Parameters
    ----------
    bars : pandas.DataFrame
        Bars with ``time`` and ``session_id`` columns (see :func:`count_sessions`).
    minimum : int
        Sessions the job needs (at least 1).
    what : str
        The job, for the message (``"calibration"``).
    reason : str, optional
        Why that many, shown in brackets (``"3 for fitting, 2 held out"``).

    Returns
    -------
    int
        The number of sessions found.

    Raises
    ------
    ValueError
        Naming the sessions needed and found; up to five sessions found are
        listed by trading date (the date of their last bar).

    Examples
    --------
    >>> import pandas as pd
    >>> times = pd.date_range("2019-09-03 09:30", periods=3, freq="1min", tz="America/New_York")
    >>> bars = pd.DataFrame({"time": times, "session_id": 0})
    >>> require_sessions(bars, 5, "calibration", "3 for fitting, 2 held out")
    Traceback (most recent call last):
    ...
    ValueError: calibration needs at least 5 trading sessions (3 for fitting, 2 held out); the data has 1 session ...
    """
    if isinstance(minimum, bool) or not isinstance(minimum, (int, np.integer)):
        raise TypeError(f"require_sessions: minimum must be an int; got {type(minimum).__name__}")
    if minimum < 1:
        raise ValueError(f"require_sessions: minimum must be >= 1; got {minimum}")
    found = count_sessions(bars)
    if found < minimum:
        need = f"{what} needs at least {minimum} trading session{'s' if minimum != 1 else ''}"
        if reason:
            need += f" ({reason})"
        have = f"{_subject(bars)} has {found} session{'s' if found != 1 else ''}"
        if 0 < found <= _LISTED_SESSIONS and "time" in bars.columns:
            last = pd.DatetimeIndex(bars.groupby("session_id", sort=True)["time"].max())
            have += " (" + ", ".join(last.strftime("%Y-%m-%d")) + ")"
        raise ValueError(f"{need}; {have}. Use a file covering more trading days.")
    return found


def _subject(bars: pd.DataFrame) -> str:
    # Bars from load_continuous_contract carry their ValidationReport.
    return "the file" if "validation" in bars.attrs else "the data"


def require_price_changes(bars: pd.DataFrame, what: str) -> None:
    """Raise unless the prices of ``bars`` move at least once (a file whose every price is the same
    has no returns, so every statistic of them is NaN).

    Examples
    --------
    >>> import pandas as pd
    >>> flat = pd.DataFrame({"open": [3000.0] * 3, "high": [3000.0] * 3, "low": [3000.0] * 3, "close": [3000.0] * 3})
    >>> require_price_changes(flat, "calibration")
    Traceback (most recent call last):
    ...
    ValueError: calibration: every price in the 3 bars is 3000; it needs bars whose prices move
    """
    if not isinstance(bars, pd.DataFrame) or "high" not in bars or "low" not in bars:
        raise ValueError(f"{what}: bars must have 'high' and 'low' columns")
    if len(bars) and float(bars["high"].max()) == float(bars["low"].min()):
        raise ValueError(
            f"{what}: every price in the {len(bars):,} bars is {float(bars['high'].iloc[0]):g}; "
            "it needs bars whose prices move"
        )
