"""Conditional scenarios: the rest of a real session as a distribution.

The scenario policy (:class:`ScenarioPolicy`) conditions the engine on what
the market has done, from outside: a level model tilts its volatility, a
Markov driver fitted on the market's inferred states plans its states, and
the calendar and the last close place the paths. :func:`scenarios` is the
one-call entry point; :mod:`.evaluate` scores forecasts against peers.
"""

from __future__ import annotations

import pandas as pd

from fracfire._typing import DateLike
from fracfire._validation import check_int
from fracfire.exceptions import BarsValidationError
from fracfire.physics.layout import parse_start
from fracfire.scenarios.conditioning import FEATURE_NAMES, activity_profile, cut_features
from fracfire.scenarios.level_models import LEVEL_MODELS, level_model
from fracfire.scenarios.policy import ScenarioPolicy
from fracfire.scenarios.result import QUANTILES, ScenarioResult
from fracfire.scenarios.windows import HORIZONS, parse_horizon, require_trading_minute
from fracfire.schema import check_bars

__all__ = [
    "FEATURE_NAMES",
    "HORIZONS",
    "LEVEL_MODELS",
    "QUANTILES",
    "ScenarioPolicy",
    "ScenarioResult",
    "activity_profile",
    "cut_features",
    "level_model",
    "scenarios",
]


def scenarios(
    history: pd.DataFrame,
    n: int = 1000,
    horizon: int | str = "rest-of-session",
    seed: int = 0,
    cut: DateLike | None = None,
    policy: ScenarioPolicy | None = None,
    fit_bars: pd.DataFrame | None = None,
) -> ScenarioResult:
    """``n`` labelled continuations of a real ``history``.

    Parameters
    ----------
    history : pandas.DataFrame
        Real bars up to the cut, in time order (e.g. from
        :func:`fracfire.data.load_continuous_contract`).
    n : int, default 1000
        Number of continuations.
    horizon : {"rest-of-session", "rth"} or int, default "rest-of-session"
        To the Globex close of the cut's session, to the 16:00 ET cash close,
        or that many minutes (within the session).
    seed : int, default 0
        Same seed, same history, same bytes.
    cut : datetime-like, optional
        First minute to simulate (a trading minute); the minute after the
        history's last bar by default. The history must end before it: at most
        an hour before it in its session, or at the close of the session
        before when the cut is the next session's open.
    policy : ScenarioPolicy, optional
        A fitted policy; fitted on ``fit_bars`` (or ``history`` itself) when omitted.
    fit_bars : pandas.DataFrame, optional
        Bars to fit the policy on (at least a few sessions before the cut).

    Returns
    -------
    ScenarioResult
        ``.bars`` holds every continuation with a ``scenario`` column;
        ``summary()`` gives quantiles of the close, the high and low to come
        and probabilities (close above the open, range expansion); ``save()``
        writes them with a fan chart.

    Examples
    --------
    >>> from fracfire.data import load_continuous_contract
    >>> real = load_continuous_contract("data/es_1min_2019-09.csv.gz")  # doctest: +SKIP
    >>> history = real[real["time"] < "2019-09-27 11:00-04:00"]  # doctest: +SKIP
    >>> result = scenarios(history, n=200, seed=1)  # doctest: +SKIP
    >>> print(result.summary())  # doctest: +SKIP
    """
    if not isinstance(history, pd.DataFrame) or not len(history):
        raise ValueError("scenarios: history must be a non-empty bars DataFrame")
    # the arguments are checked before the (slow) policy fit; how the history reaches the cut
    # is checked by ScenarioPolicy.simulate
    _check_bars("history", history)
    if fit_bars is not None:
        _check_bars("fit_bars", fit_bars)
    check_int("n", n, low=1, high=100_000)
    horizon = parse_horizon(horizon)
    check_int("seed", seed, low=0)
    if cut is not None:
        require_trading_minute(parse_start(cut, "cut"))
    if policy is None:
        policy = ScenarioPolicy().fit(fit_bars if fit_bars is not None else history)
    return policy.simulate(history, n, horizon=horizon, seed=seed, cut=cut)


def _check_bars(name: str, bars: pd.DataFrame) -> None:
    """Raise ``BarsValidationError`` naming ``name`` unless ``bars`` follow the bars schema
    (:func:`~fracfire.schema.check_bars` without labels: the price rules, ``volume``, the tick
    columns and their agreement with the prices; the loader gives all of them, ``volume`` too
    for files without one). Rows may be missing in between (a session filter, two files
    joined), so ``delta_ticks`` is not checked against the previous row."""
    try:
        check_bars(bars, require_labels=False, continuity=False, who=f"scenarios: {name}")
    except BarsValidationError as error:
        raise BarsValidationError(f"{error} (load files with fracfire.data.load_continuous_contract)") from None
