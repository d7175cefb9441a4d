"""Pattern-recognition models: state detection and price forecasting."""

from fracfire.models.base import FORMAT_VERSION, MODEL_SUFFIX, TRUSTED_TYPES, BaseModel, ModelFileError
from fracfire.models.price_predictor import PricePredictor
from fracfire.models.state_detector import StateDetector, aux_targets
from fracfire.models.targets import BASELINES, baseline_predictions, future_targets, har_range_baseline
from fracfire.models.tilt_model import TiltModel
from fracfire.models.zones import ZONE_KINDS, ZoneDetector, evaluate_zones, label_high_prob_zones

__all__ = [
    "BaseModel",
    "FORMAT_VERSION",
    "MODEL_SUFFIX",
    "ModelFileError",
    "PricePredictor",
    "StateDetector",
    "TRUSTED_TYPES",
    "TiltModel",
    "ZONE_KINDS",
    "ZoneDetector",
    "aux_targets",
    "BASELINES",
    "baseline_predictions",
    "har_range_baseline",
    "evaluate_zones",
    "future_targets",
    "label_high_prob_zones",
]
