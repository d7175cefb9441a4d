"""The contract between the generator and whatever decides *when* states change."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np
import pandas as pd

from fracfire.physics.schedule import Modifiers

__all__ = ["DayPlan", "StateDriver"]


@dataclass(frozen=True)
class DayPlan:
    """What a driver decided for one day.

    Attributes
    ----------
    states : numpy.ndarray of int
        Minute state of every minute, as an index into ``tuple(MarketState)``.
    modifiers : Modifiers, optional
        Per-minute volatility, bias and mean-reversion adjustments.
    labels : dict of str -> numpy.ndarray
        Extra per-minute label columns (e.g. ``day_state``, ``hour_state``).
    macro_regime : str, optional
        The day's ``macro_regime`` label (inferred from the bars when None).
    """

    states: np.ndarray
    modifiers: Modifiers | None = None
    labels: dict = field(default_factory=dict)
    macro_regime: str | None = None


@runtime_checkable
class StateDriver(Protocol):
    """Anything with ``plan_day`` can drive :meth:`PriceGenerator.generate_day` (``driver=``).

    ``plan_day(start, n_minutes, rng, previous_state)`` receives the day's first
    minute (tz-aware), its length, the day's own random stream (so output
    does not depend on how days are split across calls or workers) and the
    state code in force before the day; it returns a :class:`DayPlan`.
    """

    def plan_day(
        self, start: pd.Timestamp, n_minutes: int, rng: np.random.Generator, previous_state: int
    ) -> DayPlan: ...
