"""Timestamps of bars files: ISO text with or without offsets, epochs, split date and time columns,
day-first or month-first dates; naive times localised on an exchange clock (DST-aware)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from fracfire.schema import EARLIEST_TIME, LATEST_TIME, TIMEZONE

__all__ = ["join_date_time", "parse_times"]


_UTC_OFFSET = r"(?:Z|[+-]\d{2}:?\d{2})\s*$"


def parse_times(
    values: pd.Series, path: str | os.PathLike, tz: str = TIMEZONE, dayfirst: bool | None = None
) -> pd.Series:
    """Parse a column of bar times to tz-aware America/New_York.

    The rules are those of :func:`~fracfire.data.real.load_continuous_contract`.

    Offsets, naive wall-clock times in ``tz`` (DST policy of the loader), epochs in
    any unit; a ``ValueError`` names the first row that cannot be read or lies
    outside 1980-2100.
    """
    return _parse_time(values, tz, Path(path), dayfirst)


def join_date_time(date: pd.Series, time: pd.Series) -> pd.Series:
    """``Date`` and ``Time`` columns as one text: compact ``20190903`` dates become
    ``2019-09-03`` and compact ``093000`` / ``0930`` times ``09:30:00`` / ``09:30``."""
    d = date.astype("string").str.strip()
    d = d.str.replace(r"^(\d{4})(\d{2})(\d{2})$", r"\1-\2-\3", regex=True)
    t = time.astype("string").str.strip()
    t = t.str.replace(r"^(\d{1,2})(\d{2})(\d{2})$", r"\1:\2:\3", regex=True)
    t = t.str.replace(r"^(\d{1,2})(\d{2})$", r"\1:\2", regex=True)
    return d + " " + t


_SLASH_DATE = r"^\s*(\d{1,2})[/.](\d{1,2})[/.](\d{4})"


_EPOCH_UNITS = ((1e11, "s"), (1e14, "ms"), (1e17, "us"), (np.inf, "ns"))
"""Epoch numbers below each bound are read in that unit (1e11 s is the year 5138)."""


def _slash_order(text: pd.Series, dayfirst: bool | None, path: Path) -> pd.Series:
    """Rewrite ``dd/mm/yyyy`` or ``mm/dd/yyyy`` dates as ISO ``yyyy-mm-dd``.

    With ``dayfirst`` None the order is detected: a first field above 12
    anywhere means day first, a second field above 12 means month first;
    both, or neither (every date ambiguous), is an error asking for
    ``dayfirst``.
    """
    parts = text.str.extract(_SLASH_DATE)
    has = parts[0].notna().to_numpy()
    if not has.any():
        return text
    first = parts[0].where(has, "0").astype(int).to_numpy()
    second = parts[1].where(has, "0").astype(int).to_numpy()
    if dayfirst is None:
        day_first, month_first = bool((first > 12).any()), bool((second > 12).any())
        if day_first and month_first:
            a, b = int(np.flatnonzero(first > 12)[0]), int(np.flatnonzero(second > 12)[0])
            raise ValueError(
                f"{path}: dates mix day-first (row {a}: {text.iloc[a]!r}) and month-first "
                f"(row {b}: {text.iloc[b]!r}) orders"
            )
        if not (day_first or month_first):
            row = int(np.flatnonzero(has)[0])
            raise ValueError(
                f"{path}: cannot tell whether dates like {text.iloc[row]!r} (row {row}) are day-first "
                "or month-first (no field above 12); pass dayfirst=True or False"
            )
        dayfirst = day_first
    day, month = (parts[0], parts[1]) if dayfirst else (parts[1], parts[0])
    iso = parts[2] + "-" + month.str.zfill(2) + "-" + day.str.zfill(2)
    return text.where(~has, iso + text.str.replace(_SLASH_DATE, "", regex=True))


def _parse_time(values: pd.Series, tz: str, path: Path, dayfirst: bool | None = None) -> pd.Series:
    if isinstance(values.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(values):
        if values.isna().any():
            row = int(np.flatnonzero(values.isna().to_numpy())[0])
            raise ValueError(f"{path}: missing timestamp in row {row}")
        if isinstance(values.dtype, pd.DatetimeTZDtype):
            return _plausible(values, values, path).dt.tz_convert(TIMEZONE)
        return _localize(_plausible(values, values, path), tz, path)
    if pd.api.types.is_numeric_dtype(values):
        numbers = values.to_numpy(dtype=np.float64)
        bad = ~np.isfinite(numbers) | (np.abs(numbers) >= 2.0**63)
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise ValueError(
                f"{path}: {'missing' if np.isnan(numbers[row]) else 'impossible'} epoch timestamp "
                f"{_shown(values.iloc[row])} in row {row}"
            )
        unit = next(u for bound, u in _EPOCH_UNITS if float(np.abs(numbers).max()) < bound)
        parsed = pd.to_datetime(values.astype("int64"), unit=unit, utc=True)
        return _plausible(parsed, values, path, f" (read as epoch {unit})").dt.tz_convert(TIMEZONE)
    text = _slash_order(values.astype("string"), dayfirst, path)
    # Offsets may differ across a DST change (-05:00 / -04:00): parse those as UTC instants.
    offset = text.str.contains(_UTC_OFFSET, regex=True, na=False)
    if offset.any() and not offset[text.notna()].all():
        first = int(np.flatnonzero((~offset & text.notna()).to_numpy())[0])
        if pd.isna(pd.to_datetime(text.iloc[first], errors="coerce")):
            raise ValueError(f"{path}: unparsable timestamp {text.iloc[first]!r} in row {first}")
        raise ValueError(
            f"{path}: timestamp {text.iloc[first]!r} in row {first} has no UTC offset but "
            "others have one; expected all timestamps with an offset or all without"
        )
    try:
        parsed = pd.to_datetime(text, errors="coerce", utc=bool(offset.any()), format="mixed")
    except (ValueError, OverflowError, NotImplementedError):  # e.g. OutOfBoundsDatetime: find the row
        parsed = pd.Series([_one_time(v, bool(offset.any())) for v in text], index=text.index)
    bad = parsed.isna() & text.notna()
    if bad.any():
        first = int(np.flatnonzero(bad.to_numpy())[0])
        raise ValueError(
            f"{path}: unparsable timestamp {text.iloc[first]!r} in row {first} (or outside "
            f"{EARLIEST_TIME.year}-{LATEST_TIME.year})"
        )
    if isinstance(parsed.dtype, pd.DatetimeTZDtype):
        return _plausible(parsed, text, path).dt.tz_convert(TIMEZONE)
    return _localize(_plausible(parsed, text, path), tz, path)


def _one_time(value, utc: bool):
    """One timestamp, or NaT when it cannot be read or represented."""
    try:
        return pd.to_datetime(value, utc=utc) if value is not pd.NA else pd.NaT
    except (ValueError, OverflowError, NotImplementedError, TypeError):
        return pd.NaT


def _shown(value) -> str:
    """``repr`` of a cell, numpy scalars as plain numbers."""
    return repr(value.item() if isinstance(value, np.generic) else value)


def _plausible(parsed: pd.Series, raw: pd.Series, path: Path, how: str = "") -> pd.Series:
    """``parsed`` if every time lies in [EARLIEST_TIME, LATEST_TIME); else a ValueError naming the first row."""
    naive = parsed.dt.tz_convert(None) if isinstance(parsed.dtype, pd.DatetimeTZDtype) else parsed
    outside = ((naive < EARLIEST_TIME) | (naive >= LATEST_TIME)).to_numpy()
    if outside.any():
        row = int(np.flatnonzero(outside)[0])
        raise ValueError(
            f"{path}: timestamp {_shown(raw.iloc[row])} in row {row} is {parsed.iloc[row]}{how}; "
            f"expected times from {EARLIEST_TIME.year} to {LATEST_TIME.year}"
        )
    return parsed


def _localize(naive: pd.Series, tz: str, path: Path) -> pd.Series:
    """Naive wall-clock times in ``tz``. Policy at DST changes: a time the spring change
    skips is an error; the hour the autumn change repeats is resolved from the row
    order (first pass daylight time, second standard time), and is an error when the
    order cannot tell."""
    local = naive.dt.tz_localize(tz, ambiguous="NaT", nonexistent="NaT")
    lost = local.isna() & naive.notna()
    if not lost.any():
        return local.dt.tz_convert(TIMEZONE)
    skipped = naive.dt.tz_localize(tz, ambiguous=np.zeros(len(naive), dtype=bool), nonexistent="NaT").isna() & lost
    if skipped.any():
        row = int(np.flatnonzero(skipped.to_numpy())[0])
        raise ValueError(
            f"{path}: timestamp {str(naive.iloc[row])!r} in row {row} does not exist in {tz} "
            "(skipped by the spring DST change); write times with a UTC offset"
        )
    try:
        local = naive.dt.tz_localize(tz, ambiguous="infer")
    except Exception:  # noqa: BLE001 - the order of the rows cannot resolve the repeated hour
        row = int(np.flatnonzero(lost.to_numpy())[0])
        raise ValueError(
            f"{path}: timestamp {str(naive.iloc[row])!r} in row {row} falls in the hour the autumn "
            f"DST change repeats in {tz} and the row order cannot tell which pass it is; write "
            "times with a UTC offset"
        ) from None
    return local.dt.tz_convert(TIMEZONE)
