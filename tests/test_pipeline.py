import json
import re
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from fracfire import check_bars
from fracfire.cli import app
from fracfire.data import read_bars
from fracfire.models import PricePredictor, StateDetector
from fracfire.runs import RunLayout

runner = CliRunner()
ROOT = Path(__file__).parent.parent


def tiny(tmp_path, **changes):
    config = {
        "run_id": "tiny",
        "out_dir": str(tmp_path / "out"),
        "seed": 3,
        "real": str(ROOT / "data" / "es_1min_2019-09.csv.gz"),
        "tracking_uri": (tmp_path / "mlruns").as_uri(),
        "calibrate": {"mode": "load", "path": str(ROOT / "configs" / "physics_calibrated.yaml")},
        "archetypes": {"days_per_archetype": 1},
        "models": {"state_backend": "forest", "state_estimators": 10, "predictor_max_iter": 10, "horizons": [1, 5]},
        "finetune": {"epochs": 1},
        "setups": {"synthetic_days": 2},
        "scenarios": {"n": 20},
        "report": {"screenshot": False, "chart_days": 1},
    }
    for key, value in changes.items():
        config[key] = value
    path = tmp_path / "pipeline.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def test_pipeline_end_to_end_then_cached(tmp_path, monkeypatch):
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    config = tiny(tmp_path)
    result = runner.invoke(app, ["pipeline", "--config", str(config)])
    assert result.exit_code == 0, result.output
    assert "cached: none" in result.output
    run = tmp_path / "out" / "tiny"
    html = (run / "report.html").read_text()
    assert set(re.findall(r"<h2>(.*?)</h2>", html)) >= {
        "Generated data",
        "Generated days",
        "Real vs synthetic",
        "Realism scorecard",
        "Model metrics",
        "Backtest",
        "Trades",
        "Scenarios",
    }
    check_bars(read_bars(run / "synthetic.parquet"))
    fan = json.loads((run / "scenarios" / "summary.json").read_text())
    assert fan["scenarios"] == 20 and fan["cut"].startswith("2019-09-") and "T12:00:00" in fan["cut"]
    assert (run / "scenarios" / "fan.png").exists() and "rest-of-session scenarios" in html
    assert StateDetector.load(run / "models" / "state_detector.skops").backend == "forest"
    assert PricePredictor.load(run / "models" / "price_predictor.skops").columns_ == [
        "delta_1",
        "range_1",
        "delta_5",
        "range_5",
    ]
    metrics = json.loads((run / "metrics.json").read_text())
    assert {row["model"] for row in metrics["table"]} == {
        "synthetic_only",
        "scratch",
        "finetuned",
        "persistence",
        "rolling_mean",
        "har",
    }
    assert metrics["summary"]["finetune_iterations"] == 100 and "goal met" in metrics["summary"]["verdict"]
    realism = json.loads((run / "realism.json").read_text())
    # the shipped defaults are the calibration, scored once
    assert set(realism["summary"]) == {"FracFire calibrated", "GBM", "GARCH-t", "GARCH-t seasonal", "bootstrap"}
    assert (run / "charts" / "stylized_facts.png").exists()
    for question in (
        "Is the synthetic data realistic?",
        "Does pre-training on synthetic bars help?",
        "How do the setups trade?",
    ):
        assert question in html
    finetuned = next(row for row in metrics["table"] if row["model"] == "finetuned")
    assert finetuned["range_5_rmse_low"] <= finetuned["range_5_rmse"] <= finetuned["range_5_rmse_high"]
    assert json.loads((run / "backtest" / "config.json").read_text())["bars"] == "../scenario_real/real_1m.csv"
    tracking = json.loads((run / "tracking.json").read_text())
    assert tracking["run_id"] in html and (tmp_path / "mlruns").as_uri() in tracking["link"]
    assert json.loads((run / "backtest" / "metrics.json").read_text())["trades"] > 0
    assert list((tmp_path / "mlruns").glob("*/*/artifacts/report.html"))
    layout = RunLayout(run)  # what the writers wrote is what the report reads
    for path in (
        layout.physics,
        layout.metrics,
        layout.realism_json,
        layout.realism_md,
        layout.stylized_facts,
        layout.stylized_caption,
        layout.synthetic,
        layout.tracking,
        layout.report,
        layout.scenarios.bars,
        layout.scenarios.summary,
        layout.scenarios.fan,
        layout.scenarios.caption,
        layout.setups("real").summary,
        layout.setups("real").bars_1m("real"),
        layout.setups("synthetic").trades_features,
        layout.model("price_predictor_pretrained"),
        *(files.equity for files in layout.backtests()),
    ):
        assert path.exists(), path
    assert [files.root.name for files in layout.backtests()] == ["backtest", "backtest_synthetic"]
    again = runner.invoke(app, ["pipeline", "--config", str(config)])
    assert again.exit_code == 0 and "Stages run: none" in again.output
    # A changed model setting re-runs only what depends on it.
    changed_models = {"state_backend": "forest", "state_estimators": 12, "predictor_max_iter": 10, "horizons": [1, 5]}
    changed = tiny(tmp_path, models=changed_models)
    third = runner.invoke(app, ["pipeline", "--config", str(changed)])
    assert third.exit_code == 0, third.output
    assert "Stages run: pretrain, finetune, report" in third.output
    # Another seed in the same run folder rebuilds the library and re-runs exactly what depends on it.
    fourth = runner.invoke(app, ["pipeline", "--config", str(tiny(tmp_path, seed=4, models=changed_models))])
    assert fourth.exit_code == 0, fourth.output
    assert "Stages run: archetypes, pretrain, finetune, setups, scenarios, report" in fourth.output
    library = json.loads((run / "archetypes" / "manifest.json").read_text())
    assert library["build"]["seed"] == 4 and library["complete"]
    assert not list((run / ".work").iterdir()), "the finished library moved into place"


@pytest.mark.parametrize(
    "change, match",
    [
        ({"modles": {}}, "modles: Extra inputs are not permitted"),
        ({"models": {"state_backend": "svm"}}, "models.state_backend"),
        ({"real": "nowhere.csv"}, "real data file not found: nowhere.csv"),
        ({"tracking_uri": "::::"}, "MLflow tracking at '::::' is unusable"),
    ],
)
def test_broken_config_is_rejected_before_any_work(tmp_path, change, match):
    result = runner.invoke(app, ["pipeline", "--config", str(tiny(tmp_path, **change))])
    assert result.exit_code == 1 and match in result.output
    assert not (tmp_path / "out").exists(), "nothing was started"


def test_failing_stage_stops_with_a_clear_message_and_keeps_earlier_stages(tmp_path, monkeypatch):
    import fracfire.pipeline as pipeline

    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")

    def broken(ctx):
        raise ValueError("no archetypes today")

    stages = list(pipeline.STAGES)
    stages[1] = ("archetypes", ("calibrate",), broken, stages[1][3])
    monkeypatch.setattr(pipeline, "STAGES", tuple(stages))
    result = runner.invoke(app, ["pipeline", "--config", str(tiny(tmp_path))])
    assert result.exit_code == 1
    assert "stage 'archetypes' failed: ValueError: no archetypes today" in result.output
    assert (tmp_path / "out" / "tiny" / ".stages" / "calibrate.json").exists()
    assert not (tmp_path / "out" / "tiny" / ".stages" / "archetypes.json").exists()
