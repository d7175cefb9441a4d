"""A synthetic library whose volatility tilts are known: what the tilt model pre-trains on.

Each session ``d`` gets a log volatility tilt that persists across sessions
and wanders within them:

.. math::

    L_d = \\phi L_{d-1} + \\sigma_d \\varepsilon_d, \\qquad
    \\ell_{d,m} = L_d + \\sigma_h W_d(m / 60)

with :math:`\\phi` = :data:`TILT_PERSISTENCE`, :math:`\\sigma_d` =
:data:`TILT_SHOCK`, :math:`W_d` a standard Brownian motion in hours
(:math:`\\sigma_h` = :data:`TILT_HOURLY`) and :math:`\\varepsilon_d` standard
normal. The engine generates the sessions with volatility
:math:`e^{\\ell_{d,m}}` times whatever its driver asks, so the model learns,
from histories whose true tilt is known, how much of a quiet or a loud
stretch carries into the rest of the session.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fracfire.calendar import MINUTES_PER_DAY
from fracfire.scenarios.conditioning import SessionIndex, activity_profile

__all__ = ["TILT_HOURLY", "TILT_PERSISTENCE", "TILT_SHOCK", "pretraining_examples", "tilt_library"]

TILT_PERSISTENCE = 0.7
"""Session-to-session autocorrelation of the log tilt."""
TILT_SHOCK = 0.15
"""Standard deviation of a session's log-tilt innovation (stationary sd ``0.15 / sqrt(1 - 0.49)`` = 0.21)."""
TILT_HOURLY = 0.05
"""Standard deviation per hour of the log tilt's walk within a session."""
_MAX_MINUTES = MINUTES_PER_DAY


class _KnownTilts:
    """Multiplies the base driver's (or the engine's own) volatility by a drawn tilt per minute."""

    def __init__(self, base, tilts: dict[int, np.ndarray]) -> None:
        self.base = base
        self.tilts = tilts

    def plan_day(self, start, n_minutes, rng, previous_state):
        from fracfire.calendar import trading_day_number
        from fracfire.physics.driver import DayPlan
        from fracfire.physics.schedule import Modifiers

        day = int(trading_day_number(np.array([pd.Timestamp(start).value], dtype=np.int64))[0])
        factor = np.exp(self.tilts[day][:n_minutes])
        if self.base is None:
            return DayPlan(
                np.full(n_minutes, int(previous_state), dtype=np.int64),
                Modifiers(factor, np.zeros(n_minutes), np.zeros(n_minutes)),
            )
        plan = self.base.plan_day(start, n_minutes, rng, previous_state)
        m = plan.modifiers
        modifiers = (
            Modifiers(factor, np.zeros(n_minutes), np.zeros(n_minutes))
            if m is None
            else Modifiers(m.volatility * factor, m.bias, m.mean_reversion)
        )
        return DayPlan(plan.states, modifiers, plan.labels, plan.macro_regime)


def tilt_library(
    sessions: int,
    physics=None,
    driver=None,
    bar_minutes: int = 1,
    seed: int = 0,
    start: str = "2019-01-07",
    initial_price: float = 3000.0,
) -> tuple[pd.DataFrame, np.ndarray]:
    """Synthetic sessions with known log volatility tilts (see the module notes).

    Parameters
    ----------
    sessions : int
        Globex sessions from ``start``.
    physics : PhysicsConfig, optional
    driver : StateDriver, optional
        Decides the states (the engine's own auto-transitions without one).
    bar_minutes : int
        Bar size of the returned bars (one-minute bars resampled).
    seed : int
        Seed of the tilts and of the engine.
    start : str
        First trading date.
    initial_price : float

    Returns
    -------
    bars : pandas.DataFrame
        The sessions at ``bar_minutes`` bars.
    known : numpy.ndarray, shape (n, 2)
        ``[time_ns, log_tilt]`` of every one-minute bar before resampling:
        its UTC epoch nanoseconds and its true log tilt.
    """
    from fracfire import calendar
    from fracfire._validation import check_int
    from fracfire.physics import PriceGenerator

    check_int("sessions", sessions, low=2, high=5000)
    days = calendar.sessions(pd.Timestamp(start), n_sessions=sessions)
    numbers = days["trading_date"].to_numpy(dtype="datetime64[D]").astype(np.int64)
    rng = np.random.default_rng(np.random.SeedSequence([seed, 7]))
    level, tilts = 0.0, {}
    for number in numbers:
        level = TILT_PERSISTENCE * level + TILT_SHOCK * rng.standard_normal()
        walk = np.cumsum(rng.standard_normal(_MAX_MINUTES)) * TILT_HOURLY / np.sqrt(60.0)
        tilts[int(number)] = level + walk
    gen = PriceGenerator(initial_price=initial_price, seed=seed, physics=physics)
    bars = gen.generate_days(start, sessions, driver=_KnownTilts(driver, tilts))
    day = calendar.trading_day_number(bars["time"])
    first = np.r_[True, day[1:] != day[:-1]]
    position = np.arange(len(day)) - np.maximum.accumulate(np.where(first, np.arange(len(day)), 0))
    log_tilt = np.array([tilts[int(d)][p] for d, p in zip(day, position, strict=True)])
    known = np.column_stack([bars["time"].to_numpy(dtype="datetime64[ns]").astype(np.int64), log_tilt])
    if bar_minutes > 1:
        from fracfire.data.resample import resample_bars

        bars = resample_bars(bars, f"{bar_minutes}min")
    return bars, known


def pretraining_examples(
    bars: pd.DataFrame, known: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Features, targets, the true mean log tilt over the rest of the session and the true state in force,
    at every training cut.

    The library is measured in units of its own activity profile, as real
    bars are in theirs (the features and targets are scale-free).
    """
    from fracfire.calendar import trading_day_number
    from fracfire.scenarios.windows import states_at_cuts, training_examples

    index = SessionIndex(bars, activity_profile(bars))
    X, y, cuts = training_examples(index)
    times, tilt = known[:, 0].astype(np.int64), known[:, 1]
    day = trading_day_number(times)
    cumulative = np.r_[0.0, np.cumsum(tilt)]
    aux = np.empty(len(cuts))
    for i, cut in enumerate(cuts):
        a = int(np.searchsorted(times, cut))
        d = trading_day_number(np.array([cut], dtype=np.int64))[0]
        b = int(np.searchsorted(day, d, side="right"))  # trading days are in time order
        aux[i] = (cumulative[b] - cumulative[a]) / max(b - a, 1)
    return X, y, aux, states_at_cuts(index, index.bars["state"], cuts)
