import json

import numpy as np
import pandas as pd
import pytest

from fracfire import (
    DayState,
    FractalConfig,
    FractalStateManager,
    HourState,
    MarketState,
    MarkovStateDriver,
    PriceGenerator,
    check_bars,
    infer_states,
)
from fracfire.exceptions import ConfigError, FracFireWarning


def test_default_matrices_are_valid_and_round_trip(tmp_path):
    config = FractalConfig()
    for row in config.day_to_hour.values():
        assert sum(row.values()) == pytest.approx(1.0)
    path = config.to_yaml(tmp_path / "fractal.yaml")
    assert FractalConfig.from_yaml(path) == config


def test_bad_matrices_are_rejected(tmp_path):
    rows = FractalConfig().to_dict()
    bad = json.loads(json.dumps(rows))
    bad["day_to_hour"]["trend_day"]["impulse"] = 0.9
    with pytest.raises(ConfigError, match=r"day_to_hour\['trend_day'\] must sum to 1; its probabilities sum to 1.6"):
        FractalConfig.from_dict(bad)
    bad = json.loads(json.dumps(rows))
    bad["hour_to_minute"]["impulse"]["moonshot"] = 0.0
    with pytest.raises(ValueError, match=r"unknown key\(s\) \['moonshot'\]"):
        FractalConfig.from_dict(bad)
    bad = json.loads(json.dumps(rows))
    del bad["day_to_hour"]["quiet_day"]
    with pytest.raises(ConfigError, match=r"missing rows \['quiet_day'\]"):
        FractalConfig.from_dict(bad)
    (tmp_path / "x.yaml").write_text("hour_persistence: 2\n")
    with pytest.raises(ConfigError, match=r"x.yaml: hour_persistence: Input should be less than or equal to 1"):
        FractalConfig.from_yaml(tmp_path / "x.yaml")
    (tmp_path / "empty.yaml").write_text("# nothing here\n")
    with pytest.warns(
        FracFireWarning, match=r"empty.yaml: the fractal config file is empty, so the defaults are used"
    ) as w:
        assert FractalConfig.from_yaml(tmp_path / "empty.yaml") == FractalConfig()
    assert w[0].filename == __file__  # the warning points at the caller, not at the library


def test_driver_labels_bars_with_the_hierarchy():
    df = PriceGenerator(seed=4).generate_days("2025-01-06", 2, driver=FractalStateManager())
    check_bars(df)
    assert {"day_state", "hour_state"} <= set(df.columns)
    per_day = df.groupby(np.arange(len(df)) // 1440)
    assert (per_day["day_state"].nunique() == 1).all()
    assert (df["macro_regime"].astype(str) == df["day_state"].astype(str)).all()
    per_hour = df.groupby(np.arange(len(df)) // 60)["hour_state"].nunique()
    assert (per_hour == 1).all(), "hour states change only on the hour"
    assert set(df["hour_state"].astype(str)) <= {h.value for h in HourState}


def test_driver_output_is_reproducible_and_split_invariant():
    whole = PriceGenerator(seed=9).generate_days("2025-01-06", 2, driver=FractalStateManager())
    gen = PriceGenerator(seed=9)
    parts = pd.concat(
        [
            gen.generate_day("2025-01-06", driver=FractalStateManager(), calendar="globex"),
            gen.generate_day("2025-01-07", driver=FractalStateManager(), calendar="globex"),
        ],
        ignore_index=True,
    )
    np.testing.assert_array_equal(whole["close"], parts["close"])
    np.testing.assert_array_equal(whole["hour_state"].astype(str), parts["hour_state"].astype(str))


def day_moves(day_state, seeds=range(16)):
    return np.array(
        [
            abs(d["close"].iloc[-1] - d["open"].iloc[0])
            for d in (
                PriceGenerator(seed=s).generate_day("2025-01-07", driver=FractalStateManager(day_state=day_state))
                for s in seeds
            )
        ]
    )


def test_trend_days_move_more_than_range_days():
    assert day_moves(DayState.TREND_DAY).mean() > 3 * day_moves(DayState.RANGE_DAY).mean()
    assert day_moves(DayState.QUIET_DAY).mean() < day_moves(DayState.RANGE_DAY).mean()


def test_direction_and_day_state_can_be_forced():
    up = [
        PriceGenerator(seed=s).generate_day(
            "2025-01-07", driver=FractalStateManager(day_state=DayState.TREND_DAY, direction=1)
        )
        for s in range(8)
    ]
    down = [
        PriceGenerator(seed=s).generate_day(
            "2025-01-07", driver=FractalStateManager(day_state=DayState.TREND_DAY, direction=-1)
        )
        for s in range(8)
    ]
    assert np.mean([d["close"].iloc[-1] > d["open"].iloc[0] for d in up]) >= 0.75
    assert np.mean([d["close"].iloc[-1] < d["open"].iloc[0] for d in down]) >= 0.75


def test_step_by_step_api():
    manager = FractalStateManager(seed=3)
    assert manager.initialize_day(DayState.QUIET_DAY) is DayState.QUIET_DAY
    day, hour, minute = manager.update("2025-01-06 10:00")
    assert day is DayState.QUIET_DAY and isinstance(hour, HourState) and isinstance(minute, MarketState)
    assert manager.update("2025-01-06 10:59")[1] is hour, "same hour, same hour state"
    assert isinstance(manager.initialize_day(), DayState)


def test_driver_arguments_are_checked():
    with pytest.raises(TypeError, match="day_state must be a DayState"):
        FractalStateManager(day_state="trend")
    with pytest.raises(ValueError, match="direction must be 1, -1 or None"):
        FractalStateManager(direction=0)
    with pytest.raises(ValueError, match="either state_sequence or driver"):
        PriceGenerator(seed=0).generate_day(
            "2025-01-06", state_sequence=[(0, MarketState.FLAT)], driver=FractalStateManager()
        )
    with pytest.raises(TypeError, match="driver must have a plan_day method"):
        PriceGenerator(seed=0).generate_day("2025-01-06", driver=object())


def sampled_frame(codes):
    names = np.array([s.value for s in MarketState])
    return pd.DataFrame(
        {
            "time": pd.date_range("2025-01-01", periods=len(codes), freq="min", tz="America/New_York"),
            "state": names[codes],
        }
    )


def test_markov_fit_recovers_its_own_transition_matrix():
    truth = MarkovStateDriver().fit(PriceGenerator(seed=2).generate_days("2025-01-06", 10))
    refit = MarkovStateDriver().fit(sampled_frame(truth.sample(300_000, random_state=1)))
    seen = truth.start_probabilities_ > 0.02
    assert np.abs(refit.jump_matrix_[seen] - truth.jump_matrix_[seen]).max() < 0.05
    assert np.abs(refit.transition_matrix_[seen] - truth.transition_matrix_[seen]).max() < 0.02
    assert refit.start_probabilities_ == pytest.approx(truth.start_probabilities_, abs=0.02)


def test_markov_driver_sequences_drive_the_generator(tmp_path):
    driver = MarkovStateDriver().fit(PriceGenerator(seed=2).generate_days("2025-01-06", 5))
    sequences = driver.generate_sequence(2, random_state=0)
    assert len(sequences) == 2 and sequences[0][0][0] == 0
    gen = PriceGenerator(seed=1)
    check_bars(gen.generate_day("2025-01-06", state_sequence=sequences[0]))
    check_bars(gen.generate_day("2025-01-07", driver=driver))
    for name in ("driver.json", "driver.yaml"):
        loaded = MarkovStateDriver.load(driver.save(tmp_path / name))
        np.testing.assert_array_equal(loaded.sample(500, random_state=3), driver.sample(500, random_state=3))


def test_markov_errors(tmp_path):
    with pytest.raises(RuntimeError, match="not fitted"):
        MarkovStateDriver().sample(10)
    with pytest.raises(ValueError, match="complete 'state' column"):
        MarkovStateDriver().fit(sampled_frame(np.zeros(5, int)).assign(state=None))
    with pytest.raises(ValueError, match="at least 2 labelled bars"):
        MarkovStateDriver().fit(sampled_frame(np.zeros(1, int)))
    with pytest.raises(ValueError, match="not MarketState values"):
        MarkovStateDriver().fit(sampled_frame(np.zeros(5, int)).assign(state="moon"))
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"format_version": 99}))
    with pytest.raises(ConfigError, match="format version 1"):
        MarkovStateDriver.load(bad)
    good = MarkovStateDriver().fit(sampled_frame(np.array([0, 0, 1, 1, 2]))).to_dict()
    good["jump_matrix"][0] = [0.5] * 7
    bad.write_text(json.dumps(good))
    with pytest.raises(ConfigError, match="row sums"):
        MarkovStateDriver.load(bad)
    good = MarkovStateDriver().fit(sampled_frame(np.array([0, 0, 1, 1, 2]))).to_dict()
    del good["min_dwell"]
    good["transition_matrix"][2] = [0.5] * 6
    good["dwell_times"]["flat"] = [0]
    bad.write_text(json.dumps(good))
    with pytest.raises(ConfigError) as caught:  # every problem at once, each with its key, no KeyError
        MarkovStateDriver.load(bad)
    assert str(caught.value) == (
        f"{bad}: min_dwell: Field required; transition_matrix.2: List should have at least "
        "7 items after validation, not 6; dwell_times.flat.0: Input should be greater than "
        "or equal to 1 (got 0)"
    )


def test_infer_states_beats_chance_on_synthetic_data():
    df = PriceGenerator(seed=2).generate_days("2025-01-06", 10)
    inferred = infer_states(df, n_regimes=7)
    accuracy = (inferred.astype(str).to_numpy() == df["state"].astype(str).to_numpy()).mean()
    assert accuracy > 2 / 7, f"accuracy {accuracy:.3f} vs 1/7 chance"
    assert list(inferred.cat.categories) == [s.value for s in MarketState]


def test_from_real_fits_the_bundled_sample():
    from fracfire.data.real import load_continuous_contract
    from tests.test_real_data import SAMPLE

    real = load_continuous_contract(SAMPLE).iloc[:6000]
    driver = MarkovStateDriver.from_real(real, n_regimes=4)
    assert driver.start_probabilities_.sum() == pytest.approx(1.0)
    check_bars(PriceGenerator(seed=0).generate_day("2025-01-06", driver=driver))


def test_infer_states_reads_five_minute_bars_without_volume():
    """Bars without volume (NQ five-minute files) drop the volume features instead of feeding NaN to the HMM."""
    from fracfire.data.resample import resample_bars
    from fracfire.physics.markov import state_features

    bars = resample_bars(PriceGenerator(seed=5).generate_days("2025-01-06", 4), "5min").assign(volume=1)
    bars.attrs["has_volume"] = False
    assert state_features(bars).shape[1] == 4 and np.isfinite(state_features(bars)).all()
    inferred = infer_states(bars, n_regimes=4)
    assert len(inferred) == len(bars) and inferred.notna().all()
