"""Multi-horizon forecasts of future moves and ranges (:class:`PricePredictor`)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import RegressorMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from fracfire._typing import Features, Horizons
from fracfire.models.base import BaseModel, check_validation_fraction, validation_cut
from fracfire.models.targets import future_targets

__all__ = ["MIN_SCALE", "SE_BLOCK_ROWS", "TARGETS", "PricePredictor", "one_standard_error"]

TARGETS = ("ticks", "relative")
"""What a :class:`PricePredictor` forecasts: ticks, or ranges in units of the recent volatility."""
MIN_SCALE = 0.25
"""Floor of the volatility level ``target='relative'`` divides by (ticks), so a dead market cannot blow it up."""


class PricePredictor(RegressorMixin, BaseModel):  # mixin first: scikit-learn reads its tags
    """Forecast ``delta_h`` (future close minus close, ticks) and ``range_h`` (future
    high minus low, ticks) for every horizon ``h``.

    One scikit-learn ``HistGradientBoostingRegressor`` per target, or an ensemble
    averaging ``n_models`` of them with different seeds (``backend="forest"``
    uses random forests instead). ``finetune`` is residual boosting: the
    pre-trained models stay as they are and a new booster of ``iterations``
    trees, binned on the new (real) data, learns what they get wrong there;
    predictions add it. Its size is early-stopped on the latest rows of the new
    data (see :meth:`finetune`): with little real data a long residual overfits
    and undoes what pre-training brought. Each further ``finetune`` stacks another residual
    booster (continuous learning). Continuing the old boosters instead would
    keep feature bins fitted on synthetic data, which resolve real features
    poorly when their scale differs.

    Parameters
    ----------
    horizons : tuple of int
    target : {"ticks", "relative"}
        ``"ticks"`` models the targets as they are. ``"relative"`` models them
        and every tick-unit feature (:func:`~fracfire.data.features.tick_unit_features`)
        in units of the recent volatility level (the ``range_mean_60`` feature,
        the mean one-bar range of the last hour), and multiplies predictions
        back: a model pre-trained at one volatility level (or instrument) then
        applies at another. Needs ``X`` with feature names (a DataFrame from
        :func:`~fracfire.data.features.extract_features`). Predictions are in ticks either way.
    backend : {"boosting", "forest"}
    n_models : int
        Ensemble size (seeds ``random_state .. random_state + n_models - 1``).
    max_iter, max_depth, learning_rate : boosting size.
    random_state : int
    """

    def __init__(
        self,
        horizons: Horizons = (1, 5, 15),
        target: str = "ticks",
        backend: str = "boosting",
        n_models: int = 1,
        max_iter: int = 150,
        max_depth: int = 6,
        learning_rate: float = 0.05,
        random_state: int = 42,
    ) -> None:
        self.horizons = horizons
        self.target = target
        self.backend = backend
        self.n_models = n_models
        self.max_iter = max_iter
        self.max_depth = max_depth
        self.learning_rate = learning_rate
        self.random_state = random_state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True  # one booster per target column
        return tags

    def targets(self, bars: pd.DataFrame) -> pd.DataFrame:
        """The training targets of ``bars`` (see :func:`fracfire.models.targets.future_targets`)."""
        return future_targets(bars, tuple(self.horizons))

    def _estimator(self, seed: int):
        from sklearn.ensemble import HistGradientBoostingRegressor, RandomForestRegressor

        if self.backend == "forest":
            return RandomForestRegressor(
                n_estimators=self.max_iter,
                max_depth=self.max_depth,
                random_state=seed,
                warm_start=True,
                n_jobs=1,
                min_samples_leaf=20,
            )
        return HistGradientBoostingRegressor(
            max_iter=self.max_iter,
            max_depth=self.max_depth,
            learning_rate=self.learning_rate,
            random_state=seed,
            warm_start=True,
            early_stopping=False,
        )

    def _rows(self, X, Y=None, reset: bool = False):
        """Validated features (and targets): scikit-learn's checks on ``X``; rows whose
        targets are NaN (the last bars of a series, from :meth:`targets`) are dropped."""
        if Y is None:
            return validate_data(self, X, reset=reset, dtype=np.float64), None
        if isinstance(Y, pd.DataFrame):
            names = list(Y.columns)
            targets = Y.to_numpy(dtype=np.float64)
            keep = ~np.isnan(targets).any(axis=1)  # future targets are NaN at the end of a series
            if not isinstance(X, pd.DataFrame):
                X = np.asarray(X)
            if len(X) == len(keep):  # a length mismatch is left for validate_data to name
                X = X.loc[keep] if isinstance(X, pd.DataFrame) else X[keep]
            targets = targets[keep]
        else:
            names = None
            targets = Y
        values, targets = validate_data(
            self, X, targets, reset=reset, dtype=np.float64, multi_output=True, y_numeric=True
        )
        if len(values) < 2:
            raise ValueError(f"need at least 2 samples with complete targets; got n_samples = {len(values)}")
        targets = np.asarray(targets, dtype=np.float64)
        if names is None:
            names = ["y"] if targets.ndim == 1 else [f"y{k}" for k in range(targets.shape[1])]
        return values, pd.DataFrame(targets.reshape(len(values), -1), columns=names)

    def fit(self, X: Features, Y: pd.DataFrame) -> "PricePredictor":
        """Fit every target on features ``X``.

        ``Y`` is a DataFrame from :meth:`targets` (one column per horizon and
        kind; rows with NaN targets are skipped), or any numeric targets as an
        array (1-D or 2-D, as scikit-learn regressors take them); :meth:`predict`
        answers in the same shape.
        """
        if self.target not in TARGETS:
            raise ValueError(f"target must be one of {TARGETS}; got {self.target!r}")
        if self.backend not in ("boosting", "forest"):
            raise ValueError(f"backend must be 'boosting' or 'forest'; got {self.backend!r}")
        if Y is None:
            raise ValueError(
                "PricePredictor requires y to be passed, but the target y is None (use PricePredictor.targets(bars))"
            )
        if isinstance(Y, pd.DataFrame):
            missing = [c for c in self.targets_columns() if c not in Y.columns]
            if missing:
                raise ValueError(f"Y is missing target columns {missing} (use PricePredictor.targets(bars))")
            Y = Y[self.targets_columns()]
        values, table = self._rows(X, Y, reset=True)
        if self.target == "relative":
            from fracfire.data.features import SCALE_FEATURE, tick_unit_features

            names = list(getattr(self, "feature_names_in_", []))
            if SCALE_FEATURE not in names:
                raise ValueError(
                    f"target='relative' needs features with names including {SCALE_FEATURE!r} "
                    "(a DataFrame from extract_features)"
                )
            self.scale_index_ = names.index(SCALE_FEATURE)
            self.tick_index_ = [names.index(n) for n in tick_unit_features(names)]
        values, base = self._model_space(values)
        if base is not None:
            table = table.div(base, axis=0)
        self.columns_ = list(table.columns)
        self.output_ = "frame" if isinstance(Y, pd.DataFrame) else ("vector" if table.columns[0] == "y" else "matrix")
        self.estimators_ = {
            c: [self._estimator(self.random_state + k).fit(values, table[c].to_numpy()) for k in range(self.n_models)]
            for c in self.columns_
        }
        self.n_iter_ = max(getattr(m, "n_iter_", self.max_iter) for ms in self.estimators_.values() for m in ms)
        return self

    def targets_columns(self) -> list[str]:
        """Names of the target columns, in order."""
        return [f"{kind}_{h}" for h in self.horizons for kind in ("delta", "range")]

    def _model_space(self, values: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """Features as the models see them, and the volatility level (None for ``target='ticks'``)."""
        if self.target != "relative":
            return values, None
        base = np.maximum(values[:, self.scale_index_], MIN_SCALE)
        scaled = values.copy()
        scaled[:, self.tick_index_] /= base[:, None]
        return scaled, base

    def _predict_model(self, scaled: np.ndarray) -> dict[str, np.ndarray]:
        out = {}
        for c, models in self.estimators_.items():
            prediction = np.mean([m.predict(scaled) for m in models], axis=0)
            for residual in getattr(self, "residuals_", {}).get(c, []):
                prediction = prediction + residual.predict(scaled)
            out[c] = prediction
        return out

    def _predict_values(self, values: np.ndarray) -> dict[str, np.ndarray]:
        """Predictions in ticks."""
        scaled, base = self._model_space(values)
        out = self._predict_model(scaled)
        return out if base is None else {c: v * base for c, v in out.items()}

    def predict(self, X: Features) -> pd.DataFrame | np.ndarray:
        """Ensemble-mean forecasts plus any fine-tuned residuals.

        One column per target in a DataFrame when fitted on :meth:`targets`
        (indexed by the bars' times when ``X`` is bars: the features are then
        extracted here); an array shaped like the fitted ``Y`` otherwise.
        """
        X, times = self._from_bars(X)
        check_is_fitted(self, "estimators_", msg="PricePredictor is not fitted yet: call fit() or load()")
        values, _ = self._rows(X)
        predictions = self._predict_values(values)
        if getattr(self, "output_", "frame") == "vector":
            return predictions[self.columns_[0]]
        if getattr(self, "output_", "frame") == "matrix":
            return np.column_stack([predictions[c] for c in self.columns_])
        index = times if times is not None else X.index if isinstance(X, pd.DataFrame) else None
        return pd.DataFrame(predictions, index=index)

    def _residual(self, k: int, iterations: int):
        booster = self._estimator(self.random_state + 1000 + k)
        return booster.set_params(**{"n_estimators" if self.backend == "forest" else "max_iter": iterations})

    @staticmethod
    def _staged(booster, values: np.ndarray):
        """Predictions after 1, 2, ... iterations (boosting) or trees (a forest's running mean)."""
        if hasattr(booster, "staged_predict"):
            yield from booster.staged_predict(values)
            return
        total = np.zeros(len(values))
        for count, tree in enumerate(booster.estimators_, start=1):
            total += tree.predict(values)
            yield total / count

    def finetune(
        self, X: Features, Y: pd.DataFrame, iterations: int = 50, validation_fraction: float = 0.2
    ) -> "PricePredictor":
        """Learn the residuals of the current model on new data (see the class notes), early-stopped.

        The rows are taken in time order: a residual model of up to
        ``iterations`` is fitted on the first ``1 - validation_fraction`` of
        them, the number of iterations (boosting) or trees (forest) is chosen
        on the last ``validation_fraction`` by the one-standard-error rule
        (:func:`one_standard_error`: the fewest whose error is within one
        standard error of the lowest, from blocks of ``max(SE_BLOCK_ROWS,
        2 * horizon)`` rows; 0: the residual does not clearly help and is
        left out), and the residual is refitted on all rows with that
        number. ``validation_fraction=0`` fits
        ``iterations`` on all rows. The numbers chosen are in
        ``finetune_iterations_`` (one list per target, one entry per call).
        """
        check_is_fitted(self, "estimators_", msg="PricePredictor is not fitted yet: call fit() before finetune()")
        check_validation_fraction(validation_fraction)
        if isinstance(Y, pd.DataFrame):
            Y = Y[self.columns_]
        values, Y = self._rows(X, Y)
        Y.columns = self.columns_
        values, base = self._model_space(values)
        if base is not None:
            Y = Y.div(base, axis=0)
        current = self._predict_model(values)
        cut = validation_cut(len(values), validation_fraction, 20)
        stop_early = cut < len(values)
        residuals = dict(getattr(self, "residuals_", {}))
        chosen = {c: list(v) for c, v in getattr(self, "finetune_iterations_", {}).items()}
        for k, c in enumerate(self.columns_):
            target = Y[c].to_numpy() - current[c]
            best = iterations
            if stop_early:
                probe = self._residual(k, iterations).fit(values[:cut], target[:cut])
                held = target[cut:]
                errors = [held**2]  # no residual at all
                errors += [(held - stage) ** 2 for stage in self._staged(probe, values[cut:])]
                best = one_standard_error(np.array(errors), block=max(SE_BLOCK_ROWS, 2 * self._horizon_of(c)))
            chosen[c] = [*chosen.get(c, []), best]
            if best == 0:
                continue
            residuals[c] = [*residuals.get(c, []), self._residual(k, best).fit(values, target)]
        self.residuals_ = residuals
        self.finetune_iterations_ = chosen
        return self

    def _horizon_of(self, column: str) -> int:
        """Bars ahead of target ``column`` (``delta_15`` -> 15; the longest horizon for other names)."""
        tail = str(column).rsplit("_", 1)[-1]
        return int(tail) if tail.isdigit() else int(max(self.horizons))

    def evaluate(self, X: Features, Y: pd.DataFrame) -> dict:
        """RMSE and MAE of every target, directional accuracy of the deltas (a dict; nothing is stored)."""
        from fracfire.evaluation.metrics import directional_accuracy, mae, rmse

        values, Y = self._rows(X, Y[self.columns_] if isinstance(Y, pd.DataFrame) else Y)
        Y.columns = self.columns_
        pred = pd.DataFrame(self._predict_values(values))
        out = {}
        for c in self.columns_:
            out[f"{c}_rmse"] = rmse(Y[c], pred[c])
            out[f"{c}_mae"] = mae(Y[c], pred[c])
            if c.startswith("delta"):
                out[f"{c}_direction_accuracy"] = directional_accuracy(Y[c], pred[c])
        return out


SE_BLOCK_ROWS = 30
"""Consecutive validation rows averaged into one block before the standard error of
:func:`one_standard_error` (neighbouring rows' targets overlap, so single rows are not
independent); ``finetune`` uses twice the target's horizon when that is longer."""


def one_standard_error(errors: np.ndarray, block: int = SE_BLOCK_ROWS) -> int:
    """The fewest stages whose validation error is within one standard error of the lowest.

    The one-standard-error rule (Breiman, Friedman, Olshen & Stone 1984;
    Hastie, Tibshirani & Friedman, *The Elements of Statistical Learning*,
    7.10): with a small validation set the stage of lowest error is partly
    that set's luck, so the simplest stage that cannot be told from it is
    kept. The standard error is that of the paired difference to the lowest
    stage, from the differences averaged over blocks of ``block`` consecutive
    rows (neighbouring forecasts overlap); with fewer than two blocks, the
    lowest stage.

    Parameters
    ----------
    errors : numpy.ndarray
        Squared errors, stages (0 = no residual) x validation rows in time order.
    block : int, default :data:`SE_BLOCK_ROWS`
        Consecutive rows per block (twice the forecast horizon or more keeps
        the blocks' overlapping targets apart).

    Returns
    -------
    int
        The chosen stage.
    """
    errors = np.asarray(errors, dtype=np.float64)
    mean = errors.mean(axis=1)
    best = int(np.argmin(mean))
    n_blocks = errors.shape[1] // block
    if best == 0 or n_blocks < 2:
        return best
    blocks = (errors[:, : n_blocks * block] - errors[best, : n_blocks * block]).reshape(len(errors), n_blocks, block)
    blocks = blocks.mean(axis=2)
    se = blocks.std(axis=1, ddof=1) / np.sqrt(n_blocks)
    return int(np.flatnonzero(mean - mean[best] <= se)[0])
