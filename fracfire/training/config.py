"""Experiment configs (YAML, validated by pydantic: unknown keys and wrong types name the key)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Literal, TypeVar

from pydantic import AfterValidator, Field

from fracfire._config import StrictModel, load

__all__ = ["DataConfig", "FinetuneConfig", "ModelConfig", "TrainConfig", "load_config", "resolve_path"]


def _file_name(value: str) -> str:
    if value in ("", ".", "..") or "\\" in value or Path(value).name != value:
        raise ValueError(f"must be a file name without folders (it is written into output_dir); got {value!r}")
    return value


FileName = Annotated[str, AfterValidator(_file_name)]
"""A plain file name: a model file is written into ``output_dir``, never beside or above it."""

MODEL_TYPES = ("RandomForestClassifier", "HistGradientBoostingClassifier", "NeuralStateDetector", "PricePredictor")


class DataConfig(StrictModel):
    """Where bars come from.

    ``archetypes``: a library at ``path`` (built with ``days_per_archetype``
    and ``seed`` if missing); ``real``: a real bars file at ``path``;
    ``synthetic``: ``days`` fresh auto-transition days (``seed``, ``physics`` YAML).
    Relative paths resolve against ``$FRACFIRE_DATA_DIR`` when it is set.
    """

    source: Literal["archetypes", "real", "synthetic"]
    path: str | None = None
    archetypes: list[str] | None = None
    days_per_archetype: int = Field(20, ge=1)
    days: int = Field(10, ge=1)
    seed: int = 1
    physics: str | None = None


class ModelConfig(StrictModel):
    """Which model and its size (the seed's ``type`` names are accepted)."""

    type: Literal[MODEL_TYPES]  # type: ignore[valid-type]
    n_estimators: int = Field(100, ge=1)
    max_depth: int = Field(10, ge=1)
    epochs: int = Field(5, ge=1)
    lr: float = Field(1e-3, gt=0)
    window: int = Field(30, ge=2)
    horizons: list[int] = [1, 5, 15]
    n_models: int = Field(1, ge=1)


class _RunConfig(StrictModel):
    """What every run shares."""

    experiment: str = "fracfire"
    random_seed: int = 42
    validation_split: float = Field(0.2, gt=0, lt=1)
    windows: list[Annotated[int, Field(ge=2, le=1380)]] = [5, 15, 60]
    """Feature windows in bars (2 to a Globex session of one-minute bars, 1,380)."""
    data: DataConfig
    output_dir: str = "models"
    log_dir: str | None = None
    """Where ``fracfire.log`` goes; None: ``<output_dir>/logs``."""
    tracking_uri: str | None = None

    def log_path(self) -> Path:
        """The log folder, resolved like ``output_dir`` (against ``$FRACFIRE_OUT_DIR`` when relative)."""
        return resolve_path(self.log_dir or str(Path(self.output_dir) / "logs"), "out")


class TrainConfig(_RunConfig):
    """``fracfire train`` (pre-training)."""

    model: ModelConfig
    model_name: FileName = "model.skops"


class FinetuneConfig(_RunConfig):
    """``fracfire finetune``: continue a saved model on (real) bars."""

    base_model: str
    model_type: Literal["StateDetector", "PricePredictor"]
    epochs: int = Field(10, ge=1)
    lr: float = Field(1e-4, gt=0)
    model_name: FileName = "model_finetuned.skops"


def resolve_path(path: str, kind: Literal["data", "out"]) -> Path:
    """Resolve a relative path against ``$FRACFIRE_DATA_DIR`` / ``$FRACFIRE_OUT_DIR`` when set."""
    base = os.environ.get("FRACFIRE_DATA_DIR" if kind == "data" else "FRACFIRE_OUT_DIR")
    p = Path(path)
    return p if p.is_absolute() or not base else Path(base) / p


ConfigT = TypeVar("ConfigT", bound=StrictModel)


def load_config(path: str | os.PathLike, kind: type[ConfigT]) -> ConfigT:
    """Read and validate a YAML config; errors name the key and the file."""
    return load(kind, path)
