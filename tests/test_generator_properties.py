"""Invariants of generated bars over random seeds, states and custom configs."""

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from fracfire import MarketState, PhysicsConfig, PriceGenerator, StateConfig, calendar, check_bars
from fracfire.schema import BAR_COLUMNS
from tests.reference import bar_geometry

custom_states = st.builds(
    StateConfig,
    name=st.sampled_from(["custom_a", "custom_b"]),
    avg_ticks_per_bar=st.floats(0.1, 60),
    up_probability=st.floats(0, 1),
    trend_persistence=st.floats(0, 0.95),
    volatility_multiplier=st.floats(0.1, 5),
    max_tick_jump=st.integers(1, 12),
    mean_reversion=st.floats(0, 1),
    wick_multiplier=st.floats(0, 5),
)
any_state = st.one_of(st.sampled_from(list(MarketState)), custom_states)
physics = st.builds(
    PhysicsConfig,
    base_volatility=st.floats(0.2, 6),
    avg_ticks_per_bar=st.floats(0.5, 20),
    daily_range_mean=st.floats(10, 300),
    daily_range_std=st.floats(0, 150),
    runner_prob=st.floats(0, 1),
    wick_probability=st.floats(0, 1),
    wick_extension_avg=st.floats(1, 6),
    eta=st.floats(0.01, 0.99),
    vol_of_vol=st.floats(0, 1.5),
    jump_rate=st.floats(0, 50),
    jump_clustering=st.floats(0, 0.9),
    reversion_strength=st.floats(0, 5),
    trend_strength=st.floats(0, 3),
)


def assert_valid_bars(df: pd.DataFrame, prev_close: float) -> None:
    check_bars(df)
    assert tuple(df.columns) == BAR_COLUMNS
    prices = df[["open", "high", "low", "close"]].to_numpy()
    assert np.all(prices * 4 == np.round(prices * 4)), "prices off the 0.25 grid"
    assert (df["low"] <= df[["open", "close"]].min(axis=1)).all()
    assert (df[["open", "close"]].max(axis=1) <= df["high"]).all()
    assert (df["volume"] > 0).all()
    assert not df.isna().any().any()
    for col in ("open", "high", "low", "close"):
        np.testing.assert_array_equal(df[f"{col}_ticks"].to_numpy(), (df[col] / 0.25).to_numpy())
    rows = df.sample(n=min(len(df), 50), random_state=0).index
    closes = df["close_ticks"].to_numpy()
    for i in rows:
        prev = int(round(prev_close / 0.25)) if i == 0 else closes[i - 1]
        want = bar_geometry(*df.loc[i, ["open_ticks", "high_ticks", "low_ticks", "close_ticks"]], prev)
        assert df.loc[i, list(want)].to_dict() == want


@given(seed=st.integers(0, 2**63), state=any_state, phys=physics, offset=st.integers(0, 1439), second=any_state)
def test_bars_satisfy_schema_invariants(seed, state, phys, offset, second):
    gen = PriceGenerator(initial_price=4000.0, seed=seed, physics=phys)
    sequence = (
        [(0, state)]
        if isinstance(second, MarketState)
        or second == state
        or (isinstance(state, StateConfig) and state.name == second.name)
        else [(0, state), (offset or 1, second)]
    )
    df = gen.generate_day("2025-01-06", state_sequence=sequence)
    assert len(df) == 1440
    assert_valid_bars(df, 4000.0)


@given(seed=st.integers(0, 2**63), days=st.integers(1, 3), segment=st.sampled_from([None, 15, 60]))
def test_auto_transition_days_are_valid(seed, days, segment):
    df = PriceGenerator(seed=seed).generate_days("2024-12-30", days, segment_length=segment)
    sessions = calendar.sessions("2024-12-30", n_sessions=days)
    assert len(df) == calendar.session_minutes(sessions)[1].sum()
    assert_valid_bars(df, 3000.0)


@given(
    start=st.dates(min_value=pd.Timestamp("2001-01-01").date(), max_value=pd.Timestamp("2034-06-01").date()),
    days=st.integers(1, 6),
    split=st.integers(1, 5),
    seed=st.integers(0, 2**32),
)
def test_calendar_days_have_no_duplicate_missing_or_off_hours_minutes(start, days, split, seed):
    """Across DST changes, holidays and early closes: every exchange minute once, nothing else,
    and the same bytes however the days are split across calls."""
    gen = PriceGenerator(seed=seed)
    first = gen.generate_days(start, min(split, days))
    rest = [gen.generate_days(None, days - min(split, days))] if days > split else []
    df = pd.concat([first, *rest], ignore_index=True)
    expected, _ = calendar.session_minutes(calendar.sessions(start, n_sessions=days))
    np.testing.assert_array_equal(df["time"].to_numpy(dtype="datetime64[ns]").astype(np.int64), expected)
    assert calendar.is_trading_minute(df["time"]).all()
    whole = PriceGenerator(seed=seed).generate_days(start, days)
    for column in ("time", "open", "high", "low", "close", "volume", "delta_ticks"):
        np.testing.assert_array_equal(whole[column].to_numpy(), df[column].to_numpy())
    for column in ("state", "session", "macro_regime"):
        assert whole[column].astype(str).tolist() == df[column].astype(str).tolist()
