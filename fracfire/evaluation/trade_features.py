"""Per-trade features and bad-trade variants (hesitation, chase)."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from fracfire._validation import check_int
from fracfire.evaluation.setups import SetupOutcome, evaluate_generic_entry_1m

__all__ = ["BadTradeConfig", "compute_trade_features", "inject_bad_trade_variants"]

LOW_RR = 1.0
"""Reward/risk below which ``low_rr_flag`` is set."""


def compute_trade_features(outcome: SetupOutcome, df_ind: pd.DataFrame) -> dict:
    """Features of one trade at its entry bar (``df_ind`` from :func:`add_1m_indicators`).

    Returns
    -------
    dict
        ``kind, direction, variant``, distances (points, signed in the trade's
        direction) to ``ema_fast``, ``ema_slow`` and ``vwap``; entry-candle
        geometry ``body_frac, wick_up_frac, wick_dn_frac``; timing ``hour,
        minute, bars_to_exit``; ``risk`` (points), ``reward_risk``,
        ``r_multiple, mfe, mae, mfe_mae_ratio``; flags ``low_rr_flag``
        (reward/risk < 1), ``chase_flag``, ``hesitation_flag``; and every
        entry context item as ``ctx_<key>``.
    """
    missing = [c for c in ("ema_fast", "ema_slow", "vwap") if c not in df_ind.columns]
    if missing:
        raise ValueError(f"compute_trade_features needs indicator columns {missing} (use add_1m_indicators)")
    entry = outcome.entry
    position = int(df_ind["time"].searchsorted(entry.time))
    if position >= len(df_ind) or df_ind["time"].iloc[position] != entry.time:
        raise ValueError(f"entry time {entry.time} is not a bar of df_ind")
    bar = df_ind.iloc[position]
    span = max(float(bar["high"] - bar["low"]), 1e-12)
    top, bottom = max(bar["open"], bar["close"]), min(bar["open"], bar["close"])
    sign = entry.sign
    exit_position = int(df_ind["time"].searchsorted(outcome.exit_time)) if outcome.exit_time is not None else position
    reward_risk = abs(entry.target_price - entry.entry_price) / entry.risk
    variant = entry.context.get("variant", "original")
    features = {
        "time": str(entry.time),
        "kind": entry.kind,
        "direction": entry.direction,
        "variant": variant,
        "dist_ema_fast": sign * (entry.entry_price - bar["ema_fast"]),
        "dist_ema_slow": sign * (entry.entry_price - bar["ema_slow"]),
        "dist_vwap": sign * (entry.entry_price - bar["vwap"]),
        "body_frac": (top - bottom) / span,
        "wick_up_frac": (bar["high"] - top) / span,
        "wick_dn_frac": (bottom - bar["low"]) / span,
        "hour": int(bar["time"].hour),
        "minute": int(bar["time"].minute),
        "bars_to_exit": exit_position - position,
        "risk": entry.risk,
        "reward_risk": reward_risk,
        "r_multiple": outcome.r_multiple,
        "mfe": outcome.mfe,
        "mae": outcome.mae,
        "mfe_mae_ratio": outcome.mfe / abs(outcome.mae) if outcome.mae < 0 else float("inf"),
        "low_rr_flag": reward_risk < LOW_RR,
        "chase_flag": variant == "chase",
        "hesitation_flag": variant == "hesitation",
    }
    features.update({f"ctx_{k}": v for k, v in entry.context.items() if k != "variant"})
    return {k: (float(v) if isinstance(v, np.floating) else v) for k, v in features.items()}


@dataclass(frozen=True)
class BadTradeConfig:
    """Worse versions of good trades, for training models to tell them apart.

    Parameters
    ----------
    enable_hesitation : bool
        Enter ``hesitation_minutes`` late, at that bar's close (same stop and target).
    hesitation_minutes : int
    enable_chase : bool
        Enter at the worst price (highest for longs) reached within
        ``chase_window_minutes`` after the signal (same stop and target).
    chase_window_minutes : int
    max_variants_per_trade : int
        At most this many variants per original trade.
    """

    enable_hesitation: bool = True
    hesitation_minutes: int = 5
    enable_chase: bool = True
    chase_window_minutes: int = 10
    max_variants_per_trade: int = 2

    def __post_init__(self) -> None:
        check_int("BadTradeConfig.hesitation_minutes", self.hesitation_minutes, low=1)
        check_int("BadTradeConfig.chase_window_minutes", self.chase_window_minutes, low=1)
        check_int("BadTradeConfig.max_variants_per_trade", self.max_variants_per_trade, low=0)


def inject_bad_trade_variants(
    df_1m_ind: pd.DataFrame, outcomes: list[SetupOutcome], cfg: BadTradeConfig | None = None, max_minutes: int = 120
) -> list[SetupOutcome]:
    """Hesitation and chase variants of ``outcomes``, re-evaluated at their worse entries.

    A variant whose worse entry is already beyond its stop or target is
    skipped (there is no trade left to take), and so is a chase when price
    never trades worse than the original entry within the window. Each variant's
    ``entry.context['variant']`` is ``'hesitation'`` or ``'chase'``.
    """
    cfg = cfg or BadTradeConfig()
    times = df_1m_ind["time"]
    high, low, close = (df_1m_ind[k].to_numpy(dtype=float) for k in ("high", "low", "close"))
    variants = []
    for outcome in outcomes:
        entry = outcome.entry
        position = int(times.searchsorted(entry.time))
        made = []
        if cfg.enable_hesitation and position + cfg.hesitation_minutes < len(times):
            late = position + cfg.hesitation_minutes
            made.append(("hesitation", times.iloc[late], close[late]))
        if cfg.enable_chase and position + 1 < len(times):
            window = slice(position + 1, min(len(times), position + 1 + cfg.chase_window_minutes))
            prices = high[window] if entry.sign > 0 else low[window]
            worst = int(np.argmax(prices) if entry.sign > 0 else np.argmin(prices))
            if entry.sign * (prices[worst] - entry.entry_price) > 0:  # only a worse price is a chase
                made.append(("chase", times.iloc[window.start + worst], prices[worst]))
        for kind, time, price in made[: cfg.max_variants_per_trade]:
            if not (entry.sign * (price - entry.stop_price) > 0 and entry.sign * (entry.target_price - price) > 0):
                continue
            worse = replace(entry, time=time, entry_price=float(price), context={**entry.context, "variant": kind})
            variants.append(evaluate_generic_entry_1m(df_1m_ind, worse, max_minutes))
    return variants
