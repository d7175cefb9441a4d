"""What every FracFire model shares: scikit-learn conventions and one safe file.

A model file is a ``skops`` archive (a zip of JSON and numpy arrays, see
:mod:`skops.io`): loading it reconstructs only types on an explicit allow-list
(skops' defaults for numpy and scikit-learn plus :data:`TRUSTED_TYPES`), so,
unlike a pickle, a tampered or foreign file cannot run code. Network weights
are stored as plain numpy arrays; nothing is ever unpickled or ``torch.load``-ed.
"""

from __future__ import annotations

import hashlib
import os
import zipfile
from pathlib import Path

from sklearn.base import BaseEstimator

from fracfire._atomic import atomic_path

__all__ = [
    "FORMAT_VERSION",
    "MODEL_SUFFIX",
    "TRUSTED_TYPES",
    "BaseModel",
    "ModelFileError",
    "check_validation_fraction",
    "file_sha256",
    "validation_cut",
]

FORMAT_VERSION = 2
"""Version 2: skops archives (version 1 files were pickles and are refused)."""

MODEL_SUFFIX = ".skops"
"""File suffix of a saved model."""

_MAGIC = "fracfire-model"

TRUSTED_TYPES: tuple[str, ...] = (
    "sklearn._loss._loss.CyHalfBinomialLoss",
    "sklearn._loss._loss.CyHalfMultinomialLoss",
    "sklearn._loss._loss.CyHalfSquaredError",
    "sklearn._loss.link.IdentityLink",
    "sklearn._loss.link.Interval",
    "sklearn._loss.link.LogitLink",
    "sklearn._loss.link.MultinomialLogit",
    "sklearn._loss.loss.HalfBinomialLoss",
    "sklearn._loss.loss.HalfMultinomialLoss",
    "sklearn._loss.loss.HalfSquaredError",
    "sklearn.ensemble._hist_gradient_boosting.binning._BinMapper",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "sklearn.tree._tree.Tree",
)
"""Types a model file may hold beyond skops' own trusted defaults (which differ between
skops versions): the internals of scikit-learn's random forests and histogram gradient
boosting (fitted arrays and the classes that read them; no code chosen by the file)."""


class ModelFileError(ValueError):
    """A model file is corrupt, tampered with, of another format or version, holds a type
    that is not on the allow-list, or holds another model class."""


def check_validation_fraction(fraction: float) -> None:
    """Refuse a fine-tuning ``validation_fraction`` outside [0, 1)."""
    if not 0 <= fraction < 1:
        raise ValueError(f"validation_fraction must be in [0, 1); got {fraction}")


def validation_cut(rows: int, fraction: float, minimum: int) -> int:
    """Where the held-out tail of ``rows`` time-ordered rows starts: the last ``fraction`` of
    them, or ``rows`` (nothing held out) when ``fraction`` is 0 or either side would have
    fewer than ``minimum`` rows."""
    cut = int(rows * (1 - fraction))
    return cut if fraction > 0 and cut >= minimum and rows - cut >= minimum else rows


def file_sha256(path: str | os.PathLike) -> str:
    """Hex SHA-256 of a file's bytes (registry manifests record it for every version)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class BaseModel(BaseEstimator):
    """Base class: ``fit``/``predict`` (subclasses), ``save``/``load``.

    ``__init__`` only stores parameters (``get_params``/``set_params``/``clone``
    work); learned state ends in ``_``. A model file is a single skops archive
    holding the format version, the class name, the parameters and the learned
    state; loading it cannot run code (see the module docstring).
    """

    @staticmethod
    def _from_bars(X):
        """``(features, time index)`` when ``X`` is a bars DataFrame, else ``(X, None)``.

        Models predict from the feature matrix (the scikit-learn contract: arrays
        in, arrays out); given bars they compute the features themselves and
        label their answers with the bars' times.
        """
        import pandas as pd

        if isinstance(X, pd.DataFrame) and {"time", "open", "high", "low", "close"} <= set(X.columns):
            from fracfire.data.features import extract_features

            return extract_features(X), pd.DatetimeIndex(X["time"], name="time")
        return X, None

    def _learned_state(self) -> dict:
        return {k: v for k, v in vars(self).items() if k.endswith("_") and not k.startswith("__")}

    def _restore_state(self, state: dict) -> None:
        for key, value in state.items():
            setattr(self, key, value)

    def save(self, path: str | os.PathLike) -> Path:
        """Write the model to one skops file, atomically; return the path."""
        import skops.io as sio

        if not self._learned_state():
            raise RuntimeError(f"{type(self).__name__} is not fitted: nothing to save")
        payload = {
            "magic": _MAGIC,
            "format_version": FORMAT_VERSION,
            "class": type(self).__name__,
            "params": self.get_params(deep=False),
            "state": self._learned_state(),
        }
        with atomic_path(path) as tmp:
            sio.dump(payload, tmp)
        return Path(path)

    @classmethod
    def load(cls, path: str | os.PathLike, sha256: str | None = None):
        """Read a file written by :meth:`save`, without running any code from it.

        Parameters
        ----------
        path : path-like
            The model file.
        sha256 : str, optional
            Expected SHA-256 of the file (as a registry records it); a mismatch
            raises :class:`ModelFileError` before anything is read.

        Raises
        ------
        ModelFileError
            The file is not a FracFire skops archive (a pickle, for instance),
            is corrupt, does not match ``sha256``, holds a type outside the
            allow-list (named in the message), or holds another class or
            format version.
        """
        import skops.io as sio

        path = Path(path)
        if not path.exists():
            raise FileNotFoundError(f"model file not found: {path}")
        if path.is_dir():
            raise ModelFileError(f"{path}: is a folder, not a model file")
        if sha256 is not None and file_sha256(path) != sha256:
            raise ModelFileError(f"{path}: SHA-256 does not match the one recorded for it (the file was changed)")
        if not zipfile.is_zipfile(path):
            raise ModelFileError(
                f"{path}: not a FracFire model file (expected a skops archive; pickle and joblib "
                "files are refused because loading them can run code; re-train to get a "
                f"{MODEL_SUFFIX} file)"
            )
        try:
            untrusted = [t for t in sio.get_untrusted_types(file=path) if t not in TRUSTED_TYPES]
            if untrusted:
                raise ModelFileError(
                    f"{path}: refused, it holds types that are not on the allow-list: " + ", ".join(untrusted)
                )
            payload = sio.load(path, trusted=list(TRUSTED_TYPES))
        except ModelFileError:
            raise
        except Exception as exc:  # noqa: BLE001 - any decoding failure means a corrupt file
            raise ModelFileError(f"{path}: not a readable FracFire model file ({type(exc).__name__}: {exc})") from None
        if not isinstance(payload, dict) or payload.get("magic") != _MAGIC:
            raise ModelFileError(f"{path}: not a FracFire model file")
        if payload.get("format_version") != FORMAT_VERSION:
            raise ModelFileError(
                f"{path}: model format version {payload.get('format_version')} is not supported "
                f"(this FracFire reads version {FORMAT_VERSION})"
            )
        if payload.get("class") != cls.__name__:
            raise ModelFileError(f"{path}: holds a {payload.get('class')}, not a {cls.__name__}")
        model = cls(**payload["params"])
        model._restore_state(payload["state"])
        return model
