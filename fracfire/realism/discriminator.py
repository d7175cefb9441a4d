"""Can a classifier tell real windows from synthetic ones?"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["WINDOW_BARS", "discriminate", "window_features"]

WINDOW_BARS = 60
"""Bars per window (one hour of one-minute bars)."""


def window_features(bars: pd.DataFrame, length: int = WINDOW_BARS) -> np.ndarray:
    """Scale-free features of consecutive non-overlapping windows of ``length`` bars.

    Per window: std, mean |r|, max |r|, skew, kurtosis, lag-1 ACF of r and of
    |r| (log returns), share of unchanged closes, mean range, body and wick
    fractions, log mean volume and volume CV, corr(|r|, volume) and the
    window's time of day (sine and cosine).
    """
    n = len(bars) // length
    if n < 2:
        raise ValueError(f"need at least {2 * length} bars for windows; got {len(bars)}")
    close = np.log(bars["close"].to_numpy(dtype=float)[: n * length]).reshape(n, length)
    r = np.diff(close, axis=1)
    a = np.abs(r)
    rng = bars["range_ticks"].to_numpy(dtype=float)[: n * length].reshape(n, length)
    body = bars["body_ticks"].to_numpy(dtype=float)[: n * length].reshape(n, length)
    volume = bars["volume"].to_numpy(dtype=float)[: n * length].reshape(n, length)
    std = r.std(axis=1) + 1e-12
    z = (r - r.mean(axis=1, keepdims=True)) / std[:, None]

    def lag1(x):
        x = x - x.mean(axis=1, keepdims=True)
        return (x[:, 1:] * x[:, :-1]).sum(axis=1) / ((x * x).sum(axis=1) + 1e-12)

    safe = np.maximum(rng, 1.0)
    minute = (bars["time"].dt.hour * 60 + bars["time"].dt.minute).to_numpy()[: n * length:length]
    angle = 2 * np.pi * minute / 1440
    va = volume[:, 1:] - volume[:, 1:].mean(axis=1, keepdims=True)
    aa = a - a.mean(axis=1, keepdims=True)
    corr = (va * aa).sum(axis=1) / (np.sqrt((va * va).sum(axis=1) * (aa * aa).sum(axis=1)) + 1e-12)
    return np.column_stack([
        np.log(std), np.log(a.mean(axis=1) + 1e-12), np.log(a.max(axis=1) + 1e-12),
        (z**3).mean(axis=1), (z**4).mean(axis=1), lag1(r), lag1(a), (r == 0).mean(axis=1),
        rng.mean(axis=1), (body / safe).mean(axis=1), ((rng - body) / safe).mean(axis=1),
        np.log(volume.mean(axis=1) + 1), volume.std(axis=1) / (volume.mean(axis=1) + 1e-12), corr,
        np.sin(angle), np.cos(angle),
    ])


def discriminate(real: pd.DataFrame, synthetic: pd.DataFrame, seed: int = 0, folds: int = 5) -> float:
    """Cross-validated accuracy of a gradient-boosting classifier separating real
    from synthetic windows (balanced classes; 0.5 = indistinguishable).

    Uses scikit-learn's ``HistGradientBoostingClassifier`` on
    :func:`window_features`. Window ``i`` of each source forms a pair (on a
    shared calendar, the same hour) and pairs stay together in group
    ``folds``-fold cross-validation, so the classifier cannot learn a period
    from one source and recognise it in the other; identical sources score
    exactly 0.5.
    """
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.model_selection import GroupKFold, cross_val_score
    from threadpoolctl import threadpool_limits

    x_real, x_syn = window_features(real), window_features(synthetic)
    n = min(len(x_real), len(x_syn))
    if n < folds * 2:
        raise ValueError(f"need at least {folds * 2} windows of {WINDOW_BARS} bars per source; got {n}")
    x = np.vstack([x_real[:n], x_syn[:n]])
    y = np.repeat([1, 0], n)
    pairs = np.random.default_rng(seed).permutation(n)
    groups = np.concatenate([pairs, pairs])
    model = HistGradientBoostingClassifier(max_iter=150, learning_rate=0.1, random_state=seed)
    cv = GroupKFold(n_splits=folds)
    # A few hundred windows: one thread is fastest, and OpenMP spinning on a
    # busy second core slows the fit down many times over.
    with threadpool_limits(limits=1, user_api="openmp"):
        return float(cross_val_score(model, x, y, cv=cv, groups=groups, scoring="accuracy").mean())
