"""The realism scorecard: real vs synthetic bars, metric by metric, with distances.

Each metric yields a real value, a synthetic value and a distance (0 =
identical). Distances are relative errors, or normalised distribution
distances, as listed in :data:`METRICS`; the **summary distance** of a report
is the mean over all rows of ``min(distance, 1)`` (so one wild metric cannot
dominate), in [0, 1]. The **discriminative score** (:mod:`.discriminator`) is
reported beside it: ``|accuracy - 0.5|`` of a classifier telling real windows
from synthetic ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd
from scipy import stats

from fracfire.data.resample import resample_bars, timeframe_minutes
from fracfire.realism import facts

__all__ = ["DEFAULT_TIMEFRAMES", "METRICS", "RealismReport", "compute_facts", "realism_report",
           "score_facts"]

DEFAULT_TIMEFRAMES = ("1min", "5min", "15min", "1h", "1D")

METRICS: dict[str, str] = {
    "std": "std of log returns; relative error",
    "skew": "skewness of log returns; |diff| / max(1, |real|)",
    "excess_kurtosis": "excess kurtosis of log returns; |diff| / max(1, |real|)",
    "q01": "1% quantile of log returns; relative error",
    "q99": "99% quantile of log returns; relative error",
    "wasserstein": "Wasserstein-1 distance of log returns / real std (real column 0)",
    "ks": "Kolmogorov-Smirnov statistic of log returns (real column 0)",
    "acf_ret_1_10": "mean ACF of returns, lags 1-10; mean |diff| per lag / 0.05",
    "acf_abs_1_50": "mean ACF of |returns|, lags 1-50 (1-30 when fewer bars); mean |diff| per lag / real mean",
    "acf_abs_1_30": "mean ACF of |returns|, lags 1-30; mean |diff| per lag / real mean",
    "leverage_1_10": "mean corr(r_t, |r_t+k|), k = 1-10; mean |diff| per lag / 0.05",
    "intraday_abs_return_shape": "mean |return| by 30-minute bucket over its mean; mean relative error",
    "intraday_range_shape": "bar range by 30-minute bucket over its mean; mean relative error",
    "intraday_volume_shape": "volume by 30-minute bucket over its mean; mean relative error",
    "intraday_abs_return_corr": "correlation of the |return| profiles with real; 1 - corr",
    "intraday_volume_corr": "correlation of the volume profiles with real; 1 - corr",
    "range_mean": "mean bar range (ticks); relative error",
    "body_mean": "mean bar body (ticks); relative error",
    "wick_mean": "mean upper + lower wick (ticks); relative error",
    "range_w1": "Wasserstein-1 distance of bar ranges / real mean range",
    "body_fraction": "mean body / range; relative error",
    "wick_fraction": "mean wicks / range; relative error",
    "volume_mean": "mean volume; relative error",
    "daily_range_mean": "mean daily (Globex day) range, points; relative error",
    "daily_range_std": "std of daily ranges, points; relative error",
    "overnight_gap_std": "std of RTH open minus previous RTH close, points; relative error",
    "trend_day_share": "share of days with |close - open| > 0.6 range; |diff| / max(0.1, real)",
}
"""Every scorecard metric and how its distance is computed."""

ACF_NOISE = 0.05
MIN_RETURNS = 30


def _relative(real: float, synthetic: float) -> float:
    return abs(synthetic - real) / max(abs(real), 1e-12)


def _daily_bars(bars: pd.DataFrame) -> pd.DataFrame:
    day = facts.trading_day(bars["time"]).to_numpy()
    grouped = bars.groupby(day)
    return pd.DataFrame({"time": grouped["time"].first(), "open": grouped["open"].first(),
                         "high": grouped["high"].max(), "low": grouped["low"].min(),
                         "close": grouped["close"].last(), "volume": grouped["volume"].sum()})


def _at(bars: pd.DataFrame, timeframe: str) -> pd.DataFrame:
    minutes = timeframe_minutes(timeframe)
    if minutes >= 1440:
        return _daily_bars(bars)
    return bars if minutes == 1 else resample_bars(bars, timeframe)


def compute_facts(bars: pd.DataFrame, timeframes=DEFAULT_TIMEFRAMES) -> dict:
    """Everything the scorecard compares, computed once per source.

    Returns
    -------
    dict
        ``{timeframe: {...}}`` of returns, moments, ACFs, profiles and bar
        geometry, plus ``"daily"`` facts.
    """
    out: dict = {}
    for tf in timeframes:
        tf_bars = _at(bars, tf)
        daily = timeframe_minutes(tf) >= 1440
        r = facts.log_returns(tf_bars, None if daily else facts.SESSION_BREAK)
        entry: dict = {"returns": r}
        if len(r) >= MIN_RETURNS:
            entry["moments"] = facts.return_moments(r)
            lags_abs = 50 if len(r) >= 2000 else 30
            if len(r) >= 10 * lags_abs:
                entry["acf_ret"] = facts.acf(r, 10)
                entry["acf_abs"] = facts.acf(np.abs(r), lags_abs)
                entry["leverage"] = facts.leverage(r, 10)
        if not daily:
            entry["geometry"] = facts.bar_geometry(tf_bars)
            if timeframe_minutes(tf) <= 30:
                entry["profile"] = facts.intraday_profile(tf_bars)
        out[tf] = entry
    out["daily"] = facts.daily_facts(bars)
    return out


def _profile_rows(real: pd.DataFrame, syn: pd.DataFrame) -> list[tuple[str, float, float, float]]:
    common = real.index.intersection(syn.index)
    rows = []
    for column in ("abs_return", "range", "volume"):
        a, b = real.loc[common, column].to_numpy(), syn.loc[common, column].to_numpy()
        ok = np.isfinite(a) & np.isfinite(b)
        a, b = a[ok], b[ok]
        if len(a) < 3 or a.mean() <= 0 or b.mean() <= 0:
            continue
        shape_error = float(np.mean(np.abs(b / b.mean() - a / a.mean()) / (a / a.mean())))
        rows.append((f"intraday_{column}_shape", 0.0, shape_error, shape_error))
        if column != "range":
            corr = float(np.corrcoef(a, b)[0, 1]) if np.std(b) > 0 else 0.0
            rows.append((f"intraday_{column}_corr", 1.0, corr, min(1.0, 1.0 - corr)))
    return rows


def score_facts(real: dict, synthetic: dict) -> pd.DataFrame:
    """Compare two :func:`compute_facts` results.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``(timeframe, metric)``, columns ``real, synthetic, distance``.
    """
    rows: list[tuple[str, str, float, float, float]] = []
    for tf, r_entry in real.items():
        if tf == "daily" or tf not in synthetic:
            continue
        s_entry = synthetic[tf]
        if "moments" in r_entry and "moments" in s_entry:
            rm, sm = r_entry["moments"], s_entry["moments"]
            for key in ("std", "q01", "q99"):
                rows.append((tf, key, rm[key], sm[key], _relative(rm[key], sm[key])))
            for key in ("skew", "excess_kurtosis"):
                rows.append((tf, key, rm[key], sm[key], abs(sm[key] - rm[key]) / max(1.0, abs(rm[key]))))
            ra, sa = r_entry["returns"], s_entry["returns"]
            w1 = stats.wasserstein_distance(ra, sa) / max(rm["std"], 1e-12)
            rows.append((tf, "wasserstein", 0.0, w1, w1))
            ks = float(stats.ks_2samp(ra, sa).statistic)
            rows.append((tf, "ks", 0.0, ks, ks))
        if "acf_abs" in r_entry and "acf_abs" in s_entry:
            rows.append((tf, "acf_ret_1_10", float(r_entry["acf_ret"].mean()), float(s_entry["acf_ret"].mean()),
                         float(np.mean(np.abs(s_entry["acf_ret"] - r_entry["acf_ret"]))) / ACF_NOISE))
            lags = min(len(r_entry["acf_abs"]), len(s_entry["acf_abs"]))
            for name, n in ((f"acf_abs_1_{lags}", lags), ("acf_abs_1_30", 30)):
                if name == "acf_abs_1_30" and lags == 30:
                    continue
                a, b = r_entry["acf_abs"][:n], s_entry["acf_abs"][:n]
                rows.append((tf, name, float(a.mean()), float(b.mean()),
                             float(np.mean(np.abs(b - a))) / max(float(np.mean(np.abs(a))), 0.02)))
            rows.append((tf, "leverage_1_10", float(r_entry["leverage"].mean()), float(s_entry["leverage"].mean()),
                         float(np.mean(np.abs(s_entry["leverage"] - r_entry["leverage"]))) / ACF_NOISE))
        if "profile" in r_entry and "profile" in s_entry:
            rows += [(tf, *row) for row in _profile_rows(r_entry["profile"], s_entry["profile"])]
        if "geometry" in r_entry and "geometry" in s_entry:
            rg, sg = r_entry["geometry"], s_entry["geometry"]
            for key in ("range", "body", "wick", "volume"):
                a, b = float(np.mean(rg[key])), float(np.mean(sg[key]))
                rows.append((tf, f"{key}_mean", a, b, _relative(a, b)))
            w1 = stats.wasserstein_distance(rg["range"], sg["range"]) / max(float(np.mean(rg["range"])), 1e-12)
            rows.append((tf, "range_w1", 0.0, w1, w1))
            for key in ("body_fraction", "wick_fraction"):
                rows.append((tf, key, rg[key], sg[key], _relative(rg[key], sg[key])))
    rd, sd = real["daily"], synthetic["daily"]
    if len(rd["range"]) >= 2 and len(sd["range"]) >= 2:
        for key, fn in (("daily_range_mean", np.mean), ("daily_range_std", np.std)):
            a, b = float(fn(rd["range"])), float(fn(sd["range"]))
            rows.append(("1D", key, a, b, _relative(a, b)))
        if len(rd["gap"]) >= 2 and len(sd["gap"]) >= 2:
            a, b = float(np.std(rd["gap"])), float(np.std(sd["gap"]))
            rows.append(("1D", "overnight_gap_std", a, b, _relative(a, b)))
        rows.append(("1D", "trend_day_share", rd["trend_share"], sd["trend_share"],
                     abs(sd["trend_share"] - rd["trend_share"]) / max(0.1, rd["trend_share"])))
    table = pd.DataFrame(rows, columns=["timeframe", "metric", "real", "synthetic", "distance"])
    return table.set_index(["timeframe", "metric"])


def summary_distance(table: pd.DataFrame) -> float:
    """Mean of ``min(distance, 1)`` over the rows of a scorecard table."""
    if table.empty:
        raise ValueError("the scorecard has no rows: are the bars long enough?")
    return float(np.minimum(table["distance"].to_numpy(dtype=float), 1.0).mean())


@dataclass(frozen=True)
class RealismReport:
    """Real vs synthetic, metric by metric.

    Attributes
    ----------
    table : pandas.DataFrame
        Indexed by ``(timeframe, metric)``; columns ``real, synthetic, distance``
        (see :data:`METRICS`).
    discriminative_score : float or None
        ``|accuracy - 0.5|`` of the real-vs-synthetic classifier on hour windows
        (None if not run).
    discriminator_accuracy : float or None
        That classifier's cross-validated accuracy.
    headline : pandas.DataFrame or None
        The goal facts with pass/fail (:func:`~fracfire.realism.headline.headline_facts`).
    day_discriminative_score, day_discriminator_accuracy : float or None
        The same for a classifier of whole trading days (None with fewer than
        20 days per side, or when not run).
    """

    table: pd.DataFrame = field(repr=False)
    discriminative_score: float | None = None
    discriminator_accuracy: float | None = None
    headline: pd.DataFrame | None = field(default=None, repr=False)
    day_discriminative_score: float | None = None
    day_discriminator_accuracy: float | None = None

    @cached_property
    def summary_distance(self) -> float:
        """Mean of ``min(distance, 1)`` over all rows, in [0, 1] (0 = identical)."""
        return summary_distance(self.table)

    def summary(self) -> str:
        """One line."""
        text = f"summary distance {self.summary_distance:.3f} over {len(self.table)} metrics"
        if self.discriminative_score is not None:
            text += (f"; discriminative score {self.discriminative_score:.3f} "
                     f"(classifier accuracy {self.discriminator_accuracy:.3f})")
        if self.day_discriminative_score is not None:
            text += (f"; day-level discriminative score {self.day_discriminative_score:.3f} "
                     f"(accuracy {self.day_discriminator_accuracy:.3f})")
        if self.headline is not None and len(self.headline):
            goals = self.headline.dropna(subset=["met"])
            text += f"\n{int(goals['met'].sum())} of {len(goals)} headline goals met:"
            for fact, row in self.headline.iterrows():
                mark = "" if row["met"] is None else (" ok" if row["met"] else " MISSED")
                text += (f"\n  {fact}: real {row['real']:.4g}, synthetic {row['synthetic']:.4g}"
                         f"{' (' + row['goal'] + ')' if row['goal'] else ''}{mark}")
        return text

    def to_dict(self) -> dict:
        """JSON-ready: ``summary`` and ``table`` records."""
        return {
            "summary": {"summary_distance": self.summary_distance,
                        "discriminative_score": self.discriminative_score,
                        "discriminator_accuracy": self.discriminator_accuracy,
                        "day_discriminative_score": self.day_discriminative_score,
                        "day_discriminator_accuracy": self.day_discriminator_accuracy},
            "table": self.table.reset_index().to_dict(orient="records"),
            "headline": ([] if self.headline is None else
                         self.headline.reset_index().astype(object).where(self.headline.reset_index().notna(), None)
                         .to_dict(orient="records")),
        }


def realism_report(real: pd.DataFrame, synthetic: pd.DataFrame, timeframes=DEFAULT_TIMEFRAMES,
                   discriminator: bool = True, seed: int = 0, day_discriminator: bool = True) -> RealismReport:
    """Score how real ``synthetic`` bars look next to ``real`` bars.

    Parameters
    ----------
    real, synthetic : pandas.DataFrame
        One-minute bars in the :mod:`fracfire.schema` schema (labels optional),
        ideally on the same calendar (see :func:`fracfire.realism.align_to_calendar`).
    timeframes : tuple of str
        Timeframes to compare; ``'1D'`` means Globex trading days.
    discriminator : bool, default True
        Also train the real-vs-synthetic classifier on hour windows.
    day_discriminator : bool, default True
        Also train the classifier of whole trading days (when both sides
        have at least 20 days).
    seed : int
        Seed of the classifier's cross-validation.

    Returns
    -------
    RealismReport
    """
    for name, frame in (("real", real), ("synthetic", synthetic)):
        if not isinstance(frame, pd.DataFrame) or frame.empty:
            raise ValueError(f"realism_report: {name} bars must be a non-empty DataFrame")
    table = score_facts(compute_facts(real, timeframes), compute_facts(synthetic, timeframes))
    from fracfire.realism.headline import headline_facts

    score = accuracy = day_score = day_accuracy = None
    if discriminator:
        from fracfire.realism.discriminator import MIN_DAYS, day_features, discriminate, discriminate_days

        accuracy = discriminate(real, synthetic, seed=seed)
        score = abs(accuracy - 0.5)
        if day_discriminator and min(len(day_features(real)), len(day_features(synthetic))) >= MIN_DAYS:
            day_accuracy = discriminate_days(real, synthetic, seed=seed)
            day_score = abs(day_accuracy - 0.5)
    return RealismReport(table, score, accuracy, headline_facts(real, synthetic), day_score, day_accuracy)
