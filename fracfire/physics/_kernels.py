"""Numba kernels of the tick physics: arrays in, arrays out, no hidden state.

Each kernel is written once as plain Python (``*_python``) and compiled with
``numba.njit``; tests compare the two. Randomness arrives as pre-drawn uniform
arrays, so a kernel never touches a random generator.
"""

from __future__ import annotations

import numpy as np
from numba import njit

ANCHOR_ALPHA = 0.1
"""Weight of each tick event in the exponential mean price that mean reversion pulls to."""

MEAN_REVERSION_SCALE = 4.0
"""Distance in ticks from the mean price at which the mean-reversion pull saturates."""

_SHIFT = np.uint64(32)
_LOW32 = np.uint64(0xFFFFFFFF)
_TO_UNIT = 1.0 / 4294967296.0


def walk_ticks_python(
    n_ticks, up_prob, persistence, jump_q, max_jump, mean_reversion,
    raw,
    start_tick, start_dir, start_anchor,
    gravity_center, gravity_threshold, gravity_strength,
):
    """Walk tick events bar by bar and return integer-tick OHLC.

    Parameters
    ----------
    n_ticks : int64[n]
        Tick events in each bar (0 allowed: the bar trades flat at the last price).
    up_prob, persistence, mean_reversion : float64[n]
        Per-bar direction parameters (see :class:`~fracfire.physics.StateConfig`).
    jump_q : float64[n]
        Geometric move-size parameter: a move is ``k`` ticks with probability
        ``(1 - q) * q**(k - 1)``, the tail beyond ``max_jump`` folded onto
        ``max_jump``; ``q == 0`` gives one-tick moves.
    max_jump : int64[n]
        Largest move in ticks.
    raw : uint64[sum(n_ticks)]
        One raw 64-bit random draw per tick event, split into two 32-bit
        uniforms. The high half ``u`` decides persistence (``u < persistence``
        repeats the last direction) and, when a fresh direction is drawn,
        ``(u - persistence) / (1 - persistence)`` is reused as the uniform of
        the up/down draw. The low half sets the move size by inversion.
        The loop is written without data-dependent branches on these draws
        (selects instead), which keeps the CPU's branch predictor out of it.
    start_tick : int
        Last traded price in ticks before the first bar.
    start_dir : int
        Direction of the last move (-1, 0 or 1; 0 means none yet).
    start_anchor : float
        Exponential mean price (ticks) that mean reversion pulls towards.
    gravity_center, gravity_threshold, gravity_strength : float
        Macro gravity: when a bar opens beyond ``gravity_threshold`` ticks from
        ``gravity_center``, its up-probability is shifted towards the centre
        by up to ``gravity_strength`` (linear ramp, saturating at twice the
        threshold). Evaluated once per bar: gravity acts on a scale of
        hundreds of points, far above one bar's move.

    Returns
    -------
    open, high, low, close : int64[n]
        Open is the first traded price in the bar (the previous close if the
        bar has no tick event); high and low are the traded extremes.
    last_tick, last_dir, anchor : int, int, float
        State to continue a later walk from.
    """
    n = n_ticks.shape[0]
    open_ = np.empty(n, dtype=np.int64)
    high = np.empty(n, dtype=np.int64)
    low = np.empty(n, dtype=np.int64)
    close = np.empty(n, dtype=np.int64)
    steps = np.empty(max(1, max_jump.max() if n else 1), dtype=np.float64)
    x = start_tick
    last = start_dir
    # Distance to the exponential mean price: after a move s,
    # dev' = (1 - alpha) * dev + (1 - alpha) * s.
    dev = start_tick - start_anchor
    keep_dev = 1.0 - ANCHOR_ALPHA
    pull_scale = gravity_strength / gravity_threshold
    e = 0
    for i in range(n):
        nt = n_ticks[i]
        open_[i] = x
        hi = x
        lo = x
        if nt > 0:
            rho = persistence[i]
            if last == 0:
                rho = 0.0  # no previous move to persist: this bar's draws are fresh
            fresh_weight = 1.0 - rho
            p = up_prob[i]
            off = x - gravity_center
            excess = abs(off) - gravity_threshold
            if excess > 0.0:
                pull = min(gravity_strength, pull_scale * excess)
                p -= pull if off > 0 else -pull
            # A fresh move is up when u < rho + (1 - rho) * (p - clip(slope * dev, +-cap)).
            # Unrolled, u < edge - clip(z) is (u < edge + cap) and (u < edge - cap
            # or u < edge - z): only the last test waits for the previous move,
            # which keeps the loop-carried dependency chain short.
            up_edge = rho + fresh_weight * p
            mr_cap = fresh_weight * 0.5 * mean_reversion[i]
            mr_slope = mr_cap / MEAN_REVERSION_SCALE
            edge_high = up_edge + mr_cap
            edge_low = up_edge - mr_cap
            # A move is at least m + 2 ticks when the low uniform >= 1 - q**(m + 1).
            n_steps = max_jump[i] - 1
            q_power = 1.0
            for m in range(n_steps):
                q_power *= jump_q[i]
                steps[m] = 1.0 - q_power
            for j in range(nt):
                r = raw[e]
                e += 1
                u = np.int64(r >> _SHIFT) * _TO_UNIT  # signed convert: no branch on the top bit
                w = np.int64(r & _LOW32) * _TO_UNIT
                k = 1
                for m in range(n_steps):
                    k += w >= steps[m]
                up = (u < edge_high) & ((u < edge_low) | (u < up_edge - mr_slope * dev))
                # Arithmetic selects: the CPU cannot predict these coin flips.
                fresh = 2 * np.int64(up) - 1
                d = fresh + np.int64(u < rho) * (last - fresh)
                step = d * k
                x = max(1, x + step)  # price floor: never below one tick
                dev = keep_dev * (dev + step)
                last = d
                if j == 0:
                    open_[i] = x
                    hi = x
                    lo = x
                hi = max(hi, x)
                lo = min(lo, x)
        high[i] = hi
        low[i] = lo
        close[i] = x
    return open_, high, low, close, x, last, x - dev


walk_ticks = njit(cache=True, nogil=True)(walk_ticks_python)


def markov_states_python(u, chance, exit_rate, cum_table, rows, start_code):
    """Walk state transitions minute by minute.

    Parameters
    ----------
    u : float64[n]
        One uniform per minute.
    chance : float64[n]
        Base switch probability of each minute (0 where no switch is allowed).
    exit_rate : float64[n_codes]
        Multiplier of ``chance`` for the current state (short-lived states
        have larger rates); the product is capped at 1.
    cum_table : float64[n_rows, k]
        Cumulative probabilities of the states drawn when a switch fires
        (codes ``0 .. k - 1``), one row per context (e.g. hour state).
    rows : int64[n]
        Row of ``cum_table`` in force at each minute.
    start_code : int
        State before the first minute.

    Returns
    -------
    int64[n]
        State code of every minute. Given a switch fires with probability
        ``c``, ``u / c`` is uniform again and picks the new state, so each
        minute uses exactly one uniform.
    """
    n = u.shape[0]
    codes = np.empty(n, dtype=np.int64)
    current = start_code
    last = cum_table.shape[1] - 1
    for i in range(n):
        c = min(1.0, chance[i] * exit_rate[current])
        if u[i] < c:
            v = u[i] / c
            row = rows[i]
            k = 0
            while k < last and v >= cum_table[row, k]:
                k += 1
            current = k
        codes[i] = current
    return codes


markov_states = njit(cache=True, nogil=True)(markov_states_python)
