import dataclasses

import pytest

from fracfire import PhysicsConfig
from fracfire.exceptions import ConfigError
from fracfire.physics.config import SEED_PHYSICS


def test_seed_preset_keeps_the_seed_values():
    c = PhysicsConfig.seed()
    seed_values = {
        "base_volatility": 2.0, "avg_ticks_per_bar": 8.0, "daily_range_mean": 120.0,
        "daily_range_std": 60.0, "runner_prob": 0.20, "runner_target_mult": 4.0,
        "macro_gravity_threshold": 5000.0, "macro_gravity_strength": 0.15,
        "wick_probability": 0.20, "wick_extension_avg": 2.0, "volume_per_tick": 12.0,
        "session_volatility": {}, "session_volume": {}, "trend_strength": 1.0,
        "rth_open_boost": 0.0, "rth_close_boost": 0.0,
    }
    assert {k: v for k, v in c.to_dict().items() if k in seed_values} == seed_values
    assert c is SEED_PHYSICS
    with pytest.raises(dataclasses.FrozenInstanceError):
        c.base_volatility = 3.0


def test_defaults_are_realistic_for_es():
    c = PhysicsConfig()
    # Within the daily ranges ES has shown (a quiet 2017 month ~12 points, 2019 ~35, 2020 crisis >150).
    assert 10.0 <= c.daily_range_mean <= 80.0
    assert c.daily_range_std < c.daily_range_mean
    assert 0.0 < c.eta < 0.5  # a large-tick future: price changes reverse more often than they continue


@pytest.mark.parametrize("key, value, match", [
    ("base_volatility", -1.0, r"PhysicsConfig.base_volatility must be in \[0, 50\]; got -1.0"),
    ("avg_ticks_per_bar", 1e9, r"PhysicsConfig.avg_ticks_per_bar must be in \(0, 10000\]; got 1000000000.0"),
    ("volume_per_tick", 1e30, r"PhysicsConfig.volume_per_tick must be in \(0, 1e\+06\]"),
    ("eta", 1.0, r"PhysicsConfig.eta must be in \(0, 1\); got 1.0"),
    ("jump_clustering", 0.95, r"PhysicsConfig.jump_clustering must be in \[0, 0.95\)"),
    ("vol_memory_days", 0.5, r"PhysicsConfig.vol_memory_days must be in \[1, 2000\]"),
    ("runner_prob", 1.2, r"PhysicsConfig.runner_prob must be in \[0, 1\]; got 1.2"),
    ("runner_target_mult", 0.5, r"runner_target_mult must be in \[1, 20\]"),
    ("macro_gravity_strength", 0.9, r"macro_gravity_strength must be in \[0, 0.5\]"),
    ("wick_probability", -0.1, r"wick_probability must be in \[0, 1\]"),
    ("wick_extension_avg", 0.5, r"wick_extension_avg must be in \[1, 100\]"),
    ("daily_range_std", -1.0, r"daily_range_std must be in \[0, 5000\]"),
])
def test_invalid_knobs_raise(key, value, match):
    with pytest.raises(ValueError, match=match):
        PhysicsConfig(**{key: value})


def test_dict_and_yaml_round_trip(tmp_path):
    c = PhysicsConfig(base_volatility=1.5, wick_probability=0.1, runner_prob=0.0,
                      session_volatility={"rth": 2.0, "asian": 0.3}, session_volume={"rth": 4},
                      rth_open_boost=1.5)
    assert PhysicsConfig.from_dict(c.to_dict()) == c
    path = c.to_yaml(tmp_path / "sub" / "physics.yaml")
    assert PhysicsConfig.from_yaml(path) == c
    assert c.replace(wick_probability=0.3).wick_probability == 0.3


def test_unknown_keys_and_bad_files_are_rejected(tmp_path):
    with pytest.raises(ValueError, match=r"unknown key\(s\) \['volatility'\]"):
        PhysicsConfig.from_dict({"volatility": 2.0})
    bad = tmp_path / "bad.yaml"
    bad.write_text("physics:\n  base_volatility: -1\n")
    with pytest.raises(ConfigError, match=r"bad.yaml: PhysicsConfig.base_volatility must be in"):
        PhysicsConfig.from_yaml(bad)
    bad.write_text("just a string\n")
    with pytest.raises(ConfigError, match="expected a mapping"):
        PhysicsConfig.from_yaml(bad)
    bad.write_text("a: [1,\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        PhysicsConfig.from_yaml(bad)
    with pytest.raises(FileNotFoundError, match="physics config file not found"):
        PhysicsConfig.from_yaml(tmp_path / "missing.yaml")


def test_session_overrides_are_validated():
    with pytest.raises(ValueError, match=r"session_volatility got unknown key\(s\) \['lunch'\]"):
        PhysicsConfig(session_volatility={"lunch": 1.0})
    with pytest.raises(ValueError, match=r"session_volume\['rth'\] must be in \(0, 1000\]; got 0"):
        PhysicsConfig(session_volume={"rth": 0})
    with pytest.raises(TypeError, match="session_volatility must be a dict"):
        PhysicsConfig(session_volatility=[1.0])
    volatility, volume = PhysicsConfig(session_volatility={"rth": 2.0}, session_volume={}).session_multipliers()
    assert volatility["rth"] == 2.0 and volatility["asian"] == 0.6 and volume["rth"] == 1.5
