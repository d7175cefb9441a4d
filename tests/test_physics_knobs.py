"""Each PhysicsConfig knob measurably moves the output in its documented direction."""

import numpy as np
import pytest

from fracfire import MarketState, PhysicsConfig, PriceGenerator

BASE = dict(runner_prob=0.0)


def run(days=10, seed=1, state_sequence=None, initial_price=5000.0, **knobs):
    physics = PhysicsConfig(**{**BASE, **knobs})
    gen = PriceGenerator(initial_price=initial_price, seed=seed, physics=physics)
    return gen.generate_days("2025-01-06", days, state_sequence=state_sequence)


def per_day(df):
    days = df.groupby(np.arange(len(df)) // 1440)
    return days["high"].max() - days["low"].min(), days["close"].last() - days["open"].first()


def wick_ticks(df):
    return (df["upper_wick_ticks"] + df["lower_wick_ticks"]).mean()


def test_base_volatility_enlarges_bars():
    assert run(base_volatility=1.0)["range_ticks"].mean() < run(base_volatility=4.0)["range_ticks"].mean()


def test_avg_ticks_per_bar_adds_activity():
    low, high = run(avg_ticks_per_bar=4.0), run(avg_ticks_per_bar=16.0)
    assert low["volume"].mean() * 2 < high["volume"].mean()
    assert low["range_ticks"].mean() < high["range_ticks"].mean()


def test_daily_range_mean_scales_daily_ranges():
    small, _ = per_day(run(days=20, daily_range_mean=60.0, daily_range_std=30.0))
    large, _ = per_day(run(days=20, daily_range_mean=240.0, daily_range_std=120.0))
    assert small.mean() * 2 < large.mean()


def test_daily_range_std_spreads_daily_ranges():
    same, _ = per_day(run(days=40, daily_range_std=0.0))
    spread, _ = per_day(run(days=40, daily_range_std=120.0))
    assert (same / same.mean()).std() < (spread / spread.mean()).std()


def test_runner_prob_makes_directional_days():
    _, calm = per_day(run(days=30, runner_prob=0.0))
    _, trend = per_day(run(days=30, runner_prob=1.0))
    assert calm.abs().mean() * 1.5 < trend.abs().mean()


def test_runner_target_mult_lengthens_runner_days():
    _, short = per_day(run(days=20, runner_prob=1.0, runner_target_mult=1.5))
    _, long = per_day(run(days=20, runner_prob=1.0, runner_target_mult=6.0))
    assert short.abs().mean() * 1.5 < long.abs().mean()


def rally_excursion(**knobs):
    df = run(days=3, state_sequence=[(0, MarketState.RALLY)], **knobs)
    return (df["close"] - 5000.0).abs().max()


def test_macro_gravity_threshold_bounds_drift():
    assert rally_excursion(macro_gravity_threshold=20.0, macro_gravity_strength=0.5) < rally_excursion(
        macro_gravity_threshold=400.0, macro_gravity_strength=0.5)


def test_macro_gravity_strength_pulls_back():
    assert rally_excursion(macro_gravity_threshold=20.0, macro_gravity_strength=0.5) < rally_excursion(
        macro_gravity_threshold=20.0, macro_gravity_strength=0.0)


@pytest.mark.parametrize("knob, low, high", [
    ("wick_probability", 0.05, 0.6),
    ("wick_extension_avg", 1.0, 5.0),
])
def test_wick_knobs_lengthen_wicks(knob, low, high):
    assert wick_ticks(run(days=2, **{knob: low})) < wick_ticks(run(days=2, **{knob: high}))


def test_volume_per_tick_scales_volume():
    assert run(days=2, volume_per_tick=5.0)["volume"].mean() * 3 < run(days=2, volume_per_tick=20.0)["volume"].mean()


def test_session_overrides_move_that_session_only():
    base = run(days=3)
    hot = run(days=3, session_volatility={"asian": 2.0}, session_volume={"asian": 3.0})
    asian = base["session"] == "asian"
    assert hot.loc[asian, "range_ticks"].mean() > 2 * base.loc[asian, "range_ticks"].mean()
    assert hot.loc[asian, "volume"].mean() > 3 * base.loc[asian, "volume"].mean()


@pytest.mark.parametrize("knob, minute", [("rth_open_boost", "09:3"), ("rth_close_boost", "15:5")])
def test_rth_boosts_raise_volatility_at_the_open_and_close(knob, minute):
    base, boosted = run(days=5), run(days=5, **{knob: 3.0})
    at = base["time"].dt.strftime("%H:%M").str.startswith(minute).to_numpy()
    ratio = boosted.loc[at, "range_ticks"].mean() / base.loc[at, "range_ticks"].mean()
    midday = base["time"].dt.strftime("%H:%M").str.startswith("12:").to_numpy()
    assert ratio > 2.0
    assert boosted.loc[midday, "range_ticks"].mean() < 1.3 * base.loc[midday, "range_ticks"].mean()


def test_trend_strength_scales_state_drift():
    sequence = [(0, MarketState.RANGING), (600, MarketState.RALLY), (660, MarketState.RANGING)]
    _, weak = per_day(run(days=10, state_sequence=sequence, trend_strength=0.2))
    _, strong = per_day(run(days=10, state_sequence=sequence, trend_strength=1.0))
    assert weak.mean() * 2 < strong.mean()
