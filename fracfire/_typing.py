"""Type aliases of the public API's annotations (one definition of each kind of argument)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any, TypeAlias

import numpy as np
import pandas as pd

__all__ = ["DateLike", "Features", "Horizons", "Labels", "Progress", "SeedLike", "Times"]

Times: TypeAlias = pd.Series | pd.DatetimeIndex | np.ndarray
"""Tz-aware times (a Series or DatetimeIndex), or int64 UTC epoch nanoseconds."""
DateLike: TypeAlias = str | dt.date | pd.Timestamp | np.datetime64
"""A date or time: ``"2019-09-03"``, ``"2019-09-03 09:30"``, a ``datetime``, a Timestamp."""
SeedLike: TypeAlias = int | np.random.Generator | np.random.SeedSequence | None
"""What a random stream is made from (None: fresh entropy)."""
Progress: TypeAlias = Callable[..., Any]
"""A progress callback (``done, total`` and optionally a figure); its return value is ignored."""
Features: TypeAlias = pd.DataFrame | np.ndarray
"""Feature rows (a DataFrame from :func:`~fracfire.data.features.extract_features`, or an array)."""
Labels: TypeAlias = pd.Series | np.ndarray | Sequence[str]
"""One label per row."""
Horizons: TypeAlias = Sequence[int]
"""Forecast horizons in bars."""
