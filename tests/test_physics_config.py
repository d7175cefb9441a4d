import dataclasses
import re

import numpy as np
import pytest

from fracfire import PhysicsConfig
from fracfire.exceptions import ConfigError
from fracfire.physics.config import SEED_PHYSICS
from fracfire.physics.sessions import SESSION_CONFIGS


def test_seed_preset_keeps_the_seed_values():
    c = PhysicsConfig.seed()
    seed_values = {
        "base_volatility": 2.0,
        "avg_ticks_per_bar": 8.0,
        "daily_range_mean": 120.0,
        "daily_range_std": 60.0,
        "runner_prob": 0.20,
        "runner_target_mult": 4.0,
        "macro_gravity_threshold": 5000.0,
        "macro_gravity_strength": 0.15,
        "wick_probability": 0.20,
        "wick_extension_avg": 2.0,
        "volume_per_tick": 12.0,
        "session_volatility": {s.value: c.volatility_multiplier for s, c in SESSION_CONFIGS.items()},
        "session_volume": {s.value: c.volume_multiplier for s, c in SESSION_CONFIGS.items()},
        "trend_strength": 1.0,
        "rth_open_boost": 0.0,
        "rth_close_boost": 0.0,
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


@pytest.mark.parametrize(
    "key, value, bound",
    [
        ("base_volatility", -1.0, "greater than or equal to 0"),
        ("avg_ticks_per_bar", 1e9, "less than or equal to 10000"),
        ("avg_ticks_per_bar", 0.0, "greater than 0"),
        ("volume_per_tick", 1e30, "less than or equal to 1000000"),
        ("eta", 1.0, "less than 1"),
        ("jump_clustering", 0.95, "less than 0.95"),
        ("vol_memory_days", 0.5, "greater than or equal to 1"),
        ("runner_prob", 1.2, "less than or equal to 1"),
        ("runner_target_mult", 0.5, "greater than or equal to 1"),
        ("macro_gravity_strength", 0.9, "less than or equal to 0.5"),
        ("wick_probability", -0.1, "greater than or equal to 0"),
        ("wick_extension_avg", 0.5, "greater than or equal to 1"),
        ("daily_range_std", -1.0, "greater than or equal to 0"),
        ("trade_clock", float("nan"), "a finite number"),
        ("runner_prob", True, "a real number, not bool"),
        ("runner_prob", np.True_, "a real number, not bool"),
        ("runner_prob", np.array(0.5), "a real number, not ndarray"),
        ("daily_range_mean", "40", "a valid number"),
    ],
)
def test_invalid_knobs_raise(key, value, bound):
    with pytest.raises(ValueError, match=rf"{key}\n  Input should be {bound} "):
        PhysicsConfig(**{key: value})
    got = re.escape(repr(value))
    with pytest.raises(ConfigError, match=rf"^PhysicsConfig: {key}: Input should be {bound} \(got {got}\)$"):
        PhysicsConfig.from_dict({key: value})


def test_dict_and_yaml_round_trip(tmp_path):
    c = PhysicsConfig(
        base_volatility=1.5,
        wick_probability=0.1,
        runner_prob=0.0,
        session_volatility={"rth": 2.0, "asian": 0.3},
        session_volume={"rth": 4},
        rth_open_boost=1.5,
    )
    assert PhysicsConfig.from_dict(c.to_dict()) == c
    path = c.to_yaml(tmp_path / "sub" / "physics.yaml")
    assert PhysicsConfig.from_yaml(path) == c
    headed = c.to_yaml(tmp_path / "headed.yaml", header="# fitted on a slice\n")
    assert headed.read_text() == "# fitted on a slice\n" + path.read_text()
    assert PhysicsConfig.from_yaml(headed) == c
    assert c.replace(wick_probability=0.3).wick_probability == 0.3


def test_unknown_keys_and_bad_files_are_rejected(tmp_path):
    with pytest.raises(
        ConfigError,
        match=r"^PhysicsConfig: volatility: Unexpected keyword argument \(did you mean 'base_volatility'\?\)$",
    ):
        PhysicsConfig.from_dict({"volatility": 2.0})
    with pytest.raises(ConfigError, match="PhysicsConfig: volatility: Unexpected keyword argument"):
        PhysicsConfig().replace(volatility=2.0)
    bad = tmp_path / "bad.yaml"
    bad.write_text("physics:\n  base_volatility: -1\n")
    with pytest.raises(
        ConfigError,
        match=r"bad.yaml: base_volatility: Input should be greater than or equal to 0 "
        r"\(got -1\)$",
    ):
        PhysicsConfig.from_yaml(bad)
    bad.write_text("just a string\n")
    with pytest.raises(ConfigError, match="expected a mapping"):
        PhysicsConfig.from_yaml(bad)
    bad.write_text("physics:\n  eta: 0.2\n  eta: 0.3\n")  # PyYAML would keep the last silently
    with pytest.raises(ConfigError, match="the key 'eta' is given twice in one mapping"):
        PhysicsConfig.from_yaml(bad)
    bad.write_text("base: &b {eta: 0.2}\nphysics:\n  <<: *b\n  eta: 0.3\n")  # a merge may be overridden
    from fracfire._config import read_yaml

    assert read_yaml(bad)["physics"] == {"eta": 0.3}
    bad.write_text("a: [1,\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        PhysicsConfig.from_yaml(bad)
    with pytest.raises(FileNotFoundError, match="physics config file not found"):
        PhysicsConfig.from_yaml(tmp_path / "missing.yaml")


def test_session_overrides_are_validated():
    with pytest.raises(ValueError, match=r"session_volatility got unknown key\(s\) \['lunch'\]"):
        PhysicsConfig(session_volatility={"lunch": 1.0})
    with pytest.raises(ValueError, match=r"session_volume.rth\n  Input should be greater than 0 "):
        PhysicsConfig(session_volume={"rth": 0})
    with pytest.raises(ValueError, match=r"session_volatility\n  Input should be a valid dictionary"):
        PhysicsConfig(session_volatility=[1.0])
    with pytest.raises(ValueError, match=r"intraday_volume: keys must be half-hour starts .* got \['09:15'\]"):
        PhysicsConfig(intraday_volume={"09:15": 1.0})


def test_a_partial_session_dict_keeps_the_other_sessions():
    """A session left out keeps the default's level (not the seed's, which is twice as volatile
    overnight), and ``replace`` keeps the config's own."""
    defaults = PhysicsConfig()
    volatility, volume = PhysicsConfig(session_volatility={"rth": 2.0}, session_volume={}).session_multipliers()
    assert volatility == {**defaults.session_volatility, "rth": 2.0}
    assert volume == defaults.session_volume
    seed = PhysicsConfig.seed()
    assert seed.session_volatility == {s.value: c.volatility_multiplier for s, c in SESSION_CONFIGS.items()}
    assert seed.session_volume == {s.value: c.volume_multiplier for s, c in SESSION_CONFIGS.items()}
    changed = seed.replace(session_volatility={"asian": 0.5})
    assert changed.session_volatility == {**seed.session_volatility, "asian": 0.5}
    assert changed.session_volume == seed.session_volume
