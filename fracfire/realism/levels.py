"""Level matching for calibration: closed-form updates of the volatility, range and volume levels.

The shape search of :mod:`.calibration` fits scale-free moments; these steps set
the levels (mean ``|r|`` per half hour, the mean daily range, the mean volume and
its profile) from ratios of real to synthetic values, a few engine runs each.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from fracfire.calendar import INTRADAY_BUCKET_MINUTES, INTRADAY_BUCKETS, bucket_label, minute_label, minute_of_day
from fracfire.physics import PhysicsConfig
from fracfire.physics.sessions import SESSION_ORDER, session_codes
from fracfire.realism.moments import bucket_abs, bucket_volume, intraday_moments, mean_daily_range

if TYPE_CHECKING:
    from fracfire.realism.calibration import _Target

__all__ = [
    "MINUTE_SPIKE",
    "match_levels",
    "match_volume",
    "mean_moments",
    "minute_volume_shape",
    "runs_bucket_volume",
    "split_profile",
]

MINUTE_SPIKE = 3.0
"""A minute of the clock joins ``minute_volume`` when its median volume, relative to its half
hour's, is at least this many times the synthetic bars' (a scheduled burst). Set on the bundled
month's fitted sessions, where the scheduled minutes stand at 4-7x and unscheduled ones reach
about 3x: at 2, noise minutes (00:40, 21:15, ...) joined."""

MINUTE_SESSIONS = 5
"""Fewest sessions a minute of the clock must be seen in for its median to count."""


def mean_moments(runs: list[dict]) -> dict[str, float]:
    """Mean of each moment over runs (moments every run has)."""
    keys = set.intersection(*(set(r) for r in runs))
    return {k: float(np.mean([r[k] for r in runs])) for k in keys}


def split_profile(
    levels: dict[str, float], profile: np.ndarray, ratio: pd.Series, low: float, high: float
) -> tuple[dict[str, float], dict[str, float]]:
    """Apply per-half-hour ``ratio`` (NaN: no real bars there) to ``level x profile`` and
    split the result back into session levels (root mean square over the session's observed
    half hours) and a half-hour profile of mean-square 1 within each session."""
    buckets = np.arange(INTRADAY_BUCKETS)
    names = np.array([s.value for s in SESSION_ORDER])[session_codes(buckets * INTRADAY_BUCKET_MINUTES)]
    ratio = ratio.reindex(buckets).to_numpy(dtype=float)
    seen = np.isfinite(ratio) & (ratio > 0)
    combined = np.array([levels[n] for n in names]) * profile * np.where(seen, ratio, 1.0)
    new_levels, new_profile = dict(levels), profile.copy()
    for name in levels:
        mine = seen & (names == name)
        if mine.any():
            new_levels[name] = float(np.clip(np.sqrt(np.mean(combined[mine] ** 2)), low, high))
            new_profile[mine] = np.clip(combined[mine] / new_levels[name], 0.05, 20.0)
    return new_levels, {bucket_label(int(b)): round(float(new_profile[b]), 4) for b in buckets if new_profile[b] != 1.0}


def match_levels(target: _Target, config: PhysicsConfig, rounds: int = 3) -> PhysicsConfig:
    """``rounds`` of level matching on ``target``'s seeds: half-hour volatility (split into session
    levels and a profile), the mean daily range and, with volume, the volume level and profile."""
    bars = target.bars
    real_abs, real_range = bucket_abs(bars), mean_daily_range(bars)
    real_volume = bucket_volume(bars) if target.volume else None
    for _ in range(rounds):
        sims = target.simulate(config)
        volatility, volume = config.session_multipliers()
        profile, volume_profile = config.intraday_multipliers()
        syn_abs = pd.concat([bucket_abs(b) for b in sims], axis=1).mean(axis=1)
        syn_range = float(np.mean([mean_daily_range(b) for b in sims]))
        levels, shape = split_profile(volatility, profile, real_abs / syn_abs, 0.05, 20.0)
        knobs: dict = {
            "session_volatility": levels,
            "intraday_volatility": shape,
            "daily_range_mean": float(np.clip(config.daily_range_mean * real_range / syn_range, 3.0, 400.0)),
        }
        if real_volume is not None:
            level = _volume_level(target, sims)
            syn_volume = runs_bucket_volume(sims)
            knobs.update(_scaled_volume(config, level))
            knobs["session_volume"], knobs["intraday_volume"] = split_profile(
                volume, volume_profile, real_volume / syn_volume / level, 0.01, 100.0
            )
        config = config.replace(**knobs)
    return config


def runs_bucket_volume(sims: list[pd.DataFrame]) -> pd.Series:
    """Mean bar volume by half hour over runs, averaged across runs geometrically, as the volume
    level (:func:`_volume_level`) is: the runs' volume levels vary (log sd 0.2-0.3 over a month),
    and an arithmetic mean here, against the level's geometric one, read about 6 % too much volume
    in every half hour, so each round of :func:`match_levels` moved prints (``session_volume``)
    into volume per print (docs/realism.md, "A tenth pass")."""
    return np.exp(np.log(pd.concat([bucket_volume(b) for b in sims], axis=1)).mean(axis=1))


def _volume_level(target: _Target, sims: list[pd.DataFrame]) -> float:
    """Ratio of the real mean regular-hours volume to the synthetic one (geometric mean over ``sims``)."""
    moments = mean_moments([intraday_moments(b, target.minutes, target.volume) for b in sims])
    return float(np.exp(target.real.get("log_volume_rth", 0.0) - moments.get("log_volume_rth", 0.0)))


def _scaled_volume(config: PhysicsConfig, level: float) -> dict[str, float]:
    """Both volume knobs times ``level``: bar volume is linear in them (prints times
    ``volume_per_tick`` plus moves times ``volume_per_move``) and nothing else reads them,
    so this scales the volume and leaves prices and every scale-free volume moment as they are."""
    return {
        "volume_per_tick": float(np.clip(config.volume_per_tick * level, 0.01, 1e5)),
        "volume_per_move": float(np.clip(config.volume_per_move * level, 0.0, 1e5)),
    }


def _minute_shape(bars: pd.DataFrame) -> pd.Series:
    """Median volume of each minute of the ET clock (seen in :data:`MINUTE_SESSIONS` sessions or
    more) over the mean of those medians in its half hour."""
    minute = minute_of_day(bars["time"])
    grouped = pd.Series(bars["volume"].to_numpy(dtype=np.float64)).groupby(minute)
    median = grouped.median()[grouped.size() >= MINUTE_SESSIONS]
    return median / median.groupby(median.index // INTRADAY_BUCKET_MINUTES).transform("mean")


def minute_volume_shape(
    real: pd.DataFrame,
    synthetic: list[pd.DataFrame],
    threshold: float = MINUTE_SPIKE,
    keep: dict[str, float] | None = None,
) -> dict[str, float]:
    """``minute_volume`` that gives ``synthetic`` bars (made without one) the scheduled bursts of ``real``.

    A minute whose median volume within its half hour is ``threshold`` times
    the synthetic one's or more gets that ratio over the mean ratio of the
    other minutes of its half hour (the knob is relative to them); every other
    minute 1, except the bursts of ``keep`` at minutes ``real`` does not show
    in :data:`MINUTE_SESSIONS` sessions (overnight in a regular-hours file),
    which are carried over.
    One-minute bars with volume only (the caller checks).
    """
    shape = _minute_shape(real)
    seen = {minute_label(m) for m in shape.index}
    kept = {k: v for k, v in (keep or {}).items() if k not in seen}
    ratio = (shape / _minute_shape(pd.concat(synthetic))).dropna()
    spike = (ratio >= threshold).to_numpy()
    bucket = ratio.index // INTRADAY_BUCKET_MINUTES
    others = ratio[~spike].groupby(bucket[~spike]).mean()
    relative = ratio[spike] / others.reindex(bucket[spike]).fillna(1.0).to_numpy()
    return {**kept, **{minute_label(m): round(float(v), 4) for m, v in relative.items()}}


def match_volume(target: _Target, config: PhysicsConfig) -> PhysicsConfig:
    """Fit the minute bursts (one-minute bars: :func:`minute_volume_shape`; a burst at a minute the
    file does not show often enough, e.g. overnight in a regular-hours file, is kept), then scale the volume
    knobs so the mean regular-hours volume matches the real one on the target's seeds (one engine
    run per seed each). The shape search moves the volume level (through the print rate and
    ``volume_per_move``) without seeing it, so the fit ends with this."""
    if not target.volume:
        return config
    if target.minutes == 1:
        flat = config.replace(minute_volume={})
        shape = minute_volume_shape(target.bars, target.simulate(flat), keep=config.minute_volume)
        config = flat.replace(minute_volume=shape)
    return config.replace(**_scaled_volume(config, _volume_level(target, target.simulate(config))))
