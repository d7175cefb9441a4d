import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from fracfire.cli import app
from fracfire.exceptions import ConfigError
from fracfire.models import PricePredictor, StateDetector
from fracfire.training import FinetuneConfig, TrainConfig, load_config

ROOT = Path(__file__).resolve().parents[1]

runner = CliRunner()


def write(path, data):
    path.write_text(yaml.safe_dump(data))
    return path


def tiny_train(tmp_path, model_type="RandomForestClassifier", **model):
    return {
        "experiment": "test",
        "random_seed": 3,
        "validation_split": 0.25,
        "data": {"source": "synthetic", "days": 2, "seed": 5},
        "model": {"type": model_type, "n_estimators": 10, "max_depth": 5, "epochs": 1, **model},
        "output_dir": str(tmp_path / "models"),
        "model_name": f"{model_type}.skops",
        "tracking_uri": (tmp_path / "mlruns").as_uri(),
    }


def test_shipped_configs_validate():
    assert load_config(ROOT / "configs/synthetic_pretrain.yaml", TrainConfig).model.n_estimators == 100
    assert load_config(ROOT / "configs/real_finetune.yaml", FinetuneConfig).lr == 1e-4


@pytest.mark.parametrize(
    "mutate, match",
    [
        (lambda c: c.update(learning_rate=0.1), r"learning_rate: Extra inputs are not permitted"),
        (lambda c: c["model"].update(n_estimators="many"), r"model.n_estimators: Input should be a valid integer"),
        (lambda c: c["model"].update(type="SVM"), r"model.type: Input should be"),
        (lambda c: c.update(validation_split=1.5), r"validation_split: Input should be less than 1"),
        (lambda c: c["data"].update(source="ftp"), r"data.source"),
        (lambda c: c.update(model_name="../../x/m.skops"), r"model_name: Value error, must be a file name without"),
        (lambda c: c.update(windows=[5, 100000]), r"windows.1: Input should be less than or equal to 1380"),
    ],
)
def test_bad_configs_fail_naming_the_key(tmp_path, mutate, match):
    config = tiny_train(tmp_path)
    mutate(config)
    with pytest.raises(ConfigError, match=match):
        load_config(write(tmp_path / "bad.yaml", config), TrainConfig)


def test_train_finetune_predict_end_to_end(tmp_path, monkeypatch):
    import numpy as np

    from fracfire import PriceGenerator, extract_features

    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    config = write(tmp_path / "train.yaml", tiny_train(tmp_path, "NeuralStateDetector", epochs=2))
    result = runner.invoke(app, ["train", "--config", str(config)])
    assert result.exit_code == 0, result.output
    model_path = tmp_path / "models" / "NeuralStateDetector.skops"
    assert model_path.exists() and "accuracy" in result.output
    assert "2/2 epochs" in result.output
    finetune = {
        "experiment": "test",
        "base_model": str(model_path),
        "model_type": "StateDetector",
        "data": {"source": "synthetic", "days": 1, "seed": 9, "physics": str(ROOT / "configs/physics_calibrated.yaml")},
        "epochs": 2,
        "lr": 0.001,
        "output_dir": str(tmp_path / "models"),
        "model_name": "tuned.skops",
        "tracking_uri": (tmp_path / "mlruns").as_uri(),
    }
    result = runner.invoke(app, ["finetune", "--config", str(write(tmp_path / "ft.yaml", finetune))])
    assert result.exit_code == 0, result.output
    tuned = StateDetector.load(tmp_path / "models" / "tuned.skops")
    bars = PriceGenerator(seed=1).generate_day("2025-01-06")
    assert len(tuned.predict(extract_features(bars))) == 1440
    runs = list((tmp_path / "mlruns").glob("*/*/metrics/train_loss"))
    assert runs, "per-epoch losses are logged to MLflow"
    assert list((tmp_path / "mlruns").glob("*/*/artifacts/*.yaml")), "the config file is an artifact"
    assert np.isfinite(tuned.network_["aux_head.weight"]).all()


def test_price_predictor_training_and_env_paths(tmp_path, monkeypatch):
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    monkeypatch.setenv("FRACFIRE_OUT_DIR", str(tmp_path / "elsewhere"))
    config = tiny_train(tmp_path, "PricePredictor", horizons=[1, 5])
    config["output_dir"] = "models"
    result = runner.invoke(app, ["train", "--config", str(write(tmp_path / "p.yaml", config))])
    assert result.exit_code == 0, result.output
    model = PricePredictor.load(tmp_path / "elsewhere" / "models" / "PricePredictor.skops")
    assert model.columns_ == ["delta_1", "range_1", "delta_5", "range_5"]
    assert "range_5_rmse" in result.output
    assert "epochs" not in result.output, "a booster fits in one go: no epoch bar"


def test_cli_rejects_a_bad_config(tmp_path):
    config = tiny_train(tmp_path)
    config["modle"] = {}
    result = runner.invoke(app, ["train", "--config", str(write(tmp_path / "bad.yaml", config))])
    assert result.exit_code == 1 and "modle: Extra inputs are not permitted" in result.output


def test_transfer_experiment_cli(tmp_path, monkeypatch):
    import json

    from fracfire.data import load_continuous_contract, write_bars
    from tests.test_real_data import SAMPLE

    monkeypatch.setenv("MLFLOW_TRACKING_URI", (tmp_path / "mlruns").as_uri())
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    real = load_continuous_contract(SAMPLE)
    small = real[real["session_id"] < 7]
    path = write_bars(small, tmp_path / "real.parquet")
    result = runner.invoke(
        app,
        [
            "experiment",
            "transfer",
            "--real",
            str(path),
            "--out",
            str(tmp_path / "t"),
            "--sizes",
            "2,500,all",  # 500: more sessions than the file has, skipped and said so
            "--days-per-archetype",
            "2",
            "--seeds",
            "2",
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads((tmp_path / "t" / "transfer.json").read_text())
    assert set(data["future_range_rmse"]) == {"2", "all"}
    models = {"scratch", "synthetic_only", "finetuned", "rolling_mean", "persistence", "har"}
    assert set(data["future_range_rmse"]["2"]) == models
    assert set(data["direction_accuracy"]["2"]) == models - {"har"}  # HAR forecasts no direction
    h = data["used"]["horizon_bars"]
    for name, iv in data["intervals"]["2"].items():
        assert iv[f"range_{h}_rmse_low"] <= data["future_range_rmse"]["2"][name] == iv[f"range_{h}_rmse"]
        assert iv[f"range_{h}_rmse"] <= iv[f"range_{h}_rmse_high"]
    tuned = data["intervals"]["2"]["finetuned"]
    key = f"range_{h}_rmse_minus_scratch"
    assert tuned[key + "_low"] <= tuned[key] <= tuned[key + "_high"]
    assert f"range_{h}_rmse_minus_best_baseline" in tuned and f"delta_{h}_direction_accuracy_low" in tuned
    assert "goal met:" in data["verdict"]["2"] and "goal met:" in result.output
    assert data["used"]["library_seeds"] == 2 and len(list((tmp_path / "t").glob("archetypes-seed*"))) == 2
    assert set(data["state_macro_f1"]) == {"before_finetune", "after_finetune"}
    assert data["used"]["test_sessions"] == 2 and data["used"]["train_sessions_by_size"] == {"2": 2, "all": 5}
    assert data["used"]["skipped_sizes"] == [500] and "sizes [500] skipped: only 5 sessions" in " ".join(
        (tmp_path / "t" / "transfer.md").read_text().split()
    )
    assert "# Transfer experiment" in (tmp_path / "t" / "transfer.md").read_text()
    assert list((tmp_path / "mlruns").glob("*/*/artifacts/transfer.json"))
    too_short = write_bars(real[real["session_id"] < 2], tmp_path / "short.parquet")
    result = runner.invoke(app, ["experiment", "transfer", "--real", str(too_short), "--out", str(tmp_path / "u")])
    assert result.exit_code == 1 and "at least 4 sessions" in result.output


def test_a_tracking_uri_that_is_neither_folder_nor_uri_is_refused(tmp_path, monkeypatch):
    from fracfire.training.tracking import tracking_run

    monkeypatch.chdir(tmp_path)
    with pytest.raises(RuntimeError, match="MLflow tracking at '::::' is unusable: neither a folder nor a URI"):
        with tracking_run("x", "y", "::::"):
            pass
    assert not (tmp_path / "::::").exists()


def test_states_experiment_reports_separability(tmp_path):
    from tests.test_real_data import SAMPLE

    result = runner.invoke(
        app,
        [
            "experiment",
            "states",
            "--out",
            str(tmp_path / "states"),
            "--train-days",
            "2",
            "--test-days",
            "1",
            "--backends",
            "forest,boosting",
            "--seed",
            "1",
            "--real",
            str(SAMPLE),
        ],
    )
    assert result.exit_code == 0, result.output
    import json

    data = json.loads((tmp_path / "states" / "states.json").read_text())
    backends = [row["backend"] for row in data["table"]]
    assert backends == ["forest", "boosting"]
    for row in data["table"]:
        assert 0 <= row["macro_f1"] <= 1 and 0 <= row["min_recall"] <= 1
    report = (tmp_path / "states" / "states.md").read_text()
    assert "Confusion matrix, forest" in report and "Reliability of the top label, boosting" in report
    assert all(0 <= row["ece"] <= 1 for row in data["table"])
    for backend in ("forest", "boosting"):
        assert abs(sum(data["real_shares"][state][backend] for state in data["real_shares"]) - 1) < 1e-9
    assert "goal" in result.output and "on real bars" in result.output
    # ... and again once each backend is fine-tuned on the real bars (a collapse there is reported too)
    assert set(data["finetune_stopped"]) == {"forest", "boosting"}
    for backend in ("forest", "boosting"):
        shares = [data["real_shares_finetuned"][state][backend] for state in data["real_shares_finetuned"]]
        assert abs(sum(shares) - 1) < 1e-9
    assert "fine-tuned on them" in result.output and "stopped:" in result.output
    bad = runner.invoke(app, ["experiment", "states", "--backends", "svm", "--out", str(tmp_path / "x")])
    assert bad.exit_code == 1 and "unknown ['svm']" in bad.output


def test_detectability_experiment_scores_every_label_and_look_back(tmp_path):
    import json

    out = tmp_path / "det"
    args = ["experiment", "detectability", "--out", str(out), "--train-days", "2", "--test-days", "1"]
    result = runner.invoke(app, [*args, "--horizons", "30,45", "--labels", "state,day_state", "--seed", "3"])
    assert result.exit_code == 0, result.output
    data = json.loads((out / "detectability.json").read_text())
    assert [(row["label"], row["horizon"]) for row in data["table"]] == [
        ("state", 30),
        ("state", 45),
        ("day_state", 30),
        ("day_state", 45),
    ]
    for row in data["table"]:
        assert 0 <= row["macro_f1"] <= 1 and 0 <= row["chance_f1"] <= 1 and 0 <= row["min_recall"] <= 1
    assert set(data["recall"]) == {"state", "day_state"} and set(data["recall"]["state"]) == {"30", "45"}
    report = (out / "detectability.md").read_text()
    assert "Recall per class, day_state" in report and "not detectable" in result.output
    bad = runner.invoke(app, [*args, "--labels", "state,week_state"])
    assert bad.exit_code == 1 and "week_state" in bad.output
    bad = runner.invoke(app, [*args, "--horizons", "30,x"])
    assert bad.exit_code == 1 and "--horizons must be comma-separated integers" in bad.output
    bad = runner.invoke(app, [*args, "--horizons", "1"])
    assert bad.exit_code == 1 and "got 1" in bad.output


def test_detectability_windows_and_chance():
    import numpy as np

    from fracfire.training.detectability import chance_macro_f1, horizon_windows

    assert horizon_windows(30) == (5, 15, 30) and horizon_windows(45) == (5, 15, 30, 45)
    assert horizon_windows(240) == (5, 15, 30, 60, 120, 240) and horizon_windows(3) == (3,)
    assert horizon_windows(1380)[-1] == 1380
    with pytest.raises(ValueError, match="at most 1380 bars"):
        horizon_windows(1381)
    # every test bar is "a"; guessing "a" half the time: F1(a) = 2 * 1 * 0.5 / 1.5, F1(b) = 0
    chance = chance_macro_f1(np.array(["a"] * 10), np.array(["a", "b"] * 5), ["a", "b"])
    assert abs(chance - (2 / 3) / 2) < 1e-12
    # a guess with the test's own shares scores each class's share: macro F1 = mean share = 1 / k
    truth = np.array(["a"] * 6 + ["b"] * 3 + ["c"])
    assert abs(chance_macro_f1(truth, truth, ["a", "b", "c"]) - 1 / 3) < 1e-12


def test_top_label_calibration():
    import numpy as np

    from fracfire.training.separability import top_label_calibration

    classes = np.array(["a", "b"])
    proba = np.tile([0.8, 0.2], (1000, 1))
    truth = np.where(np.arange(1000) < 800, "a", "b")  # right 80 % of the time at confidence 0.8
    ece, table = top_label_calibration(truth, proba, classes)
    assert ece < 1e-9 and table["rows"].sum() == 1000
    ece, _ = top_label_calibration(np.where(np.arange(1000) < 500, "a", "b"), proba, classes)
    assert abs(ece - 0.3) < 1e-9  # 80 % confident, 50 % right


def test_the_finetuning_comparison_is_one_function_with_one_split_and_budget():
    from fracfire import PriceGenerator
    from fracfire.data.features import extract_features
    from fracfire.training import compare_finetuning, split_sessions

    market = PriceGenerator(seed=5).generate_days("2025-03-03", 9)
    pool, held = split_sessions(market)
    assert (len(pool), len(held)) == (7, 2), "a quarter held out, at least 2"
    assert [int(market["session_id"].iloc[rows[0]]) for rows in held] == [7, 8], "the last sessions are held out"
    with pytest.raises(ValueError, match="needs at least 3 sessions of real bars .* got 2"):
        split_sessions(market[market["session_id"] < 2])
    library = PriceGenerator(seed=6).generate_days("2025-01-06", 3)
    pretrained = PricePredictor(horizons=(5,), max_iter=20, random_state=0)
    pretrained.fit(extract_features(library), pretrained.targets(library))
    before = pretrained.predict(extract_features(library.iloc[:50]))
    train = market.iloc[np.concatenate(pool)].reset_index(drop=True)
    test = market.iloc[np.concatenate(held)].reset_index(drop=True)
    result = compare_finetuning(
        [pretrained], PricePredictor(horizons=(5,), max_iter=20, random_state=0), train, test, 5, n_resamples=200
    )
    table = {row["model"]: row for row in result.table()}
    assert set(table) == {"synthetic_only", "scratch", "finetuned", "persistence", "rolling_mean", "har"}
    assert "delta_5_direction_accuracy" not in table["har"], "HAR forecasts the range only"
    for row in table.values():
        assert row["range_5_rmse_low"] <= row["range_5_rmse"] <= row["range_5_rmse_high"]
    assert result.best_baseline == min(("persistence", "rolling_mean", "har"), key=lambda n: table[n]["range_5_rmse"])
    assert result.summary().startswith("7 real sessions: fine-tuned ")
    assert len(result.finetuned) == 1 and result.finetuned[0] is not pretrained
    pd.testing.assert_frame_equal(pretrained.predict(extract_features(library.iloc[:50])), before)  # untouched


def test_finetune_comparison_saves_its_json(tmp_path):
    from fracfire import PriceGenerator
    from fracfire.data.features import extract_features
    from fracfire.training import compare_finetuning, split_sessions

    market = PriceGenerator(seed=5).generate_days("2025-03-03", 8)
    pool, held = split_sessions(market)
    pretrained = PricePredictor(horizons=(5,), max_iter=10, random_state=0)
    library = PriceGenerator(seed=6).generate_days("2025-01-06", 2)
    pretrained.fit(extract_features(library), pretrained.targets(library))
    result = compare_finetuning(
        [pretrained],
        PricePredictor(horizons=(5,), max_iter=10, random_state=0),
        market.iloc[np.concatenate(pool)].reset_index(drop=True),
        market.iloc[np.concatenate(held)].reset_index(drop=True),
        5,
        n_resamples=100,
    )
    written = result.save(tmp_path / "run")
    assert list(written) == ["finetune.json"]
    data = json.loads(written["finetune.json"].read_text())
    assert data["verdict"] == result.summary() and data["goal_met"] in (True, False)
    assert data["table"] == json.loads(json.dumps(result.table()))
    assert (data["train_sessions"], data["test_sessions"]) == (result.train_sessions, result.test_sessions)


def test_day_t_interval_is_a_t_interval_of_daily_rmse_differences():
    import numpy as np
    from scipy import stats

    from fracfire.training.comparison import day_t_interval

    days = np.repeat([0, 1, 2], 4)
    truth = np.zeros(12)
    forecast = np.repeat([1.0, 2.0, 3.0], 4)  # daily RMSE 1, 2, 3
    reference = np.full(12, 2.0)  # daily RMSE 2
    out = day_t_interval(truth, np.stack([forecast, forecast]), reference, days)  # two seeds, same forecast
    half = stats.t.ppf(0.975, 2) * np.std([-1.0, 0.0, 1.0], ddof=1) / np.sqrt(3)
    assert out["mean"] == 0.0 and out["days"] == 3
    assert np.isclose(out["low"], -half) and np.isclose(out["high"], half)
    one = day_t_interval(truth[:4], forecast[:4], reference[:4], days[:4])
    assert one["mean"] == -1.0 and np.isnan(one["high"])


def test_future_targets_stay_in_their_session():

    from fracfire.data import load_continuous_contract
    from fracfire.models import future_targets
    from tests.test_real_data import SAMPLE

    real = load_continuous_contract(SAMPLE)
    targets = future_targets(real, (15,))
    last = real.groupby("session_id").tail(15).index  # the last 15 bars of every session have no 15-bar future
    assert targets.loc[last, "range_15"].isna().all()
    inside = real.groupby("session_id").head(100).index
    assert targets.loc[inside, "range_15"].notna().all()
    # without session_id (a bare frame) the whole frame is one stretch
    bare = future_targets(real.drop(columns=["session_id"]).iloc[:50], (15,))
    assert bare["range_15"].notna().sum() == 35


def test_an_existing_library_built_with_other_settings_is_read_as_built_and_said_so(tmp_path):
    from fracfire.exceptions import FracFireWarning
    from fracfire.training.config import DataConfig
    from fracfire.training.train import load_bars

    data = {"source": "archetypes", "path": str(tmp_path / "lib"), "archetypes": ["range_day", "rally_day"], "seed": 5}
    first = load_bars(DataConfig(**data, days_per_archetype=1))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the same settings: reused without a word
        assert len(load_bars(DataConfig(**data, days_per_archetype=1))) == len(first)
    with pytest.warns(FracFireWarning, match=r"built with other settings \(days_per_archetype: library 1, now 2"):
        assert len(load_bars(DataConfig(**data, days_per_archetype=2))) == len(first)  # read as built
    subset = {**data, "archetypes": ["range_day"]}  # a subset of the library's archetypes is a valid read
    assert 0 < len(load_bars(DataConfig(**subset, days_per_archetype=1))) < len(first)


def test_the_states_experiment_refuses_five_minute_real_bars_before_any_work():
    from fracfire import PriceGenerator
    from fracfire.data import resample_bars
    from fracfire.training.separability import state_separability

    five = resample_bars(PriceGenerator(seed=2).generate_days("2025-01-06", 2), "5min")
    with pytest.raises(ValueError, match="the states experiment .* needs 1-minute bars; the data has 5-minute bars"):
        state_separability(real=five)
