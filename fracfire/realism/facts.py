"""Stylized facts of bars: pure functions from bars to numbers.

Every function takes bars in the :mod:`fracfire.schema` schema (real or
synthetic, any timeframe) and returns plain floats or arrays, so the
scorecard can compare any two sources the same way.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from fracfire.calendar import trading_day_number

__all__ = [
    "INTRADAY_BUCKET_MINUTES",
    "acf",
    "bar_geometry",
    "daily_facts",
    "intraday_profile",
    "leverage",
    "log_returns",
    "return_moments",
    "trading_day",
    "trading_day_number",
]

INTRADAY_BUCKET_MINUTES = 30
"""Width of the minute-of-day buckets of the intraday profiles."""

SESSION_BREAK = pd.Timedelta(minutes=60)
"""Bars further apart than this do not form a return (session breaks, weekends)."""


def log_returns(bars: pd.DataFrame, max_gap: pd.Timedelta | None = SESSION_BREAK) -> np.ndarray:
    """Log returns close to close between consecutive bars.

    Pairs of bars further apart than ``max_gap`` (session breaks) are skipped;
    ``None`` keeps every pair (daily bars).
    """
    close = np.log(bars["close"].to_numpy(dtype=float))
    r = np.diff(close)
    if max_gap is not None and len(r):
        step = np.diff(bars["time"].to_numpy(dtype="datetime64[ns]").astype(np.int64))
        r = r[step <= max_gap.value]
    return r


def return_moments(r: np.ndarray) -> dict[str, float]:
    """std, skew, excess kurtosis and 1%/99% quantiles of returns."""
    if len(r) < 4:
        raise ValueError(f"need at least 4 returns for moments; got {len(r)}")
    return {
        "std": float(np.std(r)),
        "skew": float(stats.skew(r)),
        "excess_kurtosis": float(stats.kurtosis(r)),
        "q01": float(np.quantile(r, 0.01)),
        "q99": float(np.quantile(r, 0.99)),
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


def intraday_profile(bars: pd.DataFrame) -> pd.DataFrame:
    """Mean ``|return|``, range (ticks) and volume per minute-of-day bucket (ET).

    Returns
    -------
    pandas.DataFrame
        Indexed by bucket start minute, columns ``abs_return, range, volume``.
    """
    time = bars["time"]
    minute = (time.dt.hour * 60 + time.dt.minute).to_numpy()
    close = np.log(bars["close"].to_numpy(dtype=float))
    abs_r = np.abs(np.diff(close, prepend=close[0]))
    step = np.diff(time.to_numpy(dtype="datetime64[ns]").astype(np.int64), prepend=0)
    abs_r[(step > SESSION_BREAK.value) | (np.arange(len(close)) == 0)] = np.nan
    frame = pd.DataFrame({"bucket": minute // INTRADAY_BUCKET_MINUTES * INTRADAY_BUCKET_MINUTES,
                          "abs_return": abs_r, "range": bars["range_ticks"].to_numpy(dtype=float),
                          "volume": bars["volume"].to_numpy(dtype=float)})
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


def trading_day(time: pd.Series) -> pd.Series:
    """Trading date of each bar: a Globex day runs 18:00 ET to 17:00 ET the next day."""
    return (time + pd.Timedelta(hours=6)).dt.date




def daily_facts(bars: pd.DataFrame) -> dict[str, np.ndarray | float]:
    """Daily ranges (points), overnight gaps (RTH open minus previous RTH close, points)
    and the share of trend days (``|close - open| > 0.6 * range``)."""
    day = trading_day(bars["time"])
    grouped = bars.groupby(day.to_numpy())
    daily = pd.DataFrame({"open": grouped["open"].first(), "close": grouped["close"].last(),
                          "high": grouped["high"].max(), "low": grouped["low"].min(),
                          "bars": grouped.size()})
    daily = daily[daily["bars"] >= 60]
    span = daily["high"] - daily["low"]
    trend = (daily["close"] - daily["open"]).abs() > 0.6 * span
    minute = bars["time"].dt.hour * 60 + bars["time"].dt.minute
    rth = bars[(minute >= 570) & (minute < 960)]
    rth_day = trading_day(rth["time"]).to_numpy()
    rth_open = rth.groupby(rth_day)["open"].first()
    rth_close = rth.groupby(rth_day)["close"].last()
    gaps = (rth_open.iloc[1:].to_numpy() - rth_close.iloc[:-1].to_numpy()) if len(rth_open) > 1 else np.zeros(0)
    return {"range": span.to_numpy(dtype=float), "gap": gaps.astype(float),
            "trend_share": float(trend.mean()) if len(daily) else 0.0}
