"""Metrics: classification, regression and trading, as plain functions over arrays.

Trading ratios follow empyrical's definitions (checked against
empyrical-reloaded to 1e-9 in the tests):

* ``sharpe_ratio = mean(r - rf) / std(r - rf, ddof=1) * sqrt(periods_per_year)``;
* ``sortino_ratio = mean(r - req) * periods_per_year / (sqrt(mean(min(r - req, 0)**2)) * sqrt(periods_per_year))``;
* ``max_drawdown``: the most negative ``(wealth - running peak) / running peak``,
  wealth starting at 1 before the first return (a negative fraction).

``periods_per_year`` is 252 for daily returns (the default); one-minute RTH
returns would use 252 * 390.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["accuracy", "cagr", "confusion_matrix", "directional_accuracy", "drawdown_duration",
           "expectancy_r", "macro_f1", "mae", "max_drawdown", "profit_factor", "rmse", "sharpe_ratio",
           "sortino_ratio", "total_return", "trading_metrics", "win_rate"]


def _array(x, name: str) -> np.ndarray:
    values = np.asarray(x, dtype=float)
    if values.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional; got shape {values.shape}")
    if np.isnan(values).any():
        raise ValueError(f"{name} contains NaN at position {int(np.flatnonzero(np.isnan(values))[0])}")
    return values


# ---------------------------------------------------------------- classification
def accuracy(y_true, y_pred) -> float:
    """Share of equal labels."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape or len(y_true) == 0:
        raise ValueError(f"y_true and y_pred must be non-empty and the same length; got {y_true.shape}, {y_pred.shape}")
    return float(np.mean(y_true == y_pred))


def confusion_matrix(y_true, y_pred, labels=None) -> pd.DataFrame:
    """Counts with true labels as rows and predictions as columns."""
    labels = list(labels) if labels is not None else sorted(set(np.asarray(y_true)) | set(np.asarray(y_pred)), key=str)
    return pd.crosstab(pd.Categorical(np.asarray(y_true), categories=labels),
                       pd.Categorical(np.asarray(y_pred), categories=labels), dropna=False,
                       rownames=["true"], colnames=["predicted"])


def macro_f1(y_true, y_pred, labels=None) -> float:
    """Unweighted mean of per-label F1 (labels with no support and no predictions are skipped)."""
    matrix = confusion_matrix(y_true, y_pred, labels).to_numpy(dtype=float)
    tp = np.diag(matrix)
    predicted, actual = matrix.sum(axis=0), matrix.sum(axis=1)
    present = (predicted + actual) > 0
    f1 = np.divide(2 * tp, predicted + actual, out=np.zeros_like(tp), where=(predicted + actual) > 0)
    return float(f1[present].mean())


# ---------------------------------------------------------------- regression
def mae(y_true, y_pred) -> float:
    """Mean absolute error."""
    return float(np.mean(np.abs(_array(y_true, "y_true") - _array(y_pred, "y_pred"))))


def rmse(y_true, y_pred) -> float:
    """Root mean squared error."""
    return float(np.sqrt(np.mean((_array(y_true, "y_true") - _array(y_pred, "y_pred")) ** 2)))


def directional_accuracy(y_true, y_pred) -> float:
    """Share of non-zero true moves whose sign the prediction gets right."""
    t, p = _array(y_true, "y_true"), _array(y_pred, "y_pred")
    moving = t != 0
    return float(np.mean(np.sign(t[moving]) == np.sign(p[moving]))) if moving.any() else float("nan")


# ---------------------------------------------------------------- trading
def total_return(returns) -> float:
    """Compounded return of simple per-period returns."""
    return float(np.prod(1.0 + _array(returns, "returns")) - 1.0)


def cagr(returns, periods_per_year: float = 252) -> float:
    """Compound annual growth rate."""
    r = _array(returns, "returns")
    if len(r) == 0:
        return float("nan")
    return float((1.0 + total_return(r)) ** (periods_per_year / len(r)) - 1.0)


def sharpe_ratio(returns, periods_per_year: float = 252, risk_free: float = 0.0) -> float:
    """Annualised Sharpe ratio (empyrical's definition; NaN for fewer than 2 returns)."""
    r = _array(returns, "returns") - risk_free
    if len(r) < 2:
        return float("nan")
    std = np.std(r, ddof=1)
    if r.max() == r.min():
        std = 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(np.mean(r) / std * np.sqrt(periods_per_year))


def sortino_ratio(returns, periods_per_year: float = 252, required_return: float = 0.0) -> float:
    """Annualised Sortino ratio (empyrical's definition)."""
    r = _array(returns, "returns") - required_return
    if len(r) < 2:
        return float("nan")
    downside = np.sqrt(np.mean(np.minimum(r, 0.0) ** 2)) * np.sqrt(periods_per_year)
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(np.mean(r) * periods_per_year / downside)


def _drawdowns(returns) -> np.ndarray:
    wealth = np.concatenate([[1.0], np.cumprod(1.0 + _array(returns, "returns"))])
    return (wealth - np.maximum.accumulate(wealth)) / np.maximum.accumulate(wealth)


def max_drawdown(returns) -> float:
    """Largest peak-to-trough loss as a negative fraction (empyrical's convention)."""
    if len(returns) == 0:
        return float("nan")
    return float(_drawdowns(returns)[1:].min())


def drawdown_duration(returns) -> int:
    """Longest run of periods spent below a previous peak."""
    below = _drawdowns(returns)[1:] < 0
    longest = current = 0
    for flag in below:
        current = current + 1 if flag else 0
        longest = max(longest, current)
    return int(longest)


def win_rate(r_multiples) -> float:
    """Share of trades with a positive result."""
    r = _array(r_multiples, "r_multiples")
    return float(np.mean(r > 0)) if len(r) else float("nan")


def profit_factor(pnl) -> float:
    """Gross profit over gross loss (inf with no losing trade)."""
    p = _array(pnl, "pnl")
    loss = -p[p < 0].sum()
    return float(p[p > 0].sum() / loss) if loss > 0 else float("inf")


def expectancy_r(r_multiples) -> float:
    """Mean result per trade in R."""
    r = _array(r_multiples, "r_multiples")
    return float(r.mean()) if len(r) else float("nan")


def trading_metrics(equity: pd.Series, trades: pd.DataFrame, periods_per_year: float = 252) -> dict:
    """Every trading metric of a backtest.

    Returns from ``equity`` are taken per trading day (last equity of each
    Globex day), so Sharpe, Sortino and CAGR use 252 periods per year.
    Exposure is the share of bars with an open position.
    """
    from fracfire.realism.facts import trading_day

    daily = equity.groupby(trading_day(pd.Series(equity.index, index=equity.index)).to_numpy()).last()
    start = equity.iloc[0] if len(equity) else np.nan
    returns = daily.pct_change().fillna(daily.iloc[0] / start - 1.0).to_numpy() if len(daily) else np.zeros(0)
    r = trades["r_multiple"].to_numpy(dtype=float) if len(trades) else np.zeros(0)
    held = np.zeros(len(equity), dtype=bool)
    if len(trades):
        index = equity.index
        for entry, exit_ in zip(index.searchsorted(trades["entry_time"]), index.searchsorted(trades["exit_time"]),
                                strict=True):
            held[entry:exit_ + 1] = True
    return {
        "trades": int(len(trades)),
        "total_return": total_return(returns) if len(returns) else 0.0,
        "cagr": cagr(returns, periods_per_year) if len(returns) else 0.0,
        "sharpe": sharpe_ratio(returns, periods_per_year),
        "sortino": sortino_ratio(returns, periods_per_year),
        "max_drawdown": max_drawdown(returns) if len(returns) else 0.0,
        "max_drawdown_days": drawdown_duration(returns) if len(returns) else 0,
        "win_rate": win_rate(r[~np.isnan(r)]) if len(r) else float("nan"),
        "profit_factor": profit_factor(trades["pnl"].to_numpy()) if len(trades) else float("nan"),
        "expectancy_r": expectancy_r(r[~np.isnan(r)]) if len(r) else float("nan"),
        "average_r": float(np.nanmean(r)) if len(r) else float("nan"),
        "exposure": float(held.mean()) if len(held) else 0.0,
        "final_equity": float(equity.iloc[-1]) if len(equity) else float("nan"),
    }
