"""The tick physics engine: :class:`PriceGenerator`.

Data flow: configs -> per-minute parameter arrays (:mod:`.schedule`) -> two
numba kernels (the volatility path minute by minute, then the efficient
price, uncertainty zones and bid/ask prints in sub-minute steps;
:mod:`._kernels`) -> bars DataFrame (:mod:`fracfire.schema`). The generator
decides nothing by machine learning; it executes the physics of whatever
state sequence it is given, or of its simple automatic transitions. The
model, with its equations, is in ``docs/generator.md``.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence

import numpy as np
import pandas as pd

from fracfire._typing import DateLike, Progress, SeedLike
from fracfire._validation import check_int, check_real
from fracfire.calendar import MINUTES_PER_DAY
from fracfire.physics import _plan, _run, schedule
from fracfire.physics._plan import AUTO_EXIT_RATES, AUTO_TRANSITION_WEIGHTS, StateLike
from fracfire.physics._run import N_COMPONENTS, N_INTRADAY
from fracfire.physics.config import PhysicsConfig
from fracfire.physics.driver import StateDriver
from fracfire.physics.layout import DayLayout, check_run_size, day_layout, parse_start, path_layout
from fracfire.physics.states import STATE_CONFIGS, MarketState, StateConfig
from fracfire.physics.tilt import MAX_TILT_DRIFT, Tilt
from fracfire.schema import MAX_PRICE, TICK_SIZE

__all__ = ["AUTO_EXIT_RATES", "AUTO_TRANSITION_WEIGHTS", "MINUTES_PER_DAY", "PriceGenerator"]

MIN_INITIAL_PRICE = 100.0
"""Lowest starting price: moves are in index points, so a lower start would keep hitting the price floor."""


def _slow_start(choice: str | float, drawn: np.ndarray, std: np.ndarray) -> np.ndarray:
    """Starting day-scale log-volatility components for ``volatility_start``.

    ``"level"`` puts their sum at half their stationary variance, where
    ``exp(sum - variance)`` equals its long-run mean: the start is the
    configured ``daily_range_mean`` level. A number is an offset from there.
    """
    if isinstance(choice, str) and choice == "random":
        return drawn
    if isinstance(choice, str) and choice != "level":
        raise ValueError(f"volatility_start must be 'level', 'random' or a number; got {choice!r}")
    start = np.full_like(drawn, 0.5 * float(np.sum(std**2)) / len(drawn))
    if not isinstance(choice, str):
        start[-1] += check_real("volatility_start", choice, low=-5.0, high=5.0)
    return start


def _seed_sequence(seed: SeedLike) -> np.random.SeedSequence:
    if isinstance(seed, np.random.SeedSequence):
        return seed
    if isinstance(seed, np.random.Generator):
        return np.random.SeedSequence(seed.integers(0, 2**63, size=4).tolist())
    if seed is None:
        return np.random.SeedSequence()
    if isinstance(seed, numbers.Integral) and not isinstance(seed, bool):
        return np.random.SeedSequence(check_int("seed", seed, low=0))
    raise TypeError(f"seed must be an int >= 0, a numpy Generator, a SeedSequence or None; got {seed!r}")


class PriceGenerator:
    """Synthetic MES/ES one-minute bars from tick-level physics.

    Parameters
    ----------
    initial_price : float, default 3000.0
        First price, on the 0.25 grid, in [100, 100,000] (headroom below the
        bars' price ceiling); also the centre of macro gravity.
    seed : int, numpy.random.Generator, numpy.random.SeedSequence or None
        Source of all randomness, normalised once. The starting volatility
        state is drawn from its own child stream, then every generated day
        (and every :meth:`generate_bar` call) draws from its own child stream
        spawned in order, so the same seed and the same calls give identical
        bars, however the days are split across calls.
    physics : PhysicsConfig, optional
        Global knobs; defaults to ``PhysicsConfig()`` (calibrated to ES).
    volatility_start : "level", "random" or float, default "level"
        Where the day-scale volatility starts. ``"level"``: at the configured
        level (``daily_range_mean``), so a short run looks like the market
        the knobs were calibrated on and wanders from there with the
        configured memory. ``"random"``: drawn from its long-run
        distribution, as if the run began at a random point of a long
        history (a month's level then varies several-fold between seeds).
        A float: that offset of the slowest log-volatility component, e.g.
        ``numpy.log(2)`` starts in a regime twice as volatile, fading over
        ``vol_memory_days``. The intraday
        components always start from their long-run distribution, and the
        random draws are the same whichever is chosen.

    Attributes
    ----------
    current_price : float
        Last traded price; the next bar continues from it.
    variates_drawn : int
        Random variates consumed so far (for benchmarks).

    Examples
    --------
    >>> gen = PriceGenerator(initial_price=5000.0, seed=42)
    >>> day = gen.generate_day("2025-01-08")
    >>> len(day)
    1440
    >>> week = gen.generate_days("2025-01-13", 5)  # five Globex sessions, Monday to Friday
    >>> len(week)
    6900
    """

    TICK_SIZE = TICK_SIZE

    def __init__(
        self,
        initial_price: float = 3000.0,
        seed: SeedLike = None,
        physics: PhysicsConfig | None = None,
        volatility_start: str | float = "level",
    ) -> None:
        price = check_real("initial_price", initial_price, low=MIN_INITIAL_PRICE, high=MAX_PRICE / 10)
        if abs(price / TICK_SIZE - round(price / TICK_SIZE)) > 1e-9:
            raise ValueError(f"initial_price must be on the 0.25 tick grid; got {initial_price!r}")
        if physics is None:
            physics = PhysicsConfig()
        if not isinstance(physics, PhysicsConfig):
            raise TypeError(f"physics must be a PhysicsConfig; got {type(physics).__name__}")
        self.initial_price = price
        self.physics = physics
        self._seed_seq = _seed_sequence(seed)
        self._cascade = schedule.Cascade.of(physics)
        self._sigma0 = schedule.sigma_level(physics)
        start_rng = np.random.default_rng(self._seed_seq.spawn(1)[0])
        self._vol = self._cascade.stationary_std() * start_rng.standard_normal(N_COMPONENTS)
        self._vol[N_INTRADAY:] = _slow_start(
            volatility_start, self._vol[N_INTRADAY:], self._cascade.stationary_std()[N_INTRADAY:]
        )
        self._excitation = 0.0
        self._kick = 0.0
        # the participation level's standardised components, drawn after the start stream's
        # other draws (which keep their values) and only when the knob asks for them
        self._participation = np.zeros(len(schedule.PARTICIPATION_MINUTES))
        extra = 0
        if physics.volume_participation > 0:
            self._participation = start_rng.standard_normal(len(schedule.PARTICIPATION_MINUTES))
            extra = len(schedule.PARTICIPATION_MINUTES)
        self._level = int(round(price / TICK_SIZE))
        self._center = self._level
        self._x = float(self._level)
        self._anchor = self._x
        self._side = 1
        self._state: StateConfig = STATE_CONFIGS[MarketState.RANGING]
        self._end_ns: int | None = None  # end of the last run (either calendar): start_date=None continues it
        self._last_close = self._level
        self.variates_drawn = N_COMPONENTS + extra

    @property
    def current_price(self) -> float:
        """Last traded price (points); the next bar continues from it."""
        return self._last_close * TICK_SIZE

    # ------------------------------------------------------------------ public API
    def generate_bar(
        self,
        timestamp: DateLike,
        state: MarketState = MarketState.RANGING,
        custom_state_config: StateConfig | None = None,
    ) -> dict:
        """Generate one one-minute bar continuing from :attr:`current_price`.

        A single bar is never a runner.

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
        _plan.state_config(chosen, "state" if custom_state_config is None else "custom_state_config")
        start = int(parse_start(timestamp, "timestamp").as_unit("ns").value)
        layout = DayLayout(np.array([start], dtype=np.int64), np.zeros(1, dtype=np.int64), False, start + 60 * 10**9)
        frame = _run.run_days(self, layout, None, [(0, chosen)], True, None, None, single_bar=True)
        bar = frame.iloc[0].to_dict()
        bar["macro_regime"] = None
        return bar

    def generate_day(
        self,
        start_date: DateLike,
        state_sequence: Sequence[tuple[int, StateLike]] | None = None,
        auto_transition: bool = True,
        segment_length: int | None = None,
        macro_regime: str | None = None,
        driver: StateDriver | None = None,
        calendar: str | None = None,
    ) -> pd.DataFrame:
        """Generate one day of one-minute bars.

        Parameters
        ----------
        start_date : date-like or None
            Without a calendar: the first bar's start (naive values are
            America/New_York; usually midnight); the day runs to the same wall
            clock time the next day: 1,440 bars (1,380 or 1,500 across a
            clock change), so consecutive days never overlap. With
            ``calendar="globex"``: the trading date of the session. None
            continues after the previous call.
        state_sequence : list of (int, MarketState or StateConfig), optional
            ``(minute_offset, state)`` pairs, offsets counted from the day's
            first bar: each state holds from its offset until the next entry;
            minutes before the first entry keep the generator's current state
            (RANGING for a new generator). When given, ``auto_transition`` is
            not used.
        auto_transition : bool, default True
            Without a ``state_sequence``: switch state at random, each minute
            with the session's ``state_transition_prob`` times the current
            state's :data:`AUTO_EXIT_RATES`, to a state drawn from
            :data:`AUTO_TRANSITION_WEIGHTS`. ``False`` keeps the current state.
        segment_length : int, optional
            Minutes per segment: states change only at segment boundaries
            (counted from each day's first bar) and ``segment_id`` numbers the
            segments. Without it, ``segment_id`` numbers runs of constant state.
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
        calendar : {None, "globex"}, default None
            None: a wall-clock day (the seed's behaviour). ``"globex"``: the
            CME Globex session of that trading date (see :meth:`generate_days`).

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
            start_date,
            1,
            state_sequence=state_sequence,
            auto_transition=auto_transition,
            segment_length=segment_length,
            macro_regime=macro_regime,
            driver=driver,
            calendar=calendar,
        )

    def generate_days(
        self,
        start_date: DateLike | None,
        n_days: int,
        state_sequence: Sequence[tuple[int, StateLike]] | None = None,
        auto_transition: bool = True,
        segment_length: int | None = None,
        macro_regime: str | None = None,
        progress: Progress | None = None,
        driver: StateDriver | None = None,
        calendar: str | None = "globex",
        tilt: Tilt | None = None,
    ) -> pd.DataFrame:
        """Generate ``n_days`` consecutive days as one continuous series.

        Price, volatility, state, calendar (and the volume participation
        level, ``volume_participation``) carry over from day to day and from
        call to call. A ``state_sequence`` is applied to every day. Other
        parameters as in :meth:`generate_day`.

        Parameters
        ----------
        start_date : date-like or None
            With ``calendar="globex"``: the first session is the first whose
            trading date is on or after this date (a session opens at 18:00
            ET the evening before its trading date). None continues with the
            session after the previous call's last one.
        n_days : int
            Number of days (trading sessions with the calendar), >= 1.
        progress : callable, optional
            Called as ``progress(days_done, n_days)`` after each day's draws.
        calendar : {"globex", None}, default "globex"
            ``"globex"``: CME Globex equity-index sessions (Sunday 18:00 ET
            open, the daily 17:00-18:00 ET break, no Saturdays, holidays and
            early closes; see :mod:`fracfire.calendar`). None: wall-clock days
            of every weekday, as :meth:`generate_day` without a calendar.
        tilt : Tilt, optional
            Per-minute volatility and drift leanings (see
            :mod:`fracfire.physics.tilt`); every day reads it from its first
            minute, so it needs at least as many minutes as the longest day.

        Returns
        -------
        pandas.DataFrame
            The bars, in the schema of :meth:`generate_day`.
        """
        n_days = check_run_size(n_days)
        if segment_length is not None:
            segment_length = check_int("segment_length", segment_length, low=1, high=_plan.MAX_OFFSET)
        if not isinstance(auto_transition, bool):
            raise TypeError(f"auto_transition must be a bool; got {auto_transition!r}")
        if macro_regime is not None and (not isinstance(macro_regime, str) or not macro_regime):
            raise ValueError(f"macro_regime must be a non-empty string or None; got {macro_regime!r}")
        if driver is not None:
            if not isinstance(driver, StateDriver):
                raise TypeError(f"driver must have a plan_day method (a StateDriver); got {driver!r}")
            if state_sequence is not None:
                raise ValueError("pass either state_sequence or driver, not both")
        if tilt is not None and not isinstance(tilt, Tilt):
            raise TypeError(f"tilt must be a Tilt; got {type(tilt).__name__}")
        layout = day_layout(start_date, n_days, calendar, after_ns=self._end_ns)
        if tilt is not None:
            tilt._check_span(0, int(layout.lengths.max()))
        bars = _run.run_days(
            self,
            layout,
            segment_length,
            state_sequence,
            auto_transition,
            macro_regime,
            driver,
            progress=progress,
            tilt=tilt,
        )
        self._end_ns = layout.end_ns
        return bars

    def generate_paths(
        self,
        start: DateLike,
        n_paths: int,
        end: DateLike = None,
        driver: StateDriver | None = None,
        auto_transition: bool = True,
        progress: Progress | None = None,
        tilt: Tilt | None = None,
        state: StateLike | None = None,
        volatility_spread: float = 0.0,
        drift_spread: float = 0.0,
    ) -> pd.DataFrame:
        """Generate ``n_paths`` independent continuations of the current state (scenarios).

        Every path covers the same CME Globex trading minutes, from ``start``
        to ``end`` within one session, and starts from the generator's state:
        :attr:`current_price`, the day-scale volatility, the state in force
        and the order flow. Each path draws its intraday volatility
        components afresh from their long-run distribution (what the
        generator's state does not pin down), and so does the volume
        participation level (``volume_participation``). Every path draws from its own
        child stream, spawned in order like the days of
        :meth:`generate_days`, so the same seed and the same calls give the
        same bytes. The generator's state is left as it was (paths are
        hypothetical), apart from the streams consumed.

        Parameters
        ----------
        start : datetime-like
            First bar of every path (naive values are America/New_York); a
            Globex trading minute.
        n_paths : int
            Number of paths, 1..100,000.
        end : datetime-like, optional
            End of the paths (exclusive); defaults to the close of ``start``'s
            session. Capped at that close.
        driver : StateDriver, optional
            Plans every path's states and modifiers (e.g. a
            :class:`~fracfire.physics.tilt.TiltDriver`); each path is planned
            from its first minute with the state in force now.
        auto_transition : bool, default True
            Without a driver: random state switches as in :meth:`generate_day`.
        progress : callable, optional
            ``progress(paths_done, n_paths)``.
        tilt : Tilt, optional
            Per-minute volatility and drift leanings, one value per minute of
            a path (at least as many minutes as a path has), applied to every
            path on top of the driver's modifiers.
        state : MarketState or StateConfig, optional
            The state in force at ``start`` (the generator's current state
            when omitted): where the automatic transitions or the driver
            start from.
        volatility_spread : float, default 0.0
            Standard deviation of a per-path offset of the log volatility
            (its slowest, day-scale component), in [0, 3]: uncertainty about
            the volatility level now, which the paths then carry (0: every
            path starts at the generator's level).
        drift_spread : float, default 0.0
            Standard deviation of a per-path shift of the up share of the
            path's moves (the units of :attr:`Tilt.drift <fracfire.physics.tilt.Tilt>`:
            a drift of ``2.4 * shift`` standard deviations per minute), in
            [0, 0.5], held from the path's first minute to its last:
            uncertainty about the direction of the rest of the session (trend
            days), which paths without it do not carry. The shift is drawn from
            a jumped copy of the path's stream, so the path's other draws are
            those of the same call without it (common random numbers); 0 draws
            nothing.

        Returns
        -------
        pandas.DataFrame
            The bars of every path one after the other, in the schema of
            :meth:`generate_day`, plus ``scenario`` (int64, 0-based path
            number). ``delta_ticks`` of each path's first bar is measured from
            :attr:`current_price`; ``segment_id`` restarts with every path.
        """
        n_paths = check_int("n_paths", n_paths, low=1, high=100_000)
        if not isinstance(auto_transition, bool):
            raise TypeError(f"auto_transition must be a bool; got {auto_transition!r}")
        if driver is not None and not isinstance(driver, StateDriver):
            raise TypeError(f"driver must have a plan_day method (a StateDriver); got {driver!r}")
        if tilt is not None and not isinstance(tilt, Tilt):
            raise TypeError(f"tilt must be a Tilt; got {type(tilt).__name__}")
        volatility_spread = check_real("volatility_spread", volatility_spread, low=0.0, high=3.0)
        drift_spread = check_real("drift_spread", drift_spread, low=0.0, high=MAX_TILT_DRIFT)
        layout = path_layout(start, end, n_paths)
        minutes = int(layout.lengths[0])
        check_run_size(max(1, -(-minutes * n_paths // MINUTES_PER_DAY)))  # memory, counted in whole days
        if tilt is not None:
            tilt._check_span(0, minutes)
        kept = self._state
        if state is not None:
            self._state = _plan.state_config(state, "state")
        try:
            bars = _run.run_days(
                self,
                layout,
                None,
                None,
                auto_transition,
                None,
                driver,
                progress=progress,
                independent=True,
                tilt=tilt,
                volatility_spread=volatility_spread,
                drift_spread=drift_spread,
            )
        finally:
            self._state = kept
        bars["scenario"] = np.repeat(np.arange(n_paths, dtype=np.int64), minutes)
        return bars
