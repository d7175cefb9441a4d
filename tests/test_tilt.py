"""Tilts: the validated way to drive the physics from outside, and scenario paths."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fracfire import PriceGenerator
from fracfire.physics import MarketState
from fracfire.physics.tilt import Tilt, TiltDriver
from fracfire.schema import BAR_COLUMNS

CUT = "2019-09-24 12:00"


# ---------------------------------------------------------------- tilts
@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"volatility": [1.0, 0.0]}, r"volatility\[1\] is 0.0"),
        ({"volatility": [1.0, np.nan]}, r"volatility\[1\] is nan"),
        ({"volatility": [[1.0]]}, "1-D"),
        ({"volatility": []}, "empty"),
        ({"volatility": [1.0, 1.0], "drift": [0.0]}, "drift has 1 minutes"),
        ({"volatility": [1.0], "drift": [0.7]}, r"drift\[0\] is 0.7"),
        ({"volatility": [1.0], "switch": [1.5]}, r"switch\[0\] is 1.5"),
        ({"volatility": [1.0], "states": np.full((1, 7), 1 / 7)}, "needs Tilt.switch"),
        ({"volatility": [1.0], "switch": [0.1], "states": np.full((1, 6), 1 / 6)}, r"shape \(1, 7\)"),
        ({"volatility": [1.0], "switch": [0.1], "states": np.full((1, 7), 0.5)}, "row 0 must be probabilities"),
    ],
)
def test_tilt_rejects_bad_arrays_naming_the_minute(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Tilt(**kwargs)


def test_tilt_is_read_only_and_too_short_tilts_are_refused():
    tilt = Tilt.constant(10, 1.2)
    with pytest.raises(ValueError):
        tilt.volatility[0] = 3.0
    with pytest.raises(ValueError, match="covers 10 minutes"):
        PriceGenerator(seed=1).generate_days("2019-09-24", 1, tilt=tilt)
    with pytest.raises(TypeError, match="tilt must be a Tilt"):
        PriceGenerator(seed=1).generate_days("2019-09-24", 1, tilt=np.ones(1500))


def test_a_paths_drift_and_the_tilts_share_one_limit():
    """A path's drift (``drift_spread``) adds to the tilt's, and the sum stops at the
    engine's limit: on a tilt already at +0.5, paths drawn upwards are the tilt's own paths."""
    tilt = Tilt.constant(400, 1.0, drift=0.5)
    plain = PriceGenerator(seed=5).generate_paths(CUT, 12, tilt=tilt)
    spread = PriceGenerator(seed=5).generate_paths(CUT, 12, tilt=tilt, drift_spread=0.5)
    same = [
        plain[plain["scenario"] == k]["close"].to_numpy().tobytes()
        == spread[spread["scenario"] == k]["close"].to_numpy().tobytes()
        for k in range(12)
    ]
    assert 0 < sum(same) < 12  # up-drawn paths hit the limit; down-drawn ones differ


def test_volatility_and_drift_tilts_move_the_bars_the_way_they_say():
    quiet = PriceGenerator(seed=3).generate_paths(CUT, 40, tilt=Tilt.constant(400, 0.5))
    loud = PriceGenerator(seed=3).generate_paths(CUT, 40, tilt=Tilt.constant(400, 2.0))
    assert loud["range_ticks"].mean() > 2.5 * quiet["range_ticks"].mean()
    up = PriceGenerator(seed=3).generate_paths(CUT, 40, tilt=Tilt.constant(400, 1.0, drift=0.2))
    down = PriceGenerator(seed=3).generate_paths(CUT, 40, tilt=Tilt.constant(400, 1.0, drift=-0.2))
    net_up = up.groupby("scenario")["close"].last() - 3000.0
    net_down = down.groupby("scenario")["close"].last() - 3000.0
    assert (net_up > 0).mean() > 0.9 and (net_down < 0).mean() > 0.9


def test_tilt_driver_switches_states_to_the_tilts_probabilities():
    rally = np.zeros((400, 7))
    rally[:, list(MarketState).index(MarketState.RALLY)] = 1.0
    tilt = Tilt(np.ones(400), switch=np.full(400, 0.05), states=rally)
    bars = PriceGenerator(seed=4).generate_paths(CUT, 5, driver=TiltDriver(tilt), state=MarketState.FLAT)
    firsts = bars.groupby("scenario")["state"].first()
    lasts = bars.groupby("scenario")["state"].last()
    assert set(firsts.astype(str)) == {"flat"} and set(lasts.astype(str)) == {"rally"}
    held = PriceGenerator(seed=4).generate_paths(
        CUT, 2, driver=TiltDriver(Tilt.constant(400)), state=MarketState.ZOMBIE
    )
    assert set(held["state"].astype(str)) == {"zombie"}


def test_a_tilt_over_a_base_driver_multiplies_its_modifiers():
    from fracfire.physics.driver import DayPlan
    from fracfire.physics.schedule import Modifiers

    class Base:
        def plan_day(self, start, n, rng, previous):
            return DayPlan(np.zeros(n, dtype=np.int64), Modifiers(np.full(n, 2.0), np.full(n, 0.1), np.zeros(n)))

    plan = TiltDriver(Tilt.constant(10, 1.5, drift=0.1), base=Base()).plan_day(None, 10, None, 0)
    assert np.allclose(plan.modifiers.volatility, 3.0) and np.allclose(plan.modifiers.bias, 0.2)


# ---------------------------------------------------------------- scenario paths
def test_paths_are_deterministic_independent_and_leave_the_generator_alone():
    gen = PriceGenerator(initial_price=2950.0, seed=11)
    a = gen.generate_paths(CUT, 6)
    assert gen.current_price == 2950.0
    b = PriceGenerator(initial_price=2950.0, seed=11).generate_paths(CUT, 6)
    pd.testing.assert_frame_equal(a, b)
    fewer = PriceGenerator(initial_price=2950.0, seed=11).generate_paths(CUT, 3)
    pd.testing.assert_frame_equal(fewer, a[a["scenario"] < 3].reset_index(drop=True), check_categorical=False)
    assert list(a.columns) == [*BAR_COLUMNS, "scenario"]
    first = a.groupby("scenario").head(1)
    assert (first["delta_ticks"] == first["close_ticks"] - round(2950.0 / 0.25)).all()
    per_path = a.groupby("scenario")["time"]
    assert (per_path.first() == pd.Timestamp(CUT, tz="America/New_York")).all()
    assert (per_path.last() == pd.Timestamp("2019-09-24 16:59", tz="America/New_York")).all()
    assert per_path.size().nunique() == 1 and not a["time"].iloc[: per_path.size().iloc[0]].duplicated().any()
    assert a.groupby("scenario")["close"].last().nunique() > 1  # the paths differ


def test_paths_stop_at_the_end_and_refuse_closed_minutes():
    gen = PriceGenerator(seed=1)
    short = gen.generate_paths(CUT, 2, end="2019-09-24 12:30")
    assert len(short) == 60
    with pytest.raises(ValueError, match="not a CME Globex trading minute"):
        gen.generate_paths("2019-09-28 12:00", 2)  # a Saturday
    with pytest.raises(ValueError, match="must come after start"):
        gen.generate_paths(CUT, 2, end="2019-09-24 11:00")
    with pytest.raises(ValueError, match="n_paths"):
        gen.generate_paths(CUT, 0)


def test_a_drift_spread_spreads_the_closes_and_draws_nothing_when_zero():
    end = pd.Timestamp(CUT) + pd.Timedelta(minutes=240)
    plain = PriceGenerator(seed=4).generate_paths(CUT, 300, end=end, volatility_spread=0.2)
    zero = PriceGenerator(seed=4).generate_paths(CUT, 300, end=end, volatility_spread=0.2, drift_spread=0.0)
    pd.testing.assert_frame_equal(plain, zero)  # 0 draws nothing: the bars of a call without it
    # the drift comes from a jumped copy of each path's stream: every other draw is the plain path's
    tiny = PriceGenerator(seed=4).generate_paths(CUT, 300, end=end, volatility_spread=0.2, drift_spread=1e-12)
    pd.testing.assert_frame_equal(plain, tiny)

    def close_spread_per_range(bars):
        by_path = bars.groupby("scenario")
        moves = by_path["close"].last() - by_path["open"].first()
        return moves.std() / (by_path["high"].max() - by_path["low"].min()).mean()

    drifting = PriceGenerator(seed=4).generate_paths(CUT, 300, end=end, volatility_spread=0.2, drift_spread=0.03)
    again = PriceGenerator(seed=4).generate_paths(CUT, 300, end=end, volatility_spread=0.2, drift_spread=0.03)
    pd.testing.assert_frame_equal(drifting, again)
    # paths now trend: their closes spread further for the range they travel (Brownian paths: ~0.63)
    assert close_spread_per_range(drifting) > close_spread_per_range(plain) + 0.1
    for bad in (-0.1, 0.6, float("nan"), True):
        with pytest.raises((ValueError, TypeError), match="drift_spread"):
            PriceGenerator(seed=4).generate_paths(CUT, 2, drift_spread=bad)


@given(st.integers(0, 2**32 - 1), st.sampled_from(["2019-09-24 10:30", "2019-09-23 03:00", "2019-11-01 15:59"]))
def test_paths_keep_the_bar_invariants(seed, start):
    from fracfire.schema import check_bars

    bars = PriceGenerator(seed=seed).generate_paths(
        start, 2, end=pd.Timestamp(start) + pd.Timedelta(minutes=90), volatility_spread=0.5
    )
    for _, path in bars.groupby("scenario"):
        check_bars(path.drop(columns="scenario").reset_index(drop=True))
    assert (bars["open_ticks"] * 0.25 == bars["open"]).all()
