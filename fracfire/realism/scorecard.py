"""The realism scorecard: real vs synthetic bars, metric by metric, with distances.

Each metric yields a real value, a synthetic value and a distance (0 =
identical). Distances are relative errors, absolute differences in the
metric's own units, or normalised distribution distances, as listed in
:data:`METRICS`; the **summary distance** of a report is the mean over all
rows of ``min(distance, 1)`` (so one wild metric cannot dominate), in [0, 1].
The **discriminative score** (:mod:`.discriminator`) is reported beside it:
``|accuracy - 0.5|`` of a classifier telling real windows (and, with enough
days, real trading days) from synthetic ones, with the accuracy itself.

Works on one-minute or coarser bars (timeframes finer than the bar size,
found from the median spacing, are skipped), on regular-hours-only files, and
on bars without volume (``attrs["has_volume"]`` False on either side: every
volume row is skipped).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd
from scipy import stats

from fracfire.calendar import MINUTES_PER_DAY, SESSION_BREAK
from fracfire.data.checks import bar_minutes
from fracfire.data.resample import resample_bars, timeframe_minutes
from fracfire.realism import facts
from fracfire.realism.goals import GOALS, headline_facts
from fracfire.runs import records

__all__ = [
    "DEFAULT_TIMEFRAMES",
    "GOALS",
    "METRICS",
    "REQUIRED_COLUMNS",
    "RealismReport",
    "compute_facts",
    "headline_facts",
    "realism_report",
    "score_facts",
    "summary_distance",
]

DEFAULT_TIMEFRAMES = ("1min", "5min", "15min", "30min", "1h", "1D")

METRICS: dict[str, str] = {
    "std": "std of log returns; relative error",
    "skew": "skewness of log returns; |diff| / max(1, |real|)",
    "excess_kurtosis": "excess kurtosis of log returns; |diff| / max(1, |real|)",
    "kurtosis_ratio_5_1": "excess kurtosis at 5 min / excess kurtosis at 1 min (row 5min); relative error",
    "q01": "1% quantile of log returns; relative error",
    "q99": "99% quantile of log returns; relative error",
    "wasserstein": "Wasserstein-1 distance of log returns / real std (real column 0)",
    "ks": "Kolmogorov-Smirnov statistic of log returns (real column 0)",
    "hill_index": "Hill tail index of |returns| (top 2.5 %, at least 10), timeframes up to 30 min; |diff|",
    "acf_ret_1": "lag-1 ACF of returns; |diff|",
    "acf_ret_1_10": "mean ACF of returns, lags 1-10; mean |diff| per lag / 0.05",
    "acf_abs_1_50": "mean ACF of |returns|, lags 1-50; mean |diff| per lag / real mean",
    "acf_abs_1_30": "mean ACF of |returns|, lags 1-30; mean relative error per lag, |diff| / max(|real|, 0.02)",
    "leverage_1_10": "mean corr(r_t, |r_t+k|), k = 1-10; mean |diff| per lag / 0.05",
    "intraday_abs_return_shape": "mean |return| by 30-minute bucket over its mean; mean relative error",
    "intraday_range_shape": "bar range by 30-minute bucket over its mean; mean relative error",
    "intraday_volume_shape": "volume by 30-minute bucket over its mean; mean relative error",
    "intraday_abs_return_corr": "U-shape: correlation of the |return| profile with real's (real 1); 1 - corr",
    "intraday_volume_corr": "U-shape: correlation of the volume profile with real's (real 1); 1 - corr",
    "range_mean": "mean bar range (ticks); relative error",
    "body_mean": "mean bar body (ticks); relative error",
    "wick_mean": "mean upper + lower wick (ticks); relative error",
    "range_w1": "Wasserstein-1 distance of bar ranges / real mean range",
    "body_fraction": "mean body / range over bars with a range; relative error",
    "wick_fraction": "mean wicks / range over bars with a range; relative error",
    "zero_range_share_rth": "percent of RTH (09:30-16:00 ET) bars with high == low; |diff| in percentage points",
    "body_fraction_rth": "mean body / range over RTH bars with a range; |diff|",
    "volume_mean": "mean volume; relative error",
    "daily_range_mean": "mean daily (Globex day) range, points; relative error",
    "daily_range_std": "std of daily ranges, points; relative error",
    "daily_range_cv": "coefficient of variation (std / mean) of daily ranges; relative error",
    "overnight_gap_std": "std of RTH open minus previous RTH close, points; relative error",
    "trend_day_share": "share of days with |close - open| > 0.6 range; |diff| / max(0.1, real)",
    "log_rv_acf_1": "ACF at lag 1 day of log daily realised variance (5-minute returns); |diff|",
    "log_rv_acf_5": "ACF at lag 5 days of log daily realised variance; |diff|",
    "log_rv_acf_20": "ACF at lag 20 days of log daily realised variance; |diff|",
    "day_normalised_kurtosis": "excess kurtosis of 5-minute returns / their day's volatility; |diff| / max(1, |real|)",
}
"""Every scorecard metric and how its distance is computed."""


REQUIRED_COLUMNS = (
    "time",
    "open",
    "high",
    "low",
    "close",
    "volume",
    "range_ticks",
    "body_ticks",
    "upper_wick_ticks",
    "lower_wick_ticks",
)
"""Columns of the bars schema the scorecard reads (the labels and ``delta_ticks`` are not needed)."""

ACF_NOISE = 0.05
ACF_FLOOR = 0.02
MIN_RETURNS = 30
MIN_HILL_RETURNS = 200
PROFILE_MINUTES = 30


def _relative(real: float, synthetic: float) -> float:
    return abs(synthetic - real) / max(abs(real), 1e-12)


def _at(cache: dict[int, pd.DataFrame], minutes: int) -> pd.DataFrame:
    """``cache[minutes]``, resampled from the coarsest cached bars that divide it."""
    if minutes not in cache:
        if minutes >= MINUTES_PER_DAY:
            cache[minutes] = facts.daily_bars(cache[min(cache)])
        else:
            source = max(m for m in cache if m < MINUTES_PER_DAY and minutes % m == 0)
            cache[minutes] = resample_bars(cache[source], f"{minutes}min")
    return cache[minutes]


def compute_facts(bars: pd.DataFrame, timeframes: Sequence[str] = DEFAULT_TIMEFRAMES) -> dict:
    """Everything the scorecard compares, computed once per source.

    Parameters
    ----------
    bars : pandas.DataFrame
        Bars in the :mod:`fracfire.schema` schema (labels optional), sorted.
    timeframes : tuple of str
        ``'1min'``, ``'5min'``, ... ``'1D'`` (Globex trading days). Those finer
        than the bar size (the median spacing), or not a multiple of it, are
        skipped and listed under ``"skipped"``.

    Returns
    -------
    dict
        ``bar_minutes``, ``has_volume``, ``skipped`` (timeframes), ``timeframes``
        (``{timeframe: {...}}`` of returns, moments, ACFs, Hill index, profiles
        and bar geometry) and ``daily`` (:func:`~fracfire.realism.facts.daily_facts`
        with five-minute realised variance).
    """
    own = bar_minutes(bars)
    out: dict = {"bar_minutes": own, "has_volume": facts.has_volume(bars), "skipped": [], "timeframes": {}}
    if bars.attrs:  # pandas deep-copies attrs (a loader's report) on every operation
        bars = bars.copy(deep=False)
        bars.attrs = {}
    cache: dict[int, pd.DataFrame] = {own: bars}
    for tf in timeframes:
        minutes = timeframe_minutes(tf)
        daily = minutes >= MINUTES_PER_DAY
        if not daily and (minutes < own or minutes % own):
            out["skipped"].append(tf)
            continue
        tf_bars = _at(cache, minutes)
        r = facts.log_returns(tf_bars, None if daily else SESSION_BREAK)
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
            entry["rth"] = facts.rth_geometry(tf_bars)
            if entry["rth"] is not None and minutes != own:
                del entry["rth"]["zero_range_share"]  # zero-range bars exist at the bar size only
            if minutes <= PROFILE_MINUTES:
                entry["profile"] = facts.intraday_profile(tf_bars)
                if len(r) >= MIN_HILL_RETURNS:
                    entry["hill"] = facts.hill_index(r)
        out["timeframes"][tf] = entry
    rv_bars = _at(cache, 5) if own <= 5 and 5 % own == 0 else bars
    out["daily"] = facts.daily_facts(bars, rv_bars, own)
    return out


def _profile_rows(real: pd.DataFrame, syn: pd.DataFrame, volume: bool) -> list[tuple[str, float, float, float]]:
    common = real.index.intersection(syn.index)
    rows = []
    for column in ("abs_return", "range", "volume") if volume else ("abs_return", "range"):
        a, b = real.loc[common, column].to_numpy(), syn.loc[common, column].to_numpy()
        ok = np.isfinite(a) & np.isfinite(b)
        a, b = a[ok], b[ok]
        if len(a) < 3 or a.mean() <= 0 or b.mean() <= 0:
            continue
        seen = a > 0  # relative error over the buckets where real moves
        shape_error = float(np.mean(np.abs(b[seen] / b.mean() - a[seen] / a.mean()) / (a[seen] / a.mean())))
        rows.append((f"intraday_{column}_shape", 0.0, shape_error, shape_error))
        if column != "range":
            corr = float(np.corrcoef(a, b)[0, 1]) if np.std(b) > 0 and np.std(a) > 0 else 0.0
            rows.append((f"intraday_{column}_corr", 1.0, corr, min(1.0, 1.0 - corr)))
    return rows


def _return_rows(r_entry: dict, s_entry: dict) -> list[tuple[str, float, float, float]]:
    rows = []
    rm, sm = r_entry["moments"], s_entry["moments"]
    for key in ("std", "q01", "q99"):
        rows.append((key, rm[key], sm[key], _relative(rm[key], sm[key])))
    for key in ("skew", "excess_kurtosis"):
        rows.append((key, rm[key], sm[key], abs(sm[key] - rm[key]) / max(1.0, abs(rm[key]))))
    ra, sa = r_entry["returns"], s_entry["returns"]
    w1 = stats.wasserstein_distance(ra, sa) / max(rm["std"], 1e-12)
    rows.append(("wasserstein", 0.0, w1, w1))
    ks = float(stats.ks_2samp(ra, sa).statistic)
    rows.append(("ks", 0.0, ks, ks))
    if "hill" in r_entry and "hill" in s_entry and np.isfinite(r_entry["hill"]) and np.isfinite(s_entry["hill"]):
        rows.append(("hill_index", r_entry["hill"], s_entry["hill"], abs(s_entry["hill"] - r_entry["hill"])))
    return rows


def _acf_rows(r_entry: dict, s_entry: dict) -> list[tuple[str, float, float, float]]:
    ra, sa = r_entry["acf_ret"], s_entry["acf_ret"]
    rows = [
        ("acf_ret_1", float(ra[0]), float(sa[0]), abs(float(sa[0] - ra[0]))),
        ("acf_ret_1_10", float(ra.mean()), float(sa.mean()), float(np.mean(np.abs(sa - ra))) / ACF_NOISE),
    ]
    a, b = r_entry["acf_abs"], s_entry["acf_abs"]
    if min(len(a), len(b)) >= 50:
        rows.append(
            (
                "acf_abs_1_50",
                float(a.mean()),
                float(b.mean()),
                float(np.mean(np.abs(b - a))) / max(float(np.mean(np.abs(a))), ACF_FLOOR),
            )
        )
    a, b = a[:30], b[:30]
    rows.append(
        (
            "acf_abs_1_30",
            float(a.mean()),
            float(b.mean()),
            float(np.mean(np.abs(b - a) / np.maximum(np.abs(a), ACF_FLOOR))),
        )
    )
    lr, ls = r_entry["leverage"], s_entry["leverage"]
    rows.append(("leverage_1_10", float(lr.mean()), float(ls.mean()), float(np.mean(np.abs(ls - lr))) / ACF_NOISE))
    return rows


def _geometry_rows(r_entry: dict, s_entry: dict, volume: bool) -> list[tuple[str, float, float, float]]:
    rows = []
    rg, sg = r_entry["geometry"], s_entry["geometry"]
    for key in ("range", "body", "wick", "volume") if volume else ("range", "body", "wick"):
        a, b = float(np.mean(rg[key])), float(np.mean(sg[key]))
        rows.append((f"{key}_mean", a, b, _relative(a, b)))
    w1 = stats.wasserstein_distance(rg["range"], sg["range"]) / max(float(np.mean(rg["range"])), 1e-12)
    rows.append(("range_w1", 0.0, w1, w1))
    for key in ("body_fraction", "wick_fraction"):
        rows.append((key, rg[key], sg[key], _relative(rg[key], sg[key])))
    if r_entry.get("rth") is not None and s_entry.get("rth") is not None:
        for key in ("zero_range_share", "body_fraction"):
            if key in r_entry["rth"] and key in s_entry["rth"]:
                a, b = r_entry["rth"][key], s_entry["rth"][key]
                rows.append((f"{key}_rth", a, b, abs(b - a)))
    return rows


def _daily_rows(rd: dict, sd: dict) -> list[tuple[str, float, float, float]]:
    rows = []
    if len(rd["range"]) >= 2 and len(sd["range"]) >= 2:
        for key, fn in (("daily_range_mean", np.mean), ("daily_range_std", np.std)):
            a, b = float(fn(rd["range"])), float(fn(sd["range"]))
            rows.append((key, a, b, _relative(a, b)))
        rows.append(("daily_range_cv", rd["range_cv"], sd["range_cv"], _relative(rd["range_cv"], sd["range_cv"])))
        if len(rd["gap"]) >= 2 and len(sd["gap"]) >= 2:
            a, b = float(np.std(rd["gap"])), float(np.std(sd["gap"]))
            rows.append(("overnight_gap_std", a, b, _relative(a, b)))
        rows.append(
            (
                "trend_day_share",
                rd["trend_share"],
                sd["trend_share"],
                abs(sd["trend_share"] - rd["trend_share"]) / max(0.1, rd["trend_share"]),
            )
        )
    for lag in facts.RV_LAGS:
        if lag in rd["log_rv_acf"] and lag in sd["log_rv_acf"]:
            a, b = rd["log_rv_acf"][lag], sd["log_rv_acf"][lag]
            rows.append((f"log_rv_acf_{lag}", a, b, abs(b - a)))
    a, b = rd["day_normalised_kurtosis"], sd["day_normalised_kurtosis"]
    if np.isfinite(a) and np.isfinite(b):
        rows.append(("day_normalised_kurtosis", a, b, abs(b - a) / max(1.0, abs(a))))
    return rows


def _kurtosis_ratio_rows(real: dict, synthetic: dict) -> list[tuple[str, float, float, float]]:
    ratios = []
    for side in (real, synthetic):
        one, five = side.get("1min", {}).get("moments"), side.get("5min", {}).get("moments")
        if one is None or five is None or not one["excess_kurtosis"]:
            return []
        ratios.append(five["excess_kurtosis"] / one["excess_kurtosis"])
    return [("kurtosis_ratio_5_1", ratios[0], ratios[1], _relative(*ratios))]


def score_facts(real: dict, synthetic: dict) -> pd.DataFrame:
    """Compare two :func:`compute_facts` results.

    Volume rows are left out unless both sides have volume.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``(timeframe, metric)``, columns ``real, synthetic, distance``
        (see :data:`METRICS`).
    """
    volume = real["has_volume"] and synthetic["has_volume"]
    rows: list[tuple[str, str, float, float, float]] = []
    for tf, r_entry in real["timeframes"].items():
        s_entry = synthetic["timeframes"].get(tf)
        if s_entry is None:
            continue
        tf_rows = []
        if "moments" in r_entry and "moments" in s_entry:
            tf_rows += _return_rows(r_entry, s_entry)
        if "acf_abs" in r_entry and "acf_abs" in s_entry:
            tf_rows += _acf_rows(r_entry, s_entry)
        if "profile" in r_entry and "profile" in s_entry:
            tf_rows += _profile_rows(r_entry["profile"], s_entry["profile"], volume)
        if "geometry" in r_entry and "geometry" in s_entry:
            tf_rows += _geometry_rows(r_entry, s_entry, volume)
        if tf == "5min":
            tf_rows += _kurtosis_ratio_rows(real["timeframes"], synthetic["timeframes"])
        rows += [(tf, *row) for row in tf_rows]
    rows += [("1D", *row) for row in _daily_rows(real["daily"], synthetic["daily"])]
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
        ``|accuracy - 0.5|`` of the real-vs-synthetic classifier on windows of
        60 bars (None if not run).
    discriminator_accuracy : float or None
        That classifier's cross-validated accuracy.
    day_discriminative_score, day_discriminator_accuracy : float or None
        The same for a classifier of whole trading days (None with fewer than
        20 days per side, or when not run; ``notes`` says which).
    acf_abs : pandas.DataFrame or None
        ACF of ``|returns|`` for plots: index ``(timeframe, lag)``, columns
        ``real, synthetic``.
    notes : tuple of str
        What was skipped and why.
    """

    table: pd.DataFrame = field(repr=False)
    discriminative_score: float | None = None
    discriminator_accuracy: float | None = None
    day_discriminative_score: float | None = None
    day_discriminator_accuracy: float | None = None
    acf_abs: pd.DataFrame | None = field(default=None, repr=False)
    notes: tuple[str, ...] = ()

    @cached_property
    def summary_distance(self) -> float:
        """Mean of ``min(distance, 1)`` over all rows, in [0, 1] (0 = identical)."""
        return summary_distance(self.table)

    @cached_property
    def headline(self) -> pd.DataFrame:
        """The goal facts with pass/fail (:func:`headline_facts`)."""
        return headline_facts(self.table)

    def summary(self) -> str:
        """Summary distance, discriminative scores with accuracies, notes and the headline facts."""
        lines = [f"summary distance {self.summary_distance:.3f} over {len(self.table)} metrics"]
        if self.discriminative_score is not None:
            lines.append(
                f"discriminative score (60-bar windows) {self.discriminative_score:.3f}, "
                f"classifier accuracy {self.discriminator_accuracy:.3f}"
            )
        if self.day_discriminative_score is not None:
            lines.append(
                f"discriminative score (trading days) {self.day_discriminative_score:.3f}, "
                f"classifier accuracy {self.day_discriminator_accuracy:.3f}"
            )
        lines += [f"note: {note}" for note in self.notes]
        headline = self.headline
        if len(headline):
            goals = headline["met"].dropna()
            lines.append(f"{int(goals.sum())} of {len(goals)} headline goals met:")
            for fact, row in headline.iterrows():
                mark = "" if row["met"] is None else (" ok" if row["met"] else " MISSED")
                goal = f" ({row['goal']})" if row["goal"] else ""
                lines.append(f"  {fact}: real {row['real']:.4g}, synthetic {row['synthetic']:.4g}{goal}{mark}")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        """JSON-ready: ``summary``, ``table`` and ``headline`` records, ``notes``."""
        return {
            "summary": {
                "summary_distance": self.summary_distance,
                "discriminative_score": self.discriminative_score,
                "discriminator_accuracy": self.discriminator_accuracy,
                "day_discriminative_score": self.day_discriminative_score,
                "day_discriminator_accuracy": self.day_discriminator_accuracy,
            },
            "table": records(self.table),
            "headline": records(self.headline),
            "notes": list(self.notes),
        }


def _check(bars: pd.DataFrame, name: str) -> None:
    if not isinstance(bars, pd.DataFrame):
        raise TypeError(f"realism_report: {name} must be a pandas DataFrame; got {type(bars).__name__}")
    missing = [c for c in REQUIRED_COLUMNS if c not in bars.columns]
    if missing:
        raise ValueError(f"realism_report: {name} bars miss columns {missing}; bars need {list(REQUIRED_COLUMNS)}")
    if bars.empty:
        raise ValueError(f"realism_report: {name} bars are empty (0 rows)")
    if not bars["time"].is_monotonic_increasing:
        raise ValueError(f"realism_report: {name} bars must be sorted by time")


def _acf_curves(real: dict, synthetic: dict) -> pd.DataFrame:
    parts = {}
    for tf, entry in real["timeframes"].items():
        other = synthetic["timeframes"].get(tf, {})
        if "acf_abs" in entry and "acf_abs" in other:
            n = min(len(entry["acf_abs"]), len(other["acf_abs"]))
            parts[tf] = pd.DataFrame(
                {"real": entry["acf_abs"][:n], "synthetic": other["acf_abs"][:n]},
                index=pd.RangeIndex(1, n + 1, name="lag"),
            )
    return pd.concat(parts, names=["timeframe"]) if parts else pd.DataFrame(columns=["real", "synthetic"])


def _notes(real: dict, synthetic: dict) -> list[str]:
    notes = []
    skipped = sorted(set(real["skipped"]) | set(synthetic["skipped"]), key=timeframe_minutes)
    if skipped:
        notes.append(
            f"timeframes finer than the bars skipped: {', '.join(skipped)} (real bars "
            f"{real['bar_minutes']} min, synthetic {synthetic['bar_minutes']} min)"
        )
    missing = [name for name, side in (("real", real), ("synthetic", synthetic)) if not side["has_volume"]]
    if missing:
        notes.append(f"volume rows skipped: the {' and '.join(missing)} bars have no volume")
    days = min(real["daily"]["days"], synthetic["daily"]["days"])
    short = [lag for lag in facts.RV_LAGS if days < lag + facts.MIN_DAY_PAIRS]
    if short:
        notes.append(
            f"log daily RV ACF skipped at lag(s) {', '.join(map(str, short))}: {days} trading days "
            f"per side, lag k needs k + {facts.MIN_DAY_PAIRS}"
        )
    return notes


def realism_report(
    real: pd.DataFrame,
    synthetic: pd.DataFrame,
    timeframes: Sequence[str] = DEFAULT_TIMEFRAMES,
    discriminator: bool = True,
    seed: int = 0,
    day_discriminator: bool = True,
) -> RealismReport:
    """Score how real ``synthetic`` bars look next to ``real`` bars.

    Parameters
    ----------
    real, synthetic : pandas.DataFrame
        Bars in the :mod:`fracfire.schema` schema (labels optional), ideally on
        the same calendar (see :func:`fracfire.realism.align_to_calendar`).
        One-minute or coarser; ``attrs["has_volume"]`` False marks bars
        without volume.
    timeframes : tuple of str
        Timeframes to compare; ``'1D'`` means Globex trading days.
    discriminator : bool, default True
        Train the real-vs-synthetic classifier on windows of 60 bars.
    day_discriminator : bool, default True
        Train the classifier of whole trading days when both sides have at
        least :data:`~fracfire.realism.discriminator.MIN_DAYS` days (otherwise
        its scores are None and ``notes`` says why).
    seed : int
        Seed of the classifiers' cross-validation.

    Returns
    -------
    RealismReport

    Raises
    ------
    TypeError
        If either side is not a DataFrame.
    ValueError
        If either side is empty, misses a column of :data:`REQUIRED_COLUMNS`
        or is not sorted by time.

    Examples
    --------
    >>> report = realism_report(real, synthetic)  # doctest: +SKIP
    >>> print(report.summary())  # doctest: +SKIP
    """
    _check(real, "real")
    _check(synthetic, "synthetic")
    real_facts, syn_facts = compute_facts(real, timeframes), compute_facts(synthetic, timeframes)
    table = score_facts(real_facts, syn_facts)
    notes = _notes(real_facts, syn_facts)
    score = accuracy = day_score = day_accuracy = None
    if discriminator or day_discriminator:
        from fracfire.realism import discriminator as disc

        if discriminator:
            try:
                accuracy = disc.discriminate(real, synthetic, seed=seed)
                score = abs(accuracy - 0.5)
            except ValueError as error:  # too few windows: not measured, rather than a meaningless 0.5
                notes.append(f"window discriminator not run: {error}")
        if day_discriminator:
            x_real, x_syn = disc.day_features(real), disc.day_features(synthetic)
            if min(len(x_real), len(x_syn)) >= disc.MIN_DAYS:
                day_accuracy = disc.day_accuracy(x_real, x_syn, seed=seed)
                day_score = abs(day_accuracy - 0.5)
            else:
                notes.append(
                    f"day-level discriminator not run: {len(x_real)} real and {len(x_syn)} synthetic "
                    f"trading days, it needs {disc.MIN_DAYS} per side"
                )
    return RealismReport(
        table, score, accuracy, day_score, day_accuracy, _acf_curves(real_facts, syn_facts), tuple(notes)
    )
