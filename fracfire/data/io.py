"""Reading and writing bars files (Parquet or CSV), atomically."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from fracfire._atomic import atomic_path
from fracfire.schema import TIMEZONE

__all__ = ["BAR_FILE_SUFFIXES", "bars_file_kind", "read_bars", "write_bars"]

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
    raise ValueError(
        f"bars file {str(path)!r} must end with one of {list(BAR_FILE_SUFFIXES)}"
    )


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
    """
    path = Path(path)
    kind = bars_file_kind(path)
    df = df.copy(deep=False)
    df.attrs = {}  # e.g. a loader's ValidationReport: metadata, not data
    with atomic_path(path) as tmp:
        if kind == ".parquet":
            df.to_parquet(tmp, index=False)
        else:
            df.to_csv(tmp, index=False, compression="gzip" if kind == ".csv.gz" else None)
    return path


def read_bars(path: str | os.PathLike) -> pd.DataFrame:
    """Read bars written by :func:`write_bars`, restoring dtypes.

    ``time`` comes back tz-aware in America/New_York and label columns as
    categories.
    """
    path = Path(path)
    kind = bars_file_kind(path)
    if not path.exists():
        raise FileNotFoundError(f"bars file not found: {path}")
    if kind == ".parquet":
        df = pd.read_parquet(path)
    else:
        df = pd.read_csv(path)
        df["time"] = pd.to_datetime(df["time"], utc=True).dt.tz_convert(TIMEZONE)
        for column in _CATEGORIES:
            if column in df.columns:
                df[column] = df[column].astype("category")
    df["time"] = df["time"].dt.tz_convert(TIMEZONE).dt.as_unit("ns")
    return df
