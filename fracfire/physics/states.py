"""Minute-level market states and their tick physics.

A state is a :class:`StateConfig`: how active and volatile the market is,
which way it drifts, how often price changes continue rather than reverse,
how large jumps are and how strongly price is pulled back to its recent mean. The seven built-in
states live in :data:`STATE_CONFIGS`; any custom :class:`StateConfig` can be
used wherever a :class:`MarketState` is accepted.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import Enum

from fracfire._validation import check_int, check_real

__all__ = ["MarketState", "STATE_CONFIGS", "StateConfig"]


class MarketState(Enum):
    """Built-in minute-level market states (values are the bar labels)."""

    RANGING = "ranging"
    FLAT = "flat"
    ZOMBIE = "zombie"
    RALLY = "rally"
    IMPULSIVE = "impulsive"
    BREAKDOWN = "breakdown"
    BREAKOUT = "breakout"


@dataclass(frozen=True)
class StateConfig:
    """Tick physics of one market state (frozen, validated at construction).

    A state tilts the physics of ``docs/generator.md``; it does not replace
    the microstructure (uncertainty zones, bid/ask prints, multi-scale
    volatility), which every state shares.

    Parameters
    ----------
    name : str
        Label written to the ``state`` column of bars generated in this state.
    avg_ticks_per_bar : float
        Activity of the state relative to RANGING (12): the state's variance
        is ``avg_ticks_per_bar / 12`` times the reference (times the move-size
        factor below), and its trade prints follow its volatility. Must be > 0.
    up_probability : float, default 0.5
        Direction, in [0, 1]: the state's drift is ``trend_strength * 0.6 *
        logit(up_probability)`` standard deviations per minute, so with
        ``trend_strength`` 1 a minute in this state closes up with about this
        probability (RALLY 0.70: about 70 % up minutes); it is also the
        probability that a jump is up.
    trend_persistence : float, default 0.5
        Persistence of price changes, in [0, 1): the uncertainty-zone
        parameter in this state is ``PhysicsConfig.eta * (0.5 +
        trend_persistence)``, so persistent states continue price changes
        more often and choppy states reverse them more often.
    volatility_multiplier : float, default 1.0
        Size of moves: multiplies the state's standard deviation by
        ``(1 + 0.25 * volatility_multiplier) / 1.25``, its jump rate by
        ``volatility_multiplier ** 2`` and its jump sizes by
        ``volatility_multiplier`` (IMPULSIVE: large jumps). Must be > 0.
    max_tick_jump : int, default 4
        Largest change of the traded price, in ticks, in one sub-minute step
        (how fast a sweep can go through the book), >= 1.
    ticks_per_bar_std : float, optional
        Standard deviation of the trade intensity across minutes (gamma
        mixing of the print rate; relative to ``avg_ticks_per_bar``): bursty
        activity. Defaults to half the mean.
    mean_reversion : float, default 0.0
        Strength in [0, 1] of the pull of the efficient price towards its
        15-minute exponential mean (``0.25 * mean_reversion *
        PhysicsConfig.reversion_strength`` per minute): RANGING chops.
    wick_multiplier : float, default 1.0
        Scales ``PhysicsConfig.wick_probability`` (a rate) in this state.
        Must be >= 0.

    Examples
    --------
    >>> flash_crash = StateConfig("flash_crash", avg_ticks_per_bar=40, up_probability=0.1,
    ...                           trend_persistence=0.9, volatility_multiplier=3.0,
    ...                           max_tick_jump=12)
    >>> flash_crash.up_probability
    0.1
    """

    name: str
    avg_ticks_per_bar: float
    up_probability: float = 0.5
    trend_persistence: float = 0.5
    volatility_multiplier: float = 1.0
    max_tick_jump: int = 4
    ticks_per_bar_std: float | None = None
    mean_reversion: float = 0.0
    wick_multiplier: float = 1.0

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise ValueError(f"StateConfig.name must be a non-empty string; got {self.name!r}")
        own = "StateConfig."
        checked = {
            "avg_ticks_per_bar": check_real(own + "avg_ticks_per_bar", self.avg_ticks_per_bar, low=0.0, low_open=True),
            "up_probability": check_real(own + "up_probability", self.up_probability, low=0.0, high=1.0),
            "trend_persistence": check_real(
                own + "trend_persistence", self.trend_persistence, low=0.0, high=1.0, high_open=True
            ),
            "volatility_multiplier": check_real(
                own + "volatility_multiplier", self.volatility_multiplier, low=0.0, low_open=True
            ),
            "max_tick_jump": check_int(own + "max_tick_jump", self.max_tick_jump, low=1),
            "mean_reversion": check_real(own + "mean_reversion", self.mean_reversion, low=0.0, high=1.0),
            "wick_multiplier": check_real(own + "wick_multiplier", self.wick_multiplier, low=0.0),
        }
        std = self.ticks_per_bar_std
        if std is None:
            std = checked["avg_ticks_per_bar"] / 2.0
        checked["ticks_per_bar_std"] = check_real(own + "ticks_per_bar_std", std, low=0.0)
        for key, value in checked.items():
            object.__setattr__(self, key, value)

    def to_dict(self) -> dict:
        """Return the fields as a plain dict (``StateConfig(**d)`` rebuilds it)."""
        return asdict(self)


STATE_CONFIGS: dict[MarketState, StateConfig] = {
    MarketState.RANGING: StateConfig(
        "ranging",
        avg_ticks_per_bar=12.0,
        up_probability=0.5,
        trend_persistence=0.25,
        volatility_multiplier=1.0,
        max_tick_jump=3,
        mean_reversion=0.6,
    ),
    MarketState.FLAT: StateConfig(
        "flat",
        avg_ticks_per_bar=4.0,
        up_probability=0.5,
        trend_persistence=0.2,
        volatility_multiplier=0.5,
        max_tick_jump=2,
        mean_reversion=0.4,
        wick_multiplier=0.5,
    ),
    MarketState.ZOMBIE: StateConfig(
        "zombie",
        avg_ticks_per_bar=6.0,
        up_probability=0.55,
        trend_persistence=0.8,
        volatility_multiplier=0.6,
        max_tick_jump=2,
        wick_multiplier=0.5,
    ),
    MarketState.RALLY: StateConfig(
        "rally",
        avg_ticks_per_bar=18.0,
        up_probability=0.70,
        trend_persistence=0.6,
        volatility_multiplier=1.2,
        max_tick_jump=4,
    ),
    MarketState.IMPULSIVE: StateConfig(
        "impulsive",
        avg_ticks_per_bar=25.0,
        up_probability=0.5,
        trend_persistence=0.55,
        volatility_multiplier=2.0,
        max_tick_jump=8,
        ticks_per_bar_std=18.0,
        wick_multiplier=1.5,
    ),
    MarketState.BREAKDOWN: StateConfig(
        "breakdown",
        avg_ticks_per_bar=20.0,
        up_probability=0.25,
        trend_persistence=0.7,
        volatility_multiplier=1.5,
        max_tick_jump=6,
        wick_multiplier=1.2,
    ),
    MarketState.BREAKOUT: StateConfig(
        "breakout",
        avg_ticks_per_bar=22.0,
        up_probability=0.75,
        trend_persistence=0.7,
        volatility_multiplier=1.5,
        max_tick_jump=6,
        wick_multiplier=1.2,
    ),
}
"""Built-in state physics, keyed by :class:`MarketState` (seed characters)."""
