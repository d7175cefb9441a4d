"""High-probability zones: moments the synthetic state path marks as worth acting on.

Zone kinds, labelled on bars whose state path the generator knows (each at
the bar where a trader could act; later labels win where kinds overlap,
in this order):

* ``compression``: a RANGING or FLAT bar within ``lead`` minutes before a
  BREAKOUT or BREAKDOWN run starts (the squeeze before the move);
* ``exhaustion``: a bar within ``lead`` minutes before an hour whose
  ``hour_state`` is REVERSAL starts (needs ``hour_state``; skipped without it);
* ``breakout_onset``: the first ``onset`` bars of a BREAKOUT or BREAKDOWN run;
* ``first_pullback``: inside a RALLY or BREAKDOWN run, the first bar that
  closes against the run after at least ``min_run`` bars of it (joining the trend).

All other bars are ``none``. :class:`ZoneDetector` learns them from bar
features; :func:`evaluate_zones` measures, on real bars without labels,
what follows the bars it flags.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from fracfire._typing import Features, Horizons
from fracfire.models.state_detector import StateDetector

__all__ = ["ZONE_KINDS", "ZoneDetector", "evaluate_zones", "label_high_prob_zones"]

MIN_BOOTSTRAP_DAYS = 10
"""Fewer trading days than this give :func:`evaluate_zones` no interval for the day-block lifts (NaN): with
one day every resample is that day, with two there are three distinct ones."""
ZONE_KINDS = ("none", "compression", "exhaustion", "breakout_onset", "first_pullback")


def _runs(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    change = np.concatenate([[True], values[1:] != values[:-1]])
    starts = np.flatnonzero(change)
    return starts, np.concatenate([starts[1:], [len(values)]])


def label_high_prob_zones(bars: pd.DataFrame, lead: int = 15, onset: int = 3, min_run: int = 3) -> pd.Series:
    """Zone label of every bar (see the module docstring for the rules).

    Parameters
    ----------
    bars : pandas.DataFrame
        Labelled synthetic bars (``state``; ``hour_state`` optional).
    lead, onset, min_run : int
        Minutes of anticipation, bars of onset, bars of trend before a pullback counts.

    Returns
    -------
    pandas.Series
        Categorical with categories :data:`ZONE_KINDS`.
    """
    if "state" not in bars.columns or bars["state"].isna().any():
        raise ValueError("label_high_prob_zones needs bars with a complete 'state' column (synthetic bars)")
    state = bars["state"].astype(str).to_numpy()
    n = len(state)
    zone = np.full(n, "none", dtype=object)
    starts, ends = _runs(state)
    calm = np.isin(state, ["ranging", "flat"])
    for s in starts[np.isin(state[starts], ["breakout", "breakdown"])]:
        window = np.arange(max(0, s - lead), s)
        zone[window[calm[window]]] = "compression"
    if "hour_state" in bars.columns and bars["hour_state"].notna().all():
        hour = bars["hour_state"].astype(str).to_numpy()
        h_starts, _ = _runs(hour)
        for s in h_starts[hour[h_starts] == "reversal"]:
            zone[max(0, s - lead) : s] = "exhaustion"
    for s, e in zip(starts, ends, strict=True):
        if state[s] in ("breakout", "breakdown"):
            zone[s : min(e, s + onset)] = "breakout_onset"
    delta = bars["delta_ticks"].to_numpy()
    for s, e in zip(starts, ends, strict=True):
        if state[s] not in ("rally", "breakdown"):
            continue
        sign = 1 if state[s] == "rally" else -1
        against = np.flatnonzero(sign * delta[s + min_run : e] < 0)
        if len(against):
            zone[s + min_run + against[0]] = "first_pullback"
    return pd.Series(pd.Categorical(zone, categories=list(ZONE_KINDS)), index=bars.index, name="zone")


class ZoneDetector(StateDetector):
    """A :class:`StateDetector` trained on zone labels instead of states.

    ``fit(features, label_high_prob_zones(bars))``; :meth:`zone_proba` is the
    probability that a bar is in any zone. Fine-tuning works as for states.
    """

    def zone_proba(self, X: Features) -> np.ndarray:
        """Probability of every row being in some zone (1 - P(``none``))."""
        proba = self.predict_proba(X)
        none = np.flatnonzero(self.classes_ == "none")
        return 1.0 - proba[:, none[0]] if len(none) else proba.sum(axis=1)


def _lift_ci(inside: np.ndarray, outside: np.ndarray, n_boot: int, rng: np.random.Generator) -> tuple:
    base = outside.mean()
    lift = inside.mean() / base if base else np.nan
    boots = np.empty(n_boot)
    for b in range(n_boot):
        a = inside[rng.integers(0, len(inside), len(inside))].mean()
        o = outside[rng.integers(0, len(outside), len(outside))].mean()
        boots[b] = a / o if o else np.nan
    low, high = np.nanpercentile(boots, [2.5, 97.5])
    return float(inside.mean()), float(base), float(lift), float(low), float(high)


def _day_block_lifts(
    values: np.ndarray, flagged: np.ndarray, bucket: np.ndarray, day: np.ndarray, n_boot: int, rng: np.random.Generator
) -> tuple:
    """Lift of the flagged bars against all others and against others at the same half hour, with 95 %
    intervals from a bootstrap over trading days (forward windows overlap within a day, not across days;
    NaN with fewer than :data:`MIN_BOOTSTRAP_DAYS` days)."""
    days, d = np.unique(day, return_inverse=True)
    n_buckets = int(bucket.max()) + 1

    def per_day_bucket(mask):
        sums, counts = np.zeros((len(days), n_buckets)), np.zeros((len(days), n_buckets))
        np.add.at(sums, (d[mask], bucket[mask]), values[mask])
        np.add.at(counts, (d[mask], bucket[mask]), 1.0)
        return sums, counts

    blocks = (*per_day_bucket(flagged), *per_day_bucket(~flagged))

    def lifts(weights: np.ndarray) -> np.ndarray:
        fs, fc, os_, oc = (weights @ b for b in blocks)
        zone, other = fs.sum() / max(fc.sum(), 1e-12), os_.sum() / max(oc.sum(), 1e-12)
        both = (fc > 0) & (oc > 0)
        matched_other = float(np.sum(fc[both] * os_[both] / oc[both]) / max(fc[both].sum(), 1e-12))
        matched_zone = fs[both].sum() / max(fc[both].sum(), 1e-12)
        return np.array(
            [
                zone,
                other,
                zone / other if other else np.nan,
                matched_other,
                matched_zone / matched_other if matched_other else np.nan,
            ]
        )

    point = lifts(np.ones(len(days)))
    boots = np.array([lifts(rng.multinomial(len(days), np.full(len(days), 1.0 / len(days)))) for _ in range(n_boot)])
    low, high = np.nanpercentile(boots[:, 2], [2.5, 97.5])
    m_low, m_high = np.nanpercentile(boots[:, 4], [2.5, 97.5])
    if len(days) < MIN_BOOTSTRAP_DAYS:  # a few days have a handful of distinct resamples: no interval
        low = high = m_low = m_high = np.nan
    return (
        float(point[0]),
        float(point[1]),
        float(point[2]),
        float(low),
        float(high),
        float(point[3]),
        float(point[4]),
        float(m_low),
        float(m_high),
    )


def evaluate_zones(
    bars: pd.DataFrame,
    zone_proba: np.ndarray,
    threshold: float = 0.5,
    horizons: Horizons = (15, 30),
    setup_outcomes: Sequence | None = None,
    n_boot: int = 1000,
    seed: int = 0,
) -> pd.DataFrame:
    """What follows flagged bars, against all other bars, on (real) bars without labels.

    Per horizon: the forward range (ticks) and the absolute directional move
    (ticks) after bars with ``zone_proba >= threshold`` vs the rest, and their
    ratio (lift). Volatility has a strong time-of-day shape, so a detector
    that flags busy half hours shows a lift without knowing anything else: the
    ``matched_lift`` compares the flagged bars with the other bars *of the same
    half hour of the ET clock* (weighted like the flagged bars). Intervals
    (95 %) come from a bootstrap over trading days, since forward windows
    overlap within a day. With ``setup_outcomes``, the mean R multiple of
    setups entered inside vs outside a flagged bar (as mean R + 2, so the
    ratio stays defined; a bootstrap over trades, no matched baseline).

    Returns
    -------
    pandas.DataFrame
        Columns ``metric, horizon, zone_mean, other_mean, lift, ci_low, ci_high,
        matched_other_mean, matched_lift, matched_ci_low, matched_ci_high, zone_bars, other_bars``.
    """
    from fracfire.models.targets import future_targets

    flagged = np.asarray(zone_proba) >= threshold
    if flagged.sum() < 10 or (~flagged).sum() < 10:
        raise ValueError(
            f"need at least 10 flagged and 10 other bars; got {int(flagged.sum())} flagged "
            f"of {len(flagged)} at threshold {threshold:g} (lower the threshold, or raise "
            "--top-share in 'fracfire experiment zones'; a longer real file flags more bars)"
        )
    from fracfire.calendar import INTRADAY_BUCKET_MINUTES, minute_of_day, trading_day_number

    rng = np.random.default_rng(seed)
    targets = future_targets(bars, tuple(horizons))
    bucket = np.asarray(minute_of_day(bars["time"])) // INTRADAY_BUCKET_MINUTES
    day = np.asarray(trading_day_number(bars["time"]))
    rows = []
    for h in horizons:
        for metric, values in (
            ("forward_range", targets[f"range_{h}"].to_numpy()),
            ("abs_move", np.abs(targets[f"delta_{h}"].to_numpy())),
        ):
            ok = ~np.isnan(values)
            stats = _day_block_lifts(values[ok], flagged[ok], bucket[ok], day[ok], n_boot, rng)
            rows.append((metric, h, *stats, int((ok & flagged).sum()), int((ok & ~flagged).sum())))
    if setup_outcomes:
        positions = bars["time"].searchsorted(pd.DatetimeIndex([o.entry.time for o in setup_outcomes]))
        r = np.array([o.r_multiple for o in setup_outcomes]) + 2.0
        inside = flagged[np.minimum(positions, len(flagged) - 1)]
        if inside.sum() >= 2 and (~inside).sum() >= 2:
            stats = _lift_ci(r[inside], r[~inside], n_boot, rng)
            nan = float("nan")
            rows.append(("setup_r_plus_2", 0, *stats, nan, nan, nan, nan, int(inside.sum()), int((~inside).sum())))
    return pd.DataFrame(
        rows,
        columns=[
            "metric",
            "horizon",
            "zone_mean",
            "other_mean",
            "lift",
            "ci_low",
            "ci_high",
            "matched_other_mean",
            "matched_lift",
            "matched_ci_low",
            "matched_ci_high",
            "zone_bars",
            "other_bars",
        ],
    )
