import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fracfire.physics._kernels import (
    markov_states,
    markov_states_python,
    participation_path,
    participation_path_python,
    volatility_path,
    volatility_path_python,
    walk_zones,
    walk_zones_python,
)
from tests.reference import uncertainty_zone_levels


def _zone_inputs(
    seed,
    n,
    sigma=3.0,
    eta=0.25,
    p_side=0.5,
    substeps=(4, 40),
    gravity=(1000.0, 1e9, 0.0),
    start=1000,
    jumps=True,
    persistence=0.0,
):
    rng = np.random.default_rng(seed)
    n_sub = rng.integers(substeps[0], substeps[1] + 1, n).astype(np.int64)
    total = int(n_sub.sum())
    jump = np.where(rng.random(n) < 0.05, rng.normal(0, 8, n), 0.0) if jumps else np.zeros(n)
    return (
        n_sub,
        rng.uniform(0.2, 2.0, n) * sigma,
        rng.normal(0, 0.5, n),
        np.full(n, eta),
        rng.uniform(0.0, 0.3, n),
        np.full(n, p_side),
        jump,
        rng.integers(0, substeps[0], n).astype(np.int64),
        rng.integers(1, 9, n).astype(np.int64),
        rng.standard_normal(total),
        rng.bit_generator.random_raw(total),
        float(start),
        start,
        float(start),
        15.0,
        *gravity,
        0.6,
        persistence,
        1,
    )


@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(0, 60),
    gravity=st.sampled_from([(1000.0, 40.0, 0.0), (1000.0, 10.0, 0.3), (980.0, 5.0, 0.5)]),
)
@pytest.mark.parametrize("persistence", [0.0, 0.7])
def test_walk_zones_equals_python_twin(seed, n, gravity, persistence):
    args = _zone_inputs(seed, n, gravity=gravity, persistence=persistence)
    fast = walk_zones(*args)
    slow = walk_zones_python(*args)
    for a, b in zip(fast[:5], slow[:5], strict=True):
        np.testing.assert_array_equal(a, b)
    assert fast[5:] == pytest.approx(slow[5:])


@given(seed=st.integers(0, 2**32 - 1), n=st.integers(0, 200))
def test_volatility_path_equals_python_twin(seed, n):
    rng = np.random.default_rng(seed)
    k = 5
    args = (
        rng.standard_normal((n, k)),
        rng.random(n),
        np.exp(-1 / rng.uniform(2, 500, k)),
        rng.uniform(0, 0.2, k),
        rng.normal(0, 0.3, k),
        rng.uniform(0, 0.05, n),
        0.5,
        0.9,
        0.01,
        0.3,
        0.2,
    )
    fast = volatility_path(*args)
    slow = volatility_path_python(*args)
    np.testing.assert_allclose(fast[0], slow[0])
    np.testing.assert_array_equal(fast[1], slow[1])
    np.testing.assert_allclose(fast[2], slow[2])
    assert fast[3] == pytest.approx(slow[3])
    np.testing.assert_allclose(fast[4], slow[4])
    assert fast[5] == pytest.approx(slow[5])


def test_volatility_path_returns_the_kicks_apart():
    """Without diffusion, the fastest component is exactly the decaying sum of the jump kicks."""
    n = 5000
    rng = np.random.default_rng(4)
    decay = np.array([np.exp(-1 / 5.0)])
    log_vol, jumps, y, _, kicks, kick_end = volatility_path(
        np.zeros((n, 1)), rng.random(n), decay, np.zeros(1), np.array([0.1]), np.full(n, 0.02), 0.5, 0.9, 0.0, 0.3, 0.1
    )
    assert jumps.sum() > 50
    np.testing.assert_allclose(kicks, log_vol)
    assert kick_end == pytest.approx(y[0])
    expected = np.zeros(n)
    level = 0.1
    for i in range(n):
        level = level * decay[0] + 0.3 * jumps[i]
        expected[i] = level
    np.testing.assert_allclose(kicks, expected)


def test_walk_zones_ohlc_invariants_and_continuity():
    args = _zone_inputs(3, 2000)
    o, h, lo, c, moves, x, level, anchor, side = walk_zones(*args)
    # The level path covers at least the net move of the closes (prints are within a tick of it).
    assert moves.sum() >= abs(c[-1] - 1000) - 1 and (moves >= 0).all()
    assert (lo <= np.minimum(o, c)).all() and (np.maximum(o, c) <= h).all()
    # Prints are at the bid or the ask: the open is within a tick of the previous close's level.
    assert (np.abs(o[1:] - c[:-1]) <= 1 + 8 * 40).all()
    # The traded level follows the efficient price within its uncertainty zone (plus the move cap).
    assert abs(x - level) < 0.5 + 0.25 + 8


@pytest.mark.parametrize("start_side", [0, 1])
def test_full_flow_persistence_prints_every_quiet_minute_on_the_remembered_side(start_side):
    """Persistence 1 and a level that never moves (no volatility, sparse prints): every print
    repeats the starting side, so each bar is a single price, the bid or the ask."""
    n = 200
    args = list(_zone_inputs(11, n, sigma=0.0, p_side=0.01, jumps=False, persistence=1.0))
    args[1] = np.zeros(n)  # sigma
    args[2] = np.zeros(n)  # drift
    args[-1] = start_side
    o, h, lo, c, moves, *_, side = walk_zones(*args)
    assert (moves == 0).all() and side == start_side
    for price in (o, h, lo, c):
        np.testing.assert_array_equal(price, np.full(n, 1000 + start_side))


def test_walk_zones_levels_follow_the_uncertainty_zone_rule():
    """Without prints on the ask (p_side tiny but one forced print per minute), compare the
    level path step by step with the slow reference of Robert & Rosenbaum's rule."""
    n = 300
    rng = np.random.default_rng(5)
    n_sub = np.ones(n, dtype=np.int64)
    z = rng.standard_normal(n)
    # bit 48 set to 0: the forced print of each one-step minute is at the bid (the level).
    raw = np.zeros(n, dtype=np.uint64) | np.uint64(0xFFFFFFFFFFFF)
    sigma = np.full(n, 1.3)
    o, h, lo, c, *_ = walk_zones(
        n_sub,
        sigma,
        np.zeros(n),
        np.full(n, 0.2),
        np.zeros(n),
        np.full(n, 1e-9),
        np.zeros(n),
        np.zeros(n, np.int64),
        np.full(n, 100, np.int64),
        z,
        raw,
        500.0,
        500,
        500.0,
        15.0,
        500.0,
        1e9,
        0.0,
        0.6,
        0.0,
        1,
    )
    expected = uncertainty_zone_levels(500.0 + np.cumsum(sigma * z), 500, 0.2)
    np.testing.assert_array_equal(c, expected)


@pytest.mark.parametrize("eta", [0.1, 0.25, 0.45])
def test_continuation_ratio_estimates_eta(eta):
    """Robert & Rosenbaum: continuations / (2 * alternations) of price changes estimates eta."""
    n = 300_000  # one small step per "minute": every level change is seen
    rng = np.random.default_rng(int(eta * 100))
    n_sub = np.ones(n, dtype=np.int64)
    total = int(n_sub.sum())
    raw = np.zeros(total, dtype=np.uint64) | np.uint64(0xFFFFFFFFFFFF)  # forced bid prints only
    o, h, lo, c, *_ = walk_zones(
        n_sub,
        np.full(n, 0.05),
        np.zeros(n),
        np.full(n, eta),
        np.zeros(n),
        np.full(n, 1e-9),
        np.zeros(n),
        np.zeros(n, np.int64),
        np.full(n, 1, np.int64),
        rng.standard_normal(total),
        raw,
        1e4,
        10_000,
        1e4,
        15.0,
        1e4,
        1e9,
        0.0,
        0.6,
        0.0,
        1,
    )
    moves = np.sign(np.diff(c))
    moves = moves[moves != 0]
    same = np.sum(moves[1:] == moves[:-1])
    assert same / (2 * (len(moves) - 1 - same)) == pytest.approx(eta, rel=0.2)


def test_bid_ask_bounce_makes_one_minute_returns_negatively_autocorrelated():
    args = _zone_inputs(8, 30_000, sigma=2.0, p_side=0.5, jumps=False)
    args = (*args[:2], np.zeros(30_000), *args[3:4], np.zeros(30_000), *args[5:])
    o, h, lo, c, *_ = walk_zones(*args)
    d = np.diff(c).astype(float)
    assert np.corrcoef(d[:-1], d[1:])[0, 1] < -0.01


def test_busy_minutes_always_have_a_range_and_every_minute_a_print():
    args = _zone_inputs(9, 5000, p_side=0.9, substeps=(20, 40))
    o, h, lo, c, *_ = walk_zones(*args)
    assert ((h - lo) == 0).mean() < 0.001
    quiet = _zone_inputs(9, 5000, p_side=1e-6, sigma=0.01, jumps=False)
    o, h, lo, c, *_ = walk_zones(*quiet)
    assert ((h - lo) == 0).all()  # one forced print per minute: open == high == low == close


def test_walk_zones_never_trades_below_one_tick():
    n = 500
    rng = np.random.default_rng(0)
    n_sub = np.full(n, 10, np.int64)
    o, h, lo, c, *_ = walk_zones(
        n_sub,
        np.full(n, 3.0),
        np.full(n, -20.0),
        np.full(n, 0.25),
        np.zeros(n),
        np.full(n, 0.5),
        np.zeros(n),
        np.zeros(n, np.int64),
        np.full(n, 6, np.int64),
        rng.standard_normal(n * 10),
        rng.bit_generator.random_raw(n * 10),
        10.0,
        10,
        10.0,
        15.0,
        10.0,
        1e9,
        0.0,
        0.6,
        0.0,
        1,
    )
    assert lo.min() >= 1


def test_hawkes_jumps_cluster_with_the_branching_ratio():
    n = 400_000
    rng = np.random.default_rng(2)
    base = np.full(n, 0.001)
    z = np.zeros((n, 0))
    counts = {}
    for branching in (0.0, 0.6):
        _, jumps, *_ = volatility_path(
            z, rng.random(n), np.zeros(0), np.zeros(0), np.zeros(0), base, branching, np.exp(-1 / 10), 0.0, 0.0, 0.0
        )
        counts[branching] = jumps.sum()
    # Mean rate of a stationary Hawkes process: base / (1 - branching).
    assert counts[0.0] / n == pytest.approx(0.001, rel=0.1)
    assert counts[0.6] / n == pytest.approx(0.001 / 0.4, rel=0.15)


def test_log_volatility_components_have_their_stationary_variance():
    n = 200_000
    rng = np.random.default_rng(4)
    decay = np.exp(-1 / np.array([5.0, 50.0]))
    std = np.array([0.2, 0.3])
    log_vol, *_ = volatility_path(
        rng.standard_normal((n, 2)),
        np.ones(n),
        decay,
        std * np.sqrt(1 - decay**2),
        np.zeros(2),
        np.zeros(n),
        0.0,
        0.5,
        0.0,
        0.0,
        0.0,
    )
    assert log_vol.var() == pytest.approx(0.13, rel=0.1)


@given(seed=st.integers(0, 2**32 - 1), n=st.integers(0, 300), start=st.integers(0, 6))
def test_markov_states_equals_python_twin(seed, n, start):
    rng = np.random.default_rng(seed)
    table = np.cumsum(rng.dirichlet(np.ones(7), size=3), axis=1)
    args = (
        rng.random(n),
        rng.uniform(0, 0.3, n),
        rng.uniform(0.5, 4, 8),
        table,
        rng.integers(0, 3, n).astype(np.int64),
        start,
    )
    np.testing.assert_array_equal(markov_states(*args), markov_states_python(*args))


def test_markov_states_switch_rates_follow_exit_rates():
    n = 200_000
    u = np.random.default_rng(1).random(n)
    codes = markov_states(u, np.full(n, 0.05), np.array([1.0, 4.0]), np.array([[0.5, 1.0]]), np.zeros(n, np.int64), 0)
    runs = np.diff(np.flatnonzero(np.diff(codes) != 0))
    share_fast = (codes == 1).mean()
    # Occupancy is weight / exit rate, normalised: 0.5/1 : 0.5/4.
    assert share_fast == pytest.approx(0.2, abs=0.02)
    assert len(runs) > 100


def test_participation_path_matches_its_twin_and_stays_stationary():
    """The compiled kernel equals the plain-Python one; started stationary, each standardised
    component keeps unit variance and its lag-1 autocorrelation is its decay."""
    rng = np.random.default_rng(2)
    n = 200_000
    decay = np.exp(-1.0 / np.array([5.0, 50.0]))
    weight = np.array([0.3, 0.4])
    args = (rng.standard_normal((n, 2)), decay, weight, rng.standard_normal(2))
    fast, slow = participation_path(*args), participation_path_python(*args)
    np.testing.assert_allclose(fast[0], slow[0])
    np.testing.assert_allclose(fast[1], slow[1])
    level = fast[0]
    assert level.std() == pytest.approx(0.5, rel=0.05)  # sqrt(0.3^2 + 0.4^2)
    one = participation_path(rng.standard_normal((n, 1)), decay[:1], np.ones(1), np.zeros(1))[0]
    assert np.corrcoef(one[1:], one[:-1])[0, 1] == pytest.approx(decay[0], abs=0.01)
