"""The transfer experiment: does synthetic pre-training help on real data?

Price forecasting (future range and direction over ``HORIZON`` bars), on the
last real sessions (never seen), for each real-train size (the most recent
``k`` sessions before the test slice):

1. ``scratch``: PricePredictor trained on the real train slice only;
2. ``synthetic_only``: trained on a synthetic archetype library only (built
   with the given physics, e.g. the calibration of the real data);
3. ``finetuned``: (2) fine-tuned on the real train slice (boosting continues
   on the real data);

beside the baselines ``persistence`` (the last ``HORIZON``-bar range and move
repeat), ``rolling_mean`` (the mean ``HORIZON``-bar range of the last hour;
drift as the mean move of the last hour) and ``har`` (a HAR regression of the
future range on the last range and its hourly and session means, fitted on
the same real training sessions). The synthetic side is repeated over several
archetype libraries (seeds); every figure has a 95 % interval from a bootstrap
over the test days, and each model's difference to ``scratch`` and to the best
baseline has one too, so the verdict per train size says whether fine-tuning
beats both with intervals excluding zero.

State detection, where labels are known: pre-train on default physics,
measure macro F1 on held-out days of a shifted physics, fine-tune on a small
labelled set of that physics, measure again. The default backend is the
forest (self-contained trees grown on the shifted days); on the bundled
sample's calibration the neural and boosting backends lost F1 when
fine-tuned on two shifted days (they forget more than they learn at that size).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from fracfire._atomic import write_text_atomic
from fracfire._optional import require
from fracfire._typing import Progress
from fracfire.data.features import extract_features
from fracfire.evaluation.metrics import confusion_matrix, macro_f1
from fracfire.models import PricePredictor, StateDetector
from fracfire.training.comparison import FINETUNE_ITERATIONS, compare_finetuning, split_sessions

if TYPE_CHECKING:
    from fracfire.physics import PhysicsConfig

__all__ = ["HORIZON", "transfer_experiment"]

HORIZON = 15
log = logging.getLogger("fracfire.training")


def _library(out: Path, days_per_archetype: int, seed: int, physics, minutes: int) -> pd.DataFrame:
    """The archetype library of one seed, at the real bar size: built once per physics and size and kept
    in ``out`` under a folder named by them (a run with other physics builds its own, never reads another's;
    an interrupted build resumes)."""
    import hashlib
    import json

    from fracfire.calendar import trading_day_number
    from fracfire.data.resample import resample_bars
    from fracfire.data.synthetic import build_archetypes, load_archetypes
    from fracfire.physics import PhysicsConfig

    recipe = {"physics": (physics or PhysicsConfig()).to_dict(), "days_per_archetype": days_per_archetype}
    key = hashlib.sha256(json.dumps(recipe, sort_keys=True, default=str).encode()).hexdigest()[:10]
    folder = out / f"archetypes-seed{seed}-{key}"
    build_archetypes(folder, "all", days_per_archetype, seed, physics, resume=folder.exists())
    bars = load_archetypes(folder)
    if minutes > 1:  # five-minute real bars: pre-train on five-minute synthetic bars
        bars = resample_bars(bars, f"{minutes}min")
        bars["day_id"] = trading_day_number(bars["time"])
    return bars


def transfer_experiment(
    real: pd.DataFrame,
    out_dir: str | os.PathLike,
    physics: PhysicsConfig | None = None,
    sizes: Sequence[int | str] = (2, 5, 10, "all"),
    seed: int = 0,
    days_per_archetype: int = 10,
    state_backend: str = "forest",
    state_epochs: int = 4,
    tracking_uri: str | None = None,
    progress: Progress | None = None,
    seeds: int = 5,
    n_resamples: int = 2000,
    target: str = "ticks",
) -> dict:
    """Run the experiment and write ``transfer.json`` and ``transfer.md`` to ``out_dir``.

    The synthetic side is repeated over ``seeds`` archetype libraries (seeds
    ``seed + 1 .. seed + seeds``); its errors are averaged over them. Every
    figure has a 95 % interval from a bootstrap over the test sessions' trading
    days (:func:`~fracfire.evaluation.metrics.block_bootstrap_ci` with
    ``groups``), and every model's RMSE difference to ``scratch`` and to the
    best baseline has one too. The baselines are persistence, the rolling mean
    and a HAR regression of the future range (:func:`~fracfire.models.har_range_baseline`,
    fitted on the same real training sessions as ``scratch``). ``target`` is
    the :class:`~fracfire.models.PricePredictor` target of every model
    (``"relative"``: scale-free, so pre-training transfers across volatility levels).
    Sessions are split and every size is scored by
    :func:`fracfire.training.comparison.compare_finetuning` (the last quarter of the sessions held out,
    :data:`~fracfire.training.comparison.FINETUNE_ITERATIONS` fine-tuning iterations), as in the pipeline.

    Returns
    -------
    dict
        ``future_range_rmse`` and ``direction_accuracy`` (``{size: {model: value}}``),
        ``intervals`` (``{size: {model: row}}``, each row a
        :meth:`~fracfire.training.comparison.FinetuneComparison.table` row), ``verdict`` (``{size: text}``),
        ``state_macro_f1``, ``state_accuracy`` and ``used``.
    """
    from fracfire.data.checks import bar_minutes
    from fracfire.models.price_predictor import TARGETS
    from fracfire.models.state_detector import BACKENDS
    from fracfire.physics import PhysicsConfig, PriceGenerator

    out = Path(out_dir)
    if seeds < 1:
        raise ValueError(f"seeds must be >= 1; got {seeds}")
    if target not in TARGETS:  # every option is checked before the (slow) libraries are built
        raise ValueError(f"target must be one of {TARGETS}; got {target!r}")
    if state_backend not in BACKENDS:
        raise ValueError(f"state_backend must be one of {BACKENDS}; got {state_backend!r}")
    bad = [s for s in sizes if s != "all" and (isinstance(s, bool) or not isinstance(s, (int, np.integer)) or s < 1)]
    if bad or not sizes:
        raise ValueError(f"sizes must be whole numbers of sessions >= 1 or 'all'; got {list(sizes)}")
    if real["session_id"].nunique() < 4:
        raise ValueError(
            f"the transfer experiment needs at least 4 sessions of real data; got {real['session_id'].nunique()}"
        )
    minutes = real.attrs.get("bar_minutes") or bar_minutes(real)
    pool, held = split_sessions(real)
    unique = list(dict.fromkeys(sizes))
    skipped = [s for s in unique if s != "all" and int(s) > len(pool)]  # more sessions than there are
    sizes = [s for s in unique if s not in skipped]
    if not sizes:
        raise ValueError(
            f"sizes {skipped} ask for more real train sessions than the file has before its test slice "
            f"({len(pool)}); use at most {len(pool)}, or 'all'"
        )
    test = real.iloc[np.concatenate(held)].reset_index(drop=True)
    test_x = extract_features(test)  # scored at every size
    steps = seeds + len(sizes) * (seeds + 1) + 2
    done = 0

    def tick():
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, steps)

    synthetic_models = []
    for k in range(seeds):
        library = _library(out, days_per_archetype, seed + 1 + k, physics, minutes)
        model = PricePredictor(horizons=(HORIZON,), random_state=seed + k, target=target)
        synthetic_models.append(model.fit(extract_features(library), model.targets(library)))
        tick()
    results: dict = {"future_range_rmse": {}, "direction_accuracy": {}, "intervals": {}, "verdict": {}}
    used_sizes = {}
    scored = None
    for size in sizes:
        k = len(pool) if size == "all" else int(size)
        train = real.iloc[np.concatenate(pool[-k:])].reset_index(drop=True)
        used_sizes[str(size)] = k
        scratch = PricePredictor(horizons=(HORIZON,), random_state=seed, target=target)
        scored = compare_finetuning(
            synthetic_models,
            scratch,
            train,
            test,
            HORIZON,
            seed=seed,
            n_resamples=n_resamples,
            test_x=test_x,
            progress=tick,
        )
        results["future_range_rmse"][str(size)] = {n: v["value"] for n, v in scored.rmse.items()}
        results["direction_accuracy"][str(size)] = {n: v["value"] for n, v in scored.direction.items()}
        results["intervals"][str(size)] = {row.pop("model"): row for row in scored.table()}
        results["verdict"][str(size)] = scored.summary()
    state = _state_transfer(physics or PhysicsConfig(), seed, state_backend, state_epochs, PriceGenerator)
    tick()
    results["state_macro_f1"] = {"before_finetune": state["before"], "after_finetune": state["after"]}
    results["state_accuracy"] = {"before_finetune": state["accuracy_before"], "after_finetune": state["accuracy_after"]}
    results["used"] = {
        "horizon_bars": HORIZON,
        "target": target,
        "bar_minutes": int(minutes),
        "real_sessions": len(pool) + len(held),
        "test_sessions": len(held),
        "test_days": scored.test_sessions if scored else 0,
        "finetune_iterations": FINETUNE_ITERATIONS,
        "train_sessions_by_size": used_sizes,
        "skipped_sizes": [int(k) for k in skipped],
        "library_seeds": seeds,
        "archetype_days_per_library": days_per_archetype * 11,
        "state_backend": state_backend,
        "intervals": "95 %, bootstrap over test days (2,000 resamples); synthetic-side errors "
        "averaged over the library seeds",
    }
    write_text_atomic(out / "transfer.json", json.dumps(results, indent=2))
    write_text_atomic(out / "transfer.md", _markdown(results, state["confusion"]))
    _track(results, out, tracking_uri)
    tick()
    return results


def _track(results: dict, out: Path, uri: str | None) -> None:
    mlflow = require("mlflow", "Experiment tracking")

    from fracfire.training.tracking import tracking_run

    with tracking_run("fracfire-transfer", "transfer", uri):
        mlflow.log_params({f"used.{k}": str(v) for k, v in results["used"].items()})
        for section in ("future_range_rmse", "direction_accuracy"):
            for size, row in results[section].items():
                mlflow.log_metrics({f"{section}.{size}.{name}": float(v) for name, v in row.items()})
        mlflow.log_metrics({f"state_macro_f1.{k}": float(v) for k, v in results["state_macro_f1"].items()})
        mlflow.log_artifact(str(out / "transfer.json"))
        mlflow.log_artifact(str(out / "transfer.md"))


def _state_transfer(shifted_physics, seed: int, backend: str, epochs: int, generator) -> dict:
    source = generator(seed=seed + 10).generate_days("2025-01-06", 6)
    model = StateDetector(backend=backend, n_estimators=60, epochs=epochs, random_state=seed)
    model.fit(extract_features(source), source["state"], bars=source)
    shifted = generator(seed=seed + 20, physics=shifted_physics).generate_days("2025-02-03", 5)
    first_two = (shifted["session_id"] < 2).to_numpy()
    tune, held = shifted[first_two].reset_index(drop=True), shifted[~first_two].reset_index(drop=True)
    held_x, truth = extract_features(held), held["state"].astype(str).to_numpy()
    labels = sorted(set(model.classes_))
    before = model.predict(held_x)
    # The neural encoder fine-tunes at a tenth of its pre-training rate (trees ignore lr).
    model.finetune(tune, epochs=epochs, lr=model.lr / 10, features=extract_features(tune), labels=tune["state"])
    after = model.predict(held_x)
    return {
        "before": macro_f1(truth, before, labels),
        "after": macro_f1(truth, after, labels),
        "accuracy_before": float(np.mean(truth == before)),
        "accuracy_after": float(np.mean(truth == after)),
        "confusion": confusion_matrix(truth, after, labels),
    }


def _markdown(results: dict, confusion: pd.DataFrame) -> str:
    from fracfire._markdown import markdown_table

    def table(section: str) -> str:
        frame = pd.DataFrame(results[section]).T
        frame.index.name = "real train sessions"
        return markdown_table(frame)

    def with_intervals(size: str) -> str:
        h = results["used"]["horizon_bars"]

        def shown(row: dict, key: str, sign: str = "") -> str:
            if key not in row:
                return ""
            return f"{row[key]:{sign}.3f} [{row[key + '_low']:{sign}.3f}, {row[key + '_high']:{sign}.3f}]"

        rows = [
            {
                "model": name,
                "range RMSE": shown(row, f"range_{h}_rmse"),
                "minus scratch": shown(row, f"range_{h}_rmse_minus_scratch", "+"),
                "minus best baseline": shown(row, f"range_{h}_rmse_minus_best_baseline", "+"),
            }
            for name, row in results["intervals"][size].items()
        ]
        return markdown_table(pd.DataFrame(rows), index=False)

    used = results["used"]
    conf = confusion.to_string()
    f1, acc = results["state_macro_f1"], results["state_accuracy"]
    parts = [
        "# Transfer experiment",
        f"Real data: {used['real_sessions']} sessions of {used['bar_minutes']}-minute bars; the last "
        f"{used['test_sessions']} ({used['test_days']} trading days) are the test slice (never seen). Train sizes "
        f"use the most recent sessions before it: {used['train_sessions_by_size']}"
        + (
            f" (sizes {used['skipped_sizes']} skipped: only {used['real_sessions'] - used['test_sessions']} "
            "sessions come before the test slice)"
            if used.get("skipped_sizes")
            else ""
        )
        + ". Synthetic pre-training: "
        f"{used['library_seeds']} archetype libraries of {used['archetype_days_per_library']} days (errors averaged "
        f"over them). Horizon: {used['horizon_bars']} bars; targets in {used['target']} units. "
        f"Intervals: {used['intervals']}.",
        "## Verdicts (goal: fine-tuned beats scratch and the best baseline, intervals excluding 0: "
        "the bootstrap over test days and the t-interval of the per-day RMSE differences, 'per day')",
        "\n".join(f"- {v}" for v in results["verdict"].values()),
        "## Future range RMSE (ticks, lower is better)",
        table("future_range_rmse"),
    ]
    for size in results["future_range_rmse"]:
        parts += [f"### {size} real train sessions: intervals", with_intervals(size)]
    parts += [
        "## Direction accuracy (higher is better)",
        table("direction_accuracy"),
        "## State detection on a shifted physics (known labels)",
        f"macro F1 before fine-tuning {f1['before_finetune']:.3f}, after {f1['after_finetune']:.3f} "
        f"(accuracy {acc['before_finetune']:.3f} -> {acc['after_finetune']:.3f}); backend {used['state_backend']}.",
        "Confusion matrix after fine-tuning (rows true, columns predicted):",
        "```\n" + conf + "\n```",
    ]
    return "\n\n".join(parts)
