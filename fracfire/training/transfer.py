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
repeat) and ``rolling_mean`` (the mean ``HORIZON``-bar range of the last hour;
drift as the mean move of the last hour).

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
from pathlib import Path

import numpy as np
import pandas as pd

from fracfire._atomic import write_text_atomic
from fracfire._optional import require
from fracfire.data.features import extract_features
from fracfire.evaluation.metrics import confusion_matrix, directional_accuracy, macro_f1, rmse
from fracfire.models import PricePredictor, StateDetector, baseline_predictions

__all__ = ["HORIZON", "transfer_experiment"]

HORIZON = 15
log = logging.getLogger("fracfire.training")


def _sessions(bars: pd.DataFrame) -> list[np.ndarray]:
    return [np.asarray(rows) for _, rows in sorted(bars.groupby("segment_id").indices.items())]


def _score(range_true, delta_true, range_pred, delta_pred) -> tuple[float, float]:
    return rmse(range_true, range_pred), directional_accuracy(delta_true, delta_pred)


def transfer_experiment(real: pd.DataFrame, out_dir: str | os.PathLike, physics=None, sizes=(5, 20, "all"),
                        seed: int = 0, days_per_archetype: int = 10, state_backend: str = "forest",
                        state_epochs: int = 4, tracking_uri: str | None = None, progress=None) -> dict:
    """Run the experiment and write ``transfer.json`` and ``transfer.md`` to ``out_dir``.

    Returns
    -------
    dict
        ``{"future_range_rmse": {size: {...}}, "direction_accuracy": {size: {...}},
        "state_macro_f1": {"before_finetune": x, "after_finetune": x}, "used": {...}}``.
    """
    from fracfire.data.synthetic import build_archetypes, load_archetypes
    from fracfire.physics import PhysicsConfig, PriceGenerator

    out = Path(out_dir)
    sessions = _sessions(real)
    if len(sessions) < 4:
        raise ValueError(f"the transfer experiment needs at least 4 sessions of real data; got {len(sessions)}")
    n_test = max(2, len(sessions) // 4)
    test_rows = np.concatenate(sessions[-n_test:])
    pool = sessions[:-n_test]
    test = real.iloc[test_rows].reset_index(drop=True)
    test_x = extract_features(test)
    test_y = PricePredictor(horizons=(HORIZON,)).targets(test)
    ok = test_y.notna().all(axis=1).to_numpy()
    range_true, delta_true = test_y[f"range_{HORIZON}"].to_numpy()[ok], test_y[f"delta_{HORIZON}"].to_numpy()[ok]
    steps = len(sizes) * 2 + 3
    done = 0

    def tick():
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, steps)

    library = out / "archetypes"
    if not (library / "manifest.json").exists():
        build_archetypes(library, "all", days_per_archetype, seed + 1, physics, resume=library.exists())
    synthetic = load_archetypes(library)
    synthetic_model = PricePredictor(horizons=(HORIZON,), random_state=seed)
    synthetic_model.fit(extract_features(synthetic), synthetic_model.targets(synthetic))
    synthetic_pred = synthetic_model.predict(test_x)
    tick()
    baselines = {name: (frame[f"range_{HORIZON}"].to_numpy(), frame[f"delta_{HORIZON}"].to_numpy())
                 for name, frame in baseline_predictions(test, (HORIZON,)).items()}
    results = {"future_range_rmse": {}, "direction_accuracy": {}}
    used_sizes = {}
    for size in sizes:
        k = len(pool) if size == "all" else min(int(size), len(pool))
        train = real.iloc[np.concatenate(pool[-k:])].reset_index(drop=True)
        used_sizes[str(size)] = k
        train_x, train_y = extract_features(train), PricePredictor(horizons=(HORIZON,)).targets(train)
        scratch = PricePredictor(horizons=(HORIZON,), random_state=seed).fit(train_x, train_y)
        tick()
        import copy

        tuned = copy.deepcopy(synthetic_model).finetune(train_x, train_y, iterations=100)
        tick()
        rows = {}
        for name, pred in (("scratch", scratch.predict(test_x)), ("synthetic_only", synthetic_pred),
                           ("finetuned", tuned.predict(test_x))):
            rows[name] = _score(range_true, delta_true, pred[f"range_{HORIZON}"].to_numpy()[ok],
                                pred[f"delta_{HORIZON}"].to_numpy()[ok])
        for name, (rng, move) in baselines.items():
            rows[name] = _score(range_true, delta_true, rng[ok], move[ok])
        results["future_range_rmse"][str(size)] = {n: v[0] for n, v in rows.items()}
        results["direction_accuracy"][str(size)] = {n: v[1] for n, v in rows.items()}
    state = _state_transfer(physics or PhysicsConfig(), seed, state_backend, state_epochs, PriceGenerator)
    tick()
    results["state_macro_f1"] = {"before_finetune": state["before"], "after_finetune": state["after"]}
    results["state_accuracy"] = {"before_finetune": state["accuracy_before"], "after_finetune": state["accuracy_after"]}
    results["used"] = {"horizon_bars": HORIZON, "real_sessions": len(sessions), "test_sessions": n_test,
                       "train_sessions_by_size": used_sizes, "archetype_days": int(synthetic["day_id"].nunique()),
                       "state_backend": state_backend}
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
    tune, held = shifted.iloc[: 2 * 1440].reset_index(drop=True), shifted.iloc[2 * 1440:].reset_index(drop=True)
    held_x, truth = extract_features(held), held["state"].astype(str).to_numpy()
    labels = sorted(set(model.classes_))
    before = model.predict(held_x)
    model.finetune(tune, epochs=epochs, lr=1e-3, features=extract_features(tune), labels=tune["state"])
    after = model.predict(held_x)
    return {"before": macro_f1(truth, before, labels), "after": macro_f1(truth, after, labels),
            "accuracy_before": float(np.mean(truth == before)), "accuracy_after": float(np.mean(truth == after)),
            "confusion": confusion_matrix(truth, after, labels)}


def _markdown(results: dict, confusion: pd.DataFrame) -> str:
    from fracfire._markdown import markdown_table

    def table(section: str) -> str:
        frame = pd.DataFrame(results[section]).T
        frame.index.name = "real train sessions"
        return markdown_table(frame)

    used = results["used"]
    conf = confusion.to_string()
    f1, acc = results["state_macro_f1"], results["state_accuracy"]
    return "\n\n".join([
        "# Transfer experiment",
        f"Real data: {used['real_sessions']} sessions; the last {used['test_sessions']} are the test slice "
        f"(never seen). Train sizes use the most recent sessions before it: {used['train_sessions_by_size']}. "
        f"Synthetic pre-training: {used['archetype_days']} archetype days. Horizon: {used['horizon_bars']} bars.",
        "## Future range RMSE (ticks, lower is better)", table("future_range_rmse"),
        "## Direction accuracy (higher is better)", table("direction_accuracy"),
        "## State detection on a shifted physics (known labels)",
        f"macro F1 before fine-tuning {f1['before_finetune']:.3f}, after {f1['after_finetune']:.3f} "
        f"(accuracy {acc['before_finetune']:.3f} -> {acc['after_finetune']:.3f}); backend {used['state_backend']}.",
        "Confusion matrix after fine-tuning (rows true, columns predicted):", "```\n" + conf + "\n```",
    ])
