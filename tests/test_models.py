import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from fracfire import PhysicsConfig, PriceGenerator
from fracfire.data.features import extract_features, feature_names, make_windows
from fracfire.models import (
    TRUSTED_TYPES,
    ModelFileError,
    PricePredictor,
    StateDetector,
    baseline_predictions,
    future_targets,
)
from fracfire.models.base import file_sha256

ROOT = Path(__file__).resolve().parents[1]

CALIBRATED = PhysicsConfig.from_yaml(ROOT / "configs/physics_calibrated.yaml")


@pytest.fixture(scope="module")
def synthetic():
    bars = PriceGenerator(seed=1).generate_days("2025-01-06", 3)
    return bars, extract_features(bars)


@pytest.fixture(scope="module")
def shifted():
    bars = PriceGenerator(seed=7, physics=CALIBRATED).generate_days("2025-01-06", 2)
    return bars, extract_features(bars)


# ------------------------------------------------------------------ features
def test_features_are_causal(synthetic):
    bars, features = synthetic
    cut = 2000
    changed = bars.copy()
    future = changed.index >= cut
    for column in ("close_ticks", "high_ticks", "low_ticks", "delta_ticks", "range_ticks", "volume"):
        changed.loc[future, column] = changed.loc[future, column] * 3 + 7
    again = extract_features(changed)
    pd.testing.assert_frame_equal(again.iloc[:cut], features.iloc[:cut])
    assert not again.iloc[cut:].equals(features.iloc[cut:])


def test_feature_frame_shape_and_errors(synthetic):
    bars, features = synthetic
    assert list(features.columns) == feature_names()
    assert len(features) == len(bars) and np.isfinite(features.to_numpy()).all()
    with pytest.raises(ValueError, match=r"missing columns \['delta_ticks'\]"):
        extract_features(bars.drop(columns=["delta_ticks"]))
    with pytest.raises(ValueError, match="windows must be integers >= 2"):
        extract_features(bars, windows=(1,))


def test_real_bars_use_the_same_code_path():
    from fracfire.data.real import load_continuous_contract
    from tests.test_real_data import SAMPLE

    real = load_continuous_contract(SAMPLE).iloc[:3000]
    assert list(extract_features(real).columns) == feature_names()


def test_windows_are_views(synthetic):
    _, features = synthetic
    windows = make_windows(features.to_numpy(), 30)
    assert windows.shape == (len(features) - 29, 30, features.shape[1])
    np.testing.assert_allclose(windows[5, -1], features.to_numpy()[34].astype(np.float32))
    with pytest.raises(ValueError, match="window length must be in"):
        make_windows(features.to_numpy(), 0)


def test_future_targets_and_baselines(synthetic):
    bars, _ = synthetic
    targets = future_targets(bars, (1, 5))
    assert targets["delta_1"].iloc[0] == bars["close_ticks"].iloc[1] - bars["close_ticks"].iloc[0]
    assert targets["range_5"].iloc[0] == bars["high_ticks"].iloc[1:6].max() - bars["low_ticks"].iloc[1:6].min()
    assert targets.iloc[-1].isna().all()
    base = baseline_predictions(bars, (5,))
    close = bars["close_ticks"]
    assert base["persistence"]["delta_5"].iloc[10] == close.iloc[10] - close.iloc[5]
    past = bars["high_ticks"].iloc[6:11].max() - bars["low_ticks"].iloc[6:11].min()
    assert base["persistence"]["range_5"].iloc[10] == past
    assert base["rolling_mean"]["range_5"].notna().all() and base["rolling_mean"]["delta_5"].notna().all()


# ------------------------------------------------------------------ state detector
@pytest.mark.parametrize("backend", ["forest", "boosting", "neural"])
def test_state_detector_fit_predict_save_load(backend, synthetic, tmp_path):
    bars, features = synthetic
    model = StateDetector(backend=backend, n_estimators=30, epochs=2).fit(features, bars["state"], bars=bars)
    proba = model.predict_proba(features.iloc[:500])
    assert proba.shape == (500, len(model.classes_))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
    assert set(model.predict(features.iloc[:500])) <= set(model.classes_)
    assert set(model.classes_) <= {"ranging", "flat", "zombie", "rally", "impulsive", "breakdown", "breakout"}
    again = StateDetector.load(model.save(tmp_path / "model.skops"))
    np.testing.assert_array_equal(again.predict(features), model.predict(features))
    assert clone(model).get_params() == model.get_params()
    # given bars, the answers are pandas objects indexed by the bars' times
    states, table = model.predict(bars), model.predict_proba(bars)
    assert isinstance(states, pd.Series) and states.name == "state"
    assert states.index.equals(pd.DatetimeIndex(bars["time"])) and table.index.equals(states.index)
    np.testing.assert_array_equal(states.to_numpy(), model.predict(features))
    np.testing.assert_allclose(table.to_numpy(), model.predict_proba(features))
    assert list(table.columns) == [str(c) for c in model.classes_]


@pytest.mark.parametrize("backend", ["boosting", "neural"])
def test_temperature_calibration_keeps_the_states_and_tempers_the_confidence(backend, synthetic, tmp_path):
    """Temperature scaling changes how sure the detector says it is, never which state it picks; the
    temperature is fitted on the latest training rows by scikit-learn's CalibratedClassifierCV."""
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.frozen import FrozenEstimator

    bars, features = synthetic
    kwargs = dict(backend=backend, n_estimators=30, epochs=2)
    plain = StateDetector(**kwargs).fit(features, bars["state"], bars=bars)
    tempered = StateDetector(**kwargs, calibration="temperature").fit(features, bars["state"], bars=bars)
    assert plain.temperature_ == 1.0 and tempered.temperature_ != 1.0
    np.testing.assert_array_equal(tempered.predict(features), plain.predict(features))
    p, q = plain.predict_proba(features), tempered.predict_proba(features)
    np.testing.assert_allclose(q.sum(axis=1), 1.0, rtol=1e-9)
    assert (np.sign(q.max(axis=1) - p.max(axis=1)) == np.sign(1.0 - tempered.temperature_)).mean() > 0.99
    # the same temperature as scikit-learn's calibrator on a copy fitted on the first 80 % of the rows
    cut = len(features) - round(0.2 * len(features))
    early = StateDetector(**kwargs).fit(features.iloc[:cut], bars["state"].iloc[:cut], bars=bars.iloc[:cut])
    held = bars["state"].iloc[cut:].isin(early.classes_).to_numpy()
    scaled = CalibratedClassifierCV(FrozenEstimator(early), method="temperature")
    scaled.fit(features.iloc[cut:][held], bars["state"].iloc[cut:][held].to_numpy())
    assert tempered.temperature_ == pytest.approx(1.0 / scaled.calibrated_classifiers_[0].calibrators[0].beta_)
    again = StateDetector.load(tempered.save(tmp_path / "tempered.skops"))
    np.testing.assert_allclose(again.predict_proba(features), q)
    with pytest.raises(ValueError, match="calibration must be one of"):
        StateDetector(calibration="isotonic").fit(features, bars["state"])


def test_neural_finetune_changes_weights_and_lowers_its_objective(synthetic, shifted):
    bars, features = synthetic
    real_bars, real_features = shifted
    model = StateDetector(backend="neural", epochs=2).fit(features, bars["state"], bars=bars)
    before_weights = {k: v.copy() for k, v in model.network_.items()}
    before = model.aux_loss(real_bars, real_features)
    model.finetune(real_bars, epochs=3, lr=1e-3, features=real_features)
    assert model.aux_loss(real_bars, real_features) < before
    assert any(
        not np.array_equal(before_weights[k], model.network_[k]) for k in before_weights if k.startswith("encoder")
    )
    np.testing.assert_array_equal(before_weights["state_head.weight"], model.network_["state_head.weight"])


def test_tree_finetune_self_trains(synthetic, shifted):
    bars, features = synthetic
    real_bars, real_features = shifted
    # Realistic physics makes minute states hard to tell apart: accept pseudo-labels from 50 % confidence.
    model = StateDetector(backend="forest", n_estimators=30, confidence=0.5).fit(features, bars["state"])
    before = model.predict(real_features)
    model.finetune(real_bars, epochs=2, features=real_features)
    assert model.estimator_.n_estimators > 30 and model.finetune_history_
    assert (model.predict(real_features) != before).any()


def test_neural_finetune_stops_early_and_keeps_its_best_epoch(synthetic, shifted):
    import copy

    bars, features = synthetic
    real_bars, real_features = shifted
    model = StateDetector(backend="neural", epochs=2).fit(features, bars["state"], bars=bars)
    long = copy.deepcopy(model).finetune(real_bars, epochs=8, lr=1e-3, features=real_features)
    ran = len(long.finetune_history_)
    assert long.finetune_stopped_ == "no improvement" and ran < 8
    # The best epoch was two before the last one run: stopping there gives the same weights.
    short = copy.deepcopy(model).finetune(real_bars, epochs=ran - 2, lr=1e-3, features=real_features)
    for key, weights in long.network_.items():
        np.testing.assert_array_equal(weights, short.network_[key])
    with pytest.raises(ValueError, match=r"validation_fraction must be in \[0, 1\); got 1.0"):
        model.finetune(real_bars, features=real_features, validation_fraction=1.0)


def test_tree_finetune_undoes_a_step_that_collapses_it(synthetic, shifted):
    bars, features = synthetic
    real_bars, real_features = shifted
    # A detector that already calls almost everything one state: self-training would make it total.
    labels = np.where(np.random.default_rng(0).random(len(features)) < 0.8, "ranging", "rally")
    model = StateDetector(backend="forest", n_estimators=20, confidence=0.5).fit(features, labels)
    model.finetune(real_bars, epochs=3, features=real_features)
    assert model.finetune_stopped_ == "collapse"
    assert model.estimator_.n_estimators == 20  # the step was undone
    supervised = StateDetector(backend="boosting", n_estimators=20).fit(features, bars["state"])
    supervised.finetune(real_bars, features=real_features, labels=real_bars["state"])
    cut, before, after = supervised.finetune_history_
    assert cut == int(len(real_features) * 0.8) and 0 <= before <= 1 and 0 <= after <= 1
    assert supervised.finetune_stopped_ == ("kept" if after >= before else "reverted")
    assert supervised.estimator_.max_iter == (30 if after >= before else 20)


def test_detector_errors(synthetic, tmp_path):
    bars, features = synthetic
    with pytest.raises(ValueError, match="backend must be one of"):
        StateDetector(backend="svm").fit(features, bars["state"])
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError, match="not fitted"):
        StateDetector().predict(features)
    model = StateDetector(n_estimators=5).fit(features, bars["state"])
    with pytest.raises(ValueError, match="Feature names seen at fit time, yet now missing"):
        model.predict(features.iloc[:, :5])
    with (
        pytest.raises(ValueError, match="X has 5 features, but StateDetector is expecting 39 features"),
        pytest.warns(UserWarning, match="does not have valid feature names"),
    ):
        model.predict(features.iloc[:, :5].to_numpy())
    bad = tmp_path / "bad.skops"
    bad.write_bytes(b"not a model")
    with pytest.raises(ModelFileError, match="not a FracFire model file.*expected a skops archive"):
        StateDetector.load(bad)
    import zipfile

    with zipfile.ZipFile(bad, "w") as archive:
        archive.writestr("schema.json", "{ truncated")
    with pytest.raises(ModelFileError, match="not a readable FracFire model file"):
        StateDetector.load(bad)
    path = model.save(tmp_path / "m.skops")
    with pytest.raises(ModelFileError, match="holds a StateDetector, not a PricePredictor"):
        PricePredictor.load(path)
    import skops.io as sio

    payload = sio.load(path, trusted=list(TRUSTED_TYPES))
    payload["format_version"] = 99
    sio.dump(payload, bad)
    with pytest.raises(ModelFileError, match="format version 99 is not supported"):
        StateDetector.load(bad)


class _Payload:
    """Unpickling this runs a shell command: the classic malicious model file."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        import os

        return os.system, (f"touch {self.marker}",)


def test_model_files_never_run_code(synthetic, tmp_path):
    import pickle

    import joblib
    import skops.io as sio

    bars, features = synthetic
    model = StateDetector(n_estimators=5).fit(features, bars["state"])
    marker = tmp_path / "pwned"
    # A pickle (what joblib writes), even one wrapping a valid model, is refused unread.
    for name, write in (
        ("m.joblib", lambda f, p: joblib.dump(p, f)),
        ("m.pkl", lambda f, p: f.write_bytes(pickle.dumps(p))),
    ):
        file = tmp_path / name
        write(file, {"model": model, "x": _Payload(marker)})
        with pytest.raises(ModelFileError, match="pickle and joblib files are refused"):
            StateDetector.load(file)
    # A skops archive smuggling a callable is refused, naming the type.
    payload = sio.load(model.save(tmp_path / "ok.skops"), trusted=list(TRUSTED_TYPES))
    payload["state"]["hook_"] = os.system
    sio.dump(payload, tmp_path / "evil.skops")
    with pytest.raises(ModelFileError, match="not on the allow-list: .*system"):
        StateDetector.load(tmp_path / "evil.skops")
    assert not marker.exists()
    # A file that does not match its recorded hash is refused before it is read.
    with pytest.raises(ModelFileError, match="SHA-256 does not match"):
        StateDetector.load(tmp_path / "ok.skops", sha256="0" * 64)
    StateDetector.load(tmp_path / "ok.skops", sha256=file_sha256(tmp_path / "ok.skops"))


# ------------------------------------------------------------------ price predictor
def test_price_predictor_fit_finetune_and_ensemble(synthetic, shifted, tmp_path):
    bars, features = synthetic
    real_bars, real_features = shifted
    model = PricePredictor(horizons=(1, 5), n_models=2, max_iter=40).fit(
        features, PricePredictor(horizons=(1, 5)).targets(bars)
    )
    prediction = model.predict(real_features)
    assert list(prediction.columns) == ["delta_1", "range_1", "delta_5", "range_5"]
    by_time = model.predict(real_bars)
    assert by_time.index.equals(pd.DatetimeIndex(real_bars["time"], name="time"))
    np.testing.assert_allclose(by_time.to_numpy(), prediction.to_numpy())
    assert len(model.estimators_["range_5"]) == 2
    metrics = model.evaluate(real_features, model.targets(real_bars))
    assert {"range_5_rmse", "delta_5_direction_accuracy"} <= set(metrics)
    assert not hasattr(model, "metrics_"), "metrics are returned, not stored on the estimator"
    loaded = PricePredictor.load(model.save(tmp_path / "p.skops"))
    pd.testing.assert_frame_equal(loaded.predict(real_features), prediction)
    targets = model.targets(real_bars)
    before = model.evaluate(real_features, targets)["range_5_rmse"]
    pretrained = model.estimators_["range_5"][0]
    model.finetune(real_features, targets, iterations=30, validation_fraction=0)
    assert model.estimators_["range_5"][0] is pretrained and pretrained.max_iter == 40, "pre-trained kept"
    assert len(model.residuals_["range_5"]) == 1 and model.residuals_["range_5"][0].max_iter == 30
    assert model.evaluate(real_features, targets)["range_5_rmse"] < before
    stopped = PricePredictor.load(tmp_path / "p.skops").finetune(real_features, targets, iterations=200)
    kept = stopped.finetune_iterations_["range_5"][0]
    assert 0 <= kept <= 200
    assert len(stopped.residuals_.get("range_5", [])) == (kept > 0)
    if kept:
        assert stopped.residuals_["range_5"][0].max_iter == kept
    with pytest.raises(ValueError, match="validation_fraction"):
        stopped.finetune(real_features, targets, validation_fraction=1.0)
    plain = PricePredictor(horizons=(5,), max_iter=5).fit(features, np.arange(len(features), dtype=float))
    assert plain.predict(features).shape == (len(features),), "array targets in, arrays out (scikit-learn)"
    with pytest.raises(ValueError, match="Y is missing target columns"):
        model.fit(features, targets[["range_5"]])


def test_bar_sources_yield_bars_features_and_labels(tmp_path):
    from fracfire.data import ArchetypeSource, BarSource, RealFileSource, build_archetypes
    from fracfire.data.sources import concat
    from tests.test_real_data import SAMPLE

    build_archetypes(tmp_path / "lib", ["quiet_day", "melt_up"], 2, seed=1, workers=1)
    synthetic = ArchetypeSource(tmp_path / "lib")
    assert isinstance(synthetic, BarSource)
    units = list(synthetic)
    assert len(units) == 4 and units[0].name.startswith("quiet_day/day")
    assert all(len(u.bars) == len(u.features) == len(u.labels) == 1380 for u in units)  # Globex sessions
    real = RealFileSource(SAMPLE)
    first = next(iter(real))
    assert first.labels is None and list(first.features.columns) == feature_names()
    assert first.name == "es_1min_2019-09.csv.gz/session 0"
    joined = concat(units)
    assert len(joined.bars) == 4 * 1380 and joined.labels is not None
    assert concat([first, units[0]]).labels is None


def test_early_stopping_leaves_out_a_residual_that_only_fits_noise():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(600, 4))
    y = X[:, 0] * 3.0
    model = PricePredictor(horizons=(1,), max_iter=100).fit(X, y)
    noise = rng.normal(size=600)  # new data: the same relation plus pure noise, nothing to learn
    model.finetune(X, y + noise, iterations=300)
    assert model.finetune_iterations_["y"][0] < 300


def test_the_one_standard_error_rule_keeps_the_fewest_stages_it_cannot_tell_from_the_best():
    from fracfire.models.price_predictor import one_standard_error

    rng = np.random.default_rng(1)
    base = rng.exponential(size=600)
    noise = rng.normal(scale=0.3, size=(6, 600))
    noise -= noise.mean(axis=1, keepdims=True) + 0.002 * np.arange(6)[:, None]  # later stages a hair lower
    lucky = base + noise  # six stages that differ by far less than the rows' own scatter
    assert int(np.argmin(lucky.mean(axis=1))) == 5 and one_standard_error(lucky) == 0
    real = base - np.array([[0.0], [0.5], [0.8], [0.81], [0.8], [0.79]])  # stage 2 is a real gain, 3 is not
    assert one_standard_error(real + noise) == 2
    assert one_standard_error(real[:, :40]) == 3  # one block of rows: no standard error, the lowest stage


def test_finetune_blocks_the_standard_error_by_twice_the_horizon(monkeypatch):
    """Targets 60 bars ahead overlap for 60 rows: their blocks must be longer than the default 30."""
    import fracfire.models.price_predictor as pp

    blocks = []
    rule = pp.one_standard_error
    monkeypatch.setattr(pp, "one_standard_error", lambda errors, block: blocks.append(block) or rule(errors, block))
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 3))
    Y = pd.DataFrame({"delta_5": X[:, 0], "range_5": X[:, 1] ** 2, "delta_60": X[:, 2], "range_60": X[:, 1] ** 2})
    PricePredictor(horizons=(5, 60), max_iter=10).fit(X, Y).finetune(X, Y, iterations=5)
    PricePredictor(horizons=(60,), max_iter=10).fit(X, X[:, 0]).finetune(X, X[:, 0], iterations=5)  # column "y"
    assert blocks == [pp.SE_BLOCK_ROWS, pp.SE_BLOCK_ROWS, 120, 120, 120]


def test_relative_targets_are_scale_free(synthetic):
    """Scaling every tick quantity by 4 (a four times more volatile market) scales the forecasts by 4."""
    from fracfire.data.features import tick_unit_features

    bars, features = synthetic
    targets = PricePredictor(horizons=(5,)).targets(bars)
    model = PricePredictor(horizons=(5,), max_iter=20, target="relative").fit(features, targets)
    louder = features.copy()
    ticks = tick_unit_features(features.columns)
    louder[ticks] = louder[ticks] * 4
    base, scaled = model.predict(features), model.predict(louder)
    np.testing.assert_allclose(scaled["range_5"], 4 * base["range_5"], rtol=1e-9)
    with pytest.raises(ValueError, match="needs features with names"):
        PricePredictor(horizons=(5,), target="relative").fit(features.to_numpy(), targets)


def test_har_windows_are_minutes_whatever_the_bar_size():
    import numpy as np
    from sklearn.linear_model import LinearRegression

    from fracfire.data import load_continuous_contract, resample_bars
    from fracfire.models import future_targets, har_range_baseline
    from fracfire.models.targets import _har_design
    from tests.test_real_data import SAMPLE

    five = resample_bars(load_continuous_contract(SAMPLE), "5min")
    train, test = five.iloc[:2000].reset_index(drop=True), five.iloc[2000:2600].reset_index(drop=True)
    got = har_range_baseline(train, test, (3,))["range_3"].to_numpy()
    y = future_targets(train, (3,))["range_3"].to_numpy()
    ok = ~np.isnan(y)
    design = _har_design(train, 3, (12, 78))  # the last hour and 390 minutes, in five-minute bars
    expected = np.maximum(LinearRegression().fit(design[ok], y[ok]).predict(_har_design(test, 3, (12, 78))), 0.0)
    assert np.allclose(got, expected)
