"""Which minutes a run of generated days covers: exchange sessions or wall-clock days.

A :class:`DayLayout` lists the bar-start minutes (UTC nanoseconds) of a run
of consecutive "days" and where each day starts. Two kinds of day exist:

* ``calendar="globex"`` (the default of multi-day generation): a day is one
  CME Globex equity-index trading session from :mod:`fracfire.calendar`,
  18:00 ET the evening before to 17:00 ET, without its breaks, skipping
  weekends and holidays, with early closes;
* ``calendar=None`` (the seed's ``generate_day``): a day is a wall-clock day
  on the America/New_York clock, from local midnight to the next local
  midnight (1,440 minutes; 1,380 or 1,500 on the days clocks change), every
  day of the week.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from fracfire._validation import check_int
from fracfire.calendar import MINUTES_PER_DAY
from fracfire.schema import TIMEZONE

__all__ = ["CALENDARS", "DayLayout", "check_run_size", "day_layout", "parse_start", "path_layout"]

CALENDARS = ("globex", None)
"""Accepted values of the generator's ``calendar`` argument."""

_MINUTE_NS = 60_000_000_000


@dataclass(frozen=True)
class DayLayout:
    """Bar-start minutes of a run of days.

    Attributes
    ----------
    utc_ns : numpy.ndarray of int64
        Every bar start, UTC nanoseconds, strictly increasing.
    starts : numpy.ndarray of int64
        Index into ``utc_ns`` of each day's first bar.
    trading_days : bool
        True for exchange sessions: the weekday of a minute is then that of
        its trading date (Sunday evening trades as Monday).
    end_ns : int
        End of the last day (where a continuing call starts looking).
    """

    utc_ns: np.ndarray
    starts: np.ndarray
    trading_days: bool
    end_ns: int

    @property
    def lengths(self) -> np.ndarray:
        """Bars per day."""
        return np.diff(np.append(self.starts, len(self.utc_ns)))

    def day_index(self) -> np.ndarray:
        """Day number (0-based) of every minute."""
        return np.repeat(np.arange(len(self.starts)), self.lengths)

    def position(self) -> np.ndarray:
        """Minutes since the day's first bar, for every minute."""
        return np.arange(len(self.utc_ns)) - np.repeat(self.starts, self.lengths)


def parse_start(value, what: str) -> pd.Timestamp:
    """A start time as a tz-aware America/New_York timestamp on a whole minute (naive values are ET)."""
    from fracfire.calendar import parse_timestamp

    ts = parse_timestamp(value, what)
    ts = (
        ts.tz_localize(TIMEZONE, nonexistent="shift_forward", ambiguous=True)
        if ts.tzinfo is None
        else ts.tz_convert(TIMEZONE)
    )
    if ts.second or ts.microsecond or ts.nanosecond:
        raise ValueError(f"{what} must fall on a whole minute; got {value!r}")
    return ts


def _local_days(start: pd.Timestamp, n_days: int) -> DayLayout:
    bounds = [start + pd.DateOffset(days=d) for d in range(n_days + 1)]
    edges = np.array([b.as_unit("ns").value for b in bounds], dtype=np.int64)
    lengths = np.diff(edges) // _MINUTE_NS
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
    offsets = np.arange(int(lengths.sum()), dtype=np.int64) - np.repeat(starts, lengths)
    utc_ns = np.repeat(edges[:-1], lengths) + offsets * _MINUTE_NS
    return DayLayout(utc_ns, starts, False, int(edges[-1]))


def _globex_days(start: pd.Timestamp, n_days: int) -> DayLayout:
    from fracfire import calendar

    frame = calendar.sessions(start, n_sessions=n_days)
    utc_ns, counts = calendar.session_minutes(frame)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
    end = int(pd.Timestamp(frame["close"].iloc[-1]).as_unit("ns").value)
    return DayLayout(np.asarray(utc_ns, dtype=np.int64), starts, True, end)


def day_layout(start, n_days: int, calendar: str | None, *, after_ns: int | None = None) -> DayLayout:
    """The minutes of ``n_days`` days from ``start``.

    Parameters
    ----------
    start : date-like or None
        First day: for ``"globex"`` the first session whose trading date is
        on or after it (an evening time after 18:00 ET belongs to the next
        trading date); for ``None`` the wall-clock day starting at it (naive
        values are America/New_York). ``None`` continues after ``after_ns``.
    n_days : int
        Number of days (sessions).
    calendar : {"globex", None}
    after_ns : int, optional
        End of the previous run (UTC ns), used when ``start`` is None.
    """
    if calendar not in CALENDARS:
        raise ValueError(f"calendar must be 'globex' or None; got {calendar!r}")
    if start is None:
        if after_ns is None:
            raise ValueError(
                "start_date=None continues the previous call, but nothing was generated yet; pass a start date"
            )
        ts = pd.Timestamp(after_ns, unit="ns", tz="UTC").tz_convert(TIMEZONE)
        if calendar == "globex":
            # The previous run ended at a session close; go on with the next trading date.
            ts = (ts + pd.Timedelta(hours=6)).normalize() + pd.DateOffset(days=1)
    else:
        ts = parse_start(start, "start_date")
    from fracfire.schema import EARLIEST_TIME, LATEST_TIME

    if not EARLIEST_TIME <= ts.tz_localize(None) < LATEST_TIME:
        raise ValueError(
            f"start_date {ts:%Y-%m-%d} is outside {EARLIEST_TIME:%Y}-{LATEST_TIME:%Y}, the years "
            "bars files can hold (the loader refuses times outside them)"
        )
    layout = _globex_days(ts, n_days) if calendar == "globex" else _local_days(ts, n_days)
    if pd.Timestamp(layout.end_ns, unit="ns") >= LATEST_TIME:
        raise ValueError(
            f"{n_days:,} days from {ts:%Y-%m-%d} run past {LATEST_TIME:%Y-%m-%d}, the last date bars "
            "files can hold; start earlier or generate fewer days"
        )
    return layout


def path_layout(start, end, n_paths: int) -> DayLayout:
    """The minutes of ``n_paths`` scenario paths, each from ``start`` to ``end`` within one Globex session.

    ``start`` must be a trading minute; ``end`` (exclusive) defaults to, and
    is capped at, the close of ``start``'s session. Every path covers the
    same minutes (one "day" of the layout per path).
    """
    from fracfire import calendar

    first = parse_start(start, "start")
    if not calendar.is_trading_minute(pd.DatetimeIndex([first]))[0]:
        raise ValueError(
            f"start {first:%Y-%m-%d %H:%M %Z} is not a CME Globex trading minute (the market is "
            "closed then: a weekend, a holiday, the 17:00-18:00 ET break or after an early close)"
        )
    session = calendar.sessions(first, n_sessions=1)  # the session of first's trading date
    minutes, _ = calendar.session_minutes(session)
    minutes = np.asarray(minutes, dtype=np.int64)
    stop = int(session["close"].iloc[0].as_unit("ns").value)
    if end is not None:
        last = parse_start(end, "end")
        if last <= first:
            raise ValueError(f"end {last:%Y-%m-%d %H:%M} must come after start {first:%Y-%m-%d %H:%M}")
        stop = min(stop, int(last.as_unit("ns").value))
    minutes = minutes[(minutes >= first.as_unit("ns").value) & (minutes < stop)]
    return DayLayout(np.tile(minutes, n_paths), np.arange(n_paths, dtype=np.int64) * len(minutes), True, stop)


BYTES_PER_BAR = 1000
"""Peak memory of one generated bar, measured (about 800 bytes a bar for 2,520 days) plus headroom."""


def check_run_size(n_days) -> int:
    """Check a run length for :meth:`PriceGenerator.generate_days` and return it.

    Raises ``ValueError`` outside 1..100,000 days and ``MemoryError`` (before
    any allocation) when the run would not fit in the available memory,
    saying how to split it.
    """
    from fracfire._resources import available_memory, check_memory

    n_days = check_int("n_days", n_days, low=1, high=100_000)
    per_day = MINUTES_PER_DAY * BYTES_PER_BAR
    fits = int(0.8 * (available_memory() or 0) / per_day)
    check_memory(
        n_days * per_day,
        f"generating {n_days:,} days at once",
        f"generate at most about {fits:,} days per call (consecutive calls on one generator continue "
        "the series; the CLI's --start moves a run on), or build a library across workers with "
        "'fracfire dataset build --scheduler'",
    )
    return n_days
