"""Multi-horizon forecasts of future moves and ranges (:class:`PricePredictor`)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import RegressorMixin

from fracfire.models.base import BaseModel
from fracfire.models.targets import future_targets

__all__ = ["PricePredictor"]


class PricePredictor(BaseModel, RegressorMixin):
    """Forecast ``delta_h`` (future close minus close, ticks) and ``range_h`` (future
    high minus low, ticks) for every horizon ``h``.

    One scikit-learn ``HistGradientBoostingRegressor`` per target, or an ensemble
    averaging ``n_models`` of them with different seeds (``backend="forest"``
    uses random forests instead). ``finetune`` is residual boosting: the
    pre-trained models stay as they are and a new booster of ``iterations``
    trees, binned on the new (real) data, learns what they get wrong there;
    predictions add it. Each further ``finetune`` stacks another residual
    booster (continuous learning). Continuing the old boosters instead would
    keep feature bins fitted on synthetic data, which resolve real features
    poorly when their scale differs.

    Parameters
    ----------
    horizons : tuple of int
    target : {"ticks"}
        Units of the targets.
    backend : {"boosting", "forest"}
    n_models : int
        Ensemble size (seeds ``random_state .. random_state + n_models - 1``).
    max_iter, max_depth, learning_rate : boosting size.
    random_state : int
    """

    def __init__(self, horizons=(1, 5, 15), target: str = "ticks", backend: str = "boosting", n_models: int = 1,
                 max_iter: int = 150, max_depth: int = 6, learning_rate: float = 0.05, random_state: int = 42):
        self.horizons = horizons
        self.target = target
        self.backend = backend
        self.n_models = n_models
        self.max_iter = max_iter
        self.max_depth = max_depth
        self.learning_rate = learning_rate
        self.random_state = random_state

    def targets(self, bars: pd.DataFrame) -> pd.DataFrame:
        """The training targets of ``bars`` (see :func:`fracfire.models.targets.future_targets`)."""
        return future_targets(bars, tuple(self.horizons))

    def _estimator(self, seed: int):
        from sklearn.ensemble import HistGradientBoostingRegressor, RandomForestRegressor

        if self.backend == "forest":
            return RandomForestRegressor(n_estimators=self.max_iter, max_depth=self.max_depth, random_state=seed,
                                         warm_start=True, n_jobs=1, min_samples_leaf=20)
        return HistGradientBoostingRegressor(max_iter=self.max_iter, max_depth=self.max_depth,
                                             learning_rate=self.learning_rate, random_state=seed, warm_start=True,
                                             early_stopping=False)

    def _rows(self, X, Y=None):
        values = X.to_numpy(dtype=np.float64) if isinstance(X, pd.DataFrame) else np.asarray(X, dtype=np.float64)
        if hasattr(self, "n_features_in_") and values.shape[1] != self.n_features_in_:
            raise ValueError(f"expected {self.n_features_in_} features (as in fit); got {values.shape[1]}")
        if Y is None:
            return values, None
        if not isinstance(Y, pd.DataFrame):
            raise TypeError("Y must be a DataFrame of targets (use PricePredictor.targets(bars))")
        keep = np.isfinite(values).all(axis=1) & Y.notna().all(axis=1).to_numpy()
        if keep.sum() < 10:
            raise ValueError(f"need at least 10 rows with complete targets; got {int(keep.sum())}")
        return values[keep], Y.loc[keep]

    def fit(self, X, Y: pd.DataFrame) -> "PricePredictor":
        """Fit every target column of ``Y`` (from :meth:`targets`) on features ``X``."""
        if self.target != "ticks":
            raise ValueError(f"target must be 'ticks'; got {self.target!r}")
        if self.backend not in ("boosting", "forest"):
            raise ValueError(f"backend must be 'boosting' or 'forest'; got {self.backend!r}")
        if not isinstance(Y, pd.DataFrame):
            raise TypeError("Y must be a DataFrame of targets (use PricePredictor.targets(bars))")
        expected = self.targets_columns()
        missing = [c for c in expected if c not in Y.columns]
        if missing:
            raise ValueError(f"Y is missing target columns {missing}")
        values, Y = self._rows(X, Y)
        self.n_features_in_ = values.shape[1]
        self.columns_ = expected
        self.estimators_ = {c: [self._estimator(self.random_state + k).fit(values, Y[c].to_numpy())
                                for k in range(self.n_models)] for c in expected}
        return self

    def targets_columns(self) -> list[str]:
        """Names of the target columns, in order."""
        return [f"{kind}_{h}" for h in self.horizons for kind in ("delta", "range")]

    def _predict_values(self, values: np.ndarray) -> dict[str, np.ndarray]:
        out = {}
        for c, models in self.estimators_.items():
            prediction = np.mean([m.predict(values) for m in models], axis=0)
            for residual in getattr(self, "residuals_", {}).get(c, []):
                prediction = prediction + residual.predict(values)
            out[c] = prediction
        return out

    def predict(self, X) -> pd.DataFrame:
        """Ensemble-mean forecasts plus any fine-tuned residuals, one column per target.

        ``X`` is the feature matrix, or bars (features extracted here; the
        rows are then indexed by the bars' times).
        """
        if not hasattr(self, "estimators_"):
            raise RuntimeError("PricePredictor is not fitted yet: call fit() or load()")
        X, times = self._from_bars(X)
        values, _ = self._rows(X)
        index = times if times is not None else X.index if isinstance(X, pd.DataFrame) else None
        return pd.DataFrame(self._predict_values(values), index=index)

    def finetune(self, X, Y: pd.DataFrame, iterations: int = 50) -> "PricePredictor":
        """Learn the residuals of the current model on new data (see the class notes)."""
        if not hasattr(self, "estimators_"):
            raise RuntimeError("PricePredictor is not fitted yet: call fit() before finetune()")
        values, Y = self._rows(X, Y)
        current = self._predict_values(values)
        residuals = dict(getattr(self, "residuals_", {}))
        for k, c in enumerate(self.columns_):
            booster = self._estimator(self.random_state + 1000 + k)
            if self.backend == "forest":
                booster.set_params(n_estimators=iterations)
            else:
                booster.set_params(max_iter=iterations)
            booster.fit(values, Y[c].to_numpy() - current[c])
            residuals[c] = [*residuals.get(c, []), booster]
        self.residuals_ = residuals
        return self

    def evaluate(self, X, Y: pd.DataFrame) -> dict:
        """RMSE and MAE of every target, directional accuracy of the deltas; stored in ``metrics_``."""
        from fracfire.evaluation.metrics import directional_accuracy, mae, rmse

        values, Y = self._rows(X, Y)
        pred = self.predict(values)
        out = {}
        for c in self.columns_:
            out[f"{c}_rmse"] = rmse(Y[c], pred[c])
            out[f"{c}_mae"] = mae(Y[c], pred[c])
            if c.startswith("delta"):
                out[f"{c}_direction_accuracy"] = directional_accuracy(Y[c], pred[c])
        self.metrics_ = out
        return out
