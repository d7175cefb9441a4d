"""Numba kernels of the evaluation layer (plain-Python twins compiled with ``njit``)."""

from __future__ import annotations

import numpy as np
from numba import njit


def ema_python(x, span):
    """Exponential moving average with ``alpha = 2 / (span + 1)``, seeded with the
    first value (pandas ``ewm(span=span, adjust=False).mean()``)."""
    out = np.empty(x.shape[0])
    if x.shape[0] == 0:
        return out
    alpha = 2.0 / (span + 1.0)
    acc = x[0]
    out[0] = acc
    for i in range(1, x.shape[0]):
        acc = acc + alpha * (x[i] - acc)
        out[i] = acc
    return out


def scan_exit_python(high, low, close, start, end, direction, stop, target):
    """First bar in ``[start, end)`` where the stop or the target trades.

    Returns ``(index, code, best, worst)``: ``code`` 1 = target, -1 = stop
    (checked first when both trade in one bar), 0 = neither (``index`` is the
    last bar scanned, -1 if none); ``best``/``worst`` are the most favourable
    and adverse prices reached up to the exit bar.
    """
    best = -np.inf if direction > 0 else np.inf
    worst = np.inf if direction > 0 else -np.inf
    last = -1
    for i in range(start, end):
        last = i
        if direction > 0:
            worst = min(worst, low[i])
            best = max(best, high[i])
            if low[i] <= stop:
                return i, -1, best, worst
            if high[i] >= target:
                return i, 1, best, worst
        else:
            worst = max(worst, high[i])
            best = min(best, low[i])
            if high[i] >= stop:
                return i, -1, best, worst
            if low[i] <= target:
                return i, 1, best, worst
    return last, 0, best, worst


ema = njit(cache=True)(ema_python)
scan_exit = njit(cache=True)(scan_exit_python)


def _store_python(row, signal, entry_bar, exit_bar, direction, size, entry, exit_price, pnl, reason):
    """Write one trade record (the column order of :func:`backtest_loop_python`)."""
    row[0] = signal
    row[1] = entry_bar
    row[2] = exit_bar
    row[3] = direction
    row[4] = size
    row[5] = entry
    row[6] = exit_price
    row[7] = pnl
    row[8] = reason


_store = njit(cache=True)(_store_python)


def backtest_loop_python(
    open_,
    high,
    low,
    close,
    day,
    signal_bar,
    signal_dir,
    signal_stop,
    signal_target,
    contracts_fixed,
    risk_fraction,
    point_value,
    commission,
    slippage,
    initial_cash,
    max_open,
    time_stop,
    max_daily_loss,
):
    """Event loop over bars: fills, exits, equity.

    Rules (the same as backtesting.py's where they overlap): a signal decided
    at bar ``t``'s close fills at bar ``t + 1``'s open, plus ``slippage``
    points against the trade; a position's stop and target are checked from
    its entry bar on (a fill already beyond either exits at that open);
    when both trade in one bar the stop is taken first;
    a stop fills at ``min(open, stop)`` for longs (``max`` for shorts: gaps
    through a stop fill at the open), a target at ``max(open, target)``
    (``min`` for shorts); ``time_stop`` bars after the entry the position
    exits at the close. No new position opens while ``max_open`` are open or
    after the day's realised loss reaches ``max_daily_loss`` (money).
    Commission is charged per contract per side.

    Returns
    -------
    trades : float64[n_trades, 9]
        signal index, entry bar, exit bar, direction, contracts, entry price,
        exit price, pnl (money, after costs), exit reason (1 target, -1 stop, 0 time, 2 end).
    equity : float64[n_bars]
        Cash plus open positions marked at each close.
    status : int64[n_signals]
        0 filled; not filled because of: 1 the position limit, 2 the daily loss
        limit, 3 a size below one contract, 4 no bar after the signal to fill at.
    """
    n = open_.shape[0]
    m = signal_bar.shape[0]
    trades = np.zeros((m, 9))
    n_trades = 0
    equity = np.empty(n)
    cash = initial_cash
    active = np.zeros(max_open, dtype=np.int64)
    p_signal = np.zeros(max_open, dtype=np.int64)
    p_dir = np.zeros(max_open)
    p_size = np.zeros(max_open)
    p_entry = np.zeros(max_open)
    p_stop = np.zeros(max_open)
    p_target = np.zeros(max_open)
    p_bar = np.zeros(max_open, dtype=np.int64)
    next_signal = 0
    current_day = -1
    day_loss = 0.0
    status = np.full(m, 4, dtype=np.int64)
    for i in range(n):
        if day[i] != current_day:
            current_day = day[i]
            day_loss = 0.0
        # new entries decided at the previous close fill at this open
        while next_signal < m and signal_bar[next_signal] < i - 1:
            next_signal += 1
        while next_signal < m and signal_bar[next_signal] == i - 1:
            s = next_signal
            next_signal += 1
            slot = -1
            for k in range(max_open):
                if active[k] == 0:
                    slot = k
                    break
            if slot < 0:
                status[s] = 1
                continue
            if max_daily_loss > 0.0 and day_loss >= max_daily_loss:
                status[s] = 2
                continue
            direction = signal_dir[s]
            fill = open_[i] + direction * slippage
            risk = direction * (fill - signal_stop[s])
            size = contracts_fixed
            if risk_fraction > 0.0:
                if risk <= 0.0:
                    status[s] = 3
                    continue
                mark = cash
                for k in range(max_open):
                    if active[k] == 1:
                        mark += p_dir[k] * (close[i - 1] - p_entry[k]) * p_size[k] * point_value
                size = np.floor(mark * risk_fraction / (risk * point_value))
            if size < 1.0:
                status[s] = 3
                continue
            status[s] = 0
            active[slot] = 1
            p_signal[slot] = s
            p_dir[slot] = direction
            p_size[slot] = size
            p_entry[slot] = fill
            p_stop[slot] = signal_stop[s]
            p_target[slot] = signal_target[s]
            p_bar[slot] = i
            cash -= commission * size
        # exits of open positions in this bar
        for k in range(max_open):
            if active[k] == 0:
                continue
            d = p_dir[k]
            reason = 3
            price = 0.0
            if d > 0:
                if low[i] <= p_stop[k]:
                    reason, price = -1, min(open_[i], p_stop[k])
                elif high[i] >= p_target[k]:
                    reason, price = 1, max(open_[i], p_target[k])
            else:
                if high[i] >= p_stop[k]:
                    reason, price = -1, max(open_[i], p_stop[k])
                elif low[i] <= p_target[k]:
                    reason, price = 1, min(open_[i], p_target[k])
            if reason == 3 and time_stop > 0 and i - p_bar[k] + 1 >= time_stop:
                reason, price = 0, close[i]
            if reason == 3:
                continue
            price -= d * slippage
            pnl = d * (price - p_entry[k]) * p_size[k] * point_value - 2.0 * commission * p_size[k]
            cash += d * (price - p_entry[k]) * p_size[k] * point_value - commission * p_size[k]
            if pnl < 0.0:
                day_loss -= pnl
            _store(trades[n_trades], p_signal[k], p_bar[k], i, d, p_size[k], p_entry[k], price, pnl, reason)
            n_trades += 1
            active[k] = 0
        mark = cash
        for k in range(max_open):
            if active[k] == 1:
                mark += p_dir[k] * (close[i] - p_entry[k]) * p_size[k] * point_value
        equity[i] = mark
    for k in range(max_open):
        if active[k] == 1:  # still open: marked at the last close, entry commission only
            pnl = p_dir[k] * (close[n - 1] - p_entry[k]) * p_size[k] * point_value - commission * p_size[k]
            _store(
                trades[n_trades], p_signal[k], p_bar[k], n - 1, p_dir[k], p_size[k], p_entry[k], close[n - 1], pnl, 2
            )
            n_trades += 1
    return trades[:n_trades], equity, status


backtest_loop = njit(cache=True)(backtest_loop_python)


def signal_loop_python(
    open_,
    close,
    long_entry,
    long_exit,
    short_entry,
    short_exit,
    contracts,
    point_value,
    commission,
    slippage,
    initial_cash,
):
    """Event loop for signal series (one position at a time, reversals allowed).

    Signals are decided at bar ``t``'s close and filled at bar ``t + 1``'s
    open, plus ``slippage`` points against the trade. Per bar: an exit signal
    closes a position of its side; an entry signal of the other side closes it
    too and opens the new one (a reversal); an entry signal of the side
    already held is dropped (the limit is one position); long and short
    entries on one bar, or an entry and an exit of one side, conflict and are
    ignored. The position left at the end is marked at the last close.

    Returns
    -------
    trades : float64[n_trades, 9]
        signal bar, entry bar, exit bar, direction, contracts, entry price,
        exit price, pnl (money, after costs), exit reason (3 signal, 2 end).
    equity : float64[n_bars]
    counts : int64[3]
        entries dropped by the position limit, conflicting bars ignored,
        entries on the last bar (no bar to fill at).
    """
    n = open_.shape[0]
    trades = np.zeros((n + 1, 9))
    n_trades = 0
    equity = np.empty(n)
    counts = np.zeros(3, dtype=np.int64)
    cash = initial_cash
    pos = 0.0
    p_entry = 0.0
    p_bar = 0
    p_signal = 0
    for i in range(n):
        if i > 0:
            t = i - 1
            le, lx, se, sx = long_entry[t], long_exit[t], short_entry[t], short_exit[t]
            if le and se:
                counts[1] += 1
                le = False
                se = False
            if le and lx:
                counts[1] += 1
                le = False
                lx = False
            if se and sx:
                counts[1] += 1
                se = False
                sx = False
            close_now = (pos > 0 and (lx or se)) or (pos < 0 and (sx or le))
            if close_now:
                price = open_[i] - pos * slippage
                pnl = pos * (price - p_entry) * contracts * point_value - 2.0 * commission * contracts
                cash += pos * (price - p_entry) * contracts * point_value - commission * contracts
                _store(trades[n_trades], p_signal, p_bar, i, pos, contracts, p_entry, price, pnl, 3)
                n_trades += 1
                pos = 0.0
            want = 1.0 if le else (-1.0 if se else 0.0)
            if want != 0.0:
                if pos == want:
                    counts[0] += 1
                else:
                    pos = want
                    p_entry = open_[i] + want * slippage
                    p_bar = i
                    p_signal = t
                    cash -= commission * contracts
        equity[i] = cash + pos * (close[i] - p_entry) * contracts * point_value
    if n > 0 and (long_entry[n - 1] or short_entry[n - 1]):
        counts[2] += 1
    if pos != 0.0:
        pnl = pos * (close[n - 1] - p_entry) * contracts * point_value - commission * contracts
        _store(trades[n_trades], p_signal, p_bar, n - 1, pos, contracts, p_entry, close[n - 1], pnl, 2)
        n_trades += 1
    return trades[:n_trades], equity, counts


signal_loop = njit(cache=True)(signal_loop_python)
