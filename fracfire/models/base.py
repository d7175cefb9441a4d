"""What every FracFire model shares: scikit-learn conventions and one-file persistence."""

from __future__ import annotations

import os
from pathlib import Path

from sklearn.base import BaseEstimator

from fracfire._atomic import atomic_path

__all__ = ["FORMAT_VERSION", "BaseModel", "ModelFileError"]

FORMAT_VERSION = 1
_MAGIC = "fracfire-model"


class ModelFileError(ValueError):
    """A model file is corrupt, of another format version, or holds another model class."""


class BaseModel(BaseEstimator):
    """Base class: ``fit``/``predict`` (subclasses), ``save``/``load``, ``metrics_``.

    ``__init__`` only stores parameters (``get_params``/``set_params``/``clone``
    work); learned state ends in ``_``. A model file is a single joblib file
    holding the format version, the class name, the parameters and the learned
    state. Like any pickle, load only files you trust.
    """

    def _learned_state(self) -> dict:
        return {k: v for k, v in vars(self).items() if k.endswith("_") and not k.startswith("__")}

    def _restore_state(self, state: dict) -> None:
        for key, value in state.items():
            setattr(self, key, value)

    def save(self, path: str | os.PathLike) -> Path:
        """Write the model to one file, atomically; return the path."""
        import joblib

        if not self._learned_state():
            raise RuntimeError(f"{type(self).__name__} is not fitted: nothing to save")
        payload = {"magic": _MAGIC, "format_version": FORMAT_VERSION, "class": type(self).__name__,
                   "params": self.get_params(deep=False), "state": self._learned_state()}
        with atomic_path(path) as tmp:
            joblib.dump(payload, tmp, compress=3)
        return Path(path)

    @classmethod
    def load(cls, path: str | os.PathLike):
        """Read a file written by :meth:`save` (checking magic, format version and class)."""
        import joblib

        path = Path(path)
        if not path.exists():
            raise FileNotFoundError(f"model file not found: {path}")
        try:
            payload = joblib.load(path)
        except Exception as exc:  # noqa: BLE001 - any unpickling failure means a corrupt file
            raise ModelFileError(f"{path}: not a readable FracFire model file ({type(exc).__name__}: {exc})") from None
        if not isinstance(payload, dict) or payload.get("magic") != _MAGIC:
            raise ModelFileError(f"{path}: not a FracFire model file")
        if payload.get("format_version") != FORMAT_VERSION:
            raise ModelFileError(f"{path}: model format version {payload.get('format_version')} is not supported "
                                 f"(this FracFire reads version {FORMAT_VERSION})")
        if payload.get("class") != cls.__name__:
            raise ModelFileError(f"{path}: holds a {payload.get('class')}, not a {cls.__name__}")
        model = cls(**payload["params"])
        model._restore_state(payload["state"])
        return model
