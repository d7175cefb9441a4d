"""The CME Globex equity-index (ES/MES) trading calendar.

Bars exist only while CME Globex equity-index futures trade: from the Sunday
18:00 ET open to the Friday 17:00 ET close, with a daily 17:00-18:00 ET
maintenance break, the 16:15-16:30 ET trading halt (last on 2021-06-25),
holidays and early closes, all DST-correct. The library closes every early
session at 13:00 ET (also Christmas Eve, 3 July and the Friday after
Thanksgiving) and Good Fridays it keeps open at 09:15 ET; those are its
figures, taken as they are.

The source of truth is the ``CME_Equity`` calendar of ``pandas_market_calendars``.
Importing that library costs about 0.4 s, so a table of every session whose
trading date lies in 2000-01-01 .. 2035-12-31 ships with the package
(``fracfire/_data/globex_sessions.csv.gz``, written by
``scripts/make_calendar.py``). It is read once, on first use; dates outside it
fall back to the library, imported only then.

Trading dates
-------------
A session is named by its trading date and opens the evening before (18:00 ET
from 2012-11-19 on and before 2005-09-12; the library opens the sessions in
between at 16:30 ET). A point in time belongs to the trading date of its ET
wall-clock time plus 6 hours, so 18:00 ET on Sunday belongs to Monday; the rule
is exact wherever sessions open at 18:00 ET.

Times passed in are tz-aware pandas objects or ``int64`` arrays of UTC
nanoseconds since 1970-01-01 (the form :func:`session_minutes` returns).
"""

from __future__ import annotations

import datetime as _dt
import numbers

import numpy as np
import pandas as pd

from fracfire._globex_table import (
    _EPOCH,
    GLOBEX_CALENDAR,
    _first_n,
    _library,
    _Sessions,
    _span,
    _table,
)
from fracfire._typing import DateLike, Times
from fracfire._validation import check_int
from fracfire.schema import TIMEZONE

__all__ = [
    "GLOBEX_CALENDAR",
    "INTRADAY_BUCKETS",
    "INTRADAY_BUCKET_MINUTES",
    "MINUTES_PER_DAY",
    "RTH_CLOSE_MINUTE",
    "RTH_OPEN_MINUTE",
    "SESSION_BREAK",
    "SESSION_COLUMNS",
    "SESSION_MAX_HOURS",
    "SESSION_MINUTES",
    "SESSION_OPEN_MINUTE",
    "TIMEZONE",
    "bucket_label",
    "is_rth_minute",
    "is_trading_minute",
    "minute_label",
    "minute_of_day",
    "next_session_date",
    "number_sessions",
    "parse_timestamp",
    "session_minutes",
    "sessions",
    "trading_day",
    "trading_day_number",
    "within_session",
]

MINUTES_PER_DAY = 1440
RTH_OPEN_MINUTE = 9 * 60 + 30  # 09:30 ET, regular trading hours open
RTH_CLOSE_MINUTE = 16 * 60  # 16:00 ET, regular trading hours close
SESSION_OPEN_MINUTE = 18 * 60  # 18:00 ET, Globex open of the next trading date
INTRADAY_BUCKET_MINUTES = 30  # width of the intraday-profile buckets of the ET clock
INTRADAY_BUCKETS = MINUTES_PER_DAY // INTRADAY_BUCKET_MINUTES  # 48 half hours
SESSION_BREAK = pd.Timedelta(minutes=60)
"""Bars further apart than this are split by a session break (the daily halt, a weekend, the
night of a regular-hours file): they form no return and, in a loaded file, start a new session."""
SESSION_MAX_HOURS = 23
"""Longest session (18:00-17:00 ET): a longer gap inside a shorter span is a halt, not a new session."""
SESSION_MINUTES = SESSION_MAX_HOURS * 60
"""Minutes of a full Globex session (1,380): the time unit of day-scale physics knobs and what the
scenario features' share of the session left is measured against."""

SESSION_COLUMNS = ("trading_date", "open", "close", "break_start", "break_end")  # of sessions()
_NS_PER_MINUTE = 60_000_000_000
_NS_PER_DAY = MINUTES_PER_DAY * _NS_PER_MINUTE
_DAY_SHIFT_NS = (MINUTES_PER_DAY - SESSION_OPEN_MINUTE) * _NS_PER_MINUTE  # 18:00 ET -> next midnight
_NAT = np.iinfo(np.int64).min

# ----------------------------------------------------------------------------- argument conversion


def parse_timestamp(value: DateLike, name: str) -> pd.Timestamp:
    """``pd.Timestamp(value)``, with a ValueError naming ``name`` for anything unparsable or NaT."""
    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} {value!r} is not a date or datetime: {exc}") from None
    if stamp is pd.NaT:
        raise ValueError(f"{name} must be a date or datetime; got {value!r} (NaT)")
    return stamp


def _trading_day_of(value, name: str) -> int:
    """Trading day number of a date-like (naive values are ET wall-clock times)."""
    if isinstance(value, numbers.Number) or not isinstance(value, (str, _dt.date, np.datetime64)):
        raise TypeError(
            f"{name} must be a date-like (str, datetime.date, datetime, pandas.Timestamp or "
            f"numpy.datetime64); got {value!r} ({type(value).__name__})"
        )
    stamp = parse_timestamp(value, name)
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert(TIMEZONE).tz_localize(None)
    shifted = stamp.to_pydatetime(warn=False) + _dt.timedelta(minutes=MINUTES_PER_DAY - SESSION_OPEN_MINUTE)
    return (shifted.date() - _EPOCH).days


def _utc_ns(times, name: str = "times") -> np.ndarray:
    """UTC epoch nanoseconds (int64) of tz-aware pandas times or an int64 array."""
    if isinstance(times, pd.Series | pd.DatetimeIndex):
        if not isinstance(times.dtype, pd.DatetimeTZDtype):
            raise TypeError(
                f"{name} must hold tz-aware datetimes (e.g. America/New_York); got dtype {times.dtype}. "
                "Localize naive times first with .dt.tz_localize(...)"
            )
        values = times.dt.tz_convert(None) if isinstance(times, pd.Series) else times.tz_convert(None)
        ns = np.asarray(values.to_numpy(), dtype="datetime64[ns]").view(np.int64)
    elif isinstance(times, np.ndarray) and np.issubdtype(times.dtype, np.integer):
        ns = times.astype(np.int64, copy=False)
    elif isinstance(times, np.ndarray) and np.issubdtype(times.dtype, np.datetime64):
        raise TypeError(
            f"{name} is a naive numpy datetime64 array, which is ambiguous; pass a tz-aware pandas "
            "Series/DatetimeIndex, or UTC epoch nanoseconds as int64 (array.astype('datetime64[ns]').view('int64'))"
        )
    else:
        raise TypeError(
            f"{name} must be a tz-aware pandas Series or DatetimeIndex, or a numpy int64 array of UTC epoch "
            f"nanoseconds; got {type(times).__name__}"
        )
    if ns.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional; got shape {ns.shape}")
    if ns.size and (ns == _NAT).any():
        raise ValueError(f"{name} contains NaT at position {int(np.argmax(ns == _NAT))}")
    return ns


def _wall_ns(ns: np.ndarray) -> np.ndarray:
    """ET wall-clock nanoseconds (as if ET were UTC) of UTC epoch nanoseconds."""
    index = pd.DatetimeIndex(ns.view("datetime64[ns]")).tz_localize("UTC").tz_convert(TIMEZONE)
    return index.tz_localize(None).asi8


def _rule_day(ns: np.ndarray) -> np.ndarray:
    return (_wall_ns(ns) + _DAY_SHIFT_NS) // _NS_PER_DAY


def _et_index(minutes: np.ndarray, present: np.ndarray | None = None) -> pd.DatetimeIndex:
    values = minutes.astype("datetime64[m]").astype("datetime64[ns]")
    if present is not None:
        values = np.where(present, values, np.datetime64("NaT", "ns"))
    return pd.DatetimeIndex(values).tz_localize("UTC").tz_convert(TIMEZONE)


def _frame(found: _Sessions) -> pd.DataFrame:
    has_break = found.break_start < found.break_end
    columns = (
        found.day.astype("datetime64[D]").astype("datetime64[ns]"),
        _et_index(found.open),
        _et_index(found.close),
        _et_index(found.break_start, has_break),
        _et_index(found.break_end, has_break),
    )
    return pd.DataFrame(dict(zip(SESSION_COLUMNS, columns, strict=True)))


# ----------------------------------------------------------------------------- public API


def sessions(start: DateLike, n_sessions: int | None = None, end: DateLike | None = None) -> pd.DataFrame:
    """The Globex sessions from the trading date of ``start`` on.

    Give exactly one of ``n_sessions`` (the next that many sessions) or ``end``
    (every session whose trading date is on or before it).

    Parameters
    ----------
    start : str, datetime.date, datetime.datetime, pandas.Timestamp or numpy.datetime64
        First trading date to include. A datetime is mapped to its trading
        date: its ET wall-clock time plus 6 hours, so ``"2019-09-01 18:00"``
        (Sunday evening) means Monday 2019-09-02 and ``"2019-09-01 17:59"``
        means Sunday 2019-09-01 (no session, so the first is again Monday's).
        Naive datetimes are ET wall-clock times; tz-aware ones are converted.
    n_sessions : int, optional
        Number of sessions to return (>= 1).
    end : date-like, optional
        Last trading date to include (inclusive), mapped like ``start``.

    Returns
    -------
    pandas.DataFrame
        One row per session, in time order, with a fresh ``RangeIndex`` and columns

        - ``trading_date`` (``datetime64[ns]``, naive midnight): the session's trading date;
        - ``open``, ``close`` (``datetime64[ns, America/New_York]``): first bar start and the
          end of the last bar;
        - ``break_start``, ``break_end`` (same dtype): the intra-session halt
          (16:15-16:30 ET until 2021-06-25), ``NaT`` where there is none.

        Empty (with these columns) when no session falls in ``[start, end]``.

    Raises
    ------
    ValueError
        If both or neither of ``n_sessions`` and ``end`` are given, ``n_sessions < 1``,
        ``end`` is before ``start``, or a date cannot be parsed.
    TypeError
        If ``start``/``end`` are not date-like or ``n_sessions`` is not an integer.

    Examples
    --------
    >>> frame = sessions("2019-09-02", n_sessions=2)
    >>> frame["open"].dt.strftime("%a %Y-%m-%d %H:%M").tolist()
    ['Sun 2019-09-01 18:00', 'Mon 2019-09-02 18:00']
    >>> frame["close"].dt.strftime("%H:%M").tolist()  # Labor Day closes early
    ['13:00', '17:00']
    >>> len(sessions("2019-12-23", end="2019-12-27"))  # Christmas Day has no session
    4
    """
    first = _trading_day_of(start, "start")
    if (n_sessions is None) == (end is None):
        raise ValueError(f"give exactly one of n_sessions or end; got n_sessions={n_sessions!r} and end={end!r}")
    if end is None:
        return _frame(_first_n(first, check_int("n_sessions", n_sessions, low=1)))
    last = _trading_day_of(end, "end")
    if last < first:
        raise ValueError(
            f"end {end!r} (trading date {np.datetime64(last, 'D')}) is before start {start!r} "
            f"(trading date {np.datetime64(first, 'D')})"
        )
    return _frame(_span(first, last))


def session_minutes(sessions_frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Every bar-start minute of the given sessions, as UTC epoch nanoseconds.

    A session's bars start at each minute of ``[open, close)`` outside
    ``[break_start, break_end)``.

    Parameters
    ----------
    sessions_frame : pandas.DataFrame
        Sessions as returned by :func:`sessions` (at least the columns ``open``,
        ``close``, ``break_start``, ``break_end``; tz-aware, on whole minutes).

    Returns
    -------
    minutes : numpy.ndarray of int64
        Bar start times in UTC nanoseconds since 1970-01-01, concatenated over the
        sessions in frame order (strictly increasing for frames from :func:`sessions`).
    counts : numpy.ndarray of int64
        Bars per session, so ``np.split(minutes, np.cumsum(counts)[:-1])`` gives
        each session's bars.

    Raises
    ------
    TypeError
        If ``sessions_frame`` is not a DataFrame or its columns are not tz-aware datetimes.
    ValueError
        If a column is missing, a time is not on a whole minute, ``open`` or ``close``
        is NaT, only one of a break's ends is NaT, or a break is not inside its session.

    Examples
    --------
    >>> minutes, counts = session_minutes(sessions("2019-09-03", n_sessions=1))
    >>> counts.tolist()  # 23 hours minus the 15-minute halt
    [1365]
    >>> pd.to_datetime(minutes[[0, -1]], utc=True).tz_convert(TIMEZONE).strftime("%H:%M").tolist()
    ['18:00', '16:59']
    """
    if not isinstance(sessions_frame, pd.DataFrame):
        raise TypeError(f"sessions_frame must be a pandas DataFrame; got {type(sessions_frame).__name__}")
    missing = [c for c in ("open", "close", "break_start", "break_end") if c not in sessions_frame]
    if missing:
        raise ValueError(
            f"sessions_frame must have columns 'open', 'close', 'break_start', 'break_end'; "
            f"missing {missing}, got {list(sessions_frame.columns)}"
        )
    columns = {}
    for name in ("open", "close", "break_start", "break_end"):
        column = sessions_frame[name]
        if not isinstance(column.dtype, pd.DatetimeTZDtype):
            raise TypeError(f"sessions_frame[{name!r}] must hold tz-aware datetimes; got dtype {column.dtype}")
        ns = np.asarray(column.dt.tz_convert(None).to_numpy(), dtype="datetime64[ns]").view(np.int64)
        present = ns != _NAT
        if (ns[present] % _NS_PER_MINUTE).any():
            raise ValueError(f"sessions_frame[{name!r}] must be on whole minutes; got {column[present].tolist()}")
        columns[name] = (ns // _NS_PER_MINUTE, present)
    (open_, open_ok), (close, close_ok) = columns["open"], columns["close"]
    (start, start_ok), (end, end_ok) = columns["break_start"], columns["break_end"]
    if not (open_ok.all() and close_ok.all()):
        raise ValueError("sessions_frame 'open' and 'close' must not contain NaT")
    if (start_ok != end_ok).any():
        raise ValueError("sessions_frame 'break_start' and 'break_end' must be both NaT or both set in each row")
    if (close < open_).any():
        raise ValueError(f"sessions_frame has close before open in rows {np.flatnonzero(close < open_).tolist()}")
    start, end = np.where(start_ok, start, close), np.where(end_ok, end, close)
    bad = (start < open_) | (end < start) | (end > close)
    if bad.any():
        raise ValueError(f"sessions_frame has a break outside [open, close] in rows {np.flatnonzero(bad).tolist()}")
    # Two runs per session, [open, break_start) and [break_end, close); turn run starts and
    # lengths into consecutive minutes without a Python loop.
    run_start = np.column_stack([open_, end]).ravel()
    run_length = np.column_stack([start - open_, close - end]).ravel()
    total = int(run_length.sum())
    first_position = np.cumsum(run_length) - run_length
    minutes = np.repeat(run_start - first_position, run_length) + np.arange(total, dtype=np.int64)
    return minutes * _NS_PER_MINUTE, run_length.reshape(-1, 2).sum(axis=1)


def minute_label(minute: int) -> str:
    """``"HH:MM"`` of minute ``minute`` of the ET clock (0 is ``"00:00"``, 570 is ``"09:30"``)."""
    return f"{int(minute) // 60:02d}:{int(minute) % 60:02d}"


def bucket_label(bucket: int) -> str:
    """``"HH:MM"`` ET start of intraday-profile bucket ``bucket`` (0 is ``"00:00"``, 19 is ``"09:30"``)."""
    return minute_label(int(bucket) * INTRADAY_BUCKET_MINUTES)


def minute_of_day(times: Times) -> np.ndarray:
    """ET wall-clock minute of the day (0..1439) of each time.

    Parameters
    ----------
    times : pandas.Series, pandas.DatetimeIndex or numpy.ndarray
        Tz-aware times (any time zone), or int64 UTC epoch nanoseconds.

    Returns
    -------
    numpy.ndarray of int64
        ``hour * 60 + minute`` in America/New_York; compare with
        :data:`RTH_OPEN_MINUTE`, :data:`RTH_CLOSE_MINUTE`, :data:`SESSION_OPEN_MINUTE`.

    Examples
    --------
    >>> minute_of_day(pd.DatetimeIndex(["2019-09-03 13:30"], tz="UTC")).tolist()  # 09:30 EDT
    [570]
    """
    return (_wall_ns(_utc_ns(times)) // _NS_PER_MINUTE) % MINUTES_PER_DAY


def is_rth_minute(minute: np.ndarray) -> np.ndarray:
    """Whether each ET minute of the day lies in regular trading hours (09:30-16:00 ET).

    Parameters
    ----------
    minute : numpy.ndarray of int
        Minutes of the day, from :func:`minute_of_day`.

    Returns
    -------
    numpy.ndarray of bool

    Examples
    --------
    >>> is_rth_minute(np.array([569, 570, 959, 960])).tolist()
    [False, True, True, False]
    """
    return (minute >= RTH_OPEN_MINUTE) & (minute < RTH_CLOSE_MINUTE)


def trading_day_number(times: Times) -> np.ndarray:
    """Trading date of each time as days since 1970-01-01.

    The Globex day runs from 18:00 ET to 17:00 ET the next day, so a time
    belongs to the date of its ET wall-clock time plus 6 hours.

    Parameters
    ----------
    times : pandas.Series, pandas.DatetimeIndex or numpy.ndarray
        Tz-aware times, or int64 UTC epoch nanoseconds.

    Returns
    -------
    numpy.ndarray of int64
        Day numbers; ``np.datetime64(n, "D")`` is the trading date.

    Examples
    --------
    >>> sunday_open = pd.DatetimeIndex(["2019-09-01 18:00"], tz=TIMEZONE)
    >>> np.datetime64(int(trading_day_number(sunday_open)[0]), "D")
    np.datetime64('2019-09-02')
    """
    return _rule_day(_utc_ns(times))


def trading_day(times: Times) -> pd.Series | np.ndarray:
    """Trading date of each time (the Globex day runs 18:00 ET to 17:00 ET next day).

    Parameters
    ----------
    times : pandas.Series, pandas.DatetimeIndex or numpy.ndarray
        Tz-aware times, or int64 UTC epoch nanoseconds.

    Returns
    -------
    pandas.Series or numpy.ndarray of datetime64[ns]
        Naive midnight of each trading date (the dtype of ``sessions()["trading_date"]``):
        a Series named ``trading_date`` with the same index for a Series, else an array.

    Examples
    --------
    >>> times = pd.Series(pd.DatetimeIndex(["2019-09-01 18:00", "2019-09-02 12:59"], tz=TIMEZONE))
    >>> trading_day(times).dt.strftime("%Y-%m-%d").tolist()
    ['2019-09-02', '2019-09-02']
    """
    days = trading_day_number(times).astype("datetime64[D]").astype("datetime64[ns]")
    if isinstance(times, pd.Series):
        return pd.Series(days, index=times.index, name="trading_date")
    return days


def is_trading_minute(times: Times) -> np.ndarray:
    """Whether each time lies inside exchange hours.

    A time is inside when it falls in ``[open, close)`` of a session and not in
    ``[break_start, break_end)``; for bar start times this means the bar is a
    traded minute.

    Parameters
    ----------
    times : pandas.Series, pandas.DatetimeIndex or numpy.ndarray
        Tz-aware times, or int64 UTC epoch nanoseconds, in any order.

    Returns
    -------
    numpy.ndarray of bool

    Examples
    --------
    >>> times = pd.DatetimeIndex(["2019-09-03 16:14", "2019-09-03 16:15", "2019-09-03 17:00",
    ...                           "2019-09-03 18:00", "2019-09-07 12:00"], tz=TIMEZONE)
    >>> is_trading_minute(times).tolist()  # halt, maintenance break and Saturday are out
    [True, False, False, True, False]
    """
    ns = _utc_ns(times)
    if ns.size == 0:
        return np.zeros(0, dtype=bool)
    days = _rule_day(ns)
    found = _span(int(days.min()) - 2, int(days.max()) + 2)  # margin for the 16:30 ET opens of 2005-2012
    if found.day.size == 0:
        return np.zeros(ns.size, dtype=bool)
    minute = ns // _NS_PER_MINUTE
    index = np.searchsorted(found.open, minute, side="right") - 1
    at = np.maximum(index, 0)
    in_break = (minute >= found.break_start[at]) & (minute < found.break_end[at])
    return (index >= 0) & (minute < found.close[at]) & ~in_break


def next_session_date(after: int | _dt.datetime) -> pd.Timestamp:
    """Trading date of the first session that opens at or after ``after``.

    Use it to continue generating where a previous run stopped: pass the end of
    the last bar and get the trading date to start from.

    Parameters
    ----------
    after : int or tz-aware datetime
        UTC epoch nanoseconds, or a tz-aware ``datetime``/``pandas.Timestamp``.

    Returns
    -------
    pandas.Timestamp
        Naive midnight of that trading date.

    Raises
    ------
    TypeError
        If ``after`` is neither an int nor a tz-aware datetime.

    Examples
    --------
    >>> next_session_date(pd.Timestamp("2019-09-06 17:00", tz=TIMEZONE))  # Friday close -> Monday
    Timestamp('2019-09-09 00:00:00')
    >>> next_session_date(pd.Timestamp("2019-12-24 13:00", tz=TIMEZONE))  # Christmas Eve -> 26th
    Timestamp('2019-12-26 00:00:00')
    """
    if isinstance(after, numbers.Integral) and not isinstance(after, bool):
        ns = int(after)
    elif isinstance(after, _dt.datetime) and after.tzinfo is not None:
        ns = int(pd.Timestamp(after).as_unit("ns").value)
    else:
        raise TypeError(
            f"after must be UTC epoch nanoseconds (int) or a tz-aware datetime; got {after!r} ({type(after).__name__})"
        )
    minute = -(-ns // _NS_PER_MINUTE)  # ceil: a session opening at or after `after`
    table = _table()
    if table.open[0] <= minute <= table.open[-1]:
        return pd.Timestamp(np.datetime64(int(table.day[np.searchsorted(table.open, minute)]), "D"))
    first = int(_rule_day(np.array([ns], dtype=np.int64))[0]) - 1
    days = 14
    while True:
        found = _library(first, first + days)
        later = np.flatnonzero(found.open >= minute)
        if later.size:
            return pd.Timestamp(np.datetime64(int(found.day[later[0]]), "D"))
        days *= 2


def within_session(times: Times, step: int = 1) -> np.ndarray:
    """Whether each bar follows the one before it within a session.

    Parameters
    ----------
    times : pandas.Series, pandas.DatetimeIndex or numpy.ndarray
        Sorted tz-aware bar times, or int64 UTC epoch nanoseconds.
    step : int, default 1
        The times are every ``step``-th bar: neighbours up to ``step`` breaks apart are within.

    Returns
    -------
    numpy.ndarray of bool
        Same length as ``times``; False for the first bar and for each bar more than
        ``step *`` :data:`SESSION_BREAK` after the one before (no return across a break).

    Examples
    --------
    >>> within_session(pd.DatetimeIndex(["2019-09-03 16:58", "2019-09-03 16:59", "2019-09-03 18:00"],
    ...                                 tz=TIMEZONE)).tolist()  # 16:59 -> 18:00 is over an hour
    [False, True, False]
    """
    ns = _utc_ns(times)
    return np.concatenate([np.zeros(min(ns.size, 1), dtype=bool), np.diff(ns) <= SESSION_BREAK.value * step])


def number_sessions(times: Times) -> np.ndarray:
    """Number the sessions of sorted bar times from 0, from the gaps between them.

    A gap over :data:`SESSION_BREAK` starts a new session unless the session so
    far and the bars up to the next such gap span less than
    :data:`SESSION_MAX_HOURS`: then the gap was a halt inside one session. Works
    on files of any hours (regular-hours only, full Globex, other exchanges).

    Parameters
    ----------
    times : pandas.Series, pandas.DatetimeIndex or numpy.ndarray
        Sorted tz-aware times, or int64 UTC epoch nanoseconds.

    Returns
    -------
    numpy.ndarray of int64

    Examples
    --------
    >>> rth = pd.DatetimeIndex(["2019-09-03 09:30", "2019-09-03 15:59", "2019-09-04 09:30", "2019-09-04 15:59"],
    ...                        tz=TIMEZONE)
    >>> number_sessions(rth).tolist()
    [0, 0, 1, 1]
    """
    ns = _utc_ns(times)
    starts = np.flatnonzero(np.diff(ns) > SESSION_BREAK.value) + 1
    last = np.append(starts[1:], len(ns)) - 1  # last bar before the following gap
    new = np.zeros(len(ns), dtype=np.int64)
    session_start = ns[0] if len(ns) else 0
    for start, end in zip(starts, last, strict=False):  # no gap: nothing to loop over
        if ns[end] - session_start >= SESSION_MAX_HOURS * 3_600_000_000_000:
            new[start] = 1
            session_start = ns[start]
    return np.cumsum(new)
