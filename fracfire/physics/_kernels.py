"""Numba kernels of the tick physics: arrays in, arrays out, no hidden state.

Each kernel is written once as plain Python (``*_python``) and compiled with
``numba.njit``; tests compare the two. Randomness arrives as pre-drawn arrays
(normals, uniforms, raw 64-bit integers), so a kernel never touches a random
generator. The model the kernels implement is described in ``docs/generator.md``.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

_MASK24 = np.uint64(0xFFFFFF)
_SHIFT24 = np.uint64(24)
_SHIFT48 = np.uint64(48)
_SHIFT49 = np.uint64(49)
_SHIFT50 = np.uint64(50)
_MASK14 = np.uint64(0x3FFF)
_ONE = np.uint64(1)
_TO_UNIT24 = 1.0 / 16777216.0
_TO_UNIT14 = 1.0 / 16384.0


def volatility_path_python(
    z, jump_u, decay, innovation, y_start, jump_base, branching, hawkes_decay, excitation_start, vol_kick, kick_start
):
    """Multi-scale log-volatility and self-exciting jump arrivals, minute by minute.

    The log-volatility is a sum of ``K`` Ornstein-Uhlenbeck components with
    time scales spread geometrically from minutes to months (a discrete
    multifractal cascade): component ``k`` follows
    ``y[k] <- decay[k] * y[k] + innovation[k] * z[i, k]``. Jumps arrive as a
    discrete-time Hawkes process: minute ``i`` has a jump when
    ``jump_u[i] < 1 - exp(-(jump_base[i] + h))``, where the excitation ``h``
    decays by ``hawkes_decay`` per minute and grows by
    ``branching * (1 - hawkes_decay)`` after each jump (so ``branching`` is
    the mean number of jumps a jump triggers). A jump also raises the
    fastest log-volatility component by ``vol_kick`` (volatility clusters
    after news); the kicks' share of that component, decaying with it, is
    returned apart so that jump sizes can be set by the volatility without
    them (else a burst of jumps compounds its own kicks into ever larger
    jumps).

    Parameters
    ----------
    z : float64[n, K]
        Standard normals.
    jump_u : float64[n]
        Uniforms deciding the jump arrivals.
    decay, innovation : float64[K]
        Per-minute decay ``exp(-1 / tau_k)`` and innovation std of each component.
    y_start : float64[K]
        Components before the first minute.
    jump_base : float64[n]
        Baseline jump intensity of each minute (jumps per minute).
    branching, hawkes_decay, excitation_start, vol_kick : float
        Hawkes branching ratio, per-minute decay of the excitation, the
        excitation before the first minute, and the log-volatility kick of a jump.
    kick_start : float
        The kicks' share of the fastest component before the first minute.

    Returns
    -------
    log_vol : float64[n]
        Sum of the components at each minute.
    jumps : bool[n]
        Minutes with a jump.
    y_end : float64[K]
        Components after the last minute.
    excitation_end : float
        Hawkes excitation after the last minute.
    kicks : float64[n]
        The part of ``log_vol`` that jump kicks put there (this minute's included).
    kick_end : float
        That part after the last minute.
    """
    n = z.shape[0]
    k_count = decay.shape[0]
    y = y_start.copy()
    log_vol = np.empty(n, dtype=np.float64)
    jumps = np.zeros(n, dtype=np.bool_)
    kicks = np.zeros(n, dtype=np.float64)
    h = excitation_start
    kick = kick_start
    kick_decay = decay[0] if k_count > 0 else 0.0
    boost = branching * (1.0 - hawkes_decay)
    for i in range(n):
        total = 0.0
        for k in range(k_count):
            y[k] = decay[k] * y[k] + innovation[k] * z[i, k]
            total += y[k]
        rate = jump_base[i] + h
        h *= hawkes_decay
        kick *= kick_decay
        if jump_u[i] < 1.0 - math.exp(-rate):
            jumps[i] = True
            h += boost
            if k_count > 0:
                y[0] += vol_kick
                total += vol_kick
                kick += vol_kick
        log_vol[i] = total
        kicks[i] = kick
    return log_vol, jumps, y, h, kicks, kick


volatility_path = njit(cache=True, nogil=True)(volatility_path_python)


def walk_zones_python(
    n_sub,
    sigma,
    drift,
    eta,
    reversion,
    p_side,
    jump_size,
    jump_at,
    max_move,
    z,
    raw,
    start_x,
    start_level,
    start_anchor,
    anchor_minutes,
    gravity_center,
    gravity_threshold,
    gravity_strength,
    drift_per_logit,
    persistence,
    start_side,
):
    """Efficient price, uncertainty zones and bid/ask prints, in sub-minute steps.

    Minute ``i`` is split into ``n_sub[i]`` steps. In each step the efficient
    price ``x`` (in ticks, continuous) moves by
    ``drift[i] / n_sub + sigma[i] / sqrt(n_sub) * z`` plus a pull of
    ``reversion[i] / n_sub`` times its distance to its exponential mean over
    ``anchor_minutes`` and, at step ``jump_at[i]``, a jump of
    ``jump_size[i]`` ticks. The traded bid level ``L`` (integer ticks; the ask
    is ``L + 1``) follows ``x`` through uncertainty zones (Robert & Rosenbaum):
    it moves up one tick when ``x >= L + 1/2 + eta`` and down when
    ``x <= L - 1/2 - eta``, at most ``max_move[i]`` ticks per step. With
    ``eta < 1/2`` a price change is more often reversed than continued (the
    ratio of continuations to alternations is about ``2 * eta``).

    Trades print at the bid or the ask: in each step an ask print happens
    with probability ``p_side[i]`` and, independently, a bid print (Poisson
    thinning of the minute's trade intensity). A minute without any print
    gets one at its last step. Open and close are the first and last prints,
    high and low the extreme prints.

    Order flow has memory (Choi, Salandro & Shastri's generalisation of the
    Roll model; Lillo & Farmer): the side of the last print, or the direction
    of the last level change (the aggressive side that moved the price), is
    remembered, and with probability ``persistence`` a step's print (with
    two, its first) takes that side instead of the drawn one. Thin minutes
    then close on the same side as the minute before more often, which
    weakens their bid/ask bounce, while busy minutes, with many prints, keep
    it. ``persistence`` 0 leaves every draw as it was.

    Macro gravity: when ``L`` is more than ``gravity_threshold`` ticks from
    ``gravity_center``, the drift is shifted back towards it by
    ``4 * pull * drift_per_logit * sigma`` with ``pull`` growing linearly
    from 0 at the threshold to ``gravity_strength`` at twice the threshold
    (the drift that shifts the up share of price changes by ``pull``).

    Parameters
    ----------
    n_sub : int64[n]
        Steps per minute (>= 1).
    sigma, drift, eta, reversion, p_side : float64[n]
        Per-minute volatility (ticks per square-root minute), drift (ticks per
        minute), zone parameter, mean-reversion rate (per minute) and the
        per-step probability of a print on each side.
    jump_size : float64[n]
        Signed jump of the efficient price (ticks; 0 for none).
    jump_at : int64[n]
        Step of the jump within the minute.
    max_move : int64[n]
        Largest level change per step (ticks).
    z : float64[sum(n_sub)]
        Standard normals, one per step.
    raw : uint64[sum(n_sub)]
        Raw 64-bit draws, one per step: bits 0-23 and 24-47 are the ask and
        bid uniforms, bits 48 and 49 pick the side of the first and last print
        when both sides traded in the step (48 also the side of a minute's
        forced print), bits 50-63 are the uniform of the flow persistence.
    start_x, start_level, start_anchor : float, int, float
        State before the first minute.
    anchor_minutes : float
        Time constant of the exponential mean that mean reversion pulls to.
    gravity_center, gravity_threshold, gravity_strength, drift_per_logit : float
        Macro gravity (see above).
    persistence : float
        Probability in [0, 1] that a print takes the remembered side.
    start_side : int
        Remembered side before the first minute (1 ask, 0 bid).

    Returns
    -------
    open, high, low, close : int64[n]
        Traded prices in ticks.
    moves : int64[n]
        Ticks the traded level moved through in each minute (up and down).
    x, level, anchor, side : float, int, float, int
        State to continue a later walk from.
    """
    n = n_sub.shape[0]
    open_ = np.empty(n, dtype=np.int64)
    high = np.empty(n, dtype=np.int64)
    low = np.empty(n, dtype=np.int64)
    close = np.empty(n, dtype=np.int64)
    moves = np.zeros(n, dtype=np.int64)
    x = start_x
    level = start_level
    anchor = start_anchor
    side = start_side
    pull_scale = gravity_strength / gravity_threshold
    e = 0
    for i in range(n):
        m = n_sub[i]
        root = math.sqrt(m)
        step_sigma = sigma[i] / root
        mu = drift[i]
        off = level - gravity_center
        excess = abs(off) - gravity_threshold
        if excess > 0.0:
            pull = min(gravity_strength, pull_scale * excess)
            shift = 4.0 * pull * drift_per_logit * sigma[i]
            mu += -shift if off > 0 else shift
        step_mu = mu / m
        step_rev = reversion[i] / m
        step_anchor = 1.0 / (anchor_minutes * m)
        up_edge = 0.5 + eta[i]
        p = p_side[i]
        cap = max_move[i]
        first = True
        last_price = level
        hi = level
        lo = level
        for j in range(m):
            x += step_mu + step_sigma * z[e] - step_rev * (x - anchor)
            if j == jump_at[i]:
                x += jump_size[i]
            anchor += step_anchor * (x - anchor)
            moved = 0
            while x >= level + up_edge and moved < cap:
                level += 1
                moved += 1
            moves[i] += moved
            moved = 0
            while x <= level - up_edge and moved < cap and level > 1:
                level -= 1
                moved += 1
            moves[i] += moved
            r = raw[e]
            e += 1
            ask = ((r & _MASK24) * _TO_UNIT24) < p
            bid = (((r >> _SHIFT24) & _MASK24) * _TO_UNIT24) < p
            if not ask and not bid and j == m - 1 and first:
                # A minute always holds at least one print.
                ask = ((r >> _SHIFT48) & _ONE) == _ONE
                bid = not ask
            keep = (((r >> _SHIFT50) & _MASK14) * _TO_UNIT14) < persistence
            if ask != bid and keep:
                ask = side == 1
                bid = not ask
            if ask or bid:
                top = level + 1 if ask else level
                bottom = level if bid else level + 1
                if ask and bid:
                    if keep:
                        opening = level + side
                    else:
                        opening = level + 1 if ((r >> _SHIFT48) & _ONE) == _ONE else level
                    closing = level + 1 if ((r >> _SHIFT49) & _ONE) == _ONE else level
                else:
                    opening = top
                    closing = top
                if first:
                    open_[i] = opening
                    hi = top
                    lo = bottom
                    first = False
                else:
                    hi = max(hi, top)
                    lo = min(lo, bottom)
                last_price = closing
                side = closing - level
        high[i] = hi
        low[i] = lo
        close[i] = last_price
    return open_, high, low, close, moves, x, level, anchor, side


walk_zones = njit(cache=True, nogil=True)(walk_zones_python)


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


def participation_path_python(z, decay, weight, start):
    """A weighted sum of independent standardised AR(1) components, minute by minute.

    Parameters
    ----------
    z : float64[n, k]
        Standard normal innovations, one column per component.
    decay : float64[k]
        Per-minute decay ``a = exp(-1 / tau)`` of each component; the innovation is scaled by
        ``sqrt(1 - a ** 2)``, so a component started from its stationary law (standard normal)
        stays there.
    weight : float64[k]
        Standard deviation each component contributes to the sum.
    start : float64[k]
        Standardised components before the first minute.

    Returns
    -------
    float64[n], float64[k]
        The sum after each minute's update, and the standardised components after the last.
    """
    n, k = z.shape
    u = start.copy()
    out = np.empty(n)
    for i in range(n):
        total = 0.0
        for j in range(k):
            u[j] = decay[j] * u[j] + math.sqrt(1.0 - decay[j] * decay[j]) * z[i, j]
            total += weight[j] * u[j]
        out[i] = total
    return out, u


participation_path = njit(cache=True, nogil=True)(participation_path_python)
