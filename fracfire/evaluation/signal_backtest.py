"""Backtests of signal series (vectorbt style): entry/exit booleans or a target position per bar.

The rules are those of :func:`fracfire.evaluation._kernels.signal_loop_python`:
decided at a bar's close, filled at the next bar's open; one position at a
time; an opposite entry reverses; an entry of the side already held is
dropped and counted (never silently). Stops and targets belong to the entry
backtester (:func:`~fracfire.evaluation.backtest.run_backtest`); here only
signals close positions.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TypeAlias

import numpy as np
import pandas as pd

from fracfire.evaluation._kernels import signal_loop
from fracfire.evaluation.backtest import _EXIT, BacktestConfig, BacktestResult
from fracfire.schema import TICK_SIZE, check_ohlc

__all__ = ["SIGNAL_COLUMNS", "read_signals", "run_signal_backtest"]

SIGNAL_COLUMNS = ("entries", "exits", "short_entries", "short_exits")
"""Boolean signal columns (vectorbt's names); ``position`` is the alternative."""

_ALIASES = {
    "entry": "entries",
    "long_entry": "entries",
    "long_entries": "entries",
    "buy": "entries",
    "exit": "exits",
    "long_exit": "exits",
    "long_exits": "exits",
    "sell": "exits",
    "short_entry": "short_entries",
    "short": "short_entries",
    "short_exit": "short_exits",
    "cover": "short_exits",
    "target_position": "position",
    "signal": "position",
}


def _aligned(values, times: pd.Series, name: str) -> np.ndarray:
    """A per-bar array from an array of the bars' length or a Series indexed by the bars' times."""
    if isinstance(values, pd.Series) and isinstance(values.index, pd.DatetimeIndex):
        index = pd.DatetimeIndex(times)
        series = values
        if series.index.tz is None and index.tz is not None:
            series = series.tz_localize(index.tz)
        missing = series.index.difference(index)
        if len(missing):
            raise ValueError(f"{name}: {len(missing)} time(s) match no bar, first {missing[0]}")
        if series.index.has_duplicates:
            raise ValueError(f"{name}: duplicate time {series.index[series.index.duplicated()][0]}")
        return series.reindex(index).to_numpy()
    array = np.asarray(values)
    if array.shape != (len(times),):
        raise ValueError(f"{name} must have one value per bar ({len(times)}); got shape {array.shape}")
    return array


def _booleans(values, times: pd.Series, name: str) -> np.ndarray:
    if values is None:
        return np.zeros(len(times), dtype=np.bool_)
    array = _aligned(values, times, name)
    frame = pd.Series(array)
    if frame.dtype == object or pd.api.types.is_string_dtype(frame.dtype):  # pandas 3 reads text as `str`
        frame = frame.map(
            lambda v: (
                {"true": True, "false": False, "1": True, "0": False, "": False}.get(str(v).strip().lower(), v)
                if not pd.isna(v)
                else False
            )
        )
    frame = frame.astype(object)
    bad = ~frame.isin([True, False, 0, 1, 0.0, 1.0]) & frame.notna()
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise ValueError(f"{name} must be true/false (or 1/0); got {array[row]!r} at bar {row} ({times.iloc[row]})")
    return frame.fillna(False).astype(bool).to_numpy()


def _position_signals(position, times: pd.Series) -> tuple[np.ndarray, ...]:
    """Entry/exit booleans that move the position to the target -1, 0 or +1 of each bar (held when missing)."""
    raw = pd.Series(_aligned(position, times, "position"), dtype="float64").ffill().fillna(0.0).to_numpy()
    bad = ~np.isin(raw, (-1.0, 0.0, 1.0))
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"position must be -1, 0 or 1 (short, flat, long); got {float(raw[row]):g} at bar {row} ({times.iloc[row]})"
        )
    before = np.concatenate([[0.0], raw[:-1]])
    change = raw != before
    return (
        change & (raw > 0),
        change & (before > 0) & (raw == 0),
        change & (raw < 0),
        change & (before < 0) & (raw == 0),
    )


Signal: TypeAlias = pd.Series | np.ndarray | Sequence
"""One value per bar: booleans for entries and exits, -1/0/+1 (or contracts) for a position."""


def run_signal_backtest(
    bars: pd.DataFrame,
    entries: Signal | None = None,
    exits: Signal | None = None,
    short_entries: Signal | None = None,
    short_exits: Signal | None = None,
    position: Signal | None = None,
    config: BacktestConfig | None = None,
) -> BacktestResult:
    """Backtest entry/exit signal series or a target position series.

    Parameters
    ----------
    bars : pandas.DataFrame
        Sorted bars (``time, open, high, low, close``).
    entries, exits, short_entries, short_exits : array-like or pandas.Series, optional
        Booleans, one per bar (or a Series indexed by bar times; missing
        times are False). An entry while the other side is held reverses.
    position : array-like or pandas.Series, optional
        Target position per bar (-1 short, 0 flat, +1 long; a Series may
        leave times out, the position is then held). Excludes the booleans.
    config : BacktestConfig, optional
        Contract, ``contracts`` per trade, commission, slippage, initial cash
        (``risk_fraction``, ``max_open_positions``, ``time_stop_minutes`` and
        ``max_daily_loss`` are entry-backtest settings and must stay at their defaults).

    Returns
    -------
    BacktestResult
        ``r_multiple`` is NaN (signal trades have no initial risk);
        ``dropped_entries`` counts entries dropped by the one-position limit,
        conflicting bars and entries on the last bar.

    Examples
    --------
    >>> fast = bars["close"].ewm(span=20).mean(); slow = bars["close"].ewm(span=50).mean()  # doctest: +SKIP
    >>> run_signal_backtest(bars, position=np.sign(fast - slow)).summary()  # doctest: +SKIP
    """
    config = config or BacktestConfig()
    check_ohlc(bars, "run_signal_backtest: bars")
    defaults = BacktestConfig()
    for name in ("risk_fraction", "max_open_positions", "time_stop_minutes", "max_daily_loss"):
        if getattr(config, name) != getattr(defaults, name):
            raise ValueError(
                f"run_signal_backtest: BacktestConfig.{name} applies to entry backtests "
                f"(run_backtest); leave it at {getattr(defaults, name)!r}"
            )
    times = bars["time"].reset_index(drop=True)
    if times.duplicated().any() or not times.is_monotonic_increasing:
        raise ValueError("run_signal_backtest: bars must be sorted by time without duplicates")
    booleans = (entries, exits, short_entries, short_exits)
    if position is not None:
        if any(b is not None for b in booleans):
            raise ValueError("run_signal_backtest: pass either position or entry/exit signals, not both")
        signals = _position_signals(position, times)
    elif all(b is None for b in booleans):
        raise ValueError(
            "run_signal_backtest: no signals; pass entries (and exits, short_entries, short_exits) or position"
        )
    else:
        signals = tuple(_booleans(v, times, n) for v, n in zip(booleans, SIGNAL_COLUMNS, strict=True))
    o, c = (bars[k].to_numpy(dtype=np.float64) for k in ("open", "close"))
    raw, equity, counts = signal_loop(
        o,
        c,
        *signals,
        float(config.contracts),
        config.point_value,  # type: ignore[call-arg]
        config.commission,
        config.slippage_ticks * TICK_SIZE,
        config.initial_cash,
    )
    signal_bar, entry_bar, exit_bar = (raw[:, k].astype(int) for k in (0, 1, 2))
    trades = pd.DataFrame(
        {
            "entry_time": times.iloc[entry_bar].to_numpy(),
            "exit_time": times.iloc[exit_bar].to_numpy(),
            "kind": "signal",
            "direction": np.where(raw[:, 3] > 0, "long", "short"),
            "contracts": raw[:, 4].astype(int),
            "entry_price": raw[:, 5],
            "exit_price": raw[:, 6],
            "pnl": raw[:, 7],
            "r_multiple": np.nan,
            "exit_reason": [_EXIT[int(r)] for r in raw[:, 8]],
        }
    )
    trades.insert(0, "signal_time", times.iloc[signal_bar].to_numpy())
    dropped = {
        "position_limit": int(counts[0]),
        "conflicting_signals": int(counts[1]),
        "no_bar_to_fill": int(counts[2]),
    }
    return BacktestResult(
        trades,
        pd.Series(equity, index=pd.DatetimeIndex(times), name="equity"),
        config,
        {k: v for k, v in dropped.items() if v},
    )


def read_signals(path: str | os.PathLike) -> pd.DataFrame:
    """Read a signals CSV: ``time`` plus ``position`` or any of :data:`SIGNAL_COLUMNS`.

    Column names are matched case-insensitively, with common aliases
    (``entry``/``exit``/``buy``/``sell``/``short``/``cover``,
    ``target_position``). Returns a frame indexed by tz-aware time (naive
    times are read as America/New_York).
    """
    from fracfire.data.times import parse_times

    path = str(path)
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except FileNotFoundError:
        raise FileNotFoundError(f"signals file not found: {path}") from None
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise ValueError(f"{path}: not a readable CSV ({exc})") from None
    names = {c: _ALIASES.get(c.strip().lower(), c.strip().lower()) for c in frame.columns}
    frame = frame.rename(columns=names)
    if "time" not in frame:
        for candidate in ("timestamp", "datetime", "date"):
            if candidate in frame:
                frame = frame.rename(columns={candidate: "time"})
                break
        else:
            raise ValueError(f"{path}: no time column; columns are {list(frame.columns)}")
    known = [c for c in ("position", *SIGNAL_COLUMNS) if c in frame]
    if not known:
        raise ValueError(
            f"{path}: no signal column; expected 'position' or any of {list(SIGNAL_COLUMNS)} "
            f"(columns are {list(frame.columns)})"
        )
    if "position" in known and len(known) > 1:
        raise ValueError(f"{path}: has both 'position' and {known[1:]}; keep one kind of signal")
    time = parse_times(frame["time"], path)
    out = frame[known].copy()
    if "position" in out:
        out["position"] = pd.to_numeric(out["position"].replace("", np.nan), errors="coerce")
        bad = out["position"].isna() & (frame["position"].str.strip() != "")
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise ValueError(f"{path}: row {row + 2}: position {frame['position'].iloc[row]!r} is not a number")
    out.index = pd.DatetimeIndex(time)
    return out
