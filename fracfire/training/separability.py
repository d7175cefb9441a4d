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

__all__ = ["SeparabilityResult", "state_separability"]

GOAL_MACRO_F1 = 0.6
GOAL_MIN_RECALL = 0.3


@dataclass(frozen=True)
class SeparabilityResult:
    """Per-backend scores of state detection on held-out synthetic days.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per backend: ``macro_f1``, ``accuracy``, ``min_recall`` (and
        the state it belongs to), ``seconds``.
    recall, precision : pandas.DataFrame
        Backends x states.
    confusion : dict of pandas.DataFrame
        Per backend, true states (rows) x predictions (columns), counts.
    shares : pandas.Series
        Share of each state among the held-out bars.
    train_days, test_days : int
    """

    table: pd.DataFrame
    recall: pd.DataFrame
    precision: pd.DataFrame
    confusion: dict = field(repr=False)
    shares: pd.Series = field(repr=False)
    train_days: int = 0
    test_days: int = 0

    def summary(self) -> str:
        """The verdict per backend against the goals (macro F1 >= 0.6, every recall >= 0.3)."""
        lines = [f"State detection on {self.test_days} held-out synthetic days (trained on {self.train_days}):"]
        for backend, row in self.table.iterrows():
            met = row["macro_f1"] >= GOAL_MACRO_F1 and row["min_recall"] >= GOAL_MIN_RECALL
            lines.append(f"  {backend}: macro F1 {row['macro_f1']:.3f}, accuracy {row['accuracy']:.3f}, lowest recall "
                         f"{row['min_recall']:.3f} ({row['min_recall_state']}) -> "
                         f"{'goal met' if met else 'goal missed'} (F1 >= {GOAL_MACRO_F1}, recall >= "
                         f"{GOAL_MIN_RECALL})")
        invisible = [s for s in self.recall.columns if (self.recall[s] < GOAL_MIN_RECALL).all()]
        if invisible:
            lines.append(f"  below {GOAL_MIN_RECALL} recall for every backend: {', '.join(invisible)}")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return {"table": self.table.reset_index().to_dict(orient="records"),
                "recall": self.recall.to_dict(), "precision": self.precision.to_dict(),
                "confusion": {k: v.to_dict() for k, v in self.confusion.items()},
                "shares": self.shares.to_dict(), "train_days": self.train_days, "test_days": self.test_days}

    def save(self, out_dir: str | os.PathLike) -> Path:
        """Write ``states.json`` and ``states.md`` (atomically); return the folder."""
        from fracfire._markdown import markdown_table as md

        out = Path(out_dir)
        write_text_atomic(out / "states.json", json.dumps(self.to_dict(), indent=2, default=float))
        parts = ["# Can each state be seen?", self.summary().replace("\n  ", "\n- "),
                 "## Recall per state (rows: backends)", md(self.recall, digits=3),
                 "## Precision per state", md(self.precision, digits=3),
                 "## Share of each state among the held-out bars", md(self.shares.rename("share").to_frame(), digits=3)]
        for backend, matrix in self.confusion.items():
            parts += [f"## Confusion matrix, {backend} (rows: true states)", md(matrix)]
        write_text_atomic(out / "states.md", "\n\n".join(parts) + "\n")
        return out


def state_separability(physics=None, train_days: int = 20, test_days: int = 10, seed: int = 0,
                       backends=("forest", "boosting", "neural"), epochs: int = 3, driver: str = "fractal",
                       progress=None) -> SeparabilityResult:
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
    progress : callable, optional
        ``progress(done, total)`` after each backend.

    Returns
    -------
    SeparabilityResult
    """
    import time

    from fracfire.data.features import extract_features
    from fracfire.evaluation.metrics import accuracy, confusion_matrix, macro_f1
    from fracfire.models import StateDetector
    from fracfire.physics import FractalStateManager, PriceGenerator

    if driver not in ("fractal", "auto"):
        raise ValueError(f"driver must be 'fractal' or 'auto'; got {driver!r}")

    def days(n: int, s: int, start: str) -> pd.DataFrame:
        kwargs = {"driver": FractalStateManager()} if driver == "fractal" else {}
        return PriceGenerator(seed=s, physics=physics).generate_days(start, n, **kwargs)

    train = days(train_days, seed, "2025-01-06")
    test = days(test_days, seed + 10_000, "2025-06-02")
    x_train, x_test = extract_features(train), extract_features(test)
    truth = test["state"].astype(str).to_numpy()
    states = sorted(set(train["state"].astype(str)) | set(truth))
    rows, recall, precision, confusion = {}, {}, {}, {}
    for k, backend in enumerate(backends):
        started = time.perf_counter()
        model = StateDetector(backend, n_estimators=100, epochs=epochs, random_state=seed)
        model.fit(x_train, train["state"].astype(str), bars=train)
        predicted = model.predict(x_test)
        matrix = confusion_matrix(truth, predicted, labels=states)
        counts = matrix.to_numpy(dtype=float)
        tp = np.diag(counts)
        rec = pd.Series(np.divide(tp, counts.sum(axis=1), out=np.full(len(states), np.nan),
                                  where=counts.sum(axis=1) > 0), index=states)
        prec = pd.Series(np.divide(tp, counts.sum(axis=0), out=np.full(len(states), np.nan),
                                   where=counts.sum(axis=0) > 0), index=states)
        present = rec.dropna()
        rows[backend] = {"macro_f1": macro_f1(truth, predicted, labels=states), "accuracy": accuracy(truth, predicted),
                         "min_recall": float(present.min()), "min_recall_state": str(present.idxmin()),
                         "seconds": time.perf_counter() - started}
        recall[backend], precision[backend], confusion[backend] = rec, prec, matrix
        if progress is not None:
            progress(k + 1, len(backends))
    shares = pd.Series(truth).value_counts(normalize=True)
    return SeparabilityResult(pd.DataFrame.from_dict(rows, orient="index").rename_axis("backend"),
                              pd.DataFrame(recall).T, pd.DataFrame(precision).T, confusion, shares,
                              train_days, test_days)
