"""Training runs: configs, pre-training, fine-tuning, tracking."""

from fracfire.training.config import DataConfig, FinetuneConfig, ModelConfig, TrainConfig, load_config
from fracfire.training.tracking import setup_logging, tracking_run
from fracfire.training.train import RunResult, load_bars, run_finetune, run_training
from fracfire.training.transfer import transfer_experiment

__all__ = [
    "DataConfig",
    "FinetuneConfig",
    "ModelConfig",
    "RunResult",
    "TrainConfig",
    "load_bars",
    "load_config",
    "run_finetune",
    "run_training",
    "setup_logging",
    "tracking_run",
    "transfer_experiment",
]
