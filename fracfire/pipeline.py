"""The main job: ``fracfire pipeline --config configs/pipeline.yaml`` (what ``make demo`` runs).

Stages, each cached by a content hash of its settings, of the stages it
depends on, of the input files and of FracFire's own source
(``<run>/.stages/<stage>.json``), so a re-run skips finished stages and a
changed config re-runs only what depends on the change:

1. ``calibrate``: load the saved calibration (or fit one) of the real data;
2. ``archetypes``: build the synthetic archetype library with it;
3. ``pretrain``: StateDetector and PricePredictor on the library;
4. ``finetune``: both on the real training sessions; evaluate on the later
   sessions against from-scratch models and the baselines (``metrics.json``);
5. ``setups``: setups and MES backtests on synthetic and real bars;
6. ``realism``: scorecard vs GBM, GARCH-t (plain and seasonal) and bootstrap, real-vs-synthetic charts;
7. ``scenarios``: rest-of-session scenarios of the first held-out session
   from ``scenarios.cut`` ET (policy fitted on the fitting sessions), with a
   fan chart over the real continuation (``<run>/scenarios/``);
8. ``report``: ``<run>/report.html`` (and a screenshot with Chromium), logged to MLflow.

A failing stage stops the run with its message; earlier stages stay done.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import numpy as np
import pandas as pd
from pydantic import Field, field_validator

from fracfire._atomic import write_text_atomic
from fracfire._config import StrictModel, read_config_data, validate
from fracfire._optional import require
from fracfire._resources import check_writable
from fracfire._signals import check_stop
from fracfire.calendar import is_rth_minute, minute_of_day, trading_day
from fracfire.runs import RunLayout

__all__ = ["STAGES", "PipelineConfig", "PipelineError", "load_pipeline_config", "run_pipeline"]


class CalibrationSection(StrictModel):
    mode: str = Field("load", pattern="^(load|fit)$")
    path: str = "configs/physics_calibrated.yaml"
    max_evaluations: int = Field(60, ge=1)


class ArchetypeSection(StrictModel):
    days_per_archetype: int = Field(8, ge=1)
    scale: str = Field("small", pattern="^(small|large)$")
    scheduler: str | None = None
    workers: int | None = Field(None, ge=1)


class ModelSection(StrictModel):
    state_backend: str = Field("neural", pattern="^(forest|boosting|neural)$")
    state_calibration: str | None = Field(None, pattern="^temperature$")  # StateDetector(calibration=...)
    state_epochs: int = Field(2, ge=1)
    state_estimators: int = Field(100, ge=1)
    predictor_max_iter: int = Field(150, ge=1)
    horizons: list[Annotated[int, Field(ge=1)]] = Field([1, 5, 15], min_length=1)

    @field_validator("horizons")
    @classmethod
    def _distinct(cls, value: list[int]) -> list[int]:
        if len(set(value)) != len(value):
            raise ValueError(f"horizons must be distinct; got {value}")
        return value


class FinetuneSection(StrictModel):
    epochs: int = Field(3, ge=1)
    lr: float = Field(1e-4, gt=0)
    test_fraction: float = Field(0.25, gt=0, lt=1)


class SetupSection(StrictModel):
    synthetic_days: int = Field(5, ge=1)


class RealismSection(StrictModel):
    seeds: int = Field(1, ge=1)


class ScenarioSection(StrictModel):
    n: int = Field(300, ge=10, le=100_000)
    cut: str = Field("12:00", pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")


class ReportSection(StrictModel):
    screenshot: bool = True
    chart_days: int = Field(3, ge=0)


class PipelineConfig(StrictModel):
    """The whole job (defaults suit a 2-core laptop). Unknown keys are rejected."""

    run_id: str = Field("demo", pattern=r"^[A-Za-z0-9_.-]+$")
    out_dir: str = "out"
    seed: int = Field(7, ge=0)
    real: str = "data/es_1min_2019-09.csv.gz"
    tracking_uri: str | None = None
    calibrate: CalibrationSection = CalibrationSection()
    archetypes: ArchetypeSection = ArchetypeSection()
    models: ModelSection = ModelSection()
    finetune: FinetuneSection = FinetuneSection()
    setups: SetupSection = SetupSection()
    realism: RealismSection = RealismSection()
    scenarios: ScenarioSection = ScenarioSection()
    report: ReportSection = ReportSection()


class PipelineError(RuntimeError):
    """A stage failed (the message names it); earlier stages' results are kept."""


def load_pipeline_config(path: str | os.PathLike, **overrides) -> PipelineConfig:
    """Read and validate the pipeline YAML before any work starts (``overrides`` are dotted keys)."""
    data = read_config_data(path, "pipeline config")
    for dotted, value in overrides.items():
        if value is None:
            continue
        node = data
        *parents, leaf = dotted.split(".")
        for key in parents:
            node = node.setdefault(key, {})
        node[leaf] = value
    config = validate(PipelineConfig, data, path)
    check_writable(Path(config.out_dir) / config.run_id, folder=True)
    if not Path(config.real).exists():
        raise FileNotFoundError(f"{path}: real data file not found: {config.real}")
    if config.tracking_uri or os.environ.get("MLFLOW_TRACKING_URI"):
        from fracfire.training.tracking import _uri

        _uri(config.tracking_uri)  # a malformed URI fails now, not after every stage has run
    if config.calibrate.mode == "load" and not Path(config.calibrate.path).exists():
        raise FileNotFoundError(
            f"{path}: calibration file not found: {config.calibrate.path} (set calibrate.mode: fit to fit one)"
        )
    return config


@dataclass
class _Context:
    config: PipelineConfig
    run: Path
    keys: dict
    say: Callable[[str], None]
    real: pd.DataFrame | None = None

    @property
    def layout(self) -> RunLayout:
        """The run folder's artifacts."""
        return RunLayout(self.run)

    def real_bars(self) -> pd.DataFrame:
        if self.real is None:
            from fracfire.data.real import load_continuous_contract

            self.real = load_continuous_contract(self.config.real)
        return self.real


def _physics(ctx: _Context):
    from fracfire.physics import PhysicsConfig

    return PhysicsConfig.from_yaml(ctx.layout.physics)


def _stage_calibrate(ctx: _Context) -> dict:
    from fracfire.physics import PhysicsConfig

    cfg = ctx.config.calibrate
    if cfg.mode == "load":
        physics = PhysicsConfig.from_yaml(cfg.path)
        physics.to_yaml(ctx.layout.physics)
        return {"source": cfg.path}
    from fracfire.realism.calibration import calibrate

    result = calibrate(ctx.real_bars(), max_evaluations=cfg.max_evaluations)
    result.save(ctx.layout.root)
    ctx.say(result.summary())
    return {
        "train_after": result.train_after,
        "validation_after": result.validation_after,
        "discriminator_start": result.discriminator_start,
        "discriminator_fitted": result.discriminator_fitted,
    }


def _stage_archetypes(ctx: _Context) -> dict:
    from fracfire.data.synthetic import build_archetypes

    cfg = ctx.config.archetypes
    days = cfg.days_per_archetype * (10 if cfg.scale == "large" else 1)
    library = ctx.layout.archetypes
    # Build beside the current library, in a folder named by this stage's key: an interrupted build
    # resumes there, a changed setting starts afresh, and the finished library replaces the old one.
    work = ctx.layout.work / f"archetypes-{ctx.keys['archetypes'][:16]}"
    result = build_archetypes(
        work, "all", days, ctx.config.seed, _physics(ctx), cfg.workers, cfg.scheduler, resume=work.exists()
    )
    _replace_folder(work, library)
    import shutil

    for stale in work.parent.glob("archetypes-*"):  # partial builds of settings since abandoned
        shutil.rmtree(stale, ignore_errors=True)
    ctx.say(result.summary())
    return {"days": result.days, "rows": result.rows}


def _replace_folder(new: Path, target: Path) -> None:
    """Move the folder ``new`` to ``target``, replacing it; at no moment is there a half-written ``target``."""
    import shutil

    old = target.with_name(f".{target.name}.old")
    if old.exists():
        shutil.rmtree(old)
    if target.exists():
        target.rename(old)
    new.rename(target)
    if old.exists():
        shutil.rmtree(old)


def _library(ctx: _Context):
    from fracfire.data.features import extract_features
    from fracfire.data.synthetic import load_archetypes

    bars = load_archetypes(ctx.layout.archetypes)
    return bars, extract_features(bars)


def _stage_pretrain(ctx: _Context) -> dict:
    from fracfire.models import PricePredictor, StateDetector

    m = ctx.config.models
    bars, features = _library(ctx)
    detector = StateDetector(
        m.state_backend,
        n_estimators=m.state_estimators,
        epochs=m.state_epochs,
        random_state=ctx.config.seed,
        calibration=m.state_calibration,
    )
    detector.fit(features, bars["state"], bars=bars, progress=lambda d, t, loss: ctx.say(f"epoch {d}/{t} {loss:.3f}"))
    predictor = PricePredictor(tuple(m.horizons), max_iter=m.predictor_max_iter, random_state=ctx.config.seed)
    predictor.fit(features, predictor.targets(bars))
    detector.save(ctx.layout.model("state_detector_pretrained"))
    predictor.save(ctx.layout.model("price_predictor_pretrained"))
    return {"library_bars": len(bars)}


def _real_split(ctx: _Context):
    """Fitting and held-out real bars (:func:`fracfire.training.comparison.split_sessions`), held-out and all
    session counts."""
    from fracfire.training.comparison import split_sessions

    real = ctx.real_bars()
    pool, held = split_sessions(real, ctx.config.finetune.test_fraction)
    fit, test = (real.iloc[np.concatenate(rows)].reset_index(drop=True) for rows in (pool, held))
    return fit, test, len(held), len(pool) + len(held)


def _stage_finetune(ctx: _Context) -> dict:
    from fracfire.data.features import extract_features
    from fracfire.models import PricePredictor, StateDetector
    from fracfire.training.comparison import FINETUNE_ITERATIONS, compare_finetuning

    f = ctx.config.finetune
    train, test, n_test, n_sessions = _real_split(ctx)
    train_x, test_x = extract_features(train), extract_features(test)
    detector = StateDetector.load(ctx.layout.model("state_detector_pretrained"))
    predictor = PricePredictor.load(ctx.layout.model("price_predictor_pretrained"))
    metrics: dict = {"split": {"real_sessions": n_sessions, "test_sessions": n_test}}
    if detector.backend == "neural":
        before = detector.aux_loss(test, test_x)
        detector.finetune(train, epochs=f.epochs, lr=f.lr, features=train_x)
        metrics["state_detector"] = {"aux_loss_before": before, "aux_loss_after": detector.aux_loss(test, test_x)}
    else:
        detector.finetune(train, epochs=f.epochs, features=train_x)
        metrics["state_detector"] = {"pseudo_labelled_rows": float(detector.finetune_history_[-1])}
    states = pd.Series(detector.predict(test_x)).value_counts(normalize=True)
    metrics["state_detector"]["real_state_shares"] = {str(k): float(v) for k, v in states.items()}
    scratch = PricePredictor(
        tuple(ctx.config.models.horizons), max_iter=ctx.config.models.predictor_max_iter, random_state=ctx.config.seed
    )
    h = max(ctx.config.models.horizons)
    comparison = compare_finetuning(
        [predictor], scratch, train, test, h, seed=ctx.config.seed, train_x=train_x, test_x=test_x
    )
    table = comparison.table()
    metrics["confidence"] = {"level": 0.95, "method": "bootstrap over the held-out sessions, 2000 resamples"}
    metrics["finetune_iterations"] = FINETUNE_ITERATIONS
    metrics["verdict"] = comparison.summary()
    detector.save(ctx.layout.model("state_detector"))
    comparison.finetuned[0].save(ctx.layout.model("price_predictor"))
    write_text_atomic(ctx.layout.metrics, json.dumps({"summary": metrics, "table": table}, indent=2, default=float))
    return {"finetuned_range_rmse": comparison.rmse["finetuned"]["value"]}


def _stage_setups(ctx: _Context) -> dict:
    from fracfire.evaluation import BacktestConfig, evaluate_setups, run_backtest
    from fracfire.physics import PriceGenerator
    from fracfire.viz import plot_trades

    out = {}
    synthetic = PriceGenerator(seed=ctx.config.seed, physics=_physics(ctx)).generate_days(
        "2025-01-06", ctx.config.setups.synthetic_days
    )
    for name, bars in (("synthetic", synthetic), ("real", ctx.real_bars())):
        folder = ctx.layout.setups(name)
        setups = evaluate_setups(bars, source=name)
        setups.save(folder.root)
        backtest = BacktestConfig(contract="MES", slippage_ticks=1)
        result = run_backtest(bars, setups.entries, backtest)
        result.save(
            ctx.layout.backtest(name).root, source=name, bars=f"../{folder.root.name}/{folder.bars_1m(name).name}"
        )
        if setups.outcomes:
            first_day = bars["time"].iloc[0].normalize()
            day = bars[
                (bars["time"] >= first_day + pd.Timedelta(days=1)) & (bars["time"] < first_day + pd.Timedelta(days=2))
            ]
            day = day[is_rth_minute(minute_of_day(day["time"]))].reset_index(drop=True)
            inside = [
                o for o in setups.outcomes if len(day) and day["time"].iloc[0] <= o.entry.time <= day["time"].iloc[-1]
            ]
            if inside:
                plot_trades(day, inside, save_path=folder.trade_plot, title=f"Setups ({name}), first RTH")
        ctx.say(f"{name}: {result.summary()}")
        out[name] = result.metrics["trades"]
    return out


def _stage_realism(ctx: _Context) -> dict:
    from fracfire.physics import PhysicsConfig
    from fracfire.realism.compare import compare_generators
    from fracfire.viz.compare import compare_windows

    real = ctx.real_bars()
    configs = {"FracFire default": PhysicsConfig(), "FracFire calibrated": _physics(ctx)}
    if configs["FracFire default"] == configs["FracFire calibrated"]:
        del configs["FracFire default"]  # the shipped defaults are this calibration: score it once
    result = compare_generators(real, configs, seeds=tuple(range(ctx.config.realism.seeds)))
    result.save(ctx.layout.root)
    from fracfire.realism.calendar import synthetic_like
    from fracfire.viz.stylized import plot_stylized_facts

    plot_stylized_facts(
        real,
        synthetic_like(real, configs["FracFire calibrated"], 0),
        "FracFire calibrated",
        save_path=ctx.layout.stylized_facts,
    )
    write_text_atomic(
        ctx.layout.stylized_caption,
        (
            f"Stylized facts on all {real['session_id'].nunique()} sessions of {Path(ctx.config.real).name} against "
            "calibrated FracFire bars on the same calendar (one seed). The calibration was fitted on the first 60 % "
            "of these sessions; the verdict and the scorecard use only the held-out 40 %."
        ),
    )
    compare_windows(
        real,
        configs["FracFire calibrated"],
        ctx.layout.diagnostic,
        {"week": (14, 7, ("4h", "4min")), "quarter": (120, 9, ("1D", "15min"))},
    )
    return {k: float(v) for k, v in result.summary.loc["summary_distance"].items()}


def _stage_scenarios(ctx: _Context) -> dict:
    """Rest-of-session scenarios of the first held-out session from ``scenarios.cut`` ET: the policy is fitted
    on the fitting sessions only; the real continuation is drawn over the fan."""
    from fracfire.scenarios import ScenarioPolicy
    from fracfire.scenarios.windows import cut_on, split_at

    cfg = ctx.config.scenarios
    fit, test, _, _ = _real_split(ctx)
    first = test[test["session_id"] == test["session_id"].iloc[0]]
    at = cut_on(pd.Timestamp(np.asarray(trading_day(first["time"]))[0]), cfg.cut)
    history, actual, cut, horizon = split_at(ctx.real_bars(), at, "rest-of-session")
    policy = ScenarioPolicy(physics=_physics(ctx), seed=ctx.config.seed).fit(fit)
    result = policy.simulate(history, cfg.n, horizon=horizon, seed=ctx.config.seed, cut=cut)
    folder = ctx.layout.scenarios
    result.save(folder.root, actual=actual)
    write_text_atomic(
        folder.caption,
        (
            f"{cfg.n:,} rest-of-session scenarios of {Path(ctx.config.real).name} from {cut:%a %Y-%m-%d %H:%M %Z}, "
            f"the first held-out session; the policy was fitted on the {fit['session_id'].nunique()} fitting sessions "
            "only, and the real continuation is drawn over the fan. One illustration, not evidence of skill: "
            "`fracfire experiment scenarios --real FILE` scores the policy against GARCH-t and analog peers on "
            "every held-out session (docs/scenarios.md)."
        ),
    )
    quantiles = result.quantiles()
    return {
        "median_close": float(quantiles.loc[0.5, "close"]),
        "actual_close": float(actual["close"].iloc[-1]) if len(actual) else None,
    }


def _stage_report(ctx: _Context) -> dict:
    from fracfire.data.io import write_bars
    from fracfire.physics import PriceGenerator
    from fracfire.report import build_report, find_chromium, screenshot
    from fracfire.viz import ChartVisualizer

    cfg = ctx.config.report
    days = max(cfg.chart_days, 1)
    bars = PriceGenerator(seed=ctx.config.seed, physics=_physics(ctx)).generate_days("2025-01-06", days)
    write_bars(bars, ctx.layout.synthetic)
    charts = ChartVisualizer()
    for _, one in list(bars.groupby("session_id", sort=True))[: cfg.chart_days]:
        charts.create_chart(
            one,
            title=f"Synthetic day {one['time'].iloc[0]:%a %Y-%m-%d} (calibrated physics)",
            save_path=ctx.layout.day_chart(one["time"].iloc[0]),
        )
    mlflow = require("mlflow", "Experiment tracking")

    from fracfire.training.tracking import run_link, tracking_run

    with tracking_run("fracfire-pipeline", ctx.config.run_id, ctx.config.tracking_uri) as active:
        write_text_atomic(ctx.layout.tracking, json.dumps(run_link(active), indent=2))
        report = build_report(ctx.run, title=f"FracFire run {ctx.config.run_id}")
        out = {"report": str(report)}
        if cfg.screenshot and find_chromium():
            try:
                out["screenshot"] = str(screenshot(report, ctx.layout.screenshot))
            except ValueError as exc:  # too tall for one image: none rather than a cropped one
                (ctx.layout.screenshot).unlink(missing_ok=True)
                ctx.say(f"no screenshot: {exc}")
        mlflow.log_params({"run_id": ctx.config.run_id, "seed": ctx.config.seed, "real": ctx.config.real})
        for stage, marker in ctx.keys.items():
            mlflow.log_param(f"stage.{stage}", marker[:12])
        mlflow.log_artifact(str(report))
        for path in (ctx.layout.metrics, ctx.layout.realism_json):
            if path.exists():
                mlflow.log_artifact(str(path))
    return out


STAGES: tuple[tuple[str, tuple[str, ...], Callable[[_Context], dict], Callable[[PipelineConfig], dict]], ...] = (
    ("calibrate", (), _stage_calibrate, lambda c: {"cal": c.calibrate.model_dump(), "real": c.real}),
    ("archetypes", ("calibrate",), _stage_archetypes, lambda c: {"a": c.archetypes.model_dump(), "seed": c.seed}),
    ("pretrain", ("archetypes",), _stage_pretrain, lambda c: {"m": c.models.model_dump(), "seed": c.seed}),
    ("finetune", ("pretrain",), _stage_finetune, lambda c: {"f": c.finetune.model_dump(), "real": c.real}),
    ("setups", ("calibrate",), _stage_setups, lambda c: {"s": c.setups.model_dump(), "seed": c.seed, "real": c.real}),
    ("realism", ("calibrate",), _stage_realism, lambda c: {"r": c.realism.model_dump(), "real": c.real}),
    (
        "scenarios",
        ("calibrate",),
        _stage_scenarios,
        lambda c: {"sc": c.scenarios.model_dump(), "real": c.real, "seed": c.seed, "split": c.finetune.test_fraction},
    ),
    (
        "report",
        ("finetune", "setups", "realism", "scenarios"),
        _stage_report,
        lambda c: {"rep": c.report.model_dump(), "seed": c.seed},
    ),
)
"""(name, upstream stages, function, the config it depends on)."""


def _code_digest() -> str:
    """SHA-256 of the package's source: a code change invalidates every stage (conservative)."""
    digest = hashlib.sha256()
    for path in sorted(Path(__file__).parent.rglob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _file_digest(path: str) -> str:
    p = Path(path)
    return hashlib.sha256(p.read_bytes()).hexdigest() if p.exists() else "missing"


def _require_extras(config: PipelineConfig) -> None:
    """Fail before any stage runs when an optional package the config needs is missing."""
    require("mlflow", "The pipeline's experiment tracking")
    if config.models.state_backend == "neural":
        require("torch", "models.state_backend: neural")
    if config.archetypes.scheduler:
        require("dask.distributed", "archetypes.scheduler")


def run_pipeline(
    config: PipelineConfig, progress: Callable[[str, int, int], None] | None = None, say: Callable[[str], None] = print
) -> dict:
    """Run (or resume) every stage; return ``{stage: "ran" | "cached"}`` plus the report path."""
    from fracfire import __version__

    _require_extras(config)
    run = Path(config.out_dir) / config.run_id
    run.mkdir(parents=True, exist_ok=True)
    marks = RunLayout(run).stages
    keys: dict[str, str] = {}
    ctx = _Context(config, run, keys, say)
    status = {}
    code = _code_digest()
    for index, (name, upstream, fn, depends) in enumerate(STAGES):
        inputs = {
            "stage": name,
            "version": __version__,
            "code": code,
            "config": depends(config),
            "upstream": [keys[u] for u in upstream],
            "files": {k: _file_digest(v) for k, v in (("real", config.real), ("cal", config.calibrate.path))},
        }
        key = hashlib.sha256(json.dumps(inputs, sort_keys=True, default=str).encode()).hexdigest()
        keys[name] = key
        marker = marks / f"{name}.json"
        check_stop()
        if progress is not None:
            progress(name, index, len(STAGES))
        if marker.exists() and json.loads(marker.read_text()).get("key") == key:
            status[name] = "cached"
            continue
        started = time.perf_counter()
        try:
            details = fn(ctx)
        except Exception as exc:  # noqa: BLE001 - report any stage failure as one message
            raise PipelineError(
                f"stage '{name}' failed: {type(exc).__name__}: {exc} (earlier stages are kept in {run})"
            ) from exc
        write_text_atomic(
            marker,
            json.dumps(
                {"key": key, "seconds": time.perf_counter() - started, "details": details}, indent=2, default=str
            ),
        )
        status[name] = "ran"
    if progress is not None:
        progress("done", len(STAGES), len(STAGES))
    return {"stages": status, "run_dir": str(run), "report": str(RunLayout(run).report)}
