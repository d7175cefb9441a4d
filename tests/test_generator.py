import numpy as np
import pandas as pd
import pytest

from fracfire import MarketState, PhysicsConfig, PriceGenerator, StateConfig, check_bars
from fracfire.calendar import is_trading_minute, trading_day_number
from fracfire.data import resample_bars
from fracfire.physics.generator import AUTO_TRANSITION_WEIGHTS

QUIET_PHYSICS = PhysicsConfig(runner_prob=0.0)
SEED_CHARACTER = PhysicsConfig(runner_prob=0.0, trend_strength=1.0)
"""States at full strength: the seed's characters (RALLY about 70 % up minutes)."""


def day_moves(sequence, n_days=30, seed=0, physics=SEED_CHARACTER):
    gen = PriceGenerator(seed=seed, physics=physics)
    df = gen.generate_days("2025-01-06", n_days, state_sequence=sequence)
    days = df.groupby(trading_day_number(df["time"]))
    return days["close"].last() - days["open"].first(), df


def test_same_seed_gives_identical_bytes_and_other_seeds_differ():
    a = PriceGenerator(seed=123).generate_days("2025-01-06", 2)
    b = PriceGenerator(seed=123).generate_days("2025-01-06", 2)
    c = PriceGenerator(seed=124).generate_days("2025-01-06", 2)
    pd.testing.assert_frame_equal(a, b)
    assert pd.util.hash_pandas_object(a).sum() == pd.util.hash_pandas_object(b).sum()
    assert not a["close"].equals(c["close"])


def test_seed_may_be_a_generator_or_seed_sequence():
    a = PriceGenerator(seed=np.random.default_rng(5)).generate_day("2025-01-06")
    b = PriceGenerator(seed=np.random.default_rng(5)).generate_day("2025-01-06")
    pd.testing.assert_frame_equal(a, b)
    c = PriceGenerator(seed=np.random.SeedSequence(9)).generate_day("2025-01-06")
    d = PriceGenerator(seed=9).generate_day("2025-01-06")
    pd.testing.assert_frame_equal(c, d)


def test_days_are_split_invariant_and_continuous():
    whole = PriceGenerator(seed=3).generate_days("2025-01-06", 4)
    gen = PriceGenerator(seed=3)
    parts = pd.concat([gen.generate_days("2025-01-06", 2), gen.generate_days("2025-01-08", 2)], ignore_index=True)
    for col in ("time", "open", "high", "low", "close", "volume", "state", "session"):
        np.testing.assert_array_equal(whole[col].to_numpy(), parts[col].to_numpy())
    # Price carries over: each bar's delta is measured from the previous close, across days.
    assert (whole["delta_ticks"].iloc[1:].to_numpy() == np.diff(whole["close_ticks"])).all()
    assert whole["delta_ticks"].iloc[0] == whole["close_ticks"].iloc[0] - 12000  # from the initial 3000.00
    assert gen.current_price == whole["close"].iloc[-1]


def test_rally_days_end_up_and_breakdown_days_end_down():
    # One hour of the state inside each ranging day (a whole day of either runs for
    # thousands of points: these states are short-lived by design).
    def hour_of(state):
        return [(0, MarketState.RANGING), (600, state), (660, MarketState.RANGING)]

    rally, bars = day_moves(hour_of(MarketState.RALLY))
    breakdown, _ = day_moves(hour_of(MarketState.BREAKDOWN))
    assert (rally > 0).mean() > 0.8
    assert (breakdown < 0).mean() > 0.8
    # The seed's character: about 70 % of the rally minutes that move close up (an
    # overnight hour also has unchanged minutes, more or fewer with the volatility).
    moved = bars["delta_ticks"].to_numpy()[bars["state"].to_numpy() == "rally"]
    moved = moved[moved != 0]
    assert (moved > 0).mean() == pytest.approx(0.70, abs=0.05)


def test_flat_bars_are_smaller_than_impulsive_bars():
    _, flat = day_moves([(0, MarketState.FLAT)], n_days=3)
    _, impulsive = day_moves([(0, MarketState.IMPULSIVE)], n_days=3)
    # Ranges beyond the one-tick bid-ask bounce that any busy minute shows.
    assert (flat["range_ticks"].mean() - 1) * 3 < impulsive["range_ticks"].mean() - 1
    assert flat["volume"].mean() < impulsive["volume"].mean()


def test_rth_bars_are_larger_and_busier_than_asian_bars(week):
    by = week.groupby("session", observed=True)
    assert by["range_ticks"].mean()["rth"] > 1.5 * by["range_ticks"].mean()["asian"]
    assert by["volume"].mean()["rth"] > 2 * by["volume"].mean()["asian"]


def test_weekend_days_are_quieter_than_weekdays():
    df = PriceGenerator(seed=2, physics=QUIET_PHYSICS).generate_days("2025-01-06", 14, calendar=None)
    weekend = df["time"].dt.day_of_week >= 5
    assert df.loc[weekend, "range_ticks"].mean() < 0.6 * df.loc[~weekend, "range_ticks"].mean()
    assert df.loc[weekend, "volume"].mean() < 0.6 * df.loc[~weekend, "volume"].mean()


def test_segments_respect_boundaries():
    df = PriceGenerator(seed=4).generate_days("2025-01-06", 2, segment_length=15)
    np.testing.assert_array_equal(df["segment_id"], np.arange(len(df)) // 15)
    changes = np.flatnonzero(df["state"].to_numpy()[1:] != df["state"].to_numpy()[:-1]) + 1
    assert len(changes) > 5
    assert (changes % 15 == 0).all()
    assert df.groupby("segment_id")["state"].nunique().max() == 1


def test_segment_ids_count_state_runs_without_segment_length(week):
    runs = (week["state"] != week["state"].shift()).cumsum() - 1
    np.testing.assert_array_equal(week["segment_id"], runs)


def test_session_ids_number_the_globex_sessions_as_the_loader_does(week):
    from fracfire.calendar import trading_day_number
    from fracfire.data import load_continuous_contract

    np.testing.assert_array_equal(week["session_id"], pd.factorize(trading_day_number(week["time"]))[0])
    assert week["session_id"].iloc[-1] == 4
    assert week["segment_id"].nunique() > week["session_id"].nunique(), "segments are state runs, not sessions"
    reloaded = load_continuous_contract(week[["time", "open", "high", "low", "close", "volume"]])
    np.testing.assert_array_equal(reloaded["session_id"], week["session_id"])


def test_state_sequence_is_followed_and_carries_before_first_entry():
    gen = PriceGenerator(seed=1)
    seq = [(60, MarketState.RALLY), (120, MarketState.FLAT)]
    df = gen.generate_day("2025-01-06", state_sequence=seq)
    states = df["state"].astype(str)
    assert (states[:60] == "ranging").all()
    assert (states[60:120] == "rally").all()
    assert (states[120:] == "flat").all()
    nxt = gen.generate_day("2025-01-07", state_sequence=[(600, MarketState.RALLY)])
    assert (nxt["state"].astype(str)[:600] == "flat").all()


def test_custom_states_label_bars_with_their_name():
    crash = StateConfig(
        "flash_crash", 40, up_probability=0.1, trend_persistence=0.9, volatility_multiplier=3.0, max_tick_jump=12
    )
    gen = PriceGenerator(seed=8, physics=SEED_CHARACTER)
    df = gen.generate_day(
        "2025-01-06", state_sequence=[(0, MarketState.RANGING), (600, crash), (630, MarketState.FLAT)]
    )
    assert list(df["state"].cat.categories[:7]) == [s.value for s in MarketState]
    crash_bars = df[df["state"] == "flash_crash"]
    assert len(crash_bars) == 30
    assert crash_bars["close"].iloc[-1] < crash_bars["open"].iloc[0] - 20
    bar = gen.generate_bar("2025-01-07 10:00", custom_state_config=crash)
    assert bar["state"] == "flash_crash" and bar["session"] == "rth"


def test_generate_bar_returns_a_full_schema_row():
    gen = PriceGenerator(initial_price=4500.0, seed=1)
    bar = gen.generate_bar(pd.Timestamp("2025-01-06 09:45"), state=MarketState.IMPULSIVE)
    assert bar["time"] == pd.Timestamp("2025-01-06 09:45", tz="America/New_York")
    assert bar["state"] == "impulsive" and bar["macro_regime"] is None
    assert bar["low"] <= min(bar["open"], bar["close"]) <= max(bar["open"], bar["close"]) <= bar["high"]
    assert bar["delta_ticks"] == bar["close_ticks"] - 18000
    assert gen.current_price == bar["close"]


def test_macro_regime_given_or_inferred():
    df = PriceGenerator(seed=1).generate_day("2025-01-06", macro_regime="TREND_DAY")
    assert set(df["macro_regime"]) == {"TREND_DAY"}
    df = PriceGenerator(seed=1, physics=PhysicsConfig(runner_prob=1.0)).generate_days("2025-01-06", 4)
    assert set(df["macro_regime"]) <= {"RUNNER_UP_DAY", "RUNNER_DOWN_DAY"}
    df = PriceGenerator(seed=1, physics=QUIET_PHYSICS).generate_days("2025-01-06", 6)
    assert set(df["macro_regime"]) <= {"UP_DAY", "DOWN_DAY", "CHOP_DAY", "QUIET_DAY"}
    assert df.groupby(trading_day_number(df["time"]))["macro_regime"].nunique().max() == 1


def test_auto_transitions_visit_every_state_and_can_be_turned_off():
    df = PriceGenerator(seed=5).generate_days("2025-01-06", 5)
    assert set(df["state"].astype(str)) == {s.value for s in AUTO_TRANSITION_WEIGHTS}
    fixed = PriceGenerator(seed=5).generate_day("2025-01-06", auto_transition=False)
    assert set(fixed["state"].astype(str)) == {"ranging"}


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda g: g.generate_days("2025-01-06", 0), ValueError, r"n_days must be in \[1, 100000\]; got 0"),
        (lambda g: g.generate_day("not a date"), ValueError, "start_date 'not a date' is not a date"),
        (lambda g: g.generate_day("2025-01-06 00:00:30"), ValueError, "whole minute"),
        (lambda g: g.generate_day("2025-01-06", segment_length=0), ValueError, "segment_length must be in"),
        (
            lambda g: g.generate_day("2025-01-06", state_sequence=[(1500, MarketState.FLAT)]),
            ValueError,
            r"minute_offset must be in \[0, 1499\]; got 1500",
        ),
        (lambda g: g.generate_days("2025-01-06", 2, calendar="nyse"), ValueError, "calendar must be 'globex' or None"),
        (lambda g: g.generate_days(None, 2), ValueError, "nothing was generated yet"),
        (
            lambda g: g.generate_day("2025-01-06", state_sequence=[(5, MarketState.FLAT)], segment_length=15),
            ValueError,
            "minute_offset 5 is not on a segment boundary",
        ),
        (
            lambda g: g.generate_day("2025-01-06", state_sequence=[(0, "rally")]),
            TypeError,
            "must be a MarketState or StateConfig; got 'rally'",
        ),
        (
            lambda g: g.generate_day("2025-01-06", state_sequence=[(0, MarketState.FLAT), (0, MarketState.RALLY)]),
            ValueError,
            "minute_offset 0 more than once",
        ),
        (lambda g: g.generate_day("2025-01-06", state_sequence=[]), ValueError, "state_sequence is empty"),
        (
            lambda g: g.generate_day("2025-01-06", state_sequence=[(0, StateConfig("rally", 3))]),
            ValueError,
            "name 'rally' is already used by a built-in state",
        ),
        (lambda g: g.generate_day("2025-01-06", macro_regime=""), ValueError, "macro_regime must be"),
        (lambda g: g.generate_bar("2025-01-06", state="flat"), TypeError, "state must be a MarketState"),
    ],
)
def test_bad_arguments_raise_clear_errors(call, error, match):
    with pytest.raises(error, match=match):
        call(PriceGenerator(seed=0))


def test_bad_constructor_arguments():
    with pytest.raises(ValueError, match="initial_price must be on the 0.25 tick grid; got 5000.1"):
        PriceGenerator(initial_price=5000.1)
    with pytest.raises(ValueError, match="initial_price must be in"):
        PriceGenerator(initial_price=-5.0)
    with pytest.raises(TypeError, match="seed must be an int"):
        PriceGenerator(seed="abc")
    with pytest.raises(TypeError, match="physics must be a PhysicsConfig"):
        PriceGenerator(physics={"base_volatility": 2})


def test_year_is_valid_on_the_exchange_calendar_and_counts_variates():
    gen = PriceGenerator(seed=11)
    df = gen.generate_days("2025-01-01", 252)
    check_bars(df)
    assert is_trading_minute(df["time"]).all()
    assert not df["time"].duplicated().any()
    days = df.groupby(trading_day_number(df["time"]))
    assert days.size().max() == 1380  # 18:00-17:00 ET, no break since mid-2021
    assert (df["time"].dt.day_of_week != 5).all()  # no Saturday bar
    assert not ((df["time"].dt.month == 12) & (df["time"].dt.day == 25)).any()  # Christmas
    assert gen.variates_drawn > len(df)


@pytest.mark.parametrize("dst", ["2024-03-10", "2024-11-03", "2019-03-10", "2019-11-03"])
def test_consecutive_calls_continue_across_daylight_saving_changes(dst):
    gen = PriceGenerator(seed=2)
    before = pd.Timestamp(dst) - pd.Timedelta(days=4)
    a = gen.generate_days(before, 3)
    b = gen.generate_days(None, 3)
    both = pd.concat([a, b], ignore_index=True)
    assert both["time"].is_monotonic_increasing and not both["time"].duplicated().any()
    assert is_trading_minute(both["time"]).all()
    assert b["delta_ticks"].iloc[0] == b["close_ticks"].iloc[0] - a["close_ticks"].iloc[-1]
    # Wall-clock days, one call per day, neither overlap nor leave a gap across the change.
    gen = PriceGenerator(seed=2)
    days = pd.concat(
        [gen.generate_day(pd.Timestamp(dst) + pd.Timedelta(days=k)) for k in (-1, 0, 1)], ignore_index=True
    )
    step = days["time"].diff().dropna()
    assert (step == pd.Timedelta(minutes=1)).all()
    assert (days["time"].dt.hour * 60 + days["time"].dt.minute).iloc[[0, -1]].tolist() == [0, 1439]
    # ... and resample: the autumn's repeated wall-clock hour gets bins of its own (it used to
    # raise "'time' must be sorted ascending" on sorted bars).
    autumn = dst.endswith("11-03")  # 25 wall-clock hours that day (01:00 twice); spring 23 (no 02:00)
    for timeframe, bins in (("5min", 876 if autumn else 852), ("1h", 72 if autumn else 71)):
        coarse = resample_bars(days, timeframe)
        assert coarse["time"].is_monotonic_increasing and not coarse["time"].isna().any()
        assert not coarse["time"].duplicated().any() and coarse["volume"].sum() == days["volume"].sum()
        assert len(coarse) == bins  # the repeated 01:00 hour: twelve 5-minute bins more, one 2-hour bin


@pytest.mark.parametrize(
    "start, match",
    [
        ("1900-01-02", "start_date 1900-01-02 is outside 1980-2100"),
        ("2099-12-30", "5 days from 2099-12-30 run past 2100-01-01"),
    ],
)
def test_start_outside_the_years_bars_files_hold(start, match):
    with pytest.raises(ValueError, match=match):
        PriceGenerator(seed=1).generate_days(start, 5)


def test_start_none_continues_after_a_run_on_the_other_calendar():
    gen = PriceGenerator(seed=2)
    day = gen.generate_day("2025-01-06")  # a wall-clock day
    week = gen.generate_days(None, 2)  # then Globex sessions, after it
    assert week["time"].iloc[0] > day["time"].iloc[-1]
    assert week["time"].iloc[0] == pd.Timestamp("2025-01-07 18:00", tz="America/New_York")
    more = gen.generate_day(None)  # and a wall-clock day after those
    assert more["time"].iloc[0] == week["time"].iloc[-1] + pd.Timedelta(minutes=1)
