"""Data layer: bars files, real-data loaders, synthetic datasets and features."""

from fracfire.data.checks import (
    bar_minutes,
    count_sessions,
    require_bar_minutes,
    require_price_changes,
    require_sessions,
)
from fracfire.data.io import BAR_FILE_SUFFIXES, bars_file_kind, read_bars, to_backtesting_py, write_bars
from fracfire.data.real import ValidationReport, load_continuous_contract, validate_bars
from fracfire.data.resample import resample_bars, timeframe_minutes
from fracfire.data.sources import ArchetypeSource, BarSource, LabelledBars, RealFileSource
from fracfire.data.synthetic import (
    ARCHETYPES,
    build_archetypes,
    list_archetypes,
    load_archetypes,
    verify_archetypes,
)

__all__ = [
    "ARCHETYPES",
    "ArchetypeSource",
    "BAR_FILE_SUFFIXES",
    "BarSource",
    "LabelledBars",
    "RealFileSource",
    "ValidationReport",
    "bar_minutes",
    "bars_file_kind",
    "build_archetypes",
    "count_sessions",
    "list_archetypes",
    "load_archetypes",
    "load_continuous_contract",
    "read_bars",
    "to_backtesting_py",
    "require_bar_minutes",
    "require_price_changes",
    "require_sessions",
    "resample_bars",
    "timeframe_minutes",
    "validate_bars",
    "verify_archetypes",
    "write_bars",
]
