"""The headline stylized facts of the realism goals, real against synthetic, with pass/fail.

One row per fact: the real value, the synthetic value, the difference as the
goal measures it, the goal, and whether it is met. Facts finer than the bars'
size are skipped (five-minute files have no one-minute facts), volume facts
are skipped when either side has no volume (``attrs["has_volume"]`` False),
and multi-day facts need at least :data:`MIN_DAYS` trading days per side.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fracfire.calendar import RTH_CLOSE_MINUTE, RTH_OPEN_MINUTE, minute_of_day
from fracfire.realism import facts
from fracfire.realism.moments import GAP_NS, _block_sums, _kurtosis, daily_moments, hill_index

__all__ = ["GOALS", "MIN_DAYS", "headline_facts"]

MIN_DAYS = 20
"""Fewest trading days per side for the multi-day facts."""

GOALS: dict[str, tuple[str, float, str]] = {
    "zero-range share of RTH bars (%)": ("abs", 1.0, "within 1 percentage point"),
    "body fraction of RTH bars": ("abs", 0.05, "within 0.05"),
    "lag-1 ACF of returns": ("abs", 0.03, "within 0.03"),
    "|r| ACF, lags 1-30": ("rel_curve", 0.25, "mean relative error <= 25 %"),
    "U-shape of volatility (corr)": ("min", 0.9, "correlation >= 0.9"),
    "U-shape of volume (corr)": ("min", 0.9, "correlation >= 0.9"),
    "Hill index, 1 bar": ("abs", 0.5, "within 0.5"),
    "Hill index, 15 min": ("abs", 0.5, "within 0.5"),
    "Hill index, 30 min": ("abs", 0.5, "within 0.5"),
    "kurtosis, 1 bar": ("info", np.nan, ""),
    "kurtosis, 5 min": ("info", np.nan, ""),
    "kurtosis, 15 min": ("info", np.nan, ""),
    "kurtosis, 30 min": ("info", np.nan, ""),
    "kurtosis ratio 5 min / 1 min": ("rel", 0.25, "within 25 %"),
    "log daily RV ACF, lag 1": ("abs", 0.1, "within 0.1"),
    "log daily RV ACF, lag 5": ("abs", 0.1, "within 0.1"),
    "log daily RV ACF, lag 20": ("abs", 0.1, "within 0.1"),
    "daily range CV": ("rel", 0.25, "within 25 %"),
    "trend-day share": ("abs", 0.1, "within 0.1"),
}
"""Fact -> (how the difference is measured, tolerance, goal in words)."""


def _bar_minutes(bars: pd.DataFrame) -> int:
    if bars.attrs.get("bar_minutes"):
        return int(bars.attrs["bar_minutes"])
    step = np.diff(bars["time"].to_numpy(dtype="datetime64[ns]").astype(np.int64))
    step = step[step <= GAP_NS]
    return max(1, int(round(np.median(step) / 60e9))) if len(step) else 1


def _facts(bars: pd.DataFrame, minutes: int, volume: bool) -> dict:
    t = bars["time"].to_numpy(dtype="datetime64[ns]").astype(np.int64)
    ok = np.concatenate([[False], np.diff(t) <= GAP_NS])
    close = np.log(bars["close"].to_numpy(dtype=np.float64))
    r = np.diff(close, prepend=close[0])
    minute = minute_of_day(bars["time"])
    rth = (minute >= RTH_OPEN_MINUTE) & (minute < RTH_CLOSE_MINUTE)
    rng = bars["range_ticks"].to_numpy(dtype=np.float64)
    body = bars["body_ticks"].to_numpy(dtype=np.float64)
    out: dict = {}
    if minutes == 1 and rth.sum() > 100:
        out["zero-range share of RTH bars (%)"] = 100.0 * float((rng[rth] == 0).mean())
    moving = rth & (rng > 0)
    if moving.sum() > 100:
        out["body fraction of RTH bars"] = float((body[moving] / rng[moving]).mean())
    x = np.where(ok, r, 0.0)
    out["lag-1 ACF of returns"] = float(facts.acf(x, 1)[0])
    out["|r| ACF, lags 1-30"] = facts.acf(np.abs(x), 30 // minutes) if len(x) > 300 else None
    profile = facts.intraday_profile(bars)
    out["_profile"] = profile
    kept = r[ok]
    for horizon in (1, 5, 15, 30):
        if horizon % minutes:
            continue
        step = horizon // minutes
        sums = kept if step == 1 else _block_sums(r, ok, step)
        name = "1 bar" if step == 1 else f"{horizon} min"
        if len(sums) > 100:
            out[f"kurtosis, {name}"] = _kurtosis(sums)
            if name in ("1 bar", "15 min", "30 min"):
                out[f"Hill index, {name}"] = hill_index(sums)
    if minutes == 1 and "kurtosis, 5 min" in out:
        out["kurtosis ratio 5 min / 1 min"] = out["kurtosis, 5 min"] / out["kurtosis, 1 bar"]
    days = facts.trading_day_number(bars["time"])
    if len(np.unique(days)) >= MIN_DAYS:
        daily = daily_moments(bars)
        for lag in (1, 5, 20):
            out[f"log daily RV ACF, lag {lag}"] = daily[f"lrv_acf{lag}"]
        out["daily range CV"] = daily["range_cv"]
        out["trend-day share"] = daily["trend_share"]
    out["_volume"] = volume
    return out


def headline_facts(real: pd.DataFrame, synthetic: pd.DataFrame) -> pd.DataFrame:
    """The goal facts of ``synthetic`` against ``real`` (see :data:`GOALS`).

    Returns
    -------
    pandas.DataFrame
        Indexed by fact; columns ``real, synthetic, difference, goal, met``
        (``met`` is None for facts without a goal). ``|r| ACF`` rows show the
        mean over the lags, their difference the mean relative error per lag;
        U-shape rows show the correlation of the 30-minute profiles (real 1).
    """
    minutes = max(_bar_minutes(real), _bar_minutes(synthetic))
    volume = bool(real.attrs.get("has_volume", True)) and bool(synthetic.attrs.get("has_volume", True))
    a, b = _facts(real, minutes, volume), _facts(synthetic, minutes, volume)
    rows = []
    for fact, (kind, tol, words) in GOALS.items():
        if fact.startswith("U-shape"):
            column = "abs_return" if "volatility" in fact else "volume"
            if column == "volume" and not volume:
                continue
            pa, pb = a["_profile"][column], b["_profile"][column]
            common = pa.index.intersection(pb.index)
            ok = np.isfinite(pa[common]) & np.isfinite(pb[common])
            if ok.sum() < 3:
                continue
            corr = float(np.corrcoef(pa[common][ok], pb[common][ok])[0, 1])
            rows.append((fact, 1.0, corr, corr, words, corr >= tol))
            continue
        if a.get(fact) is None or b.get(fact) is None:
            continue
        ra, sb = a[fact], b[fact]
        if kind == "rel_curve":
            n = min(len(ra), len(sb))
            diff = float(np.mean(np.abs(sb[:n] - ra[:n]) / np.maximum(np.abs(ra[:n]), 0.02)))
            rows.append((fact, float(np.mean(ra[:n])), float(np.mean(sb[:n])), diff, words, diff <= tol))
        elif kind == "abs":
            diff = float(sb - ra)
            rows.append((fact, float(ra), float(sb), diff, words, abs(diff) <= tol))
        elif kind == "rel":
            diff = float((sb - ra) / ra) if ra else float("inf")
            rows.append((fact, float(ra), float(sb), diff, words, abs(diff) <= tol))
        else:
            rows.append((fact, float(ra), float(sb), float(sb - ra), words, None))
    return pd.DataFrame(rows, columns=["fact", "real", "synthetic", "difference", "goal", "met"]).set_index("fact")
