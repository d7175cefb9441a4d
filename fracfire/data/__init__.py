"""Data layer: bars files, real-data loaders, synthetic datasets and features."""

from fracfire.data.io import BAR_FILE_SUFFIXES, bars_file_kind, read_bars, write_bars
from fracfire.data.resample import resample_bars, timeframe_minutes

__all__ = [
    "BAR_FILE_SUFFIXES",
    "bars_file_kind",
    "read_bars",
    "resample_bars",
    "timeframe_minutes",
    "write_bars",
]
