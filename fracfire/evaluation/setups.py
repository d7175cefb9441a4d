"""The setup engine: four families of documented rules, evaluated minute by minute.

Families (parameters in each :class:`SetupFamilyConfig`):

* ``orb`` (opening-range breakout continuation): the opening range is the
  high/low of the first ``or_minutes`` of regular hours (09:30 ET). At each
  five-minute decision anchor after it and before ``last_entry``, a close
  above the range high enters long (below the low: short), once per
  direction per day; stop at the range midpoint (``stop="mid"``) or the
  opposite side (``"range"``), target ``target_r`` times the risk.
* ``level_scalp``: levels are the prior day's RTH high and low, the overnight
  (18:00-09:30) high and low and round numbers every ``round_step`` points.
  During RTH, a bar that trades through a level and closes back on its
  original side is a rejection: fade it at the close, stop ``stop_ticks``
  beyond the level, target ``target_r`` R; one trade per level per
  ``cooldown_minutes``.
* ``ema20_vwap_revert``: at a decision anchor in RTH, a close stretched more
  than ``stretch_ticks`` below VWAP on a bar that closes up (above: down)
  enters towards VWAP; the target is VWAP, the stop ``stop_buffer_ticks``
  beyond the bar's extreme.
* ``ema200_continuation``: at a decision anchor in RTH, in an uptrend
  (``close > ema_slow`` and ``ema_fast > ema_slow``) a bar whose low touches
  ``ema_fast`` and closes above it enters long (mirror for shorts); stop
  ``buffer_ticks`` beyond the bar, target ``target_r`` R.

Outcomes (:func:`evaluate_generic_entry_1m`) are evaluated from the bar after
the entry: the first bar whose range reaches the stop or the target decides;
**when both are reached in the same bar, the stop is assumed first**
(conservative). Without either within ``max_minutes`` (or by the last bar of
the entry's session: a trade never runs through the 17:00 ET close into the
next session) the trade exits at that bar's close (a time stop). MFE and MAE
are in R.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from fracfire.calendar import RTH_OPEN_MINUTE, SESSION_OPEN_MINUTE, is_rth_minute, minute_of_day, trading_day
from fracfire.evaluation._kernels import scan_exit
from fracfire.evaluation.indicators import (
    DecisionAnchorConfig,
    IndicatorConfig,
    add_1m_indicators,
    mark_decision_points_1m,
)
from fracfire.schema import TICK_SIZE, check_ohlc

__all__ = [
    "FAMILY_DEFAULTS",
    "SetupConfig",
    "SetupEntry",
    "SetupFamilyConfig",
    "SetupOutcome",
    "evaluate_generic_entry_1m",
    "evaluate_orb_entry_1m",
    "find_opening_orb_continuations_1m",
    "run_setups",
    "summarize_orb_day_1m",
]

KINDS = ("orb", "level_scalp", "ema20_vwap_revert", "ema200_continuation")


@dataclass(frozen=True)
class SetupEntry:
    """A trade idea at a bar's close."""

    time: pd.Timestamp
    direction: str
    kind: str
    entry_price: float
    stop_price: float
    target_price: float
    context: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.direction not in ("long", "short"):
            raise ValueError(f"SetupEntry.direction must be 'long' or 'short'; got {self.direction!r}")
        sign = 1 if self.direction == "long" else -1
        if sign * (self.entry_price - self.stop_price) <= 0:
            raise ValueError(
                f"{self.direction} stop {self.stop_price} is on the wrong side of entry {self.entry_price}"
            )
        if sign * (self.target_price - self.entry_price) <= 0:
            raise ValueError(
                f"{self.direction} target {self.target_price} is on the wrong side of entry {self.entry_price}"
            )

    @property
    def sign(self) -> int:
        """+1 long, -1 short."""
        return 1 if self.direction == "long" else -1

    @property
    def risk(self) -> float:
        """Points between entry and stop."""
        return abs(self.entry_price - self.stop_price)

    def to_dict(self) -> dict:
        """JSON-ready."""
        return {
            "time": str(self.time),
            "direction": self.direction,
            "kind": self.kind,
            "entry_price": self.entry_price,
            "stop_price": self.stop_price,
            "target_price": self.target_price,
            "context": self.context,
        }


@dataclass(frozen=True)
class SetupOutcome:
    """How an entry played out."""

    entry: SetupEntry
    hit_target: bool
    hit_stop: bool
    exit_time: pd.Timestamp | None
    exit_price: float
    r_multiple: float
    mfe: float
    mae: float

    def to_dict(self) -> dict:
        """JSON-ready (the format ``fracfire plot-trades`` reads)."""
        return {
            "entry": self.entry.to_dict(),
            "hit_target": self.hit_target,
            "hit_stop": self.hit_stop,
            "exit_time": None if self.exit_time is None else str(self.exit_time),
            "exit_price": self.exit_price,
            "r_multiple": self.r_multiple,
            "mfe": self.mfe,
            "mae": self.mae,
        }


FAMILY_DEFAULTS: dict[str, dict] = {
    "orb": {"or_minutes": 15, "stop": "mid", "target_r": 2.0, "last_entry": "11:30", "max_minutes": 120},
    "level_scalp": {"stop_ticks": 6, "target_r": 1.5, "round_step": 25.0, "cooldown_minutes": 30, "max_minutes": 60},
    "ema20_vwap_revert": {"stretch_ticks": 16, "stop_buffer_ticks": 4, "max_minutes": 60},
    "ema200_continuation": {"buffer_ticks": 2, "target_r": 2.0, "max_minutes": 90},
}
"""Every family's parameters and their defaults."""


@dataclass(frozen=True)
class SetupFamilyConfig:
    """One family: on/off and parameter overrides (unknown parameters rejected)."""

    enabled: bool = True
    params: dict = field(default_factory=dict)


@dataclass(frozen=True)
class SetupConfig:
    """All families plus the indicator spans and the decision anchor."""

    indicator_cfg: IndicatorConfig = field(default_factory=IndicatorConfig)
    anchor: DecisionAnchorConfig = field(default_factory=DecisionAnchorConfig)
    orb: SetupFamilyConfig = field(default_factory=SetupFamilyConfig)
    level_scalp: SetupFamilyConfig = field(default_factory=SetupFamilyConfig)
    ema20_vwap_revert: SetupFamilyConfig = field(default_factory=SetupFamilyConfig)
    ema200_continuation: SetupFamilyConfig = field(default_factory=SetupFamilyConfig)

    def __post_init__(self) -> None:
        for kind in KINDS:
            family = getattr(self, kind)
            if not isinstance(family, SetupFamilyConfig):
                raise TypeError(f"SetupConfig.{kind} must be a SetupFamilyConfig; got {family!r}")
            unknown = sorted(set(family.params) - set(FAMILY_DEFAULTS[kind]))
            if unknown:
                raise ValueError(
                    f"SetupConfig.{kind} has unknown parameter(s) {unknown}; known: {sorted(FAMILY_DEFAULTS[kind])}"
                )

    def params(self, kind: str) -> dict:
        """Defaults merged with the family's overrides."""
        return {**FAMILY_DEFAULTS[kind], **getattr(self, kind).params}


def _hhmm(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def _session_end(times: pd.Series, position: int, end: int) -> int:
    """``end``, or the row of the first bar in ``position:end`` from a later session than the bar at
    ``position - 1`` (the entry's)."""
    from fracfire.calendar import trading_day_number

    if end <= position or position == 0:
        return end
    ns = times.array.asi8 if isinstance(times.dtype, pd.DatetimeTZDtype) else None
    days = trading_day_number(ns[position - 1 : end] if ns is not None else times.iloc[position - 1 : end])
    later = np.flatnonzero(days[1:] != days[0])
    return position + int(later[0]) if later.size else end


def evaluate_generic_entry_1m(df_1m: pd.DataFrame, entry: SetupEntry, max_minutes: int) -> SetupOutcome:
    """Walk the bars after ``entry`` (see the module notes for the rules)."""
    position = int(df_1m["time"].searchsorted(entry.time, side="right"))
    end = _session_end(df_1m["time"], position, min(len(df_1m), position + max_minutes))
    high = df_1m["high"].to_numpy(dtype=float)
    low = df_1m["low"].to_numpy(dtype=float)
    close = df_1m["close"].to_numpy(dtype=float)
    index, code, best, worst = scan_exit(
        high, low, close, position, end, entry.sign, entry.stop_price, entry.target_price
    )
    risk = entry.risk
    if index < 0:
        return SetupOutcome(entry, False, False, None, entry.entry_price, 0.0, 0.0, 0.0)
    exit_price = entry.target_price if code == 1 else entry.stop_price if code == -1 else close[index]
    r = entry.sign * (exit_price - entry.entry_price) / risk
    mfe = max(0.0, entry.sign * (best - entry.entry_price) / risk)
    mae = min(0.0, entry.sign * (worst - entry.entry_price) / risk)
    return SetupOutcome(
        entry,
        code == 1,
        code == -1,
        pd.Timestamp(df_1m["time"].iloc[index]),
        float(exit_price),
        float(r),
        float(mfe),
        float(mae),
    )


# ------------------------------------------------------------------------- ORB
def _day_groups(df: pd.DataFrame):
    return df.groupby(np.asarray(trading_day(df["time"])), sort=True)


def find_opening_orb_continuations_1m(
    df_1m: pd.DataFrame, cfg: SetupConfig, anchor: pd.Series | None = None
) -> list[SetupEntry]:
    """ORB continuation entries of every day (one per direction per day)."""
    params = cfg.params("orb")
    anchor = mark_decision_points_1m(df_1m, cfg.anchor) if anchor is None else anchor
    entries = []
    for _, day in _day_groups(df_1m):
        info = _opening_range(day, params)
        if info is None:
            continue
        high, low, window = info
        window = window[anchor.loc[window.index].to_numpy()]
        for direction, sign, level in (("long", 1, high), ("short", -1, low)):
            broke = window[(sign * (window["close"] - level)) > 0]
            if broke.empty:
                continue
            bar = broke.iloc[0]
            stop = (high + low) / 2 if params["stop"] == "mid" else (low if sign > 0 else high)
            stop = _round_tick(stop)
            risk = sign * (bar["close"] - stop)
            if risk <= 0:
                continue
            target = _round_tick(bar["close"] + sign * params["target_r"] * risk)
            entries.append(
                SetupEntry(
                    bar["time"],
                    direction,
                    "orb",
                    float(bar["close"]),
                    stop,
                    target,
                    {"or_high": float(high), "or_low": float(low)},
                )
            )
    return entries


def _opening_range(day: pd.DataFrame, params: dict):
    minute = minute_of_day(day["time"])
    opening = day[(minute >= RTH_OPEN_MINUTE) & (minute < RTH_OPEN_MINUTE + params["or_minutes"])]
    if opening.empty:
        return None
    window = day[(minute >= RTH_OPEN_MINUTE + params["or_minutes"]) & (minute <= _hhmm(params["last_entry"]))]
    return float(opening["high"].max()), float(opening["low"].min()), window


def _round_tick(price: float) -> float:
    return round(price / TICK_SIZE) * TICK_SIZE


def evaluate_orb_entry_1m(df_1m: pd.DataFrame, entry: SetupEntry, cfg: SetupConfig) -> SetupOutcome:
    """Outcome of an ORB entry (``max_minutes`` from the ORB parameters)."""
    return evaluate_generic_entry_1m(df_1m, entry, cfg.params("orb")["max_minutes"])


def summarize_orb_day_1m(df_1m: pd.DataFrame, cfg: SetupConfig, anchor: pd.Series | None = None) -> pd.DataFrame:
    """Per trading day: opening range, entries, wins, losses and total R of the ORB family."""
    entries = find_opening_orb_continuations_1m(df_1m, cfg, anchor)
    outcomes = [evaluate_orb_entry_1m(df_1m, e, cfg) for e in entries]
    entry_days = trading_day(pd.DatetimeIndex([o.entry.time for o in outcomes], dtype=df_1m["time"].dtype))
    rows = []
    for date, day in _day_groups(df_1m):
        info = _opening_range(day, cfg.params("orb"))
        if info is None:
            continue
        mine = [o for o, d in zip(outcomes, entry_days, strict=True) if d == date]
        rows.append(
            {
                "date": date,
                "or_high": info[0],
                "or_low": info[1],
                "entries": len(mine),
                "targets": sum(o.hit_target for o in mine),
                "stops": sum(o.hit_stop for o in mine),
                "total_r": float(sum(o.r_multiple for o in mine)),
            }
        )
    return pd.DataFrame(rows)


# ------------------------------------------------------------------------- other families
def _levels(df: pd.DataFrame, round_step: float) -> dict:
    """Per trading day: prior RTH high/low and overnight high/low."""
    minute = minute_of_day(df["time"])
    day = np.asarray(trading_day(df["time"]))
    rth = is_rth_minute(minute)
    frame = pd.DataFrame({"day": day, "high": df["high"].to_numpy(), "low": df["low"].to_numpy(), "rth": rth})
    rth_hl = frame[frame["rth"]].groupby("day")[["high", "low"]].agg({"high": "max", "low": "min"})
    night = frame[~frame["rth"] & (minute < RTH_OPEN_MINUTE) | (minute >= SESSION_OPEN_MINUTE)]
    night_hl = night.groupby("day")[["high", "low"]].agg({"high": "max", "low": "min"})
    out = {}
    days = sorted(set(day))
    for k, d in enumerate(days):
        levels = {}
        if k and days[k - 1] in rth_hl.index:
            levels["prior_day_high"] = float(rth_hl.loc[days[k - 1], "high"])
            levels["prior_day_low"] = float(rth_hl.loc[days[k - 1], "low"])
        if d in night_hl.index:
            levels["overnight_high"] = float(night_hl.loc[d, "high"])
            levels["overnight_low"] = float(night_hl.loc[d, "low"])
        out[d] = levels
    return out


def _level_scalps(df: pd.DataFrame, cfg: SetupConfig) -> list[SetupEntry]:
    params = cfg.params("level_scalp")
    minute = minute_of_day(df["time"])
    day = np.asarray(trading_day(df["time"]))
    levels_by_day = _levels(df, params["round_step"])
    o, h, lo, c = (df[k].to_numpy(dtype=float) for k in ("open", "high", "low", "close"))
    stop_pts = params["stop_ticks"] * TICK_SIZE
    last_used: dict = {}
    entries = []
    for i in np.flatnonzero(is_rth_minute(minute)):
        levels = dict(levels_by_day.get(day[i], {}))
        step = params["round_step"]
        for k in range(int(np.floor(lo[i] / step)), int(np.ceil(h[i] / step)) + 1):
            levels[f"round_{k * step:g}"] = k * step
        for name, level in levels.items():
            if not lo[i] <= level <= h[i]:
                continue
            key = (day[i], name)
            if key in last_used and minute[i] - last_used[key] < params["cooldown_minutes"]:
                continue
            if o[i] < level and c[i] < level and h[i] > level:  # rejected from below: short
                sign, stop = -1, level + stop_pts
            elif o[i] > level and c[i] > level and lo[i] < level:  # rejected from above: long
                sign, stop = 1, level - stop_pts
            else:
                continue
            risk = sign * (c[i] - stop)
            if risk <= 0:
                continue
            last_used[key] = minute[i]
            target = _round_tick(c[i] + sign * params["target_r"] * risk)
            entries.append(
                SetupEntry(
                    df["time"].iloc[i],
                    "long" if sign > 0 else "short",
                    "level_scalp",
                    float(c[i]),
                    _round_tick(stop),
                    target,
                    {"level": name, "price": level},
                )
            )
    return entries


def _vwap_reverts(df: pd.DataFrame, cfg: SetupConfig, decision: np.ndarray) -> list[SetupEntry]:
    params = cfg.params("ema20_vwap_revert")
    minute = minute_of_day(df["time"])
    stretch = params["stretch_ticks"] * TICK_SIZE
    buffer = params["stop_buffer_ticks"] * TICK_SIZE
    entries = []
    for i in np.flatnonzero(decision & is_rth_minute(minute)):
        bar = df.iloc[i]
        vwap = float(bar["vwap"])
        if bar["close"] < vwap - stretch and bar["close"] > bar["open"]:
            sign, stop = 1, bar["low"] - buffer
        elif bar["close"] > vwap + stretch and bar["close"] < bar["open"]:
            sign, stop = -1, bar["high"] + buffer
        else:
            continue
        target = _round_tick(vwap)
        if sign * (target - bar["close"]) <= 0:
            continue
        entries.append(
            SetupEntry(
                bar["time"],
                "long" if sign > 0 else "short",
                "ema20_vwap_revert",
                float(bar["close"]),
                _round_tick(stop),
                target,
                {"vwap": vwap, "ema_fast": float(bar["ema_fast"])},
            )
        )
    return entries


def _ema_continuations(df: pd.DataFrame, cfg: SetupConfig, decision: np.ndarray) -> list[SetupEntry]:
    params = cfg.params("ema200_continuation")
    minute = minute_of_day(df["time"])
    buffer = params["buffer_ticks"] * TICK_SIZE
    entries = []
    for i in np.flatnonzero(decision & is_rth_minute(minute)):
        bar = df.iloc[i]
        fast, slow = float(bar["ema_fast"]), float(bar["ema_slow"])
        if bar["close"] > slow and fast > slow and bar["low"] <= fast < bar["close"]:
            sign, stop = 1, bar["low"] - buffer
        elif bar["close"] < slow and fast < slow and bar["high"] >= fast > bar["close"]:
            sign, stop = -1, bar["high"] + buffer
        else:
            continue
        stop = _round_tick(stop)
        risk = sign * (bar["close"] - stop)
        target = _round_tick(bar["close"] + sign * params["target_r"] * risk)
        entries.append(
            SetupEntry(
                bar["time"],
                "long" if sign > 0 else "short",
                "ema200_continuation",
                float(bar["close"]),
                stop,
                target,
                {"ema_fast": fast, "ema_slow": slow},
            )
        )
    return entries


def run_setups(df_1m: pd.DataFrame, df_5m: pd.DataFrame | None, cfg: SetupConfig | None = None) -> list[SetupOutcome]:
    """Find and evaluate every enabled family on one-minute bars.

    Parameters
    ----------
    df_1m : pandas.DataFrame
        One-minute bars (indicators are added if missing).
    df_5m : pandas.DataFrame, optional
        Five-minute bars; accepted for the seed's signature and checked to
        cover the same span (decisions are taken on the one-minute bars that
        close each five-minute bar, so they see the same prices).
    cfg : SetupConfig, optional

    Returns
    -------
    list of SetupOutcome
        Sorted by entry time.
    """
    cfg = cfg or SetupConfig()
    check_ohlc(df_1m, "run_setups: df_1m")
    if df_5m is not None and not df_5m.empty and df_5m["time"].iloc[0] < df_1m["time"].iloc[0]:
        raise ValueError("df_5m starts before df_1m: pass bars of the same span")
    df = (
        df_1m if {"ema_fast", "ema_slow", "vwap"} <= set(df_1m.columns) else add_1m_indicators(df_1m, cfg.indicator_cfg)
    )
    df = df.reset_index(drop=True)
    decision = mark_decision_points_1m(df, cfg.anchor).to_numpy()
    entries: list[SetupEntry] = []
    if cfg.orb.enabled:
        entries += find_opening_orb_continuations_1m(df, cfg, pd.Series(decision, index=df.index))
    if cfg.level_scalp.enabled:
        entries += _level_scalps(df, cfg)
    if cfg.ema20_vwap_revert.enabled:
        entries += _vwap_reverts(df, cfg, decision)
    if cfg.ema200_continuation.enabled:
        entries += _ema_continuations(df, cfg, decision)
    entries.sort(key=lambda e: (e.time, e.kind))
    return [evaluate_generic_entry_1m(df, e, cfg.params(e.kind)["max_minutes"]) for e in entries]
