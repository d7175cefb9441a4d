"""``fracfire experiment states``: can a detector see each MarketState from past bars?

Trains every backend on synthetic days of one physics and scores it on other,
held-out synthetic days of the same physics (another seed), whose true states
are known: macro F1, recall and precision per state, the confusion matrix. A
state whose recall stays low for every backend leaves no mark a causal
detector can find in the features; the result says which ones.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from fracfire._atomic import write_text_atomic
from fracfire.models.state_detector import COLLAPSE_SHARE

__all__ = [
    "SeparabilityResult",
    "per_state_scores",
    "state_separability",
    "synthetic_split",
    "top_label_calibration",
]

GOAL_MACRO_F1 = 0.6
GOAL_MIN_RECALL = 0.3
CALIBRATION_BINS = 10


def top_label_calibration(
    truth: np.ndarray, proba: np.ndarray, classes: np.ndarray, bins: int = CALIBRATION_BINS
) -> tuple[float, pd.DataFrame]:
    """Expected calibration error of the top label and its reliability table.

    The confidence of a row is its highest class probability; it is right when
    that class is the true one. Rows are binned by confidence into ``bins``
    equal-width bins; ECE is the row-weighted mean of ``|accuracy - confidence|``
    over the bins (0 = calibrated).

    Returns
    -------
    (float, pandas.DataFrame)
        ECE, and per non-empty bin ``confidence`` (mean), ``accuracy`` and ``rows``.
    """
    confidence = proba.max(axis=1)
    right = classes[proba.argmax(axis=1)] == truth
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1]), 0, bins - 1)
    table = (
        pd.DataFrame({"bin": which, "confidence": confidence, "accuracy": right.astype(float)})
        .groupby("bin")
        .agg(confidence=("confidence", "mean"), accuracy=("accuracy", "mean"), rows=("accuracy", "size"))
    )
    ece = float((table["rows"] * (table["accuracy"] - table["confidence"]).abs()).sum() / len(truth))
    return ece, table


def synthetic_split(
    physics, train_days: int, test_days: int, seed: int, driver: str = "fractal"
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Training and held-out synthetic sessions of ``physics``: ``train_days`` from 2025-01-06 with
    ``seed``, ``test_days`` from 2025-06-02 with ``seed + 10_000``, states decided by ``driver``
    (``"fractal"``: :class:`~fracfire.physics.FractalStateManager`, which also labels ``hour_state``
    and ``day_state``; ``"auto"``: the generator's own transitions)."""
    from fracfire.physics import FractalStateManager, PriceGenerator

    if driver not in ("fractal", "auto"):
        raise ValueError(f"driver must be 'fractal' or 'auto'; got {driver!r}")

    def days(n: int, s: int, start: str) -> pd.DataFrame:
        chosen = FractalStateManager() if driver == "fractal" else None
        return PriceGenerator(seed=s, physics=physics).generate_days(start, n, driver=chosen)

    return days(train_days, seed, "2025-01-06"), days(test_days, seed + 10_000, "2025-06-02")


def per_state_scores(
    truth: np.ndarray, predicted: np.ndarray, states: list[str]
) -> tuple[pd.Series, pd.Series, pd.DataFrame]:
    """Recall and precision of each of ``states`` (NaN where it is never true / never predicted) and
    the confusion matrix (true states as rows)."""
    from fracfire.evaluation.metrics import confusion_matrix

    matrix = confusion_matrix(truth, predicted, labels=states)
    counts = matrix.to_numpy(dtype=float)
    tp = np.diag(counts)
    rec = pd.Series(
        np.divide(tp, counts.sum(axis=1), out=np.full(len(states), np.nan), where=counts.sum(axis=1) > 0),
        index=states,
    )
    prec = pd.Series(
        np.divide(tp, counts.sum(axis=0), out=np.full(len(states), np.nan), where=counts.sum(axis=0) > 0),
        index=states,
    )
    return rec, prec, matrix


@dataclass(frozen=True)
class SeparabilityResult:
    """Per-backend scores of state detection on held-out synthetic days.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per backend: ``macro_f1``, ``accuracy``, ``min_recall`` (and
        the state it belongs to), ``ece`` (top-label calibration error of the
        detector with ``calibration="temperature"``), ``ece_uncalibrated``
        (the same model's probabilities before the temperature),
        ``temperature``, ``seconds``.
    recall, precision : pandas.DataFrame
        Backends x states.
    confusion : dict of pandas.DataFrame
        Per backend, true states (rows) x predictions (columns), counts.
    shares : pandas.Series
        Share of each state among the held-out bars.
    train_days, test_days : int
    reliability : dict of pandas.DataFrame
        Per backend, the top-label reliability table on the held-out days
        (see :func:`top_label_calibration`); its ECE is in ``table``.
    real_shares : pandas.DataFrame or None
        With real bars: backends x states, the share of real bars each backend
        calls each state (next to ``shares``, the truth on synthetic days).
    real_shares_finetuned : pandas.DataFrame or None
        The same after each backend was fine-tuned on those real bars
        (:meth:`~fracfire.models.StateDetector.finetune`, no labels, early-stopped
        on their latest 20 %); ``finetune_stopped`` says why each fine-tuning stopped.
    finetune_stopped : dict
    """

    table: pd.DataFrame
    recall: pd.DataFrame
    precision: pd.DataFrame
    confusion: dict = field(repr=False)
    shares: pd.Series = field(repr=False)
    train_days: int = 0
    test_days: int = 0
    reliability: dict = field(default_factory=dict, repr=False)
    real_shares: pd.DataFrame | None = field(default=None, repr=False)
    real_shares_finetuned: pd.DataFrame | None = field(default=None, repr=False)
    finetune_stopped: dict = field(default_factory=dict, repr=False)

    def summary(self) -> str:
        """The verdict per backend against the goals (macro F1 >= 0.6, every recall >= 0.3)."""
        lines = [f"State detection on {self.test_days} held-out synthetic days (trained on {self.train_days}):"]
        for backend, row in self.table.iterrows():
            met = row["macro_f1"] >= GOAL_MACRO_F1 and row["min_recall"] >= GOAL_MIN_RECALL
            lines.append(
                f"  {backend}: macro F1 {row['macro_f1']:.3f}, accuracy {row['accuracy']:.3f}, lowest recall "
                f"{row['min_recall']:.3f} ({row['min_recall_state']}) -> "
                f"{'goal met' if met else 'goal missed'} (F1 >= {GOAL_MACRO_F1}, recall >= "
                f"{GOAL_MIN_RECALL}); top-label ECE {row['ece']:.3f} after temperature scaling (temperature "
                f"{row['temperature']:.2f}), {row['ece_uncalibrated']:.3f} without"
            )
            stopped = self.finetune_stopped.get(backend)
            for shares, label, why in (
                (self.real_shares, "on real bars", ""),
                (
                    self.real_shares_finetuned,
                    "fine-tuned on them",
                    f" (fine-tuning stopped: {stopped})" if stopped else "",
                ),
            ):
                if shares is not None:
                    top, share = shares.loc[backend].idxmax(), float(shares.loc[backend].max())
                    verdict = "COLLAPSED (a failure)" if share > COLLAPSE_SHARE else "not collapsed"
                    lines.append(f"    {label}: {share:.0%} called {top} -> {verdict}{why}")
        invisible = [s for s in self.recall.columns if (self.recall[s] < GOAL_MIN_RECALL).all()]
        if invisible:
            lines.append(f"  below {GOAL_MIN_RECALL} recall for every backend: {', '.join(invisible)}")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return {
            "table": self.table.reset_index().to_dict(orient="records"),
            "reliability": {k: v.reset_index().to_dict(orient="records") for k, v in self.reliability.items()},
            "real_shares": None if self.real_shares is None else self.real_shares.to_dict(),
            "real_shares_finetuned": (
                None if self.real_shares_finetuned is None else self.real_shares_finetuned.to_dict()
            ),
            "finetune_stopped": dict(self.finetune_stopped),
            "recall": self.recall.to_dict(),
            "precision": self.precision.to_dict(),
            "confusion": {k: v.to_dict() for k, v in self.confusion.items()},
            "shares": self.shares.to_dict(),
            "train_days": self.train_days,
            "test_days": self.test_days,
        }

    def save(self, out_dir: str | os.PathLike) -> Path:
        """Write ``states.json`` and ``states.md`` (atomically); return the folder."""
        from fracfire._markdown import markdown_table as md

        out = Path(out_dir)
        write_text_atomic(out / "states.json", json.dumps(self.to_dict(), indent=2, default=float))
        parts = [
            "# Can each state be seen?",
            self.summary().replace("\n  ", "\n- "),
            "## Recall per state (rows: backends)",
            md(self.recall, digits=3),
            "## Precision per state",
            md(self.precision, digits=3),
            "## Share of each state among the held-out bars",
            md(self.shares.rename("share").to_frame(), digits=3),
        ]
        if self.real_shares is not None:
            parts += ["## Share of real bars called each state (rows: backends)", md(self.real_shares, digits=3)]
        if self.real_shares_finetuned is not None:
            parts += [
                "## The same after fine-tuning each backend on the real bars (no labels, early-stopped)",
                md(self.real_shares_finetuned, digits=3),
            ]
        for backend, table in self.reliability.items():
            parts += [
                f"## Reliability of the top label, {backend} (confidence bin: mean confidence, accuracy)",
                md(table, digits=3),
            ]
        for backend, matrix in self.confusion.items():
            parts += [f"## Confusion matrix, {backend} (rows: true states)", md(matrix)]
        write_text_atomic(out / "states.md", "\n\n".join(parts) + "\n")
        return out


def state_separability(
    physics=None,
    train_days: int = 20,
    test_days: int = 10,
    seed: int = 0,
    backends=("forest", "boosting", "neural"),
    epochs: int = 3,
    driver: str = "fractal",
    real: pd.DataFrame | None = None,
    progress=None,
) -> SeparabilityResult:
    """Train each backend on ``train_days`` synthetic days and score it on ``test_days`` others.

    Parameters
    ----------
    physics : PhysicsConfig, optional
        Default: :class:`~fracfire.physics.PhysicsConfig` (the calibration).
    train_days, test_days : int
        Globex sessions; the test days use another seed and follow the training days in time.
    seed : int
    backends : tuple of str
    epochs : int
        Neural training epochs.
    driver : {"fractal", "auto"}
        What decides state changes: the fractal day -> hour -> minute driver, or
        the generator's automatic transitions.
    real : pandas.DataFrame, optional
        Real bars: each backend's share of real bars per state is reported,
        before and after fine-tuning it on them (without labels), and a
        detector calling more than :data:`COLLAPSE_SHARE` of them one state is
        flagged as collapsed. One-minute bars (others are refused before any work).
    progress : callable, optional
        ``progress(done, total)`` after each backend.

    Returns
    -------
    SeparabilityResult
    """
    import time

    from fracfire.data.checks import require_bar_minutes
    from fracfire.data.features import extract_features
    from fracfire.evaluation.metrics import accuracy, macro_f1
    from fracfire.models import StateDetector

    if real is not None:  # before the synthetic sessions are made
        require_bar_minutes(real, 1, "the states experiment (its detectors read one-minute bars)")
    train, test = synthetic_split(physics, train_days, test_days, seed, driver)
    x_train, x_test = extract_features(train), extract_features(test)
    truth = test["state"].astype(str).to_numpy()
    states = sorted(set(train["state"].astype(str)) | set(truth))
    rows, recall, precision, confusion, reliability, real_shares = {}, {}, {}, {}, {}, {}
    tuned_shares, stopped = {}, {}
    x_real = extract_features(real) if real is not None else None
    for k, backend in enumerate(backends):
        started = time.perf_counter()
        model = StateDetector(backend, n_estimators=100, epochs=epochs, random_state=seed, calibration="temperature")
        model.fit(x_train, train["state"].astype(str), bars=train)
        proba = model.predict_proba(x_test)
        predicted = model.classes_[proba.argmax(axis=1)]
        ece, reliability[backend] = top_label_calibration(truth, proba, model.classes_)
        ece_raw = top_label_calibration(truth, model._uncalibrated_proba(x_test), model.classes_)[0]
        rec, prec, matrix = per_state_scores(truth, predicted, states)
        present = rec.dropna()
        rows[backend] = {
            "macro_f1": macro_f1(truth, predicted, labels=states),
            "accuracy": accuracy(truth, predicted),
            "min_recall": float(present.min()),
            "min_recall_state": str(present.idxmin()),
            "ece": ece,
            "ece_uncalibrated": ece_raw,
            "temperature": model.temperature_,
            "seconds": time.perf_counter() - started,
        }
        if x_real is not None:
            called = pd.Series(model.predict(x_real)).value_counts(normalize=True)
            real_shares[backend] = called.reindex(states, fill_value=0.0)
            model.finetune(real, epochs=epochs, features=x_real)
            tuned = pd.Series(model.predict(x_real)).value_counts(normalize=True)
            tuned_shares[backend] = tuned.reindex(states, fill_value=0.0)
            stopped[backend] = model.finetune_stopped_
        recall[backend], precision[backend], confusion[backend] = rec, prec, matrix
        if progress is not None:
            progress(k + 1, len(backends))
    shares = pd.Series(truth).value_counts(normalize=True).rename_axis("state")
    return SeparabilityResult(
        pd.DataFrame.from_dict(rows, orient="index").rename_axis("backend"),
        pd.DataFrame(recall).T.rename_axis("backend"),
        pd.DataFrame(precision).T.rename_axis("backend"),
        confusion,
        shares,
        train_days,
        test_days,
        reliability,
        pd.DataFrame(real_shares).T.rename_axis("backend") if real_shares else None,
        pd.DataFrame(tuned_shares).T.rename_axis("backend") if tuned_shares else None,
        stopped,
    )
