"""Reading and writing bars files (Parquet or CSV), atomically."""

from __future__ import annotations

import gzip
import io
import os
from pathlib import Path

import numpy as np
import pandas as pd

from fracfire._atomic import atomic_path
from fracfire.schema import TIMEZONE

__all__ = ["BAR_FILE_SUFFIXES", "bars_file_kind", "read_bars", "to_backtesting_py", "write_bars"]

BAR_FILE_SUFFIXES = (".parquet", ".csv", ".csv.gz")
_CATEGORIES = ("state", "session", "macro_regime", "day_state", "hour_state")


def bars_file_kind(path: str | os.PathLike) -> str:
    """Return the bars-file suffix of ``path`` (``.parquet``, ``.csv`` or ``.csv.gz``).

    Raises ``ValueError`` for any other suffix, so callers can check an
    output path before doing any work.
    """
    name = Path(path).name.lower()
    for suffix in BAR_FILE_SUFFIXES:
        if name.endswith(suffix):
            return suffix
    raise ValueError(f"bars file {str(path)!r} must end with one of {list(BAR_FILE_SUFFIXES)}")


def write_bars(df: pd.DataFrame, path: str | os.PathLike) -> Path:
    """Write bars to Parquet or CSV (by suffix), atomically.

    Parameters
    ----------
    df : pandas.DataFrame
        Bars in the :mod:`fracfire.schema` schema.
    path : str or PathLike
        Target ending in ``.parquet``, ``.csv`` or ``.csv.gz``; parent folders
        are created.

    Returns
    -------
    pathlib.Path
        The written path.

    Notes
    -----
    Writing is deterministic: the same bars give the same bytes in every format
    (the gzip header carries no file name or time).
    """
    path = Path(path)
    kind = bars_file_kind(path)
    df = df.copy(deep=False)
    df.attrs = {}  # e.g. a loader's ValidationReport: metadata, not data
    with atomic_path(path) as tmp:
        if kind == ".parquet":
            df.to_parquet(tmp, index=False)
        elif kind == ".csv":
            df.to_csv(tmp, index=False)
        else:  # no name or time in the gzip header: the same bars give the same bytes
            with (
                open(tmp, "wb") as raw,
                gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as packed,
                io.TextIOWrapper(packed, encoding="utf-8", newline="") as text,
            ):
                df.to_csv(text, index=False)
    return path


def read_bars(path: str | os.PathLike) -> pd.DataFrame:
    """Read a bars file and check it at the one validation boundary.

    A file written by :func:`write_bars` (every schema column present) comes
    back as written: ``time`` tz-aware in America/New_York, label columns as
    categories, then :func:`~fracfire.schema.check_bars` (day by day when a
    ``day_id`` column holds independent days, as in an archetype library). Any
    other bars file (a broker export, a real sample) goes through
    :func:`~fracfire.data.real.load_continuous_contract`, which reads its
    column spellings and time formats and gives it the schema.

    Raises
    ------
    FileNotFoundError
        No such file.
    ValueError
        Unreadable file, unparsable or implausible times, or bars that break the
        schema (:class:`~fracfire.exceptions.BarsValidationError` names the
        rule and the first offending rows).
    """
    from fracfire.data.real import load_continuous_contract, read_table
    from fracfire.data.times import parse_times
    from fracfire.schema import BAR_COLUMNS, check_bars

    path = Path(path)
    bars_file_kind(path)
    df = read_table(path)
    older = set(BAR_COLUMNS) - set(df.columns) == {"session_id"}  # written before session_id existed
    if not older and not set(BAR_COLUMNS) <= set(df.columns):
        return load_continuous_contract(path)
    if not isinstance(df["time"].dtype, pd.DatetimeTZDtype):
        df["time"] = parse_times(df["time"], path)
    df["time"] = df["time"].dt.tz_convert(TIMEZONE).dt.as_unit("ns")
    if older:
        df.insert(df.columns.get_loc("segment_id"), "session_id", _session_ids(df))
    for column in _CATEGORIES:
        if column in df.columns and not isinstance(df[column].dtype, pd.CategoricalDtype):
            df[column] = df[column].astype("category")
    try:
        if "day_id" in df.columns:
            for _, day in df.groupby("day_id", sort=False):
                check_bars(day)
        else:
            check_bars(df)
    except ValueError as exc:
        raise type(exc)(f"{path}: {exc}") from None
    return df


def _session_ids(df: pd.DataFrame):
    """``session_id`` of a bars file written before the column existed (each day of a library apart)."""
    from fracfire.calendar import number_sessions

    if "day_id" not in df.columns:
        return number_sessions(df["time"])
    out = np.zeros(len(df), dtype=np.int64)
    for rows in df.groupby("day_id", sort=False).indices.values():
        out[rows] = number_sessions(df["time"].iloc[rows])
    return out


def to_backtesting_py(bars: pd.DataFrame, tz: str | None = None) -> pd.DataFrame:
    """Bars in backtesting.py's format: ``Open/High/Low/Close/Volume`` on a ``DatetimeIndex``.

    Parameters
    ----------
    bars : pandas.DataFrame
        Bars in the FracFire schema (``time`` tz-aware, prices on the tick grid).
    tz : str, optional
        Keep times tz-aware in this zone; by default they are naive New York
        wall-clock times, which backtesting.py's plots show as they are.

    Returns
    -------
    pandas.DataFrame
        A new frame (also what ``load_continuous_contract`` reads back).
    """
    missing = [c for c in ("time", "open", "high", "low", "close", "volume") if c not in bars.columns]
    if missing:
        raise ValueError(f"to_backtesting_py: bars lack column(s) {missing}")
    time = pd.DatetimeIndex(bars["time"])
    index = time.tz_convert(tz) if tz else time.tz_localize(None)
    return pd.DataFrame(
        {
            "Open": bars["open"].to_numpy(),
            "High": bars["high"].to_numpy(),
            "Low": bars["low"].to_numpy(),
            "Close": bars["close"].to_numpy(),
            "Volume": bars["volume"].to_numpy(),
        },
        index=index.rename("time"),
    )
