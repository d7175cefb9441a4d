import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fracfire.physics._kernels import markov_states, markov_states_python, walk_ticks, walk_ticks_python
from tests.reference import geometric_move


def _inputs(seed, n, rate=6.0, gravity=(0.0, 100.0, 0.0), start=400):
    rng = np.random.default_rng(seed)
    counts = rng.poisson(rate, n).astype(np.int64)
    return (
        counts,
        rng.uniform(0.05, 0.95, n),
        rng.uniform(0.0, 0.9, n),
        rng.uniform(0.0, 0.6, n),
        rng.integers(1, 9, n).astype(np.int64),
        rng.uniform(0.0, 1.0, n),
        rng.bit_generator.random_raw(int(counts.sum())),
        start, 0, float(start), *gravity,
    )


@given(seed=st.integers(0, 2**32 - 1), n=st.integers(0, 60),
       gravity=st.sampled_from([(400.0, 40.0, 0.0), (400.0, 10.0, 0.3), (380.0, 5.0, 0.5)]))
def test_numba_kernel_equals_python_twin(seed, n, gravity):
    args = _inputs(seed, n, gravity=gravity)
    fast = walk_ticks(*args)
    slow = walk_ticks_python(*args)
    for a, b in zip(fast[:4], slow[:4], strict=True):
        np.testing.assert_array_equal(a, b)
    assert fast[4:] == pytest.approx(slow[4:])


def test_kernel_ohlc_invariants_and_continuity():
    args = _inputs(3, 500)
    o, h, lo, c, last, last_dir, anchor = walk_ticks(*args)
    assert (lo <= np.minimum(o, c)).all() and (np.maximum(o, c) <= h).all()
    assert last == c[-1]
    assert last_dir in (-1, 1)
    flat = args[0] == 0
    # A bar without tick events trades flat at the previous close.
    prev = np.concatenate([[args[7]], c[:-1]])
    np.testing.assert_array_equal(o[flat], prev[flat])
    np.testing.assert_array_equal(h[flat], lo[flat])


def test_kernel_move_sizes_follow_truncated_geometric():
    # One event per bar, persistence 0, up probability 1: each close - prev close is the move size.
    n = 4000
    rng = np.random.default_rng(11)
    raw = rng.bit_generator.random_raw(n)
    q, cap = 0.4, 5
    o, h, lo, c, *_ = walk_ticks(
        np.ones(n, np.int64), np.ones(n), np.zeros(n), np.full(n, q), np.full(n, cap, np.int64),
        np.zeros(n), raw, 100, 0, 100.0, 100.0, 1000.0, 0.0,
    )
    moves = np.abs(np.diff(np.concatenate([[100], c])))
    low_uniform = (raw & np.uint64(0xFFFFFFFF)) / 4294967296.0
    expected = [geometric_move(w, q, cap) for w in low_uniform]
    np.testing.assert_array_equal(moves, expected)


def test_kernel_never_trades_below_one_tick():
    n = 200
    counts = np.full(n, 20, np.int64)
    raw = np.random.default_rng(0).bit_generator.random_raw(int(counts.sum()))
    o, h, lo, c, *_ = walk_ticks(
        counts, np.full(n, 0.01), np.zeros(n), np.full(n, 0.5), np.full(n, 6, np.int64),
        np.zeros(n), raw, 10, 0, 10.0, 10.0, 1e9, 0.0,
    )
    assert lo.min() >= 1


@given(seed=st.integers(0, 2**32 - 1), n=st.integers(0, 300), start=st.integers(0, 6))
def test_markov_states_equals_python_twin(seed, n, start):
    rng = np.random.default_rng(seed)
    table = np.cumsum(rng.dirichlet(np.ones(7), size=3), axis=1)
    args = (rng.random(n), rng.uniform(0, 0.3, n), rng.uniform(0.5, 4, 8), table,
            rng.integers(0, 3, n).astype(np.int64), start)
    np.testing.assert_array_equal(markov_states(*args), markov_states_python(*args))


def test_markov_states_switch_rates_follow_exit_rates():
    n = 200_000
    u = np.random.default_rng(1).random(n)
    codes = markov_states(u, np.full(n, 0.05), np.array([1.0, 4.0]), np.array([[0.5, 1.0]]),
                          np.zeros(n, np.int64), 0)
    runs = np.diff(np.flatnonzero(np.diff(codes) != 0))
    share_fast = (codes == 1).mean()
    # Occupancy is weight / exit rate, normalised: 0.5/1 : 0.5/4.
    assert share_fast == pytest.approx(0.2, abs=0.02)
    assert len(runs) > 100
