"""Production inference: streaming predictions, decision rules, versioned models."""

from fracfire.inference.live import LiveStateEngine, Prediction
from fracfire.inference.registry import ModelRegistry
from fracfire.inference.rules import DecisionRule, load_rule

__all__ = ["DecisionRule", "LiveStateEngine", "ModelRegistry", "Prediction", "load_rule"]
