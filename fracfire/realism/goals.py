"""The realism goals and the headline table that judges a scorecard against them (:func:`headline_facts`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from fracfire.calendar import MINUTES_PER_DAY
from fracfire.data.resample import timeframe_minutes
from fracfire.realism import facts

if TYPE_CHECKING:
    from fracfire.realism.scorecard import RealismReport

__all__ = ["GOALS", "headline_facts"]


GOALS: dict[str, tuple[str | None, str, str, float, str]] = {
    "zero-range share of RTH 1-min bars (%)": ("1min", "zero_range_share_rth", "abs", 1.0, "within 1 percentage point"),
    "body fraction of RTH 1-min bars": ("1min", "body_fraction_rth", "abs", 0.05, "within 0.05"),
    "lag-1 ACF of 1-min returns": ("1min", "acf_ret_1", "abs", 0.03, "within 0.03"),
    "|r| ACF of 1-min returns, lags 1-30": (
        "1min",
        "acf_abs_1_30",
        "curve",
        0.25,
        "mean relative error per lag <= 25 %",
    ),
    "U-shape of volatility (corr)": (None, "intraday_abs_return_corr", "min", 0.9, "correlation >= 0.9"),
    "U-shape of volume (corr)": (None, "intraday_volume_corr", "min", 0.9, "correlation >= 0.9"),
    **{f"Hill index, {m} min": (f"{m}min", "hill_index", "abs", 0.5, "within 0.5") for m in (1, 5, 15, 30)},
    **{f"excess kurtosis, {m} min": (f"{m}min", "excess_kurtosis", "info", np.nan, "") for m in (1, 5, 15, 30)},
    "kurtosis ratio 5 min / 1 min": ("5min", "kurtosis_ratio_5_1", "rel", 0.25, "within 25 %"),
    **{f"log daily RV ACF, lag {lag}": ("1D", f"log_rv_acf_{lag}", "abs", 0.1, "within 0.1") for lag in facts.RV_LAGS},
    "daily range CV": ("1D", "daily_range_cv", "rel", 0.25, "within 25 %"),
    "trend-day share": ("1D", "trend_day_share", "info", np.nan, ""),
    "day-normalised 5-min excess kurtosis": ("1D", "day_normalised_kurtosis", "info", np.nan, ""),
}
"""Headline fact -> (timeframe, metric, kind, tolerance, goal in words).

``timeframe`` None means the finest intraday timeframe of the table (the bar
size). Kinds: ``abs`` met when ``|synthetic - real| <= tolerance``; ``rel``
when ``|synthetic / real - 1| <= tolerance``; ``curve`` when the row's distance
(mean relative error per lag) is; ``min`` when ``synthetic >= tolerance``;
``info`` has no goal."""


def _intraday_timeframes(table: pd.DataFrame) -> list[str]:
    present = set(table.index.get_level_values("timeframe"))
    return sorted((tf for tf in present if timeframe_minutes(tf) < MINUTES_PER_DAY), key=timeframe_minutes)


def _goal_rows(table: pd.DataFrame) -> list[tuple[str, float, float, float]]:
    """``(fact, real, synthetic, difference)`` of the :data:`GOALS` facts present in ``table``."""
    intraday = _intraday_timeframes(table)
    rows = []
    for fact, (tf, metric, kind, _, _) in GOALS.items():
        tf = tf or (intraday[0] if intraday else None)
        if tf is None or (tf, metric) not in table.index:
            continue
        real, syn, distance = (float(v) for v in table.loc[(tf, metric), ["real", "synthetic", "distance"]])
        if kind == "curve":
            diff = distance
        elif kind == "rel":
            diff = syn / real - 1 if real else float("inf")
        else:
            diff = syn - real
        rows.append((fact, real, syn, diff))
    return rows


def _met(fact: str, synthetic: float, difference: float) -> bool | None:
    kind, tol = GOALS[fact][2], GOALS[fact][3]
    if kind == "info":
        return None
    if kind == "min":
        return bool(synthetic >= tol)
    return bool((difference if kind == "curve" else abs(difference)) <= tol)


def headline_facts(report: RealismReport | pd.DataFrame | Sequence[RealismReport | pd.DataFrame]) -> pd.DataFrame:
    """The facts the realism goals are stated in, with pass/fail (see :data:`GOALS`).

    Parameters
    ----------
    report : RealismReport, its ``table``, or a list of either
        One report; or several of the same real bars (seeds), whose synthetic
        values and differences are averaged before the goals are judged.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``fact``; columns ``real, synthetic, difference, goal, met``,
        and with several reports ``synthetic_sd`` after ``synthetic``: the
        standard deviation of the fact over the reports (seeds), how far one
        run moves it, so a miss by less than that says little.
        ``difference`` is ``synthetic - real`` for ``abs`` and ``min`` goals,
        ``synthetic / real - 1`` for ``rel`` goals and the mean relative error
        per lag for the ``|r|`` ACF (whose ``real``/``synthetic`` are the mean
        ACF over lags 1-30). U-shape rows show the correlation of the
        30-minute profiles (real 1) at the bar size. ``met`` is None for facts
        without a goal. Facts missing from a table (finer than the bars,
        volume without volume, too few days) are left out.

    Examples
    --------
    >>> headline_facts(realism_report(real, synthetic))  # doctest: +SKIP
    >>> headline_facts([realism_report(real, make(seed)) for seed in (0, 1, 2)])  # doctest: +SKIP
    """
    reports = list(report) if isinstance(report, (list, tuple)) else [report]
    frames = []
    for item in reports:
        table = getattr(item, "table", item)  # a RealismReport or its table
        if not isinstance(table, pd.DataFrame) or list(table.index.names) != ["timeframe", "metric"]:
            raise TypeError(
                "headline_facts: report must be a RealismReport or its table (or a list of them); "
                f"got {type(item).__name__}"
            )
        frames.append(
            pd.DataFrame(_goal_rows(table), columns=["fact", "real", "synthetic", "difference"]).set_index("fact")
        )
    if not frames:
        raise ValueError("headline_facts: got an empty list of reports")
    common = [fact for fact in frames[0].index if all(fact in f.index for f in frames[1:])]
    frame = frames[0].loc[common, ["real"]].copy()
    runs = {c: np.array([f.loc[common, c].to_numpy(dtype=float) for f in frames]) for c in ("synthetic", "difference")}
    for column, values in runs.items():
        frame[column] = values.mean(axis=0)
    if len(frames) > 1:  # how far one run of the generator moves the fact: a miss inside it is noise
        frame.insert(2, "synthetic_sd", runs["synthetic"].std(axis=0, ddof=1))
    frame["goal"] = [GOALS[fact][4] for fact in common]
    frame["met"] = pd.Series(
        [_met(fact, row.synthetic, row.difference) for fact, row in frame.iterrows()], index=frame.index, dtype=object
    )
    return frame
