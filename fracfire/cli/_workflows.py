"""Experiments, scenarios and the pipeline."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from fracfire._resources import check_writable
from fracfire.cli._common import (
    _calibrated_physics,
    _clean_errors,
    _int_list,
    _load_physics,
    _names,
    _print_frame,
    _sizes,
    app,
    console,
)

experiment_app = typer.Typer(help="Experiments that measure what FracFire is worth.", no_args_is_help=True)
app.add_typer(experiment_app, name="experiment")


@experiment_app.command("transfer")
def experiment_transfer(
    real: Annotated[Path, typer.Option(help="Real bars, one- or five-minute (JSON, CSV or Parquet).")],
    out: Annotated[
        Path, typer.Option(help="Folder for transfer.md, transfer.json (and the archetype libraries).")
    ] = Path("out/transfer"),
    physics: Annotated[
        Optional[Path],
        typer.Option(help="PhysicsConfig of the synthetic data (default configs/physics_calibrated.yaml if present)."),
    ] = None,
    sizes: Annotated[
        str, typer.Option(help="Real-train sizes in sessions, comma-separated ('all' allowed).")
    ] = "2,5,10,all",
    seed: Annotated[int, typer.Option(help="Seed of every model and synthetic day.")] = 0,
    seeds: Annotated[
        int, typer.Option(min=1, help="Synthetic libraries (seeds) the synthetic side is averaged over.")
    ] = 5,
    target: Annotated[
        str,
        typer.Option(
            help="ticks, or relative (scale-free: targets and tick features in units of the recent volatility)."
        ),
    ] = "ticks",
    days_per_archetype: Annotated[int, typer.Option(min=1, help="Archetype days for pre-training.")] = 10,
    state_backend: Annotated[str, typer.Option(help="StateDetector backend: forest, boosting or neural.")] = "forest",
) -> None:
    """Scratch vs synthetic-only vs pre-trained + fine-tuned, on held-out real sessions."""
    from fracfire._progress import progress_bar
    from fracfire.data.real import load_continuous_contract
    from fracfire.training.transfer import transfer_experiment

    with _clean_errors():
        check_writable(out, folder=True)
        size_list = _sizes(sizes)
        config = _calibrated_physics(physics)
        bars = load_continuous_contract(real)
        steps = seeds + len(size_list) * (seeds + 1) + 2
        with progress_bar("Transfer experiment", steps, console, unit="steps") as advance:
            results = transfer_experiment(
                bars,
                out,
                config,
                size_list,
                seed,
                days_per_archetype,
                state_backend,
                progress=advance,
                seeds=seeds,
                target=target,
            )
    import pandas as pd

    _print_frame("Future range RMSE (ticks)", pd.DataFrame(results["future_range_rmse"]).T)
    _print_frame("Direction accuracy", pd.DataFrame(results["direction_accuracy"]).T)
    for verdict in results["verdict"].values():
        console.print(verdict, markup=False, highlight=False)
    console.print(
        f"State macro F1 on shifted physics: {results['state_macro_f1']['before_finetune']:.3f} -> "
        f"{results['state_macro_f1']['after_finetune']:.3f}"
    )
    console.print(f"Wrote [bold]{out / 'transfer.md'}[/bold] and [bold]{out / 'transfer.json'}[/bold]")


@experiment_app.command("states")
def experiment_states(
    out: Annotated[Path, typer.Option(help="Folder for states.md and states.json.")] = Path("out/states"),
    physics: Annotated[
        Optional[Path], typer.Option(help="PhysicsConfig YAML (default: the calibrated defaults).")
    ] = None,
    train_days: Annotated[int, typer.Option(min=1, help="Synthetic training sessions.")] = 20,
    test_days: Annotated[int, typer.Option(min=1, help="Held-out synthetic sessions (another seed).")] = 10,
    backends: Annotated[str, typer.Option(help="Comma-separated: forest, boosting, neural.")] = (
        "forest,boosting,neural"
    ),
    driver: Annotated[str, typer.Option(help="fractal or auto (what decides state changes).")] = "fractal",
    real: Annotated[
        Optional[Path],
        typer.Option(
            help="Real bars: report each backend's state shares on them (and whether it collapses to one state)."
        ),
    ] = None,
    seed: Annotated[int, typer.Option(min=0, help="Seed.")] = 0,
) -> None:
    """Can each state be seen? Per-state recall, macro F1, calibration and confusion on held-out synthetic days."""
    from fracfire.training.separability import state_separability

    with _clean_errors():
        check_writable(out, folder=True)
        chosen = tuple(dict.fromkeys(_names(backends)))  # each backend once
        unknown = [b for b in chosen if b not in ("forest", "boosting", "neural")]
        if unknown or not chosen:
            raise ValueError(f"--backends: unknown {unknown or backends!r}; choose from forest, boosting, neural")
        from fracfire._progress import progress_bar

        with progress_bar("Backends", len(chosen), console, unit="backends") as advance:
            from fracfire.data.real import load_continuous_contract

            bars = load_continuous_contract(real) if real else None
            result = state_separability(
                _load_physics(physics), train_days, test_days, seed, chosen, driver=driver, real=bars, progress=advance
            )
        result.save(out)
    _print_frame("Recall per state", result.recall)
    console.print(result.summary(), markup=False, highlight=False)
    console.print(f"Wrote [bold]{out / 'states.md'}[/bold] and [bold]{out / 'states.json'}[/bold]")


@experiment_app.command("detectability")
def experiment_detectability(
    out: Annotated[Path, typer.Option(help="Folder for detectability.md and detectability.json.")] = Path(
        "out/detectability"
    ),
    physics: Annotated[
        Optional[Path], typer.Option(help="PhysicsConfig YAML (default: the calibrated defaults).")
    ] = None,
    horizons: Annotated[str, typer.Option(help="Look-backs in bars, comma-separated.")] = "30,60,120,240",
    labels: Annotated[
        str, typer.Option(help="Comma-separated among state, hour_state, day_state.")
    ] = "state,hour_state,day_state",
    backend: Annotated[str, typer.Option(help="forest, boosting or neural.")] = "boosting",
    train_days: Annotated[int, typer.Option(min=1, help="Synthetic training sessions.")] = 40,
    test_days: Annotated[int, typer.Option(min=1, help="Held-out synthetic sessions (another seed).")] = 20,
    seed: Annotated[int, typer.Option(min=0, help="Seed.")] = 0,
) -> None:
    """Which of the fractal driver's labels (minute, hour, day) can a detector read, from how many bars back?"""
    from fracfire.training.detectability import label_detectability

    with _clean_errors():
        check_writable(out, folder=True)
        looks = _int_list(horizons, "--horizons")
        chosen = _names(labels)
        from fracfire._progress import progress_bar

        with progress_bar("Detectors", len(looks) * len(chosen), console, unit="detectors") as advance:
            result = label_detectability(
                _load_physics(physics), looks, chosen, backend, train_days, test_days, seed, progress=advance
            )
        result.save(out)
    console.print(result.summary(), markup=False, highlight=False)
    console.print(f"Wrote [bold]{out / 'detectability.md'}[/bold] and [bold]{out / 'detectability.json'}[/bold]")


@experiment_app.command("zones")
def experiment_zones(
    real: Annotated[Path, typer.Option(help="Real one-minute bars (JSON, CSV or Parquet).")],
    out: Annotated[Path, typer.Option(help="Folder for zones.md and zones.json.")] = Path("out/zones"),
    physics: Annotated[
        Optional[Path],
        typer.Option(help="PhysicsConfig of the synthetic days (default configs/physics_calibrated.yaml if present)."),
    ] = None,
    days: Annotated[int, typer.Option(min=1, help="Synthetic training days.")] = 10,
    top_share: Annotated[float, typer.Option(help="Share of real bars to flag (highest zone probability).")] = 0.1,
    seed: Annotated[int, typer.Option(min=0, help="Seed.")] = 0,
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


GARCH_WEIGHT_DEFAULT = 0.5

LevelModelOption = Annotated[
    str,
    typer.Option(
        "--level-model",
        help="Level model of the policy: tilt (the neural tilt model, pre-trained on synthetic sessions) "
        "or ridge (ridge regression with time-left interactions, real cuts only).",
    ),
]
"""The scenario policy's level model (``fracfire.scenarios.level_model``), shared by both scenario commands."""

GarchWeightOption = Annotated[
    float,
    typer.Option(
        "--garch-weight",
        min=0.0,
        max=1.0,
        help="Weight of GARCH(1,1)-t's level forecast averaged with the level model's (0: the level model alone).",
    ),
]
"""``ScenarioPolicy(garch_weight=...)``, shared by both scenario commands (its default is a literal here, as
``fracfire.scenarios.policy.GARCH_WEIGHT``: importing the policy slows every command's start; a test ties them)."""


@app.command("scenarios")
def scenarios_command(
    real: Annotated[Path, typer.Option(help="Real bars (JSON, CSV or Parquet): the history, and what to fit on.")],
    at: Annotated[str, typer.Option(help="Cut: first minute to simulate, ET (e.g. '2019-09-27 11:00').")],
    horizon: Annotated[
        str, typer.Option(help="rest-of-session (Globex close), rth (16:00 ET) or minutes.")
    ] = "rest-of-session",
    n: Annotated[int, typer.Option(min=1, max=100_000, help="Number of continuations.")] = 1000,
    out: Annotated[Path, typer.Option(help="Folder for scenarios.parquet, summary.json and fan.png.")] = Path(
        "out/scenarios"
    ),
    physics: Annotated[
        Optional[Path], typer.Option(help="PhysicsConfig YAML (default: the calibrated defaults).")
    ] = None,
    seed: Annotated[int, typer.Option(min=0, help="Seed: same seed and history, same bytes.")] = 0,
    level: LevelModelOption = "tilt",
    garch_weight: GarchWeightOption = GARCH_WEIGHT_DEFAULT,
) -> None:
    """N labelled continuations of a real history from a cut, with quantiles, probabilities and a fan chart."""
    from fracfire.data.real import load_continuous_contract
    from fracfire.scenarios import ScenarioPolicy
    from fracfire.scenarios.level_models import level_model
    from fracfire.scenarios.windows import split_at

    with _clean_errors():
        chosen = level_model(level)
        check_writable(out, folder=True)
        bars = load_continuous_contract(real)
        history, actual, cut, horizon_value = split_at(bars, at, horizon)
        with console.status(f"fitting the policy on {len(history):,} bars before {cut:%Y-%m-%d %H:%M}"):
            policy = ScenarioPolicy(
                physics=_load_physics(physics), seed=seed, level_model=chosen, garch_weight=garch_weight
            ).fit(history)
        from fracfire._progress import progress_bar

        with progress_bar("Scenarios", n, console, unit="paths") as advance:
            result = policy.simulate(history, n, horizon=horizon_value, seed=seed, cut=cut, progress=advance)
        paths = result.save(out, actual=actual)
    console.print(result.summary(), markup=False, highlight=False)
    console.print(
        f"Wrote [bold]{paths['bars']}[/bold], [bold]{paths['summary']}[/bold] and [bold]{paths['chart']}[/bold]"
    )


@experiment_app.command("scenarios")
def experiment_scenarios(
    real: Annotated[Path, typer.Option(help="Real bars, one- or five-minute (JSON, CSV or Parquet).")],
    out: Annotated[
        Path, typer.Option(help="Folder for scenarios_experiment.md/.json and scenarios_scores.csv.")
    ] = Path("out/scenarios_experiment"),
    cuts: Annotated[str, typer.Option(help="ET cut times, comma-separated.")] = "10:30,12:00,14:00",
    samples: Annotated[int, typer.Option(min=10, help="Samples per forecast and method.")] = 300,
    horizon: Annotated[str, typer.Option(help="rest-of-session, rth or minutes.")] = "rest-of-session",
    physics: Annotated[
        Optional[Path], typer.Option(help="PhysicsConfig YAML (default: the calibrated defaults).")
    ] = None,
    seed: Annotated[int, typer.Option(min=0, help="Seed.")] = 0,
    level: LevelModelOption = "tilt",
    garch_weight: GarchWeightOption = GARCH_WEIGHT_DEFAULT,
    only_first: Annotated[
        float,
        typer.Option(
            min=0.1,
            max=1.0,
            help="Read only the first share of the file's sessions: an inner split for choosing a method "
            "(its last 40 % are scored) that never reads the later sessions.",
        ),
    ] = 1.0,
) -> None:
    """Forecast the rest of every held-out session (last 40 %) from several cuts; CRPS against peers."""
    from fracfire._progress import progress_bar
    from fracfire.data.real import load_continuous_contract
    from fracfire.scenarios import ScenarioPolicy
    from fracfire.scenarios.evaluate import scenario_experiment
    from fracfire.scenarios.level_models import level_model
    from fracfire.scenarios.windows import parse_horizon

    with _clean_errors():
        chosen = level_model(level)
        check_writable(out, folder=True)
        bars = load_continuous_contract(real)
        name = real.name
        if only_first < 1.0:
            from fracfire.realism.calendar import split_by_time

            bars, _ = split_by_time(bars, only_first)
            name = f"{real.name}, first {only_first:.0%} of the sessions"
        policy = ScenarioPolicy(
            physics=_load_physics(physics), seed=seed, level_model=chosen, garch_weight=garch_weight
        )
        with progress_bar("Scenario experiment", 1, console, unit="sessions") as advance:
            result = scenario_experiment(
                bars,
                _names(cuts),
                samples,
                parse_horizon(horizon),
                seed=seed,
                policy=policy,
                progress=advance,
                file=name,
            )
        paths = result.save(out)
    console.print(result.summary(), markup=False, highlight=False)
    console.print(
        f"Wrote [bold]{paths['markdown']}[/bold], [bold]{paths['json']}[/bold] and [bold]{paths['scores']}[/bold]"
    )


@app.command()
def pipeline(
    config: Annotated[Path, typer.Option(help="Pipeline YAML.")] = Path("configs/pipeline.yaml"),
    scale: Annotated[Optional[str], typer.Option(help="Archetype library size: small or large.")] = None,
    scheduler: Annotated[Optional[str], typer.Option(help="Dask scheduler for the library: local or tcp://...")] = None,
    calibrate: Annotated[bool, typer.Option(help="Re-fit the calibration instead of loading it.")] = False,
) -> None:
    """Run the main job end to end: calibrate, archetypes, pretrain, finetune, setups, realism, report."""
    from fracfire._progress import progress_bar
    from fracfire.pipeline import PipelineError, load_pipeline_config, run_pipeline

    with _clean_errors():
        cfg = load_pipeline_config(
            config,
            **{
                "archetypes.scale": scale,
                "archetypes.scheduler": scheduler,
                "calibrate.mode": "fit" if calibrate else None,
            },
        )
        with progress_bar("starting", 7, console, unit="stages") as advance:
            try:
                result = run_pipeline(
                    cfg,
                    progress=lambda stage, done, total: advance(done, total, f"stage {stage}"),
                    say=lambda text: console.print(f"  {text}"),
                )
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
