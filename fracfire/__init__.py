"""FracFire: a tick-level physics engine for MES/ES futures and the models built on it.

The public API of every layer is importable from here. Names are loaded on
first use (PEP 562), so ``import fracfire`` and ``fracfire --help`` stay fast
and heavy dependencies (numba, pandas, matplotlib) load only when needed.
"""

from __future__ import annotations

import importlib
import os

__version__ = "0.1.0"


def _numba_cache_dir() -> None:
    """Give numba a writable cache when the installed package's folder is not (a system or read-only install).

    Numba caches compiled kernels beside their source; without a writable place it fails at the first
    kernel with "no locator available". ``NUMBA_CACHE_DIR`` set by the user always wins.
    """
    if os.environ.get("NUMBA_CACHE_DIR") or os.access(os.path.dirname(__file__), os.W_OK):
        return
    import tempfile

    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    for root in (base, tempfile.gettempdir()):
        folder = os.path.join(root, "fracfire", "numba")
        try:
            os.makedirs(folder, exist_ok=True)
        except OSError:
            continue
        if os.access(folder, os.W_OK):
            os.environ["NUMBA_CACHE_DIR"] = folder
            return


_numba_cache_dir()

_EXPORTS: dict[str, str] = {
    **dict.fromkeys(
        [
            "AUTO_EXIT_RATES",
            "AUTO_TRANSITION_WEIGHTS",
            "CUSTOM_STATES",
            "DOW_CONFIGS",
            "DayOfWeekConfig",
            "DaySummary",
            "MarketState",
            "PhysicsConfig",
            "PriceGenerator",
            "SESSION_CONFIGS",
            "STATE_CONFIGS",
            "Session",
            "SessionConfig",
            "StateConfig",
            "compare_states",
            "get_custom_state",
            "list_custom_states",
            "print_summary",
            "summarize_day",
            "DayState",
            "HourState",
            "FractalConfig",
            "FractalStateManager",
            "StateDriver",
            "DayPlan",
            "LevelParams",
            "MarkovStateDriver",
            "Tilt",
            "TiltDriver",
            "infer_states",
        ],
        "fracfire.physics",
    ),
    "check_bars": "fracfire.schema",
    **dict.fromkeys(
        [
            "ValidationReport",
            "load_continuous_contract",
            "read_bars",
            "resample_bars",
            "to_backtesting_py",
            "validate_bars",
            "write_bars",
        ],
        "fracfire.data",
    ),
    **dict.fromkeys(["ChartConfig", "ChartVisualizer", "plot_trades", "quick_chart"], "fracfire.viz"),
    "build_report": "fracfire.report",
    **dict.fromkeys(["StateDetector", "PricePredictor", "TiltModel"], "fracfire.models"),
    **dict.fromkeys(["ScenarioPolicy", "ScenarioResult"], "fracfire.scenarios"),
    **dict.fromkeys(["run_setups", "run_backtest", "run_signal_backtest"], "fracfire.evaluation"),
    **dict.fromkeys(["extract_features", "make_windows"], "fracfire.data.features"),
    **dict.fromkeys(["calibrate", "compare_generators", "realism_report", "synthetic_like"], "fracfire.realism"),
}

__all__ = sorted([*_EXPORTS, "__version__"])


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'fracfire' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
