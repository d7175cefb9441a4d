import dataclasses

import pytest

from fracfire import STATE_CONFIGS, MarketState, StateConfig


def test_builtin_states_have_the_seed_characters():
    s = STATE_CONFIGS
    assert set(s) == set(MarketState)
    assert s[MarketState.RANGING].avg_ticks_per_bar == 12
    assert s[MarketState.FLAT].avg_ticks_per_bar == 4
    assert s[MarketState.ZOMBIE].avg_ticks_per_bar == 6
    assert s[MarketState.RALLY].avg_ticks_per_bar == 18 and s[MarketState.RALLY].up_probability == 0.7
    assert s[MarketState.IMPULSIVE].avg_ticks_per_bar == 25
    assert s[MarketState.BREAKDOWN].up_probability == 0.25
    assert s[MarketState.BREAKOUT].up_probability == 0.75
    assert s[MarketState.ZOMBIE].trend_persistence > s[MarketState.RANGING].trend_persistence
    assert s[MarketState.RANGING].mean_reversion > 0
    assert s[MarketState.IMPULSIVE].max_tick_jump > s[MarketState.RANGING].max_tick_jump
    for state, config in s.items():
        assert config.name == state.value


def test_state_config_is_frozen_and_positional():
    config = StateConfig("x", 10.0, 0.6)
    assert config.up_probability == 0.6
    assert config.ticks_per_bar_std == 5.0
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.up_probability = 0.1


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(avg_ticks_per_bar=0), r"StateConfig.avg_ticks_per_bar must be in \(0, inf\]; got 0.0"),
        (dict(avg_ticks_per_bar=5, up_probability=1.5), r"StateConfig.up_probability must be in \[0, 1\]; got 1.5"),
        (dict(avg_ticks_per_bar=5, trend_persistence=1.0), r"trend_persistence must be in \[0, 1\); got 1.0"),
        (dict(avg_ticks_per_bar=5, volatility_multiplier=-1), r"volatility_multiplier .* got -1"),
        (dict(avg_ticks_per_bar=5, max_tick_jump=0), r"max_tick_jump must be in \[1, inf\]; got 0"),
        (dict(avg_ticks_per_bar=5, mean_reversion=2), r"mean_reversion .* got 2"),
        (dict(avg_ticks_per_bar=5, ticks_per_bar_std=-1), r"ticks_per_bar_std .* got -1"),
        (dict(avg_ticks_per_bar=float("nan")), r"avg_ticks_per_bar must be finite"),
    ],
)
def test_invalid_state_config_raises_value_error(kwargs, match):
    with pytest.raises(ValueError, match=match):
        StateConfig("bad", **kwargs)


def test_wrong_types_raise_type_error():
    with pytest.raises(TypeError, match=r"StateConfig.avg_ticks_per_bar must be a real number; got '5'"):
        StateConfig("bad", "5")
    with pytest.raises(TypeError, match="max_tick_jump must be an integer"):
        StateConfig("bad", 5, max_tick_jump=2.5)
    with pytest.raises(ValueError, match="name must be a non-empty string"):
        StateConfig("", 5)
