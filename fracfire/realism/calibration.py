"""Automatic calibration of :class:`~fracfire.physics.PhysicsConfig` to real bars.

Method
------
1. **Moment matching** (a few engine runs): scale ``daily_range_mean`` so the
   one-minute return std matches; set each session's volatility multiplier
   from the ratio of real to synthetic return std in that session; set
   ``volume_per_tick`` and each session's volume multiplier from mean volumes.
2. **Derivative-free refinement**: scipy's bounded Powell method over every
   knob in :data:`SEARCH_SPACE` (multiplicative knobs on a log scale),
   minimising the scorecard's summary distance (without the classifier) on
   the training slice. Every evaluation uses the same seeds (common random
   numbers), so the objective is deterministic and the result reproducible.

The distance before and after is reported on the training slice and on a
later validation slice the search never saw.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from fracfire.physics import PhysicsConfig
from fracfire.physics.sessions import Session
from fracfire.realism.calendar import split_by_time, synthetic_like
from fracfire.realism.facts import SESSION_BREAK, log_returns
from fracfire.realism.scorecard import compute_facts, score_facts, summary_distance

__all__ = ["CALIBRATION_TIMEFRAMES", "CalibrationResult", "SEARCH_SPACE", "calibrate", "config_distance"]

CALIBRATION_TIMEFRAMES = ("1min", "5min", "1h", "1D")

SEARCH_SPACE: dict[str, tuple[float, float, bool]] = {
    "base_volatility": (0.2, 8.0, True),
    "avg_ticks_per_bar": (0.5, 40.0, True),
    "daily_range_mean": (5.0, 400.0, True),
    "daily_range_cv": (0.0, 1.5, False),
    "runner_prob": (0.0, 0.6, False),
    "runner_target_mult": (1.0, 5.0, False),
    "wick_probability": (0.0, 0.8, False),
    "wick_extension_avg": (1.0, 5.0, False),
    "volume_per_tick": (1.0, 2000.0, True),
    "trend_strength": (0.0, 1.5, False),
    "rth_open_boost": (0.0, 6.0, False),
    "rth_close_boost": (0.0, 6.0, False),
    **{f"vol_{s.value}": (0.1, 4.0, True) for s in Session},
    **{f"volume_{s.value}": (0.05, 10.0, True) for s in Session},
}
"""Knob -> (low, high, log scale). ``daily_range_cv`` is ``daily_range_std / daily_range_mean``;
``vol_<session>`` and ``volume_<session>`` are the session multipliers."""

_NAMES = list(SEARCH_SPACE)


def _to_vector(config: PhysicsConfig) -> np.ndarray:
    volatility, volume = config.session_multipliers()
    values = {**config.to_dict(), "daily_range_cv": config.daily_range_std / config.daily_range_mean,
              **{f"vol_{k}": v for k, v in volatility.items()}, **{f"volume_{k}": v for k, v in volume.items()}}
    out = []
    for name in _NAMES:
        low, high, log = SEARCH_SPACE[name]
        value = float(np.clip(values[name], low, high))
        out.append((np.log(value) - np.log(low)) / (np.log(high) - np.log(low)) if log
                   else (value - low) / (high - low))
    return np.array(out)


def _from_vector(x: np.ndarray, base: PhysicsConfig) -> PhysicsConfig:
    values = {}
    for name, u in zip(_NAMES, np.clip(x, 0.0, 1.0), strict=True):
        low, high, log = SEARCH_SPACE[name]
        values[name] = float(np.exp(np.log(low) + u * (np.log(high) - np.log(low))) if log
                             else low + u * (high - low))
    knobs = {k: v for k, v in values.items() if k in base.to_dict()}
    knobs["daily_range_std"] = values["daily_range_cv"] * values["daily_range_mean"]
    knobs["session_volatility"] = {s.value: values[f"vol_{s.value}"] for s in Session}
    knobs["session_volume"] = {s.value: values[f"volume_{s.value}"] for s in Session}
    return base.replace(**knobs)


def config_distance(real_facts: dict, calendar: pd.DataFrame, config: PhysicsConfig,
                    seeds: tuple[int, ...] = (0,), timeframes=CALIBRATION_TIMEFRAMES) -> float:
    """Mean summary distance (no classifier) of ``config`` on ``calendar`` over ``seeds``."""
    return float(np.mean([
        summary_distance(score_facts(real_facts, compute_facts(synthetic_like(calendar, config, seed),
                                                               timeframes)))
        for seed in seeds]))


def _session_stats(bars: pd.DataFrame) -> pd.DataFrame:
    close = np.log(bars["close"].to_numpy(dtype=float))
    r = np.diff(close, prepend=close[0])
    step = np.diff(bars["time"].to_numpy(dtype="datetime64[ns]").astype(np.int64), prepend=0)
    r[(step > SESSION_BREAK.value) | (np.arange(len(r)) == 0)] = np.nan
    frame = pd.DataFrame({"session": bars["session"].astype(str).to_numpy(), "r": r,
                          "volume": bars["volume"].to_numpy(dtype=float)})
    return frame.groupby("session").agg(std=("r", "std"), volume=("volume", "mean"))


def _moment_match(train: pd.DataFrame, config: PhysicsConfig, seed: int, rounds: int = 3) -> PhysicsConfig:
    real_std = float(np.std(log_returns(train)))
    real_sessions = _session_stats(train)
    for _ in range(rounds):
        syn = synthetic_like(train, config, seed)
        ratio = real_std / max(float(np.std(log_returns(syn))), 1e-12)
        config = config.replace(daily_range_mean=float(np.clip(config.daily_range_mean * ratio, 5, 400)),
                                daily_range_std=float(np.clip(config.daily_range_std * ratio, 0, 600)))
        syn = synthetic_like(train, config, seed)
        syn_sessions = _session_stats(syn)
        volatility, volume = config.session_multipliers()
        common = real_sessions.index.intersection(syn_sessions.index)
        vol_ratio = (real_sessions.loc[common, "std"] / syn_sessions.loc[common, "std"]).fillna(1.0)
        volume_ratio = real_sessions.loc[common, "volume"] / syn_sessions.loc[common, "volume"]
        level = float(volume_ratio.median())
        config = config.replace(
            volume_per_tick=float(np.clip(config.volume_per_tick * level, 1, 2000)),
            session_volatility={k: float(np.clip(volatility[k] * vol_ratio.get(k, 1.0) ** 0.5, 0.1, 4))
                                for k in volatility},
            session_volume={k: float(np.clip(volume[k] * volume_ratio.get(k, level) / level, 0.05, 10))
                            for k in volume},
        )
    return config


@dataclass(frozen=True)
class CalibrationResult:
    """Outcome of :func:`calibrate`.

    Attributes
    ----------
    config : PhysicsConfig
        The calibrated knobs.
    start : PhysicsConfig
        The knobs the search started from.
    train_before, train_after, validation_before, validation_after : float
        Summary distance (no classifier) of ``start`` and ``config`` on the
        training slice and on the held-out validation slice.
    evaluations : int
        Engine runs used by the refinement.
    history : list of float
        Best training distance after each evaluation.
    train_days, validation_days : int
        Trading sessions in each slice.
    """

    config: PhysicsConfig
    start: PhysicsConfig
    train_before: float
    train_after: float
    validation_before: float
    validation_after: float
    evaluations: int
    train_days: int
    validation_days: int
    history: list = field(default_factory=list, repr=False)

    def summary(self) -> str:
        """Two lines: training and validation distances before and after."""
        return (f"train ({self.train_days} sessions): {self.train_before:.3f} -> {self.train_after:.3f}\n"
                f"validation ({self.validation_days} sessions): {self.validation_before:.3f} -> "
                f"{self.validation_after:.3f} ({self.evaluations} evaluations)")


def calibrate(real: pd.DataFrame, start: PhysicsConfig | None = None, train_fraction: float = 0.6,
              max_evaluations: int = 400, seeds: tuple[int, ...] = (0, 1),
              progress: Callable[[int, int, float], None] | None = None) -> CalibrationResult:
    """Fit the physics knobs to real bars (see the module docstring for the method).

    Parameters
    ----------
    real : pandas.DataFrame
        Real one-minute bars (from :func:`fracfire.data.load_continuous_contract`).
    start : PhysicsConfig, optional
        Starting knobs (defaults).
    train_fraction : float, default 0.6
        Share of the sessions fitted on; the rest is the validation slice.
    max_evaluations : int, default 400
        Budget of engine runs for the refinement.
    seeds : tuple of int, default (0, 1)
        Engine seeds averaged in every evaluation (common random numbers; two
        seeds keep the search from fitting one realisation's noise).
    progress : callable, optional
        ``progress(evaluations, max_evaluations, best_distance)`` after each run.

    Returns
    -------
    CalibrationResult
    """
    from scipy.optimize import minimize

    start = start or PhysicsConfig()
    train, validation = split_by_time(real, train_fraction)
    train_facts = compute_facts(train, CALIBRATION_TIMEFRAMES)
    validation_facts = compute_facts(validation, CALIBRATION_TIMEFRAMES)
    matched = _moment_match(train, start, seeds[0])
    history: list[float] = []
    best = {"x": _to_vector(matched), "f": config_distance(train_facts, train, matched, seeds)}

    def objective(x: np.ndarray) -> float:
        if len(history) >= max_evaluations:
            return best["f"] + 1.0  # budget spent: make the optimiser stop improving
        value = config_distance(train_facts, train, _from_vector(x, start), seeds)
        if value < best["f"]:
            best.update(x=np.array(x), f=value)
        history.append(best["f"])
        if progress is not None:
            progress(len(history), max_evaluations, best["f"])
        return value

    minimize(objective, best["x"], method="Powell", bounds=[(0.0, 1.0)] * len(_NAMES),
             options={"maxfev": max_evaluations, "xtol": 1e-3, "ftol": 1e-4})
    config = _from_vector(best["x"], start) if history else matched
    return CalibrationResult(
        config=config, start=start,
        train_before=config_distance(train_facts, train, start, seeds),
        train_after=config_distance(train_facts, train, config, seeds),
        validation_before=config_distance(validation_facts, validation, start, seeds),
        validation_after=config_distance(validation_facts, validation, config, seeds),
        evaluations=len(history), history=history,
        train_days=int(train["segment_id"].nunique()), validation_days=int(validation["segment_id"].nunique()),
    )
