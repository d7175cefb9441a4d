"""Indicators on bars: EMAs and session VWAP; 5-minute decision anchors."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from fracfire._validation import check_int
from fracfire.calendar import trading_day_number
from fracfire.data.resample import resample_bars
from fracfire.evaluation._kernels import ema

__all__ = [
    "DecisionAnchorConfig",
    "IndicatorConfig",
    "add_1m_indicators",
    "add_5m_indicators",
    "mark_decision_points_1m",
    "resample_bars",
    "session_vwap",
]


@dataclass(frozen=True)
class IndicatorConfig:
    """EMA spans (frozen, validated).

    Parameters
    ----------
    ema_fast, ema_slow : int
        Spans of the fast and slow EMAs of the close (``alpha = 2 / (span + 1)``,
        seeded with the first close, like pandas ``ewm(adjust=False)``).
    """

    ema_fast: int = 20
    ema_slow: int = 200

    def __post_init__(self) -> None:
        check_int("IndicatorConfig.ema_fast", self.ema_fast, low=1)
        check_int("IndicatorConfig.ema_slow", self.ema_slow, low=1)
        if self.ema_fast >= self.ema_slow:
            raise ValueError(
                f"IndicatorConfig.ema_fast ({self.ema_fast}) must be shorter than ema_slow ({self.ema_slow})"
            )


def _check(df: pd.DataFrame, where: str) -> None:
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"{where} expects a bars DataFrame; got {type(df).__name__}")
    missing = [c for c in ("time", "open", "high", "low", "close", "volume") if c not in df.columns]
    if missing:
        raise ValueError(f"{where}: bars are missing columns {missing}")
    if df.empty:
        raise ValueError(f"{where}: bars are empty (0 rows)")
    if df[["open", "high", "low", "close"]].isna().any().any():
        first = int(np.flatnonzero(df[["open", "high", "low", "close"]].isna().any(axis=1).to_numpy())[0])
        raise ValueError(f"{where}: NaN price in row {first}")
    if not df["time"].is_monotonic_increasing or df["time"].duplicated().any():
        raise ValueError(f"{where}: bars must be sorted by time without duplicates")


def session_vwap(df: pd.DataFrame) -> np.ndarray:
    """Volume-weighted average of the typical price ``(high + low + close) / 3``,
    reset at the start of every Globex trading day (18:00 ET; the anchor)."""
    typical = (df["high"] + df["low"] + df["close"]).to_numpy(dtype=float) / 3.0
    volume = df["volume"].to_numpy(dtype=float)
    day = pd.factorize(trading_day_number(df["time"]))[0]
    pv = pd.Series(typical * volume).groupby(day).cumsum().to_numpy()
    vv = pd.Series(volume).groupby(day).cumsum().to_numpy()
    return np.divide(pv, vv, out=typical.copy(), where=vv > 0)


def add_1m_indicators(df_1m: pd.DataFrame, cfg: IndicatorConfig | None = None) -> pd.DataFrame:
    """Copy of the bars with ``ema_fast``, ``ema_slow`` and ``vwap`` columns."""
    cfg = cfg or IndicatorConfig()
    _check(df_1m, "add_1m_indicators")
    close = df_1m["close"].to_numpy(dtype=float)
    return df_1m.assign(
        ema_fast=ema(close, float(cfg.ema_fast)), ema_slow=ema(close, float(cfg.ema_slow)), vwap=session_vwap(df_1m)
    )


def add_5m_indicators(df_5m: pd.DataFrame, cfg: IndicatorConfig | None = None) -> pd.DataFrame:
    """The same indicators on five-minute bars (see :func:`resample_bars`)."""
    return add_1m_indicators(df_5m, cfg)


@dataclass(frozen=True)
class DecisionAnchorConfig:
    """Which one-minute bars close a higher-timeframe bar: ``minute % modulo == offset``."""

    modulo: int = 5
    offset: int = 4

    def __post_init__(self) -> None:
        check_int("DecisionAnchorConfig.modulo", self.modulo, low=1, high=60)
        check_int("DecisionAnchorConfig.offset", self.offset, low=0, high=self.modulo - 1)


def mark_decision_points_1m(df_1m: pd.DataFrame, cfg: DecisionAnchorConfig | None = None) -> pd.Series:
    """True on one-minute bars that close a ``modulo``-minute bar (09:34, 09:39, ... by default)."""
    cfg = cfg or DecisionAnchorConfig()
    return pd.Series(
        (df_1m["time"].dt.minute % cfg.modulo == cfg.offset).to_numpy(), index=df_1m.index, name="decision"
    )
