"""Numbered model versions with a manifest (continuous learning keeps every version)."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import pandas as pd

from fracfire._atomic import write_text_atomic
from fracfire.models.base import MODEL_SUFFIX, BaseModel, ModelFileError, file_sha256

__all__ = ["ModelRegistry"]


class ModelRegistry:
    """A folder of ``v001.skops``, ``v002.skops``, ... and ``manifest.json``.

    Each manifest entry records the version, file, its SHA-256, parent
    version, creation time, the data it was trained on and its metrics.
    Nothing is overwritten: a fine-tuned model becomes the next version.
    :meth:`latest` checks the file against its recorded SHA-256, so a file
    swapped or edited behind the manifest's back is refused.
    """

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)

    @property
    def manifest_path(self) -> Path:
        return self.path / "manifest.json"

    def versions(self) -> list[dict]:
        """Manifest entries, oldest first.

        Raises
        ------
        ModelFileError
            The manifest is not valid JSON or not a list of version entries.
        """
        if not self.manifest_path.exists():
            return []
        try:
            versions = json.loads(self.manifest_path.read_text(encoding="utf-8"))["versions"]
        except (ValueError, KeyError, TypeError) as exc:
            raise ModelFileError(
                f"{self.manifest_path}: not a model registry manifest ({type(exc).__name__}: {exc})"
            ) from None
        if not isinstance(versions, list) or not all(
            isinstance(v, dict) and isinstance(v.get("file"), str) for v in versions
        ):
            raise ModelFileError(f"{self.manifest_path}: 'versions' must be a list of entries with a 'file'")
        root = self.path.resolve()
        for v in versions:
            if Path(v["file"]).is_absolute() or not (root / v["file"]).resolve().is_relative_to(root):
                raise ModelFileError(
                    f"{self.manifest_path}: version {v.get('version')} file {v['file']!r} points "
                    "outside the registry folder"
                )
        return versions

    def latest(self) -> Path:
        """File of the newest version, after checking it against its recorded SHA-256.

        Raises
        ------
        FileNotFoundError
            The registry holds no version, or the newest version's file is missing.
        ModelFileError
            The file's SHA-256 differs from the manifest's (or none was recorded).
        """
        versions = self.versions()
        if not versions:
            raise FileNotFoundError(f"no model versions in {self.path} (manifest.json missing or empty)")
        entry = versions[-1]
        path = self.path / entry["file"]
        if not path.is_file():
            raise FileNotFoundError(
                f"{path}: version {entry.get('version')} is in the manifest but its file is missing"
            )
        if "sha256" not in entry:
            raise ModelFileError(
                f"{self.manifest_path}: version {entry.get('version')} records no sha256; "
                "registries written before safe model files cannot be trusted"
            )
        if file_sha256(path) != entry["sha256"]:
            raise ModelFileError(
                f"{path}: SHA-256 does not match the manifest (the file was changed after it was registered)"
            )
        return path

    def add(self, model: BaseModel, data: str, metrics: dict | None = None) -> Path:
        """Save ``model`` as the next version and record it; return its file."""
        versions = self.versions()
        number = len(versions) + 1
        file = f"v{number:03d}{MODEL_SUFFIX}"
        model.save(self.path / file)
        versions.append(
            {
                "version": number,
                "file": file,
                "sha256": file_sha256(self.path / file),
                "parent": versions[-1]["version"] if versions else None,
                "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                "class": type(model).__name__,
                "data": data,
                "metrics": {k: float(v) for k, v in (metrics or {}).items()},
            }
        )
        write_text_atomic(self.manifest_path, json.dumps({"versions": versions}, indent=2))
        return self.path / file

    @classmethod
    def for_resume(cls, path: str | os.PathLike) -> ModelRegistry:
        """The registry ``fracfire finetune --resume PATH`` continues.

        ``path`` is a registry folder, or a saved ``StateDetector`` file: then
        the registry is the ``registry/`` folder beside it, started with that
        model as its first version when it has none.

        Raises
        ------
        ValueError
            If ``path`` is a file that is not a model file.
        FileNotFoundError
            If ``path`` is a folder without versions.
        """
        path = Path(path)
        if path.is_file() and path.suffix != MODEL_SUFFIX:
            raise ValueError(f"--resume {path}: not a registry folder nor a {MODEL_SUFFIX} model file")
        registry = cls(path if path.suffix != MODEL_SUFFIX else path.parent / "registry")
        if not registry.versions():
            if path.suffix != MODEL_SUFFIX:
                raise FileNotFoundError(f"no model versions in {path}; pass a model file to start a registry")
            from fracfire.models import StateDetector

            registry.add(StateDetector.load(path), data=f"initial: {path}")
        return registry

    def finetune_latest(self, bars: pd.DataFrame, data: str, epochs: int = 5, lr: float = 1e-4) -> Path:
        """Fine-tune the latest ``StateDetector`` on ``bars`` and keep it as the next version.

        ``data`` says what the bars were (recorded in the manifest); a neural
        model's auxiliary loss on them is recorded as its metric.
        """
        from fracfire.models import StateDetector

        model = StateDetector.load(self.latest())
        model.finetune(bars, epochs=epochs, lr=lr)
        metrics = {"aux_loss": model.aux_loss(bars)} if model.backend == "neural" else {}
        return self.add(model, data=data, metrics=metrics)
