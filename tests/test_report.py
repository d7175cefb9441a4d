import json
import re
import shutil

import pandas as pd
import pytest
from typer.testing import CliRunner

from fracfire import PriceGenerator, plot_trades, quick_chart
from fracfire.cli import app
from fracfire.data import write_bars
from fracfire.report import build_report, find_chromium
from fracfire.report.browser import check_page, page_height, screenshot
from tests.test_viz import png_size, trades_for

runner = CliRunner()


REALISM = {
    "summary": {
        "FracFire calibrated": {"summary_distance": 0.31, "discriminative_score": 0.30, "discriminator_accuracy": 0.80},
        "GARCH-t": {"summary_distance": 0.38, "discriminative_score": 0.44, "discriminator_accuracy": 0.94},
    },
    "split": {"train_sessions": 12, "validation_sessions": 8, "seeds": 1},
    "headline": [
        {
            "fact": "lag-1 ACF of 1-min returns",
            "real": -0.035,
            "goal": "within 0.03",
            "FracFire calibrated": -0.018,
            "FracFire calibrated met": True,
            "GARCH-t": -0.007,
            "GARCH-t met": True,
            "real, earlier sessions": -0.067,
            "real, earlier sessions met": False,
        },
        {
            "fact": "kurtosis ratio 5 min / 1 min",
            "real": 0.6,
            "goal": "within 25 %",
            "FracFire calibrated": 0.01,
            "FracFire calibrated met": False,
            "GARCH-t": 0.5,
            "GARCH-t met": True,
            "real, earlier sessions": 0.25,
            "real, earlier sessions met": False,
        },
    ],
    "table": [{"timeframe": "1min", "metric": "kurtosis_1min", "real": 12.0, "FracFire calibrated": 9.5}],
    "notes": ["day-level discriminator not run"],
}
METRICS = {
    "summary": {"split": {"real_sessions": 21, "test_sessions": 5}, "state_detector": {"macro_f1": 0.8}},
    "table": [
        {
            "model": "synthetic_only",
            "range_15_rmse": 8.66,
            "range_15_rmse_low": 8.2,
            "range_15_rmse_high": 9.1,
            "range_15_rmse_minus_scratch": 0.27,
            "range_15_rmse_minus_scratch_low": 0.1,
            "range_15_rmse_minus_scratch_high": 0.45,
            "delta_15_direction_accuracy": 0.53,
        },
        {
            "model": "scratch",
            "range_15_rmse": 8.39,
            "range_15_rmse_low": 8.0,
            "range_15_rmse_high": 8.8,
            "delta_15_direction_accuracy": 0.50,
        },
        {
            "model": "finetuned",
            "range_15_rmse": 8.53,
            "range_15_rmse_low": 8.1,
            "range_15_rmse_high": 9.0,
            "range_15_rmse_minus_scratch": 0.14,
            "range_15_rmse_minus_scratch_low": -0.08,
            "range_15_rmse_minus_scratch_high": 0.41,
            "delta_15_direction_accuracy": 0.52,
        },
        {"model": "rolling_mean", "range_15_rmse": 8.98, "delta_15_direction_accuracy": 0.47},
    ],
}


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    from fracfire.evaluation import BacktestConfig, ema_cross_entries, run_backtest

    run = tmp_path_factory.mktemp("run")
    bars = PriceGenerator(seed=2).generate_days("2025-01-06", 2)
    write_bars(bars, run / "synthetic.parquet")
    write_bars(bars, run / "scenario" / "bars.parquet")
    quick_chart(bars.iloc[:1440], save_path=run / "charts" / "day_1.png")
    quick_chart(bars, timeframe="15min", save_path=run / "charts" / "diagnostic" / "week" / "15min.png")
    (run / "realism.json").write_text(json.dumps(REALISM))
    (run / "metrics.json").write_text(json.dumps(METRICS))
    result = run_backtest(bars, ema_cross_entries(bars), BacktestConfig(slippage_ticks=1))
    result.save(run / "backtest", source="real", bars="../scenario/bars.parquet")
    result.save(run / "backtest_synthetic", source="synthetic")
    rth = bars[bars["session"] == "rth"].iloc[:130].reset_index(drop=True)
    plot_trades(rth, trades_for(rth), save_path=run / "scenario" / "trade_plot.png")
    return run


def test_report_gives_verdicts_first_and_embeds_everything(run_dir):
    path = build_report(run_dir)
    html = path.read_text()
    for heading in (
        "Real vs synthetic",
        "Realism scorecard",
        "Model metrics",
        "Backtest",
        "Trades",
        "Generated data",
        "Generated days",
    ):
        assert f"<h2>{heading}</h2>" in html
    # the three questions come before every section, each answered plainly
    first_section = html.index('<section id="real-vs-synthetic"')
    for question in (
        "Is the synthetic data realistic?",
        "Does pre-training on synthetic bars help?",
        "How do the setups trade?",
    ):
        assert -1 < html.index(question) < first_section
    assert "No. A classifier tells FracFire calibrated&#39;s bars from the 8 held-out real sessions 80.0 %" in html
    assert "0.14 ticks worse (95 % interval -0.08 to +0.41: not a clear difference)" in html
    assert "meets 1 of 2 stylized-fact goals" in html and "FAIL" in html
    assert "-0.067 (FAIL)" in html and "they meet 0 of 2 goals" in html  # the market's own earlier sessions
    assert "lower is better" in html and "higher is better" in html  # every metric says which way is good
    images = re.findall(r'<img src="data:image/png;base64,', html)
    assert len(images) == 3  # day chart, diagnostic window (folded), static trade plot (folded)
    assert html.count('<div class="chart"') == 3  # equity (real, synthetic), candles with trades (real bars)
    assert "kurtosis_1min" in html and "macro_f1" in html
    trade = pd.read_csv(run_dir / "backtest" / "trades.csv").iloc[0]
    assert f"<td>{trade['entry_price']:.2f}</td>" in html  # prices at tick precision
    assert "ema_cross" in html and "Monthly returns" in html and "Daily returns" in html
    assert not re.search(r"<script[^>]*\ssrc=", html), "scripts are inline"
    markup = re.sub(r"<script[^>]*>.*?</script>", "", html, flags=re.S)
    assert not re.search(r'(src|href)="(https?:)?//', markup), "no external resources: the page works offline"


def test_missing_sections_are_omitted(tmp_path):
    (tmp_path / "charts").mkdir()
    html = build_report(tmp_path).read_text()
    assert "<h2>" not in html and "no results yet" in html


def test_bad_inputs(tmp_path):
    with pytest.raises(FileNotFoundError, match="run folder not found"):
        build_report(tmp_path / "missing")
    (tmp_path / "realism.json").write_text("{not json")
    with pytest.raises(ValueError, match="realism.json: not valid JSON"):
        build_report(tmp_path)


def test_cli_report(run_dir, tmp_path):
    out = tmp_path / "r.html"
    result = runner.invoke(app, ["report", str(run_dir), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.exists()
    result = runner.invoke(app, ["report", str(tmp_path / "nope")])
    assert result.exit_code == 1 and "run folder not found" in result.output
    broken = tmp_path / "broken"
    (broken / "backtest").mkdir(parents=True)
    (broken / "backtest" / "trades.csv").write_text("")
    (broken / "backtest" / "metrics.json").write_text("{}")
    result = runner.invoke(app, ["report", str(broken)])
    assert result.exit_code == 1 and "trades.csv: not a readable CSV" in " ".join(result.output.split())
    (tmp_path / "empty").mkdir()
    result = runner.invoke(app, ["report", str(tmp_path / "empty")])
    assert result.exit_code == 1 and "is empty: nothing to report" in result.output
    assert not (tmp_path / "empty" / "report.html").exists()


def test_a_folder_written_by_fracfire_scenarios_is_reported(tmp_path):
    from fracfire.data import load_continuous_contract
    from fracfire.realism.calendar import split_by_time
    from fracfire.scenarios import ScenarioPolicy
    from tests.test_real_data import SAMPLE

    real = load_continuous_contract(SAMPLE)
    fit, _ = split_by_time(real, 0.6)
    from sklearn.linear_model import Ridge

    policy = ScenarioPolicy(level_model=Ridge(), library_sessions=4).fit(fit)
    history = real[real["time"] < pd.Timestamp("2019-09-24 12:00", tz="America/New_York")]
    policy.simulate(history, 5, seed=1).save(tmp_path / "sc")
    html = build_report(tmp_path / "sc").read_text()
    assert "no results yet" not in html and "Probabilities" in html


@pytest.mark.skipif(
    find_chromium() is None, reason="Chromium not installed (Debian package 'chromium'; .ci/run installs it)"
)
def test_report_renders_and_zooms_in_headless_chromium(run_dir, tmp_path):
    report = build_report(run_dir)
    check = check_page(report)
    assert check["errors"] == [] and check["console"] == [], "no console errors"
    assert check["expected_charts"] == check["charts"] == 3, "every chart renders"
    assert check["figures"] >= 8 and check["unfinished"] == 0 and check["blank"] == 0
    assert check["zoomed"] == check["figures"], "every figure redraws when its time axis is zoomed"
    assert check["images"] == 3 and check["broken_images"] == []
    assert check["sections"] == [
        "verdicts",
        "real-vs-synthetic",
        "realism",
        "models",
        "backtest",
        "trades",
        "data",
        "days",
    ]
    assert 2000 < check["height"] < 20000
    shot = screenshot(report, tmp_path / "report.png")
    width, height = png_size(shot)
    assert width == 1400 and height == page_height(report), "the whole page, never a cropped one"
    shutil.copy(shot, run_dir / "report.png")
