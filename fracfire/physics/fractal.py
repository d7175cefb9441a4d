"""Hierarchical market states: day -> hour -> minute (:class:`FractalStateManager`).

A day draws a :class:`DayState` and a direction (up or down). Each hour draws
a :class:`HourState` from a distribution that depends on the day state (with
some persistence from the hour before); a REVERSAL hour flips the day's
direction for the rest of the day. Minutes switch between
:class:`~fracfire.physics.MarketState` values, each minute with
``minute_switch_prob`` times the state's exit rate, drawing from a
distribution that depends on the hour state.

Combined parameters
-------------------
A minute keeps its own state's tick physics, then the higher levels layer on
top of it (one rule, applied by the generator):

* volatility: multiplied by ``day.volatility * hour.volatility`` (tick rate by
  the square, as for sessions);
* direction: ``direction * (day.bias + hour.bias)`` is added to the minute's
  up-probability (clipped to [0, 1]); ``direction`` is +1 or -1 and flips
  after a REVERSAL hour;
* mean reversion: ``max(minute, day, hour)`` mean-reversion strength;
* minute states follow the direction: the ``hour_to_minute`` rows are written
  for an up day, and on a down day the weights of the up states (RALLY,
  BREAKOUT) go to BREAKDOWN and BREAKDOWN's go to BREAKOUT, so a down trend
  day breaks down where an up trend day rallies.

All probabilities live in a :class:`FractalConfig` you can load, edit and
validate (rows must sum to 1; unknown state names are rejected).
"""

from __future__ import annotations

import os
from dataclasses import field
from enum import Enum
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from pydantic import field_validator

from fracfire._atomic import write_text_atomic
from fracfire._config import Probability, Real, config_dataclass, load, real, validate
from fracfire._typing import DateLike, SeedLike
from fracfire._validation import check_keys
from fracfire.calendar import MINUTES_PER_DAY
from fracfire.exceptions import ConfigError
from fracfire.physics._kernels import markov_states
from fracfire.physics.driver import DayPlan
from fracfire.physics.schedule import Modifiers
from fracfire.physics.states import MarketState

__all__ = ["DayState", "FractalConfig", "FractalStateManager", "HourState", "LevelParams"]

_MINUTE = tuple(MarketState)


class DayState(Enum):
    """Day-level states (values are the ``day_state`` labels)."""

    TREND_DAY = "trend_day"
    RANGE_DAY = "range_day"
    BREAKOUT_DAY = "breakout_day"
    REVERSAL_DAY = "reversal_day"
    QUIET_DAY = "quiet_day"
    VOLATILE_DAY = "volatile_day"


class HourState(Enum):
    """Hour-level states (values are the ``hour_state`` labels)."""

    IMPULSE = "impulse"
    CONSOLIDATION = "consolidation"
    RETRACEMENT = "retracement"
    CONTINUATION = "continuation"
    REVERSAL = "reversal"
    CHOPPY = "choppy"


@config_dataclass
class LevelParams:
    """How a day or hour state shapes its minutes (see the module docstring).

    Parameters
    ----------
    bias : float
        Up-probability push in the level's direction, in [-0.4, 0.4].
    volatility : float
        Volatility multiplier (> 0).
    mean_reversion : float
        Mean-reversion floor in [0, 1].
    """

    bias: Real = real(0.0, -0.4, 0.4)
    volatility: Real = real(1.0, 0.0, low_open=True)
    mean_reversion: Real = real(0.0, 0.0, 1.0)


def _row(**weights: float) -> dict[str, float]:
    return weights


_DAY_PROBS = _row(trend_day=0.2, range_day=0.3, breakout_day=0.1, reversal_day=0.1, quiet_day=0.2, volatile_day=0.1)
_DAY_TO_HOUR = {
    "trend_day": _row(impulse=0.3, continuation=0.3, retracement=0.2, consolidation=0.15, reversal=0.0, choppy=0.05),
    "range_day": _row(impulse=0.1, continuation=0.05, retracement=0.15, consolidation=0.4, reversal=0.05, choppy=0.25),
    "breakout_day": _row(impulse=0.4, continuation=0.25, retracement=0.1, consolidation=0.2, reversal=0.0, choppy=0.05),
    "reversal_day": _row(impulse=0.25, continuation=0.1, retracement=0.2, consolidation=0.15, reversal=0.2, choppy=0.1),
    "quiet_day": _row(impulse=0.05, continuation=0.15, retracement=0.05, consolidation=0.55, reversal=0.0, choppy=0.2),
    "volatile_day": _row(
        impulse=0.25, continuation=0.05, retracement=0.15, consolidation=0.05, reversal=0.2, choppy=0.3
    ),
}
_HOUR_TO_MINUTE = {
    "impulse": _row(ranging=0.25, flat=0.05, zombie=0.35, rally=0.15, impulsive=0.1, breakdown=0.0, breakout=0.1),
    "consolidation": _row(
        ranging=0.5, flat=0.3, zombie=0.14, rally=0.02, impulsive=0.02, breakdown=0.01, breakout=0.01
    ),
    "retracement": _row(ranging=0.4, flat=0.2, zombie=0.25, rally=0.0, impulsive=0.05, breakdown=0.1, breakout=0.0),
    "continuation": _row(ranging=0.3, flat=0.15, zombie=0.4, rally=0.1, impulsive=0.03, breakdown=0.0, breakout=0.02),
    "reversal": _row(ranging=0.3, flat=0.05, zombie=0.1, rally=0.1, impulsive=0.25, breakdown=0.15, breakout=0.05),
    "choppy": _row(ranging=0.5, flat=0.1, zombie=0.05, rally=0.08, impulsive=0.2, breakdown=0.07, breakout=0.0),
}
_DAY_PARAMS = {
    "trend_day": LevelParams(bias=0.02, volatility=1.1),
    "range_day": LevelParams(bias=0.0, volatility=0.9, mean_reversion=0.5),
    "breakout_day": LevelParams(bias=0.02, volatility=1.3),
    "reversal_day": LevelParams(bias=0.02, volatility=1.2, mean_reversion=0.2),
    "quiet_day": LevelParams(bias=0.0, volatility=0.5, mean_reversion=0.4),
    "volatile_day": LevelParams(bias=0.0, volatility=1.6, mean_reversion=0.1),
}
_HOUR_PARAMS = {
    "impulse": LevelParams(bias=0.03, volatility=1.3),
    "consolidation": LevelParams(bias=0.0, volatility=0.6, mean_reversion=0.5),
    "retracement": LevelParams(bias=-0.04, volatility=1.0, mean_reversion=0.2),
    "continuation": LevelParams(bias=0.02, volatility=1.0),
    "reversal": LevelParams(bias=-0.03, volatility=1.3),
    "choppy": LevelParams(bias=0.0, volatility=1.1, mean_reversion=0.4),
}


Row = dict[str, Probability]


def _check_row(owner: str, row: Row, columns: type[Enum]) -> Row:
    names = {s.value for s in columns}
    check_keys(owner, row, names)
    values = {name: float(row.get(name, 0.0)) for name in sorted(names)}
    total = sum(values.values())
    if abs(total - 1.0) > 1e-6:
        raise ConfigError(f"{owner} must sum to 1; its probabilities sum to {total:.6f}")
    return values


def _check_rows(owner: str, rows: dict[str, Row], columns: type[Enum], index: type[Enum]) -> dict[str, Row]:
    check_keys(owner, rows, {s.value for s in index})
    missing = sorted({s.value for s in index} - set(rows))
    if missing:
        raise ConfigError(f"{owner} is missing rows {missing}")
    return {key: _check_row(f"{owner}[{key!r}]", row, columns) for key, row in rows.items()}


def _level(owner: str, given: dict[str, LevelParams], index: type[Enum]) -> dict[str, LevelParams]:
    check_keys(owner, given, {s.value for s in index})
    return {key: given.get(key, LevelParams()) for key in (s.value for s in index)}


@config_dataclass
class FractalConfig:
    """Transition probabilities and level effects of the fractal hierarchy (data, validated).

    Parameters
    ----------
    day_probabilities : dict
        Day-state name -> probability of a random day.
    day_to_hour : dict
        Day-state name -> (hour-state name -> probability).
    hour_to_minute : dict
        Hour-state name -> (minute-state name -> probability).
    day_params, hour_params : dict
        State name -> :class:`LevelParams` (or a dict of its fields).
    hour_persistence : float, default 0.35
        Probability that an hour repeats the previous hour's state.
    minute_switch_prob : float, default 0.06
        Base per-minute probability of a minute-state switch (times the
        state's exit rate from ``AUTO_EXIT_RATES``).
    """

    day_probabilities: Row = field(default_factory=lambda: dict(_DAY_PROBS))
    day_to_hour: dict[str, Row] = field(default_factory=lambda: {k: dict(v) for k, v in _DAY_TO_HOUR.items()})
    hour_to_minute: dict[str, Row] = field(default_factory=lambda: {k: dict(v) for k, v in _HOUR_TO_MINUTE.items()})
    day_params: dict[str, LevelParams] = field(default_factory=lambda: dict(_DAY_PARAMS))
    hour_params: dict[str, LevelParams] = field(default_factory=lambda: dict(_HOUR_PARAMS))
    hour_persistence: Real = real(0.35, 0.0, 1.0)
    minute_switch_prob: Real = real(0.06, 0.0, 1.0)

    @field_validator("day_probabilities")
    @classmethod
    def _days(cls, row: Row) -> Row:
        return _check_row("FractalConfig.day_probabilities", row, DayState)

    @field_validator("day_to_hour")
    @classmethod
    def _hours(cls, rows: dict[str, Row]) -> dict[str, Row]:
        return _check_rows("FractalConfig.day_to_hour", rows, HourState, DayState)

    @field_validator("hour_to_minute")
    @classmethod
    def _minutes(cls, rows: dict[str, Row]) -> dict[str, Row]:
        return _check_rows("FractalConfig.hour_to_minute", rows, MarketState, HourState)

    @field_validator("day_params")
    @classmethod
    def _day_levels(cls, given: dict[str, LevelParams]) -> dict[str, LevelParams]:
        return _level("FractalConfig.day_params", given, DayState)

    @field_validator("hour_params")
    @classmethod
    def _hour_levels(cls, given: dict[str, LevelParams]) -> dict[str, LevelParams]:
        return _level("FractalConfig.hour_params", given, HourState)

    def to_dict(self) -> dict:
        """Plain dicts and floats (YAML-ready)."""

        def levels(params: dict) -> dict:
            return {
                k: {"bias": p.bias, "volatility": p.volatility, "mean_reversion": p.mean_reversion}
                for k, p in params.items()
            }

        return {
            "day_probabilities": dict(self.day_probabilities),
            "day_to_hour": self.day_to_hour,
            "hour_to_minute": self.hour_to_minute,
            "day_params": levels(self.day_params),
            "hour_params": levels(self.hour_params),
            "hour_persistence": self.hour_persistence,
            "minute_switch_prob": self.minute_switch_prob,
        }

    @classmethod
    def from_dict(cls, data: dict) -> "FractalConfig":
        """Build from :meth:`to_dict` output (unknown keys rejected; every problem in one ConfigError)."""
        return validate(cls, data, "FractalConfig")

    def to_yaml(self, path: str | os.PathLike) -> Path:
        """Write the transition matrices and level effects as YAML (atomically)."""
        return write_text_atomic(path, yaml.safe_dump(self.to_dict(), sort_keys=False))

    @classmethod
    def from_yaml(cls, path: str | os.PathLike) -> "FractalConfig":
        """Read :meth:`to_yaml` output (errors name the file and the key)."""
        return load(cls, path, "fractal config file")


def _mirrored(rows: dict) -> dict:
    """Hour rows for a down day: up states' weight to BREAKDOWN, BREAKDOWN's to BREAKOUT."""
    out = {}
    for hour, row in rows.items():
        flipped = dict(row)
        flipped["breakdown"] = row["rally"] + row["breakout"]
        flipped["breakout"] = row["breakdown"]
        flipped["rally"] = 0.0
        out[hour] = flipped
    return out


def _cum(rows: dict, index: type[Enum], columns: tuple) -> np.ndarray:
    return np.array([np.cumsum([rows[i.value][c.value] for c in columns]) for i in index])


class FractalStateManager:
    """Day -> hour -> minute state hierarchy; a generator driver.

    Parameters
    ----------
    seed : int, numpy.random.Generator or None
        Randomness for :meth:`initialize_day` / :meth:`update` (the generator
        passes each day's own stream to :meth:`plan_day` instead).
    config : FractalConfig, optional
        Transition probabilities and level effects.
    day_state : DayState, optional
        Force this day state on every planned day (archetypes); random otherwise.
    direction : {1, -1}, optional
        Force the days' starting direction; random otherwise.

    Examples
    --------
    >>> from fracfire import PriceGenerator
    >>> gen = PriceGenerator(seed=1)
    >>> day = gen.generate_day("2025-01-06", driver=FractalStateManager(day_state=DayState.TREND_DAY))
    >>> sorted(day.columns[-2:])
    ['day_state', 'hour_state']
    """

    def __init__(
        self,
        seed: SeedLike = None,
        config: FractalConfig | None = None,
        day_state: DayState | None = None,
        direction: int | None = None,
    ) -> None:
        if config is not None and not isinstance(config, FractalConfig):
            raise TypeError(f"config must be a FractalConfig; got {type(config).__name__}")
        if day_state is not None and not isinstance(day_state, DayState):
            raise TypeError(f"day_state must be a DayState; got {day_state!r}")
        if direction not in (None, 1, -1):
            raise ValueError(f"direction must be 1, -1 or None; got {direction!r}")
        self.config = config or FractalConfig()
        self.day_state = day_state
        self.direction = direction
        self._rng = np.random.default_rng(seed)
        cfg = self.config
        self._day_cum = np.cumsum([cfg.day_probabilities[d.value] for d in DayState])
        self._hour_cum = _cum(cfg.day_to_hour, DayState, tuple(HourState))
        up_rows = _cum(cfg.hour_to_minute, HourState, _MINUTE)
        self._minute_cum = np.vstack([up_rows, _cum(_mirrored(cfg.hour_to_minute), HourState, _MINUTE)])
        from fracfire.physics.generator import AUTO_EXIT_RATES

        self._exit = np.array([AUTO_EXIT_RATES[s] for s in _MINUTE])
        self._plan: DayPlan | None = None
        self._plan_start: pd.Timestamp | None = None
        self._minute_state = 0

    # ------------------------------------------------------------- step-by-step API
    def initialize_day(self, day_state: DayState | None = None) -> DayState:
        """Start a new day (random day state unless given); return it."""
        if day_state is not None and not isinstance(day_state, DayState):
            raise TypeError(f"day_state must be a DayState; got {day_state!r}")
        self._pending_day = day_state
        self._plan = None
        self._plan_start = None
        return day_state if day_state is not None else self._peek_day()

    def _peek_day(self) -> DayState:
        self._pending_day = self._draw_day(self._rng.random())
        return self._pending_day

    def update(self, timestamp: DateLike) -> tuple[DayState, HourState, MarketState]:
        """States in force at ``timestamp`` (plans the day on first use after
        :meth:`initialize_day` or when the date changes)."""
        ts = pd.Timestamp(timestamp)
        ts = ts.tz_localize("America/New_York") if ts.tzinfo is None else ts.tz_convert("America/New_York")
        start = ts.normalize()
        if self._plan is None or self._plan_start != start:
            forced = getattr(self, "_pending_day", None) or self.day_state
            self._plan = self._plan_for(forced, MINUTES_PER_DAY, self._rng, self._minute_state)
            self._plan_start = start
            self._pending_day = None
        minute = int((ts - start) / pd.Timedelta(minutes=1))
        self._minute_state = int(self._plan.states[minute])
        return (
            DayState(self._plan.labels["day_state"][minute]),
            HourState(self._plan.labels["hour_state"][minute]),
            _MINUTE[self._minute_state],
        )

    # ------------------------------------------------------------- driver API
    def plan_day(self, start: pd.Timestamp, n_minutes: int, rng: np.random.Generator, previous_state: int) -> DayPlan:
        """Plan one day's states, labels and modifiers (the :class:`StateDriver` method)."""
        return self._plan_for(self.day_state, n_minutes, rng, previous_state)

    def _draw_day(self, u: float) -> DayState:
        return tuple(DayState)[min(int(np.searchsorted(self._day_cum, u, side="right")), len(DayState) - 1)]

    def _plan_for(self, day_state, n_minutes, rng, previous_state) -> DayPlan:
        cfg = self.config
        n_hours = -(-n_minutes // 60)
        u = rng.random(2 + 2 * n_hours + n_minutes)
        day = day_state if day_state is not None else self._draw_day(u[0])
        direction = self.direction or (1 if u[1] < 0.5 else -1)
        day_code = tuple(DayState).index(day)
        hours = np.empty(n_hours, dtype=np.int64)
        signs = np.empty(n_hours, dtype=np.int64)
        for h in range(n_hours):
            repeat, pick = u[2 + 2 * h], u[3 + 2 * h]
            if h and repeat < cfg.hour_persistence:
                hours[h] = hours[h - 1]
            else:
                hours[h] = min(int(np.searchsorted(self._hour_cum[day_code], pick, side="right")), 5)
            signs[h] = direction
            if tuple(HourState)[hours[h]] is HourState.REVERSAL:
                direction = -direction
        hour_of_minute = np.arange(n_minutes) // 60
        minute_hours = hours[hour_of_minute]
        rows = minute_hours + len(HourState) * (signs[hour_of_minute] < 0)
        states = markov_states(
            u[2 + 2 * n_hours :],
            np.full(n_minutes, cfg.minute_switch_prob),
            self._exit,
            self._minute_cum,
            rows,
            int(previous_state) % len(_MINUTE),
        )
        day_params = cfg.day_params[day.value]
        hour_bias = np.array([cfg.hour_params[h.value].bias for h in HourState])
        hour_vol = np.array([cfg.hour_params[h.value].volatility for h in HourState])
        hour_mr = np.array([cfg.hour_params[h.value].mean_reversion for h in HourState])
        modifiers = Modifiers(
            volatility=day_params.volatility * hour_vol[minute_hours],
            bias=signs[hour_of_minute] * (day_params.bias + hour_bias[minute_hours]),
            mean_reversion=np.maximum(day_params.mean_reversion, hour_mr[minute_hours]),
        )
        hour_names = np.array([h.value for h in HourState])
        labels = {"day_state": np.full(n_minutes, day.value), "hour_state": hour_names[minute_hours]}
        return DayPlan(states, modifiers, labels, macro_regime=day.value)
