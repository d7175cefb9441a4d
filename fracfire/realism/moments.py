"""The moments that calibration matches: scale-free facts of bars, as one flat dict.

Calibration (:mod:`.calibration`) runs the engine hundreds of times, so these
are computed once per run with numpy only (no resampling beyond the bar size
of the real file). Two families:

* **intraday** (:func:`intraday_moments`): volatility level (mean ``|r|``) in and
  out of regular hours, the
  regular-hours open and close shape, zero-range share (and at night its
  dispersion across clock hours), body fraction,
  range per mean ``|r|``, lag-1 autocorrelation at one bar and five minutes,
  kurtosis at one bar and its ratio at five minutes, Hill tail index, ``|r|`` autocorrelation at lags 1, 5 and 30,
  volume level and shape, and within the hour the mean lag-1 autocorrelation
  (the bounce of quiet hours), the kurtosis of returns and the dispersion of
  their skewness, the bar range's coefficient of variation, the volume's coefficient of variation and
  its correlation with ``|r|``, and how much the hour's volatility wanders
  within the day (the standard deviation of the log mean ``|r|`` of each hour
  net of its hour-of-day mean and its day's mean);
* **multi-day** (:func:`daily_moments`): autocorrelation of the log daily
  realised variance at lags 1, 5 and 20, the daily range's coefficient of
  variation and the share of trend days.

Returns are close-to-close changes in ticks between consecutive bars of a
session (pairs across a gap of more than an hour are dropped).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fracfire.calendar import (
    INTRADAY_BUCKET_MINUTES,
    RTH_OPEN_MINUTE,
    is_rth_minute,
    minute_of_day,
    trading_day_number,
    within_session,
)
from fracfire.realism.facts import hill_index

__all__ = [
    "DAILY_TOLERANCE",
    "INTRADAY_TOLERANCE",
    "bucket_abs",
    "bucket_volume",
    "daily_moments",
    "hill_index",
    "intraday_moments",
    "kurtosis",
    "mean_daily_range",
    "row_corr",
]


TREND_DAY = 0.6
"""A trend day closes more than this share of its range away from its open."""

INTRADAY_TOLERANCE: dict[str, float] = {
    "log_abs_rth": 0.03,
    "log_abs_eth": 0.05,
    "open_ratio": 0.15,
    "close_ratio": 0.15,
    "zero_rth": 0.3,
    "zero_eth": 1.5,
    "zero_eth_hour_sd": 1.5,
    "body_rth": 0.015,
    "body_eth": 0.025,
    "range_per_abs": 0.05,
    "acf1_rth": 0.01,
    "acf1_eth": 0.015,
    "acf1_5min": 0.02,
    "volume_abs_corr_rth": 0.03,
    "volume_abs_corr_eth": 0.03,
    "volume_cv_hour_rth": 0.04,
    "volume_cv_hour_eth": 0.04,
    "range_cv_hour_rth": 0.03,
    "range_cv_hour_eth": 0.03,
    "volume_abs_corr_hour": 0.02,
    "acf1_hour": 0.01,
    "log_kurt1": 0.5,
    "kurt_ratio": 0.12,
    "hill": 0.2,
    "abs_acf1": 0.03,
    "abs_acf5": 0.03,
    "abs_acf30": 0.03,
    "hour_vol_sd": 0.02,
    "kurt_hour": 0.15,
    "skew_hour_sd": 0.05,
}
"""Scale of each intraday moment in the calibration objective (about a third of the
scorecard's tolerance where one exists): a miss of this size costs 1."""

DAILY_TOLERANCE: dict[str, float] = {
    "lrv_acf1": 0.04,
    "lrv_acf5": 0.04,
    "lrv_acf20": 0.04,
    "range_cv": 0.04,
    "trend_share": 0.03,
}
"""Scale of each multi-day moment in the calibration objective."""


def _returns(bars: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Tick returns and the mask of bars that have one (not the first of a session)."""
    ok = within_session(bars["time"])
    return bars["delta_ticks"].to_numpy(dtype=np.float64), ok


def _acf_at(x: np.ndarray, lag: int) -> float:
    if len(x) <= lag + 2:
        return 0.0
    x = x - x.mean()
    denom = float(np.dot(x, x))
    return float(np.dot(x[:-lag], x[lag:]) / denom) if denom > 0 else 0.0


def _hour_zero_dispersion(zero: np.ndarray, hour: np.ndarray) -> float:
    """Standard deviation across clock hours (with at least 30 bars) of the share (%) of
    zero-range bars: whether unchanged bars sit in the hours they do in real data rather
    than only in the right overall proportion."""
    counts = np.bincount(hour, minlength=24)
    seen = counts >= 30
    shares = 100.0 * np.bincount(hour, weights=zero.astype(np.float64), minlength=24)[seen] / counts[seen]
    return float(shares.std()) if len(shares) > 1 else 0.0


def kurtosis(x: np.ndarray) -> float:
    """Raw (not excess) kurtosis of ``x``; 3 for a constant."""
    x = x - x.mean()
    var = float(np.mean(x * x))
    return float(np.mean(x**4) / var**2) if var > 0 else 3.0


def _bars_per(minutes: int, bar_minutes: int) -> int:
    return max(1, minutes // bar_minutes)


def intraday_moments(bars: pd.DataFrame, bar_minutes: int = 1, volume: bool = True) -> dict[str, float]:
    """Intraday moments of ``bars`` (see the module docstring); missing sessions are left out.

    Parameters
    ----------
    bars : pandas.DataFrame
        Bars in the schema, one bar size throughout.
    bar_minutes : int
        The bar size (1 or 5 usually): horizons are counted in bars.
    volume : bool
        Include the volume moments.
    """
    r, ok = _returns(bars)
    minute = minute_of_day(bars["time"])
    rth = is_rth_minute(minute)
    rng = bars["range_ticks"].to_numpy(dtype=np.float64)
    body = bars["body_ticks"].to_numpy(dtype=np.float64)
    out: dict[str, float] = {}
    for name, mask in (("rth", rth), ("eth", ~rth)):
        if mask.sum() < 200:
            continue
        x = r[mask & ok]
        out[f"log_abs_{name}"] = float(np.log(max(np.abs(x).mean(), 1e-9)))
        moving = mask & (rng > 0)
        out[f"zero_{name}"] = float(100.0 * (rng[mask] == 0).mean())
        if name == "eth":
            out["zero_eth_hour_sd"] = _hour_zero_dispersion(rng[mask] == 0, minute[mask] // 60)
        out[f"body_{name}"] = float((body[moving] / rng[moving]).mean()) if moving.any() else 0.0
        pair = ok[1:] & ok[:-1] & mask[1:] & mask[:-1]
        out[f"acf1_{name}"] = float(np.corrcoef(r[1:][pair], r[:-1][pair])[0, 1]) if pair.sum() > 50 else 0.0
        if volume:
            vol = bars["volume"].to_numpy(dtype=np.float64)
            both = mask & ok
            out[f"volume_abs_corr_{name}"] = float(np.corrcoef(np.log(vol[both]), np.abs(r[both]))[0, 1])
        if name == "rth":
            out["range_per_abs"] = float(rng[mask].mean() / max(np.abs(x).mean(), 1e-9))
            a = np.abs(r)
            since = minute - RTH_OPEN_MINUTE
            mid = ok & (since >= 90) & (since < 270)
            if mid.sum() > 50:
                base = a[mid].mean()
                out["open_ratio"] = float(a[ok & (since >= 0) & (since < 30)].mean() / base)
                out["close_ratio"] = float(a[ok & (since >= 360) & (since < 390)].mean() / base)
                if volume:
                    vol = bars["volume"].to_numpy(dtype=np.float64)
                    out["log_volume_rth"] = float(np.log(vol[rth].mean()))
                    out["volume_open_ratio"] = float(vol[(since >= 0) & (since < 30)].mean() / vol[mid].mean())
            kept = r[rth & ok]
            out["log_kurt1"] = float(np.log(kurtosis(kept)))
            step = _bars_per(5, bar_minutes)
            if step > 1:
                five = _block_sums(r, ok & rth, step)
                out["kurt_ratio"] = kurtosis(five) / kurtosis(kept) if len(five) > 50 else 1.0
                out["acf1_5min"] = _acf_at(_block_sums(r, ok, step), 1)
            out["hill"] = hill_index(kept)
        elif volume:
            out["log_volume_eth"] = float(np.log(bars["volume"].to_numpy(dtype=np.float64)[mask].mean()))
    out.update(_hourly(r, ok, bars["volume"].to_numpy(dtype=np.float64) if volume else None, bar_minutes, rth, rng))
    out.update(_hour_volatility_dispersion(r, ok, minute, trading_day_number(bars["time"]), bar_minutes))
    if bar_minutes == 1 and "log_kurt1" in out:
        out.setdefault("kurt_ratio", 1.0)
    x = np.where(ok, r, 0.0)
    out["acf1"] = _acf_at(x, 1)
    a = np.abs(x)
    for lag in (1, 5, 30):
        horizon = _bars_per(lag, bar_minutes) if lag > 1 else 1
        out[f"abs_acf{lag}"] = _acf_at(a, horizon)
    return out


def _hourly(
    r: np.ndarray, ok: np.ndarray, vol: np.ndarray | None, bar_minutes: int, rth: np.ndarray, rng: np.ndarray
) -> dict[str, float]:
    """Means over consecutive one-hour windows (all returns valid) of the lag-1 ACF of
    returns (how much quiet hours bounce, which a pooled ACF dominated by busy hours
    hides), of the kurtosis of returns within the hour (``kurt_hour``: tails that a
    pooled kurtosis, dominated by a few news minutes, hides) with the dispersion of
    their skewness (``skew_hour_sd``) and, with ``vol``, of the volume's coefficient of
    variation and of corr(|r|, volume): how volume moves with price within the hour. The
    volume's coefficient of variation is kept apart for hours wholly in regular trading
    (``volume_cv_hour_rth``: busy, steady volume) and hours with no regular-trading bar
    (``volume_cv_hour_eth``: thin, lumpy volume), each with at least five such hours. The
    bar range's coefficient of variation is kept apart the same way (``range_cv_hour_rth``,
    ``range_cv_hour_eth``): how much volatility moves from minute to minute within an hour
    (real ES regular hours are steady: about 0.4, of which about 0.3 is a Brownian range's own
    dispersion at a fixed volatility)."""
    step = max(6, _bars_per(60, bar_minutes))
    n = len(r) // step
    if n < 10:
        return {}
    r, good = r[: n * step].reshape(n, step), ok[: n * step].reshape(n, step).all(axis=1)
    if good.sum() < 10:
        return {}
    r = r[good]
    in_rth = rth[: n * step].reshape(n, step)[good]
    out = {"acf1_hour": float(np.mean(row_corr(r[:, 1:], r[:, :-1])))}
    full_rth, no_rth = in_rth.all(axis=1), ~in_rth.any(axis=1)
    span = rng[: n * step].reshape(n, step)[good]
    span_cv = span.std(axis=1) / np.maximum(span.mean(axis=1), 1e-9)
    for name, hours in (("rth", full_rth), ("eth", no_rth)):
        if hours.sum() >= 5:
            out[f"range_cv_hour_{name}"] = float(span_cv[hours].mean())
    z = r - r.mean(axis=1, keepdims=True)
    var = (z * z).mean(axis=1)
    moving = var > 0
    if moving.sum() >= 10:
        z = z[moving] / np.sqrt(var[moving])[:, None]
        out["kurt_hour"] = float((z**4).mean(axis=1).mean())
        out["skew_hour_sd"] = float((z**3).mean(axis=1).std())
    if vol is not None:
        v = vol[: n * step].reshape(n, step)[good]
        cv = v.std(axis=1) / np.maximum(v.mean(axis=1), 1e-9)
        for name, hours in (("rth", full_rth), ("eth", no_rth)):
            if hours.sum() >= 5:
                out[f"volume_cv_hour_{name}"] = float(cv[hours].mean())
        out["volume_abs_corr_hour"] = float(np.mean(row_corr(np.abs(r), v)))
    return out


def _hour_volatility_dispersion(
    r: np.ndarray, ok: np.ndarray, minute: np.ndarray, day: np.ndarray, bar_minutes: int
) -> dict[str, float]:
    """``hour_vol_sd``: standard deviation of the log mean ``|r|`` of consecutive one-hour windows
    (all returns valid, the same trading day) net of the mean of its hour of the day and of its
    day's mean: how far volatility wanders from hour to hour within a day, beyond the intraday
    season and the day's level. Needs 3 days and 30 windows."""
    step = max(6, _bars_per(60, bar_minutes))
    n = len(r) // step
    if n < 30:
        return {}
    a = np.abs(r[: n * step]).reshape(n, step)
    good = ok[: n * step].reshape(n, step).all(axis=1)
    days = day[: n * step].reshape(n, step)
    good &= (days == days[:, :1]).all(axis=1)
    level = a.mean(axis=1)
    good &= level > 0
    if good.sum() < 30 or len(np.unique(days[good, 0])) < 3:
        return {}
    frame = pd.DataFrame(
        {"x": np.log(level[good]), "hour": minute[: n * step : step][good] // 60, "day": days[good, 0]}
    )
    frame["x"] -= frame.groupby("hour")["x"].transform("mean")
    frame["x"] -= frame.groupby("day")["x"].transform("mean")
    return {"hour_vol_sd": float(frame["x"].std())}


def row_corr(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Pearson correlation of each row of ``x`` with the same row of ``y`` (0 for a constant row)."""
    xc, yc = x - x.mean(axis=1, keepdims=True), y - y.mean(axis=1, keepdims=True)
    return (xc * yc).sum(axis=1) / (np.sqrt((xc * xc).sum(axis=1) * (yc * yc).sum(axis=1)) + 1e-12)


def _block_sums(r: np.ndarray, mask: np.ndarray, step: int) -> np.ndarray:
    """Sums of ``step`` consecutive masked returns (non-overlapping, within runs of the mask)."""
    x = np.where(mask, r, np.nan)
    n = len(x) // step * step
    blocks = x[:n].reshape(-1, step)
    full = ~np.isnan(blocks).any(axis=1)
    return blocks[full].sum(axis=1)


def mean_daily_range(bars: pd.DataFrame) -> float:
    """Mean high-low range of the Globex trading days of ``bars`` (price units)."""
    g = bars.groupby(trading_day_number(bars["time"]))
    return float((g["high"].max() - g["low"].min()).mean())


def bucket_abs(bars: pd.DataFrame) -> pd.Series:
    """Mean absolute tick return by half hour of the ET clock (index: bucket number, 0 at
    00:00): a volatility level that a rare jump does not dominate."""
    r, ok = _returns(bars)
    bucket = minute_of_day(bars["time"]) // INTRADAY_BUCKET_MINUTES
    return pd.Series(np.abs(r[ok])).groupby(bucket[ok]).mean()


def bucket_volume(bars: pd.DataFrame) -> pd.Series:
    """Mean bar volume by half hour of the ET clock (index: bucket number)."""
    bucket = minute_of_day(bars["time"]) // INTRADAY_BUCKET_MINUTES
    return pd.Series(bars["volume"].to_numpy(dtype=np.float64)).groupby(bucket).mean()


def daily_moments(bars: pd.DataFrame, min_bars: int = 60) -> dict[str, float]:
    """Multi-day moments: ACF of log daily realised variance (lags 1, 5, 20), range CV, trend share.

    Days are Globex trading days with at least ``min_bars`` bars; realised
    variance is the sum of squared within-session log returns of the bars.
    """
    day = trading_day_number(bars["time"])
    close = np.log(bars["close"].to_numpy(dtype=np.float64))
    r = np.diff(close, prepend=close[0])
    r[~within_session(bars["time"]) | (np.diff(day, prepend=day[:1]) != 0)] = 0.0
    frame = pd.DataFrame(
        {
            "day": day,
            "r2": r * r,
            "high": bars["high"].to_numpy(),
            "low": bars["low"].to_numpy(),
            "open": bars["open"].to_numpy(),
            "close": bars["close"].to_numpy(),
        }
    )
    g = frame.groupby("day")
    daily = pd.DataFrame(
        {
            "rv": g["r2"].sum(),
            "high": g["high"].max(),
            "low": g["low"].min(),
            "open": g["open"].first(),
            "close": g["close"].last(),
            "n": g.size(),
        }
    )
    daily = daily[(daily["n"] >= min_bars) & (daily["rv"] > 0)]
    span = (daily["high"] - daily["low"]).to_numpy()
    lrv = np.log(daily["rv"].to_numpy())
    out = {f"lrv_acf{lag}": _acf_at(lrv, lag) for lag in (1, 5, 20)}
    out["range_cv"] = float(span.std() / span.mean()) if len(span) > 1 else 0.0
    out["trend_share"] = float((np.abs(daily["close"] - daily["open"]).to_numpy() > TREND_DAY * span).mean())
    return out
