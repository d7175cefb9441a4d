"""Can a classifier tell real windows from synthetic ones?"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["MIN_DAYS", "WINDOW_BARS", "day_features", "discriminate", "discriminate_days", "window_features"]

MIN_DAYS = 20
"""Fewest trading days per source for the day-level discriminator."""

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


def day_features(bars: pd.DataFrame) -> np.ndarray:
    """Scale-free features of each Globex trading day (one row per day with >= 60 bars).

    Per day: log realised variance minus the source's mean (its dispersion, not
    its level), log(range / sqrt(realised variance)), |net move| / range, close
    location in the range, kurtosis and lag-1 autocorrelation of the day's
    returns, share of up bars, and the log ratio of overnight to regular-hours
    variance (0 without overnight bars).
    """
    from fracfire.calendar import RTH_CLOSE_MINUTE, RTH_OPEN_MINUTE, minute_of_day, trading_day_number

    day = trading_day_number(bars["time"])
    close = np.log(bars["close"].to_numpy(dtype=float))
    r = np.diff(close, prepend=close[0])
    r[np.concatenate([[True], np.diff(day) != 0])] = 0.0
    minute = minute_of_day(bars["time"])
    rth = (minute >= RTH_OPEN_MINUTE) & (minute < RTH_CLOSE_MINUTE)
    frame = pd.DataFrame({"day": day, "r": r, "r2": r * r, "rth2": np.where(rth, r * r, 0.0),
                          "up": (r > 0).astype(float), "high": bars["high"].to_numpy(dtype=float),
                          "low": bars["low"].to_numpy(dtype=float), "open": bars["open"].to_numpy(dtype=float),
                          "close": bars["close"].to_numpy(dtype=float)})
    g = frame.groupby("day")
    n = g.size()
    rv = g["r2"].sum()
    rth_rv = g["rth2"].sum()
    span = (g["high"].max() - g["low"].min())
    net = g["close"].last() - g["open"].first()
    location = (g["close"].last() - g["low"].min()) / span.where(span > 0, 1.0)

    def kurt(x):
        x = x - x.mean()
        v = (x * x).mean()
        return float((x**4).mean() / v**2) if v > 0 else 3.0

    def lag1(x):
        x = x.to_numpy() - x.mean()
        d = float(np.dot(x, x))
        return float(np.dot(x[1:], x[:-1]) / d) if d > 0 else 0.0

    keep = (n >= 60) & (rv > 0)
    log_rv = np.log(rv[keep])
    mid = (frame["open"].mean())
    over = np.log((rv - rth_rv).clip(lower=1e-12) / rth_rv.clip(lower=1e-12))
    over = over.where((rv - rth_rv) > 0, 0.0)
    return np.column_stack([
        log_rv - log_rv.mean(),
        np.log((span[keep] / mid) / np.sqrt(rv[keep])),
        (net.abs() / span.where(span > 0, 1.0))[keep],
        location[keep],
        g["r"].apply(kurt)[keep],
        g["r"].apply(lag1)[keep],
        g["up"].mean()[keep],
        over[keep],
    ])


def discriminate_days(real: pd.DataFrame, synthetic: pd.DataFrame, seed: int = 0, folds: int = 5) -> float:
    """Cross-validated accuracy of a classifier telling real trading days from synthetic ones
    (one row of :func:`day_features` per day; pairs of days stay in the same fold)."""
    x_real, x_syn = day_features(real), day_features(synthetic)
    n = min(len(x_real), len(x_syn))
    if n < MIN_DAYS:
        raise ValueError(f"the day-level discriminator needs at least {MIN_DAYS} trading days per source; got {n}")
    return _cross_validated(x_real[:n], x_syn[:n], seed, folds)


def _cross_validated(x_real: np.ndarray, x_syn: np.ndarray, seed: int, folds: int) -> float:
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.model_selection import GroupKFold, cross_val_score
    from threadpoolctl import threadpool_limits

    n = len(x_real)
    x = np.vstack([x_real, x_syn])
    y = np.repeat([1, 0], n)
    pairs = np.random.default_rng(seed).permutation(n)
    groups = np.concatenate([pairs, pairs])
    model = HistGradientBoostingClassifier(max_iter=150, learning_rate=0.1, random_state=seed)
    # A few hundred rows: one thread is fastest, and OpenMP spinning on a
    # busy second core slows the fit down many times over.
    with threadpool_limits(limits=1, user_api="openmp"):
        return float(cross_val_score(model, x, y, cv=GroupKFold(n_splits=folds), groups=groups,
                                     scoring="accuracy").mean())


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
    x_real, x_syn = window_features(real), window_features(synthetic)
    n = min(len(x_real), len(x_syn))
    if n < folds * 2:
        raise ValueError(f"need at least {folds * 2} windows of {WINDOW_BARS} bars per source; got {n}")
    return _cross_validated(x_real[:n], x_syn[:n], seed, folds)
