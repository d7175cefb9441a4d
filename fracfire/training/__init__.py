"""Training runs: configs, pre-training, fine-tuning, tracking."""

from fracfire.training.comparison import FinetuneComparison, compare_finetuning, split_sessions
from fracfire.training.config import DataConfig, FinetuneConfig, ModelConfig, TrainConfig, load_config
from fracfire.training.tracking import setup_logging, tracking_run
from fracfire.training.train import RunResult, load_bars, run_finetune, run_training
from fracfire.training.transfer import transfer_experiment

__all__ = [
    "DataConfig",
    "FinetuneComparison",
    "FinetuneConfig",
    "ModelConfig",
    "RunResult",
    "TrainConfig",
    "compare_finetuning",
    "load_bars",
    "load_config",
    "run_finetune",
    "run_training",
    "setup_logging",
    "split_sessions",
    "tracking_run",
    "transfer_experiment",
]
