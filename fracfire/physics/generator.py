"""The tick physics engine: :class:`PriceGenerator`.

Data flow: configs -> per-minute parameter arrays (:mod:`.schedule`) -> one
numba kernel walking every tick event (:mod:`._kernels`) -> bars DataFrame
(:mod:`fracfire.schema`). The generator decides nothing by machine learning;
it executes the physics of whatever state sequence it is given, or of its
simple automatic transitions.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from fracfire._validation import check_int, check_real
from fracfire.physics import schedule
from fracfire.physics._kernels import markov_states, walk_ticks
from fracfire.physics.config import PhysicsConfig
from fracfire.physics.driver import StateDriver
from fracfire.physics.sessions import Session
from fracfire.physics.states import STATE_CONFIGS, MarketState, StateConfig
from fracfire.schema import TICK_SIZE, TIMEZONE, bars_frame

__all__ = ["AUTO_EXIT_RATES", "AUTO_TRANSITION_WEIGHTS", "MINUTES_PER_DAY", "PriceGenerator"]

MINUTES_PER_DAY = 1440
VOLUME_NOISE = 0.3
"""Standard deviation of the log-normal noise on bar volume."""

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
SeedLike = int | np.random.Generator | np.random.SeedSequence | None
Progress = Callable[[int, int], None]

_BUILTIN = tuple(MarketState)
_AUTO_CUM = np.cumsum([AUTO_TRANSITION_WEIGHTS[s] for s in _BUILTIN])
_AUTO_EXIT = np.array([AUTO_EXIT_RATES[s] for s in _BUILTIN])
_SESSIONS = [s.value for s in Session]


def _seed_sequence(seed: SeedLike) -> np.random.SeedSequence:
    if isinstance(seed, np.random.SeedSequence):
        return seed
    if isinstance(seed, np.random.Generator):
        return np.random.SeedSequence(seed.integers(0, 2**63, size=4).tolist())
    if seed is None:
        return np.random.SeedSequence()
    if isinstance(seed, numbers.Integral) and not isinstance(seed, bool):
        return np.random.SeedSequence(check_int("seed", seed, low=0))
    raise TypeError(
        f"seed must be an int >= 0, a numpy Generator, a SeedSequence or None; got {seed!r}"
    )


def _start_ns(start_date) -> int:
    try:
        ts = pd.Timestamp(start_date)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"start_date {start_date!r} is not a date or datetime: {exc}") from None
    if ts is pd.NaT:
        raise ValueError("start_date must be a date or datetime; got NaT")
    ts = ts.tz_localize(TIMEZONE) if ts.tzinfo is None else ts.tz_convert(TIMEZONE)
    if ts.second or ts.microsecond or ts.nanosecond:
        raise ValueError(f"start_date must fall on a whole minute; got {start_date!r}")
    return int(ts.as_unit("ns").value)


def _state_config(state: StateLike, where: str) -> StateConfig:
    if isinstance(state, MarketState):
        return STATE_CONFIGS[state]
    if isinstance(state, StateConfig):
        return state
    raise TypeError(f"{where} must be a MarketState or StateConfig; got {state!r}")


class _Registry:
    """State codes of one run: built-ins first, then custom configs by name."""

    def __init__(self) -> None:
        self.configs = [STATE_CONFIGS[s] for s in _BUILTIN]
        self.names = [s.value for s in _BUILTIN]

    def code(self, state: StateLike, where: str) -> int:
        if isinstance(state, MarketState):
            return _BUILTIN.index(state)
        config = _state_config(state, where)
        if config.name in self.names:
            index = self.names.index(config.name)
            if self.configs[index] != config:
                kind = "a built-in state" if index < len(_BUILTIN) else "another custom state"
                raise ValueError(
                    f"{where}: custom StateConfig name {config.name!r} is already used by {kind} "
                    "with different parameters; give it a unique name"
                )
            return index
        self.configs.append(config)
        self.names.append(config.name)
        return len(self.configs) - 1


def _template(
    state_sequence: Sequence[tuple[int, StateLike]] | None,
    registry: _Registry,
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
    marks = np.full(MINUTES_PER_DAY, -1, dtype=np.int64)
    seen: set[int] = set()
    for item in state_sequence:
        if not isinstance(item, tuple) or len(item) != 2:
            raise TypeError(f"state_sequence items must be (minute_offset, state) tuples; got {item!r}")
        offset, state = item
        offset = check_int("state_sequence minute_offset", offset, low=0, high=MINUTES_PER_DAY - 1)
        if offset in seen:
            raise ValueError(f"state_sequence has minute_offset {offset} more than once")
        if segment_length and offset % segment_length:
            raise ValueError(
                f"state_sequence minute_offset {offset} is not on a segment boundary "
                f"(segment_length={segment_length})"
            )
        seen.add(offset)
        marks[offset] = registry.code(state, f"state_sequence entry at minute {offset}")
    index = np.where(marks >= 0, np.arange(MINUTES_PER_DAY), -1)
    index = np.maximum.accumulate(index)
    return np.where(index >= 0, marks[np.maximum(index, 0)], -1)


class PriceGenerator:
    """Synthetic MES/ES one-minute bars from tick-level physics.

    Parameters
    ----------
    initial_price : float, default 5000.0
        First price, on the 0.25 grid; also the centre of macro gravity.
    seed : int, numpy.random.Generator, numpy.random.SeedSequence or None
        Source of all randomness, normalised once. Every generated day (and
        every :meth:`generate_bar` call) draws from its own child stream
        spawned in order, so the same seed and the same calls give identical
        bars.
    physics : PhysicsConfig, optional
        Global knobs; defaults to ``PhysicsConfig()``.

    Attributes
    ----------
    current_price : float
        Last traded price; the next bar continues from it.
    variates_drawn : int
        Random variates consumed so far (for benchmarks).

    Examples
    --------
    >>> gen = PriceGenerator(initial_price=5000.0, seed=42)
    >>> day = gen.generate_day("2025-01-06")
    >>> len(day)
    1440
    """

    TICK_SIZE = TICK_SIZE

    def __init__(
        self,
        initial_price: float = 5000.0,
        seed: SeedLike = None,
        physics: PhysicsConfig | None = None,
    ) -> None:
        price = check_real("initial_price", initial_price, low=TICK_SIZE)
        if abs(price / TICK_SIZE - round(price / TICK_SIZE)) > 1e-9:
            raise ValueError(f"initial_price must be on the 0.25 tick grid; got {initial_price!r}")
        if physics is None:
            physics = PhysicsConfig()
        if not isinstance(physics, PhysicsConfig):
            raise TypeError(f"physics must be a PhysicsConfig; got {type(physics).__name__}")
        self.initial_price = price
        self.physics = physics
        self._seed_seq = _seed_sequence(seed)
        self._tick = int(round(price / TICK_SIZE))
        self._center = self._tick
        self._last_dir = 0
        self._anchor = float(self._tick)
        self._state: StateConfig = STATE_CONFIGS[MarketState.RANGING]
        self.variates_drawn = 0

    @property
    def current_price(self) -> float:
        """Last traded price (points)."""
        return self._tick * TICK_SIZE

    # ------------------------------------------------------------------ public API
    def generate_bar(
        self,
        timestamp,
        state: MarketState = MarketState.RANGING,
        custom_state_config: StateConfig | None = None,
    ) -> dict:
        """Generate one one-minute bar continuing from :attr:`current_price`.

        The day's volatility scale is its mean (``daily_range_mean``) and a
        single bar is never a runner.

        Parameters
        ----------
        timestamp : datetime-like
            Bar start (naive values are taken as America/New_York).
        state : MarketState, default RANGING
            State whose physics drive the bar.
        custom_state_config : StateConfig, optional
            Overrides ``state``.

        Returns
        -------
        dict
            One bar with every schema column (``macro_regime`` is None).
        """
        chosen = custom_state_config if custom_state_config is not None else state
        _state_config(chosen, "state" if custom_state_config is None else "custom_state_config")
        frame = self._run(timestamp, 1, 1, [(0, chosen)], True, None, None, single_bar=True)
        bar = frame.iloc[0].to_dict()
        bar["macro_regime"] = None
        return bar

    def generate_day(
        self,
        start_date,
        state_sequence: Sequence[tuple[int, StateLike]] | None = None,
        auto_transition: bool = True,
        segment_length: int | None = None,
        macro_regime: str | None = None,
        driver: StateDriver | None = None,
    ) -> pd.DataFrame:
        """Generate one day: 1,440 consecutive one-minute bars.

        Parameters
        ----------
        start_date : date-like
            First bar's start (naive values are America/New_York; usually midnight).
        state_sequence : list of (int, MarketState or StateConfig), optional
            ``(minute_offset, state)`` pairs: each state holds from its offset
            until the next entry; minutes before the first entry keep the
            generator's current state (RANGING for a new generator). When
            given, ``auto_transition`` is not used.
        auto_transition : bool, default True
            Without a ``state_sequence``: switch state at random, each minute
            with the session's ``state_transition_prob`` times the current
            state's :data:`AUTO_EXIT_RATES`, to a state drawn from
            :data:`AUTO_TRANSITION_WEIGHTS`. ``False`` keeps the current state.
        segment_length : int, optional
            Minutes per segment: states change only at segment boundaries and
            ``segment_id`` numbers the segments. Without it, ``segment_id``
            numbers runs of constant state.
        macro_regime : str, optional
            Day label for ``macro_regime``. Without it the label is inferred:
            ``RUNNER_UP_DAY``/``RUNNER_DOWN_DAY`` for runner days, else
            ``UP_DAY``/``DOWN_DAY`` when the net move exceeds 30% of the day's
            range, ``QUIET_DAY`` when the range is under 1% of price, else
            ``CHOP_DAY``.
        driver : StateDriver, optional
            Decides the minute states instead of ``state_sequence`` or the
            automatic transitions (e.g. :class:`~fracfire.physics.FractalStateManager`,
            :class:`~fracfire.physics.MarkovStateDriver`), and may adjust each
            minute's volatility, bias and mean reversion and add label columns
            (``day_state``, ``hour_state``). Runner days are off under a driver
            (day characters are its job); its day label, when it gives one,
            becomes ``macro_regime``.

        Returns
        -------
        pandas.DataFrame
            Columns ``time`` (tz-aware America/New_York), ``open, high, low,
            close, volume``, ``open_ticks, high_ticks, low_ticks, close_ticks,
            delta_ticks, range_ticks, body_ticks, upper_wick_ticks,
            lower_wick_ticks`` (int64) and the labels ``state, session``
            (category), ``segment_id`` (int64), ``macro_regime`` (category).
            See :mod:`fracfire.schema`.
        """
        return self.generate_days(
            start_date, 1, state_sequence=state_sequence, auto_transition=auto_transition,
            segment_length=segment_length, macro_regime=macro_regime, driver=driver,
        )

    def generate_days(
        self,
        start_date,
        n_days: int,
        state_sequence: Sequence[tuple[int, StateLike]] | None = None,
        auto_transition: bool = True,
        segment_length: int | None = None,
        macro_regime: str | None = None,
        progress: Progress | None = None,
        driver: StateDriver | None = None,
    ) -> pd.DataFrame:
        """Generate ``n_days`` consecutive days as one continuous series.

        Price, direction and state carry over from day to day (and from call
        to call). Days are consecutive blocks of 1,440 minutes from
        ``start_date``; a ``state_sequence`` is applied to every day. Other
        parameters as in :meth:`generate_day`.

        Parameters
        ----------
        n_days : int
            Number of days (>= 1).
        progress : callable, optional
            Called as ``progress(days_done, n_days)`` after each day's draws.

        Returns
        -------
        pandas.DataFrame
            ``n_days * 1440`` bars in the schema of :meth:`generate_day`.
        """
        n_days = check_int("n_days", n_days, low=1)
        if segment_length is not None:
            segment_length = check_int("segment_length", segment_length, low=1, high=MINUTES_PER_DAY)
        if not isinstance(auto_transition, bool):
            raise TypeError(f"auto_transition must be a bool; got {auto_transition!r}")
        if macro_regime is not None and (not isinstance(macro_regime, str) or not macro_regime):
            raise ValueError(f"macro_regime must be a non-empty string or None; got {macro_regime!r}")
        if driver is not None:
            if not isinstance(driver, StateDriver):
                raise TypeError(f"driver must have a plan_day method (a StateDriver); got {driver!r}")
            if state_sequence is not None:
                raise ValueError("pass either state_sequence or driver, not both")
        return self._run(
            start_date, n_days, MINUTES_PER_DAY, state_sequence, auto_transition,
            segment_length, macro_regime, progress=progress, driver=driver,
        )

    # ------------------------------------------------------------------ internals
    def _run(self, start_date, n_days, per_day, state_sequence, auto, segment_length,
             macro_regime, *, single_bar=False, progress=None, driver=None) -> pd.DataFrame:
        """Generate ``n_days`` blocks of ``per_day`` minutes.

        Every block draws from its own child stream, in a fixed order: first
        ``2 + 3 * per_day`` uniforms (runner flag and sign, state switches,
        wick sides) and the day's target range, then, once the per-minute
        parameters are known, tick-count mixing and counts, one raw 64-bit
        draw per tick event, wick lengths and volume noise.
        """
        phys = self.physics
        start_ns = _start_ns(start_date)
        registry = _Registry()
        template = _template(state_sequence, registry, segment_length)
        current = registry.code(self._state, "carried-over state")
        n = n_days * per_day
        clock = schedule.minute_clock(start_ns, n)
        rngs = [np.random.default_rng(child) for child in self._seed_seq.spawn(n_days)]

        uniforms = np.stack([rng.random(2 + 3 * per_day) for rng in rngs])
        runner = np.where(uniforms[:, 1] < 0.5, 1, -1) * (uniforms[:, 0] < phys.runner_prob)
        if single_bar or phys.daily_range_std == 0:
            target = np.full(n_days, phys.daily_range_mean)
        else:
            shape, scale = schedule.gamma_shape_scale(phys.daily_range_mean, phys.daily_range_std)
            target = np.array([rng.gamma(shape, scale) for rng in rngs])
        if single_bar or driver is not None:
            runner[:] = 0
        u_switch = uniforms[:, 2:2 + per_day].ravel()
        u_wick = uniforms[:, 2 + per_day:].reshape(n_days, 2, per_day)

        plans = []
        if driver is not None:
            for d, rng in enumerate(rngs):
                plan = driver.plan_day(clock.time[d * per_day], per_day, rng,
                                       int(plans[-1].states[-1]) if plans else current)
                if len(plan.states) != per_day:
                    raise ValueError(f"driver planned {len(plan.states)} minutes for a {per_day}-minute day")
                plans.append(plan)
            codes = np.concatenate([p.states for p in plans]).astype(np.int64)
        elif template is not None:
            marks = np.tile(template[:per_day], n_days)
            index = np.maximum.accumulate(np.where(marks >= 0, np.arange(n), -1))
            codes = np.where(index >= 0, marks[np.maximum(index, 0)], current)
        elif auto:
            chance = schedule.switch_prob(clock)
            if segment_length:
                chance = np.where(np.arange(n) % segment_length == 0, chance, 0.0)
            exit_rate = np.ones(len(registry.configs))
            exit_rate[: len(_BUILTIN)] = _AUTO_EXIT
            codes = markov_states(u_switch, chance, exit_rate, _AUTO_CUM[None, :], np.zeros(n, np.int64),
                                  current)
        else:
            codes = np.full(n, current, dtype=np.int64)

        table = schedule.StateTable.of(tuple(registry.configs))
        modifiers = None
        if plans and all(p.modifiers is not None for p in plans):
            modifiers = schedule.Modifiers.concat([p.modifiers for p in plans])
        params = schedule.minute_params(
            table, codes, clock, np.repeat(schedule.daily_scale(target), per_day), phys, modifiers
        )
        if runner.any():
            bias = schedule.runner_bias(params, per_day, phys.runner_target_mult)
            params.up[:] = np.clip(params.up + np.repeat(runner * bias, per_day), 0.0, 1.0)

        rate, std = params.rate, params.rate_std
        over = std**2 > rate * (1.0 + 1e-12)
        mix_shape = np.where(over, rate**2 / np.where(over, std**2 - rate, 1.0), 1.0)
        mix_scale = np.where(over, rate / mix_shape, 1.0)
        wick_side = u_wick < params.wick_prob.reshape(n_days, 1, per_day)
        wicks_per_day = wick_side.sum(axis=(1, 2))
        counts = np.empty(n, dtype=np.int64)
        noise = np.empty(n)
        raw, wick_len = [], []
        wick_extra = phys.wick_extension_avg - 1.0
        for d, rng in enumerate(rngs):
            day = slice(d * per_day, (d + 1) * per_day)
            mixed = rng.gamma(mix_shape[day], mix_scale[day])
            counts[day] = rng.poisson(np.where(over[day], mixed, rate[day]))
            raw.append(rng.bit_generator.random_raw(int(counts[day].sum())))
            wick_len.append(rng.poisson(wick_extra, int(wicks_per_day[d])))
            noise[day] = rng.standard_normal(per_day)
            if progress is not None:
                progress(d + 1, n_days)
        raw = np.concatenate(raw)
        self.variates_drawn += (uniforms.size + n_days * (target.size == n_days and not single_bar
                                                           and phys.daily_range_std > 0)
                                + 3 * n + raw.size + int(wicks_per_day.sum()))

        prev_close = self._tick
        o, h, lo, c, self._tick, self._last_dir, self._anchor = walk_ticks(
            counts, params.up, params.persistence, params.jump_q, params.max_jump,
            params.mean_reversion, raw, self._tick, self._last_dir, self._anchor,
            float(self._center), schedule.points_to_ticks(phys.macro_gravity_threshold),
            phys.macro_gravity_strength,
        )
        self._state = registry.configs[int(codes[-1])]

        wicks = np.zeros((n_days, 2, per_day), dtype=np.int64)
        wicks[wick_side] = 1 + np.concatenate(wick_len)
        h = h + wicks[:, 0].ravel()
        lo = np.maximum(lo - wicks[:, 1].ravel(), 1)
        noise = np.exp(VOLUME_NOISE * noise - VOLUME_NOISE**2 / 2)
        volume = np.maximum(1, np.rint((counts + 1) * phys.volume_per_tick * params.volume_scale * noise))

        if segment_length:
            segment_id = np.arange(n, dtype=np.int64) // segment_length
        else:
            segment_id = np.concatenate([[0], np.cumsum(codes[1:] != codes[:-1])]).astype(np.int64)
        regimes = self._macro_labels(o, h, lo, c, runner, per_day, macro_regime)
        if plans and macro_regime is None:
            regimes = [p.macro_regime or inferred for p, inferred in zip(plans, regimes, strict=True)]
        regimes = pd.Categorical(regimes)
        labels = {
            "state": pd.Categorical.from_codes(codes, categories=registry.names),
            "session": pd.Categorical.from_codes(clock.session.astype(np.int64), categories=_SESSIONS),
            "segment_id": segment_id,
            "macro_regime": pd.Categorical.from_codes(
                np.repeat(regimes.codes.astype(np.int64), per_day), categories=regimes.categories),
        }
        bars = bars_frame(clock.time, o, h, lo, c, volume.astype(np.int64), prev_close, labels)
        for name in plans[0].labels if plans else ():
            bars[name] = pd.Categorical(np.concatenate([p.labels[name] for p in plans]))
        return bars

    @staticmethod
    def _macro_labels(o, h, lo, c, runner, per_day, macro_regime) -> list[str]:
        if macro_regime is not None:
            return [macro_regime] * len(runner)
        shape = (len(runner), per_day)
        net = c.reshape(shape)[:, -1] - o.reshape(shape)[:, 0]
        span = h.reshape(shape).max(axis=1) - lo.reshape(shape).min(axis=1)
        labels = np.where(np.abs(net) > 0.3 * span, np.where(net > 0, "UP_DAY", "DOWN_DAY"),
                          np.where(span < 0.01 * c.reshape(shape)[:, -1], "QUIET_DAY", "CHOP_DAY"))
        labels = np.where(runner > 0, "RUNNER_UP_DAY", np.where(runner < 0, "RUNNER_DOWN_DAY", labels))
        return labels.tolist()
