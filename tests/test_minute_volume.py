"""The scheduled minute bursts of volume (``PhysicsConfig.minute_volume``) and their calibration."""

import numpy as np
import pandas as pd
import pytest

from fracfire import PhysicsConfig, PriceGenerator
from fracfire.realism.levels import MINUTE_SPIKE, minute_volume_shape

PRICES = ["open", "high", "low", "close"]


def minute(bars: pd.DataFrame) -> np.ndarray:
    return (bars["time"].dt.hour * 60 + bars["time"].dt.minute).to_numpy()


def bars(days: int = 12, seed: int = 3, **minute_volume: float) -> pd.DataFrame:
    physics = PhysicsConfig(minute_volume={k.replace("_", ":"): v for k, v in minute_volume.items()})
    return PriceGenerator(seed=seed, physics=physics).generate_days("2024-03-04", days)


def test_multipliers_keep_each_half_hour_and_hold_the_ratio_to_its_other_minutes():
    values = PhysicsConfig(minute_volume={"15:59": 8.0, "18:00": 3.0}).minute_volume_multipliers()
    assert values.shape == (1440,)
    np.testing.assert_allclose(values.reshape(48, 30).mean(axis=1), 1.0)
    assert values[15 * 60 + 59] / values[15 * 60 + 30] == pytest.approx(8.0)
    assert values[18 * 60] / values[18 * 60 + 29] == pytest.approx(3.0)
    assert (values[: 15 * 60 + 30] == 1.0).all()
    assert (PhysicsConfig(minute_volume={}).minute_volume_multipliers() == 1.0).all()
    assert PhysicsConfig.seed().minute_volume == {}


def test_bad_minute_keys_are_rejected():
    with pytest.raises(ValueError, match=r"minute_volume: keys must be minutes of the ET clock .* got \['24:00'\]"):
        PhysicsConfig(minute_volume={"24:00": 2.0})
    with pytest.raises(ValueError, match=r"minute_volume.15:59\n  Input should be greater than 0"):
        PhysicsConfig(minute_volume={"15:59": 0.0})


def test_a_burst_moves_volume_not_prices():
    flat, burst = bars(days=4), bars(days=4, **{"15_59": 10.0})
    pd.testing.assert_frame_equal(flat[PRICES], burst[PRICES])
    at = minute(flat) == 15 * 60 + 59
    rest = (minute(flat) >= 15 * 60 + 30) & (minute(flat) < 15 * 60 + 59)
    ratio = burst["volume"][at].median() / flat["volume"][at].median()
    assert ratio / (burst["volume"][rest].median() / flat["volume"][rest].median()) == pytest.approx(10.0, rel=0.05)


def test_calibration_finds_a_planted_burst_and_nothing_else():
    real = bars(days=40, seed=5, **{"15_59": 8.0, "09_29": 5.0})
    flat = [bars(days=40, seed=s) for s in (11, 12)]
    found = minute_volume_shape(real, flat)
    assert set(found) == {"09:29", "15:59"}
    assert found["15:59"] == pytest.approx(8.0, rel=0.3)
    assert found["09:29"] == pytest.approx(5.0, rel=0.4)  # 40 days: the medians are noisy
    assert minute_volume_shape(flat[0], flat[1:]) == {}
    assert MINUTE_SPIKE > 1.0


def test_the_calibration_step_keeps_bursts_a_regular_hours_file_cannot_show():
    from fracfire.realism.calibration import _Target
    from fracfire.realism.levels import match_volume

    full = bars(days=10, seed=5, **{"15_59": 8.0})
    real = full[full["session"] == "rth"].reset_index(drop=True)
    start = PhysicsConfig().replace(minute_volume={"09:29": 4.5, "18:00": 8.7})
    fitted = match_volume(_Target(real, (0,)), start)
    assert fitted.minute_volume["18:00"] == start.minute_volume["18:00"]  # overnight: not in the file
    assert fitted.minute_volume["09:29"] == start.minute_volume["09:29"]
    assert fitted.minute_volume["15:59"] == pytest.approx(8.0, rel=0.5)
