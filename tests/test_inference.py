import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from fracfire import PriceGenerator, extract_features
from fracfire.cli import app
from fracfire.inference import DecisionRule, LiveStateEngine, ModelRegistry, Prediction, load_rule
from fracfire.models import ModelFileError, StateDetector, ZoneDetector, label_high_prob_zones

runner = CliRunner()
COLUMNS = ["time", "open", "high", "low", "close", "volume"]


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    from fracfire import FractalStateManager

    folder = tmp_path_factory.mktemp("models")
    train = PriceGenerator(seed=1).generate_days("2025-01-06", 2, driver=FractalStateManager())
    features = extract_features(train)
    paths = {}
    for backend in ("boosting", "neural"):
        model = StateDetector(backend=backend, n_estimators=30, epochs=1).fit(features, train["state"], bars=train)
        paths[backend] = model.save(folder / f"{backend}.skops")
    zones = ZoneDetector(backend="forest", n_estimators=20).fit(features, label_high_prob_zones(train))
    paths["zones"] = zones.save(folder / "zones.skops")
    return paths


@pytest.fixture(scope="module")
def day():
    return PriceGenerator(seed=9).generate_day("2025-01-10")


@pytest.mark.parametrize("backend", ["boosting", "neural"])
def test_streaming_equals_batch(models, day, backend):
    model = StateDetector.load(models[backend])
    batch_proba = model.predict_proba(extract_features(day))
    batch_states = model.predict(extract_features(day))
    first = float(day["close"].iloc[0] - day["delta_ticks"].iloc[0] * 0.25)
    engine = LiveStateEngine(models[backend], models["zones"], previous_close=first)
    predictions = [engine.update(r) for r in day[COLUMNS].to_dict("records")]
    streamed = np.array([[p.proba[c] for c in model.classes_] for p in predictions])
    np.testing.assert_allclose(streamed, batch_proba, atol=1e-6)
    assert [p.state for p in predictions] == list(batch_states)
    zones = ZoneDetector.load(models["zones"]).zone_proba(extract_features(day))
    np.testing.assert_allclose([p.zone_proba for p in predictions], zones, atol=1e-9)
    assert engine.bars_seen == 1440 and len(engine._bars) <= 60 + model.window
    if backend != "neural":
        assert engine._fast[id(engine.model)] is not None, "trees are packed for the numba kernel"
    assert engine._fast[id(engine.zone_model)] is not None


def test_packed_trees_equal_scikit_learn():
    from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
    from sklearn.linear_model import LogisticRegression

    from fracfire.models._trees import pack, trees_sum, trees_sum_python

    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 6))
    rows = np.vstack([rng.normal(size=(50, 6)) * 2, np.round(X[:50] * 4) / 4])  # and values on a grid: ties
    X = np.vstack([X, np.round(X[:100] * 4) / 4])
    for y in (rng.integers(0, 2, 500), rng.integers(0, 4, 500)):  # binary and multiclass
        for est in (
            RandomForestClassifier(n_estimators=15, max_depth=6, random_state=0),
            HistGradientBoostingClassifier(max_iter=20, random_state=0),
        ):
            est.fit(X, y)
            packed = pack(est, rows)
            assert packed is not None, type(est).__name__
            got = np.vstack([packed.predict_proba_row(r) for r in rows])
            np.testing.assert_allclose(got, est.predict_proba(rows), atol=1e-12)
            args = (rows[0], packed.roots, packed.feature, packed.threshold, packed.left, packed.right, packed.value)
            np.testing.assert_array_equal(trees_sum(*args), trees_sum_python(*args))
    assert pack(LogisticRegression().fit(X, y), rows) is None, "anything else: the estimator itself"


@pytest.mark.parametrize(
    "bad, match",
    [
        (lambda r: {**r, "close": float("nan")}, "non-finite"),
        (lambda r: {**r, "time": r["time"] - pd.Timedelta(minutes=5)}, "out of order"),
        (lambda r: {**r, "low": r["high"] + 1}, "breaks low <= open, close <= high"),
        (lambda r: {**r, "volume": 0}, "volume 0"),
        (lambda r: {k: v for k, v in r.items() if k != "open"}, r"missing \['open'\]"),
        (lambda r: {**r, "time": ""}, r"bar time '' is not a timestamp"),
        (lambda r: {**r, "time": "1970-01-01 00:00:01"}, r"bar time '1970-01-01 00:00:01' is outside 1980-2100"),
        (lambda r: {**r, "low": r["low"] - 0.1}, r"low \d+\.\d+ is off the 0.25 tick grid"),
        (lambda r: {**r, "time": "2025-03-09 02:30"}, r"'2025-03-09 02:30' does not exist in America/New_York"),
        (lambda r: {**r, "time": r["time"] + pd.Timedelta(seconds=30)}, "is not on a whole minute"),
    ],
)
def test_bad_bars_are_rejected_without_corrupting_state(models, day, bad, match):
    records = day[COLUMNS].to_dict("records")
    engine = LiveStateEngine(models["boosting"])
    clean = LiveStateEngine(models["boosting"])
    for r in records[:100]:
        engine.update(r)
        clean.update(r)
    with pytest.raises(ValueError, match=match):
        engine.update(bad(records[100]))
    assert engine.update(records[100]) == clean.update(records[100])


def test_naive_times_in_the_repeated_autumn_hour_follow_the_stream(models):
    engine = LiveStateEngine(models["boosting"], clock=lambda: pd.Timestamp("2025-11-03", tz="UTC"))
    minutes = [f"2025-11-02 00:{m:02d}" for m in range(50, 60)] + [f"2025-11-02 01:{m:02d}" for m in range(60)]
    minutes += [f"2025-11-02 01:{m:02d}" for m in range(60)] + ["2025-11-02 02:00"]  # the hour, twice
    price = 6000.0
    for text in minutes:
        engine.update({"time": text, "open": price, "high": price + 1, "low": price - 1, "close": price, "volume": 5})
    assert engine.bars_seen == len(minutes) == 131
    assert engine._last_time == pd.Timestamp("2025-11-02 02:00", tz="America/New_York")


def test_corrupt_or_mismatched_models(tmp_path, models):
    bad = tmp_path / "bad.skops"
    bad.write_bytes(b"\x00garbage")
    with pytest.raises(ModelFileError):
        LiveStateEngine(bad)
    with pytest.raises(ValueError, match="the model expects 39 features"):
        LiveStateEngine(models["boosting"], windows=(5, 15))


def test_decision_rule_produces_the_expected_entries(tmp_path):
    time = pd.Timestamp("2025-01-10 10:00", tz="America/New_York")
    rule = DecisionRule()
    strong = Prediction(time, "breakout", 0.9, {"breakout": 0.9})
    entry = rule.entry(strong, 5000.0, None)
    assert entry.direction == "long" and entry.stop_price == 4998.0 and entry.target_price == 5004.0
    assert rule.entry(Prediction(time, "breakout", 0.8, {}), 5000.0, None) is None, "needs confidence > 0.8"
    assert rule.entry(Prediction(time, "ranging", 0.99, {}), 5000.0, None) is None
    assert rule.entry(strong, 5000.0, time - pd.Timedelta(minutes=5)) is None, "cooldown"
    short = DecisionRule(state="breakdown", min_confidence=0.5).entry(
        Prediction(time, "breakdown", 0.6, {}), 5000.0, None
    )
    assert short.direction == "short" and short.stop_price > 5000
    path = tmp_path / "rule.yaml"
    path.write_text("state: breakout\nmin_confidence: 0.7\n")
    assert load_rule(path).min_confidence == 0.7
    path.write_text("state: breakout\nconfidence: 0.7\n")
    with pytest.raises(ValueError, match="confidence: Extra inputs are not permitted"):
        load_rule(path)
    from fracfire.evaluation import BacktestConfig, run_backtest

    bars = PriceGenerator(seed=3).generate_day("2025-01-10")
    entries = [
        DecisionRule(min_confidence=0.0).entry(Prediction(t, "breakout", 0.9, {}), c, None)
        for t, c in zip(bars["time"].iloc[100:1300:200], bars["close"].iloc[100:1300:200], strict=True)
    ]
    assert len(run_backtest(bars, entries, BacktestConfig(max_open_positions=len(entries))).trades) == len(entries)


def test_infer_cli_streams_stdin_and_skips_bad_bars(models, day, tmp_path):
    rule = tmp_path / "rule.yaml"
    rule.write_text("state: ranging\nmin_confidence: 0.0\ncooldown_minutes: 30\n")
    lines = day[COLUMNS].iloc[:60].to_csv(index=False).splitlines()
    lines[0] = "\ufeff" + lines[0]  # a byte-order mark, as spreadsheets write
    lines.insert(10, lines[5])  # a repeated (out-of-order) bar
    lines.insert(20, "2025-01-06 01:00,1,2")  # too few fields
    lines.insert(30, lines[29].replace("2025-", "2030-", 1))  # a bar from the future
    lines.insert(40, "[/red],1,2,3,4,5")  # text that rich would read as markup
    lines.insert(45, lines[44].split(",")[0] + ",abc,1,1,1,1")  # not a number
    lines.insert(50, '"' + lines[49])  # a stray quote spoils its own line only
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "fracfire",
            "infer",
            "--model",
            str(models["boosting"]),
            "--bars",
            "-",
            "--rule",
            str(rule),
        ],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    records = [json.loads(line) for line in done.stdout.splitlines()]
    assert sum(r["type"] == "prediction" for r in records) == 60
    entries = [r for r in records if r["type"] == "entry"]
    assert 1 <= len(entries) <= 2 and entries[0]["kind"] == "rule_ranging"
    assert "skipped bar" in done.stderr and "out of order" in done.stderr
    assert "line 21: skipped, expected 6 fields" in done.stderr
    assert "line 31: skipped bar" in done.stderr and "is dated after now" in done.stderr
    assert "line 41: skipped bar: bar time '[/red]' is not a timestamp" in done.stderr
    assert "open 'abc' is not a number" in done.stderr
    assert "line 51: skipped" in done.stderr
    headless = subprocess.run(
        [sys.executable, "-m", "fracfire", "infer", "--model", str(models["boosting"]), "--bars", "-"],
        input="\n".join(lines[1:5]) + "\n",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert headless.returncode == 1 and "stdin line 1 must be a header" in headless.stderr
    file = tmp_path / "bars.csv"
    day[COLUMNS].iloc[:30].to_csv(file, index=False)
    result = runner.invoke(app, ["infer", "--model", str(models["boosting"]), "--bars", str(file), "--format", "csv"])
    assert result.exit_code == 0 and result.output.count("prediction") == 30
    broken = day[COLUMNS].iloc[:30].astype({"high": float})
    broken.loc[broken.index[7], "high"] = np.inf
    broken.to_csv(file, index=False)
    done = subprocess.run(
        [sys.executable, "-m", "fracfire", "infer", "--model", str(models["boosting"]), "--bars", str(file)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0 and done.stdout.count('"prediction"') == 29, done.stderr
    assert "dropped 1 row(s) with impossible values (first: row 7, high=inf" in done.stderr
    rule.write_text("state: bullish\n")
    result = runner.invoke(app, ["infer", "--model", str(models["boosting"]), "--bars", str(file), "--rule", str(rule)])
    assert result.exit_code == 1 and "state 'bullish' is not a state the model predicts" in result.output


def test_continuous_learning_keeps_every_version(models, tmp_path):
    from fracfire.data import write_bars

    base = tmp_path / "start.skops"
    base.write_bytes(models["neural"].read_bytes())
    result = runner.invoke(app, ["finetune", "--resume", str(base), "--real", str(tmp_path / "nope.csv")])
    assert result.exit_code == 1 and "nope.csv" in result.output
    assert not (tmp_path / "registry").exists()  # a bad --real file starts no registry
    for lr in ("-1", "0", "nan"):  # nor a learning rate that cannot train
        result = runner.invoke(app, ["finetune", "--resume", str(base), "--real", str(base), "--lr", lr])
        assert result.exit_code == 1 and "--lr must be" in result.output, result.output
    assert not (tmp_path / "registry").exists()
    with pytest.raises(ValueError, match="lr must be in \\(0, inf\\]; got -0.1"):
        StateDetector.load(base).finetune(PriceGenerator(seed=4).generate_day("2025-02-03"), lr=-0.1)
    new = write_bars(
        PriceGenerator(seed=4).generate_day("2025-02-03").drop(columns=["state"]).assign(state=None),
        tmp_path / "new.csv",
    )
    result = runner.invoke(app, ["finetune", "--resume", str(base), "--real", str(new), "--epochs", "1"])
    assert result.exit_code == 0, result.output
    registry = ModelRegistry(tmp_path / "registry")
    result = runner.invoke(app, ["finetune", "--resume", str(registry.path), "--real", str(new), "--epochs", "1"])
    assert result.exit_code == 0, result.output
    versions = registry.versions()
    assert [v["version"] for v in versions] == [1, 2, 3] and versions[2]["parent"] == 2
    assert all((registry.path / v["file"]).exists() for v in versions)
    assert "aux_loss" in versions[2]["metrics"]
    older, newer = (StateDetector.load(registry.path / v["file"]) for v in versions[1:])
    assert any(not np.array_equal(older.network_[k], newer.network_[k]) for k in older.network_)
    result = runner.invoke(app, ["infer", "--model", str(registry.path), "--bars", str(new)])
    assert result.exit_code == 0 and result.output.count('"type": "prediction"') == 1440
    # A version swapped behind the manifest's back is refused by its hash.
    latest = registry.path / versions[2]["file"]
    latest.write_bytes((registry.path / versions[0]["file"]).read_bytes())
    result = runner.invoke(app, ["infer", "--model", str(registry.path), "--bars", str(new)])
    assert result.exit_code != 0 and "SHA-256 does not match the manifest" in result.output
    outside = {"versions": [{**versions[0], "file": "../../start.skops"}]}
    (registry.path / "manifest.json").write_text(json.dumps(outside), encoding="utf-8")
    result = runner.invoke(app, ["infer", "--model", str(registry.path), "--bars", str(new)])
    assert result.exit_code != 0 and "'../../start.skops' points outside the registry folder" in result.output
    (registry.path / "manifest.json").write_text("[1, 2", encoding="utf-8")
    result = runner.invoke(app, ["infer", "--model", str(registry.path), "--bars", str(new)])
    assert result.exit_code != 0 and "not a model registry manifest" in result.output
    result = runner.invoke(app, ["finetune", "--resume", str(tmp_path / "empty")])
    assert result.exit_code == 1 and "--real" in result.output
