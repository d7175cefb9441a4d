"""The Globex session table behind :mod:`fracfire.calendar`: the shipped file, read once, and the library
fallback for dates outside it (see the calendar's module notes)."""

from __future__ import annotations

import datetime as _dt
import functools
import importlib.resources
from typing import NamedTuple

import numpy as np
import pandas as pd

GLOBEX_CALENDAR = "CME_Equity"
"""The ``pandas_market_calendars`` calendar of CME Globex equity-index futures."""

# The shipped table covers sessions whose trading date lies in this range (inclusive).
_TABLE_FILE = "globex_sessions.csv.gz"
_TABLE_FIRST = _dt.date(2000, 1, 1)
_TABLE_LAST = _dt.date(2035, 12, 31)
_EPOCH = _dt.date(1970, 1, 1)
_TABLE_FIRST_DAY = (_TABLE_FIRST - _EPOCH).days
_TABLE_LAST_DAY = (_TABLE_LAST - _EPOCH).days


class _Sessions(NamedTuple):
    """Sessions as parallel int64 arrays: trading day number and UTC epoch minutes.

    A session without a break has ``break_start == break_end == close``.
    """

    day: np.ndarray
    open: np.ndarray
    break_start: np.ndarray
    break_end: np.ndarray
    close: np.ndarray

    def take(self, index) -> _Sessions:
        return _Sessions(*(column[index] for column in self))


# ----------------------------------------------------------------------------- table and library


def _from_schedule(schedule: pd.DataFrame) -> _Sessions:
    """Convert a ``pandas_market_calendars`` schedule to :class:`_Sessions`.

    Empty breaks (``break_start == break_end``, as the library reports after the
    halt was removed and on early closes) and breaks outside the session become
    "no break".
    """
    if schedule.empty:
        empty = np.zeros(0, dtype=np.int64)
        return _Sessions(empty, empty, empty, empty, empty)

    def minutes(name: str) -> np.ndarray:
        values = schedule[name].dt.tz_convert(None).to_numpy()
        return values.astype("datetime64[m]").astype(np.int64)

    day = schedule.index.to_numpy().astype("datetime64[D]").astype(np.int64)
    open_, close = minutes("market_open"), minutes("market_close")
    if "break_start" in schedule and "break_end" in schedule:
        start, end = minutes("break_start"), minutes("break_end")
        real = (start < end) & (start >= open_) & (end <= close)
        start, end = np.where(real, start, close), np.where(real, end, close)
    else:
        start, end = close.copy(), close.copy()
    return _Sessions(day, open_, start, end, close)


@functools.cache
def _library_calendar():
    import pandas_market_calendars as pmc

    return pmc.get_calendar(GLOBEX_CALENDAR)


def _library(first_day: int, last_day: int) -> _Sessions:
    """Sessions with trading day numbers in ``[first_day, last_day]``, from the library."""
    first = np.datetime64(int(first_day), "D").astype(str)
    last = np.datetime64(int(last_day), "D").astype(str)
    return _from_schedule(_library_calendar().schedule(start_date=first, end_date=last))


@functools.cache
def _table() -> _Sessions:
    """The shipped session table, read once."""
    resource = importlib.resources.files("fracfire").joinpath("_data", _TABLE_FILE)
    with resource.open("rb") as handle:
        frame = pd.read_csv(handle, compression="gzip", comment="#")
    close = frame["close"].to_numpy(dtype=np.int64)

    def optional(name: str) -> np.ndarray:
        values = frame[name].to_numpy(dtype=np.float64)  # blank -> NaN; minutes fit a float exactly
        return np.where(np.isnan(values), close, values).astype(np.int64)

    day = frame["trading_date"].to_numpy(dtype=str).astype("datetime64[D]").astype(np.int64)
    table = _Sessions(
        day, frame["open"].to_numpy(dtype=np.int64), optional("break_start"), optional("break_end"), close
    )
    for column in table:
        column.flags.writeable = False
    return table


def _span(first_day: int, last_day: int) -> _Sessions:
    """Sessions with trading day numbers in ``[first_day, last_day]``, from the table when it covers them."""
    if _TABLE_FIRST_DAY <= first_day and last_day <= _TABLE_LAST_DAY:
        table = _table()
        lo = np.searchsorted(table.day, first_day, side="left")
        hi = np.searchsorted(table.day, last_day, side="right")
        return table.take(slice(lo, hi))
    return _library(first_day, last_day)


def _first_n(first_day: int, n: int) -> _Sessions:
    """The first ``n`` sessions with trading day number ``>= first_day``."""
    if first_day >= _TABLE_FIRST_DAY:
        table = _table()
        lo = int(np.searchsorted(table.day, first_day, side="left"))
        if lo + n <= len(table.day):
            return table.take(slice(lo, lo + n))
    days = 2 * n + 14  # n sessions need at most ~1.4 n calendar days plus holidays
    while True:
        found = _library(first_day, first_day + days)
        if len(found.day) >= n:
            return found.take(slice(0, n))
        days *= 2
