import json
import subprocess
import sys

import pandas as pd
from typer.testing import CliRunner

from fracfire import PhysicsConfig, PriceGenerator, check_bars
from fracfire.cli import app
from fracfire.data import read_bars

runner = CliRunner()


def test_generate_parquet_matches_the_library(tmp_path):
    out = tmp_path / "bars.parquet"
    result = runner.invoke(app, ["generate", "--start", "2025-01-06", "--days", "3", "--seed", "7", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Wrote 4,140 bars (3 Globex sessions" in result.output
    bars = read_bars(out)
    check_bars(bars)
    expected = PriceGenerator(seed=7).generate_days("2025-01-06", 3)
    pd.testing.assert_frame_equal(bars, expected, check_categorical=False)


def test_generate_csv_with_config(tmp_path):
    config = PhysicsConfig(base_volatility=1.0, runner_prob=0.0).to_yaml(tmp_path / "physics.yaml")
    out = tmp_path / "bars.csv"
    result = runner.invoke(app, ["generate", "--days", "1", "--seed", "1", "--out", str(out), "--config", str(config)])
    assert result.exit_code == 0, result.output
    expected = PriceGenerator(seed=1, physics=PhysicsConfig.from_yaml(config)).generate_days("2025-01-06", 1)
    assert read_bars(out)["close"].tolist() == expected["close"].tolist()


def test_errors_are_one_red_line_and_exit_code_1(tmp_path):
    result = runner.invoke(app, ["generate", "--out", str(tmp_path / "bars.txt")])
    assert result.exit_code == 1
    assert "error: bars file" in result.output and "Traceback" not in result.output
    bad = tmp_path / "bad.yaml"
    bad.write_text("physics:\n  wick_probability: 3\n")
    result = runner.invoke(app, ["generate", "--out", str(tmp_path / "b.parquet"), "--config", str(bad)])
    assert result.exit_code == 1
    assert "bad.yaml: wick_probability: Input should be less than or equal to 1 (got 3)" in result.output
    assert not (tmp_path / "b.parquet").exists()


def test_bench_runs_and_writes_json(tmp_path):
    out = tmp_path / "bench.json"
    result = runner.invoke(app, ["bench", "--days", "1,2", "--repeats", "1", "--json", str(out)])
    assert result.exit_code == 0, result.output
    payload = json.loads(out.read_text())
    assert [t["days"] for t in payload["timings"]] == [1, 2]
    assert all(t["floor_ratio"] > 0 and t["variates"] > 0 for t in payload["timings"])
    bad = runner.invoke(app, ["bench", "--days", "one"])
    assert bad.exit_code == 1 and "comma-separated integers" in bad.output


def test_python_dash_m_is_the_same_cli():
    done = subprocess.run([sys.executable, "-m", "fracfire", "--help"], capture_output=True, text=True)
    assert done.returncode == 0
    for command in ("generate", "bench", "demo", "pipeline", "train", "infer"):
        assert command in done.stdout


def test_chart_and_plot_trades_commands(tmp_path):
    from tests.test_viz import png_size, trades_for

    bars = PriceGenerator(seed=1).generate_day("2025-01-06")
    from fracfire.data import write_bars

    write_bars(bars, tmp_path / "bars.parquet")
    result = runner.invoke(
        app, ["chart", str(tmp_path / "bars.parquet"), "--out", str(tmp_path / "c.png"), "--timeframe", "5min"]
    )
    assert result.exit_code == 0, result.output
    assert png_size(tmp_path / "c.png") == (2000, 1000)
    scenario = tmp_path / "scenario"
    rth = bars.iloc[570:700].reset_index(drop=True)
    write_bars(rth, scenario / "synthetic_1m.csv")
    result = runner.invoke(app, ["plot-trades", str(scenario)])
    assert result.exit_code == 1 and "summary.json not found" in result.output
    (scenario / "summary.json").write_text('{"outcomes": [')  # a corrupt file is named
    result = runner.invoke(app, ["plot-trades", str(scenario)])
    assert result.exit_code == 1 and "summary.json: not valid JSON" in result.output
    (scenario / "summary.json").write_text(json.dumps({"outcomes": trades_for(rth)}, default=str))
    result = runner.invoke(app, ["plot-trades", str(scenario)])
    assert result.exit_code == 0, result.output
    assert png_size(scenario / "trade_plot.png") == (2000, 1000)


def test_one_option_name_per_meaning():
    """Every command names its output --out (a file or a folder, as its help says)."""
    import typer.main

    def commands(group, path=()):
        for name, command in group.commands.items():
            if hasattr(command, "commands"):
                yield from commands(command, (*path, name))
            else:
                yield (*path, name), command

    seen = set()
    for path, command in commands(typer.main.get_command(app)):
        for param in command.params:
            names = set(param.opts)
            if names & {"--out-dir", "--output", "--output-dir", "-o"}:
                assert "--out" in names, f"fracfire {' '.join(path)}: {sorted(names)} should be --out"
            seen |= names
    assert "--out" in seen


def test_version():
    from fracfire import __version__

    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output.strip() == f"fracfire {__version__}"


def test_five_minute_bars_are_refused_where_one_minute_bars_are_read(tmp_path):
    """A CLI probe found five-minute files run through one-minute jobs and labelled "1min"."""
    from fracfire.data import resample_bars, write_bars

    one = PriceGenerator(seed=4).generate_days("2025-01-06", 2)
    five = tmp_path / "five.csv"
    write_bars(resample_bars(one, "5min"), five)
    setups = runner.invoke(app, ["setups", "run", "--real", str(five), "--out", str(tmp_path / "su")])
    assert (
        setups.exit_code == 1
        and "setup detection (its rules count one-minute bars) needs 1-minute bars; the file has 5-minute"
        in " ".join(setups.output.split())
    )
    assert not (tmp_path / "su").exists() or not any((tmp_path / "su").iterdir())
    chart = runner.invoke(app, ["chart", str(five), "--out", str(tmp_path / "c.png"), "--timeframe", "3min"])
    assert chart.exit_code == 1 and "cannot make 3min bars from 5-minute bars" in " ".join(chart.output.split())
    assert (
        runner.invoke(app, ["chart", str(five), "--out", str(tmp_path / "c.png"), "--timeframe", "15min"]).exit_code
        == 0
    )


def test_a_chart_names_the_bar_size_it_draws():
    import matplotlib

    matplotlib.use("Agg")
    from fracfire.data import resample_bars
    from fracfire.viz import quick_chart

    bars = resample_bars(PriceGenerator(seed=4).generate_day("2025-01-06"), "5min")
    figure = quick_chart(bars)
    assert "(5min)" in figure.axes[0].get_title(loc="center") + figure.axes[0].get_title(loc="left")


def test_sparse_one_minute_bars_still_resample():
    """Half the minutes missing (a thin contract) must not read as two-minute bars."""
    from fracfire.data import resample_bars
    from fracfire.data.checks import grid_minutes

    day = PriceGenerator(seed=4).generate_day("2025-01-06")
    thin = day.iloc[::2].iloc[::3].reset_index(drop=True)  # bars 6 minutes apart, and some 1 minute apart below
    thin = pd.concat([thin, day.iloc[1:3]]).sort_values("time").reset_index(drop=True)
    assert grid_minutes(thin) == 1
    assert len(resample_bars(thin, "5min")) > 0
    five = resample_bars(day, "5min")
    five.attrs["bar_minutes"] = 1  # a stale attribute does not outvote the rows
    assert grid_minutes(five) == 5


def test_bench_names_a_bad_days_option():
    result = runner.invoke(app, ["bench", "--days", "0,21"])
    assert result.exit_code == 1 and "--days must be session counts >= 1; got '0,21'" in result.output


def test_generate_says_which_sessions_it_wrote(tmp_path):
    result = runner.invoke(app, ["generate", "--start", "2025-01-04", "--days", "1", "--out", str(tmp_path / "g.csv")])
    assert result.exit_code == 0, result.output
    assert "Sun 2025-01-05 18:00 to Mon 2025-01-06 16:59 ET; --start 2025-01-04" in " ".join(result.output.split())


def test_setups_run_refuses_synthetic_options_with_real_bars(tmp_path):
    result = runner.invoke(
        app, ["setups", "run", "--out", str(tmp_path / "s"), "--real", str(tmp_path / "x.csv"), "--seed", "9"]
    )
    assert result.exit_code == 1 and "--seed, --start and --config shape synthetic days" in result.output


def test_finetune_refuses_config_and_resume_together(tmp_path):
    result = runner.invoke(
        app, ["finetune", "--config", str(tmp_path / "f.yaml"), "--resume", str(tmp_path / "r"), "--real", "x.csv"]
    )
    assert result.exit_code == 1 and "--config FILE, or --resume REGISTRY --real NEW_FILE, not both" in result.output


def test_fracfire_warnings_print_as_one_plain_line(tmp_path):
    (tmp_path / "empty.yaml").write_text("")
    out = tmp_path / "g.csv"
    args = [sys.executable, "-m", "fracfire", "generate", "--config", str(tmp_path / "empty.yaml"), "--days", "1"]
    done = subprocess.run([*args, "--out", str(out)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "warning: " in done.stderr and "the physics config file is empty, so the defaults are used" in done.stderr
    assert "FracFireWarning" not in done.stderr and "from_yaml" not in done.stderr
