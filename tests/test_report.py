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
from fracfire.report.browser import run_chromium, screenshot
from tests.test_viz import png_size, trades_for

runner = CliRunner()


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    run = tmp_path_factory.mktemp("run")
    bars = PriceGenerator(seed=2).generate_days("2025-01-06", 2)
    write_bars(bars, run / "synthetic.parquet")
    quick_chart(bars.iloc[:1440], save_path=run / "charts" / "day_1.png")
    quick_chart(bars, timeframe="15min", save_path=run / "charts" / "diagnostic" / "week" / "15min.png")
    (run / "realism.json").write_text(json.dumps({
        "summary": {"distance": 0.31},
        "table": [{"metric": "kurtosis_1min", "real": 12.0, "fracfire": 9.5, "gbm": 0.0}]}))
    (run / "metrics.json").write_text(json.dumps({"state_detector": {"macro_f1": 0.8, "accuracy": 0.9}}))
    (run / "backtest").mkdir()
    hourly = bars["time"].iloc[::60]
    pd.DataFrame({"time": hourly, "equity": range(len(hourly))}).to_csv(
        run / "backtest" / "equity.csv", index=False)
    pd.DataFrame({"entry_time": ["2025-01-06 10:00"], "entry_price": [2919.25], "exit_price": [2921.5],
                  "r_multiple": [2.0]}).to_csv(
        run / "backtest" / "trades.csv", index=False)
    rth = bars[bars["session"] == "rth"].iloc[:130].reset_index(drop=True)
    plot_trades(rth, trades_for(rth), save_path=run / "scenario" / "trade_plot.png")
    return run


def test_report_has_every_section_and_embeds_images(run_dir):
    path = build_report(run_dir)
    html = path.read_text()
    for heading in ("Generated data", "Generated days", "Real vs synthetic", "Realism scorecard",
                    "Model metrics", "Backtest", "Trades"):
        assert f"<h2>{heading}</h2>" in html
    images = re.findall(r'<img src="data:image/png;base64,', html)
    assert len(images) == 4  # day chart, diagnostic chart, equity curve, trade plot
    assert "kurtosis_1min" in html and "macro_f1" in html
    assert "<td>2919.25</td>" in html and "<td>2921.50</td>" in html  # prices at tick precision
    assert not re.search(r'src="(?!data:)', html), "no external resources"


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


CHECK = """<script>
window.__fracfireErrors = [];
window.addEventListener('error', e => window.__fracfireErrors.push(String(e.message || e.type)), true);
const origError = console.error;
console.error = (...a) => { window.__fracfireErrors.push(a.join(' ')); origError(...a); };
window.addEventListener('load', () => {
  const imgs = Array.from(document.images);
  const bad = imgs.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.alt);
  const pre = document.createElement('pre');
  pre.id = 'fracfire-check';
  pre.textContent = JSON.stringify({images: imgs.length, bad: bad, errors: window.__fracfireErrors});
  document.body.appendChild(pre);
});
</script>"""


@pytest.mark.skipif(find_chromium() is None,
                    reason="Chromium not installed (Debian package 'chromium'; .ci/run installs it)")
def test_report_renders_in_headless_chromium(run_dir, tmp_path):
    report = build_report(run_dir)
    probe = tmp_path / "probe.html"
    probe.write_text(report.read_text().replace("<head>", "<head>" + CHECK, 1))
    done = run_chromium("--dump-dom", "--virtual-time-budget=10000", "--enable-logging=stderr",
                        "--v=0", probe.as_uri())
    found = re.search(r'<pre id="fracfire-check">(.*?)</pre>', done.stdout)
    assert found, done.stderr[-2000:]
    check = json.loads(found.group(1).replace("&quot;", '"'))
    assert check["images"] == 4
    assert check["bad"] == [], "every image decodes"
    assert check["errors"] == []
    console_errors = [line for line in done.stderr.splitlines()
                      if "CONSOLE" in line and ("ERROR" in line.upper() or "Uncaught" in line)]
    assert console_errors == []
    shot = screenshot(report, tmp_path / "report.png")
    width, height = png_size(shot)
    assert width == 1400 and height > 1000
    shutil.copy(shot, run_dir / "report.png")
