"""State drivers the scenario policy layers over a fitted one: drawn starting states, cancelled drift."""

from __future__ import annotations

import numpy as np

__all__ = ["DriftlessDriver", "StartStates"]


class StartStates:
    """Draws each path's starting state from ``probabilities`` (``MarketState`` order) with the path's own
    stream, then lets ``base`` plan the path from it: uncertainty about the state now reaches the paths."""

    def __init__(self, base, probabilities: np.ndarray) -> None:
        self.base = base
        self.cumulative = np.cumsum(probabilities) / np.sum(probabilities)

    def plan_day(self, start, n_minutes, rng, previous_state):
        first = int(min(np.searchsorted(self.cumulative, rng.random(), side="right"), len(self.cumulative) - 1))
        return self.base.plan_day(start, n_minutes, rng, first)


class DriftlessDriver:
    """Plans states with ``base`` and cancels each state's drift through the modifiers' bias."""

    def __init__(self, base, trend_strength: float) -> None:
        from fracfire.physics import STATE_CONFIGS, MarketState

        up = np.array([STATE_CONFIGS[s].up_probability for s in MarketState])
        self.base = base
        self.bias = -trend_strength * np.log(up / (1.0 - up)) / 4.0

    def plan_day(self, start, n_minutes, rng, previous_state):
        from fracfire.physics.driver import DayPlan
        from fracfire.physics.schedule import Modifiers

        plan = self.base.plan_day(start, n_minutes, rng, previous_state)
        bias = self.bias[plan.states % len(self.bias)]
        return DayPlan(
            plan.states, Modifiers(np.ones(n_minutes), bias, np.zeros(n_minutes)), plan.labels, plan.macro_regime
        )
