"""Global physics knobs of the generator (:class:`PhysicsConfig`)."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import yaml

from fracfire._atomic import write_text_atomic
from fracfire._validation import check_keys, check_real
from fracfire.exceptions import ConfigError

__all__ = ["PhysicsConfig", "REFERENCE_DAILY_RANGE", "REFERENCE_TICKS_PER_BAR"]

REFERENCE_TICKS_PER_BAR = 8.0
"""``avg_ticks_per_bar`` at which the state tick rates are specified."""

REFERENCE_DAILY_RANGE = 120.0
"""``daily_range_mean`` (points) at which the state tick rates are specified."""


def _plain(value):
    """Floats and dicts only (YAML-safe)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return float(value)


@dataclass(frozen=True)
class PhysicsConfig:
    """Global knobs of the tick physics (frozen, validated, YAML round-trip).

    Every knob measurably changes the generated bars; ``tests/test_physics_knobs.py``
    shows the direction of each effect.

    Parameters
    ----------
    base_volatility : float, default 2.0
        Heat of the market: scales the mean size of every tick move above its
        one-tick minimum (``1 + 0.25 * base_volatility / 2 * state multiplier``
        ticks on average). Larger values give larger bar ranges and fatter tails.
    avg_ticks_per_bar : float, default 8.0
        Base activity: every state's tick-event rate is multiplied by
        ``avg_ticks_per_bar / 8``. More events mean larger ranges and more volume.
    daily_range_mean : float, default 120.0
        Mean of each day's target range in points. A day draws a target range
        ``R`` from a gamma distribution with this mean and ``daily_range_std``;
        its tick-event rate is scaled by ``(R / 120)**2`` so that the spread of
        its returns scales with ``R``.
    daily_range_std : float, default 60.0
        Standard deviation of the daily target range (points): the
        day-to-day dispersion of volatility. 0 makes every day alike.
    runner_prob : float, default 0.20
        Probability that a day is a runner (trend) day. A runner day leans in
        one direction (up or down with equal odds): its fresh tick directions
        are biased so that the expected net move equals
        ``runner_target_mult - 1`` times the day's expected noise range.
    runner_target_mult : float, default 4.0
        Range of a runner day relative to an ordinary day of the same
        volatility (>= 1; 1 turns runner days off).
    macro_gravity_threshold : float, default 5000.0
        Distance in points from the generator's initial price beyond which
        macro gravity pulls price back.
    macro_gravity_strength : float, default 0.15
        Maximum shift of the up-probability of fresh tick directions towards
        the initial price, reached at twice the threshold (it grows linearly
        from zero at the threshold), in [0, 0.5].
    wick_probability : float, default 0.20
        Probability, per bar and per side, of a wick: a brief excursion beyond
        the bar's traded extreme that does not close there (scaled per state by
        ``StateConfig.wick_multiplier``).
    wick_extension_avg : float, default 2.0
        Mean wick length in ticks (>= 1): ``1 + Poisson(wick_extension_avg - 1)``.
    volume_per_tick : float, default 12.0
        Contracts traded per tick event (bar volume is ``(events + 1) *
        volume_per_tick * session and weekday volume multipliers * noise``).
    session_volatility : dict, optional
        Volatility multiplier per session name (``asian, london, premarket,
        rth, afterhours``), overriding :data:`SESSION_CONFIGS`; missing
        sessions keep theirs.
    session_volume : dict, optional
        Volume multiplier per session name, likewise.
    trend_strength : float, default 1.0
        Scales every state's directional bias ``up_probability - 0.5`` (0 makes
        all states driftless, >1 exaggerates them): the momentum that state
        drifts put into one-minute returns.
    rth_open_boost, rth_close_boost : float, default 0.0
        Extra volatility at the regular-hours open and into the close: an RTH
        minute's volatility is multiplied by ``1 + open_boost * exp(-m / 30) +
        close_boost * exp(-(389 - m) / 30)``, ``m`` being minutes since 09:30
        (the intraday U-shape of volatility and volume).

    Examples
    --------
    >>> calm = PhysicsConfig(base_volatility=1.0, daily_range_mean=40.0)
    >>> PhysicsConfig.from_dict(calm.to_dict()) == calm
    True
    """

    base_volatility: float = 2.0
    avg_ticks_per_bar: float = 8.0
    daily_range_mean: float = 120.0
    daily_range_std: float = 60.0
    runner_prob: float = 0.20
    runner_target_mult: float = 4.0
    macro_gravity_threshold: float = 5000.0
    macro_gravity_strength: float = 0.15
    wick_probability: float = 0.20
    wick_extension_avg: float = 2.0
    volume_per_tick: float = 12.0
    session_volatility: dict = field(default_factory=dict)
    session_volume: dict = field(default_factory=dict)
    trend_strength: float = 1.0
    rth_open_boost: float = 0.0
    rth_close_boost: float = 0.0

    def __post_init__(self) -> None:
        positive = dict(low=0.0, low_open=True)
        bounds = {
            "base_volatility": positive,
            "avg_ticks_per_bar": positive,
            "daily_range_mean": positive,
            "daily_range_std": dict(low=0.0),
            "runner_prob": dict(low=0.0, high=1.0),
            "runner_target_mult": dict(low=1.0),
            "macro_gravity_threshold": positive,
            "macro_gravity_strength": dict(low=0.0, high=0.5),
            "wick_probability": dict(low=0.0, high=1.0),
            "wick_extension_avg": dict(low=1.0),
            "volume_per_tick": positive,
            "trend_strength": dict(low=0.0, high=3.0),
            "rth_open_boost": dict(low=0.0, high=50.0),
            "rth_close_boost": dict(low=0.0, high=50.0),
        }
        for key, kw in bounds.items():
            object.__setattr__(self, key, check_real(f"PhysicsConfig.{key}", getattr(self, key), **kw))
        from fracfire.physics.sessions import Session

        names = {s.value for s in Session}
        for key in ("session_volatility", "session_volume"):
            given = getattr(self, key)
            if not isinstance(given, dict):
                raise TypeError(f"PhysicsConfig.{key} must be a dict of session name -> multiplier; "
                                f"got {given!r}")
            check_keys(f"PhysicsConfig.{key}", given, names)
            checked = {name: check_real(f"PhysicsConfig.{key}[{name!r}]", value, low=0.0, low_open=True)
                       for name, value in sorted(given.items())}
            object.__setattr__(self, key, checked)

    def session_multipliers(self) -> tuple[dict[str, float], dict[str, float]]:
        """Effective (volatility, volume) multiplier of every session, overrides applied."""
        from fracfire.physics.sessions import SESSION_CONFIGS

        volatility = {s.value: c.volatility_multiplier for s, c in SESSION_CONFIGS.items()}
        volume = {s.value: c.volume_multiplier for s, c in SESSION_CONFIGS.items()}
        return {**volatility, **self.session_volatility}, {**volume, **self.session_volume}

    def to_dict(self) -> dict:
        """Return every knob as a plain dict (session overrides as nested dicts)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "PhysicsConfig":
        """Build from a dict, rejecting unknown keys (missing keys keep their defaults)."""
        if not isinstance(data, dict):
            raise TypeError(f"PhysicsConfig.from_dict expects a dict; got {type(data).__name__}")
        check_keys("PhysicsConfig", data, {f.name for f in fields(cls)})
        return cls(**data)

    def replace(self, **changes: float) -> "PhysicsConfig":
        """Return a copy with some knobs changed (unknown names are rejected)."""
        return self.from_dict({**self.to_dict(), **changes})

    def to_yaml(self, path: str | os.PathLike) -> Path:
        """Write the config as YAML (atomically) and return the path."""
        text = yaml.safe_dump({"physics": _plain(self.to_dict())}, sort_keys=False)
        return write_text_atomic(path, text)

    @classmethod
    def from_yaml(cls, path: str | os.PathLike) -> "PhysicsConfig":
        """Read a config written by :meth:`to_yaml` (a top-level ``physics:`` mapping,
        or the knobs at top level)."""
        path = Path(path)
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise FileNotFoundError(f"physics config file not found: {path}") from None
        except yaml.YAMLError as exc:
            raise ConfigError(f"{path}: not valid YAML: {exc}") from None
        if isinstance(data, dict) and set(data) == {"physics"}:
            data = data["physics"]
        if not isinstance(data, dict):
            raise ConfigError(f"{path}: expected a mapping of PhysicsConfig knobs; got {data!r}")
        try:
            return cls.from_dict(data)
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"{path}: {exc}") from None
