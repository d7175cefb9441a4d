"""From configs to per-minute parameter arrays (pure numpy, no randomness).

The generator draws the random inputs; these functions turn states, sessions,
days of week and day-level draws into the arrays the tick kernel walks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from fracfire.physics.config import REFERENCE_DAILY_RANGE, REFERENCE_TICKS_PER_BAR, PhysicsConfig
from fracfire.physics.sessions import DOW_CONFIGS, SESSION_CONFIGS, SESSION_ORDER, session_codes
from fracfire.physics.states import StateConfig
from fracfire.schema import TICK_SIZE, TIMEZONE

RTH_OPEN_MINUTE = 9 * 60 + 30
RTH_MINUTES = 390
PROFILE_DECAY_MINUTES = 30.0
"""Decay (minutes) of the regular-hours open and close volatility boosts."""

MOVE_SIZE_SCALE = 0.25
"""Mean extra ticks per move at ``base_volatility == 2`` and a state multiplier of 1."""

RANGE_PER_SIGMA = float(np.sqrt(8.0 / np.pi))
"""Expected range of a Brownian path per unit of its end-point standard deviation."""

_SESSION_SWITCH = np.array([SESSION_CONFIGS[s].state_transition_prob for s in SESSION_ORDER])
_DOW_VOLUME = np.array([DOW_CONFIGS[d].volume_multiplier for d in range(7)])
_DOW_VOLATILITY = np.array([DOW_CONFIGS[d].volatility_multiplier for d in range(7)])


@dataclass(frozen=True)
class Clock:
    """Wall-clock facts of a run of consecutive minutes."""

    time: pd.DatetimeIndex
    minute_of_day: np.ndarray
    weekday: np.ndarray
    session: np.ndarray


def minute_clock(start_ns: int, n_minutes: int) -> Clock:
    """Times, ET minute of day, weekday and session code of ``n_minutes`` minutes.

    Minutes are consecutive in absolute time from ``start_ns`` (UTC nanoseconds),
    so a run crossing a daylight-saving change has neither gaps nor duplicates.
    """
    utc = start_ns + np.arange(n_minutes, dtype=np.int64) * 60_000_000_000
    time = pd.DatetimeIndex(utc.view("datetime64[ns]")).tz_localize("UTC").tz_convert(TIMEZONE)
    local_minutes = time.tz_localize(None).as_unit("ns").asi8 // 60_000_000_000
    minute_of_day = local_minutes % 1440
    weekday = (local_minutes // 1440 + 3) % 7  # 1970-01-01 was a Thursday
    return Clock(time, minute_of_day, weekday, session_codes(minute_of_day))


@dataclass(frozen=True)
class StateTable:
    """Field arrays of a list of :class:`StateConfig`, indexed by state code."""

    configs: tuple[StateConfig, ...]
    ticks: np.ndarray
    ticks_std: np.ndarray
    up: np.ndarray
    persistence: np.ndarray
    volatility: np.ndarray
    max_jump: np.ndarray
    mean_reversion: np.ndarray
    wick: np.ndarray

    @classmethod
    def of(cls, configs: tuple[StateConfig, ...]) -> "StateTable":
        """Build the table of ``configs`` (code ``i`` is ``configs[i]``)."""
        def col(field: str, dtype=np.float64) -> np.ndarray:
            return np.array([getattr(c, field) for c in configs], dtype=dtype)

        return cls(
            configs, col("avg_ticks_per_bar"), col("ticks_per_bar_std"), col("up_probability"),
            col("trend_persistence"), col("volatility_multiplier"),
            col("max_tick_jump", np.int64), col("mean_reversion"), col("wick_multiplier"),
        )


@dataclass(frozen=True)
class MinuteParams:
    """Per-minute inputs of the tick kernel and of the bar-level draws."""

    rate: np.ndarray          # expected tick events per bar
    rate_std: np.ndarray      # std of tick events per bar
    up: np.ndarray
    persistence: np.ndarray
    jump_q: np.ndarray
    max_jump: np.ndarray
    mean_reversion: np.ndarray
    wick_prob: np.ndarray
    volume_scale: np.ndarray


@dataclass(frozen=True)
class Modifiers:
    """Per-minute adjustments a state driver layers over the minute states.

    Attributes
    ----------
    volatility : numpy.ndarray
        Multiplier of the minute's volatility (tick-event rate times its square).
    bias : numpy.ndarray
        Added to the up-probability (after session scaling; result clipped to [0, 1]).
    mean_reversion : numpy.ndarray
        Floor of the minute's mean-reversion strength.
    """

    volatility: np.ndarray
    bias: np.ndarray
    mean_reversion: np.ndarray

    @classmethod
    def concat(cls, parts: list["Modifiers"]) -> "Modifiers":
        """Join consecutive days' modifiers."""
        return cls(*(np.concatenate([getattr(p, f) for p in parts]) for f in ("volatility", "bias",
                                                                                  "mean_reversion")))


def minute_params(
    table: StateTable,
    codes: np.ndarray,
    clock: Clock,
    day_scale: np.ndarray,
    physics: PhysicsConfig,
    modifiers: Modifiers | None = None,
) -> MinuteParams:
    """Combine state, session, weekday and daily scale into per-minute arrays.

    The minute's volatility scale ``v`` (session x weekday x day) multiplies
    the tick-event rate by ``v**2`` and divides the directional bias
    ``trend_strength * (up_probability - 0.5)`` by ``v`` (clipped to [0, 1]), so that both the
    spread and the drift of a state's returns scale linearly with ``v``.

    Parameters
    ----------
    table : StateTable
        State physics, indexed by ``codes``.
    codes : numpy.ndarray of int
        State code of every minute.
    clock : Clock
        Session and weekday of every minute.
    day_scale : numpy.ndarray of float
        Daily volatility scale of every minute (``R / 120`` for the day's target range ``R``).
    physics : PhysicsConfig
        Global knobs.
    """
    session_volatility, session_volume = (
        np.array([m[s.value] for s in SESSION_ORDER]) for m in physics.session_multipliers())
    volatility = (session_volatility[clock.session] * _DOW_VOLATILITY[clock.weekday] * day_scale
                  * intraday_profile(clock.minute_of_day, physics.rth_open_boost, physics.rth_close_boost))
    activity = physics.avg_ticks_per_bar / REFERENCE_TICKS_PER_BAR * volatility**2
    up = 0.5 + physics.trend_strength * (table.up[codes] - 0.5) / volatility
    mean_reversion = table.mean_reversion[codes]
    if modifiers is not None:
        activity = activity * modifiers.volatility**2
        up = up + modifiers.bias
        mean_reversion = np.maximum(mean_reversion, modifiers.mean_reversion)
    rate = table.ticks[codes] * activity
    move_mean = 1.0 + MOVE_SIZE_SCALE * physics.base_volatility / 2.0 * table.volatility[codes]
    return MinuteParams(
        rate=rate,
        rate_std=table.ticks_std[codes] * activity,
        up=np.clip(up, 0.0, 1.0),
        persistence=table.persistence[codes],
        jump_q=1.0 - 1.0 / move_mean,
        max_jump=table.max_jump[codes],
        mean_reversion=mean_reversion,
        wick_prob=np.minimum(1.0, physics.wick_probability * table.wick[codes]),
        volume_scale=session_volume[clock.session] * _DOW_VOLUME[clock.weekday],
    )


def intraday_profile(minute_of_day: np.ndarray, open_boost: float, close_boost: float) -> np.ndarray:
    """Volatility multiplier of each minute from the RTH open and close boosts (1 outside RTH)."""
    since_open = np.asarray(minute_of_day, dtype=np.float64) - RTH_OPEN_MINUTE
    rth = (since_open >= 0) & (since_open < RTH_MINUTES)
    boost = (open_boost * np.exp(-since_open / PROFILE_DECAY_MINUTES)
             + close_boost * np.exp(-(RTH_MINUTES - 1 - since_open) / PROFILE_DECAY_MINUTES))
    return np.where(rth, 1.0 + boost, 1.0)


def switch_prob(clock: Clock) -> np.ndarray:
    """Per-minute probability that automatic transitions switch state (by session)."""
    return _SESSION_SWITCH[clock.session]


def daily_scale(target_range: np.ndarray) -> np.ndarray:
    """Volatility scale of days with the given target ranges (points)."""
    return np.asarray(target_range, dtype=np.float64) / REFERENCE_DAILY_RANGE


def runner_bias(params: MinuteParams, per_day: int, runner_mult: float) -> np.ndarray:
    """Per-day up-probability shift that makes a runner day's expected net move
    ``(runner_mult - 1)`` times its expected noise range (in ticks).

    Uses the moments of the truncation-free geometric move size and the
    variance inflation ``(1 + rho) / (1 - rho)`` of persistent directions (a
    fresh direction is up with the shifted probability, and the stationary
    share of up moves equals it). The shift is capped at 0.45.

    Returns
    -------
    numpy.ndarray
        One shift per block of ``per_day`` minutes.
    """
    q = params.jump_q
    rho = params.persistence
    move_sq = (1.0 + q) / (1.0 - q) ** 2
    variance = (params.rate * move_sq * (1.0 + rho) / (1.0 - rho)).reshape(-1, per_day).sum(axis=1)
    drift_per_bias = 2.0 * (params.rate / (1.0 - q)).reshape(-1, per_day).sum(axis=1)
    noise_range = RANGE_PER_SIGMA * np.sqrt(variance)
    with np.errstate(divide="ignore", invalid="ignore"):
        bias = np.where(drift_per_bias > 0, (runner_mult - 1.0) * noise_range / drift_per_bias, 0.0)
    return np.minimum(0.45, bias)


def gamma_shape_scale(mean: float, std: float) -> tuple[float, float]:
    """Shape and scale of a gamma distribution with the given mean and std (> 0)."""
    shape = (mean / std) ** 2
    return shape, mean / shape


def points_to_ticks(points: float) -> float:
    """Convert a price distance in points to ticks."""
    return points / TICK_SIZE
