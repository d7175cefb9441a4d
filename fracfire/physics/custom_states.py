"""A catalogue of extreme custom states (the seed's custom-state demo)."""

from __future__ import annotations

from fracfire.physics.states import StateConfig

__all__ = ["CUSTOM_STATES", "get_custom_state", "list_custom_states"]

CUSTOM_STATES: dict[str, StateConfig] = {
    "flash_crash": StateConfig(
        "flash_crash",
        avg_ticks_per_bar=45.0,
        up_probability=0.12,
        trend_persistence=0.9,
        volatility_multiplier=3.0,
        max_tick_jump=12,
        ticks_per_bar_std=30.0,
        wick_multiplier=2.0,
    ),
    "melt_up": StateConfig(
        "melt_up",
        avg_ticks_per_bar=20.0,
        up_probability=0.8,
        trend_persistence=0.85,
        volatility_multiplier=1.2,
        max_tick_jump=4,
        wick_multiplier=0.5,
    ),
    "news_spike": StateConfig(
        "news_spike",
        avg_ticks_per_bar=60.0,
        up_probability=0.5,
        trend_persistence=0.4,
        volatility_multiplier=3.5,
        max_tick_jump=16,
        ticks_per_bar_std=45.0,
        wick_multiplier=4.0,
    ),
    "dead_calm": StateConfig(
        "dead_calm",
        avg_ticks_per_bar=1.5,
        up_probability=0.5,
        trend_persistence=0.1,
        volatility_multiplier=0.3,
        max_tick_jump=1,
        mean_reversion=0.8,
        wick_multiplier=0.2,
    ),
}
"""Extreme states: a crash, a relentless grind up, a two-sided news spike, a dead market."""


def list_custom_states() -> list[str]:
    """Names of the catalogued custom states."""
    return sorted(CUSTOM_STATES)


def get_custom_state(name: str) -> StateConfig:
    """The catalogued custom state called ``name``."""
    try:
        return CUSTOM_STATES[name]
    except KeyError:
        raise ValueError(f"unknown custom state {name!r}; known: {list_custom_states()}") from None
