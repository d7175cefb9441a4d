"""Can a classifier tell real bars from synthetic ones, window by window or day by day?

Both classifiers are scikit-learn's ``HistGradientBoostingClassifier`` on
scale-free features, with balanced classes and *blocked, paired*
cross-validation: row ``i`` of each source forms a pair (on a shared calendar,
the same hour or the same day), and each fold is one contiguous stretch of
pairs (:func:`fold_blocks`), so the classifier is always scored on a period
it has not seen in either source. It cannot learn a day's volatility level
from that day's other windows and recognise the rest of them; what it learns
has to hold in another stretch of time. A source against itself scores
exactly 0.5; the discriminative score is ``|accuracy - 0.5|``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fracfire.calendar import MINUTES_PER_DAY, is_rth_minute, minute_of_day, trading_day_number
from fracfire.realism.facts import has_volume
from fracfire.realism.moments import kurtosis, row_corr

__all__ = [
    "MIN_DAYS",
    "MIN_DAY_BARS",
    "MIN_WINDOWS",
    "WINDOW_BARS",
    "day_accuracy",
    "day_features",
    "WINDOW_FEATURES",
    "discriminate",
    "discriminate_days",
    "feature_accuracies",
    "fold_blocks",
    "window_features",
]

MIN_DAYS = 20
"""Fewest trading days per source for the day-level discriminator."""

MIN_DAY_BARS = 60
"""A trading day enters the day-level discriminator with at least this many bars."""

WINDOW_BARS = 60
"""Bars per window (one hour of one-minute bars)."""

MIN_WINDOWS = 25
"""Fewest windows per source the window classifier accepts: its leaves hold at least 20 windows, so with
five folds and fewer than 25 pairs some folds' boosters (with fewer than about 13, all of them) cannot make
a single split, and the accuracy drifts to 0.5 whatever the data ("indistinguishable" when nothing was
measured)."""

WINDOW_FEATURES = (
    "log_std",
    "log_mean_abs_return",
    "log_max_abs_return",
    "skew",
    "kurtosis",
    "return_acf_1",
    "abs_return_acf_1",
    "unchanged_share",
    "mean_range",
    "body_fraction",
    "wick_fraction",
    "log_mean_volume",
    "volume_cv",
    "volume_abs_return_corr",
    "time_sin",
    "time_cos",
)
"""Columns of :func:`window_features`, in order (the three volume columns are absent without volume)."""

DAY_MIN_SAMPLES_LEAF = 5
"""Leaf size of the day classifier: a month has only ~35 training days per fold, and the
default of 20 would leave every tree a stump that predicts one class (accuracy 0.5)."""


def window_features(bars: pd.DataFrame, length: int = WINDOW_BARS, volume: bool = True) -> np.ndarray:
    """Features of consecutive non-overlapping windows of ``length`` bars.

    Per window: log std, log mean |r| and log max |r|, skew, kurtosis, lag-1
    ACF of r and of |r|, share of unchanged closes, mean range, body and wick
    fractions, the window's time of day (sine and cosine) and, with
    ``volume``, log mean volume, volume CV and corr(|r|, volume): 16 columns,
    13 without volume.

    Returns ``r`` are close-to-close changes in ticks, the unit of a
    large-tick contract, not log returns: on the tick grid a one-tick move is
    ``log(0.25 / P)``, so the log max |r| of a window (one multiple of that)
    gives away the price level ``P`` to the last digit, and a classifier
    would tell two sources apart by where their prices wandered rather than
    by how they move.
    """
    n = len(bars) // length
    if n < 2:
        raise ValueError(f"need at least {2 * length} bars for windows; got {len(bars)}")
    close = bars["close_ticks"].to_numpy(dtype=float)[: n * length].reshape(n, length)
    r = np.diff(close, axis=1)
    a = np.abs(r)
    rng = bars["range_ticks"].to_numpy(dtype=float)[: n * length].reshape(n, length)
    body = bars["body_ticks"].to_numpy(dtype=float)[: n * length].reshape(n, length)
    std = r.std(axis=1) + 1e-12
    z = (r - r.mean(axis=1, keepdims=True)) / std[:, None]

    def lag1(x):
        x = x - x.mean(axis=1, keepdims=True)
        return (x[:, 1:] * x[:, :-1]).sum(axis=1) / ((x * x).sum(axis=1) + 1e-12)

    safe = np.maximum(rng, 1.0)
    angle = 2 * np.pi * minute_of_day(bars["time"])[: n * length : length] / MINUTES_PER_DAY
    columns = [
        np.log(std),
        np.log(a.mean(axis=1) + 1e-12),
        np.log(a.max(axis=1) + 1e-12),
        (z**3).mean(axis=1),
        (z**4).mean(axis=1),
        lag1(r),
        lag1(a),
        (r == 0).mean(axis=1),
        rng.mean(axis=1),
        (body / safe).mean(axis=1),
        ((rng - body) / safe).mean(axis=1),
    ]
    if volume:
        vol = bars["volume"].to_numpy(dtype=float)[: n * length].reshape(n, length)
        columns += [np.log(vol.mean(axis=1) + 1), vol.std(axis=1) / (vol.mean(axis=1) + 1e-12), row_corr(vol[:, 1:], a)]
    return np.column_stack([*columns, np.sin(angle), np.cos(angle)])


def day_features(bars: pd.DataFrame, min_bars: int = MIN_DAY_BARS) -> np.ndarray:
    """Scale-free features of each Globex trading day with at least ``min_bars`` bars.

    Per day (returns are log returns within the day): log realised variance
    minus the source's mean (its dispersion, not its level), log(range /
    sqrt(realised variance)), |net move| / range, close location in the range,
    kurtosis and lag-1 autocorrelation of the day's returns and of their
    absolute values, share of up bars, share of the realised variance in the
    largest return, and the log ratio of overnight to regular-hours variance
    (0 unless the day has both): 10 columns, one row per day in time order.
    """
    day = trading_day_number(bars["time"])
    close = np.log(bars["close"].to_numpy(dtype=float))
    r = np.diff(close, prepend=close[0])
    first = np.concatenate([[True], np.diff(day) != 0])
    r[first] = 0.0
    minute = minute_of_day(bars["time"])
    rth = is_rth_minute(minute)
    starts = np.flatnonzero(first)
    ends = np.concatenate([starts[1:], [len(day)]])
    count = ends - starts
    r2 = r * r
    rv = np.add.reduceat(r2, starts) if len(starts) else np.zeros(0)
    keep = (count >= min_bars) & (rv > 0)
    high = np.maximum.reduceat(bars["high"].to_numpy(dtype=float), starts) if len(starts) else np.zeros(0)
    low = np.minimum.reduceat(bars["low"].to_numpy(dtype=float), starts) if len(starts) else np.zeros(0)
    price = bars["close"].to_numpy(dtype=float)
    rows = []
    for i in np.flatnonzero(keep):
        s, e = starts[i] + 1, ends[i]
        x, m = r[s:e], rth[s:e]
        span = max(high[i] - low[i], 1e-12)
        rth_rv, eth_rv = float(np.sum(x[m] ** 2)), float(np.sum(x[~m] ** 2))
        rows.append(
            [
                np.log(rv[i]),
                np.log(span / price[starts[i]] / np.sqrt(rv[i])),
                abs(price[e - 1] - bars["open"].iat[starts[i]]) / span,
                (price[e - 1] - low[i]) / span,
                kurtosis(x),
                _lag1(x),
                _lag1(np.abs(x)),
                float(np.mean(x > 0)),
                float(np.max(x * x) / rv[i]),
                np.log(eth_rv / rth_rv) if rth_rv > 0 and eth_rv > 0 else 0.0,
            ]
        )
    out = np.array(rows, dtype=float).reshape(-1, 10)
    out[:, 0] -= out[:, 0].mean() if len(out) else 0.0
    return out


def _lag1(x: np.ndarray) -> float:
    x = x - x.mean()
    d = float(np.dot(x, x))
    return float(np.dot(x[1:], x[:-1]) / d) if d > 0 else 0.0


def day_accuracy(x_real: np.ndarray, x_syn: np.ndarray, seed: int = 0, folds: int = 5) -> float:
    """Cross-validated accuracy of the day classifier on two :func:`day_features` arrays
    (the first ``min`` rows of each, paired by position)."""
    n = min(len(x_real), len(x_syn))
    if n < MIN_DAYS:
        raise ValueError(f"the day-level discriminator needs at least {MIN_DAYS} trading days per source; got {n}")
    return _cross_validated(x_real[:n], x_syn[:n], seed, folds, DAY_MIN_SAMPLES_LEAF)


def discriminate_days(real: pd.DataFrame, synthetic: pd.DataFrame, seed: int = 0, folds: int = 5) -> float:
    """Cross-validated accuracy of a classifier telling real trading days from synthetic ones.

    One row of :func:`day_features` per day with at least :data:`MIN_DAY_BARS`
    bars; day ``i`` of each source forms a pair, and each fold is a contiguous stretch of pairs
    (:func:`fold_blocks`).

    Parameters
    ----------
    real, synthetic : pandas.DataFrame
        Bars of any size (1 or 5 minutes), with or without overnight bars.
    seed : int
        Seed of the classifier.
    folds : int
        Cross-validation folds.

    Returns
    -------
    float
        Accuracy (0.5 = indistinguishable).

    Raises
    ------
    ValueError
        With fewer than :data:`MIN_DAYS` days on either side.
    """
    return day_accuracy(day_features(real), day_features(synthetic), seed, folds)


def fold_blocks(n: int, folds: int) -> np.ndarray:
    """Fold of each of ``n`` pairs in time order: ``folds`` contiguous blocks of (nearly) equal size.

    Folds were once random pairs; then the windows of one day fell in every
    fold, and the classifier told two draws of the same law apart (about 70 %
    accuracy) by learning each day's volatility level from its other windows.
    """
    if n < folds:
        raise ValueError(f"need at least {folds} pairs for {folds} folds; got {n}")
    return np.arange(n) * folds // n


def _cross_validated(x_real: np.ndarray, x_syn: np.ndarray, seed: int, folds: int, min_samples_leaf: int = 20) -> float:
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.model_selection import GroupKFold, cross_val_score
    from threadpoolctl import threadpool_limits

    n = len(x_real)
    x = np.vstack([x_real, x_syn])
    y = np.repeat([1, 0], n)
    blocks = fold_blocks(n, folds)
    groups = np.concatenate([blocks, blocks])
    model = HistGradientBoostingClassifier(
        max_iter=150, learning_rate=0.1, min_samples_leaf=min_samples_leaf, random_state=seed
    )
    # A few hundred rows: one thread is fastest, and OpenMP spinning on a
    # busy second core slows the fit down many times over.
    with threadpool_limits(limits=1, user_api="openmp"):
        return float(
            cross_val_score(model, x, y, cv=GroupKFold(n_splits=folds), groups=groups, scoring="accuracy").mean()
        )


def _paired_windows(real: pd.DataFrame, synthetic: pd.DataFrame, folds: int) -> tuple[np.ndarray, np.ndarray, bool]:
    """Window features of both sources, as many windows each (with volume only if both have it), and
    whether volume is in them; enough windows for ``folds`` folds or a ValueError."""
    volume = has_volume(real) and has_volume(synthetic)
    x_real, x_syn = window_features(real, volume=volume), window_features(synthetic, volume=volume)
    n = min(len(x_real), len(x_syn))
    need = max(folds * 2, MIN_WINDOWS)
    if n < need:
        raise ValueError(
            f"the window classifier needs at least {need} windows of {WINDOW_BARS} bars per source "
            f"({need * WINDOW_BARS:,} bars); got {n} (real {len(x_real)}, synthetic {len(x_syn)})"
        )
    return x_real[:n], x_syn[:n], volume


def discriminate(real: pd.DataFrame, synthetic: pd.DataFrame, seed: int = 0, folds: int = 5) -> float:
    """Cross-validated accuracy of a gradient-boosting classifier separating real
    from synthetic windows of :data:`WINDOW_BARS` bars (balanced classes; 0.5 =
    indistinguishable).

    Uses :func:`window_features`, without the volume features when either
    side has no volume (``attrs["has_volume"]`` False). Window ``i`` of each
    source forms a pair; each of the ``folds`` folds is a contiguous stretch
    of pairs (:func:`fold_blocks`); identical sources score exactly 0.5.
    """
    x_real, x_syn, _ = _paired_windows(real, synthetic, folds)
    return _cross_validated(x_real, x_syn, seed, folds)


def feature_accuracies(real: pd.DataFrame, synthetic: pd.DataFrame, seed: int = 0, folds: int = 5) -> pd.Series:
    """What gives synthetic windows away: the :func:`discriminate` accuracy with each window feature alone.

    Each feature is scored together with the window's time of day (so a
    feature whose profile over the day differs counts), by the same paired
    cross-validation. 0.5: that feature alone cannot tell the sources apart.

    Returns
    -------
    pandas.Series
        Accuracy by feature name (:data:`WINDOW_FEATURES` but the two time
        columns), highest first.
    """
    x_real, x_syn, volume = _paired_windows(real, synthetic, folds)
    names = [f for f in WINDOW_FEATURES[:-2] if volume or "volume" not in f]
    time = [x_real.shape[1] - 2, x_real.shape[1] - 1]
    scores = {
        name: _cross_validated(x_real[:, [i, *time]], x_syn[:, [i, *time]], seed, folds) for i, name in enumerate(names)
    }
    return pd.Series(scores, name="accuracy").sort_values(ascending=False)
