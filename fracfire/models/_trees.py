"""Fitted scikit-learn tree ensembles packed into flat arrays, evaluated one row at a time by a numba kernel.

Why: a live engine scores one bar at a time, and scikit-learn's per-call overhead
is paid per tree (a 100-tree forest takes ~4 ms for one row, almost all of it
dispatch). Packed, the same trees take microseconds. The packed model is an
exact re-evaluation of the fitted trees (same splits, same leaf values, and
for forests the same float32 rounding of the features that scikit-learn's trees apply);
:func:`pack` checks it against the estimator's own ``predict_proba`` on sample
rows and refuses to pack (returns None) when they differ, so a change in
scikit-learn's internals falls back to the estimator instead of giving other answers.

Packed layout (all trees concatenated): ``feature`` (int64, -1 at a leaf),
``threshold`` (float64: ``x[feature] <= threshold`` goes left), ``left`` and
``right`` (int64 global node indices), ``value`` (float64[n_nodes, n_outputs]),
``roots`` (int64 per tree).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

__all__ = ["PackedTrees", "pack"]


def trees_sum_python(x, roots, feature, threshold, left, right, value):
    """Sum over trees of the leaf value ``x`` falls into (float64[n_outputs])."""
    out = np.zeros(value.shape[1])
    for t in range(roots.shape[0]):
        node = roots[t]
        while feature[node] >= 0:
            if x[feature[node]] <= threshold[node]:
                node = left[node]
            else:
                node = right[node]
        for k in range(value.shape[1]):
            out[k] += value[node, k]
    return out


trees_sum = njit(cache=True)(trees_sum_python)


@dataclass(frozen=True)
class PackedTrees:
    """A packed forest (``kind="forest"``: mean of leaf class fractions) or gradient-boosted classifier
    (``kind="boosting"``: baseline plus summed leaf values, through the sigmoid or softmax link)."""

    kind: str
    roots: np.ndarray
    feature: np.ndarray
    threshold: np.ndarray
    left: np.ndarray
    right: np.ndarray
    value: np.ndarray
    baseline: np.ndarray
    n_trees: int

    def predict_proba_row(self, x: np.ndarray) -> np.ndarray:
        """Class probabilities of one feature row (the estimator's ``classes_`` order)."""
        x = np.ascontiguousarray(x, dtype=np.float64)
        if self.kind == "forest":  # scikit-learn's trees compare float32 features (ties at tick values matter)
            x = x.astype(np.float32).astype(np.float64)
        total = trees_sum(x, self.roots, self.feature, self.threshold, self.left, self.right, self.value)
        if self.kind == "forest":
            return total / self.n_trees
        raw = self.baseline + total
        if raw.shape[0] == 1:  # binary: one score, sigmoid
            p = 1.0 / (1.0 + np.exp(-raw[0]))
            return np.array([1.0 - p, p])
        e = np.exp(raw - raw.max())
        return e / e.sum()


def _concat(parts: list[dict]) -> dict:
    offsets = np.cumsum([0] + [len(p["feature"]) for p in parts[:-1]])
    out = {"roots": np.asarray(offsets, dtype=np.int64)}
    for key in ("feature", "threshold", "value"):
        out[key] = np.concatenate([p[key] for p in parts])
    for key in ("left", "right"):
        out[key] = np.concatenate([np.where(p[key] >= 0, p[key] + o, -1) for p, o in zip(parts, offsets, strict=True)])
    out["feature"] = out["feature"].astype(np.int64)
    out["threshold"] = out["threshold"].astype(np.float64)
    out["left"], out["right"] = out["left"].astype(np.int64), out["right"].astype(np.int64)
    out["value"] = np.ascontiguousarray(out["value"], dtype=np.float64)
    return out


def _forest(estimator) -> PackedTrees:
    parts = []
    for tree in estimator.estimators_:
        t = tree.tree_
        value = t.value[:, 0, :]
        value = value / np.maximum(value.sum(axis=1, keepdims=True), 1e-300)  # class fractions at every node
        parts.append(
            {
                "feature": np.where(t.children_left >= 0, t.feature, -1),
                "threshold": t.threshold,
                "left": t.children_left,
                "right": t.children_right,
                "value": value,
            }
        )
    packed = _concat(parts)
    return PackedTrees("forest", **packed, baseline=np.zeros(0), n_trees=len(parts))


def _boosting(estimator) -> PackedTrees | None:
    n_outputs = estimator._baseline_prediction.shape[1]
    parts = []
    for iteration in estimator._predictors:
        for k, predictor in enumerate(iteration):
            nodes = predictor.nodes
            if nodes["is_categorical"].any():
                return None
            value = np.zeros((len(nodes), n_outputs))
            value[:, k] = np.where(nodes["is_leaf"], nodes["value"], 0.0)
            parts.append(
                {
                    "feature": np.where(nodes["is_leaf"], -1, nodes["feature_idx"]),
                    "threshold": nodes["num_threshold"],
                    "left": nodes["left"].astype(np.int64),
                    "right": nodes["right"].astype(np.int64),
                    "value": value,
                }
            )
    packed = _concat(parts)
    return PackedTrees(
        "boosting", **packed, baseline=estimator._baseline_prediction[0].astype(np.float64), n_trees=len(parts)
    )


def pack(estimator, check_rows: np.ndarray) -> PackedTrees | None:
    """Pack a fitted ``RandomForestClassifier`` or ``HistGradientBoostingClassifier``.

    Returns None (use the estimator itself) for any other estimator, or when
    the packed trees do not reproduce ``estimator.predict_proba`` on
    ``check_rows`` to 1e-9.
    """
    from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier

    packed: PackedTrees | None
    try:
        if isinstance(estimator, RandomForestClassifier):
            packed = _forest(estimator)
        elif isinstance(estimator, HistGradientBoostingClassifier):
            packed = _boosting(estimator)
        else:
            return None
    except (AttributeError, KeyError, ValueError, IndexError):  # internals moved: fall back
        return None
    if packed is None or len(check_rows) == 0:
        return None
    expected = estimator.predict_proba(check_rows)
    got = np.vstack([packed.predict_proba_row(row) for row in check_rows])
    return packed if got.shape == expected.shape and np.allclose(got, expected, rtol=0, atol=1e-9) else None
