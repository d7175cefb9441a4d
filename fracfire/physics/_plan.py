"""Minute states of a run: the built-in/custom state registry, state sequences,
automatic transitions and driver plans (:func:`minute_states`), and each day's
macro-regime label (pure numpy plus the Markov kernel; randomness passed in)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from fracfire._validation import check_int
from fracfire.physics._kernels import markov_states
from fracfire.physics.schedule import switch_prob
from fracfire.physics.states import STATE_CONFIGS, MarketState, StateConfig

if TYPE_CHECKING:
    from fracfire.physics.driver import DayPlan, StateDriver
    from fracfire.physics.layout import DayLayout
    from fracfire.physics.schedule import Clock

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
                f"state_sequence minute_offset {offset} is not on a segment boundary (segment_length={segment_length})"
            )
        seen.add(offset)
        marks[offset] = registry.code(state, f"state_sequence entry at minute {offset}")
    index = np.where(marks >= 0, np.arange(MAX_OFFSET), -1)
    index = np.maximum.accumulate(index)
    return np.where(index >= 0, marks[np.maximum(index, 0)], -1)


def minute_states(
    layout: DayLayout,
    clock: Clock,
    template: np.ndarray | None,
    auto: bool,
    segment_length: int | None,
    driver: StateDriver | None,
    rngs: Sequence[np.random.Generator],
    u_switch: np.ndarray,
    current: int,
    n_states: int,
    independent: bool = False,
) -> tuple[np.ndarray, list[DayPlan]]:
    """State code of every minute of ``layout``, and the driver's plans.

    In order of precedence: the ``driver`` plans each day from the previous
    day's last state (``independent`` days, scenario paths, all start from
    ``current``); a state-sequence ``template`` holds each state until the
    next mark; ``auto`` switches at random (the session's switch probability
    times each state's exit rate, drawn with ``u_switch``); otherwise the
    ``current`` state holds throughout. ``n_states`` counts the registry's
    states (custom ones exit at rate 1).
    """
    n = len(layout.utc_ns)
    position = layout.position()
    plans: list[DayPlan] = []
    if driver is not None:
        for d, rng in enumerate(rngs):
            length = int(layout.lengths[d])
            plan = driver.plan_day(
                clock.time[layout.starts[d]],
                length,
                rng,
                int(plans[-1].states[-1]) if plans and not independent else current,
            )
            if len(plan.states) != length:
                raise ValueError(f"driver planned {len(plan.states)} minutes for a {length}-minute day")
            plans.append(plan)
        return np.concatenate([p.states for p in plans]).astype(np.int64), plans
    if template is not None:
        marks = template[np.minimum(position, len(template) - 1)]
        index = np.maximum.accumulate(np.where(marks >= 0, np.arange(n), -1))
        return np.where(index >= 0, marks[np.maximum(index, 0)], current), plans
    if auto:
        chance = switch_prob(clock)
        if segment_length:
            chance = np.where(position % segment_length == 0, chance, 0.0)
        exit_rate = np.ones(n_states)
        exit_rate[: len(BUILTIN)] = AUTO_EXIT
        if independent:
            days = [slice(int(a), int(a) + int(m)) for a, m in zip(layout.starts, layout.lengths, strict=True)]
            return np.concatenate(
                [
                    markov_states(
                        u_switch[day],
                        chance[day],
                        exit_rate,
                        AUTO_CUM[None, :],
                        np.zeros(day.stop - day.start, np.int64),
                        current,
                    )
                    for day in days
                ]
            ), plans
        return markov_states(u_switch, chance, exit_rate, AUTO_CUM[None, :], np.zeros(n, np.int64), current), plans
    return np.full(n, current, dtype=np.int64), plans


def macro_labels(
    o: np.ndarray,
    h: np.ndarray,
    lo: np.ndarray,
    c: np.ndarray,
    runner: np.ndarray,
    starts: np.ndarray,
    macro_regime: str | None,
) -> list[str]:
    """Each day's ``macro_regime`` label: the one given, or read from its bars (runner days named as such)."""
    if macro_regime is not None:
        return [macro_regime] * len(runner)
    ends = np.append(starts[1:], len(c)) - 1
    net = c[ends] - o[starts]
    span = np.maximum.reduceat(h, starts) - np.minimum.reduceat(lo, starts)
    labels = np.where(
        np.abs(net) > 0.3 * span,
        np.where(net > 0, "UP_DAY", "DOWN_DAY"),
        np.where(span < 0.01 * c[ends], "QUIET_DAY", "CHOP_DAY"),
    )
    labels = np.where(runner > 0, "RUNNER_UP_DAY", np.where(runner < 0, "RUNNER_DOWN_DAY", labels))
    return labels.tolist()
