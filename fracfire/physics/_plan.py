"""Minute states of a run: the built-in/custom state registry, state sequences and
automatic transitions (pure numpy plus the Markov kernel; randomness passed in)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from fracfire._validation import check_int
from fracfire.physics.states import STATE_CONFIGS, MarketState, StateConfig

__all__ = ["AUTO_EXIT_RATES", "AUTO_TRANSITION_WEIGHTS", "StateLike"]

MAX_OFFSET = 1500
"""Largest minute offset of a state sequence (the longest wall-clock day, when clocks fall back)."""

AUTO_TRANSITION_WEIGHTS: dict[MarketState, float] = {
    MarketState.RANGING: 0.305,
    MarketState.FLAT: 0.15,
    MarketState.ZOMBIE: 0.15,
    MarketState.RALLY: 0.09,
    MarketState.IMPULSIVE: 0.09,
    MarketState.BREAKDOWN: 0.155,
    MarketState.BREAKOUT: 0.06,
}
"""Probabilities of the state drawn when an automatic transition fires.

Breakdowns are drawn more often than breakouts so that their expected drift
balances that of rallies, breakouts and zombie grinds (up moves grind, down
moves are sharp): the default auto-transition walk has no built-in trend.
"""

AUTO_EXIT_RATES: dict[MarketState, float] = {
    MarketState.RANGING: 1.0,
    MarketState.FLAT: 1.0,
    MarketState.ZOMBIE: 1.0,
    MarketState.RALLY: 4.0,
    MarketState.IMPULSIVE: 4.0,
    MarketState.BREAKDOWN: 4.0,
    MarketState.BREAKOUT: 4.0,
}
"""Multipliers of the session's switch probability while in each state.

Directional and impulsive states move several points a minute, so they are
short-lived bursts (a few minutes in regular hours); calm states last tens
of minutes. Custom states carried into automatic mode use 1.
"""

StateLike = MarketState | StateConfig

BUILTIN = tuple(MarketState)
AUTO_CUM = np.cumsum([AUTO_TRANSITION_WEIGHTS[s] for s in BUILTIN])
AUTO_EXIT = np.array([AUTO_EXIT_RATES[s] for s in BUILTIN])

def state_config(state: StateLike, where: str) -> StateConfig:
    if isinstance(state, MarketState):
        return STATE_CONFIGS[state]
    if isinstance(state, StateConfig):
        return state
    raise TypeError(f"{where} must be a MarketState or StateConfig; got {state!r}")


class Registry:
    """State codes of one run: built-ins first, then custom configs by name."""

    def __init__(self) -> None:
        self.configs = [STATE_CONFIGS[s] for s in BUILTIN]
        self.names = [s.value for s in BUILTIN]

    def code(self, state: StateLike, where: str) -> int:
        if isinstance(state, MarketState):
            return BUILTIN.index(state)
        config = state_config(state, where)
        if config.name in self.names:
            index = self.names.index(config.name)
            if self.configs[index] != config:
                kind = "a built-in state" if index < len(BUILTIN) else "another custom state"
                raise ValueError(
                    f"{where}: custom StateConfig name {config.name!r} is already used by {kind} "
                    "with different parameters; give it a unique name"
                )
            return index
        self.configs.append(config)
        self.names.append(config.name)
        return len(self.configs) - 1


def template(
    state_sequence: Sequence[tuple[int, StateLike]] | None,
    registry: Registry,
    segment_length: int | None,
) -> np.ndarray | None:
    """Per-minute state codes of one day (-1 = carry the previous state)."""
    if state_sequence is None:
        return None
    if isinstance(state_sequence, (str, bytes)) or not isinstance(state_sequence, Sequence):
        raise TypeError(
            "state_sequence must be a list of (minute_offset, MarketState | StateConfig); "
            f"got {type(state_sequence).__name__}"
        )
    if len(state_sequence) == 0:
        raise ValueError("state_sequence is empty; pass None for automatic states")
    marks = np.full(MAX_OFFSET, -1, dtype=np.int64)
    seen: set[int] = set()
    for item in state_sequence:
        if not isinstance(item, tuple) or len(item) != 2:
            raise TypeError(f"state_sequence items must be (minute_offset, state) tuples; got {item!r}")
        offset, state = item
        offset = check_int("state_sequence minute_offset", offset, low=0, high=MAX_OFFSET - 1)
        if offset in seen:
            raise ValueError(f"state_sequence has minute_offset {offset} more than once")
        if segment_length and offset % segment_length:
            raise ValueError(
                f"state_sequence minute_offset {offset} is not on a segment boundary "
                f"(segment_length={segment_length})"
            )
        seen.add(offset)
        marks[offset] = registry.code(state, f"state_sequence entry at minute {offset}")
    index = np.where(marks >= 0, np.arange(MAX_OFFSET), -1)
    index = np.maximum.accumulate(index)
    return np.where(index >= 0, marks[np.maximum(index, 0)], -1)


