"""Commands on bars: generate, chart, report, backtest, realism, calibrate, compare, datasets, setups."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from fracfire._resources import check_writable
from fracfire.cli._common import (
    CALIBRATED_CONFIG,
    _calibrated_physics,
    _clean_errors,
    _int_list,
    _load_physics,
    _names,
    _print_frame,
    _seed_list,
    app,
    console,
)
from fracfire.runs import RunLayout, SetupsFolder


@app.command()
def generate(
    out: Annotated[Path, typer.Option(help="Output file: .parquet, .csv or .csv.gz.")],
    start: Annotated[
        str,
        typer.Option(help="First trading date (Globex sessions open 18:00 ET the evening before), e.g. 2025-01-06."),
    ] = "2025-01-06",
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
    from fracfire.physics.layout import check_run_size

    with _clean_errors():
        bars_file_kind(out)
        check_writable(out)
        check_run_size(days)
        physics = PhysicsConfig.from_yaml(config) if config else PhysicsConfig()
        gen = PriceGenerator(initial_price=initial_price, seed=seed, physics=physics)
        with progress_bar("Generating", days, console) as advance:
            bars = gen.generate_days(start, days, segment_length=segment_length, progress=advance)
        path = write_bars(bars, out)
    first, last = bars["time"].iloc[0], bars["time"].iloc[-1]
    console.print(
        f"Wrote {len(bars):,} bars ({days} Globex sessions, {first:%a %Y-%m-%d %H:%M} to {last:%a %Y-%m-%d %H:%M} ET; "
        f"--start {start}) to [bold]{path}[/bold]"
    )


@app.command()
def bench(
    days: Annotated[
        str, typer.Option(help="Comma-separated run lengths in Globex sessions (252 = a year).")
    ] = "1,21,252",
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
        counts = _int_list(days, "--days")
        if any(c < 1 for c in counts):
            raise ValueError(f"--days must be session counts >= 1; got {days!r}")
        first, timings = benchmark_generation(counts, repeats=repeats)
    frame = (
        pd.DataFrame([t.to_dict() for t in timings])
        .set_index("days")
        .rename(columns={"bars_per_second": "bars/s", "floor_seconds": "floor s", "floor_ratio": "x floor"})
    )
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
    scenario_dir: Annotated[
        Path,
        typer.Argument(
            help="Folder written by `fracfire setups run` (summary.json and its real_1m.csv or synthetic_1m.csv)."
        ),
    ],
) -> None:
    """Overlay a setup run's trades on its one-minute candles (writes trade_plot.png)."""
    from fracfire.data.io import read_bars
    from fracfire.viz import plot_trades

    with _clean_errors():
        files = SetupsFolder(scenario_dir)
        summary_path = files.summary
        if not summary_path.exists():
            raise FileNotFoundError(f"{summary_path} not found (write it with `fracfire setups run`)")
        try:
            summary = json.loads(summary_path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise ValueError(f"{summary_path}: not valid JSON ({exc})") from None
        if not isinstance(summary, dict) or "outcomes" not in summary:
            raise ValueError(f"{summary_path} has no 'outcomes' list")
        out = files.trade_plot
        # folders written before 'bars_1m' existed hold synthetic bars
        bars_name = summary.get("bars_1m", files.bars_1m("synthetic").name)
        if not isinstance(bars_name, str) or Path(bars_name).name != bars_name:
            raise ValueError(f"{summary_path}: 'bars_1m' must be a file name in the folder; got {bars_name!r}")
        check_writable(out)
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
        if run_dir.is_dir() and not any(run_dir.iterdir()):
            raise ValueError(
                f"{run_dir} is empty: nothing to report (run `fracfire pipeline` or another command first)"
            )
        check_writable(out or RunLayout(run_dir).report)
        path = build_report(run_dir, out)
        console.print(f"Wrote [bold]{path}[/bold]")
        if screenshot:
            shot = take_screenshot(path, path.with_suffix(".png"))
            console.print(f"Wrote [bold]{shot}[/bold]")


@app.command()
def backtest(
    bars: Annotated[Path, typer.Option(help="One-minute bars (any file the loader reads).")],
    signals: Annotated[
        Path,
        typer.Option(
            help="CSV: time plus 'position' (-1/0/1) or entries/exits/short_entries/short_exits (true/false)."
        ),
    ],
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
        config = BacktestConfig(
            contract=contract,
            contracts=contracts,
            commission=commission,
            slippage_ticks=slippage_ticks,
            initial_cash=initial_cash,
        )
        frame = read_bars(bars)
        table = read_signals(signals)
        kwargs = (
            {"position": table["position"]} if "position" in table else {name: table[name] for name in table.columns}
        )
        result = run_signal_backtest(frame, config=config, **kwargs)
        folder = out / "backtest"
        result.save(folder, source=bars.stem, bars=os.path.relpath(bars.resolve(), folder.resolve()))
        console.print(result.summary())
        console.print(
            f"Wrote [bold]{folder}[/bold] (equity.csv, trades.csv, metrics.json); `fracfire report {out}` draws it"
        )


@app.command()
def realism(
    real: Annotated[Path, typer.Option(help="Real one-minute bars (JSON, CSV or Parquet).")],
    config: Annotated[
        Optional[Path],
        typer.Option(help="Calibrated PhysicsConfig YAML (default: configs/physics_calibrated.yaml if present)."),
    ] = None,
    out_dir: Annotated[
        Path,
        typer.Option("--out", "--out-dir", help="Folder for realism.json and realism.md (--out-dir is the old name)."),
    ] = Path("out/realism"),
    seeds: Annotated[int, typer.Option(min=1, help="Seeds to average distances over.")] = 1,
    train_fraction: Annotated[float, typer.Option(help="Share of sessions the peers are fitted on.")] = 0.6,
) -> None:
    """Score FracFire (default and calibrated) against GBM, GARCH-t (plain, seasonal) and bootstrap on held-out data."""
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
            result = compare_generators(
                bars, configs, seeds=tuple(range(seeds)), train_fraction=train_fraction, progress=advance
            )
        written = result.save(out_dir)
    _print_frame("Summary (lower is more realistic)", result.summary)
    if result.reference is not None:
        ref = result.reference
        own = result.headline[f"{REAL_REFERENCE} met"].dropna() if result.headline is not None else []
        console.print(
            f"Reference: the last {result.validation_days} fitted real sessions against the held-out ones "
            f"score {ref['discriminative_score']:.3f} (summary distance {ref['summary_distance']:.3f}) and "
            f"meet {int(sum(map(bool, own)))} of {len(own)} fact goals; self_discriminative_score is each "
            "generator against another run of itself."
        )
    console.print("Wrote " + " and ".join(f"[bold]{path}[/bold]" for path in written.values()))


@app.command()
def calibrate(
    real: Annotated[
        Path,
        typer.Option(
            help="Real bars (JSON, CSV or Parquet): one- or five-minute, full Globex or "
            "regular hours only, with or without volume."
        ),
    ],
    out: Annotated[Path, typer.Option(help="Calibrated PhysicsConfig YAML to write.")] = CALIBRATED_CONFIG,
    daily: Annotated[
        Optional[Path],
        typer.Option(
            help="A longer file (>= 60 sessions) for the day-to-day knobs, e.g. data/nq_5min_2019.csv.gz; "
            "default: REAL itself when long enough, else those knobs are kept."
        ),
    ] = None,
    start: Annotated[Optional[Path], typer.Option(help="PhysicsConfig YAML to start from.")] = None,
    # realism.calibration.MAX_EVALUATIONS (a literal here: importing calibration slows every command's start)
    max_evaluations: Annotated[int, typer.Option(min=10, help="Engine runs for the intraday search.")] = 500,
    seeds: Annotated[
        str,
        typer.Option(
            help="Comma-separated engine seeds averaged per evaluation (fewer is faster but fits the seeds' luck)."
        ),
    ] = "0,1,2,3",
    train_fraction: Annotated[float, typer.Option(help="Share of sessions fitted on (the rest is held out).")] = 0.6,
    fix: Annotated[
        str,
        typer.Option(
            help="Comma-separated knobs held at their --start values (e.g. activity_dispersion,activity_clustering)."
        ),
    ] = "",
    search: Annotated[
        str,
        typer.Option(
            help="Comma-separated knob=low:high[:log] searched beside the usual knobs "
            "(e.g. activity_thinning=0:2, a knob the shipped search leaves alone)."
        ),
    ] = "",
) -> None:
    """Fit PhysicsConfig to real bars by simulated moments; report train and held-out distances."""
    from fracfire._progress import progress_bar
    from fracfire.data.real import load_continuous_contract
    from fracfire.realism.calibration import calibrate as run_calibration
    from fracfire.realism.calibration import parse_search

    with _clean_errors():
        check_writable(out)
        seed_list = _seed_list(seeds)
        extra = parse_search(search)
        bars = load_continuous_contract(real)
        long = load_continuous_contract(daily) if daily is not None else None
        total = max_evaluations + max(20, max_evaluations // 5)
        with progress_bar("Calibrating", total, console, unit="runs") as advance:
            result = run_calibration(
                bars,
                start=_load_physics(start),
                train_fraction=train_fraction,
                daily=long,
                max_evaluations=max_evaluations,
                seeds=tuple(seed_list),
                progress=lambda done, _total, best: advance(done, total),
                fixed=_names(fix),
                search=extra,
            )
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

    params = [p for p in inspect.signature(command, eval_str=True).parameters.values() if p.kind != p.VAR_KEYWORD]
    defaults = PhysicsConfig()
    for f in dataclasses.fields(PhysicsConfig):
        if isinstance(getattr(defaults, f.name), float):
            option = typer.Option(f"--{f.name.replace('_', '-')}", help=f"PhysicsConfig.{f.name} override.")
            params.append(
                inspect.Parameter(
                    f.name, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=Annotated[Optional[float], option]
                )
            )
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
    out_dir: Annotated[
        Path, typer.Option("--out", "--out-dir", help="Folder for the charts (--out-dir is the old name).")
    ] = Path("out/charts/diagnostic"),
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
    scheduler: Annotated[
        Optional[str], typer.Option(help="Dask scheduler: 'local' (LocalCluster) or tcp://host:port.")
    ] = None,
    resume: Annotated[
        bool, typer.Option(help="Continue an interrupted build: keep its finished shards (same arguments only).")
    ] = False,
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
            result = build_archetypes(
                out,
                names,
                days_per_archetype,
                seed,
                _load_physics(config),
                workers,
                scheduler,
                resume,
                progress=advance,
            )
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
    seed: Annotated[int, typer.Option(min=0, help="Seed of the synthetic days (not with --real).")] = 3,
    start: Annotated[str, typer.Option(help="First synthetic day (not with --real).")] = "2025-01-06",
    real: Annotated[Optional[Path], typer.Option(help="Run on real bars instead.")] = None,
    config: Annotated[
        Optional[Path], typer.Option(help="PhysicsConfig YAML for the synthetic days (not with --real).")
    ] = None,
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
        if real is not None and (config is not None or seed != 3 or start != "2025-01-06"):
            raise ValueError("--seed, --start and --config shape synthetic days; with --real there are none")
        if real is not None:
            from fracfire.data.checks import require_bar_minutes
            from fracfire.data.real import load_continuous_contract

            bars = load_continuous_contract(real)
            require_bar_minutes(bars, 1, f"{real}: setup detection (its rules count one-minute bars)")
        else:
            bars = PriceGenerator(seed=seed, physics=_load_physics(config)).generate_days(start, days)
        bad = None
        if inject_hesitation or inject_chase:
            bad = BadTradeConfig(
                inject_hesitation, hesitation_minutes, inject_chase, chase_window_minutes, max_variants_per_trade
            )
        found = evaluate_setups(bars, bad_trades=bad, source="synthetic" if real is None else "real")
        found.save(out)
    console.print(
        f"{len(found.outcomes)} trades ({len(found.misses)} ORB days without a breakout); wrote [bold]{out}[/bold]"
    )
    if found.totals:
        import pandas as pd

        _print_frame("R by setup", pd.DataFrame(found.totals).set_index(["kind", "variant"]))
