"""Layer 1: the tick physics engine (configs, kernels, generator, summaries)."""

from fracfire.physics.config import PhysicsConfig
from fracfire.physics.custom_states import CUSTOM_STATES, get_custom_state, list_custom_states
from fracfire.physics.driver import DayPlan, StateDriver
from fracfire.physics.fractal import DayState, FractalConfig, FractalStateManager, HourState, LevelParams
from fracfire.physics.generator import AUTO_EXIT_RATES, AUTO_TRANSITION_WEIGHTS, PriceGenerator
from fracfire.physics.markov import MarkovStateDriver, infer_states
from fracfire.physics.sessions import (
    DOW_CONFIGS,
    SESSION_CONFIGS,
    DayOfWeekConfig,
    Session,
    SessionConfig,
)
from fracfire.physics.states import STATE_CONFIGS, MarketState, StateConfig
from fracfire.physics.tilt import Tilt, TiltDriver
from fracfire.physics.utils import DaySummary, compare_states, print_summary, summarize_day

__all__ = [
    "AUTO_EXIT_RATES",
    "AUTO_TRANSITION_WEIGHTS",
    "CUSTOM_STATES",
    "DOW_CONFIGS",
    "DayOfWeekConfig",
    "DayPlan",
    "DayState",
    "DaySummary",
    "FractalConfig",
    "FractalStateManager",
    "HourState",
    "LevelParams",
    "MarketState",
    "MarkovStateDriver",
    "PhysicsConfig",
    "PriceGenerator",
    "SESSION_CONFIGS",
    "STATE_CONFIGS",
    "Session",
    "SessionConfig",
    "StateConfig",
    "StateDriver",
    "Tilt",
    "TiltDriver",
    "compare_states",
    "get_custom_state",
    "infer_states",
    "list_custom_states",
    "print_summary",
    "summarize_day",
]
