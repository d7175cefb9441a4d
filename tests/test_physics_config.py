import dataclasses

import pytest

from fracfire import PhysicsConfig
from fracfire.exceptions import ConfigError


def test_defaults_are_the_seed_values():
    c = PhysicsConfig()
    assert c.to_dict() == {
        "base_volatility": 2.0, "avg_ticks_per_bar": 8.0, "daily_range_mean": 120.0,
        "daily_range_std": 60.0, "runner_prob": 0.20, "runner_target_mult": 4.0,
        "macro_gravity_threshold": 5000.0, "macro_gravity_strength": 0.15,
        "wick_probability": 0.20, "wick_extension_avg": 2.0, "volume_per_tick": 12.0,
        "session_volatility": {}, "session_volume": {}, "trend_strength": 1.0,
        "rth_open_boost": 0.0, "rth_close_boost": 0.0,
    }
    with pytest.raises(dataclasses.FrozenInstanceError):
        c.base_volatility = 3.0


@pytest.mark.parametrize("key, value, match", [
    ("base_volatility", 0.0, r"PhysicsConfig.base_volatility must be in \(0, inf\]; got 0.0"),
    ("runner_prob", 1.2, r"PhysicsConfig.runner_prob must be in \[0, 1\]; got 1.2"),
    ("runner_target_mult", 0.5, r"runner_target_mult must be in \[1, inf\]"),
    ("macro_gravity_strength", 0.9, r"macro_gravity_strength must be in \[0, 0.5\]"),
    ("wick_probability", -0.1, r"wick_probability must be in \[0, 1\]"),
    ("wick_extension_avg", 0.5, r"wick_extension_avg must be in \[1, inf\]"),
    ("daily_range_std", -1.0, r"daily_range_std must be in \[0, inf\]"),
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
    with pytest.raises(ValueError, match=r"session_volume\['rth'\] must be in \(0, inf\]; got 0"):
        PhysicsConfig(session_volume={"rth": 0})
    with pytest.raises(TypeError, match="session_volatility must be a dict"):
        PhysicsConfig(session_volatility=[1.0])
    volatility, volume = PhysicsConfig(session_volatility={"rth": 2.0}).session_multipliers()
    assert volatility["rth"] == 2.0 and volatility["asian"] == 0.6 and volume["rth"] == 1.5
