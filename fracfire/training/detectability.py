"""``fracfire experiment detectability``: which labels can a causal detector read, and from how far back?

``fracfire experiment states`` scores the minute states from the default
look-back (features over the last 5, 15 and 60 bars). This asks the wider
question the fractal driver raises: its labels live at three levels, the
minute ``state``, the ``hour_state`` and the ``day_state``, and a label that is
invisible from 30 bars might show over 120 or 240. For every label and every
look-back (the *horizon*, in bars), one :class:`~fracfire.models.StateDetector`
is trained on synthetic sessions and scored on held-out sessions of another
seed (same split as ``experiment states``): macro F1 beside what guessing
from the training shares would score, accuracy and recall per class.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from fracfire._atomic import write_text_atomic
from fracfire.training.separability import GOAL_MACRO_F1, GOAL_MIN_RECALL, per_state_scores, synthetic_split

__all__ = [
    "DetectabilityResult",
    "FEATURE_WINDOWS",
    "HORIZONS",
    "LABELS",
    "chance_macro_f1",
    "horizon_windows",
    "label_detectability",
]

LABELS = ("state", "hour_state", "day_state")
"""The fractal driver's labels, minute to day."""
HORIZONS = (30, 60, 120, 240)
"""Default look-backs (bars)."""
FEATURE_WINDOWS = (5, 15, 30, 60, 120, 240)
"""Rolling windows of :func:`~fracfire.data.features.extract_features` a horizon draws from."""


MAX_HORIZON = 1380
"""Longest look-back (bars) :func:`horizon_windows` accepts: one Globex session of one-minute bars."""


def horizon_windows(horizon: int) -> tuple[int, ...]:
    """Feature windows of a detector that looks ``horizon`` bars back: those of
    :data:`FEATURE_WINDOWS` up to it, and the horizon itself."""
    if isinstance(horizon, bool) or not isinstance(horizon, (int, np.integer)) or horizon < 2:
        raise ValueError(f"a horizon must be an integer number of bars >= 2; got {horizon!r}")
    if horizon > MAX_HORIZON:
        raise ValueError(
            f"a horizon must be at most {MAX_HORIZON} bars (a Globex session of one-minute bars: a detector "
            f"reads the bars of the day it labels); got {horizon}"
        )
    return tuple(sorted({w for w in FEATURE_WINDOWS if w <= horizon} | {int(horizon)}))


def chance_macro_f1(truth: np.ndarray, train_labels: np.ndarray, classes: list[str]) -> float:
    """Expected macro F1 of a detector that ignores the bars and guesses each class with its share of
    the training labels: class ``c`` with test share ``p`` and guess share ``q`` has precision ``p``,
    recall ``q``, F1 ``2pq / (p + q)``."""
    truth, train_labels = np.asarray(truth), np.asarray(train_labels)
    p = np.array([np.mean(truth == c) for c in classes])
    q = np.array([np.mean(train_labels == c) for c in classes])
    f1 = np.divide(2 * p * q, p + q, out=np.zeros(len(classes)), where=(p + q) > 0)
    return float(f1.mean())


@dataclass(frozen=True)
class DetectabilityResult:
    """Detection scores per label and look-back on held-out synthetic sessions.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per (``label``, ``horizon``): ``classes``, ``macro_f1``,
        ``chance_f1`` (:func:`chance_macro_f1`), ``accuracy``, ``min_recall``
        and its ``min_recall_state``, ``seconds``.
    recall : dict of pandas.DataFrame
        Per label, horizons (rows) x classes.
    shares : dict of pandas.Series
        Per label, the share of each class among the held-out bars.
    backend : str
    train_days, test_days : int
    """

    table: pd.DataFrame
    recall: dict = field(repr=False)
    shares: dict = field(repr=False)
    backend: str = "boosting"
    train_days: int = 0
    test_days: int = 0

    def best(self, label: str) -> pd.Series:
        """The row of ``label`` with the highest macro F1."""
        rows = self.table[self.table["label"] == label]
        if rows.empty:
            raise KeyError(f"no rows for label {label!r}; labels: {sorted(set(self.table['label']))}")
        return rows.loc[rows["macro_f1"].idxmax()]

    def summary(self) -> str:
        """Per label: macro F1 at each horizon against chance, the classes a detector finds at its best."""
        lines = [
            f"Detectability on {self.test_days} held-out synthetic sessions ({self.backend}, trained on "
            f"{self.train_days}); goal: macro F1 >= {GOAL_MACRO_F1}, every recall >= {GOAL_MIN_RECALL}"
        ]
        for label in dict.fromkeys(self.table["label"]):
            rows = self.table[self.table["label"] == label]
            scores = ", ".join(f"{r.macro_f1:.3f} at {r.horizon}" for r in rows.itertuples())
            best = self.best(label)
            recall = self.recall[label].loc[int(best["horizon"])]
            seen = [str(c) for c in recall.index[recall >= GOAL_MIN_RECALL]]
            met = best["macro_f1"] >= GOAL_MACRO_F1 and best["min_recall"] >= GOAL_MIN_RECALL
            lines.append(
                f"  {label} ({int(best['classes'])} classes, chance {rows['chance_f1'].mean():.3f}): macro F1 "
                f"{scores} bars -> {'detectable' if met else 'not detectable'}; at {int(best['horizon'])} bars "
                f"recall >= {GOAL_MIN_RECALL} for {', '.join(seen) if seen else 'no class'}"
            )
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return {
            "backend": self.backend,
            "train_days": self.train_days,
            "test_days": self.test_days,
            "table": self.table.to_dict(orient="records"),
            "recall": {label: frame.to_dict(orient="index") for label, frame in self.recall.items()},
            "shares": {label: series.to_dict() for label, series in self.shares.items()},
        }

    def save(self, out_dir: str | os.PathLike) -> Path:
        """Write ``detectability.json`` and ``detectability.md`` (atomically); return the folder."""
        from fracfire._markdown import markdown_table as md

        out = Path(out_dir)
        write_text_atomic(out / "detectability.json", json.dumps(self.to_dict(), indent=2, default=float))
        parts = [
            "# Which labels can a causal detector read, and from how far back?",
            self.summary().replace("\n  ", "\n- "),
            "## Scores per label and look-back (bars)",
            md(self.table.set_index(["label", "horizon"]), digits=3),
        ]
        for label, frame in self.recall.items():
            parts += [f"## Recall per class, {label} (rows: look-back in bars)", md(frame, digits=3)]
            parts += [f"## Share of each class among the held-out bars, {label}"]
            parts += [md(self.shares[label].rename("share").to_frame(), digits=3)]
        write_text_atomic(out / "detectability.md", "\n\n".join(parts) + "\n")
        return out


def label_detectability(
    physics=None,
    horizons=HORIZONS,
    labels=LABELS,
    backend: str = "boosting",
    train_days: int = 40,
    test_days: int = 20,
    seed: int = 0,
    epochs: int = 3,
    progress=None,
) -> DetectabilityResult:
    """Train one detector per label and look-back on synthetic sessions; score it on held-out ones.

    Parameters
    ----------
    physics : PhysicsConfig, optional
        Default: :class:`~fracfire.physics.PhysicsConfig` (the calibration).
    horizons : sequence of int
        Look-backs in bars (:func:`horizon_windows`). The neural backend reads
        a further ``StateDetector.window`` (30) bars of those features.
    labels : sequence of str
        Columns of :data:`LABELS` to detect (the fractal driver decides the states).
    backend : {"forest", "boosting", "neural"}
    train_days, test_days : int
        Globex sessions (training from 2025-01-06, held out from 2025-06-02
        with another seed; see :func:`~fracfire.training.separability.synthetic_split`).
    seed : int
    epochs : int
        Neural training epochs.
    progress : callable, optional
        ``progress(done, total)`` after each detector.

    Returns
    -------
    DetectabilityResult
    """
    from fracfire.data.features import extract_features
    from fracfire.evaluation.metrics import accuracy, macro_f1
    from fracfire.models import StateDetector
    from fracfire.models.state_detector import BACKENDS

    labels, horizons = tuple(labels), tuple(horizons)
    unknown = [label for label in labels if label not in LABELS]
    if unknown or not labels:
        raise ValueError(f"labels must be among {', '.join(LABELS)}; got {list(labels)}")
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}; got {backend!r}")
    if not horizons:
        raise ValueError("give at least one horizon (bars)")
    windows = {h: horizon_windows(h) for h in horizons}
    train, test = synthetic_split(physics, train_days, test_days, seed, "fractal")
    rows: list[dict] = []
    recall: dict[str, dict[int, pd.Series]] = {}
    shares: dict[str, pd.Series] = {}
    total, done = len(horizons) * len(labels), 0
    for horizon in horizons:
        x_train, x_test = extract_features(train, windows[horizon]), extract_features(test, windows[horizon])
        for label in labels:
            started = time.perf_counter()
            y, truth = train[label].astype(str).to_numpy(), test[label].astype(str).to_numpy()
            classes = sorted(set(y) | set(truth))
            model = StateDetector(backend, n_estimators=100, epochs=epochs, random_state=seed)
            predicted = model.fit(x_train, y, bars=train).predict(x_test)
            rec = per_state_scores(truth, predicted, classes)[0]
            present = rec.dropna()
            rows.append(
                {
                    "label": label,
                    "horizon": int(horizon),
                    "classes": len(classes),
                    "macro_f1": macro_f1(truth, predicted, labels=classes),
                    "chance_f1": chance_macro_f1(truth, y, classes),
                    "accuracy": accuracy(truth, predicted),
                    "min_recall": float(present.min()),
                    "min_recall_state": str(present.idxmin()),
                    "seconds": time.perf_counter() - started,
                }
            )
            recall.setdefault(label, {})[int(horizon)] = rec
            shares[label] = pd.Series(truth).value_counts(normalize=True).rename_axis(label)
            done += 1
            if progress is not None:
                progress(done, total)
    table = pd.DataFrame(rows).sort_values(["label", "horizon"], key=_label_order).reset_index(drop=True)
    frames = {label: pd.DataFrame(recall[label]).T.rename_axis("horizon") for label in labels}
    return DetectabilityResult(table, frames, shares, backend, train_days, test_days)


def _label_order(column: pd.Series) -> pd.Series:
    return column.map(LABELS.index) if column.name == "label" else column
