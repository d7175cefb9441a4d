"""Realism: stylized facts, the scorecard, peer generators and calibration.

Names are loaded on first use (PEP 562): the scorecard, facts, peers and
discriminators do not import the physics engine, so they work on real and
peer bars alone.
"""

from __future__ import annotations

import importlib

_EXPORTS: dict[str, str] = {
    **dict.fromkeys(["align_to_calendar", "split_by_time", "synthetic_like"], "fracfire.realism.calendar"),
    **dict.fromkeys(["CalibrationResult", "calibrate"], "fracfire.realism.calibration"),
    **dict.fromkeys(["GeneratorComparison", "compare_generators"], "fracfire.realism.compare"),
    **dict.fromkeys(["discriminate", "discriminate_days", "feature_accuracies"], "fracfire.realism.discriminator"),
    **dict.fromkeys(
        ["PEERS", "bootstrap_bars", "garch_t_bars", "garch_t_deseasonalised_bars", "gbm_bars"], "fracfire.realism.peers"
    ),
    **dict.fromkeys(
        ["GOALS", "METRICS", "RealismReport", "compute_facts", "headline_facts", "realism_report", "score_facts"],
        "fracfire.realism.scorecard",
    ),
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'fracfire.realism' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
