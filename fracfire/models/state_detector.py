"""Which market state is the market in? (:class:`StateDetector`)."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
from sklearn.base import ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from fracfire._optional import require
from fracfire._typing import Features, Labels, Progress
from fracfire._validation import check_int, check_real
from fracfire.data.features import extract_features, make_windows
from fracfire.models import _neural
from fracfire.models.base import BaseModel, check_validation_fraction, validation_cut
from fracfire.models.targets import future_targets

__all__ = [
    "BACKENDS",
    "CALIBRATIONS",
    "CALIBRATION_FRACTION",
    "COLLAPSE_SHARE",
    "MIN_VALIDATION_ROWS",
    "StateDetector",
    "aux_targets",
]

BACKENDS = ("forest", "boosting", "neural")
CALIBRATIONS = (None, "temperature")
"""Values of ``StateDetector(calibration=...)``."""
CALIBRATION_FRACTION = 0.2
"""Share of the latest training rows the temperature is fitted on (``calibration="temperature"``)."""
COLLAPSE_SHARE = 0.9
"""A detector that calls more than this share of bars one state has collapsed (fine-tuning undoes
the step that did it; ``fracfire experiment states`` reports it as a failure)."""
MIN_VALIDATION_ROWS = 100
"""Fewest rows on either side of the fine-tuning's held-out split (fewer: no split, no early stop)."""


def _largest_share(states: np.ndarray) -> float:
    return float(np.unique(states, return_counts=True)[1].max() / len(states)) if len(states) else 0.0


def aux_targets(bars: pd.DataFrame, horizon: int) -> np.ndarray:
    """Auxiliary targets of every bar: log1p future range (``horizon`` bars) and
    whether the close ``horizon`` bars later is higher (1) or not (0); NaN at the end."""
    targets = future_targets(bars, (horizon,))
    up = np.where(np.isnan(targets[f"delta_{horizon}"]), np.nan, (targets[f"delta_{horizon}"] > 0).astype(float))
    return np.column_stack([np.log1p(targets[f"range_{horizon}"].to_numpy()), up])


class StateDetector(ClassifierMixin, BaseModel):  # mixin first: scikit-learn reads its tags
    """Minute-state classifier over bar features, pre-trainable on synthetic bars.

    Parameters
    ----------
    backend : {"forest", "boosting", "neural"}
        scikit-learn RandomForest, HistGradientBoosting, or the PyTorch
        window encoder of :mod:`fracfire.models._neural`.
    n_estimators, max_depth : int
        Forest size and depth (boosting: iterations and depth).
    window : int
        Bars per window (neural).
    epochs, lr, batch_size : training of the neural backend.
    horizon : int
        Bars ahead of the auxiliary targets used to fine-tune (all backends).
    confidence : float
        Pseudo-label threshold of tree fine-tuning.
    random_state : int
    calibration : {None, "temperature"}
        ``"temperature"``: after fitting, a copy of the model is fitted on the
        first 80 % of the rows and one temperature is fitted on the last 20 %
        (temperature scaling, Guo et al. 2017, with scikit-learn's
        ``CalibratedClassifierCV(method="temperature")``); ``predict_proba``
        then divides the log probabilities by it (``temperature_``). The most
        likely state never changes, only how sure the detector says it is.
        Twice the training time. On the held-out synthetic days of
        ``fracfire experiment states`` (which reports both) it took the
        top-label calibration error of boosting from 0.167 to 0.025 (0.171 to
        0.021 when first measured) and left the forest's and the neural
        backend's near 0.02-0.03, which are calibrated without it: use it with
        ``backend="boosting"``.

    Notes
    -----
    ``finetune(real_bars)`` adapts a pre-trained detector to real bars, which
    have no state labels. The neural backend trains its auxiliary head (next
    ``horizon`` bars' log range and direction) and, through it, the shared
    encoder the state head reads. Tree backends self-train instead: each
    epoch they label the real bars they are at least ``confidence`` sure of
    and grow extra trees (forest) or boosting iterations on them.
    """

    def __init__(
        self,
        backend: str = "forest",
        n_estimators: int = 100,
        max_depth: int = 10,
        window: int = 30,
        epochs: int = 5,
        lr: float = 1e-3,
        batch_size: int = 256,
        horizon: int = 15,
        confidence: float = 0.8,
        random_state: int = 42,
        calibration: str | None = None,
    ):
        self.backend = backend
        self.n_estimators = n_estimators
        self.max_depth = max_depth
        self.window = window
        self.epochs = epochs
        self.lr = lr
        self.batch_size = batch_size
        self.horizon = horizon
        self.confidence = confidence
        self.random_state = random_state
        self.calibration = calibration

    # ------------------------------------------------------------------ helpers
    def _check_backend(self) -> None:
        if self.backend not in BACKENDS:
            raise ValueError(f"backend must be one of {BACKENDS}; got {self.backend!r}")
        if self.calibration not in CALIBRATIONS:
            raise ValueError(f"calibration must be one of {CALIBRATIONS}; got {self.calibration!r}")

    def _fit_temperature(self, values: np.ndarray, labels: np.ndarray, bars: pd.DataFrame | None) -> float:
        """Temperature of a copy fitted on the first rows, scaled on the last :data:`CALIBRATION_FRACTION`
        (1.0 when either side is shorter than :data:`MIN_VALIDATION_ROWS`, or the last rows hold one state
        or miss one the first rows have: a few training days)."""
        from sklearn.base import clone
        from sklearn.calibration import CalibratedClassifierCV
        from sklearn.frozen import FrozenEstimator

        cut = validation_cut(len(values), CALIBRATION_FRACTION, MIN_VALIDATION_ROWS)
        if cut == len(values):
            return 1.0
        early = clone(self).set_params(calibration=None)
        early.fit(values[:cut], labels[:cut], bars=None if bars is None else bars.iloc[:cut])
        known = np.isin(labels[cut:], early.classes_)
        seen = np.unique(labels[cut:][known])
        if len(seen) < 2 or len(seen) < len(early.classes_):
            return 1.0  # scikit-learn's temperature fit needs every class the model knows in the last rows
        scaled = CalibratedClassifierCV(FrozenEstimator(early), method="temperature")
        scaled.fit(values[cut:][known], labels[cut:][known])
        return float(1.0 / scaled.calibrated_classifiers_[0].calibrators[0].beta_)

    def _matrix(self, X, reset: bool = False) -> np.ndarray:
        """Validated float matrix of ``X`` (scikit-learn's checks: 2-D, finite, dense, as many features as in fit)."""
        return validate_data(self, X, reset=reset, dtype=np.float64)

    def _windows(self, values: np.ndarray) -> np.ndarray:
        scaled = ((values - self.mean_) / self.scale_).astype(np.float32)
        padded = np.vstack([np.repeat(scaled[:1], self.window - 1, axis=0), scaled])
        return make_windows(padded, self.window)

    def _make_estimator(self, n: int):
        from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier

        if self.backend == "forest":
            return RandomForestClassifier(
                n_estimators=n, max_depth=self.max_depth, random_state=self.random_state, n_jobs=1, warm_start=True
            )
        return HistGradientBoostingClassifier(
            max_iter=n, max_depth=self.max_depth, random_state=self.random_state, warm_start=True, early_stopping=False
        )

    # ------------------------------------------------------------------ API
    def fit(
        self, X: Features, y: Labels, bars: pd.DataFrame | None = None, progress: Progress | None = None
    ) -> "StateDetector":
        """Learn states from features ``X`` (rows in time order) and labels ``y``.

        ``bars`` (aligned with ``X``) also trains the neural auxiliary head."""
        self._check_backend()
        values, labels = validate_data(self, X, y, reset=True, dtype=np.float64)
        check_classification_targets(labels)
        self.classes_ = np.unique(labels)
        self.mean_ = values.mean(axis=0)
        self.scale_ = np.where(values.std(axis=0) > 0, values.std(axis=0), 1.0)
        if self.backend == "neural":
            codes = np.searchsorted(self.classes_, labels).astype(np.int64)
            net = _neural.build_network(self.n_features_in_, len(self.classes_), self.random_state)
            aux = aux_targets(bars, self.horizon).astype(np.float32) if bars is not None else None
            if aux is not None:
                self.aux_mean_ = float(np.nanmean(aux[:, 0]))
                self.aux_scale_ = float(np.nanstd(aux[:, 0]) or 1.0)
                aux[:, 0] = (aux[:, 0] - self.aux_mean_) / self.aux_scale_
            self.history_ = _neural.train_epochs(
                net,
                self._windows(values),
                codes,
                aux,
                self.epochs,
                self.lr,
                self.batch_size,
                self.random_state,
                progress,
            )
            self.network_ = {k: v.detach().numpy().copy() for k, v in net.state_dict().items()}
        else:
            self.estimator_ = self._make_estimator(self.n_estimators).fit(values, labels)
        self.temperature_ = 1.0 if self.calibration is None else self._fit_temperature(values, labels, bars)
        return self

    def _net(self):
        torch = require("torch", "The neural backend")

        net = _neural.build_network(self.n_features_in_, len(self.classes_), self.random_state)
        net.load_state_dict({k: torch.from_numpy(v) for k, v in self.network_.items()})
        net.eval()
        return net

    def _check_fitted(self) -> None:
        check_is_fitted(self, "classes_", msg="StateDetector is not fitted yet: call fit() or load()")

    def predict_proba(self, X: Features) -> np.ndarray | pd.DataFrame:
        """Class probabilities (columns in ``classes_`` order): the confidence of each state.

        ``X`` is the feature matrix (an array comes back) or bars (the features
        are extracted here and a DataFrame indexed by the bars' times, one
        column per state, comes back).
        """
        X, times = self._from_bars(X)
        if times is not None:
            return pd.DataFrame(self.predict_proba(X), index=times, columns=[str(c) for c in self.classes_])
        proba = self._uncalibrated_proba(X)
        temperature = getattr(self, "temperature_", 1.0)  # files saved before calibration existed have none
        if temperature == 1.0:
            return proba
        from scipy.special import softmax

        return softmax(np.log(np.clip(proba, 1e-12, 1.0)) / temperature, axis=1)

    def _uncalibrated_proba(self, X: Features) -> np.ndarray:
        """The model's own class probabilities of a feature matrix, before any temperature."""
        self._check_fitted()
        values = self._matrix(X)
        if self.backend == "neural":
            torch = require("torch", "The neural backend")

            net, out = self._net(), []
            windows = self._windows(values)
            with torch.no_grad():
                for start in range(0, len(windows), 4096):
                    logits, _ = net(torch.from_numpy(np.ascontiguousarray(windows[start : start + 4096])))
                    out.append(torch.softmax(logits, dim=1).numpy())
            return np.vstack(out).astype(np.float64)
        return self.estimator_.predict_proba(values)

    def predict(self, X: Features) -> np.ndarray | pd.Series:
        """Most likely state of every row (a Series named ``state`` indexed by time when ``X`` is bars)."""
        X, times = self._from_bars(X)
        proba = self.predict_proba(X)  # first: it says so when the model is not fitted
        states = self.classes_[np.argmax(proba, axis=1)]
        return states if times is None else pd.Series(states, index=times, name="state")

    def finetune(
        self,
        real_bars: pd.DataFrame,
        epochs: int = 10,
        lr: float = 1e-4,
        features: pd.DataFrame | None = None,
        labels: Labels | None = None,
        progress: Progress | None = None,
        validation_fraction: float = 0.2,
    ) -> "StateDetector":
        """Adapt to real bars (no state labels needed; see the class notes), early-stopped.

        With ``labels`` (known states, e.g. synthetic bars from a shifted
        physics) the fine-tuning is supervised instead: the neural backend
        trains the state head and the encoder on them (auxiliary targets
        too), tree backends grow their extra trees on them.

        The last ``validation_fraction`` of the rows (in time) is held out
        and judges every step (when it has at least :data:`MIN_VALIDATION_ROWS`
        rows; 0 uses every row and stops nothing):

        - neural: the fine-tuning loss on the held-out windows after each
          epoch; training stops after two epochs without improvement and
          keeps the best epoch's weights (the auxiliary targets of the last
          ``horizon`` training rows, which look into the held-out slice, are
          dropped);
        - trees with ``labels``: the extra trees are kept only if they do not
          lower the accuracy on the held-out rows;
        - trees self-training: an epoch after which more than
          :data:`COLLAPSE_SHARE` of the held-out rows fall in one state is
          undone and ends the fine-tuning (a detector that calls everything
          one state has collapsed).

        A temperature (``calibration="temperature"``) is kept as fitted:
        real bars carry no state labels to refit it on.

        ``finetune_history_`` holds what each step saw and
        ``finetune_stopped_`` why it stopped (``"epochs"``, ``"no
        improvement"``, ``"collapse"``, ``"kept"``, ``"reverted"`` or
        ``"too few confident rows"``).

        Parameters
        ----------
        real_bars : pandas.DataFrame
            Real (or any unlabelled) bars in the schema.
        epochs, lr : fine-tuning length and learning rate (neural).
        features : pandas.DataFrame, optional
            Precomputed :func:`extract_features` of ``real_bars`` (with the windows used in pre-training).
        labels : array-like, optional
            Known states of the rows.
        progress : callable, optional
        validation_fraction : float, default 0.2
            Share of the latest rows held out for early stopping, in [0, 1).
        """
        self._check_fitted()
        check_validation_fraction(validation_fraction)
        check_int("epochs", epochs, low=1)
        check_real("lr", lr, low=0.0, low_open=True)
        values = self._matrix(features if features is not None else extract_features(real_bars))
        known = None
        if labels is not None:
            known = np.asarray(labels).astype(self.classes_.dtype)
            unknown = sorted(set(known) - set(self.classes_))
            if unknown or len(known) != len(values):
                raise ValueError(f"labels must be {len(values)} states among {list(self.classes_)}; unknown {unknown}")
        cut = validation_cut(len(values), validation_fraction, MIN_VALIDATION_ROWS)
        held = slice(cut, len(values))
        self.finetune_stopped_ = "epochs"
        if self.backend == "neural":
            net = self._net()
            aux = aux_targets(real_bars, self.horizon).astype(np.float32)
            mean = getattr(self, "aux_mean_", float(np.nanmean(aux[:, 0])))
            scale = getattr(self, "aux_scale_", float(np.nanstd(aux[:, 0]) or 1.0))
            aux[:, 0] = (aux[:, 0] - mean) / scale
            codes = None
            if known is not None:
                codes = np.searchsorted(self.classes_, known).astype(np.int64)
            else:
                for p in net.state_head.parameters():
                    p.requires_grad_(False)
            windows = self._windows(values)
            validation = None
            if cut < len(values):
                validation = (windows[held], None if codes is None else codes[held], aux[held])
                aux = aux.copy()
                aux[max(0, cut - self.horizon) : cut] = np.nan  # their targets look into the held-out rows
            self.finetune_history_ = _neural.train_epochs(
                net,
                windows[:cut],
                None if codes is None else codes[:cut],
                aux[:cut],
                epochs,
                lr,
                self.batch_size,
                self.random_state,
                progress,
                validation=validation,
            )
            if validation is not None and len(self.finetune_history_) < epochs:
                self.finetune_stopped_ = "no improvement"
            self.network_ = {k: v.detach().numpy().copy() for k, v in net.state_dict().items()}
            return self
        if known is not None:
            before = copy.deepcopy(self.estimator_)
            est = self.estimator_
            grow = max(1, self.n_estimators // 2)
            if self.backend == "forest":
                est.n_estimators += grow
            else:
                est.max_iter += grow
            missing = np.setdiff1d(self.classes_, known[:cut])
            rows = np.vstack([values[:cut], np.repeat(self.mean_[None, :], len(missing), axis=0)])
            est.fit(rows, np.concatenate([known[:cut], missing]))
            self.finetune_history_ = [cut]
            if cut < len(values):
                old, new = (float(np.mean(m.predict(values[held]) == known[held])) for m in (before, est))
                self.finetune_history_ += [old, new]
                self.finetune_stopped_ = "kept" if new >= old else "reverted"
                if new < old:
                    self.estimator_ = before
            return self
        history: list[float] = []
        check = values[held] if cut < len(values) else None
        for epoch in range(epochs):
            proba = self.estimator_.predict_proba(values[:cut])
            sure = proba.max(axis=1) >= self.confidence
            history.append(float(sure.sum()))
            if sure.sum() < 10 or len(np.unique(self.classes_[proba[sure].argmax(axis=1)])) < 2:
                self.finetune_stopped_ = "too few confident rows"
                break
            pseudo = self.classes_[proba[sure].argmax(axis=1)]
            est = self.estimator_
            before = copy.deepcopy(est) if check is not None else None
            if self.backend == "forest":
                est.n_estimators += max(1, self.n_estimators // 10)
            else:
                est.max_iter += max(1, self.n_estimators // 10)
            # Keep every class known to the estimator: add one pseudo-row per missing class.
            missing = np.setdiff1d(self.classes_, pseudo)
            rows = values[:cut][sure]
            if len(missing):
                rows = np.vstack([rows, np.repeat(self.mean_[None, :], len(missing), axis=0)])
                pseudo = np.concatenate([pseudo, missing])
            est.fit(rows, pseudo)
            if check is not None and _largest_share(est.predict(check)) > COLLAPSE_SHARE:
                self.estimator_ = before
                self.finetune_stopped_ = "collapse"
                break
            if progress is not None:
                progress(epoch + 1, epochs, float(sure.mean()))
        self.finetune_history_ = history
        return self

    def aux_loss(self, real_bars: pd.DataFrame, features: pd.DataFrame | None = None) -> float:
        """The fine-tuning objective of the neural backend on ``real_bars`` (lower is better)."""
        torch = require("torch", "The neural backend")
        nn = torch.nn

        self._check_fitted()
        if self.backend != "neural":
            raise ValueError("aux_loss exists for the neural backend only")
        values = self._matrix(features if features is not None else extract_features(real_bars))
        aux = aux_targets(real_bars, self.horizon)
        ok = ~np.isnan(aux).any(axis=1)
        aux[:, 0] = (aux[:, 0] - getattr(self, "aux_mean_", np.nanmean(aux[:, 0]))) / getattr(
            self, "aux_scale_", np.nanstd(aux[:, 0]) or 1.0
        )
        with torch.no_grad():
            _, out = self._net()(torch.from_numpy(np.ascontiguousarray(self._windows(values)[ok])))
            t = torch.from_numpy(aux[ok].astype(np.float32))
            return float(nn.MSELoss()(out[:, 0], t[:, 0]) + nn.BCEWithLogitsLoss()(out[:, 1], t[:, 1]))
