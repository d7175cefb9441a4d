"""StateDetector, PricePredictor and TiltModel are scikit-learn estimators: the library's own checks pass."""

import numpy as np
import pytest
from sklearn.base import is_classifier, is_regressor
from sklearn.utils.estimator_checks import parametrize_with_checks

from fracfire.models import PricePredictor, StateDetector, TiltModel

ESTIMATORS = [
    StateDetector("forest", n_estimators=10),
    StateDetector("boosting", n_estimators=10),
    PricePredictor(horizons=(1,), max_iter=10),
    TiltModel(epochs=20, fine_tune_epochs=5),
]


@parametrize_with_checks(ESTIMATORS)
def test_scikit_learn_checks(estimator, check):
    check(estimator)


def test_kinds():
    assert is_classifier(StateDetector()) and is_regressor(PricePredictor())


def test_fitting_leaves_global_random_state_alone():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(300, 4)), np.repeat(["a", "b", "c"], 100)
    np.random.seed(123)
    torch.manual_seed(123)
    numpy_before, torch_before = np.random.get_state()[1].copy(), torch.random.get_rng_state().clone()
    StateDetector("neural", epochs=1, window=5, batch_size=64).fit(X, y)
    PricePredictor(horizons=(1,), max_iter=5).fit(X, rng.normal(size=300))
    assert (np.random.get_state()[1] == numpy_before).all()
    assert torch.equal(torch.random.get_rng_state(), torch_before)
