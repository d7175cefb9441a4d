"""Tilts: how anything outside the engine leans on the per-minute physics.

The generator stays pure physics. A model that has learned something about
the market (a volatility forecast, a drift, which states are likely next)
expresses it as a :class:`Tilt`, per-minute arrays that a
:class:`TiltDriver` hands to the engine through the driver protocol
(:class:`~fracfire.physics.DayPlan` and its
:class:`~fracfire.physics.schedule.Modifiers`). The kernels never see a
model, and the determinism contract holds: the same seed and the same tilt
give the same bytes.

What each array does, minute by minute (see ``docs/generator.md``):

* ``volatility`` multiplies the minute's volatility (the seasonal, state
  and driver factors), so ranges, print rates and volume follow it;
* ``drift`` shifts the minute's up share: a drift of ``4 * drift * 0.6``
  standard deviations per minute, the drift that moves a close-up
  probability of one half by ``drift``;
* ``switch`` (optional) is the probability that the state changes at that
  minute, and ``states`` (optional, one row per minute) the probabilities of
  the state it changes to, in ``MarketState`` order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from fracfire.physics.driver import DayPlan, StateDriver
from fracfire.physics.schedule import Modifiers
from fracfire.physics.states import MarketState

__all__ = ["MAX_TILT_DRIFT", "Tilt", "TiltDriver"]

MAX_TILT_DRIFT = 0.5
"""Largest ``|drift|``: a shift of the up share by one half makes every move go one way."""
_N_STATES = len(MarketState)


def _array(name: str, values, length: int | None, low: float, high: float) -> np.ndarray:
    array = np.array(values, dtype=np.float64, copy=True)
    if array.ndim != 1:
        raise ValueError(f"Tilt.{name} must be one value per minute (1-D); got shape {array.shape}")
    if length is not None and len(array) != length:
        raise ValueError(f"Tilt.{name} has {len(array)} minutes; the other arrays have {length}")
    bad = ~np.isfinite(array) | (array < low) | (array > high)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"Tilt.{name}[{i}] is {float(array[i])!r}; it must be finite and in [{low}, {high}]")
    array.setflags(write=False)
    return array


@dataclass(frozen=True)
class Tilt:
    """Per-minute leanings on the physics, validated once.

    Parameters
    ----------
    volatility : array-like of float
        Volatility multiplier of each minute, in (0, 100].
    drift : array-like of float, optional
        Shift of each minute's up share, in [-0.5, 0.5]; zeros when omitted.
    switch : array-like of float, optional
        Probability that the state changes at each minute, in [0, 1]. With
        it, a :class:`TiltDriver` without a base driver draws the states.
    states : array-like of float, shape (n_minutes, 7), optional
        Probabilities of the state switched to at each minute (rows sum to
        1), in ``MarketState`` order; uniform over the seven states when
        omitted.

    Examples
    --------
    >>> tilt = Tilt.constant(390, volatility=1.5)
    >>> tilt.volatility[:2]
    array([1.5, 1.5])
    """

    volatility: np.ndarray
    drift: np.ndarray | None = None
    switch: np.ndarray | None = None
    states: np.ndarray | None = None

    def __post_init__(self) -> None:
        vol = _array("volatility", self.volatility, None, 0.0, 100.0)
        if (vol <= 0).any():
            i = int(np.flatnonzero(vol <= 0)[0])
            raise ValueError(f"Tilt.volatility[{i}] is {float(vol[i])!r}; a volatility multiplier must be > 0")
        n = len(vol)
        if n == 0:
            raise ValueError("Tilt.volatility is empty; a tilt covers at least one minute")
        object.__setattr__(self, "volatility", vol)
        drift = np.zeros(n) if self.drift is None else self.drift
        object.__setattr__(self, "drift", _array("drift", drift, n, -MAX_TILT_DRIFT, MAX_TILT_DRIFT))
        if self.switch is not None:
            object.__setattr__(self, "switch", _array("switch", self.switch, n, 0.0, 1.0))
        if self.states is not None:
            if self.switch is None:
                raise ValueError("Tilt.states needs Tilt.switch: they are the states a switch goes to")
            states = np.array(self.states, dtype=np.float64, copy=True)
            if states.shape != (n, _N_STATES):
                raise ValueError(
                    f"Tilt.states must have shape ({n}, {_N_STATES}) (minutes x MarketState); got {states.shape}"
                )
            sums = states.sum(axis=1)
            bad = ~np.isfinite(states).all(axis=1) | (states < 0).any(axis=1) | (np.abs(sums - 1) > 1e-6)
            if bad.any():
                i = int(np.flatnonzero(bad)[0])
                raise ValueError(
                    f"Tilt.states row {i} must be probabilities summing to 1; got "
                    f"{np.round(states[i], 4).tolist()} (sum {sums[i]:.6g})"
                )
            states.setflags(write=False)
            object.__setattr__(self, "states", states)

    def __len__(self) -> int:
        return len(self.volatility)

    @classmethod
    def constant(cls, n_minutes: int, volatility: float = 1.0, drift: float = 0.0) -> "Tilt":
        """The same tilt for ``n_minutes`` minutes."""
        return cls(np.full(int(n_minutes), float(volatility)), np.full(int(n_minutes), float(drift)))

    def modifiers(self, offset: int, n_minutes: int) -> Modifiers:
        """The engine's :class:`Modifiers` for ``n_minutes`` minutes from ``offset``."""
        self._check_span(offset, n_minutes)
        span = slice(offset, offset + n_minutes)
        drift = self.drift if self.drift is not None else np.zeros(len(self.volatility))  # set in __post_init__
        return Modifiers(self.volatility[span].copy(), drift[span].copy(), np.zeros(n_minutes))

    def _check_span(self, offset: int, n_minutes: int) -> None:
        if offset + n_minutes > len(self):
            raise ValueError(
                f"the tilt covers {len(self)} minutes, but minutes {offset}..{offset + n_minutes - 1} "
                "were asked for; give one value per generated minute"
            )


def _switch_states(tilt: Tilt, n_minutes: int, rng: np.random.Generator, current: int) -> np.ndarray:
    """States drawn from the tilt's switch probabilities (one uniform per minute)."""
    from fracfire.physics._kernels import markov_states

    if tilt.states is None:
        cum = np.cumsum(np.full((1, _N_STATES), 1.0 / _N_STATES), axis=1)
        rows = np.zeros(n_minutes, dtype=np.int64)
    else:
        cum = np.cumsum(tilt.states[:n_minutes], axis=1)
        rows = np.arange(n_minutes, dtype=np.int64)
    exit_rate = np.ones(max(_N_STATES, int(current) + 1))
    assert tilt.switch is not None  # the caller draws states only for tilts with switches
    return markov_states(rng.random(n_minutes), tilt.switch[:n_minutes].copy(), exit_rate, cum, rows, int(current))


class TiltDriver:
    """A :class:`~fracfire.physics.StateDriver` that applies a :class:`Tilt`.

    Parameters
    ----------
    tilt : Tilt
        One value per generated minute of a day (or of a scenario path):
        every day planned by this driver reads the tilt from its first minute.
    base : StateDriver, optional
        Decides the minute states (e.g. a fitted
        :class:`~fracfire.physics.MarkovStateDriver`); the tilt's volatility
        and drift multiply and add to its modifiers. Without it the states
        come from ``tilt.switch``/``tilt.states``, or stay in the state in
        force when the tilt has no switch probabilities.

    Examples
    --------
    >>> from fracfire import PriceGenerator
    >>> gen = PriceGenerator(initial_price=3000.0, seed=1)
    >>> calm = gen.generate_paths("2019-09-27 11:00", 3, driver=TiltDriver(Tilt.constant(400, 0.5)))
    >>> calm["scenario"].nunique()
    3
    """

    def __init__(self, tilt: Tilt, base: StateDriver | None = None) -> None:
        if not isinstance(tilt, Tilt):
            raise TypeError(f"tilt must be a Tilt; got {type(tilt).__name__}")
        if base is not None and not isinstance(base, StateDriver):
            raise TypeError(f"base must be a StateDriver (have plan_day); got {base!r}")
        self.tilt = tilt
        self.base = base

    def plan_day(self, start: pd.Timestamp, n_minutes: int, rng: np.random.Generator, previous_state: int) -> DayPlan:
        """Plan one day (or path): states from the base driver or the tilt, modifiers from the tilt."""
        tilt = self.tilt
        tilt._check_span(0, n_minutes)
        modifiers = tilt.modifiers(0, n_minutes)
        if self.base is not None:
            plan = self.base.plan_day(start, n_minutes, rng, previous_state)
            if plan.modifiers is not None:
                modifiers = Modifiers(
                    plan.modifiers.volatility * modifiers.volatility,
                    np.clip(plan.modifiers.bias + modifiers.bias, -MAX_TILT_DRIFT, MAX_TILT_DRIFT),
                    plan.modifiers.mean_reversion,
                )
            return DayPlan(plan.states, modifiers, plan.labels, plan.macro_regime)
        if tilt.switch is not None:
            states = _switch_states(tilt, n_minutes, rng, previous_state)
        else:
            states = np.full(n_minutes, int(previous_state), dtype=np.int64)
        return DayPlan(states, modifiers)
