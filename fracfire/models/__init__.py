"""Pattern-recognition models: state detection and price forecasting."""

from fracfire.models.base import FORMAT_VERSION, BaseModel, ModelFileError
from fracfire.models.price_predictor import PricePredictor
from fracfire.models.state_detector import StateDetector, aux_targets
from fracfire.models.targets import baseline_predictions, future_targets

__all__ = [
    "FORMAT_VERSION",
    "BaseModel",
    "ModelFileError",
    "PricePredictor",
    "StateDetector",
    "aux_targets",
    "baseline_predictions",
    "future_targets",
]
