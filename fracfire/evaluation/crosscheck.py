"""The EMA-cross strategy on backtesting.py, for cross-checks and benchmarks.

Needs the ``backtesting`` package (in the ``test`` extra); FracFire itself never imports it.
"""

from __future__ import annotations

import warnings

import pandas as pd

from fracfire.data.io import to_backtesting_py

__all__ = ["backtesting_py_ema_cross"]


def backtesting_py_ema_cross(
    bars: pd.DataFrame,
    fast: int = 20,
    slow: int = 200,
    stop: float = 4.0,
    target: float = 8.0,
    cash: float = 1_000_000.0,
):
    """Run :func:`~fracfire.evaluation.strategies.ema_cross_entries`' rules on backtesting.py
    (one unit, no commission, one position at a time) and return its stats."""
    from backtesting import Backtest, Strategy

    data = to_backtesting_py(bars)

    class Cross(Strategy):
        def init(self):
            close = pd.Series(self.data.Close)
            self.fast = self.I(lambda: close.ewm(span=fast, adjust=False).mean().values)
            self.slow = self.I(lambda: close.ewm(span=slow, adjust=False).mean().values)

        def next(self):
            if self.position:
                return
            f, s, c = self.fast, self.slow, self.data.Close[-1]
            if f[-2] <= s[-2] and f[-1] > s[-1]:
                self.buy(size=1, sl=c - stop, tp=c + target)
            elif f[-2] >= s[-2] and f[-1] < s[-1]:
                self.sell(size=1, sl=c + stop, tp=c - target)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "trades remain open at the end" and progress chatter
        return Backtest(data, Cross, cash=cash, commission=0).run()
