"""Indicators, the setup engine, trade features, the backtester and metrics."""

from fracfire.evaluation.backtest import CONTRACTS, BacktestConfig, BacktestResult, run_backtest
from fracfire.evaluation.indicators import (
    DecisionAnchorConfig,
    IndicatorConfig,
    add_1m_indicators,
    add_5m_indicators,
    mark_decision_points_1m,
    resample_bars,
)
from fracfire.evaluation.runner import SetupRun, evaluate_setups, run_scenario
from fracfire.evaluation.setups import (
    SetupConfig,
    SetupEntry,
    SetupFamilyConfig,
    SetupOutcome,
    evaluate_generic_entry_1m,
    evaluate_orb_entry_1m,
    find_opening_orb_continuations_1m,
    run_setups,
    summarize_orb_day_1m,
)
from fracfire.evaluation.signal_backtest import read_signals, run_signal_backtest
from fracfire.evaluation.strategies import ema_cross_entries
from fracfire.evaluation.trade_features import BadTradeConfig, compute_trade_features, inject_bad_trade_variants

__all__ = [
    "BacktestConfig",
    "BacktestResult",
    "BadTradeConfig",
    "CONTRACTS",
    "DecisionAnchorConfig",
    "IndicatorConfig",
    "SetupConfig",
    "SetupEntry",
    "SetupFamilyConfig",
    "SetupOutcome",
    "SetupRun",
    "add_1m_indicators",
    "add_5m_indicators",
    "ema_cross_entries",
    "compute_trade_features",
    "evaluate_generic_entry_1m",
    "evaluate_orb_entry_1m",
    "evaluate_setups",
    "find_opening_orb_continuations_1m",
    "inject_bad_trade_variants",
    "mark_decision_points_1m",
    "read_signals",
    "resample_bars",
    "run_backtest",
    "run_scenario",
    "run_signal_backtest",
    "run_setups",
    "summarize_orb_day_1m",
]
