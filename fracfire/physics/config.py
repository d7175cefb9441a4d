"""Global physics knobs of the generator (:class:`PhysicsConfig`)."""

from __future__ import annotations

import os
from dataclasses import asdict, field
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import yaml
from pydantic import Field, ValidationInfo, field_validator

from fracfire._atomic import write_text_atomic
from fracfire._config import Real, config_dataclass, load, real, validate
from fracfire._validation import check_keys
from fracfire.calendar import INTRADAY_BUCKETS, MINUTES_PER_DAY, bucket_label, minute_label
from fracfire.physics.sessions import SESSION_CONFIGS, Session

__all__ = ["PhysicsConfig", "REFERENCE_TICKS_PER_BAR", "SEED_PHYSICS"]

REFERENCE_TICKS_PER_BAR = 12.0
"""``StateConfig.avg_ticks_per_bar`` of the reference state (RANGING): a state's
variance is ``avg_ticks_per_bar / 12`` times the reference (times its move-size factor)."""


_BUCKET_OF = {bucket_label(b): b for b in range(INTRADAY_BUCKETS)}
_MINUTE_OF = {minute_label(m): m for m in range(MINUTES_PER_DAY)}


Multiplier = Annotated[Real, Field(strict=True, gt=0.0, le=1e3)]


def _by_label(profile: dict[str, float], index_of: dict[str, int]) -> np.ndarray:
    """One multiplier per slot of the clock (``len(index_of)`` of them), 1 where ``profile`` names none."""
    values = np.ones(len(index_of))
    for label, value in profile.items():
        values[index_of[label]] = value
    return values


"""A session or half-hour multiplier: positive, at most 1,000."""


def _plain(value):
    """Floats and dicts only (YAML-safe)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return float(value)


@config_dataclass
class PhysicsConfig:
    """Global knobs of the tick physics (frozen, validated, YAML round-trip).

    The defaults are calibrated to E-mini S&P 500 futures (the bundled
    September 2019 ES month for intraday facts, the bundled 2019 NQ year for
    day-to-day facts; see ``docs/generator.md``). The seed's hand-tuned
    values, far more volatile than ES has ever been, stay available as
    :data:`SEED_PHYSICS` (``PhysicsConfig.seed()``). Every knob measurably
    changes the generated bars; ``tests/test_physics_knobs.py`` shows the
    direction of each effect. The model is described, with its equations, in
    ``docs/generator.md``.

    Parameters
    ----------
    base_volatility : float
        Heat of the market: the mean size of a jump of the efficient price,
        in units of the minute's volatility without the kicks of jumps
        (``jump_vol_kick``; jump sizes are exponential).
        Larger values give larger bar ranges and fatter tails.
    avg_ticks_per_bar : float
        Base activity: expected trade prints per minute at the reference
        volatility; a minute's print intensity is this times its session and
        weekday volume multipliers times ``(sigma / sigma_ref) **
        activity_elasticity``. More prints mean larger ranges (both sides of
        the book trade, fewer unchanged bars) and more volume.
    daily_range_mean : float
        Mean daily (Globex session) range in points: sets the volatility level.
    daily_range_std : float
        Standard deviation of the daily range (points): the day-to-day
        dispersion of volatility, carried by the slow (day-to-month)
        components of the log-volatility. 0 makes the slow components flat.
    runner_prob : float
        Probability that a day is a runner (trend) day. A runner day leans in
        one direction (up or down with equal odds): its drift makes the
        expected net move ``runner_target_mult - 1`` times the day's expected
        noise range.
    runner_target_mult : float
        Range of a runner day relative to an ordinary day of the same
        volatility (>= 1; 1 turns runner days off).
    macro_gravity_threshold : float
        Distance in points from the generator's initial price beyond which
        macro gravity pulls price back.
    macro_gravity_strength : float
        Largest shift of the up share of price changes towards the initial
        price, reached at twice the threshold (linear from zero at the
        threshold), in [0, 0.5].
    wick_probability : float
        Rate, per bar and per side, of a wick print: a brief excursion beyond
        the bar's traded extreme that does not close there (scaled per state
        by ``StateConfig.wick_multiplier``). A bar with ``N`` prints gets one
        with probability ``1 - exp(-wick_probability * N / avg_ticks_per_bar)``:
        about ``wick_probability`` at the mean print rate, more in busy
        minutes, less in thin ones.
    wick_extension_avg : float
        Mean wick length in ticks (>= 1): ``1 + Poisson(wick_extension_avg - 1)``.
    volume_per_tick : float
        Contracts per trade print (bar volume is the minute's prints times
        this, plus ``volume_per_move`` times the minute's volume multiplier
        per tick the price moved, times log-normal noise).
    volume_per_move : float
        Contracts traded per tick the price moves through (the queue a move
        consumes) at volume multiplier 1; the book is as deep as the session
        is busy, so it scales with the session, weekday and half-hour volume
        multipliers. Ties volume to realised price movement, as in real
        markets where busy minutes are the ones that move.
    session_volatility : dict, optional
        Volatility multiplier per session name (``asian, london, premarket,
        rth, afterhours``); a session left out keeps this default (the
        calibrated level), so ``{"rth": 0.6}`` changes the regular hours
        only. The seed's levels (:data:`SESSION_CONFIGS`) are those of
        :meth:`seed`.
    session_volume : dict, optional
        Volume multiplier per session name, likewise: it scales the session's
        print rate, so thin sessions have fewer prints (more unchanged bars)
        as well as less volume.
    intraday_volatility : dict, optional
        Volatility multiplier per half hour of the ET clock, keyed by its
        start (``"09:30"``, ``"10:00"`` ...; missing half hours keep 1): the
        fine intraday profile on top of the session levels (the 08:30 data
        releases, the London and Asian opens, the lunch lull). The
        calibrated defaults keep each session's mean-square multiplier at 1,
        so ``session_volatility`` stays the session's level. A dict given
        here is the whole profile (``{}`` is flat); to change one half hour
        of the defaults, pass ``{**PhysicsConfig().intraday_volatility,
        "08:30": 1.5}``.
    intraday_volume : dict, optional
        Volume (print rate) multiplier per half hour, likewise.
    minute_volume : dict, optional
        Volume of single minutes of the ET clock relative to the other
        minutes of their half hour, keyed ``"HH:MM"`` (missing minutes 1):
        the scheduled bursts a half-hour profile cannot hold (the minute
        before the cash open, the market-on-close minutes before 16:00, the
        reopen after the 16:15 halt, the Globex reopen at 18:00). Each half
        hour's multipliers are divided by their mean over its 30 minutes, so
        the half hour keeps its volume (exactly when all 30 trade). It scales
        the contracts a minute trades, not its prints: prices do not depend
        on it. Calibration sets it from the median volume of each minute
        within its half hour (:func:`fracfire.realism.levels.minute_volume_shape`).
    trend_strength : float
        Scales every state's drift (0 makes all states driftless, > 1
        exaggerates them): the momentum that state drifts put into returns.
    rth_open_boost, rth_close_boost : float
        Extra volatility at the regular-hours open and into the close: an RTH
        minute's volatility is multiplied by ``1 + open_boost * exp(-m / 30) +
        close_boost * exp(-(389 - m) / 30)``, ``m`` being minutes since 09:30
        (the intraday U-shape of volatility, and through activity, of volume).
    eta : float
        Uncertainty-zone parameter of the traded price (Robert & Rosenbaum),
        in (0, 1): the price moves one tick when the efficient price is
        ``1/2 + eta`` ticks away. Below 1/2, price changes are reversed more
        often than continued (about ``2 * eta`` continuations per alternation).
        Scaled per state by ``0.5 + StateConfig.trend_persistence``.
    vol_of_vol : float
        Standard deviation of the intraday log-volatility (components with
        time scales of 5 to 320 minutes): volatility clustering within the
        day and the fat tails of one-minute returns.
    vol_memory_days : float
        Longest time scale of the day-to-day log-volatility components, in
        trading days (the others are a quarter, a sixteenth and a
        sixty-fourth of it, at least one day): how long calm or wild
        stretches last.
    vol_memory_tilt : float
        How the day-to-day log-variance is shared among those four time
        scales: component ``k`` (0 the fastest, 3 ``vol_memory_days``) gets a
        share proportional to ``exp(vol_memory_tilt * k / 3)``. 0 shares it
        equally (a log-volatility autocovariance decaying like ``-log(lag)``);
        positive values move it to the slow scales (persistent regimes, days
        that resemble their neighbours), negative ones to day-to-day jitter.
    activity_elasticity : float
        Exponent of the trade intensity in volatility (prints follow
        volatility; volume with them).
    jump_rate : float
        Expected jumps of the efficient price per trading session, before
        self-excitation (scaled per state by ``volatility_multiplier ** 2``).
    jump_vol_kick : float
        Rise of the fastest (5-minute) log-volatility component at each jump:
        volatility after news: the diffusion after a jump is livelier, while
        jump sizes ignore the kicks (clustered jumps do not compound); 0
        leaves the volatility untouched by jumps.
    minute_vol_mixing : float
        Standard deviation of an independent log-volatility shock of each
        minute (``sigma`` times ``exp(m z - m ** 2)``, which keeps the mean
        variance): fat one-minute tails that aggregate away over a few
        minutes without making prints, and so volume, lumpier. 0 (the
        default) draws nothing. Not searched by calibration: a calibration
        with it (0.17) fooled the window classifier less but made a range
        forecaster trained on synthetic bars 14 % worse on real ones
        (docs/realism.md, "A seventh pass").
    jump_activity : float
        Where in the day jumps arrive: each minute's jump intensity is
        proportional to its seasonal activity (session x half-hour volume
        multipliers) to this power, normalised so that ``jump_rate`` stays the
        expected jumps per session. 0 spreads jumps evenly over the clock
        (most then fall in the thin overnight hours); 1 puts them in trade
        time, mostly in regular hours, where real ES has its news minutes.
    jump_clustering : float
        Branching ratio of the Hawkes jump arrivals in [0, 0.95): the mean
        number of further jumps each jump triggers (decay 10 minutes).
    reversion_strength : float
        Scales every state's ``mean_reversion`` (the pull of the efficient
        price to its recent mean).
    trade_clock : float
        Share, in [0, 1], of the price's clock that runs on trades: a
        minute's variance is proportional to ``(prints / expected prints) **
        trade_clock`` (mean kept). 1 makes returns Gaussian in trade time
        (busy minutes move, as in real markets); 0 lets the price ignore how
        busy the minute was. Ties volume to ``|return|`` minute by minute and
        fattens the tails of one-minute returns.
    activity_dispersion : float
        Scales every state's ``ticks_per_bar_std / avg_ticks_per_bar`` (the
        minute-to-minute dispersion of the print intensity, and so of volume
        and, through ``trade_clock``, of volatility). The intensity is
        log-normal with that coefficient of variation (Clark 1973): no busy
        minute goes dead.
    activity_clustering : float
        Clustering of prints given their intensity: a minute's prints are
        gamma around it with squared coefficient of variation
        ``activity_clustering / intensity``, as for a Poisson count of
        clusters of ``activity_clustering`` prints. Busy minutes (regular
        hours) then come out steadier than thin ones (the overnight session),
        as in real ES. 0 draws no clusters.
    activity_thinning : float
        How much lumpier thin minutes are: the intensity's squared coefficient
        of variation is ``(cv_state * activity_dispersion) ** 2 * v **
        -activity_thinning``, ``v`` the minute's seasonal volume multiplier
        (session x weekday x half hour; 1 is ``avg_ticks_per_bar``). A busy
        market is many independent traders whose activity averages out; a
        thin one is a few, whose comings and goings move it by a larger
        factor (1 is the superposition of ``v``-proportional independent
        traders). 0 (the default) gives every minute the same dispersion.
        Not searched by calibration: fitted on the bundled month's first
        sessions (1.5) it made their overnight hours as lumpy as they were,
        but the later sessions' overnight hours are steadier, and the
        held-out scorecard and transfer got worse (docs/realism.md, "An
        eleventh pass").
    volume_participation : float
        Standard deviation of a slowly varying log participation level that
        multiplies bar volume, independent of volatility: the market's
        turnout (contracts traded for the same price activity) wanders over
        hours and days. Half its variance has a two-hour time scale, half a
        session's (``PARTICIPATION_MINUTES``); it touches volume only, so
        prices are the same bytes at any value. Real ES's log hourly volume,
        given the hour's range, keeps a residual of sd 0.33 that persists
        from hour to hour (autocorrelation 0.63); without it FracFire's is
        0.16 and about 0.05. 0 (the default) draws nothing; not searched by
        calibration yet (docs/realism.md, "An eleventh pass").
    reversion_minutes : float
        Time constant of that recent mean (an exponential average): short
        values make reversion a transient, minute-scale bounce (liquidity
        provision absorbing order flow); long ones make price chop around
        a level for an hour.
    flow_persistence : float
        Memory of order flow, in [0, 1]: the probability that a print takes
        the side of the previous print (or of the last price change) instead
        of a fresh one. Weakens the bid/ask bounce of thin minutes (overnight
        bars close on the side they opened on more often, with larger bodies)
        and leaves busy minutes nearly as they were; 0 gives independent
        print sides (the plain Roll bounce).

    Examples
    --------
    >>> calm = PhysicsConfig(daily_range_mean=20.0)
    >>> PhysicsConfig.from_dict(calm.to_dict()) == calm
    True
    """

    base_volatility: Real = real(5.161, 0.0, 50.0)
    avg_ticks_per_bar: Real = real(102.4, 0.0, 10_000.0, low_open=True)
    daily_range_mean: Real = real(39.77, 0.0, 5_000.0, low_open=True)
    daily_range_std: Real = real(21.21, 0.0, 5_000.0)
    runner_prob: Real = real(0.6094, 0.0, 1.0)
    runner_target_mult: Real = real(1.348, 1.0, 20.0)
    macro_gravity_threshold: Real = real(1500.0, 0.0, low_open=True)
    macro_gravity_strength: Real = real(0.15, 0.0, 0.5)
    wick_probability: Real = real(0.2469, 0.0, 1.0)
    wick_extension_avg: Real = real(1.0, 1.0, 100.0)
    volume_per_tick: Real = real(6.843, 0.0, 1e6, low_open=True)
    session_volatility: dict[str, Multiplier] = field(
        default_factory=lambda: {
            "afterhours": 0.295,
            "asian": 0.2383,
            "london": 0.3001,
            "premarket": 0.2941,
            "rth": 0.3984,
        }
    )
    session_volume: dict[str, Multiplier] = field(
        default_factory=lambda: {
            "afterhours": 1.24,
            "asian": 0.1817,
            "london": 0.3038,
            "premarket": 0.4604,
            "rth": 1.088,
        }
    )
    intraday_volatility: dict[str, Multiplier] = field(
        default_factory=lambda: {
            "00:00": 0.7006,
            "00:30": 0.6726,
            "01:00": 0.8105,
            "01:30": 0.8679,
            "02:00": 1.316,
            "02:30": 1.292,
            "03:00": 1.279,
            "03:30": 0.9605,
            "04:00": 1.181,
            "04:30": 1.035,
            "05:00": 1.134,
            "05:30": 0.9952,
            "06:00": 0.7421,
            "06:30": 0.8602,
            "07:00": 0.8124,
            "07:30": 0.9426,
            "08:00": 0.9263,
            "08:30": 1.015,
            "09:00": 0.9844,
            "09:30": 0.8717,
            "10:00": 1.241,
            "10:30": 1.133,
            "11:00": 1.243,
            "11:30": 1.19,
            "12:00": 0.8554,
            "12:30": 0.8901,
            "13:00": 0.7746,
            "13:30": 0.7829,
            "14:00": 1.192,
            "14:30": 0.9785,
            "15:00": 0.7963,
            "15:30": 0.84,
            "16:00": 1.184,
            "16:30": 0.7728,
            "18:00": 1.127,
            "18:30": 0.7491,
            "19:00": 0.74,
            "19:30": 0.9319,
            "20:00": 1.38,
            "20:30": 0.9248,
            "21:00": 1.159,
            "21:30": 1.542,
            "22:00": 1.079,
            "22:30": 0.6957,
            "23:00": 0.6569,
            "23:30": 0.6598,
        }
    )
    intraday_volume: dict[str, Multiplier] = field(
        default_factory=lambda: {
            "00:00": 0.8355,
            "00:30": 0.8003,
            "01:00": 0.8991,
            "01:30": 0.9629,
            "02:00": 1.208,
            "02:30": 0.936,
            "03:00": 0.9012,
            "03:30": 1.033,
            "04:00": 0.9564,
            "04:30": 0.7552,
            "05:00": 0.8788,
            "05:30": 0.9395,
            "06:00": 0.9782,
            "06:30": 0.7726,
            "07:00": 1.041,
            "07:30": 1.237,
            "08:00": 1.347,
            "08:30": 0.8961,
            "09:00": 1.094,
            "09:30": 1.294,
            "10:00": 1.059,
            "10:30": 0.961,
            "11:00": 0.8147,
            "11:30": 0.8449,
            "12:00": 0.9525,
            "12:30": 0.8461,
            "13:00": 0.8489,
            "13:30": 0.8471,
            "14:00": 0.705,
            "14:30": 0.8362,
            "15:00": 0.9572,
            "15:30": 1.652,
            "16:00": 1.393,
            "16:30": 0.2449,
            "18:00": 0.987,
            "18:30": 0.5861,
            "19:00": 0.8451,
            "19:30": 0.8831,
            "20:00": 1.258,
            "20:30": 1.131,
            "21:00": 1.222,
            "21:30": 1.296,
            "22:00": 1.187,
            "22:30": 0.8798,
            "23:00": 1.01,
            "23:30": 0.7351,
        }
    )
    trend_strength: Real = real(0.3408, 0.0, 3.0)
    rth_open_boost: Real = real(1.564, 0.0, 50.0)
    rth_close_boost: Real = real(0.6156, 0.0, 50.0)
    eta: Real = real(0.2063, 0.0, 1.0, low_open=True, high_open=True)
    vol_of_vol: Real = real(0.2293, 0.0, 2.0)
    vol_memory_days: Real = real(6.843, 1.0, 2_000.0)
    activity_elasticity: Real = real(0.1951, 0.0, 5.0)
    jump_rate: Real = real(3.022, 0.0, 200.0)
    jump_clustering: Real = real(0.6279, 0.0, 0.95, high_open=True)
    reversion_strength: Real = real(0.6184, 0.0, 10.0)
    reversion_minutes: Real = real(12.04, 0.5, 240.0)
    volume_per_move: Real = real(187.8, 0.0, 1e6)
    trade_clock: Real = real(0.8685, 0.0, 1.0)
    activity_dispersion: Real = real(1.305, 0.01, 5.0)
    activity_clustering: Real = real(0.3572, 0.0, 1_000.0)
    flow_persistence: Real = real(0.8402, 0.0, 1.0)
    vol_memory_tilt: Real = real(2.757, -6.0, 6.0)
    jump_vol_kick: Real = real(0.4926, 0.0, 3.0)
    minute_vol_mixing: Real = real(0.0, 0.0, 2.0)
    jump_activity: Real = real(0.0, 0.0, 3.0)
    activity_thinning: Real = real(0.0, 0.0, 2.0)
    volume_participation: Real = real(0.0, 0.0, 2.0)
    minute_volume: dict[str, Multiplier] = field(
        default_factory=lambda: {
            "15:59": 10.51,
            "16:00": 6.93,
            "16:30": 5.972,
            "18:00": 8.729,
            "22:00": 3.147,
        }
    )

    @field_validator("session_volatility", "session_volume")
    @classmethod
    def _sessions(cls, given: dict[str, float], info: ValidationInfo) -> dict[str, float]:
        check_keys(str(info.field_name), given, {s.value for s in Session})
        defaults = cls.__dataclass_fields__[str(info.field_name)].default_factory()
        return dict(sorted({**defaults, **given}.items()))

    @field_validator("intraday_volatility", "intraday_volume", "minute_volume")
    @classmethod
    def _clock_keys(cls, given: dict[str, float], info: ValidationInfo) -> dict[str, float]:
        valid, what = (
            (_MINUTE_OF, "minutes of the ET clock ('00:00' ... '23:59')")
            if info.field_name == "minute_volume"
            else (_BUCKET_OF, "half-hour starts on the ET clock ('00:00', '00:30', ... '23:30')")
        )
        bad = sorted(str(k) for k in given if k not in valid)
        if bad:
            raise ValueError(f"{info.field_name}: keys must be {what}; got {bad[:5]}")
        return dict(sorted(given.items()))

    @classmethod
    def seed(cls) -> "PhysicsConfig":
        """The seed's hand-tuned knobs (:data:`SEED_PHYSICS`): about 4x the volatility of 2019 ES."""
        return SEED_PHYSICS

    def session_multipliers(self) -> tuple[dict[str, float], dict[str, float]]:
        """(volatility, volume) multiplier of every session (copies of the two session knobs)."""
        return dict(self.session_volatility), dict(self.session_volume)

    def intraday_multipliers(self) -> tuple[np.ndarray, np.ndarray]:
        """(volatility, volume) multiplier of every half hour of the ET clock (arrays of
        :data:`~fracfire.calendar.INTRADAY_BUCKETS`, bucket 0 starting at 00:00)."""
        return _by_label(self.intraday_volatility, _BUCKET_OF), _by_label(self.intraday_volume, _BUCKET_OF)

    def minute_volume_multipliers(self) -> np.ndarray:
        """Volume multiplier of every minute of the ET clock (index 0 is 00:00): :attr:`minute_volume`,
        each half hour divided by its mean."""
        halves = _by_label(self.minute_volume, _MINUTE_OF).reshape(INTRADAY_BUCKETS, -1)
        return (halves / halves.mean(axis=1, keepdims=True)).ravel()

    def to_dict(self) -> dict:
        """Return every knob as a plain dict (session overrides as nested dicts)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "PhysicsConfig":
        """Build from a dict, rejecting unknown keys (missing keys keep their defaults).

        Every problem is reported in one :class:`~fracfire.exceptions.ConfigError`.
        """
        return validate(cls, data, "PhysicsConfig")

    def replace(self, **changes: Any) -> "PhysicsConfig":
        """Return a copy with some knobs changed (unknown names are rejected); a session
        dict changes the sessions it names and keeps this config's others."""
        current = self.to_dict()
        for name in ("session_volatility", "session_volume"):
            given = changes.get(name)
            if isinstance(given, dict):
                changes[name] = {**current[name], **given}
        return self.from_dict({**current, **changes})

    def to_yaml(self, path: str | os.PathLike, header: str = "") -> Path:
        """Write the config as YAML (atomically), after ``header`` (comment lines, e.g. the
        provenance of a calibrated file), and return the path."""
        text = yaml.safe_dump({"physics": _plain(self.to_dict())}, sort_keys=False)
        return write_text_atomic(path, header + text)

    @classmethod
    def from_yaml(cls, path: str | os.PathLike) -> "PhysicsConfig":
        """Read a config written by :meth:`to_yaml` (a top-level ``physics:`` mapping,
        or the knobs at top level)."""
        return load(cls, path, "physics config file", section="physics")


SEED_PHYSICS = PhysicsConfig(
    base_volatility=2.0,
    avg_ticks_per_bar=8.0,
    daily_range_mean=120.0,
    daily_range_std=60.0,
    runner_prob=0.20,
    runner_target_mult=4.0,
    macro_gravity_threshold=5000.0,
    macro_gravity_strength=0.15,
    wick_probability=0.20,
    wick_extension_avg=2.0,
    volume_per_tick=12.0,
    session_volatility={s.value: c.volatility_multiplier for s, c in SESSION_CONFIGS.items()},
    session_volume={s.value: c.volume_multiplier for s, c in SESSION_CONFIGS.items()},
    intraday_volatility={},
    intraday_volume={},
    minute_volume={},
    trend_strength=1.0,
    volume_per_move=0.0,
    rth_open_boost=0.0,
    rth_close_boost=0.0,
    vol_of_vol=0.0,
    jump_rate=0.0,
    jump_clustering=0.0,
)
"""The seed's hand-tuned values (its README's numbers): a 120-point mean daily range,
frequent runner days and long wicks. Realistic for no period of ES; kept for the seed's
examples and as a contrast in the realism scorecard."""
