"""Level models for :class:`~fracfire.scenarios.ScenarioPolicy` beside the default neural tilt model.

``ScenarioPolicy(level_model=...)`` takes any scikit-learn regressor of the
cut features (:data:`~fracfire.scenarios.conditioning.FEATURE_NAMES`) to the
log range still to come, relative to persistence. :func:`level_model` names
the ones the command line offers:

* ``"tilt"`` (``None``): the :class:`~fracfire.models.TiltModel`, pre-trained
  on a synthetic library with known tilts, fine-tuned on the real cuts;
* ``"ridge"``: :func:`interaction_ridge`, fitted on the real cuts only.

Why the second exists (docs/scenarios.md): how much of the session so far,
the last hour and the week carries into the rest depends on how much of the
session is left, and a linear model given those products learns it from the
real cuts; on the inner NQ split it forecast the regular-hours range to come
better than the tilt model and than GARCH-t.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from fracfire.scenarios.conditioning import FEATURE_NAMES, PERSISTENT_FEATURE

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline

__all__ = [
    "LEVEL_MODELS",
    "RIDGE_ALPHAS",
    "describe_level_model",
    "interaction_ridge",
    "level_model",
    "time_left_interactions",
]

LEVEL_MODELS = ("tilt", "ridge")
"""Names :func:`level_model` knows."""

RIDGE_ALPHAS = np.logspace(-2, 4, 25)
"""Penalties :func:`interaction_ridge` chooses from by contiguous five-fold cross-validation."""

_ACTIVITY = ("day_so_far", "last_hour", "previous_session")


def time_left_interactions(X) -> np.ndarray:
    """The cut features, then the log activity ratios of the session so far, the last hour and the
    previous session less the previous week's (persistence), times the share of the session left
    and times its square, and the move so far times the share left (15 columns)."""
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != len(FEATURE_NAMES):
        raise ValueError(f"time_left_interactions needs the {len(FEATURE_NAMES)} cut features; got shape {X.shape}")
    left = X[:, [FEATURE_NAMES.index("left")]]
    activity = X[:, [FEATURE_NAMES.index(name) for name in _ACTIVITY]]
    relative = activity - X[:, [FEATURE_NAMES.index(PERSISTENT_FEATURE)]]
    move = X[:, [FEATURE_NAMES.index("move_so_far")]]
    return np.hstack([X, relative * left, relative * left**2, move * left])


def interaction_ridge() -> Pipeline:
    """Ridge regression on :func:`time_left_interactions`, its penalty chosen among
    :data:`RIDGE_ALPHAS` by contiguous (unshuffled) five-fold cross-validation."""
    from sklearn.linear_model import RidgeCV
    from sklearn.model_selection import KFold
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    return make_pipeline(
        FunctionTransformer(time_left_interactions), RidgeCV(alphas=RIDGE_ALPHAS, cv=KFold(5, shuffle=False))
    )


def level_model(name: str) -> Pipeline | None:
    """The level model called ``name`` (:data:`LEVEL_MODELS`): ``None`` for the default tilt model."""
    if name == "tilt":
        return None
    if name == "ridge":
        return interaction_ridge()
    raise ValueError(f"level model must be one of {', '.join(LEVEL_MODELS)}; got {name!r}")


def describe_level_model(model) -> str:
    """How reports name a fitted policy's level model (its ``level_model_``)."""
    from fracfire.models.tilt_model import TiltModel

    if isinstance(model, TiltModel):
        return "tilt (the neural tilt model)"
    steps = getattr(model, "named_steps", {})
    transform = steps.get("functiontransformer")
    if transform is not None and transform.func is time_left_interactions and "ridgecv" in steps:
        return f"ridge with time-left interactions (penalty {steps['ridgecv'].alpha_:.3g})"
    return type(model).__name__
