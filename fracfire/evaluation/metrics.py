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

__all__ = [
    "accuracy",
    "block_bootstrap_ci",
    "cagr",
    "confusion_matrix",
    "directional_accuracy",
    "drawdown_duration",
    "expectancy_r",
    "macro_f1",
    "mae",
    "max_drawdown",
    "profit_factor",
    "rmse",
    "sharpe_ratio",
    "period_returns",
    "kind_statistics",
    "sortino_ratio",
    "t_interval",
    "total_return",
    "trading_metrics",
    "win_rate",
]


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
    return pd.crosstab(
        pd.Categorical(np.asarray(y_true), categories=labels),
        pd.Categorical(np.asarray(y_pred), categories=labels),
        dropna=False,
        rownames=["true"],
        colnames=["predicted"],
    )


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


def t_interval(values, level: float = 0.95) -> dict:
    """Mean of ``values`` (one per independent unit: a test day, a session) with a Student-t
    interval, ``k - 1`` degrees of freedom for ``k`` values.

    A percentile bootstrap over a handful of units is too narrow (over 5 days it covers
    about 84 % for a nominal 95 %); the t-interval is the honest one there. NaN bounds with
    fewer than 2 values.

    Returns
    -------
    dict
        ``mean``, ``low``, ``high`` and ``n``.

    Examples
    --------
    >>> t_interval([1.0, 2.0, 3.0])["low"] < 2.0 < t_interval([1.0, 2.0, 3.0])["high"]
    True
    """
    from scipy import stats

    x = np.asarray(values, dtype=float).ravel()
    mean = float(x.mean()) if len(x) else float("nan")
    if len(x) < 2:
        return {"mean": mean, "low": float("nan"), "high": float("nan"), "n": len(x)}
    half = float(stats.t.ppf(0.5 + level / 2, len(x) - 1) * x.std(ddof=1) / np.sqrt(len(x)))
    return {"mean": mean, "low": mean - half, "high": mean + half, "n": len(x)}


def block_bootstrap_ci(
    y_true,
    predictions: dict,
    metric: str = "rmse",
    block: int = 60,
    level: float = 0.95,
    n_resamples: int = 2000,
    seed: int = 0,
    reference: str | None = None,
    groups=None,
) -> dict:
    """Confidence intervals of a regression metric by a block bootstrap over time.

    Consecutive rows are grouped into blocks of ``block`` rows (forecast
    errors overlap in time, so rows are not independent); blocks are resampled
    with replacement by :func:`scipy.stats.bootstrap` (percentile method),
    the same blocks for every model, so differences are paired.

    Parameters
    ----------
    y_true : array-like
        Targets in time order.
    predictions : dict
        Model name -> predictions aligned with ``y_true``; a 2-D array (seeds x
        rows) is a model trained with several seeds, its error averaged over them.
    metric : {"rmse", "directional_accuracy"}
    block : int
        Rows per block (60 one-minute rows = one hour); ignored with ``groups``.
    level : float
        Confidence level.
    n_resamples : int
    seed : int
    reference : str, optional
        Also give each other model's difference to this one (``model - reference``).
    groups : array-like, optional
        Block label of every row (e.g. the trading day): whole groups are resampled.

    Returns
    -------
    dict
        ``{name: {"value", "low", "high"}}`` and, with ``reference``,
        ``{name: {..., "difference", "difference_low", "difference_high"}}`` for
        every model but the reference.
    """
    from scipy import stats

    t = _array(y_true, "y_true")
    if metric not in ("rmse", "directional_accuracy"):
        raise ValueError(f"metric must be 'rmse' or 'directional_accuracy'; got {metric!r}")
    if reference is not None and reference not in predictions:
        raise ValueError(f"reference {reference!r} is not one of the models {sorted(predictions)}")
    if groups is not None:
        labels = np.asarray(groups)
        if len(labels) != len(t):
            raise ValueError(f"groups has {len(labels)} labels; y_true has {len(t)} rows")
        blocks = pd.factorize(labels)[0]
        if blocks.max(initial=-1) < 1:
            raise ValueError("block_bootstrap_ci: need at least two groups")
    else:
        if block < 1 or len(t) < 2 * block:
            raise ValueError(f"block_bootstrap_ci: need at least two blocks of {block} rows; got {len(t)} rows")
        blocks = np.arange(len(t)) // block
    n_blocks = int(blocks.max()) + 1
    parts = {}
    for name, pred in predictions.items():
        p = np.atleast_2d(np.asarray(pred, dtype=float))
        if p.shape[1] != len(t) or np.isnan(p).any():
            raise ValueError(
                f"predictions[{name!r}] must be {len(t)} finite values (or seeds x {len(t)}); "
                f"got shape {np.shape(pred)}"
            )
        if metric == "rmse":
            hit, count = ((t - p) ** 2).mean(axis=0), np.ones(len(t))
        else:
            moving = t != 0
            hit, count = ((np.sign(t) == np.sign(p)) & moving).mean(axis=0), moving
        parts[name] = (
            np.bincount(blocks, hit.astype(float), n_blocks),
            np.bincount(blocks, count.astype(float), n_blocks),
        )
    names = list(parts)

    def value(num, den):
        ratio = num.sum(axis=-1) / den.sum(axis=-1)
        return np.sqrt(ratio) if metric == "rmse" else ratio

    def statistic(*arrays, axis=-1):
        values = [value(arrays[2 * i], arrays[2 * i + 1]) for i in range(len(names))]
        if reference is not None:
            ref = values[names.index(reference)]
            values += [v - ref for v in values]
        return np.stack(values, axis=0)

    data = [a for name in names for a in parts[name]]
    result = stats.bootstrap(
        data,
        statistic,
        paired=True,
        vectorized=True,
        axis=-1,
        confidence_level=level,
        n_resamples=n_resamples,
        method="percentile",
        random_state=np.random.default_rng(seed),
    )
    point = statistic(*data)
    out = {}
    for i, name in enumerate(names):
        out[name] = {
            "value": float(point[i]),
            "low": float(result.confidence_interval.low[i]),
            "high": float(result.confidence_interval.high[i]),
        }
        if reference is not None and name != reference:
            j = len(names) + i
            out[name].update(
                difference=float(point[j]),
                difference_low=float(result.confidence_interval.low[j]),
                difference_high=float(result.confidence_interval.high[j]),
            )
    return out


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
    std = float(np.std(r, ddof=1))
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
    from fracfire.calendar import trading_day_number

    daily = equity.groupby(trading_day_number(equity.index)).last()
    start = equity.iloc[0] if len(equity) else np.nan
    returns = daily.pct_change().fillna(daily.iloc[0] / start - 1.0).to_numpy() if len(daily) else np.zeros(0)
    r, wins = _r_and_win_basis(trades)
    held = np.zeros(len(equity), dtype=bool)
    if len(trades):
        index = equity.index
        for entry, exit_ in zip(
            index.searchsorted(trades["entry_time"]), index.searchsorted(trades["exit_time"]), strict=True
        ):
            held[entry : exit_ + 1] = True
    return {
        "trades": int(len(trades)),
        "total_return": total_return(returns) if len(returns) else 0.0,
        "cagr": cagr(returns, periods_per_year) if len(returns) else 0.0,
        "sharpe": sharpe_ratio(returns, periods_per_year),
        "sortino": sortino_ratio(returns, periods_per_year),
        "max_drawdown": max_drawdown(returns) if len(returns) else 0.0,
        "max_drawdown_days": drawdown_duration(returns) if len(returns) else 0,
        "win_rate": win_rate(wins) if len(wins) else float("nan"),
        "profit_factor": profit_factor(trades["pnl"].to_numpy()) if len(trades) else float("nan"),
        "expectancy_r": expectancy_r(r) if len(r) else float("nan"),
        "average_r": float(np.mean(r)) if len(r) else float("nan"),
        "exposure": float(held.mean()) if len(held) else 0.0,
        "final_equity": float(equity.iloc[-1]) if len(equity) else float("nan"),
    }


def _r_and_win_basis(trades: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """The trades' known R multiples, and what their win rate counts: R, or for trades without an
    initial risk (signal backtests, R all NaN) the P&L."""
    if trades.empty:
        return np.zeros(0), np.zeros(0)
    r = trades["r_multiple"].to_numpy(dtype=float)
    r = r[~np.isnan(r)]
    return r, (r if len(r) else trades["pnl"].to_numpy(dtype=float))


def period_returns(equity: pd.Series, period: str = "day") -> pd.DataFrame:
    """Equity change per trading day or calendar month.

    Parameters
    ----------
    equity : pandas.Series
        Equity indexed by (tz-aware) time.
    period : {"day", "month"}
        ``day`` groups by Globex trading day (18:00 ET to 17:00 ET), ``month``
        by the calendar month of that trading day.

    Returns
    -------
    pandas.DataFrame
        One row per period: ``start_equity``, ``end_equity``, ``pnl`` and ``return``.
    """
    from fracfire.calendar import trading_day

    if period not in ("day", "month"):
        raise ValueError(f"period must be 'day' or 'month'; got {period!r}")
    if equity.empty:
        return pd.DataFrame(columns=["start_equity", "end_equity", "pnl", "return"])
    key = pd.DatetimeIndex(trading_day(equity.index)).strftime("%Y-%m-%d" if period == "day" else "%Y-%m")
    key = key.to_numpy()
    end = equity.groupby(key).last()
    start = end.shift(1).fillna(float(equity.iloc[0]))
    out = pd.DataFrame({"start_equity": start, "end_equity": end, "pnl": end - start})
    out["return"] = out["pnl"] / out["start_equity"]
    out.index.name = period
    return out


def kind_statistics(trades: pd.DataFrame) -> pd.DataFrame:
    """Per setup family (``kind``): trades, win rate, mean R, total P&L and profit factor, plus an ``all`` row."""
    columns = ["trades", "win_rate", "average_r", "total_pnl", "profit_factor"]
    if trades.empty:
        return pd.DataFrame(columns=columns)

    def stats(group: pd.DataFrame) -> dict:
        r, wins = _r_and_win_basis(group)
        return {
            "trades": len(group),
            "win_rate": win_rate(wins) if len(wins) else float("nan"),
            "average_r": float(r.mean()) if len(r) else float("nan"),
            "total_pnl": float(group["pnl"].sum()),
            "profit_factor": profit_factor(group["pnl"].to_numpy()),
        }

    rows = {str(kind): stats(group) for kind, group in trades.groupby("kind", sort=True)}
    rows["all"] = stats(trades)
    return pd.DataFrame.from_dict(rows, orient="index", columns=columns).rename_axis("kind")
