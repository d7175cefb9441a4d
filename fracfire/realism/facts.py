"""Stylized facts of bars: pure functions from bars to numbers.

Every function takes bars in the :mod:`fracfire.schema` schema (real or
synthetic, any bar size, with or without overnight bars) and returns plain
floats, arrays or small frames, so the scorecard can compare any two sources
the same way.

Conventions
-----------
* **Returns** are log returns close to close between consecutive bars; pairs
  further apart than :data:`~fracfire.calendar.SESSION_BREAK` (session breaks, weekends, the
  overnight gap of regular-hours-only files) do not form a return.
* **Regular trading hours** (RTH) are bars starting in 09:30-16:00 ET.
* **Days** are Globex trading days (18:00 ET to 17:00 ET the next day, see
  :func:`fracfire.calendar.trading_day_number`); the daily facts keep days
  with at least :data:`MIN_DAY_MINUTES` minutes of bars.
* **Kurtosis** is always *excess* kurtosis (0 for a normal distribution).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from fracfire.calendar import (
    INTRADAY_BUCKET_MINUTES,
    SESSION_BREAK,
    is_rth_minute,
    minute_of_day,
    trading_day_number,
    within_session,
)
from fracfire.schema import has_volume

__all__ = [
    "HILL_MIN_K",
    "HILL_TAIL",
    "MIN_DAY_MINUTES",
    "MIN_DAY_PAIRS",
    "MIN_RTH_BARS",
    "RV_LAGS",
    "TREND_DAY",
    "acf",
    "bar_geometry",
    "daily_bars",
    "daily_facts",
    "has_volume",
    "hill_index",
    "intraday_profile",
    "leverage",
    "log_returns",
    "return_moments",
    "rth_geometry",
    "rth_mask",
    "trading_day_number",
]

"""Bars further apart than this do not form a return (session breaks, weekends)."""

HILL_TAIL = 0.025
"""Share of the largest ``|r|`` the Hill estimator uses (the top 2.5 %)."""

HILL_MIN_K = 10
"""The Hill estimator uses at least this many order statistics."""

MIN_DAY_MINUTES = 60
"""A trading day enters the daily facts with at least this many minutes of bars."""

MIN_DAY_PAIRS = 20
"""The ACF of log daily realised variance at lag ``k`` needs ``k + MIN_DAY_PAIRS`` days."""

RV_LAGS = (1, 5, 20)
"""Lags (days) of the autocorrelation of log daily realised variance."""

TREND_DAY = 0.6
"""A trend day closes more than this share of its range away from its open."""

MIN_RTH_BARS = 100
"""Fewest regular-hours bars for the RTH bar-shape facts."""


def _ns(bars: pd.DataFrame) -> np.ndarray:
    return bars["time"].to_numpy(dtype="datetime64[ns]").astype(np.int64)


def log_returns(bars: pd.DataFrame, max_gap: pd.Timedelta | None = SESSION_BREAK) -> np.ndarray:
    """Log returns close to close between consecutive bars.

    Pairs of bars further apart than ``max_gap`` (session breaks) are skipped;
    ``None`` keeps every pair (daily bars).
    """
    close = np.log(bars["close"].to_numpy(dtype=float))
    r = np.diff(close)
    if max_gap is not None and len(r):
        r = r[np.diff(_ns(bars)) <= max_gap.value]  # SESSION_BREAK: calendar.within_session
    return r


def rth_mask(bars: pd.DataFrame) -> np.ndarray:
    """Boolean mask of the bars starting in regular trading hours (09:30-16:00 ET)."""
    minute = minute_of_day(bars["time"])
    return is_rth_minute(minute)


def return_moments(r: np.ndarray) -> dict[str, float]:
    """std, skew, excess kurtosis and 1%/99% quantiles of returns."""
    if len(r) < 4:
        raise ValueError(f"need at least 4 returns for moments; got {len(r)}")
    q01, q99 = np.quantile(r, [0.01, 0.99])
    return {
        "std": float(np.std(r)),
        "skew": float(stats.skew(r)),
        "excess_kurtosis": float(stats.kurtosis(r)),
        "q01": float(q01),
        "q99": float(q99),
    }


def acf(x: np.ndarray, lags: int) -> np.ndarray:
    """Sample autocorrelation at lags ``1..lags`` (biased estimator, as in statsmodels)."""
    x = np.asarray(x, dtype=float) - np.mean(x)
    denom = np.dot(x, x)
    if denom == 0 or len(x) <= lags:
        return np.zeros(lags)
    return np.array([np.dot(x[:-k], x[k:]) / denom for k in range(1, lags + 1)])


def leverage(r: np.ndarray, lags: int) -> np.ndarray:
    """Leverage effect ``corr(r_t, |r_{t+k}|)`` for ``k = 1..lags``."""
    a = np.abs(r)
    out = np.zeros(lags)
    for k in range(1, lags + 1):
        if len(r) > k + 2 and np.std(r[:-k]) > 0 and np.std(a[k:]) > 0:
            out[k - 1] = np.corrcoef(r[:-k], a[k:])[0, 1]
    return out


def hill_index(x: np.ndarray, tail: float = HILL_TAIL, min_k: int = HILL_MIN_K) -> float:
    """Hill estimator of the tail index of ``|x|``.

    Uses the ``k = max(min_k, floor(tail * n))`` largest of the ``n`` non-zero
    ``|x|``: ``1 / mean(log(x_(i) / x_(k+1)))``, ``i = 1..k`` (order statistics
    from the top). A Pareto tail ``P(|X| > x) ~ x**-alpha`` gives about
    ``alpha``; a normal sample gives a large value that grows with ``n``.

    Returns
    -------
    float
        The index, or NaN with ``n <= k + 1`` or a tail of ties.

    Examples
    --------
    >>> x = np.random.default_rng(0).pareto(3.0, 100_000) + 1.0
    >>> round(hill_index(x), 1)
    3.0
    """
    if not 0 < tail < 1:
        raise ValueError(f"hill_index: tail must be in (0, 1); got {tail}")
    a = np.abs(np.asarray(x, dtype=float))
    a = a[a > 0]
    k = max(int(min_k), int(len(a) * tail))
    if len(a) <= k + 1:
        return float("nan")
    top = np.partition(a, len(a) - k - 1)[len(a) - k - 1 :]
    threshold = top[0]
    mean = float(np.mean(np.log(top[1:] / threshold)))
    return 1.0 / mean if mean > 0 else float("nan")


def intraday_profile(bars: pd.DataFrame) -> pd.DataFrame:
    """Mean ``|return|``, range (ticks) and volume per minute-of-day bucket (ET).

    Returns
    -------
    pandas.DataFrame
        Indexed by bucket start minute, columns ``abs_return, range, volume``.
    """
    minute = minute_of_day(bars["time"])
    close = np.log(bars["close"].to_numpy(dtype=float))
    abs_r = np.abs(np.diff(close, prepend=close[0]))
    abs_r[~within_session(bars["time"])] = np.nan
    frame = pd.DataFrame(
        {
            "bucket": minute // INTRADAY_BUCKET_MINUTES * INTRADAY_BUCKET_MINUTES,
            "abs_return": abs_r,
            "range": bars["range_ticks"].to_numpy(dtype=float),
            "volume": bars["volume"].to_numpy(dtype=float),
        }
    )
    return frame.groupby("bucket").mean()


def bar_geometry(bars: pd.DataFrame) -> dict[str, np.ndarray | float]:
    """Bar shape: range/body/wick tick arrays and wick and body fractions of the range."""
    rng = bars["range_ticks"].to_numpy(dtype=float)
    body = bars["body_ticks"].to_numpy(dtype=float)
    wick = (bars["upper_wick_ticks"] + bars["lower_wick_ticks"]).to_numpy(dtype=float)
    moving = rng > 0
    return {
        "range": rng,
        "body": body,
        "wick": wick,
        "body_fraction": float(np.mean(body[moving] / rng[moving])) if moving.any() else 0.0,
        "wick_fraction": float(np.mean(wick[moving] / rng[moving])) if moving.any() else 0.0,
        "volume": bars["volume"].to_numpy(dtype=float),
    }


def rth_geometry(bars: pd.DataFrame) -> dict[str, float] | None:
    """Shape of the regular-hours bars: zero-range share and body fraction.

    Returns
    -------
    dict or None
        ``zero_range_share``: percent of RTH bars with high == low;
        ``body_fraction``: mean ``body / range`` over RTH bars with a range.
        None with fewer than :data:`MIN_RTH_BARS` RTH bars.
    """
    rth = rth_mask(bars)
    if rth.sum() < MIN_RTH_BARS:
        return None
    rng = bars["range_ticks"].to_numpy(dtype=float)[rth]
    body = bars["body_ticks"].to_numpy(dtype=float)[rth]
    moving = rng > 0
    return {
        "zero_range_share": 100.0 * float(np.mean(~moving)),
        "body_fraction": float(np.mean(body[moving] / rng[moving])) if moving.any() else 0.0,
    }


def daily_bars(bars: pd.DataFrame) -> pd.DataFrame:
    """One bar per Globex trading day.

    Returns
    -------
    pandas.DataFrame
        Columns ``day`` (days since 1970-01-01, see
        :func:`~fracfire.calendar.trading_day_number`), ``time`` (first bar),
        ``open, high, low, close, volume`` and ``bars`` (how many bars).
    """
    day = trading_day_number(bars["time"])
    if len(day) and (np.diff(day) < 0).any():
        raise ValueError("daily_bars: bars must be sorted by time")
    starts = np.flatnonzero(np.concatenate([[True], day[1:] != day[:-1]])) if len(day) else np.zeros(0, int)
    ends = np.concatenate([starts[1:], [len(day)]]) - 1
    return pd.DataFrame(
        {
            "day": day[starts],
            "time": bars["time"].iloc[starts].reset_index(drop=True),
            "open": bars["open"].to_numpy(dtype=float)[starts],
            "high": np.maximum.reduceat(bars["high"].to_numpy(dtype=float), starts) if len(starts) else [],
            "low": np.minimum.reduceat(bars["low"].to_numpy(dtype=float), starts) if len(starts) else [],
            "close": bars["close"].to_numpy(dtype=float)[ends],
            "volume": np.add.reduceat(bars["volume"].to_numpy(dtype=float), starts) if len(starts) else [],
            "bars": ends - starts + 1,
        }
    )


def _day_returns(rv_bars: pd.DataFrame, days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Within-day returns of ``rv_bars`` on ``days``: returns, position of their day in
    ``days``, whether their bar starts in regular hours, and its 30-minute bucket."""
    day = trading_day_number(rv_bars["time"])
    close = np.log(rv_bars["close"].to_numpy(dtype=float))
    r = np.diff(close)
    ok = within_session(rv_bars["time"])[1:] & (day[1:] == day[:-1])
    position = np.searchsorted(days, day[1:])
    ok &= position < len(days)
    ok[ok] = days[position[ok]] == day[1:][ok]
    minute = minute_of_day(rv_bars["time"])[1:][ok]
    rth = is_rth_minute(minute)
    return r[ok], position[ok], rth, minute // INTRADAY_BUCKET_MINUTES


def _standardised_kurtosis(r: np.ndarray, position: np.ndarray, bucket: np.ndarray, days: int) -> float:
    """Excess kurtosis of returns divided by their bucket's mean ``|r|`` and then by their
    day's root mean square (days with at least 10 returns)."""
    mean_abs = np.bincount(bucket, weights=np.abs(r)) / np.maximum(np.bincount(bucket), 1)
    x = r / np.maximum(mean_abs[bucket], 1e-300)
    ms = np.bincount(position, weights=x * x, minlength=days)
    count = np.bincount(position, minlength=days)
    keep = (count[position] >= 10) & (ms[position] > 0)
    z = x[keep] / np.sqrt(ms[position[keep]] / count[position[keep]])
    return float(stats.kurtosis(z)) if len(z) >= 100 else float("nan")


def daily_facts(bars: pd.DataFrame, rv_bars: pd.DataFrame | None = None, bar_minutes: int = 1) -> dict:
    """Facts of Globex trading days.

    Parameters
    ----------
    bars : pandas.DataFrame
        Bars sorted by time.
    rv_bars : pandas.DataFrame, optional
        The bars whose returns make the realised variance: five-minute bars
        usually (the scorecard passes ``bars`` resampled to five minutes, or
        ``bars`` when they are five minutes or coarser). Default ``bars``.
    bar_minutes : int
        Bar size of ``bars``, to count a day's minutes of bars.

    Returns
    -------
    dict
        Over the days with at least :data:`MIN_DAY_MINUTES` minutes of bars:

        - ``days``: how many;
        - ``range``: daily range (points) of each day;
        - ``gap``: RTH open minus previous RTH close (points), every pair of
          consecutive days with RTH bars;
        - ``trend_share``: share of days with ``|close - open| > 0.6 range``;
        - ``range_cv``: std / mean of the daily range (NaN under 2 days);
        - ``log_rv``: log realised variance (sum of squared within-day returns
          of ``rv_bars``) of each day with a positive one;
        - ``log_rv_acf``: ``{lag: ACF}`` of ``log_rv`` for the lags of
          :data:`RV_LAGS` with at least ``lag + MIN_DAY_PAIRS`` days;
        - ``day_normalised_kurtosis``: excess kurtosis of the regular-hours
          ``rv_bars`` returns standardised twice: divided by the mean ``|r|``
          of their 30-minute bucket (the intraday profile), then by their
          day's root mean square of those (NaN under 100 returns). Close to
          normal for real index futures (NQ 2019: about 1.6).
    """
    rv_bars = bars if rv_bars is None else rv_bars
    daily = daily_bars(bars)
    daily = daily[daily["bars"] * bar_minutes >= MIN_DAY_MINUTES]
    span = (daily["high"] - daily["low"]).to_numpy(dtype=float)
    net = (daily["close"] - daily["open"]).abs().to_numpy(dtype=float)
    rth_bars = bars[rth_mask(bars)]
    if len(rth_bars):
        rth_daily = daily_bars(rth_bars)
        gaps = rth_daily["open"].to_numpy()[1:] - rth_daily["close"].to_numpy()[:-1]
    else:
        gaps = np.zeros(0)
    days = daily["day"].to_numpy()
    r, position, rth, bucket = _day_returns(rv_bars, days)
    rv = np.bincount(position, weights=r * r, minlength=len(days))
    log_rv = np.log(rv[rv > 0])
    lrv_acf = {lag: float(acf(log_rv, lag)[-1]) for lag in RV_LAGS if len(log_rv) >= lag + MIN_DAY_PAIRS}
    return {
        "days": len(daily),
        "range": span,
        "gap": gaps.astype(float),
        "trend_share": float(np.mean(net > TREND_DAY * span)) if len(span) else float("nan"),
        "range_cv": float(span.std() / span.mean()) if len(span) >= 2 and span.mean() > 0 else float("nan"),
        "log_rv": log_rv,
        "log_rv_acf": lrv_acf,
        "day_normalised_kurtosis": _standardised_kurtosis(r[rth], position[rth], bucket[rth], len(days)),
    }
