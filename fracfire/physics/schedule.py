"""From configs to per-minute parameter arrays (pure numpy, no randomness).

The generator draws the random inputs; these functions turn states, sessions,
days of week and the knobs of :class:`~fracfire.physics.PhysicsConfig` into
the arrays the kernels of :mod:`._kernels` walk. The model is described in
``docs/generator.md``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from fracfire.calendar import (
    INTRADAY_BUCKET_MINUTES,
    MINUTES_PER_DAY,
    RTH_CLOSE_MINUTE,
    RTH_OPEN_MINUTE,
    SESSION_MINUTES,
    SESSION_OPEN_MINUTE,
)
from fracfire.physics.config import REFERENCE_TICKS_PER_BAR, PhysicsConfig
from fracfire.physics.sessions import DOW_CONFIGS, SESSION_CONFIGS, SESSION_ORDER, session_codes
from fracfire.physics.states import StateConfig
from fracfire.schema import TICK_SIZE, TIMEZONE

RTH_MINUTES = RTH_CLOSE_MINUTE - RTH_OPEN_MINUTE
PROFILE_DECAY_MINUTES = 30.0
"""Decay (minutes) of the regular-hours open and close volatility boosts."""

INTRADAY_SCALES = (5.0, 20.0, 80.0, 320.0)
"""Time scales (minutes) of the intraday log-volatility components (``vol_of_vol``)."""

DAILY_SCALE_FRACTIONS = (1.0 / 64.0, 1.0 / 16.0, 0.25, 1.0)
"""Time scales of the day-to-day components as fractions of ``vol_memory_days`` (at least one day)."""

BROWNIAN_RANGE_CV = 0.30
"""Coefficient of variation of a Brownian path's range at fixed volatility: the part of the
daily range dispersion that needs no day-to-day volatility change."""

RANGE_PER_SIGMA = float(np.sqrt(8.0 / np.pi))
"""Expected range of a Brownian path per unit of its end-point standard deviation."""

SPREAD_TICKS = 1.0
"""The bid-ask spread: prints at the bid and the ask add about a tick to a day's range."""

DRIFT_PER_LOGIT = 0.6
"""A state's drift, in standard deviations per minute, per unit of ``logit(up_probability)``:
with ``trend_strength`` 1 a minute in a state closes up with about its ``up_probability``
(``Phi(0.6 * logit(0.7)) = 0.69``)."""

REVERSION_PER_MINUTE = 0.25
"""Pull (per minute) of the efficient price towards its mean at ``mean_reversion`` 1."""

HAWKES_DECAY_MINUTES = 10.0
"""Decay time of the jump self-excitation."""

PARTICIPATION_MINUTES = (120.0, 1380.0)
"""Time scales of the two components of the log participation level (``volume_participation``):
two hours and a session, sharing its variance equally."""


SUBSTEP_SIGMA = 0.6
"""Target efficient-price standard deviation (ticks) of one sub-minute step."""

MIN_SUBSTEPS = 4
MAX_SUBSTEPS = 60

_SESSION_SWITCH = np.array([SESSION_CONFIGS[s].state_transition_prob for s in SESSION_ORDER])
_DOW_VOLUME = np.array([DOW_CONFIGS[d].volume_multiplier for d in range(7)])
_DOW_VOLATILITY = np.array([DOW_CONFIGS[d].volatility_multiplier for d in range(7)])


@dataclass(frozen=True)
class Clock:
    """Wall-clock facts of a run of minutes."""

    time: pd.DatetimeIndex
    minute_of_day: np.ndarray
    weekday: np.ndarray
    session: np.ndarray


def minute_clock(utc_ns: np.ndarray, trading_days: bool = False) -> Clock:
    """Times, ET minute of day, weekday and session code of bar starts given as UTC nanoseconds.

    With ``trading_days`` the weekday is that of the trading date (Sunday evening trades as Monday).
    """
    utc_ns = np.asarray(utc_ns, dtype=np.int64)
    time = pd.DatetimeIndex(utc_ns.view("datetime64[ns]")).tz_localize("UTC").tz_convert(TIMEZONE)
    local_minutes = time.tz_localize(None).as_unit("ns").asi8 // 60_000_000_000
    minute_of_day = local_minutes % MINUTES_PER_DAY
    day = local_minutes // MINUTES_PER_DAY + (trading_days & (minute_of_day >= SESSION_OPEN_MINUTE))
    weekday = (day + 3) % 7  # 1970-01-01 was a Thursday
    return Clock(time, minute_of_day, weekday, session_codes(minute_of_day))


@dataclass(frozen=True)
class StateTable:
    """Per-state arrays of a list of :class:`StateConfig`, indexed by state code.

    ``variance`` is the state's variance multiplier ``avg_ticks_per_bar / 12 *
    ((1 + 0.25 * v) / 1.25) ** 2`` (``v`` its ``volatility_multiplier``): the
    seed's tick rate times its squared mean move size, relative to RANGING.
    """

    configs: tuple[StateConfig, ...]
    variance: np.ndarray
    activity_cv: np.ndarray
    logit_up: np.ndarray
    persistence: np.ndarray
    jump_scale: np.ndarray
    max_move: np.ndarray
    mean_reversion: np.ndarray
    wick: np.ndarray

    @classmethod
    def of(cls, configs: tuple[StateConfig, ...]) -> "StateTable":
        """Build the table of ``configs`` (code ``i`` is ``configs[i]``)."""

        def col(field: str, dtype=np.float64) -> np.ndarray:
            return np.array([getattr(c, field) for c in configs], dtype=dtype)

        ticks, size = col("avg_ticks_per_bar"), col("volatility_multiplier")
        up = np.clip(col("up_probability"), 0.01, 0.99)
        return cls(
            configs=configs,
            variance=ticks / REFERENCE_TICKS_PER_BAR * ((1.0 + 0.25 * size) / 1.25) ** 2,
            activity_cv=col("ticks_per_bar_std") / ticks,
            logit_up=np.log(up / (1.0 - up)),
            persistence=col("trend_persistence"),
            jump_scale=size,
            max_move=col("max_tick_jump", np.int64),
            mean_reversion=col("mean_reversion"),
            wick=col("wick_multiplier"),
        )


@dataclass(frozen=True)
class Modifiers:
    """Per-minute adjustments a state driver layers over the minute states.

    Attributes
    ----------
    volatility : numpy.ndarray
        Multiplier of the minute's volatility.
    bias : numpy.ndarray
        Shift of the minute's up share (a drift of ``4 * bias * 0.6`` standard
        deviations per minute: the drift that moves a close-up probability of
        one half by ``bias``).
    mean_reversion : numpy.ndarray
        Floor of the minute's mean-reversion strength.
    """

    volatility: np.ndarray
    bias: np.ndarray
    mean_reversion: np.ndarray

    @classmethod
    def concat(cls, parts: list["Modifiers"]) -> "Modifiers":
        """Join consecutive days' modifiers."""
        return cls(*(np.concatenate([getattr(p, f) for p in parts]) for f in ("volatility", "bias", "mean_reversion")))


@dataclass(frozen=True)
class MinuteParams:
    """Per-minute inputs known before the random volatility path is drawn."""

    season: np.ndarray  # session x weekday x intraday profile x state x driver volatility
    drift_sd: np.ndarray  # drift in standard deviations per minute
    up_share: np.ndarray  # probability a jump is up
    eta: np.ndarray
    reversion: np.ndarray  # per minute
    jump_base: np.ndarray  # baseline jumps per minute
    jump_scale: np.ndarray  # jump size multiplier
    max_move: np.ndarray
    activity_cv: np.ndarray
    wick_prob: np.ndarray  # wick rate per bar and side at the mean print rate
    volume_scale: np.ndarray


def session_volatility(clock: Clock, physics: PhysicsConfig) -> np.ndarray:
    """Deterministic volatility multiplier of each minute: session x half hour x weekday x RTH
    open/close boosts."""
    multipliers = np.array([physics.session_multipliers()[0][s.value] for s in SESSION_ORDER])
    half_hour = physics.intraday_multipliers()[0]
    return (
        multipliers[clock.session]
        * half_hour[clock.minute_of_day // INTRADAY_BUCKET_MINUTES]
        * _DOW_VOLATILITY[clock.weekday]
        * intraday_profile(clock.minute_of_day, physics.rth_open_boost, physics.rth_close_boost)
    )


def minute_params(
    table: StateTable, codes: np.ndarray, clock: Clock, physics: PhysicsConfig, modifiers: Modifiers | None = None
) -> MinuteParams:
    """Combine states, sessions, weekdays and driver modifiers into per-minute arrays.

    Parameters
    ----------
    table : StateTable
        State physics, indexed by ``codes``.
    codes : numpy.ndarray of int
        State code of every minute.
    clock : Clock
        Session and weekday of every minute.
    physics : PhysicsConfig
        Global knobs.
    modifiers : Modifiers, optional
        A driver's adjustments.
    """
    season = session_volatility(clock, physics) * np.sqrt(table.variance[codes])
    drift_sd = physics.trend_strength * DRIFT_PER_LOGIT * table.logit_up[codes]
    reversion = physics.reversion_strength * table.mean_reversion[codes]
    if modifiers is not None:
        season = season * modifiers.volatility
        drift_sd = drift_sd + 4.0 * DRIFT_PER_LOGIT * modifiers.bias
        reversion = np.maximum(reversion, modifiers.mean_reversion)
    up_share = 1.0 / (1.0 + np.exp(-physics.trend_strength * table.logit_up[codes]))
    jump_scale = table.jump_scale[codes]
    jump_base = physics.jump_rate * (1.0 - physics.jump_clustering) / SESSION_MINUTES * jump_scale**2
    activity = _activity(clock, physics)
    if physics.jump_activity > 0:
        jump_base = jump_base * jump_timing(clock, physics, activity)
    return MinuteParams(
        season=season,
        drift_sd=drift_sd,
        up_share=up_share,
        eta=np.clip(physics.eta * (0.5 + table.persistence[codes]), 0.02, 0.98),
        reversion=REVERSION_PER_MINUTE * reversion,
        jump_base=jump_base,
        jump_scale=jump_scale,
        max_move=table.max_move[codes],
        activity_cv=table.activity_cv[codes],
        wick_prob=physics.wick_probability * table.wick[codes],
        volume_scale=activity * _DOW_VOLUME[clock.weekday],
    )


def intraday_profile(minute_of_day: np.ndarray, open_boost: float, close_boost: float) -> np.ndarray:
    """Volatility multiplier of each minute from the RTH open and close boosts (1 outside RTH)."""
    since_open = np.asarray(minute_of_day, dtype=np.float64) - RTH_OPEN_MINUTE
    rth = (since_open >= 0) & (since_open < RTH_MINUTES)
    boost = open_boost * np.exp(-since_open / PROFILE_DECAY_MINUTES) + close_boost * np.exp(
        -(RTH_MINUTES - 1 - since_open) / PROFILE_DECAY_MINUTES
    )
    return np.where(rth, 1.0 + boost, 1.0)


def _activity(clock: Clock, physics: PhysicsConfig) -> np.ndarray:
    """Seasonal trading activity of each minute: session x half-hour volume multipliers."""
    volume = np.array([physics.session_multipliers()[1][s.value] for s in SESSION_ORDER])
    return volume[clock.session] * physics.intraday_multipliers()[1][clock.minute_of_day // INTRADAY_BUCKET_MINUTES]


def _reference_clock() -> Clock:
    """The minutes of a full mid-week Globex session (Tuesday's, opening Monday 18:00 ET)."""
    minute = (np.arange(SESSION_MINUTES) + SESSION_OPEN_MINUTE) % MINUTES_PER_DAY
    weekday = np.where(minute >= SESSION_OPEN_MINUTE, 1, 2)
    return Clock(pd.DatetimeIndex([]), minute, weekday, session_codes(minute))


def jump_timing(clock: Clock, physics: PhysicsConfig, activity: np.ndarray | None = None) -> np.ndarray:
    """Relative jump intensity of each minute: activity to the power ``jump_activity``.

    Normalised to mean 1 over a mid-week session, so ``jump_rate`` stays the expected number
    of jumps per session; ``jump_activity = 0`` spreads them evenly over the clock, 1 puts
    them in trade time (news and large orders arrive when the market trades). ``activity``,
    when given, is ``clock``'s seasonal activity already computed (:func:`minute_params` has it).
    """
    power = physics.jump_activity
    reference = float(np.mean(_activity(_reference_clock(), physics) ** power))
    if activity is None:
        activity = _activity(clock, physics)
    return activity**power / reference


def reference_session_variance(physics: PhysicsConfig) -> float:
    """Sum of squared seasonal volatility multipliers over a full mid-week Globex session."""
    return float(np.sum(session_volatility(_reference_clock(), physics) ** 2))


def sigma_level(physics: PhysicsConfig) -> float:
    """Efficient-price volatility (ticks per square-root minute) at seasonal multiplier 1.

    Chosen so a mid-week session of the reference state has an expected range
    of ``daily_range_mean``: ``sqrt(8 / pi * V) * sigma + 1 tick = R / 0.25``,
    ``V`` from :func:`reference_session_variance`.
    """
    target = max(physics.daily_range_mean / TICK_SIZE - SPREAD_TICKS, 1.0)
    return target / (RANGE_PER_SIGMA * np.sqrt(reference_session_variance(physics)))


@dataclass(frozen=True)
class Cascade:
    """Per-minute decay and innovation std of the log-volatility components."""

    decay: np.ndarray
    innovation: np.ndarray
    variance: float

    @classmethod
    def of(cls, physics: PhysicsConfig) -> "Cascade":
        """Components of ``physics``: intraday ones share ``vol_of_vol ** 2``, daily ones
        the day-to-day log-variance implied by ``daily_range_std / daily_range_mean``,
        component ``k`` (0 the fastest) in proportion to ``exp(vol_memory_tilt * k / 3)``."""
        cv = physics.daily_range_std / physics.daily_range_mean
        slow = max(0.0, np.log1p(cv**2) - np.log1p(BROWNIAN_RANGE_CV**2))
        days = np.maximum(1.0, physics.vol_memory_days * np.array(DAILY_SCALE_FRACTIONS))
        tau = np.concatenate([INTRADAY_SCALES, days * SESSION_MINUTES])
        tilt = np.exp(physics.vol_memory_tilt * np.arange(len(days)) / (len(days) - 1))
        var = np.concatenate(
            [np.full(len(INTRADAY_SCALES), physics.vol_of_vol**2 / len(INTRADAY_SCALES)), slow * tilt / tilt.sum()]
        )
        decay = np.exp(-1.0 / tau)
        return cls(decay, np.sqrt(var * (1.0 - decay**2)), float(var.sum()))

    def stationary_std(self) -> np.ndarray:
        """Stationary standard deviation of each component (for a fresh start)."""
        return self.innovation / np.sqrt(1.0 - self.decay**2)


def substeps(sigma: np.ndarray) -> np.ndarray:
    """Sub-minute steps of each minute: about ``(sigma / 0.6) ** 2``, within [4, 60]."""
    return np.clip(np.ceil((sigma / SUBSTEP_SIGMA) ** 2), MIN_SUBSTEPS, MAX_SUBSTEPS).astype(np.int64)


SERIES_SHAPE = 10
"""From this gamma shape on, :func:`gamma_log_moment` takes its asymptotic series (error
below 2e-7); smaller shapes are first shifted up by this many steps of ``Gamma(z + 1) = z Gamma(z)``."""


def _log_moment_series(k: np.ndarray, c: float) -> np.ndarray:
    b = c * (c - 1.0)
    return b / (2.0 * k) - b * (2.0 * c - 1.0) / (12.0 * k**2) + b**2 / (12.0 * k**3)


def gamma_log_moment(shape: np.ndarray, c: float) -> np.ndarray:
    """``log E[G ** c]`` for ``G`` gamma with ``shape`` and mean 1: ``lgamma(k + c) - lgamma(k) - c log k``.

    Numpy only, one shape per minute: shapes from :data:`SERIES_SHAPE` on take
    the series ``c (c - 1) / 2k - c (c - 1)(2c - 1) / 12k^2 + c^2 (c - 1)^2 /
    12k^3`` (exact to 2e-7); smaller ones the same series at ``k + 10`` and
    the recurrence ``lgamma(z + 1) = lgamma(z) + log z`` back down. (scipy's
    ``gammaln`` would do it too, but importing ``scipy.special`` costs a
    fresh process a third of a second, the engine's whole first-call budget.)
    """
    k = np.asarray(shape, dtype=np.float64)
    out = _log_moment_series(k, c)
    small = k < SERIES_SHAPE
    if small.any():
        ks = k[small]
        up = ks + SERIES_SHAPE
        steps = ks[:, None] + np.arange(SERIES_SHAPE)
        out[small] = _log_moment_series(up, c) + c * np.log(up / ks) - np.log((steps + c) / steps).sum(axis=1)
    return out


def trade_clock_scale(activity_ratio: np.ndarray, shape: np.ndarray, trade_clock: float) -> np.ndarray:
    """Volatility multiplier of minutes whose prints came out ``activity_ratio`` times their
    expectation: ``sqrt(ratio ** trade_clock / E[G ** trade_clock])``.

    With ``trade_clock = 1`` a minute's variance is proportional to its trades
    (returns are Gaussian in trade time: Clark 1973, Ane & Geman 2000); with 0
    the price ignores how busy the minute was. The ratio is gamma-distributed
    with ``shape`` and mean 1, so dividing by ``E[G ** c]``
    (:func:`gamma_log_moment`) keeps the mean variance unchanged.
    """
    if trade_clock == 0.0:
        return np.ones_like(activity_ratio)
    log_ratio = np.log(np.maximum(activity_ratio, 1e-12))
    return np.exp(0.5 * (trade_clock * log_ratio - gamma_log_moment(shape, trade_clock)))


def draw_prints(
    rng: np.random.Generator, activity: np.ndarray, log_var: np.ndarray, clustering: float, trade_clock: float
) -> tuple[np.ndarray, np.ndarray]:
    """Prints of each minute, and the trade clock's volatility multiplier of each minute.

    A minute's print intensity is ``activity * L``, ``L`` log-normal of mean 1
    and log-variance ``log_var`` (the mixing variable of the mixture-of-
    distributions hypothesis, log-normal as Clark 1973 found it: no minute of
    a busy session goes dead). Given the intensity, the prints are ``activity
    * L * G``, ``G`` gamma of mean 1 and shape ``activity * L / clustering``:
    a Poisson count of clusters of ``clustering`` prints, steady when busy and
    lumpy when thin; ``clustering`` 0 draws no ``G``. One standard normal per
    minute, then (with clustering) one gamma per minute, in that order.

    The multiplier is ``sqrt((L G) ** c / (E[L ** c] E[G ** c]))`` with ``c =
    trade_clock`` (:func:`trade_clock_scale` for ``G``), which keeps the mean
    variance.
    """
    log_l = np.sqrt(log_var) * rng.standard_normal(len(activity)) - log_var / 2
    scale = np.exp(0.5 * trade_clock * (log_l - (trade_clock - 1.0) * log_var / 2))
    counts = activity * np.exp(log_l)
    if clustering > 0:
        shape = np.maximum(counts, 1e-9) / clustering
        ratio = rng.gamma(shape, 1.0 / shape)
        scale = scale * trade_clock_scale(ratio, shape, trade_clock)
        counts = counts * ratio
    return counts, scale


def runner_drift(sigma: np.ndarray, day_starts: np.ndarray, runner_mult: float) -> np.ndarray:
    """Per-day drift (standard deviations per minute) that makes a runner day's expected
    net move ``(runner_mult - 1)`` times its expected noise range."""
    total_var = np.add.reduceat(sigma**2, day_starts)
    total_sd = np.add.reduceat(sigma, day_starts)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(total_sd > 0, (runner_mult - 1.0) * RANGE_PER_SIGMA * np.sqrt(total_var) / total_sd, 0.0)


def switch_prob(clock: Clock) -> np.ndarray:
    """Per-minute probability that automatic transitions switch state (by session)."""
    return _SESSION_SWITCH[clock.session]


def gamma_shape_scale(mean: float, std: float) -> tuple[float, float]:
    """Shape and scale of a gamma distribution with the given mean and std (> 0)."""
    shape = (mean / std) ** 2
    return shape, mean / shape


def points_to_ticks(points: float) -> float:
    """Convert a price distance in points to ticks."""
    return points / TICK_SIZE
