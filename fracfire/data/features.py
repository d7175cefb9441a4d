"""Causal per-bar features, identical for synthetic and real bars.

Every feature at bar ``t`` uses bars ``<= t`` only (a test changes future
bars and checks the past does not move). Frames holding several independent
days (an archetype library, with ``day_id``) are processed day by day so no
window reaches across days.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fracfire.calendar import MINUTES_PER_DAY, minute_of_day
from fracfire.physics.sessions import Session, session_codes

__all__ = [
    "REQUIRED_COLUMNS",
    "SCALE_FEATURE",
    "extract_features",
    "feature_array",
    "feature_names",
    "make_windows",
    "tick_unit_features",
]

SCALE_FEATURE = "range_mean_60"
"""The recent volatility level (mean one-bar range of the last 60 bars, ticks) that makes tick features scale-free."""

REQUIRED_COLUMNS = (
    "time",
    "high",
    "low",
    "close",
    "volume",
    "delta_ticks",
    "range_ticks",
    "body_ticks",
    "upper_wick_ticks",
    "lower_wick_ticks",
    "open_ticks",
    "close_ticks",
    "high_ticks",
    "low_ticks",
)
_SESSIONS = [s.value for s in Session]


def feature_names(windows=(5, 15, 60)) -> list[str]:
    """Column names :func:`extract_features` returns, in order."""
    names = [
        "delta",
        "range",
        "body",
        "upper_wick",
        "lower_wick",
        "tick_dir",
        "body_range_ratio",
        "range_rel",
        "tod_sin",
        "tod_cos",
        *[f"session_{s}" for s in _SESSIONS],
    ]
    for w in windows:
        names += [
            f"delta_sum_{w}",
            f"delta_std_{w}",
            f"abs_delta_mean_{w}",
            f"range_mean_{w}",
            f"up_share_{w}",
            f"dist_high_{w}",
            f"dist_low_{w}",
            f"volume_z_{w}",
        ]
    return names


def tick_unit_features(names) -> list[str]:
    """The features of ``names`` measured in ticks (moves, ranges, distances): dividing them by
    :data:`SCALE_FEATURE` makes them comparable across volatility levels and instruments. The
    others (shares, ratios, z-scores, time and session) already are."""
    tick = ("delta", "range", "body", "upper_wick", "lower_wick")
    prefixes = ("delta_sum_", "delta_std_", "abs_delta_mean_", "range_mean_", "dist_high_", "dist_low_")
    return [n for n in names if n in tick or n.startswith(prefixes)]


def _rolling(x: np.ndarray, w: int, reduce, min_periods: int = 1, last: bool = False) -> np.ndarray:
    """``reduce(window, axis=-1)`` over the last ``w`` values up to each row (fewer at the start).

    Plain numpy reductions over exact slices, so the newest row computed alone
    (``last=True``: one value, as the live engine asks) gives the same numbers
    as the whole history at once; pandas' online rolling sums leave residues
    (~1e-8 in zero-variance windows).
    """
    if last:
        window = x[-w:]
        return np.array([reduce(window[None, :], axis=-1)[0] if len(window) >= min_periods else np.nan])
    out = np.full(len(x), np.nan)
    if len(x) >= w:
        out[w - 1 :] = reduce(np.lib.stride_tricks.sliding_window_view(x, w), axis=-1)
    for i in range(min(w - 1, len(x))):
        if i + 1 >= min_periods:
            out[i] = reduce(x[: i + 1][None, :], axis=-1)[0]
    return out


def _std1(x: np.ndarray, axis: int) -> np.ndarray:
    return np.std(x, axis=axis, ddof=1)


def feature_array(
    o: np.ndarray,
    h: np.ndarray,
    lo: np.ndarray,
    c: np.ndarray,
    volume: np.ndarray,
    delta: np.ndarray,
    minute: np.ndarray,
    windows=(5, 15, 60),
    last: bool = False,
) -> np.ndarray:
    """The features of :func:`feature_names`, from the bars' columns as float arrays.

    The one definition of the features: :func:`extract_features` calls it on
    whole histories and the live engine (:class:`fracfire.inference.LiveEngine`)
    on its buffer with ``last=True``; both give the same bits.

    Parameters
    ----------
    o, h, lo, c : numpy.ndarray
        Open, high, low and close in ticks.
    volume, delta : numpy.ndarray
        Volume and close-to-close move in ticks.
    minute : numpy.ndarray
        ET minute of the day (:func:`fracfire.calendar.minute_of_day`).
    windows : tuple of int
        Rolling windows (bars).
    last : bool, default False
        Only the newest bar's row (shape ``(1, k)``) instead of every bar's.

    Returns
    -------
    numpy.ndarray of float64, shape (n, k) or (1, k)
    """
    now = slice(-1, None) if last else slice(None)
    rng, body = h - lo, c - o
    d, r, b = delta[now], rng[now], body[now]
    angle = 2 * np.pi * minute[now] / MINUTES_PER_DAY
    sessions = np.eye(len(_SESSIONS))[session_codes(minute[now].astype(np.int64))]
    range_base = _rolling(rng, max(windows), np.mean, last=last)
    columns = [
        d,
        r,
        b,
        h[now] - np.maximum(o[now], c[now]),
        np.minimum(o[now], c[now]) - lo[now],
        np.sign(d),
        np.abs(b) / np.maximum(r, 1.0),
        r / np.maximum(range_base, 1e-9),
        np.sin(angle),
        np.cos(angle),
        *sessions.T,
    ]
    log_volume = np.log1p(volume)
    up = (delta > 0).astype(float)
    for w in windows:
        vol_std = _rolling(log_volume, w, _std1, min_periods=2, last=last)
        volume_z = (log_volume[now] - _rolling(log_volume, w, np.mean, last=last)) / np.where(
            vol_std > 0, vol_std, np.nan
        )
        columns += [
            _rolling(delta, w, np.sum, last=last),
            _rolling(delta, w, np.std, last=last),
            _rolling(np.abs(delta), w, np.mean, last=last),
            _rolling(rng, w, np.mean, last=last),
            _rolling(up, w, np.mean, last=last),
            _rolling(h, w, np.max, last=last) - c[now],
            c[now] - _rolling(lo, w, np.min, last=last),
            np.nan_to_num(volume_z),
        ]
    return np.column_stack(columns)


def _one(bars: pd.DataFrame, windows) -> np.ndarray:
    o, h, lo, c = (bars[f"{k}_ticks"].to_numpy(dtype=float) for k in ("open", "high", "low", "close"))
    return feature_array(
        o,
        h,
        lo,
        c,
        bars["volume"].to_numpy(dtype=float),
        bars["delta_ticks"].to_numpy(dtype=float),
        minute_of_day(bars["time"]),
        windows,
    )


def extract_features(bars: pd.DataFrame, windows=(5, 15, 60)) -> pd.DataFrame:
    """Causal per-bar features (see :func:`feature_names` for the columns).

    Parameters
    ----------
    bars : pandas.DataFrame
        Bars in the :mod:`fracfire.schema` schema (synthetic or real).
    windows : tuple of int
        Rolling windows (bars).

    Returns
    -------
    pandas.DataFrame
        float64 features aligned with ``bars``: tick geometry, tick direction,
        body/range, range relative to its longest-window mean, time-of-day
        sine/cosine, one-hot session, and per window the delta sum, delta std,
        mean |delta|, mean range, share of up bars, distance (ticks) of the
        close to the rolling high and low, and the volume z-score.
    """
    if not isinstance(bars, pd.DataFrame):
        raise TypeError(f"extract_features expects a bars DataFrame; got {type(bars).__name__}")
    missing = [c for c in REQUIRED_COLUMNS if c not in bars.columns]
    if missing:
        raise ValueError(
            f"extract_features: bars are missing columns {missing} "
            "(load real data with fracfire.data.load_continuous_contract)"
        )
    if bars.empty:
        raise ValueError("extract_features: bars are empty (0 rows)")
    windows = tuple(int(w) for w in windows)
    if not windows or min(windows) < 2:
        raise ValueError(f"windows must be integers >= 2; got {windows}")
    if "day_id" in bars.columns:
        groups = bars.groupby("day_id", sort=False).indices.values()
        values = np.empty((len(bars), len(feature_names(windows))))
        for rows in groups:
            values[rows] = _one(bars.iloc[rows], windows)
    else:
        values = _one(bars, windows)
    return pd.DataFrame(values, columns=feature_names(windows), index=bars.index)


def make_windows(values: np.ndarray, length: int) -> np.ndarray:
    """Sliding windows over rows without copying: shape ``(n - length + 1, length, n_features)``.

    Window ``i`` ends at row ``i + length - 1``.
    """
    values = np.ascontiguousarray(values, dtype=np.float32)
    if values.ndim != 2:
        raise ValueError(f"make_windows expects a 2-D array (bars x features); got shape {values.shape}")
    if not 1 <= length <= len(values):
        raise ValueError(f"window length must be in [1, {len(values)}]; got {length}")
    return np.lib.stride_tricks.sliding_window_view(values, length, axis=0).transpose(0, 2, 1)
