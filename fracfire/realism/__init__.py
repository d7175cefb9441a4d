"""Realism: stylized facts, the scorecard, peer generators and calibration."""

from fracfire.realism.calendar import align_to_calendar, split_by_time, synthetic_like
from fracfire.realism.calibration import CalibrationResult, calibrate
from fracfire.realism.compare import GeneratorComparison, compare_generators, compare_windows
from fracfire.realism.headline import headline_facts
from fracfire.realism.peers import PEERS, bootstrap_bars, garch_t_bars, garch_t_seasonal_bars, gbm_bars
from fracfire.realism.scorecard import METRICS, RealismReport, realism_report

__all__ = [
    "CalibrationResult",
    "GeneratorComparison",
    "METRICS",
    "PEERS",
    "RealismReport",
    "align_to_calendar",
    "bootstrap_bars",
    "calibrate",
    "compare_generators",
    "compare_windows",
    "garch_t_bars",
    "garch_t_seasonal_bars",
    "gbm_bars",
    "headline_facts",
    "realism_report",
    "split_by_time",
    "synthetic_like",
]
