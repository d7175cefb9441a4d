"""The ``fracfire`` command line: thin commands over library functions."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console

from fracfire._resources import check_writable
from fracfire.exceptions import MissingExtraError
from fracfire.runs import RunLayout, SetupsFolder

app = typer.Typer(
    name="fracfire",
    help="FracFire: tick-level MES/ES physics engine, realism checks and trading models.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
console = Console()
errors = Console(stderr=True)


def _print_version(value: bool) -> None:
    if value:
        from fracfire import __version__

        console.print(f"fracfire {__version__}", highlight=False)
        raise typer.Exit()


@app.callback()
def _root(version: Annotated[bool, typer.Option(
        "--version", callback=_print_version, is_eager=True, help="Print the version and exit.")] = False) -> None:
    """FracFire: tick-level MES/ES physics engine, realism checks and trading models."""


@contextlib.contextmanager
def _clean_errors():
    """Turn expected errors into one red line and exit code 1."""
    try:
        yield
    except (ValueError, TypeError, OSError, KeyError, RuntimeError, MemoryError,  # ConfigError: ValueError
            MissingExtraError) as exc:
        _fail(_one_line(exc))


def _one_line(exc: BaseException) -> str:
    """The message of an expected error, as one line (system errors name their file)."""
    if isinstance(exc, KeyError) and exc.args:
        return str(exc.args[0])
    if isinstance(exc, OSError) and exc.filename is not None:
        return f"{exc.strerror or type(exc).__name__}: {exc.filename}"
    if isinstance(exc, MemoryError):
        return str(exc) if exc.args else "out of memory; ask for less at once"
    return str(exc)


def _fail(message: str) -> None:
    """Print one red error line on stderr and exit with code 1."""
    from rich.markup import escape

    errors.print(f"[bold red]error:[/bold red] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code=1) from None


def _names(text: str) -> tuple[str, ...]:
    """The non-empty, stripped entries of a comma-separated option."""
    return tuple(part.strip() for part in text.split(",") if part.strip())


def _int_list(text: str, option: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in text.split(","))
    except ValueError:
        raise ValueError(f"{option} must be comma-separated integers; got {text!r}") from None


@app.command()
def generate(
    out: Annotated[Path, typer.Option(help="Output file: .parquet, .csv or .csv.gz.")],
    start: Annotated[str, typer.Option(help="First trading date (Globex sessions open 18:00 ET the evening "
                                              "before), e.g. 2025-01-06.")] = "2025-01-06",
    days: Annotated[int, typer.Option(min=1, help="Number of consecutive days.")] = 1,
    seed: Annotated[Optional[int], typer.Option(help="Random seed (omit for fresh entropy).")] = None,
    config: Annotated[Optional[Path], typer.Option(help="PhysicsConfig YAML file.")] = None,
    initial_price: Annotated[float, typer.Option(help="Starting price (0.25 grid).")] = 3000.0,
    segment_length: Annotated[Optional[int], typer.Option(help="Minutes per state segment.")] = None,
) -> None:
    """Generate synthetic one-minute bars and write them to a file."""
    from fracfire._progress import progress_bar
    from fracfire._resources import check_writable
    from fracfire.data.io import bars_file_kind, write_bars
    from fracfire.physics import PhysicsConfig, PriceGenerator
    from fracfire.physics.generator import check_run_size

    with _clean_errors():
        bars_file_kind(out)
        check_writable(out)
        check_run_size(days)
        physics = PhysicsConfig.from_yaml(config) if config else PhysicsConfig()
        gen = PriceGenerator(initial_price=initial_price, seed=seed, physics=physics)
        with progress_bar("Generating", days, console) as advance:
            bars = gen.generate_days(start, days, segment_length=segment_length, progress=advance)
        path = write_bars(bars, out)
    console.print(f"Wrote {len(bars):,} bars ({days} Globex sessions from {start}) to [bold]{path}[/bold]")


@app.command()
def bench(
    days: Annotated[str, typer.Option(
        help="Comma-separated run lengths in Globex sessions (252 = a year).")] = "1,21,252",
    repeats: Annotated[int, typer.Option(min=1, help="Repeats per case (best kept).")] = 3,
    json_out: Annotated[Optional[Path], typer.Option("--json", help="Also write results as JSON.")] = None,
) -> None:
    """Benchmark generation speed against numpy's random-number floor."""
    import pandas as pd

    from fracfire._atomic import write_text_atomic
    from fracfire.benchmark import benchmark_generation

    with _clean_errors():
        if json_out:
            check_writable(json_out)
        first, timings = benchmark_generation(_int_list(days, "--days"), repeats=repeats)
    frame = pd.DataFrame([t.to_dict() for t in timings]).set_index("days").rename(columns={
        "bars_per_second": "bars/s", "floor_seconds": "floor s", "floor_ratio": "x floor"})
    _print_frame(f"Generation vs random-number floor (best of {repeats})", frame)
    console.print(f"first call in this process (numba cache load, calendar, longest case): {first:.3f} s")
    if json_out:
        payload = {"first_call_seconds": first, "timings": [t.to_dict() for t in timings]}
        write_text_atomic(json_out, json.dumps(payload, indent=2))


@app.command()
def chart(
    bars: Annotated[Path, typer.Argument(help="Bars file (.parquet, .csv, .csv.gz).")],
    out: Annotated[Path, typer.Option(help="Image to write (.png, .svg, .pdf).")],
    timeframe: Annotated[Optional[str], typer.Option(help="Resample first, e.g. 5min, 4h, 1D.")] = None,
    title: Annotated[Optional[str], typer.Option(help="Chart title.")] = None,
) -> None:
    """Draw a candlestick chart of a bars file (states and sessions when labelled)."""
    from fracfire.data.io import read_bars
    from fracfire.viz import quick_chart

    with _clean_errors():
        check_writable(out)
        quick_chart(read_bars(bars), title=title, save_path=out, timeframe=timeframe)
    console.print(f"Wrote [bold]{out}[/bold]")


@app.command("plot-trades")
def plot_trades_command(
    scenario_dir: Annotated[Path, typer.Argument(help="Folder written by `fracfire setups run` (summary.json and "
                                                      "its real_1m.csv or synthetic_1m.csv).")],
) -> None:
    """Overlay a setup run's trades on its one-minute candles (writes trade_plot.png)."""
    from fracfire.data.io import read_bars
    from fracfire.viz import plot_trades

    with _clean_errors():
        files = SetupsFolder(scenario_dir)
        summary_path = files.summary
        if not summary_path.exists():
            raise FileNotFoundError(f"{summary_path} not found (write it with `fracfire setups run`)")
        summary = json.loads(summary_path.read_text(encoding="utf-8"))
        if not isinstance(summary, dict) or "outcomes" not in summary:
            raise ValueError(f"{summary_path} has no 'outcomes' list")
        out = files.trade_plot
        # folders written before 'bars_1m' existed hold synthetic bars
        bars_name = summary.get("bars_1m", files.bars_1m("synthetic").name)
        if not isinstance(bars_name, str) or Path(bars_name).name != bars_name:
            raise ValueError(f"{summary_path}: 'bars_1m' must be a file name in the folder; got {bars_name!r}")
        plot_trades(read_bars(scenario_dir / bars_name), summary["outcomes"], save_path=out)
    console.print(f"Wrote [bold]{out}[/bold]")


@app.command()
def report(
    run_dir: Annotated[Path, typer.Argument(help="Run folder to report on.")],
    out: Annotated[Optional[Path], typer.Option(help="HTML file (default RUN_DIR/report.html).")] = None,
    screenshot: Annotated[bool, typer.Option(help="Also save a PNG screenshot (needs Chromium).")] = False,
) -> None:
    """Build one self-contained report.html from whatever a run produced."""
    from fracfire.report import build_report
    from fracfire.report import screenshot as take_screenshot

    with _clean_errors():
        check_writable(out or RunLayout(run_dir).report)
        path = build_report(run_dir, out)
        console.print(f"Wrote [bold]{path}[/bold]")
        if screenshot:
            shot = take_screenshot(path, path.with_suffix(".png"))
            console.print(f"Wrote [bold]{shot}[/bold]")


@app.command()
def backtest(
    bars: Annotated[Path, typer.Option(help="One-minute bars (any file the loader reads).")],
    signals: Annotated[Path, typer.Option(help="CSV: time plus 'position' (-1/0/1) or entries/exits/"
                                               "short_entries/short_exits (true/false).")],
    out: Annotated[Path, typer.Option(help="Run folder; the backtest goes to OUT/backtest/.")] = Path("out/signals"),
    contract: Annotated[str, typer.Option(help="MES or ES.")] = "MES",
    contracts: Annotated[int, typer.Option(help="Contracts per trade.")] = 1,
    commission: Annotated[float, typer.Option(help="Dollars per contract per side.")] = 0.62,
    slippage_ticks: Annotated[float, typer.Option(help="Ticks against the trade on every fill.")] = 0.0,
    initial_cash: Annotated[float, typer.Option(help="Starting equity in dollars.")] = 10_000.0,
) -> None:
    """Backtest a signal series on bars (fills at the next bar's open; an opposite entry reverses)."""
    import os

    from fracfire.data.io import read_bars
    from fracfire.evaluation import BacktestConfig, read_signals, run_signal_backtest

    with _clean_errors():
        check_writable(out / "backtest", folder=True)
        config = BacktestConfig(contract=contract, contracts=contracts, commission=commission,
                                slippage_ticks=slippage_ticks, initial_cash=initial_cash)
        frame = read_bars(bars)
        table = read_signals(signals)
        kwargs = ({"position": table["position"]} if "position" in table else
                  {name: table[name] for name in table.columns})
        result = run_signal_backtest(frame, config=config, **kwargs)
        folder = out / "backtest"
        result.save(folder, source=bars.stem, bars=os.path.relpath(bars.resolve(), folder.resolve()))
        console.print(result.summary())
        console.print(f"Wrote [bold]{folder}[/bold] (equity.csv, trades.csv, metrics.json); "
                      f"`fracfire report {out}` draws it")


def _load_physics(config: Optional[Path]):
    from fracfire.physics import PhysicsConfig

    return PhysicsConfig.from_yaml(config) if config else PhysicsConfig()


CALIBRATED_CONFIG = Path("configs/physics_calibrated.yaml")
"""Where ``fracfire calibrate`` writes by default; the commands comparing against calibrated physics read it
when it exists and no config is given."""


def _calibrated_physics(config: Optional[Path]):
    """``config``, else :data:`CALIBRATED_CONFIG` when it exists, else None (the caller says what that means)."""
    if config is None and not CALIBRATED_CONFIG.exists():
        return None
    return _load_physics(config or CALIBRATED_CONFIG)


@app.command()
def realism(
    real: Annotated[Path, typer.Option(help="Real one-minute bars (JSON, CSV or Parquet).")],
    config: Annotated[Optional[Path], typer.Option(
        help="Calibrated PhysicsConfig YAML (default: configs/physics_calibrated.yaml if present).")] = None,
    out_dir: Annotated[Path, typer.Option("--out", "--out-dir", help="Folder for realism.json and realism.md "
                                          "(--out-dir is the old name).")] = Path("out/realism"),
    seeds: Annotated[int, typer.Option(min=1, help="Seeds to average distances over.")] = 1,
    train_fraction: Annotated[float, typer.Option(help="Share of sessions the peers are fitted on.")] = 0.6,
) -> None:
    """Score FracFire (default and calibrated) against GBM, GARCH-t (plain, seasonal) and bootstrap on held-out data."""
    from fracfire._atomic import write_text_atomic
    from fracfire._progress import progress_bar
    from fracfire.data.real import load_continuous_contract
    from fracfire.physics import PhysicsConfig
    from fracfire.realism.compare import REAL_REFERENCE, compare_generators

    with _clean_errors():
        check_writable(out_dir, folder=True)
        bars = load_continuous_contract(real)
        configs = {"FracFire default": PhysicsConfig()}
        calibrated = _calibrated_physics(config)
        if calibrated is not None:
            configs["FracFire calibrated"] = calibrated
        else:
            console.print("No calibrated config (run `fracfire calibrate`): that column is left out.")
        with progress_bar("Scoring", (len(configs) + 3) * seeds, console, unit="reports") as advance:
            result = compare_generators(bars, configs, seeds=tuple(range(seeds)),
                                        train_fraction=train_fraction, progress=advance)
        files = RunLayout(out_dir)
        write_text_atomic(files.realism_json, json.dumps(result.to_dict(), indent=2, default=str))
        write_text_atomic(files.realism_md, result.to_markdown())
    _print_frame("Summary (lower is more realistic)", result.summary)
    if result.reference is not None:
        ref = result.reference
        own = result.headline[f"{REAL_REFERENCE} met"].dropna() if result.headline is not None else []
        console.print(f"Reference: the last {result.validation_days} fitted real sessions against the held-out ones "
                      f"score {ref['discriminative_score']:.3f} (summary distance {ref['summary_distance']:.3f}) and "
                      f"meet {int(sum(map(bool, own)))} of {len(own)} fact goals; self_discriminative_score is each "
                      "generator against another run of itself.")
    console.print(f"Wrote [bold]{out_dir / 'realism.json'}[/bold] and [bold]{out_dir / 'realism.md'}[/bold]")


def _print_frame(title: str, frame) -> None:
    from rich.table import Table

    table = Table(title=title)
    table.add_column("", style="bold")
    for column in frame.columns:
        table.add_column(str(column), justify="right")
    for index, *row in frame.itertuples(name=None):
        label = " / ".join(map(str, index)) if isinstance(index, tuple) else str(index)
        table.add_row(label, *(_cell(v) for v in row))
    console.print(table)


def _cell(value) -> str:
    import numbers

    if isinstance(value, numbers.Integral):
        return f"{value:,}"
    if isinstance(value, numbers.Real):
        value = float(value)
        return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.2f}" if abs(value) >= 1 else f"{value:.4g}"
    return str(value)


@app.command()
def calibrate(
    real: Annotated[Path, typer.Option(help="Real bars (JSON, CSV or Parquet): one- or five-minute, full Globex or "
                                            "regular hours only, with or without volume.")],
    out: Annotated[Path, typer.Option(help="Calibrated PhysicsConfig YAML to write.")] = CALIBRATED_CONFIG,
    daily: Annotated[Optional[Path], typer.Option(
        help="A longer file (>= 60 sessions) for the day-to-day knobs, e.g. data/nq_5min_2019.csv.gz; "
             "default: REAL itself when long enough, else those knobs are kept.")] = None,
    start: Annotated[Optional[Path], typer.Option(help="PhysicsConfig YAML to start from.")] = None,
    max_evaluations: Annotated[int, typer.Option(min=10, help="Engine runs for the intraday search.")] = 500,
    seeds: Annotated[str, typer.Option(help="Comma-separated engine seeds averaged per evaluation "
                                            "(fewer is faster but fits the seeds' luck).")] = "0,1,2,3",
    train_fraction: Annotated[float, typer.Option(help="Share of sessions fitted on (the rest is held out).")] = 0.6,
    fix: Annotated[str, typer.Option(help="Comma-separated knobs held at their --start values "
                                          "(e.g. activity_dispersion,activity_clustering).")] = "",
) -> None:
    """Fit PhysicsConfig to real bars by simulated moments; report train and held-out distances."""
    from fracfire._progress import progress_bar
    from fracfire.data.real import load_continuous_contract
    from fracfire.realism.calibration import calibrate as run_calibration

    with _clean_errors():
        check_writable(out)
        seed_list = _int_list(seeds, "--seeds")
        bars = load_continuous_contract(real)
        long = load_continuous_contract(daily) if daily is not None else None
        total = max_evaluations + max(20, max_evaluations // 5)
        with progress_bar("Calibrating", total, console, unit="runs") as advance:
            result = run_calibration(bars, start=_load_physics(start), train_fraction=train_fraction, daily=long,
                                     max_evaluations=max_evaluations, seeds=tuple(seed_list),
                                     progress=lambda done, _total, best: advance(done, total),
                                     fixed=_names(fix))
        path = result.config.to_yaml(out)
    _print_frame("Moments (train slice, then held out)", result.moments.round(3))
    if result.daily_moments is not None:
        _print_frame("Day-to-day moments", result.daily_moments.round(3))
    console.print(result.summary())
    console.print(f"Wrote [bold]{path}[/bold]")


def _physics_overrides(command):
    """Add one ``--<knob>`` option per numeric PhysicsConfig field to ``command``."""
    import dataclasses
    import inspect

    from fracfire.physics import PhysicsConfig

    params = [p for p in inspect.signature(command, eval_str=True).parameters.values()
              if p.kind != p.VAR_KEYWORD]
    for f in dataclasses.fields(PhysicsConfig):
        if isinstance(f.default, float):
            option = typer.Option(f"--{f.name.replace('_', '-')}", help=f"PhysicsConfig.{f.name} override.")
            params.append(inspect.Parameter(f.name, inspect.Parameter.KEYWORD_ONLY, default=None,
                                            annotation=Annotated[Optional[float], option]))
    command.__signature__ = inspect.Signature(params)
    return command


@app.command()
@_physics_overrides
def compare(
    real: Annotated[Path, typer.Option(help="Real one-minute bars (JSON, CSV or Parquet).")],
    seed_week: Annotated[int, typer.Option(help="Seed of the synthetic week.")] = 7,
    seed_quarter: Annotated[int, typer.Option(help="Seed of the synthetic quarter.")] = 9,
    week_days: Annotated[int, typer.Option(min=1, help="Calendar days in the week window.")] = 14,
    quarter_days: Annotated[int, typer.Option(min=1, help="Calendar days in the quarter window.")] = 120,
    week_timeframes: Annotated[str, typer.Option(help="Comma-separated timeframes.")] = "4H,4min",
    quarter_timeframes: Annotated[str, typer.Option(help="Comma-separated timeframes.")] = "1D,15min",
    out_dir: Annotated[Path, typer.Option("--out", "--out-dir", help="Folder for the charts "
                                          "(--out-dir is the old name).")] = Path("out/charts/diagnostic"),
    config: Annotated[Optional[Path], typer.Option(help="PhysicsConfig YAML (overrides apply on top).")] = None,
    **overrides,
) -> None:
    """Real vs synthetic charts of a week and a quarter window, with wick/body statistics."""
    from fracfire.data.real import load_continuous_contract
    from fracfire.viz.compare import compare_windows

    with _clean_errors():
        check_writable(out_dir, folder=True)
        physics = _load_physics(config).replace(**{k: v for k, v in overrides.items() if v is not None})
        bars = load_continuous_contract(real)
        windows = {
            "week": (week_days, seed_week, tuple(t.strip() for t in week_timeframes.split(","))),
            "quarter": (quarter_days, seed_quarter, tuple(t.strip() for t in quarter_timeframes.split(","))),
        }
        stats = compare_windows(bars, physics, out_dir, windows)
    _print_frame("Wick/body statistics (ticks)", stats.set_index(["window", "timeframe", "source"]))
    console.print(f"Charts in [bold]{out_dir}[/bold]")


dataset_app = typer.Typer(help="Labelled synthetic archetype libraries.", no_args_is_help=True)
app.add_typer(dataset_app, name="dataset")


@dataset_app.command("list")
def dataset_list() -> None:
    """List the archetype catalogue."""
    from fracfire.data.synthetic import list_archetypes

    _print_frame("Archetypes", list_archetypes())


@dataset_app.command("build")
def dataset_build(
    out: Annotated[Path, typer.Option(help="Library folder.")],
    archetypes: Annotated[str, typer.Option(help="Comma-separated names, or 'all'.")] = "all",
    days_per_archetype: Annotated[int, typer.Option(min=1, help="Days of each archetype.")] = 150,
    seed: Annotated[int, typer.Option(help="Library seed.")] = 1,
    workers: Annotated[Optional[int], typer.Option(min=1, help="Worker processes (default: all cores).")] = None,
    scheduler: Annotated[Optional[str], typer.Option(
        help="Dask scheduler: 'local' (LocalCluster) or tcp://host:port.")] = None,
    resume: Annotated[bool, typer.Option(
        help="Continue an interrupted build: keep its finished shards (same arguments only).")] = False,
    config: Annotated[Optional[Path], typer.Option(help="PhysicsConfig YAML.")] = None,
) -> None:
    """Build a labelled archetype library (partitioned Parquet + manifest.json)."""
    from fracfire._progress import progress_bar
    from fracfire.data.synthetic import ARCHETYPES, build_archetypes

    with _clean_errors():
        check_writable(out, folder=True)
        names = "all" if archetypes == "all" else [a.strip() for a in archetypes.split(",")]
        count = len(ARCHETYPES) if names == "all" else len(names)
        with progress_bar("Building", count * days_per_archetype, console) as advance:
            result = build_archetypes(out, names, days_per_archetype, seed, _load_physics(config), workers,
                                      scheduler, resume, progress=advance)
    console.print(result.summary())


@dataset_app.command("verify")
def dataset_verify(path: Annotated[Path, typer.Argument(help="Library folder.")]) -> None:
    """Check a library against its manifest: unfinished build, missing, changed, extra and stray files."""
    from fracfire.data.synthetic import verify_archetypes

    with _clean_errors():
        problems = verify_archetypes(path)
        if problems:
            raise ValueError(f"{len(problems)} problem(s): " + "; ".join(problems[:10]))
    console.print(f"[green]{path}: every shard matches the manifest[/green]")


setups_app = typer.Typer(help="The setup engine.", no_args_is_help=True)
app.add_typer(setups_app, name="setups")


@setups_app.command("run")
def setups_run(
    out: Annotated[Path, typer.Option(help="Scenario folder.")],
    days: Annotated[int, typer.Option(min=1, help="Synthetic days (ignored with --real).")] = 20,
    seed: Annotated[int, typer.Option(help="Seed of the synthetic days.")] = 3,
    start: Annotated[str, typer.Option(help="First synthetic day.")] = "2025-01-06",
    real: Annotated[Optional[Path], typer.Option(help="Run on real bars instead.")] = None,
    config: Annotated[Optional[Path], typer.Option(help="PhysicsConfig YAML for the synthetic days.")] = None,
    inject_hesitation: Annotated[bool, typer.Option(help="Add late-entry variants.")] = False,
    hesitation_minutes: Annotated[int, typer.Option(min=1)] = 5,
    inject_chase: Annotated[bool, typer.Option(help="Add chased-entry variants.")] = False,
    chase_window_minutes: Annotated[int, typer.Option(min=1)] = 10,
    max_variants_per_trade: Annotated[int, typer.Option(min=0)] = 2,
) -> None:
    """Find and evaluate setups; write synthetic_1m/5m.csv (real_1m/5m.csv with --real), summary.json and
    trades_features.csv."""
    from fracfire.evaluation.runner import evaluate_setups
    from fracfire.evaluation.trade_features import BadTradeConfig
    from fracfire.physics import PriceGenerator

    with _clean_errors():
        check_writable(out, folder=True)
        if real is not None:
            from fracfire.data.real import load_continuous_contract

            bars = load_continuous_contract(real)
        else:
            bars = PriceGenerator(seed=seed, physics=_load_physics(config)).generate_days(start, days)
        bad = None
        if inject_hesitation or inject_chase:
            bad = BadTradeConfig(inject_hesitation, hesitation_minutes, inject_chase, chase_window_minutes,
                                 max_variants_per_trade)
        found = evaluate_setups(bars, bad_trades=bad, source="synthetic" if real is None else "real")
        found.save(out)
    console.print(f"{len(found.outcomes)} trades ({len(found.misses)} ORB days without a breakout); "
                  f"wrote [bold]{out}[/bold]")
    if found.totals:
        import pandas as pd

        _print_frame("R by setup", pd.DataFrame(found.totals).set_index(["kind", "variant"]))


@app.command()
def train(config: Annotated[Path, typer.Option(help="Training YAML (see configs/synthetic_pretrain.yaml).")]) -> None:
    """Pre-train a model from a YAML experiment config (tracked in MLflow)."""
    _run_config(config, "train")


@app.command()
def finetune(
    config: Annotated[Optional[Path], typer.Option(help="Fine-tuning YAML (see configs/real_finetune.yaml).")] = None,
    resume: Annotated[Optional[Path], typer.Option(
        help="Model registry folder (or a model file to start one): fine-tune its latest version.")] = None,
    real: Annotated[Optional[Path], typer.Option(help="New real bars for --resume.")] = None,
    epochs: Annotated[int, typer.Option(min=1, help="Epochs for --resume.")] = 5,
    lr: Annotated[float, typer.Option(help="Learning rate for --resume.")] = 1e-4,
) -> None:
    """Fine-tune a saved model: from a YAML config, or continuously (--resume REGISTRY --real NEW_FILE)."""
    if config is not None:
        _run_config(config, "finetune")
        return
    with _clean_errors():
        if resume is None or real is None:
            raise ValueError("pass --config FILE, or --resume REGISTRY --real NEW_FILE")
        from fracfire.data.real import load_continuous_contract
        from fracfire.inference import ModelRegistry

        registry = ModelRegistry.for_resume(resume)
        path = registry.finetune_latest(load_continuous_contract(real), data=str(real), epochs=epochs, lr=lr)
    console.print(f"New version [bold]{path}[/bold] ({len(registry.versions())} versions kept in {registry.path})")


@app.command()
def infer(
    model: Annotated[Path, typer.Option(help="Saved StateDetector (or a registry folder: its latest version).")],
    bars: Annotated[str, typer.Option(help="Bars file, or '-' for CSV on stdin (time,open,high,low,close,volume).")],
    zone_model: Annotated[Optional[Path], typer.Option(help="Saved ZoneDetector.")] = None,
    rule: Annotated[Optional[Path], typer.Option(help="Decision rule YAML (entries are emitted too).")] = None,
    output: Annotated[str, typer.Option("--format", help="jsonl or csv.")] = "jsonl",
) -> None:
    """Stream predictions bar by bar (JSON lines or CSV on stdout); bad bars are reported and skipped."""
    import sys

    from fracfire.inference import DecisionRule, LiveStateEngine, ModelRegistry, load_rule

    with _clean_errors():
        if output not in ("jsonl", "csv"):
            raise ValueError(f"--format must be jsonl or csv; got {output!r}")
        path = ModelRegistry(model).latest() if model.is_dir() else model
        engine = LiveStateEngine(path, zone_model)
        decision: DecisionRule | None = load_rule(rule) if rule else None
        known = [str(c) for c in engine.model.classes_]
        if decision is not None and decision.state not in known:
            raise ValueError(f"{rule}: state {decision.state!r} is not a state the model predicts ({known}); "
                             "the rule would never fire")
        if bars == "-":
            rows = _stdin_rows(sys.stdin)
        else:
            import warnings

            from fracfire.data.real import load_continuous_contract

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                frame = load_continuous_contract(Path(bars), strict=False)
            for line in frame.attrs["validation"].repairs:
                errors.print(f"{bars}: {line}", markup=False, highlight=False, soft_wrap=True)
            rows = ((n, r) for n, r in enumerate(
                frame[["time", "open", "high", "low", "close", "volume"]].to_dict("records"), start=1))
        _stream(engine, rows, decision, output)


def _stdin_rows(stream):
    """``(line number, record)`` for each CSV line after the header; a line with the wrong
    number of fields is reported on stderr and skipped, never the end of the stream.

    Each line is parsed on its own: a stray quote spoils its line, never the lines after it
    (a live feed has no multi-line fields).
    """
    import csv

    first = stream.readline()
    if not first.strip():
        return
    header = next(csv.reader([first]))
    names = [h.strip().lower() for h in header]
    names[0] = names[0].removeprefix("\ufeff")  # a byte-order mark from a spreadsheet export
    if not {"open", "close"} <= set(names):
        raise ValueError(f"stdin line 1 must be a header naming the fields (time,open,high,low,close,volume); "
                         f"got {first.strip()[:80]!r}")
    for line, text in enumerate(stream, start=2):
        if not text.strip():
            continue
        record = next(csv.reader([text.rstrip("\r\n")]))
        if len(record) != len(names):
            errors.print(f"line {line}: skipped, expected {len(names)} fields ({','.join(names)}), got "
                         f"{len(record)}", markup=False, highlight=False, soft_wrap=True)
            continue
        yield line, dict(zip(names, record, strict=True))


def _stream(engine, rows, decision, output: str) -> None:
    import csv
    import sys

    writer = csv.writer(sys.stdout) if output == "csv" else None
    if writer:
        writer.writerow(["type", "time", "state", "confidence", "zone_proba", "direction", "entry", "stop",
                         "target"])
    last_entry = None
    for line, row in rows:
        try:
            prediction = engine.update(row)
        except ValueError as exc:
            errors.print(f"line {line}: skipped bar: {exc}", markup=False, highlight=False, soft_wrap=True)
            continue
        entry = decision.entry(prediction, float(row["close"]), last_entry) if decision else None
        if writer:
            writer.writerow(["prediction", prediction.time, prediction.state, f"{prediction.confidence:.6f}",
                             prediction.zone_proba, "", "", "", ""])
            if entry:
                writer.writerow(["entry", entry.time, prediction.state, "", "", entry.direction, entry.entry_price,
                                 entry.stop_price, entry.target_price])
        else:
            print(json.dumps({"type": "prediction", **prediction.to_dict()}))
            if entry:
                print(json.dumps({"type": "entry", **entry.to_dict()}, default=str))
        if entry:
            last_entry = entry.time
        sys.stdout.flush()


def _run_config(config: Path, kind: str) -> None:
    import functools

    from fracfire.training import FinetuneConfig, TrainConfig, load_config, run_finetune, run_training, setup_logging
    from fracfire.training.train import _BACKEND

    with _clean_errors():
        if kind == "train":
            train_cfg = load_config(config, TrainConfig)
            setup_logging(train_cfg.log_path())
            epochs, has_epochs = train_cfg.model.epochs, _BACKEND.get(train_cfg.model.type) == "neural"
            run = functools.partial(run_training, train_cfg, config)
        else:
            tune_cfg = load_config(config, FinetuneConfig)
            setup_logging(tune_cfg.log_path())
            epochs, has_epochs = tune_cfg.epochs, tune_cfg.model_type == "StateDetector"
            run = functools.partial(run_finetune, tune_cfg, config)
        if has_epochs:
            with progress_bar_for(f"{kind}: {config.name}", epochs) as advance:
                result = run(progress=lambda done, total, loss: advance(done, total))
        else:  # a forest or booster fits in one go: a spinner, not an epoch bar that never moves
            with console.status(f"{kind}: {config.name} (one fit, no epochs)"):
                result = run()
    import pandas as pd

    console.print(f"Model: [bold]{result.model_path}[/bold]; MLflow run {result.run_id}")
    _print_frame("Validation metrics", pd.DataFrame({"value": result.metrics}))


def progress_bar_for(description: str, total: int):
    from fracfire._progress import progress_bar

    return progress_bar(description, total, console, unit="epochs")


experiment_app = typer.Typer(help="Experiments that measure what FracFire is worth.", no_args_is_help=True)
app.add_typer(experiment_app, name="experiment")


@experiment_app.command("transfer")
def experiment_transfer(
    real: Annotated[Path, typer.Option(help="Real bars, one- or five-minute (JSON, CSV or Parquet).")],
    out: Annotated[Path, typer.Option(help="Folder for transfer.md, transfer.json (and the archetype libraries).")]
    = Path("out/transfer"),
    physics: Annotated[Optional[Path], typer.Option(
        help="PhysicsConfig of the synthetic data (default configs/physics_calibrated.yaml if present).")] = None,
    sizes: Annotated[str, typer.Option(help="Real-train sizes in sessions, comma-separated ('all' allowed).")]
    = "2,5,10,all",
    seed: Annotated[int, typer.Option(help="Seed of every model and synthetic day.")] = 0,
    seeds: Annotated[int, typer.Option(min=1, help="Synthetic libraries (seeds) the synthetic side is averaged "
                                                    "over.")] = 5,
    target: Annotated[str, typer.Option(help="ticks, or relative (scale-free: targets and tick features in "
                                             "units of the recent volatility).")] = "ticks",
    days_per_archetype: Annotated[int, typer.Option(min=1, help="Archetype days for pre-training.")] = 10,
    state_backend: Annotated[str, typer.Option(help="StateDetector backend: forest, boosting or neural.")]
    = "forest",
) -> None:
    """Scratch vs synthetic-only vs pre-trained + fine-tuned, on held-out real sessions."""
    from fracfire._progress import progress_bar
    from fracfire.data.real import load_continuous_contract
    from fracfire.training.transfer import transfer_experiment

    with _clean_errors():
        check_writable(out, folder=True)
        size_list = tuple(s.strip() if s.strip() == "all" else int(s) for s in sizes.split(","))
        config = _calibrated_physics(physics)
        bars = load_continuous_contract(real)
        steps = seeds + len(size_list) * (seeds + 1) + 2
        with progress_bar("Transfer experiment", steps, console, unit="steps") as advance:
            results = transfer_experiment(bars, out, config, size_list, seed, days_per_archetype, state_backend,
                                          progress=advance, seeds=seeds, target=target)
    import pandas as pd

    _print_frame("Future range RMSE (ticks)", pd.DataFrame(results["future_range_rmse"]).T)
    _print_frame("Direction accuracy", pd.DataFrame(results["direction_accuracy"]).T)
    for verdict in results["verdict"].values():
        console.print(verdict, markup=False, highlight=False)
    console.print(f"State macro F1 on shifted physics: {results['state_macro_f1']['before_finetune']:.3f} -> "
                  f"{results['state_macro_f1']['after_finetune']:.3f}")
    console.print(f"Wrote [bold]{out / 'transfer.md'}[/bold] and [bold]{out / 'transfer.json'}[/bold]")


@experiment_app.command("states")
def experiment_states(
    out: Annotated[Path, typer.Option(help="Folder for states.md and states.json.")] = Path("out/states"),
    physics: Annotated[Optional[Path], typer.Option(help="PhysicsConfig YAML (default: the calibrated defaults).")]
    = None,
    train_days: Annotated[int, typer.Option(min=1, help="Synthetic training sessions.")] = 20,
    test_days: Annotated[int, typer.Option(min=1, help="Held-out synthetic sessions (another seed).")] = 10,
    backends: Annotated[str, typer.Option(help="Comma-separated: forest, boosting, neural.")] = (
        "forest,boosting,neural"),
    driver: Annotated[str, typer.Option(help="fractal or auto (what decides state changes).")] = "fractal",
    real: Annotated[Optional[Path], typer.Option(help="Real bars: report each backend's state shares on them "
                                                      "(and whether it collapses to one state).")] = None,
    seed: Annotated[int, typer.Option(help="Seed.")] = 0,
) -> None:
    """Can each state be seen? Per-state recall, macro F1, calibration and confusion on held-out synthetic days."""
    from fracfire.training.separability import state_separability

    with _clean_errors():
        check_writable(out, folder=True)
        chosen = _names(backends)
        unknown = [b for b in chosen if b not in ("forest", "boosting", "neural")]
        if unknown or not chosen:
            raise ValueError(f"--backends: unknown {unknown or backends!r}; choose from forest, boosting, neural")
        from fracfire._progress import progress_bar

        with progress_bar("Backends", len(chosen), console, unit="backends") as advance:
            from fracfire.data.real import load_continuous_contract

            bars = load_continuous_contract(real) if real else None
            result = state_separability(_load_physics(physics), train_days, test_days, seed, chosen,
                                        driver=driver, real=bars, progress=advance)
        result.save(out)
    _print_frame("Recall per state", result.recall)
    console.print(result.summary(), markup=False, highlight=False)
    console.print(f"Wrote [bold]{out / 'states.md'}[/bold] and [bold]{out / 'states.json'}[/bold]")


@experiment_app.command("zones")
def experiment_zones(
    real: Annotated[Path, typer.Option(help="Real one-minute bars (JSON, CSV or Parquet).")],
    out: Annotated[Path, typer.Option(help="Folder for zones.md and zones.json.")] = Path("out/zones"),
    physics: Annotated[Optional[Path], typer.Option(
        help="PhysicsConfig of the synthetic days (default configs/physics_calibrated.yaml if present).")] = None,
    days: Annotated[int, typer.Option(min=1, help="Synthetic training days.")] = 10,
    top_share: Annotated[float, typer.Option(help="Share of real bars to flag (highest zone probability).")] = 0.1,
    seed: Annotated[int, typer.Option(help="Seed.")] = 0,
) -> None:
    """Train a ZoneDetector on synthetic days; measure what follows the real bars it flags."""
    import pandas as pd

    from fracfire.data.real import load_continuous_contract
    from fracfire.training.zones_experiment import zone_experiment

    with _clean_errors():
        check_writable(out, folder=True)
        config = _calibrated_physics(physics)
        result = zone_experiment(load_continuous_contract(real), out, config, days, seed, top_share=top_share)
    _print_frame("Lift after flagged bars", pd.DataFrame(result["table"]).set_index(["metric", "horizon"]))
    console.print(f"Wrote [bold]{out / 'zones.md'}[/bold] and [bold]{out / 'zones.json'}[/bold]")


@app.command("scenarios")
def scenarios_command(
    real: Annotated[Path, typer.Option(help="Real bars (JSON, CSV or Parquet): the history, and what to fit on.")],
    at: Annotated[str, typer.Option(help="Cut: first minute to simulate, ET (e.g. '2019-09-27 11:00').")],
    horizon: Annotated[str, typer.Option(help="rest-of-session (Globex close), rth (16:00 ET) or minutes.")]
    = "rest-of-session",
    n: Annotated[int, typer.Option(min=1, max=100_000, help="Number of continuations.")] = 1000,
    out: Annotated[Path, typer.Option(help="Folder for scenarios.parquet, summary.json and fan.png.")]
    = Path("out/scenarios"),
    physics: Annotated[Optional[Path], typer.Option(help="PhysicsConfig YAML (default: the calibrated defaults).")]
    = None,
    seed: Annotated[int, typer.Option(help="Seed: same seed and history, same bytes.")] = 0,
) -> None:
    """N labelled continuations of a real history from a cut, with quantiles, probabilities and a fan chart."""
    from fracfire.data.real import load_continuous_contract
    from fracfire.scenarios import ScenarioPolicy
    from fracfire.scenarios.policy import split_at

    with _clean_errors():
        check_writable(out, folder=True)
        bars = load_continuous_contract(real)
        history, actual, cut, horizon_value = split_at(bars, at, horizon)
        with console.status(f"fitting the policy on {len(history):,} bars before {cut:%Y-%m-%d %H:%M}"):
            policy = ScenarioPolicy(physics=_load_physics(physics), seed=seed).fit(history)
        from fracfire._progress import progress_bar

        with progress_bar("Scenarios", n, console, unit="paths") as advance:
            result = policy.simulate(history, n, horizon=horizon_value, seed=seed, cut=cut, progress=advance)
        paths = result.save(out, actual=actual)
    console.print(result.summary(), markup=False, highlight=False)
    console.print(f"Wrote [bold]{paths['bars']}[/bold], [bold]{paths['summary']}[/bold] and "
                  f"[bold]{paths['chart']}[/bold]")


@experiment_app.command("scenarios")
def experiment_scenarios(
    real: Annotated[Path, typer.Option(help="Real bars, one- or five-minute (JSON, CSV or Parquet).")],
    out: Annotated[Path, typer.Option(help="Folder for scenarios_experiment.md/.json and scenarios_scores.csv.")]
    = Path("out/scenarios_experiment"),
    cuts: Annotated[str, typer.Option(help="ET cut times, comma-separated.")] = "10:30,12:00,14:00",
    samples: Annotated[int, typer.Option(min=10, help="Samples per forecast and method.")] = 300,
    horizon: Annotated[str, typer.Option(help="rest-of-session, rth or minutes.")] = "rest-of-session",
    physics: Annotated[Optional[Path], typer.Option(help="PhysicsConfig YAML (default: the calibrated defaults).")]
    = None,
    seed: Annotated[int, typer.Option(help="Seed.")] = 0,
) -> None:
    """Forecast the rest of every held-out session (last 40 %) from several cuts; CRPS against peers."""
    from fracfire._progress import progress_bar
    from fracfire.data.real import load_continuous_contract
    from fracfire.scenarios import ScenarioPolicy
    from fracfire.scenarios.evaluate import scenario_experiment
    from fracfire.scenarios.policy import parse_horizon

    with _clean_errors():
        check_writable(out, folder=True)
        bars = load_continuous_contract(real)
        policy = ScenarioPolicy(physics=_load_physics(physics), seed=seed)
        with progress_bar("Scenario experiment", 1, console, unit="sessions") as advance:
            result = scenario_experiment(bars, _names(cuts), samples, parse_horizon(horizon), seed=seed,
                                         policy=policy, progress=advance, file=real.name)
        paths = result.save(out)
    console.print(result.summary(), markup=False, highlight=False)
    console.print(f"Wrote [bold]{paths['markdown']}[/bold], [bold]{paths['json']}[/bold] and "
                  f"[bold]{paths['scores']}[/bold]")


@app.command()
def pipeline(
    config: Annotated[Path, typer.Option(help="Pipeline YAML.")] = Path("configs/pipeline.yaml"),
    scale: Annotated[Optional[str], typer.Option(help="Archetype library size: small or large.")] = None,
    scheduler: Annotated[Optional[str], typer.Option(help="Dask scheduler for the library: local or tcp://...")]
    = None,
    calibrate: Annotated[bool, typer.Option(help="Re-fit the calibration instead of loading it.")] = False,
) -> None:
    """Run the main job end to end: calibrate, archetypes, pretrain, finetune, setups, realism, report."""
    from fracfire._progress import progress_bar
    from fracfire.pipeline import PipelineError, load_pipeline_config, run_pipeline

    with _clean_errors():
        cfg = load_pipeline_config(config, **{"archetypes.scale": scale, "archetypes.scheduler": scheduler,
                                              "calibrate.mode": "fit" if calibrate else None})
        with progress_bar("starting", 7, console, unit="stages") as advance:
            try:
                result = run_pipeline(cfg, progress=lambda stage, done, total: advance(done, total, f"stage {stage}"),
                                      say=lambda text: console.print(f"  {text}"))
            except PipelineError as exc:
                raise RuntimeError(str(exc)) from None
    ran = [s for s, v in result["stages"].items() if v == "ran"]
    cached = [s for s, v in result["stages"].items() if v == "cached"]
    console.print(f"Stages run: {', '.join(ran) or 'none'}; cached: {', '.join(cached) or 'none'}")
    console.print(f"Report: [bold]{result['report']}[/bold]")


@app.command()
def demo(config: Annotated[Path, typer.Option(help="Pipeline YAML.")] = Path("configs/pipeline.yaml")) -> None:
    """Same as `fracfire pipeline` with the default config (what `make demo` runs)."""
    pipeline(config=config, scale=None, scheduler=None, calibrate=False)


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point (``fracfire``).

    SIGTERM and SIGHUP stop a command the way Ctrl-C does: temporary files are
    removed, worker processes stopped, finished files kept; the exit code is
    128 + the signal number.
    """
    import signal
    import sys

    from fracfire._signals import Stopped, stop_on_signals

    try:
        with stop_on_signals():
            app(args=argv, prog_name="fracfire")
    except (Stopped, KeyboardInterrupt) as exc:
        signum = exc.signum if isinstance(exc, Stopped) else signal.SIGINT
        errors.print(f"stopped by {signal.Signals(signum).name}: finished files are kept, no partial file is left",
                     markup=False, highlight=False)
        sys.exit(128 + signum)
