"""The neural tilt model: pre-trained where the tilts are known, fine-tuned on real, saved safely."""

from __future__ import annotations

import numpy as np
import pytest

from fracfire.models import ModelFileError, TiltModel
from fracfire.scenarios.conditioning import FEATURE_NAMES
from fracfire.scenarios.library import pretraining_examples, tilt_library


@pytest.fixture(scope="module")
def examples():
    bars, known = tilt_library(30, bar_minutes=5, seed=1)
    return pretraining_examples(bars, known)


@pytest.fixture(scope="module")
def library(examples):
    return examples[:3]


def test_the_library_knows_its_tilts_and_the_features_see_them(library):
    X, y, aux = library
    assert X.shape == (len(y), len(FEATURE_NAMES)) and aux.shape == y.shape and np.isfinite(X).all()
    assert abs(np.median(y)) < 0.05  # targets are relative to their median at each cut time
    # a louder true tilt makes a louder session so far and a longer range to come
    assert np.corrcoef(aux, X[:, 0])[0, 1] > 0.3 and np.corrcoef(aux, y)[0, 1] > 0.3


def test_pretraining_learns_that_activity_persists(library):
    X, y, aux = library
    model = TiltModel(epochs=150, random_state=2).fit(X, y, aux)
    assert model.pretrained_ and model.fine_tuned_examples_ == 0
    loud, quiet = X.copy(), X.copy()
    loud[:, :4] += 0.5
    quiet[:, :4] -= 0.5
    assert (model.predict(loud) - model.predict(quiet)).mean() > 0.2
    assert np.corrcoef(model.predict_tilt(X), aux)[0, 1] > 0.5
    spread = model.predict_spread(X)
    assert (spread > 0).all() and 0.5 < np.std(y - model.predict(X)) / spread.mean() < 2.0


def test_fine_tuning_is_anchored_to_the_pretrained_weights(library):
    X, y, aux = library
    pre = TiltModel(epochs=60, fine_tune_epochs=60, validation_fraction=0.0).fit(X, y, aux)
    shifted = y[:200] + 1.0  # a market whose ranges are all longer than the library's
    free = TiltModel(**{**pre.get_params(), "anchor": 0.0})
    free.__dict__.update({k: v for k, v in pre.__dict__.items() if k.endswith("_")})
    held = TiltModel(**{**pre.get_params(), "anchor": 1e6})
    held.__dict__.update({k: v for k, v in pre.__dict__.items() if k.endswith("_")})
    moved_free = free.fine_tune(X[:200], shifted).predict(X[:200]).mean() - pre.predict(X[:200]).mean()
    moved_held = held.fine_tune(X[:200], shifted).predict(X[:200]).mean() - pre.predict(X[:200]).mean()
    assert moved_free > 0.5 and moved_held < 0.5 * moved_free
    assert free.fine_tuned_examples_ == 200


def test_the_spread_is_rescaled_to_the_fine_tuning_noise(library):
    X, y, aux = library
    pre = TiltModel(epochs=80, fine_tune_epochs=5, random_state=3).fit(X, y, aux)
    noisy = y + np.random.default_rng(0).normal(0, 1.0, len(y))  # a market far noisier than the library
    tuned = TiltModel(**pre.get_params())
    tuned.__dict__.update({k: v for k, v in pre.__dict__.items() if k.endswith("_")})
    tuned.fine_tune(X, noisy)
    assert tuned.spread_scale_ > 1.5 * pre.spread_scale_
    tail = slice(int(0.8 * len(y)), None)
    z = (noisy[tail] - tuned.predict(X[tail])) / tuned.predict_spread(X[tail])
    assert np.sqrt(np.mean(z**2)) == pytest.approx(1.0, abs=0.01)


def test_tilt_model_files_round_trip_and_refuse_another_tick_size(library, tmp_path):
    X, y, aux = library
    model = TiltModel(epochs=20).fit(X, y, aux)
    path = model.save(tmp_path / "tilt.skops")
    loaded = TiltModel.load(path)
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    assert loaded.pretrained_
    loaded.tick_size_ = 0.01  # a model trained on another instrument's grid
    with pytest.raises(ValueError, match="tick size of 0.01"):
        loaded.predict(X)
    with pytest.raises(ValueError, match="tick size of 0.01"):
        loaded.fine_tune(X, y)
    with pytest.raises(ValueError, match="X has 3 features"):
        model.predict(X[:, :3])
    with pytest.raises(ValueError, match="aux must have one value per example"):
        TiltModel(epochs=2).fit(X, y, aux[:5])
    with pytest.raises(ModelFileError, match="holds a TiltModel"):
        from fracfire.models import PricePredictor

        PricePredictor.load(path)


def test_fitting_is_deterministic(library):
    X, y, aux = library
    a = TiltModel(epochs=30).fit(X, y, aux).predict(X)
    b = TiltModel(epochs=30).fit(X, y, aux).predict(X)
    np.testing.assert_array_equal(a, b)


def test_the_state_output_learns_the_librarys_true_states(tmp_path):
    from fracfire.physics import FractalStateManager

    bars, known = tilt_library(30, bar_minutes=5, seed=1, driver=FractalStateManager(seed=1))
    X, y, aux, states = pretraining_examples(bars, known)
    assert len(set(states)) >= 3
    assert states.shape == y.shape and set(states) <= {
        "ranging",
        "flat",
        "zombie",
        "rally",
        "impulsive",
        "breakdown",
        "breakout",
    }
    model = TiltModel(epochs=150, random_state=2).fit(X, y, aux, states)
    p = model.predict_state_proba(X)
    assert p.shape == (len(y), len(model.state_classes_)) and np.allclose(p.sum(axis=1), 1.0)
    # on a library it never saw, better than knowing only how often each state occurs
    other, other_known = tilt_library(20, bar_minutes=5, seed=2, driver=FractalStateManager(seed=2))
    X2, _, _, states2 = pretraining_examples(other, other_known)
    seen = np.isin(states2, model.state_classes_)
    truth = np.searchsorted(model.state_classes_, states2[seen])
    prior = np.bincount(np.searchsorted(model.state_classes_, states), minlength=p.shape[1]) / len(states)
    p2 = model.predict_state_proba(X2[seen])
    assert -np.mean(np.log(p2[np.arange(len(truth)), truth])) < -np.mean(np.log(prior[truth]))
    from fracfire.physics import MarketState

    as_members = TiltModel(epochs=2).fit(X, y, aux, [MarketState(v) for v in states])  # members or their names
    assert list(as_members.state_classes_) == list(model.state_classes_)
    with pytest.raises(ValueError, match="must be state names; example 3 has nan"):
        TiltModel(epochs=2).fit(X, y, aux, [*states[:3], float("nan"), *states[4:]])
    loaded = TiltModel.load(model.save(tmp_path / "states.skops"))
    np.testing.assert_array_equal(loaded.predict_state_proba(X), p)
    assert list(loaded.state_classes_) == list(model.state_classes_)
    tuned = loaded.fine_tune(X[:100], y[:100], states[:100])  # real examples with inferred states
    assert tuned.predict_state_proba(X[:5]).shape == (5, len(model.state_classes_))
    with pytest.raises(ValueError, match="not among the states"):
        loaded.fine_tune(X[:100], y[:100], np.full(100, "nowhere"))
    with pytest.raises(ValueError, match="one label per example"):
        TiltModel(epochs=2).fit(X, y, aux, states[:5])
    with pytest.raises(ValueError, match="fitted without states"):
        TiltModel(epochs=2).fit(X, y, aux).predict_state_proba(X)
    older = TiltModel(epochs=2).fit(X, y, aux)
    del older.state_classes_  # a file saved before the state output existed
    with pytest.raises(ValueError, match="none: fit\\(\\) was given no states"):
        older.fine_tune(X[:100], y[:100], states[:100])
    assert older.fine_tune(X[:100], y[:100]).predict(X[:3]).shape == (3,)
