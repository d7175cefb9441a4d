"""A numba backtester for setup entries on one-minute bars.

Fills and exits follow the rules of :func:`fracfire.evaluation._kernels.backtest_loop_python`
(next-bar-open market fills, intrabar stops and targets with the stop first
when both trade in one bar, gap-aware stop and target prices) — the same rules
as backtesting.py, which the tests check trade by trade.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from fracfire._validation import check_int, check_real
from fracfire.calendar import trading_day_number
from fracfire.evaluation._kernels import backtest_loop
from fracfire.evaluation.setups import SetupEntry
from fracfire.schema import TICK_SIZE, check_ohlc

__all__ = ["CONTRACTS", "BacktestConfig", "BacktestResult", "run_backtest"]

CONTRACTS = {"MES": 5.0, "ES": 50.0}
"""Dollars per index point (0.25 tick = $1.25 on MES, $12.50 on ES)."""

_EXIT = {1: "target", -1: "stop", 0: "time", 2: "open_at_end", 3: "signal"}
_DROPPED = {1: "position_limit", 2: "daily_loss_limit", 3: "size_below_one_contract", 4: "no_bar_to_fill"}


@dataclass(frozen=True)
class BacktestConfig:
    """Contract economics, sizing and risk limits (frozen, validated).

    Parameters
    ----------
    contract : {"MES", "ES"} or float
        Dollars per point (a float for anything else, e.g. 1.0).
    initial_cash : float
    contracts : int
        Fixed size, used when ``risk_fraction`` is 0.
    risk_fraction : float
        Fixed-fractional sizing: risk this share of equity per trade (size =
        floor(equity * risk_fraction / (risk points * dollars per point))).
    commission : float
        Dollars per contract per side.
    slippage_ticks : float
        Ticks against the trade on every fill.
    max_open_positions : int
    time_stop_minutes : int
        Exit at the close this many bars after entry (0 = never).
    max_daily_loss : float
        No new positions in a trading day after this realised loss (0 = no limit).
    """

    contract: str | float = "MES"
    initial_cash: float = 10_000.0
    contracts: int = 1
    risk_fraction: float = 0.0
    commission: float = 0.62
    slippage_ticks: float = 0.0
    max_open_positions: int = 1
    time_stop_minutes: int = 0
    max_daily_loss: float = 0.0

    def __post_init__(self) -> None:
        if isinstance(self.contract, str) and self.contract not in CONTRACTS:
            raise ValueError(
                f"BacktestConfig.contract must be one of {list(CONTRACTS)} or dollars per point; got {self.contract!r}"
            )
        if not isinstance(self.contract, str):
            check_real("BacktestConfig.contract", self.contract, low=0.0, low_open=True)
        check_real("BacktestConfig.initial_cash", self.initial_cash, low=0.0, low_open=True)
        check_int("BacktestConfig.contracts", self.contracts, low=1)
        check_real("BacktestConfig.risk_fraction", self.risk_fraction, low=0.0, high=1.0)
        check_real("BacktestConfig.commission", self.commission, low=0.0)
        check_real("BacktestConfig.slippage_ticks", self.slippage_ticks, low=0.0)
        check_int("BacktestConfig.max_open_positions", self.max_open_positions, low=1)
        check_int("BacktestConfig.time_stop_minutes", self.time_stop_minutes, low=0)
        check_real("BacktestConfig.max_daily_loss", self.max_daily_loss, low=0.0)

    @property
    def point_value(self) -> float:
        """Dollars per index point."""
        return CONTRACTS[self.contract] if isinstance(self.contract, str) else float(self.contract)


@dataclass(frozen=True)
class BacktestResult:
    """Trades, equity curve and metrics of a backtest.

    Attributes
    ----------
    trades : pandas.DataFrame
        ``entry_time, exit_time, kind, direction, contracts, entry_price,
        exit_price, pnl, r_multiple, exit_reason``.
    equity : pandas.Series
        Equity at every bar close, indexed by time.
    config : BacktestConfig
    dropped_entries : dict
        Entries that never became trades, by reason (``position_limit``,
        ``daily_loss_limit``, ``size_below_one_contract``, ``no_bar_to_fill``,
        and for signal series ``conflicting_signals``); empty when none.
    """

    trades: pd.DataFrame = field(repr=False)
    equity: pd.Series = field(repr=False)
    config: BacktestConfig
    dropped_entries: dict = field(default_factory=dict)

    @cached_property
    def metrics(self) -> dict:
        """Trading metrics (see :func:`fracfire.evaluation.metrics.trading_metrics`)."""
        from fracfire.evaluation.metrics import trading_metrics

        return trading_metrics(self.equity, self.trades)

    def save(self, folder: str | os.PathLike, source: str | None = None, bars: str | None = None) -> dict[str, Path]:
        """Write ``equity.csv``, ``trades.csv``, ``metrics.json`` and ``config.json`` (each atomically).

        Earlier files of these names in ``folder`` are removed first: an interrupted save leaves
        some of this run's files, never a mix of two runs'.

        Parameters
        ----------
        folder : str or PathLike
            Created if missing; what :func:`fracfire.report.build_report` reads as ``backtest*/``.
        source : str, optional
            What the bars were (``"real"``, ``"synthetic"``), shown in the report.
        bars : str, optional
            The bars file, relative to ``folder``: the report draws the trades on it.

        Returns
        -------
        dict
            File name -> path.
        """
        from fracfire._atomic import atomic_path, write_text_atomic
        from fracfire.runs import BacktestFolder

        out = BacktestFolder(Path(folder))
        out.root.mkdir(parents=True, exist_ok=True)
        for old in (out.config, out.metrics, out.trades, out.equity):  # never a folder holding two runs' files
            old.unlink(missing_ok=True)
        paths = {}
        for path, frame in (
            (out.equity, self.equity.rename("equity").rename_axis("time").reset_index()),
            (out.trades, self.trades),
        ):
            with atomic_path(path) as tmp:
                frame.to_csv(tmp, index=False)
            paths[path.name] = path
        config = {
            "source": source,
            "bars": bars,
            "backtest": asdict(self.config),
            "dropped_entries": self.dropped_entries,
        }
        for path, data in ((out.metrics, self.metrics), (out.config, config)):
            paths[path.name] = write_text_atomic(path, json.dumps(data, indent=2, default=float))
        return paths

    def summary(self) -> str:
        """One line."""
        m = self.metrics
        line = (
            f"{m['trades']} trades, total return {m['total_return']:+.2%}, Sharpe {m['sharpe']:.2f}, "
            f"max drawdown {m['max_drawdown']:.2%}, win rate {m['win_rate']:.0%}"
        )
        if m["expectancy_r"] == m["expectancy_r"]:  # NaN for signal trades, which have no initial risk
            line += f", expectancy {m['expectancy_r']:+.2f}R"
        if self.dropped_entries:
            line += "; entries dropped: " + ", ".join(
                f"{v} ({k.replace('_', ' ')})" for k, v in self.dropped_entries.items()
            )
        return line


def run_backtest(bars: pd.DataFrame, entries: list[SetupEntry], config: BacktestConfig | None = None) -> BacktestResult:
    """Replay ``entries`` on one-minute ``bars``.

    Parameters
    ----------
    bars : pandas.DataFrame
        Sorted one-minute bars (``time, open, high, low, close``).
    entries : list of SetupEntry
        Trade ideas; each is decided at the close of the bar at ``entry.time``
        and filled at the next bar's open.
    config : BacktestConfig, optional

    Returns
    -------
    BacktestResult
    """
    config = config or BacktestConfig()
    check_ohlc(bars, "run_backtest: bars")
    entries = sorted(entries, key=lambda e: e.time)
    times = bars["time"]
    bar_ns = times.to_numpy(dtype="datetime64[ns]").astype(np.int64)
    entry_ns = pd.DatetimeIndex([e.time for e in entries]).as_unit("ns").asi8 if entries else np.zeros(0, np.int64)
    bar_index = np.searchsorted(bar_ns, entry_ns)
    exact = (bar_index < len(bar_ns)) & (bar_ns[np.minimum(bar_index, len(bar_ns) - 1)] == entry_ns)
    if entries and not exact.all():
        bad = entries[int(np.flatnonzero(~exact)[0])]
        raise ValueError(f"entry at {bad.time} is not the time of a bar")
    arrays = [bars[k].to_numpy(dtype=np.float64) for k in ("open", "high", "low", "close")]
    day = trading_day_number(times).astype(np.int64)
    raw, equity, status = backtest_loop(  # type: ignore[call-arg]  # numba dispatcher
        *arrays,
        day,
        np.asarray(bar_index, dtype=np.int64),
        np.array([e.sign for e in entries], dtype=np.float64),
        np.array([e.stop_price for e in entries], dtype=np.float64),
        np.array([e.target_price for e in entries], dtype=np.float64),
        float(config.contracts),
        config.risk_fraction,
        config.point_value,
        config.commission,
        config.slippage_ticks * TICK_SIZE,
        config.initial_cash,
        config.max_open_positions,
        config.time_stop_minutes,
        config.max_daily_loss,
    )
    signal = raw[:, 0].astype(int)
    entry_bar, exit_bar = raw[:, 1].astype(int), raw[:, 2].astype(int)
    risk = np.array([entries[s].risk for s in signal]) if len(signal) else np.zeros(0)
    trades = (
        pd.DataFrame(
            {
                "entry_time": times.iloc[entry_bar].to_numpy(),
                "exit_time": times.iloc[exit_bar].to_numpy(),
                "kind": [entries[s].kind for s in signal],
                "direction": np.where(raw[:, 3] > 0, "long", "short"),
                "contracts": raw[:, 4].astype(int),
                "entry_price": raw[:, 5],
                "exit_price": raw[:, 6],
                "pnl": raw[:, 7],
                "r_multiple": raw[:, 3] * (raw[:, 6] - raw[:, 5]) / np.where(risk > 0, risk, np.nan),
                "exit_reason": [_EXIT[int(r)] for r in raw[:, 8]],
            }
        )
        .sort_values("entry_time", kind="stable")
        .reset_index(drop=True)
    )
    dropped = {reason: int(np.sum(status == code)) for code, reason in _DROPPED.items()}
    return BacktestResult(
        trades,
        pd.Series(equity, index=pd.DatetimeIndex(times), name="equity"),
        config,
        {k: v for k, v in dropped.items() if v},
    )
