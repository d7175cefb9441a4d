"""The scenario policy: conditions the engine on an observed history, from outside.

:class:`ScenarioPolicy` orchestrates the drivers and keeps them consistent
with what the market has done so far; the engine stays pure physics.

* **Level** (the tilt): a model of the log range still to come, relative
  to its median at that time of day, on the history's activity ratios
  (:mod:`.conditioning`) forecasts how far the rest of the session will
  travel, with its own uncertainty. By default a
  :class:`~fracfire.models.TiltModel` pre-trained on a synthetic library
  whose tilts are known (:mod:`.library`) and fine-tuned on the real bars;
  any scikit-learn regressor can take its place. By default (``garch_weight`` 0.5) its
  forecast is averaged with GARCH(1,1)-t's analytic one
  (:class:`~fracfire.scenarios.garch_level.GarchLevel`). The engine's volatility is tilted minute
  by minute to the market's intraday activity profile (``p_real[b] /
  p_engine[b]``, the engine's measured on a library it generates with the
  same drivers, at the market's bar size), then scaled so that the median
  range of its paths over the same window matches the market's median
  range there times the forecast: a calibration measured on probe paths of
  that window (its bias, its elasticity to the tilt and its own spread).
  The forecast's uncertainty (the tilt model's predicted spread, or a
  plain regressor's cross-validated error) beyond the engine's own spread
  becomes a per-path spread of the volatility level.
* **States**: a :class:`~fracfire.physics.MarkovStateDriver` fitted on the
  states :func:`~fracfire.physics.infer_states` finds in the fitting bars;
  the probabilities of the state in force at the cut are read by the tilt
  model's state output (pre-trained on the library's true states,
  fine-tuned on those labels) or by a linear discriminant on the history's
  last bars, and each path starts in a state drawn from them. The states keep their
  activity and persistence, but their drift is cancelled: a state
  inferred from the market's activity (a quiet stretch labelled ZOMBIE,
  whose seed character drifts up) says nothing about direction, and the
  policy's prior for the direction of the rest of the session is none.
* **Calendar and price**: paths cover the Globex minutes from the cut to
  the horizon and start at the history's last close.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from fracfire._typing import DateLike, Progress
from fracfire._validation import check_int
from fracfire.calendar import INTRADAY_BUCKET_MINUTES, SESSION_MINUTES, minute_of_day, trading_day_number
from fracfire.physics.config import PhysicsConfig
from fracfire.scenarios.conditioning import SessionIndex, activity_profile, persistence
from fracfire.scenarios.drivers import DriftlessDriver, StartStates
from fracfire.scenarios.windows import (
    _drift_spread,
    next_open,
    path_minutes,
    require_history_up_to,
    require_trading_minute,
    start_price,
    states_at_cuts,
    training_examples,
    window_minutes,
)
from fracfire.schema import TICK_SIZE

if TYPE_CHECKING:
    from fracfire.models import TiltModel
    from fracfire.physics import MarketState, PriceGenerator, Tilt
    from fracfire.scenarios.garch_level import GarchLevel
    from fracfire.scenarios.result import ScenarioResult

__all__ = ["GARCH_WEIGHT", "LIBRARY_SESSIONS", "ScenarioPolicy"]

GARCH_WEIGHT = 0.5
"""Default weight of GARCH-t's level forecast in the policy's (``ScenarioPolicy(garch_weight=...)``)."""

MIN_WINDOW_SESSIONS = 3
"""Fitting sessions with bars over a window needed for its median range."""
LIBRARY_SESSIONS = 20
"""Sessions the engine generates to measure its own activity profile."""
PRETRAIN_SESSIONS = 150
"""Sessions of the synthetic library (known tilts) the default tilt model pre-trains on."""
ELASTICITY_PROBE = 1.5
"""Volatility multiplier of the second library, from which the elasticity is measured."""
MAX_VOLATILITY_TILT = 50.0
STATE_TAIL = 600
"""Bars the state classifier reads at a cut; it is trained on tails this long (``state_features`` standardises)."""
STATE_TRAINING_TAILS = 1000
"""Tails (evenly spaced bars of the fitting data) the state classifier is trained on."""
MAX_VOLATILITY_SPREAD = 3.0
"""Largest per-path spread of the log volatility (the engine's limit)."""
MAX_ACTIVITY_RATIO = 20.0
"""A history whose last session moved this factor more (or less) per bar than the fitting bars is refused
(another instrument or scale?): ES's largest calm-to-crisis swings are ~6x."""
_LIBRARY_START = "2019-01-07"
PROBE_DATE = pd.Timestamp("2019-01-08")
"""Trading date (a Tuesday) of the probe paths that calibrate a window."""
PROBE_PATHS = 150
DRIFT_PROBE = 0.4
"""Per-path drift spread of the third probe, over the square root of the window's minutes: a drift then moves
a path about as far as its noise, whatever the window's length."""


@dataclass(frozen=True)
class _Window:
    """The engine against the market over one ET window: log-range bias, elasticity, own spread and the
    per-path drift spread that gives its closes the market's dispersion.

    ``bias`` is the mean log range of probe paths at the profile tilt less
    the market's median log range over the window; ``elasticity`` the
    change of the mean log range per unit of log volatility tilt; ``noise``
    the variance of the probe paths' log ranges; ``drift_spread`` the
    per-path drift (``generate_paths(drift_spread=...)``) whose paths' close
    moves stray as far, in units of their own range, as the market's did
    over the window (see :func:`_drift_spread`), and ``drift_bias``,
    ``drift_noise`` what it adds to the paths' mean log range and to its
    variance.
    """

    bias: float
    elasticity: float
    noise: float
    drift_spread: float = 0.0
    drift_bias: float = 0.0
    drift_noise: float = 0.0


class ScenarioPolicy:
    """Conditional continuations of a real history (see the module notes).

    Parameters
    ----------
    physics : PhysicsConfig, optional
        The engine's knobs (``PhysicsConfig()`` by default).
    level_model : TiltModel or scikit-learn regressor, optional
        Maps :data:`~fracfire.scenarios.conditioning.FEATURE_NAMES` to the
        log range still to come, relative to its median at that time of day.
        By default a :class:`~fracfire.models.TiltModel` pre-trained on
        ``pretrain_sessions`` synthetic sessions with known tilts and
        fine-tuned on the fitting bars; a TiltModel already pre-trained (a
        loaded file) is only fine-tuned; any other regressor (a ``Ridge`` for
        a HAR-style forecast) is fitted on the real examples, and its
        cross-validated error becomes the forecasts' spread.
    library_sessions : int, default 20
        Sessions of the engine's own library (its activity profile).
    pretrain_sessions : int, default 150
        Sessions of the default tilt model's pre-training library.
    seed : int, default 0
        Seed of the library and of the state inference.
    state_model : {"tilt", "discriminant"}, default "tilt"
        What reads the state in force at a cut: the default tilt model's
        state output (pre-trained on the library's true states, fine-tuned on
        the states inferred in the fitting bars), or a linear discriminant on
        the history's last :data:`STATE_TAIL` bars (always, with a level
        model other than a :class:`~fracfire.models.TiltModel`).
    garch_weight : float, default :data:`GARCH_WEIGHT`
        Weight in [0, 1] of GARCH(1,1)-t's level forecast
        (:class:`~fracfire.scenarios.garch_level.GarchLevel`, mapped to the
        level model's target by least squares on the fitting cuts) in an
        average with the level model's; 0 uses the level model alone.

    Attributes
    ----------
    profile_ : numpy.ndarray
        The fitting bars' activity profile (ticks per bar, 48 buckets).
    bar_minutes_ : int
        Their bar size.
    level_model_ : regressor
        The fitted level model.
    markov_ : MarkovStateDriver
        States fitted on the fitting bars.
    driver_ : StateDriver
        ``markov_`` with the states' drift cancelled (what the paths use).
    fit_examples_ : int
        Examples the level model was fitted on.
    level_error_ : float
        The cross-validated error of a level model without ``predict_spread``
        (standard deviation, log range; contiguous folds).
    garch_ : GarchLevel or None
        With ``garch_weight > 0``, the GARCH-t fitted on the fitting bars.
    garch_coef_ : tuple of float
        Intercept and slope mapping its ``g`` to the level target.
    """

    def __init__(
        self,
        physics: PhysicsConfig | None = None,
        level_model: TiltModel | None = None,
        library_sessions: int = LIBRARY_SESSIONS,
        pretrain_sessions: int = PRETRAIN_SESSIONS,
        seed: int = 0,
        state_model: str = "tilt",
        garch_weight: float = GARCH_WEIGHT,
    ) -> None:
        self.physics = physics
        self.garch_weight = garch_weight
        self.level_model = level_model
        self.library_sessions = library_sessions
        self.pretrain_sessions = pretrain_sessions
        self.seed = seed
        self.state_model = state_model

    # ------------------------------------------------------------------ fitting
    def fit(self, bars: pd.DataFrame) -> "ScenarioPolicy":
        """Learn the market's profile, the level model and the states from real ``bars``."""
        from sklearn.base import clone
        from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
        from sklearn.model_selection import KFold, cross_val_predict

        from fracfire.data.checks import bar_minutes
        from fracfire.physics import MarkovStateDriver, infer_states
        from fracfire.physics.markov import state_features

        check_int("library_sessions", self.library_sessions, low=2, high=1000)
        if self.state_model not in ("tilt", "discriminant"):
            raise ValueError(f"state_model must be 'tilt' or 'discriminant'; got {self.state_model!r}")
        if not 0.0 <= float(self.garch_weight) <= 1.0:
            raise ValueError(f"garch_weight must be in [0, 1]; got {self.garch_weight!r}")
        if len(bars) < 2:
            raise ValueError(f"the scenario policy learns from whole sessions of bars; got {len(bars)} bar(s)")
        self.physics_ = self.physics if self.physics is not None else PhysicsConfig()
        self.bar_minutes_ = bar_minutes(bars)
        self.profile_ = activity_profile(bars)
        self.index_ = SessionIndex(bars, self.profile_)
        X, y, cuts = training_examples(self.index_)
        sessions = len(np.unique(trading_day_number(cuts))) if len(cuts) else 0
        if sessions < MIN_WINDOW_SESSIONS:
            raise ValueError(
                f"the scenario policy learns from sessions whose bars run to the Globex close (17:00 ET, or an "
                f"early close): {sessions} of the {len(self.index_.days)} sessions given do; need at least "
                f"{MIN_WINDOW_SESSIONS} (a regular-hours-only file never reaches it: give full-Globex bars)"
            )
        labels = infer_states(bars, seed=self.seed, physics=self.physics_)
        self.markov_ = MarkovStateDriver().fit(bars.assign(state=labels))
        self.driver_ = DriftlessDriver(self.markov_, self.physics_.trend_strength)
        names = np.asarray(labels.astype(str))
        self.fitted_states_ = sorted(set(names))
        # trained on what it reads at a cut: the features of the STATE_TAIL bars ending at a bar, last row
        rows = np.arange(len(bars) - 1, -1, -max(1, len(bars) // STATE_TRAINING_TAILS))[::-1]
        tails = np.array([state_features(bars.iloc[max(0, i + 1 - STATE_TAIL) : i + 1])[-1] for i in rows])
        self.state_classifier_ = (
            LinearDiscriminantAnalysis().fit(tails, names[rows])
            if len(np.unique(names[rows])) > 1
            else str(names[rows][0])
        )
        self.price_ = float(bars["close"].iloc[-1])
        residual = y - persistence(X)  # the level model learns the deviation from persistence
        self.level_model_ = self._fit_level_model(X, residual, states_at_cuts(self.index_, labels, cuts))
        self.fit_examples_ = len(y)
        self.garch_: GarchLevel | None = None
        self.garch_coef_ = (0.0, 0.0)
        if self.garch_weight > 0:
            from fracfire.scenarios.garch_level import fit_garch_level

            self.garch_, self.garch_coef_ = fit_garch_level(bars, self.index_, y, cuts)
        if not hasattr(self.level_model_, "predict_spread"):
            folds = KFold(min(5, len(y)), shuffle=False)  # contiguous folds: sessions stay together
            self.level_error_ = float(
                np.std(residual - cross_val_predict(clone(self.level_model_), X, residual, cv=folds))
            )
        self._profiles: dict = {}
        self._windows: dict = {}
        return self

    def _garch_level(self, history: pd.DataFrame, cut: pd.Timestamp) -> float:
        """GARCH-t's forecast of the level target at ``cut`` (:func:`~.garch_level.mapped_level`)."""
        from fracfire.scenarios.garch_level import mapped_level

        assert self.garch_ is not None, "this policy has no GARCH level (garch_weight 0)"
        return mapped_level(self.garch_, self.garch_coef_, history, cut, self.bar_minutes_)

    def _fit_level_model(self, X: np.ndarray, y: np.ndarray, states: np.ndarray):
        """The default :class:`~fracfire.models.TiltModel`: pre-trained on a library with known tilts and
        states made with this policy's drivers at the market's bar size, then fine-tuned on ``X, y`` and
        the ``states`` inferred at the cuts (without them if one was never seen in the library); a model
        already pre-trained is only fine-tuned; any other regressor is fitted on ``X, y``."""
        from sklearn.base import clone

        from fracfire.models.tilt_model import TiltModel
        from fracfire.scenarios.library import pretraining_examples, tilt_library

        model = self.level_model if self.level_model is not None else TiltModel(random_state=self.seed)
        if not isinstance(model, TiltModel):
            return clone(model).fit(X, y)

        def tune(pretrained):
            known = set(getattr(pretrained, "state_classes_", ()))
            return pretrained.fine_tune(X, y, states if known and set(states) <= known else None)

        if getattr(model, "pretrained_", False):
            return tune(copy.deepcopy(model))
        library, known = tilt_library(
            self.pretrain_sessions,
            physics=self.physics_,
            driver=self.driver_,
            bar_minutes=self.bar_minutes_,
            seed=self.seed,
            initial_price=start_price(self.price_),
        )
        X_library, y_library, aux, true_states = pretraining_examples(library, known)
        return tune(clone(model).fit(X_library, y_library - persistence(X_library), aux, true_states))

    def _check_fitted(self) -> None:
        if not hasattr(self, "level_model_"):
            raise RuntimeError("ScenarioPolicy is not fitted yet: call fit(real_bars) first")

    def _generator(self, seed) -> PriceGenerator:
        from fracfire.physics import PriceGenerator

        return PriceGenerator(initial_price=start_price(self.price_), seed=seed, physics=self.physics_)

    def engine_profile(self, states: bool) -> np.ndarray:
        """The engine's activity profile at the market's bar size (with or without the state driver), cached."""
        from fracfire.data.resample import resample_bars

        self._check_fitted()
        if states not in self._profiles:
            days = self._generator(self.seed).generate_days(
                _LIBRARY_START, self.library_sessions, driver=self.driver_ if states else None
            )
            if self.bar_minutes_ > 1:
                days = resample_bars(days, f"{self.bar_minutes_}min")
            self._profiles[states] = activity_profile(days)
        return self._profiles[states]

    def window(self, cut: pd.Timestamp, end: pd.Timestamp, states: bool) -> _Window:
        """Calibration of the engine over the ET window ``cut``..``end`` (cached by wall-clock offsets)."""
        from fracfire.scenarios.conditioning import wall_offset

        self._check_fitted()
        key = (wall_offset(cut), end - cut, states)
        if key in self._windows:
            return self._windows[key]
        real, real_moves = self.index_.window_spans(key[0], key[0] + key[1])
        if len(real) < MIN_WINDOW_SESSIONS:
            raise ValueError(
                f"the fitting bars have {len(real)} sessions with bars over {cut:%H:%M}-{end:%H:%M} "
                f"ET; the policy needs at least {MIN_WINDOW_SESSIONS} to know that window's ranges"
            )
        start = (PROBE_DATE + key[0]).tz_localize("America/New_York")
        stop = start + key[1]
        minutes = window_minutes(start, stop)
        probe_drift = DRIFT_PROBE / np.sqrt(len(minutes))
        probes = []
        # the drift probe reuses the plain probe's streams: the paths differ by their drift alone
        for k, multiplier, drift in ((0, 1.0, 0.0), (1, ELASTICITY_PROBE, 0.0), (0, 1.0, probe_drift)):
            gen = self._generator(np.random.SeedSequence([self.seed, k]))
            paths = gen.generate_paths(
                start,
                PROBE_PATHS,
                end=stop,
                driver=self.driver_ if states else None,
                tilt=self._profile_tilt(minutes, np.log(multiplier), states),
                drift_spread=drift,
            )
            by_path = paths.groupby("scenario")
            ticks = np.maximum(by_path["high_ticks"].max() - by_path["low_ticks"].min(), 1).to_numpy(dtype=float)
            moves = by_path["close_ticks"].last().to_numpy(dtype=float) - gen.current_price / TICK_SIZE
            probes.append((np.log(ticks), float(np.mean((moves / ticks) ** 2))))
        (logs, strays), (logs_loud, _), (logs_drift, strays_drift) = probes
        elasticity = float(np.clip((logs_loud.mean() - logs.mean()) / np.log(ELASTICITY_PROBE), 0.3, 3.0))
        market = float(np.mean((real_moves / np.exp(real)) ** 2)) if len(real) else np.nan
        share = _drift_spread(market, strays, strays_drift, probe_drift)
        x = (share / probe_drift) ** 2  # the probes' log ranges, interpolated in the drift variance
        result = _Window(
            float(logs.mean() - np.median(real)),
            elasticity,
            float(logs.var()),
            share,
            float(x * (logs_drift.mean() - logs.mean())),
            float(x * (logs_drift.var() - logs.var())),
        )
        self._windows[key] = result
        return result

    def _profile_tilt(self, minutes: pd.DatetimeIndex, log_multiplier: float, states: bool) -> Tilt:
        """The market's intraday profile over the engine's, times ``exp(log_multiplier)``."""
        from fracfire.physics.tilt import Tilt

        bucket = minute_of_day(minutes) // INTRADAY_BUCKET_MINUTES
        shape = self.profile_[bucket] / self.engine_profile(states)[bucket] * _weekday_neutral(minutes)
        return Tilt(np.clip(shape * np.exp(log_multiplier), 1e-3, MAX_VOLATILITY_TILT))

    # ------------------------------------------------------------------ conditioning
    def forecast_level(self, history: pd.DataFrame, cut: pd.Timestamp) -> float:
        """Forecast log range still to come, relative to its median at that time of day."""
        return self.forecast(history, cut)[0]

    def forecast(self, history: pd.DataFrame, cut: pd.Timestamp) -> tuple[float, float]:
        """The level forecast and its expected error (standard deviation), both in log range."""
        self._check_fitted()
        features = self._cut_features(history, cut)
        mean = float(self.level_model_.predict(features)[0] + persistence(features)[0])
        if getattr(self, "garch_", None) is not None:
            w, garch = float(self.garch_weight), self._garch_level(history, cut)
            mean = (1.0 - w) * mean + w * (garch if np.isfinite(garch) else mean)  # NaN: the model's alone
        if hasattr(self.level_model_, "predict_spread"):
            return mean, float(self.level_model_.predict_spread(features)[0])
        return mean, self.level_error_

    def _cut_features(self, history: pd.DataFrame, cut: pd.Timestamp) -> np.ndarray:
        """The level model's features (one row) of ``history`` at ``cut``."""
        return SessionIndex(history, self.profile_).features(int(cut.as_unit("ns").value), SESSION_MINUTES)[None, :]

    def _fitted_uniform(self, order: list[str]) -> pd.Series:
        found = pd.Series(np.isin(order, self.fitted_states_).astype(float), index=order)
        return found / found.sum()

    def state_probabilities(self, history: pd.DataFrame, cut: pd.Timestamp | None = None) -> pd.Series:
        """Probabilities of each MarketState being in force at the end of ``history``, indexed by state
        name; states never seen in the fitting bars get 0.

        Read by the tilt model from the features at ``cut`` (default: where :meth:`simulate` starts
        without one) when ``state_model="tilt"`` and the level model has a state output, otherwise (a
        level model without one, such as a ``Ridge``) by the linear discriminant from the history's
        last bars.
        """
        from scipy.special import softmax

        from fracfire.physics import MarketState
        from fracfire.physics.markov import state_features

        self._check_fitted()
        order = [s.value for s in MarketState]
        if self.state_model == "tilt" and len(getattr(self.level_model_, "state_classes_", ())):
            if cut is None:  # where simulate() starts the paths without a cut
                cut = next_open(pd.Timestamp(history["time"].iloc[-1]) + pd.Timedelta(minutes=self.bar_minutes_))
            p = self.level_model_.predict_state_proba(self._cut_features(history, cut))[0]
            found = pd.Series(p, index=self.level_model_.state_classes_).reindex(order, fill_value=0.0)
            found[~found.index.isin(self.fitted_states_)] = 0.0  # the library can hold states the market did not
            return found / found.sum() if found.sum() > 0 else self._fitted_uniform(order)
        if isinstance(self.state_classifier_, str):  # the fitting bars showed one state only
            return pd.Series(1.0, index=[self.state_classifier_]).reindex(order, fill_value=0.0)
        tail = history.iloc[-STATE_TAIL:]
        decision = np.atleast_1d(self.state_classifier_.decision_function(state_features(tail)[-1:])[0])
        if decision.size == 1:  # two classes: one score (scikit-learn 1.9's predict_proba fails on it)
            decision = np.array([0.0, decision[0]])
        found = pd.Series(softmax(decision), index=self.state_classifier_.classes_)
        return found.reindex(order, fill_value=0.0)

    def state_at(self, history: pd.DataFrame) -> MarketState:
        """The most probable MarketState in force at the end of ``history``."""
        from fracfire.physics import MarketState

        return MarketState(self.state_probabilities(history).idxmax())

    def tilt(self, cut: pd.Timestamp, end: pd.Timestamp, log_level: float, states: bool, drift: bool = False) -> Tilt:
        """The volatility tilt whose paths' median log range over ``cut``..``end`` is the market's plus
        ``log_level`` (paths with the window's drift spread when ``drift``)."""
        window = self.window(cut, end, states)
        bias = window.bias + (window.drift_bias if drift else 0.0)
        return self._profile_tilt(window_minutes(cut, end), (log_level - bias) / window.elasticity, states)

    def volatility_spread(self, cut: pd.Timestamp, end: pd.Timestamp, states: bool, error: float) -> float:
        """Per-path spread of the log volatility: the level forecast's error beyond the engine's own spread.

        ``sqrt(max(error**2 - noise, 0)) / elasticity`` for the window: the
        forecast's expected error, less what the engine's paths (with the
        window's drift spread) already vary at a known level, in
        log-volatility units.
        """
        window = self.window(cut, end, states)
        noise = max(window.noise + window.drift_noise, 0.0)
        return float(min(np.sqrt(max(error**2 - noise, 0.0)) / window.elasticity, MAX_VOLATILITY_SPREAD))

    def check_history(self, history: pd.DataFrame, cut: pd.Timestamp) -> None:
        """Raise ``ValueError`` unless ``history`` can condition a forecast from ``cut``.

        The history must be bars of the size the policy was fitted on, reach
        back at least one full session before the cut's (the model reads the
        session so far, the last hour, the previous session and the week),
        reach the cut (:func:`~fracfire.scenarios.windows.require_history_up_to`),
        and move in the
        fitting bars' units (its last session's activity within a factor of
        :data:`MAX_ACTIVITY_RATIO` of theirs: another instrument or price
        scale is refused).
        """
        from fracfire import calendar
        from fracfire.data.checks import require_bar_minutes

        if len(history) < 2:
            raise ValueError(
                f"the history has {len(history)} bar(s) before the cut {cut:%Y-%m-%d %H:%M}; the model "
                "reads the session so far, the last hour, the previous session and the week: give at "
                "least one full session before the cut"
            )
        require_bar_minutes(history, self.bar_minutes_, f"this policy (fitted on {self.bar_minutes_}-minute bars)")
        days = trading_day_number(history["time"])
        cut_day = int(trading_day_number(pd.DatetimeIndex([cut]))[0])
        if not (days < cut_day).any():
            raise ValueError(
                f"the history starts in the cut's own session ({history['time'].iloc[0]:%Y-%m-%d %H:%M}, "
                f"cut {cut:%Y-%m-%d %H:%M}); the model reads the previous session and the week: give at "
                "least one full session before the cut"
            )
        last = pd.Timestamp(history["time"].iloc[-1])
        following = calendar.next_session_date(last + pd.Timedelta(minutes=self.bar_minutes_))
        if days[-1] != cut_day and pd.Timestamp(int(cut_day), unit="D") > following:
            raise ValueError(
                f"the history ends at {last:%Y-%m-%d %H:%M}, more than a session before the cut "
                f"{cut:%Y-%m-%d %H:%M}; the model conditions on the bars just before the cut: pass the "
                "history up to the cut"
            )
        require_history_up_to(last, cut, self.bar_minutes_, same_session=bool(days[-1] == cut_day))
        index = SessionIndex(history, self.profile_)
        lo, hi = int(index.day_start[-1]), int(index.day_end[-1])
        if index.days[-1] == cut_day and len(index.days) > 1:
            lo, hi = int(index.day_start[-2]), int(index.day_end[-2])
        ratio = index.ratio(lo, hi)
        if np.isfinite(ratio) and not 1 / MAX_ACTIVITY_RATIO < ratio < MAX_ACTIVITY_RATIO:
            raise ValueError(
                f"the history's last full session moved {ratio:.3g} times as far per bar as the bars "
                f"this policy was fitted on (allowed 1/{MAX_ACTIVITY_RATIO:g} to {MAX_ACTIVITY_RATIO:g}): "
                "is it another instrument or price scale? Fit the policy on bars of the same instrument"
            )

    def simulate(
        self,
        history: pd.DataFrame,
        n: int,
        horizon: int | str = "rest-of-session",
        seed: int = 0,
        cut: DateLike | None = None,
        conditioned: bool = True,
        states: bool = True,
        progress: Progress | None = None,
    ) -> ScenarioResult:
        """``n`` continuations of ``history`` (see :func:`fracfire.scenarios.scenarios`)."""
        from fracfire.physics import MarketState, PriceGenerator
        from fracfire.physics.layout import parse_start
        from fracfire.scenarios.result import ScenarioResult

        self._check_fitted()
        last = pd.Timestamp(history["time"].iloc[-1])
        after = last + pd.Timedelta(minutes=self.bar_minutes_)
        start = parse_start(cut, "cut") if cut is not None else next_open(after)
        if self.bar_minutes_ > 1 and start.floor(f"{self.bar_minutes_}min") != start:
            raise ValueError(
                f"the cut {start:%Y-%m-%d %H:%M} is not on a {self.bar_minutes_}-minute bar boundary "
                f"(the bar before it would hold minutes after it); use "
                f"{start.floor(f'{self.bar_minutes_}min'):%H:%M} or "
                f"{start.ceil(f'{self.bar_minutes_}min'):%H:%M}"
            )
        if start <= last:
            raise ValueError(
                f"the cut {start:%Y-%m-%d %H:%M} must come after the history's last bar "
                f"({last:%Y-%m-%d %H:%M}); pass the history up to the cut"
            )
        require_trading_minute(start)
        self.check_history(history, start)
        end = path_minutes(start, horizon)
        gen = PriceGenerator(initial_price=start_price(history["close"].iloc[-1]), seed=seed, physics=self.physics_)
        level, error = self.forecast(history, start) if conditioned else (0.0, 0.0)
        tilt = self.tilt(start, end, level, states, drift=conditioned)
        driver, state = None, None
        if states:  # each path starts in a state drawn from the probabilities read at the cut
            probabilities = self.state_probabilities(history, start)
            state = MarketState(probabilities.idxmax())
            driver = StartStates(self.driver_, probabilities.to_numpy())
        spread = self.volatility_spread(start, end, states, error) if conditioned else 0.0
        drift = self.window(start, end, states).drift_spread if conditioned else 0.0
        bars = gen.generate_paths(
            start,
            n,
            end=end,
            driver=driver,
            tilt=tilt,
            state=state,
            progress=progress,
            volatility_spread=spread,
            drift_spread=drift,
        )
        return ScenarioResult(
            bars=bars,
            history=history,
            cut=start,
            horizon=str(horizon),
            level=float(np.exp(level)),
            method=_method_name(conditioned, states),
        )


def _weekday_neutral(minutes: pd.DatetimeIndex) -> np.ndarray:
    """Undo the engine's day-of-week volatility (``DOW_CONFIGS``, on the trading date's weekday) relative to
    the probe day's: the level model forecasts the market's own day, so the paths must not add the seed's
    hand-tuned weekday effects on top (a Monday would run 20 % louder than its forecast)."""
    from fracfire.physics import DOW_CONFIGS

    weekday = (trading_day_number(minutes) + 3) % 7  # 1970-01-01 was a Thursday
    factor = np.array([DOW_CONFIGS[d].volatility_multiplier for d in range(7)])
    return factor[PROBE_DATE.weekday()] / factor[weekday]


def _method_name(conditioned: bool, states: bool) -> str:
    return {
        (True, True): "policy",
        (False, True): "markov",
        (False, False): "unconditional",
        (True, False): "level only",
    }[(conditioned, states)]
