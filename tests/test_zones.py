import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from fracfire import PriceGenerator, extract_features
from fracfire.cli import app
from fracfire.models import ZoneDetector, evaluate_zones, label_high_prob_zones

runner = CliRunner()


def path(states, deltas=None, hours=None):
    n = len(states)
    frame = pd.DataFrame(
        {
            "time": pd.date_range("2025-01-06 09:30", periods=n, freq="min", tz="America/New_York"),
            "state": states,
            "delta_ticks": deltas if deltas is not None else np.ones(n, int),
        }
    )
    if hours is not None:
        frame["hour_state"] = hours
    return frame


def test_compression_and_onset_before_and_at_a_breakout():
    states = ["ranging"] * 20 + ["breakout"] * 5 + ["zombie"] * 5
    zones = label_high_prob_zones(path(states), lead=15, onset=3).astype(str).tolist()
    assert zones[:5] == ["none"] * 5
    assert zones[5:20] == ["compression"] * 15
    assert zones[20:23] == ["breakout_onset"] * 3 and zones[23:] == ["none"] * 7


def test_first_pullback_inside_a_rally_and_exhaustion_before_a_reversal_hour():
    states = ["rally"] * 10 + ["ranging"] * 5
    deltas = [2, 1, 3, 1, -1, -2, 1, 1, 1, 1] + [0] * 5
    zones = label_high_prob_zones(path(states, deltas), min_run=3).astype(str).tolist()
    assert zones.index("first_pullback") == 4 and zones.count("first_pullback") == 1
    hours = ["impulse"] * 8 + ["reversal"] * 7
    zones = label_high_prob_zones(path(["ranging"] * 15, hours=hours), lead=5).astype(str).tolist()
    assert zones[3:8] == ["exhaustion"] * 5 and zones[8:] == ["none"] * 7
    with pytest.raises(ValueError, match="complete 'state' column"):
        label_high_prob_zones(path(["ranging"] * 3).assign(state=None))


def test_zone_detector_and_evaluation():
    from fracfire import FractalStateManager

    bars = PriceGenerator(seed=2).generate_days("2025-01-06", 10, driver=FractalStateManager())
    features, zones = extract_features(bars), label_high_prob_zones(bars)
    detector = ZoneDetector(backend="forest", n_estimators=20).fit(features, zones)
    probability = detector.zone_proba(features)
    assert probability.shape == (len(bars),) and ((0 <= probability) & (probability <= 1)).all()
    table = evaluate_zones(bars, probability, float(np.quantile(probability, 0.8)), n_boot=50)
    assert set(table["metric"]) == {"forward_range", "abs_move"}
    assert (table["ci_low"] <= table["lift"]).all() and (table["lift"] <= table["ci_high"]).all()
    assert (table["matched_ci_low"] <= table["matched_lift"]).all()
    assert (table["matched_lift"] <= table["matched_ci_high"]).all()
    with pytest.raises(ValueError, match="at least 10 flagged"):
        evaluate_zones(bars, np.zeros(len(bars)), 0.5)


def test_zones_experiment_cli(tmp_path, monkeypatch):
    from fracfire.data import load_continuous_contract, resample_bars, write_bars
    from tests.test_real_data import SAMPLE

    monkeypatch.setenv("MLFLOW_TRACKING_URI", (tmp_path / "mlruns").as_uri())
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    real = load_continuous_contract(SAMPLE)
    file = write_bars(real[real["session_id"] < 3], tmp_path / "real.parquet")
    result = runner.invoke(
        app, ["experiment", "zones", "--real", str(file), "--out", str(tmp_path / "z"), "--days", "2"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads((tmp_path / "z" / "zones.json").read_text())
    assert {row["metric"] for row in data["table"]} >= {"forward_range", "abs_move"}
    assert data["used"]["top_share"] == 0.1
    assert "# High-probability zones" in (tmp_path / "z" / "zones.md").read_text()
    # three sessions are too few days for an interval: none is given rather than a zero-width one
    day_rows = [row for row in data["table"] if row["metric"] == "forward_range"]
    assert day_rows and all(np.isnan(row["ci_low"]) and np.isnan(row["matched_ci_high"]) for row in day_rows)
    five = write_bars(resample_bars(real[real["session_id"] < 3], "5min"), tmp_path / "five.parquet")
    bad = runner.invoke(app, ["experiment", "zones", "--real", str(five), "--out", str(tmp_path / "z5")])
    assert bad.exit_code == 1 and "needs one-minute bars" in bad.output and "5-minute" in bad.output


def test_matched_lift_removes_a_time_of_day_effect():
    """Flagging a random half of the bars of the busiest half hour gives a plain lift but no
    matched lift. (Not every other minute: the open's volatility decays within the half hour,
    so even minutes, half a minute earlier on average, carry a small real edge over odd ones.)"""
    bars = PriceGenerator(seed=5).generate_days("2025-01-06", 10)
    minute = (bars["time"].dt.hour * 60 + bars["time"].dt.minute).to_numpy()
    coin = np.random.default_rng(0).random(len(bars)) < 0.5
    busy = (minute >= 570) & (minute < 600) & coin  # 09:30-10:00 ET, a random half
    table = evaluate_zones(bars, busy.astype(float), 0.5, horizons=(15,), n_boot=200).set_index("metric")
    row = table.loc["forward_range"]
    assert row["lift"] > 1.3 and row["ci_low"] > 1.0, row
    assert row["matched_ci_low"] < 1.0 < row["matched_ci_high"], row  # the same half hour: no edge
