"""Pre-training and fine-tuning runs, tracked in MLflow."""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from fracfire._optional import require
from fracfire._typing import Progress
from fracfire.data.features import extract_features
from fracfire.exceptions import FracFireWarning
from fracfire.training.config import DataConfig, FinetuneConfig, TrainConfig, resolve_path
from fracfire.training.tracking import tracking_run

__all__ = ["RunResult", "load_bars", "run_finetune", "run_training"]

log = logging.getLogger("fracfire.training")
_BACKEND = {
    "RandomForestClassifier": "forest",
    "HistGradientBoostingClassifier": "boosting",
    "NeuralStateDetector": "neural",
}


@dataclass(frozen=True)
class RunResult:
    """A finished run: model file, validation metrics, MLflow run id."""

    model_path: Path
    metrics: dict
    run_id: str
    stopped: str | None = None
    """A fine-tuned StateDetector's ``finetune_stopped_`` (why its fine-tuning ended); None otherwise."""


def load_bars(data: DataConfig) -> pd.DataFrame:
    """Bars of a :class:`DataConfig` (labels where known)."""
    if data.source == "real":
        from fracfire.data.real import load_continuous_contract

        if not data.path:
            raise ValueError("data.path is required for source 'real'")
        return load_continuous_contract(resolve_path(data.path, "data"))
    from fracfire.physics import PhysicsConfig, PriceGenerator

    physics = PhysicsConfig.from_yaml(resolve_path(data.physics, "data")) if data.physics else None
    if data.source == "synthetic":
        return PriceGenerator(seed=data.seed, physics=physics).generate_days("2025-01-06", data.days)
    from fracfire.data.synthetic import build_archetypes, library_status, load_archetypes

    path = resolve_path(data.path or "archetypes", "data")
    archetypes = data.archetypes or "all"
    difference, complete = "", False
    if (path / "manifest.json").exists():
        difference, complete = library_status(path, data.days_per_archetype, data.seed, physics)
        if difference and complete:  # the settings only build a missing library: say which one is read
            warnings.warn(
                f"data.path {path} holds a library built with other settings ({difference}); it is read as "
                "built (point data.path at another folder to build one with this config's)",
                FracFireWarning,
                stacklevel=2,
            )
            log.warning("library %s built with other settings: %s", path, difference)
    if not complete:
        log.info("building archetype library %s", path)
        build_archetypes(path, archetypes, data.days_per_archetype, data.seed, physics, resume=path.exists())
    return load_archetypes(path, data.archetypes)


def _validation_mask(bars: pd.DataFrame, validation_split: float) -> np.ndarray:
    """True on validation rows: the last ``validation_split`` of the days of every archetype
    in a library (so every archetype is validated), else the last rows in time."""
    if "day_id" in bars.columns and "archetype" in bars.columns:
        days = bars.groupby("archetype", observed=True)["day_id"].unique()
        held: set = set()
        for ids in days:
            ids = np.sort(ids)
            held.update(ids[int(round(len(ids) * (1 - validation_split))) :])
        return bars["day_id"].isin(held).to_numpy()
    mask = np.zeros(len(bars), dtype=bool)
    mask[int(round(len(bars) * (1 - validation_split))) :] = True
    return mask


def _flat(prefix: str, data: dict) -> dict:
    out = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flat(name + ".", value))
        else:
            out[name] = value
    return out


def _evaluate(model, features: pd.DataFrame, bars: pd.DataFrame) -> dict:
    from fracfire.evaluation.metrics import accuracy, macro_f1
    from fracfire.models import StateDetector

    if isinstance(model, StateDetector):
        labels = bars["state"].astype(str).to_numpy()
        pred = model.predict(features)
        return {"accuracy": accuracy(labels, pred), "macro_f1": macro_f1(labels, pred)}
    return model.evaluate(features, model.targets(bars))


def _log_run(config, config_path: Path | None, model, history, metrics, model_path: Path) -> None:
    mlflow = require("mlflow", "Experiment tracking")

    mlflow.log_params({k: str(v) for k, v in _flat("", config.model_dump()).items()})
    for step, loss in enumerate(history or []):
        mlflow.log_metric("train_loss", float(loss), step=step)
    mlflow.log_metrics({k: float(v) for k, v in metrics.items() if np.isfinite(v)})
    if config_path is not None:
        mlflow.log_artifact(str(config_path))
    mlflow.log_artifact(str(model_path))


def run_training(config: TrainConfig, config_path: Path | None = None, progress: Progress | None = None) -> RunResult:
    """Pre-train the configured model; validate on the last ``validation_split`` of the bars."""
    from fracfire.models import PricePredictor, StateDetector

    bars = load_bars(config.data).reset_index(drop=True)
    features = extract_features(bars, tuple(config.windows))
    valid = _validation_mask(bars, config.validation_split)
    if valid.all() or not valid.any():
        raise ValueError(
            f"{config_path or 'config'}: validation_split {config.validation_split} leaves "
            f"{int((~valid).sum())} training and {int(valid.sum())} validation bars from "
            f"{len(bars):,} bars; use more days (data.days / days_per_archetype) or another split"
        )
    train_bars, train_features = bars[~valid], features[~valid]
    m = config.model
    with tracking_run(config.experiment, f"train-{m.type}", config.tracking_uri) as run:
        if m.type == "PricePredictor":
            model = PricePredictor(
                tuple(m.horizons),
                n_models=m.n_models,
                max_iter=m.n_estimators,
                max_depth=m.max_depth,
                random_state=config.random_seed,
            )
            model.fit(train_features, model.targets(train_bars))
            history = None
        else:
            if "state" not in bars.columns or bars["state"].isna().any():
                raise ValueError("state detection needs labelled bars (archetypes or synthetic data)")
            model = StateDetector(
                _BACKEND[m.type],
                n_estimators=m.n_estimators,
                max_depth=m.max_depth,
                window=m.window,
                epochs=m.epochs,
                lr=m.lr,
                random_state=config.random_seed,
            )
            model.fit(train_features, train_bars["state"], bars=train_bars, progress=progress)
            history = getattr(model, "history_", None)
        metrics = _evaluate(model, features[valid], bars[valid])
        path = model.save(resolve_path(config.output_dir, "out") / config.model_name)
        _log_run(config, config_path, model, history, metrics, path)
        log.info("trained %s: %s -> %s", m.type, metrics, path)
        return RunResult(path, metrics, run.info.run_id)


def run_finetune(
    config: FinetuneConfig, config_path: Path | None = None, progress: Progress | None = None
) -> RunResult:
    """Fine-tune a saved model on the configured bars; validate on their last slice."""
    from fracfire.models import PricePredictor, StateDetector

    cls = StateDetector if config.model_type == "StateDetector" else PricePredictor
    model = cls.load(resolve_path(config.base_model, "out"))
    bars = load_bars(config.data).reset_index(drop=True)
    features = extract_features(bars, tuple(config.windows))
    cut = int(np.flatnonzero(_validation_mask(bars, config.validation_split))[0])
    with tracking_run(config.experiment, f"finetune-{config.model_type}", config.tracking_uri) as run:
        if isinstance(model, StateDetector):
            model.finetune(
                bars.iloc[:cut], epochs=config.epochs, lr=config.lr, features=features.iloc[:cut], progress=progress
            )
            history = model.finetune_history_
            if model.backend == "neural":
                metrics = {"aux_loss": model.aux_loss(bars.iloc[cut:], features.iloc[cut:])}
            elif "state" in bars.columns and bars["state"].notna().all():
                metrics = _evaluate(model, features.iloc[cut:], bars.iloc[cut:])
            else:
                metrics = {"pseudo_labelled_rows": float(history[-1]) if history else 0.0}
        else:
            model.finetune(features.iloc[:cut], model.targets(bars.iloc[:cut]), iterations=config.epochs * 10)
            history = None
            metrics = model.evaluate(features.iloc[cut:], model.targets(bars.iloc[cut:]))
        path = model.save(resolve_path(config.output_dir, "out") / config.model_name)
        _log_run(config, config_path, model, history, metrics, path)
        log.info("fine-tuned %s: %s -> %s", config.model_type, metrics, path)
        return RunResult(path, metrics, run.info.run_id, getattr(model, "finetune_stopped_", None))
