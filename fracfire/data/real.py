"""Loading and validating real continuous-contract intraday bars (1-minute, 5-minute, ...)."""

from __future__ import annotations

import json
import os
import warnings
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from pyarrow.lib import ArrowException

from fracfire.calendar import minute_of_day, number_sessions
from fracfire.data.checks import bar_minutes
from fracfire.data.times import join_date_time, parse_times
from fracfire.exceptions import BarsValidationError, FracFireWarning
from fracfire.physics.sessions import Session, session_codes
from fracfire.physics.states import MarketState
from fracfire.schema import (
    MAX_PRICE,
    MAX_VOLUME,
    TICK_SIZE,
    TIMEZONE,
    bad_values,
    bars_frame,
)

__all__ = [
    "COLUMN_SPELLINGS",
    "ValidationReport",
    "load_continuous_contract",
    "parse_times",
    "read_table",
    "validate_bars",
]

COLUMN_SPELLINGS: dict[str, tuple[str, ...]] = {
    "time": ("time", "timestamp", "datetime", "date_time", "ts", "t", "date"),
    "open": ("open", "o", "open_price", "first"),
    "high": ("high", "h", "high_price", "max"),
    "low": ("low", "l", "low_price", "min"),
    "close": ("close", "c", "close_price", "last", "price"),
    "volume": ("volume", "v", "vol", "qty", "size"),
}
"""Accepted column/key spellings (case-insensitive), first match wins. ``volume`` is optional."""

_OPTIONAL = ("volume",)

_OHLC = ["open", "high", "low", "close"]


def _read_raw(path: Path) -> pd.DataFrame:
    name = path.name.lower()
    if name.endswith(".parquet"):
        return pd.read_parquet(path)
    if name.endswith((".csv", ".csv.gz", ".txt")):
        return pd.read_csv(path)
    if name.endswith((".json", ".json.gz")):
        opener = __import__("gzip").open if name.endswith(".gz") else open
        with opener(path, "rt", encoding="utf-8") as handle:
            try:
                data = json.load(handle)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}: not valid JSON ({exc})") from None
        if isinstance(data, dict):
            lists = [
                v
                for k, v in data.items()
                if isinstance(v, list) and k.lower() in ("bars", "data", "candles", "records", "results")
            ]
            if len(lists) != 1:
                raise ValueError(
                    f"{path}: expected a list of bar records, or an object with one of "
                    f"'bars', 'data', 'candles', 'records', 'results'; got keys {list(data)}"
                )
            data = lists[0]
        if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
            raise ValueError(f"{path}: expected a list of bar records (objects)")
        return pd.DataFrame.from_records(data)
    raise ValueError(f"{path}: unsupported file type; use .json, .csv, .csv.gz or .parquet")


def read_table(path: str | os.PathLike, what: str = "bars file") -> pd.DataFrame:
    """Read a JSON, CSV (optionally gzipped) or Parquet table of bars as it is.

    Raises
    ------
    FileNotFoundError
        No such file (the message says ``what`` it is).
    ValueError
        An empty, corrupt or truncated file, or one that is not the format its
        name says: one line naming the file and the reader's complaint.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{what} not found: {path}")
    if path.is_dir():
        raise ValueError(f"{path}: is a folder, not a {what}")
    if path.stat().st_size == 0:
        raise ValueError(f"{path}: the file is empty")
    try:
        raw = _read_raw(path)
    except pd.errors.EmptyDataError:
        raise ValueError(f"{path}: the file is empty") from None
    except (OSError, EOFError, zlib.error, UnicodeDecodeError, pd.errors.ParserError, ArrowException) as exc:
        # corrupt or truncated gzip, binary junk, malformed CSV or Parquet
        raise ValueError(f"{path}: cannot read the file ({type(exc).__name__}: {str(exc).strip()})") from None
    if raw.empty:
        raise ValueError(f"{path}: no bars in the file")
    return raw


def _normalise_columns(raw: pd.DataFrame, path: Path, columns: Mapping[str, str] | None = None) -> pd.DataFrame:
    picked = dict(columns or {})
    unknown = sorted(set(picked) - set(COLUMN_SPELLINGS))
    if unknown:
        raise ValueError(f"columns: unknown bar field(s) {unknown}; expected some of {list(COLUMN_SPELLINGS)}")
    absent = {k: v for k, v in picked.items() if v not in raw.columns}
    if absent:
        raise ValueError(f"{path}: columns= names {absent} but the data has no such column; found {list(raw.columns)}")
    mapped = set(picked.values())
    lower = {str(c).strip().lower(): c for c in raw.columns if c not in mapped}
    # separate date and time columns (NinjaTrader, TradeStation exports)
    if "time" not in picked and {"date", "time"} <= set(lower):
        raw = raw.assign(_dt=join_date_time(raw[lower["date"]], raw[lower["time"]]))
        picked["time"] = "_dt"
    for target, spellings in COLUMN_SPELLINGS.items():
        match = next((lower[s] for s in spellings if s in lower), None)
        if match is not None and target not in picked:
            picked[target] = match
    missing = [c for c in COLUMN_SPELLINGS if c not in picked and c not in _OPTIONAL]
    if missing:
        raise ValueError(
            f"{path}: missing column(s) {missing}; found {list(raw.columns)}. Accepted spellings: "
            + "; ".join(f"{k}: {', '.join(v)}" for k, v in COLUMN_SPELLINGS.items() if k in missing)
        )
    return pd.DataFrame({target: raw[source] for target, source in picked.items()})


@dataclass(frozen=True, eq=False)
class ValidationReport:
    """What :func:`validate_bars` found in raw bars.

    Attributes
    ----------
    rows : int
        Rows checked.
    nan, duplicates, off_grid, ohlc, volume, values : pandas.DataFrame
        Offending rows (with their original position in ``row``) for: missing
        values, repeated timestamps, prices off the 0.25 grid, OHLC order
        violations, non-positive volume (empty without a volume column), and
        values no bar can hold (:func:`fracfire.schema.bad_values`: infinite,
        non-positive or absurd prices, fractional or absurd volumes; the
        ``reason`` column says which).
    unsorted : int
        Rows earlier than the row before them.
    off_minute : pandas.DataFrame
        Rows whose time is not on a whole minute (18:02:30): no bar of a
        minute-based file starts there.
    unsorted_first : str
        The first row earlier than its predecessor, e.g. ``"row 12: 18:02:30 after 18:03:00"``.
    gaps : pandas.DataFrame
        One row per jump of more than one bar: ``after`` (last bar before
        the gap), ``missing_minutes`` (minutes without a bar) and ``session``
        (of the first missing minute). Gaps are reported, not errors:
        markets halt and quiet minutes have no trades.
    repairs : tuple of str
        What a non-strict load changed.
    has_volume : bool
        Whether the bars had a volume column.
    bar_minutes : int or None
        Bar size found by :func:`~fracfire.data.bar_minutes`; None when it
        cannot be measured (too few bars, irregular spacing), in which case
        gaps are counted against one-minute bars.

    Reports compare by identity: pandas compares a frame's ``attrs`` (where
    the loader keeps its report) on ``concat`` and ``nlargest``, and a
    field-by-field comparison of the DataFrames inside has no truth value.
    """

    rows: int
    nan: pd.DataFrame
    duplicates: pd.DataFrame
    unsorted: int
    off_grid: pd.DataFrame
    ohlc: pd.DataFrame
    volume: pd.DataFrame
    gaps: pd.DataFrame
    values: pd.DataFrame = field(default_factory=pd.DataFrame)
    repairs: tuple[str, ...] = field(default=())
    has_volume: bool = True
    bar_minutes: int | None = 1
    off_minute: pd.DataFrame = field(default_factory=pd.DataFrame)
    unsorted_first: str = ""

    @property
    def problems(self) -> dict[str, int]:
        """Count of each error kind (gaps excluded)."""
        return {
            "nan": len(self.nan),
            "duplicates": len(self.duplicates),
            "unsorted": self.unsorted,
            "off_grid": len(self.off_grid),
            "ohlc": len(self.ohlc),
            "volume": len(self.volume),
            "values": len(self.values),
            "off_minute": len(self.off_minute),
        }

    @property
    def ok(self) -> bool:
        """No errors (gaps allowed)."""
        return not any(self.problems.values())

    def gaps_by_session(self) -> pd.Series:
        """Missing minutes per session."""
        if self.gaps.empty:
            return pd.Series(dtype="int64")
        return self.gaps.groupby("session")["missing_minutes"].sum()

    def summary(self) -> str:
        """A few lines a person can read."""
        size = f" of {self.bar_minutes}-minute bars" if self.bar_minutes else ""

        def first(kind: str) -> str:
            if kind == "unsorted":
                return f" (first: {self.unsorted_first})" if self.unsorted_first else ""
            frame = getattr(self, kind, None)
            if not isinstance(frame, pd.DataFrame) or frame.empty:
                return ""
            row = frame.iloc[0]
            return f" (first: row {row['row']}" + (f", {row['reason']})" if kind == "values" else ")")

        lines = [
            f"{self.rows:,} rows{size}; "
            + (
                "no errors"
                if self.ok
                else "errors: " + ", ".join(f"{k} {v}{first(k)}" for k, v in self.problems.items() if v)
            )
        ]
        if not self.has_volume:
            lines.append("no volume column (volume set to 1; volume facts are skipped)")
        if not self.gaps.empty:
            per = ", ".join(f"{k} {v:,}" for k, v in self.gaps_by_session().items())
            lines.append(
                f"{len(self.gaps):,} gaps, {int(self.gaps['missing_minutes'].sum()):,} missing minutes ({per})"
            )
        lines += [f"repaired: {r}" for r in self.repairs]
        return "\n".join(lines)

    def details(self, limit: int = 5) -> str:
        """The first offending rows of each error kind."""
        parts = []
        for name in ("values", "nan", "duplicates", "off_grid", "off_minute", "ohlc", "volume"):
            frame = getattr(self, name)
            if len(frame):
                parts.append(f"{name} ({len(frame)} rows), first:\n{frame.head(limit).to_string()}")
        if self.unsorted:
            parts.append(
                f"unsorted: {self.unsorted} rows earlier than their predecessor (first: {self.unsorted_first})"
            )
        return "\n".join(parts)


def validate_bars(df: pd.DataFrame) -> ValidationReport:
    """Check raw bars (``time, open, high, low, close[, volume]``) for every known defect.

    Parameters
    ----------
    df : pandas.DataFrame
        Bars with tz-aware ``time``; ``volume`` is optional (its checks are
        skipped without it); other columns are ignored.

    Returns
    -------
    ValidationReport
    """
    missing = [c for c in ["time", *_OHLC] if c not in df.columns]
    if missing:
        raise ValueError(
            f"validate_bars: missing columns {missing}; expected time, open, high, low, close "
            f"and optionally volume; got {list(df.columns)}"
        )
    numeric = [*_OHLC, "volume"] if "volume" in df.columns else list(_OHLC)
    frame = df[["time", *numeric]].reset_index(drop=True)
    frame.insert(0, "row", np.arange(len(frame)))
    values = frame[numeric].apply(pd.to_numeric, errors="coerce")
    nan = values.isna().any(axis=1) | frame["time"].isna()
    clean = ~nan
    prices = values[_OHLC].to_numpy(dtype=float)
    vol = values["volume"].to_numpy(dtype=float) if "volume" in numeric else None
    any_bad = bad_values(prices, None if vol is None else np.where(vol > 0, vol, 1.0))[0] & clean.to_numpy()
    reason = np.array(
        [_value_reason(prices[i], None if vol is None else vol[i]) for i in np.flatnonzero(any_bad)], dtype=object
    )
    clean = clean & ~any_bad
    with np.errstate(invalid="ignore", over="ignore"):
        scaled = prices / TICK_SIZE
        off_grid = clean & (np.abs(scaled - np.round(scaled)) > 1e-6).any(axis=1)
    o, h, lo, c = prices.T
    ohlc = clean & ((lo > np.minimum(o, c)) | (h < np.maximum(o, c)) | (lo > h))
    volume = clean & (values["volume"] <= 0) if "volume" in numeric else pd.Series(False, index=frame.index)
    times = frame.loc[clean, "time"]
    dup = frame["time"].duplicated(keep=False) & clean
    back = (times.diff() < pd.Timedelta(0)).to_numpy()
    unsorted = int(back.sum())
    unsorted_first = ""
    if unsorted:
        k = int(np.flatnonzero(back)[0])
        unsorted_first = f"row {frame.loc[times.index[k], 'row']}: {times.iloc[k]} after {times.iloc[k - 1]}"
    seconds = frame["time"].dt
    off_minute = (
        clean & frame["time"].notna() & ((seconds.second != 0) | (seconds.microsecond != 0) | (seconds.nanosecond != 0))
    )
    ordered = times.drop_duplicates().sort_values()
    try:
        size = bar_minutes(ordered.to_frame("time"))
    except ValueError:
        size = None
    bar = pd.Timedelta(minutes=size or 1)
    step = ordered.diff()
    jumps = step > bar
    after = ordered.shift()[jumps]
    first_missing = after + bar
    sessions = [s.value for s in Session]
    gaps = pd.DataFrame(
        {
            "after": after.to_numpy(),
            "missing_minutes": ((step[jumps] - bar) / pd.Timedelta(minutes=1)).astype("int64").to_numpy(),
            "session": [sessions[i] for i in session_codes(minute_of_day(first_missing))],
        }
    )
    return ValidationReport(
        rows=len(frame),
        nan=frame[nan],
        duplicates=frame[dup],
        unsorted=unsorted,
        off_grid=frame[off_grid],
        ohlc=frame[ohlc],
        volume=frame[volume],
        gaps=gaps,
        values=frame[any_bad].assign(reason=reason),
        has_volume="volume" in numeric,
        bar_minutes=size,
        off_minute=frame[off_minute],
        unsorted_first=unsorted_first,
    )


def _value_reason(prices: np.ndarray, volume: float | None) -> str:
    """Name the impossible value of one row, e.g. ``"high=inf (prices must be finite, > 0 and <= 1,000,000)"``."""
    for name, value in zip(_OHLC, prices, strict=True):
        if bad_values(np.array([[value]]))[0][0]:
            return f"{name}={float(value)!r} (prices must be finite, > 0 and <= {MAX_PRICE:,.0f})"
    shown = None if volume is None else float(volume)
    return f"volume={shown!r} (volume must be a whole number <= {MAX_VOLUME:.0e})"


def _repair(frame: pd.DataFrame, report: ValidationReport) -> tuple[pd.DataFrame, list[str]]:
    repairs = []
    if len(report.values):
        frame = frame.drop(index=report.values["row"])
        first = report.values.iloc[0]
        repairs.append(
            f"dropped {len(report.values)} row(s) with impossible values (first: row {first['row']}, {first['reason']})"
        )
    if len(report.nan):
        frame = frame.drop(index=report.nan["row"])
        repairs.append(
            f"dropped {len(report.nan)} row(s) with missing values (rows {report.nan['row'].head(5).tolist()})"
        )
    if len(report.off_minute):
        frame = frame.drop(index=report.off_minute["row"])
        repairs.append(
            f"dropped {len(report.off_minute)} row(s) not on a whole minute (first: row "
            f"{report.off_minute['row'].iloc[0]}, {report.off_minute['time'].iloc[0]})"
        )
    if report.unsorted and not frame["time"].is_monotonic_increasing:
        repairs.append(f"sorted by time ({report.unsorted} row(s) were out of order; first {report.unsorted_first})")
    frame = frame.sort_values("time", kind="stable")
    if len(report.duplicates):
        before = len(frame)
        frame = frame.drop_duplicates("time", keep="last")
        repairs.append(
            f"kept the last of each repeated timestamp (dropped {before - len(frame)} row(s), "
            f"first at {report.duplicates['time'].iloc[0]})"
        )
    if len(report.off_grid):
        frame[_OHLC] = (frame[_OHLC] / TICK_SIZE).round() * TICK_SIZE
        repairs.append(f"rounded {len(report.off_grid)} row(s) of prices to the 0.25 grid")
    if len(report.ohlc):
        hi = frame[_OHLC].max(axis=1)
        lo = frame[_OHLC].min(axis=1)
        frame["high"], frame["low"] = hi, lo
        repairs.append(f"widened high/low to contain open and close in {len(report.ohlc)} row(s)")
    if len(report.volume):
        frame.loc[frame["volume"] <= 0, "volume"] = 1
        repairs.append(f"set non-positive volume to 1 in {len(report.volume)} row(s)")
    return frame, repairs


def load_continuous_contract(
    path: str | os.PathLike | pd.DataFrame,
    strict: bool = True,
    tz: str = TIMEZONE,
    dayfirst: bool | None = None,
    columns: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Load real intraday bars (1-minute, 5-minute, ...) into the engine's bars schema.

    Reads the seed's continuous-contract JSON (a list of bar records, or an
    object holding one under ``bars``/``data``/``candles``), CSV (optionally
    gzipped) or Parquet, or takes a DataFrame already in memory (a
    ``DatetimeIndex`` serves as the time column when there is none, as in
    backtesting.py's or yfinance's frames). Columns are found by the
    spellings in :data:`COLUMN_SPELLINGS`, or named with ``columns``.
    Timestamps with an offset are converted to America/New_York (offsets may
    change across DST); naive ones are taken in ``tz``; epoch numbers are
    UTC, in seconds, milliseconds, microseconds or nanoseconds by magnitude.
    Separate ``Date`` and ``Time`` columns are joined (compact ``20190903`` /
    ``093000`` forms too). Slash dates are read day-first or month-first as
    ``dayfirst`` says, or as the file shows (a field above 12), never guessed
    row by row. Naive times at DST changes: a time the spring change skips is
    an error; the hour the autumn change repeats is resolved from the row
    order (first pass daylight time), and is an error when it cannot be.

    A volume column is optional. The schema needs an int64 ``volume > 0``, so
    a file without one gets ``volume`` 1 on every bar and
    ``df.attrs["has_volume"]`` False: volume statistics of such bars are
    meaningless and consumers (the realism scorecard) skip them.

    Parameters
    ----------
    path : str, PathLike or pandas.DataFrame
        The file, or the bars themselves (not modified).
    strict : bool, default True
        Raise :class:`~fracfire.exceptions.BarsValidationError` listing the
        first offending rows if :func:`validate_bars` finds any error.
        ``False`` repairs what it can (drops rows with missing values, sorts,
        keeps the last of repeated timestamps, rounds to the grid, widens
        high/low, sets non-positive volume to 1), warns with
        :class:`~fracfire.exceptions.FracFireWarning` saying what it did, and
        records it in the report.
    tz : str
        Timezone of naive timestamps.
    dayfirst : bool, optional
        Whether ``dd/mm/yyyy`` (True) or ``mm/dd/yyyy`` (False) slash dates;
        None detects it and raises when the file cannot tell.
    columns : mapping, optional
        Bar field -> the source's column, e.g. ``{"time": "Gmt time", "close":
        "Last"}``, for columns the spellings do not cover; the fields not
        named are still found by spelling.

    Returns
    -------
    pandas.DataFrame
        Bars in the :mod:`fracfire.schema` schema: ``session`` from the engine's
        session clock, ``state`` and ``macro_regime`` empty (NA) until inferred,
        ``session_id`` numbering trading sessions with
        :func:`~fracfire.calendar.number_sessions` (a new one after any gap over
        an hour, unless the bars on both sides fit in one session of at most
        23 hours: a halt such as CME's 2019-02-26 evening outage, not a
        close), ``segment_id`` 0 (one run: real bars have no states), the
        first ``delta_ticks`` measured from the first open.
        ``df.attrs`` holds:

        - ``"validation"``: the :class:`ValidationReport`;
        - ``"has_volume"``: bool, whether the file had a volume column;
        - ``"bar_minutes"``: int, the bar size from
          :func:`~fracfire.data.bar_minutes`, or None when the file is too
          short or irregular to tell (check with
          :func:`~fracfire.data.require_bar_minutes`).

    Examples
    --------
    >>> bars = load_continuous_contract("data/nq_5min_2019.csv.gz")  # doctest: +SKIP
    >>> bars.attrs["has_volume"], bars.attrs["bar_minutes"], bars["session_id"].nunique()  # doctest: +SKIP
    (False, 5, 258)
    """
    if isinstance(path, pd.DataFrame):
        raw, path = _frame_table(path), Path("<DataFrame>")
    else:
        path = Path(path)
        raw = read_table(path, "real data file")
    frame = _normalise_columns(raw, path, columns)
    frame["time"] = parse_times(frame["time"], path, tz, dayfirst)
    stamps = pd.DatetimeIndex(frame["time"].dropna())
    if (
        len(stamps) > 1
        and not stamps.duplicated().all()
        and stamps.duplicated().any()
        and (stamps.hour == 0).all()
        and (stamps.minute == 0).all()
    ):
        raise ValueError(
            f"{path}: the time column holds dates without a time of day ({stamps[0].date()} repeats); "
            "intraday bars need both (separate Date and Time columns are joined when named so)"
        )
    report = validate_bars(frame)
    if not report.ok:
        if strict:
            raise BarsValidationError(
                f"{path}: {report.summary()}\n{report.details()}\n"
                "(fix those rows in the file; in Python, load_continuous_contract(path, strict=False) "
                "repairs what it can and warns with what it did)"
            )
        frame["row"] = np.arange(len(frame))
        frame = frame.set_index("row", drop=False)
        numeric = [*_OHLC, "volume"] if report.has_volume else list(_OHLC)
        frame[numeric] = frame[numeric].apply(pd.to_numeric, errors="coerce")
        frame, repairs = _repair(frame, report)
        report = ValidationReport(**{**report.__dict__, "repairs": tuple(repairs)})
        warnings.warn(FracFireWarning(f"{path}: " + "; ".join(repairs)), stacklevel=2)
    bars = _to_schema(frame.reset_index(drop=True))
    bars.attrs["validation"] = report
    bars.attrs["has_volume"] = report.has_volume
    bars.attrs["bar_minutes"] = report.bar_minutes
    return bars


def _frame_table(frame: pd.DataFrame) -> pd.DataFrame:
    """A caller's DataFrame as a raw table: its ``DatetimeIndex`` becomes a ``time`` column when it has none."""
    if frame.empty:
        raise ValueError("<DataFrame>: no bars in the frame")
    names = {str(c).strip().lower() for c in frame.columns}
    if isinstance(frame.index, pd.DatetimeIndex) and not names & set(COLUMN_SPELLINGS["time"]):
        frame = frame.reset_index(names="time")
    return frame.reset_index(drop=True)


def _to_schema(frame: pd.DataFrame) -> pd.DataFrame:
    ticks = {c: np.rint(frame[c].to_numpy(dtype=float) / TICK_SIZE).astype(np.int64) for c in _OHLC}
    time = pd.DatetimeIndex(frame["time"])
    states = [s.value for s in MarketState]
    labels = {
        "state": pd.Categorical([None] * len(frame), categories=states),
        "session": pd.Categorical.from_codes(
            session_codes(minute_of_day(time)).astype(np.int64), categories=[s.value for s in Session]
        ),
        "session_id": number_sessions(time),
        "segment_id": np.zeros(len(frame), dtype=np.int64),  # no states: one run
        "macro_regime": pd.Categorical([None] * len(frame)),
    }
    if "volume" in frame.columns:
        volume = np.rint(frame["volume"].to_numpy(dtype=float)).astype(np.int64)
    else:  # the schema needs volume > 0; attrs["has_volume"] tells consumers it is a placeholder
        volume = np.ones(len(frame), dtype=np.int64)
    return bars_frame(
        time, ticks["open"], ticks["high"], ticks["low"], ticks["close"], volume, int(ticks["open"][0]), labels
    )
