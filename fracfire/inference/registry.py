"""Numbered model versions with a manifest (continuous learning keeps every version)."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

from fracfire._atomic import write_text_atomic

__all__ = ["ModelRegistry"]


class ModelRegistry:
    """A folder of ``v001.joblib``, ``v002.joblib``, ... and ``manifest.json``.

    Each manifest entry records the version, file, parent version, creation
    time, the data it was trained on and its metrics. Nothing is overwritten:
    a fine-tuned model becomes the next version.
    """

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)

    @property
    def manifest_path(self) -> Path:
        return self.path / "manifest.json"

    def versions(self) -> list[dict]:
        """Manifest entries, oldest first."""
        if not self.manifest_path.exists():
            return []
        return json.loads(self.manifest_path.read_text(encoding="utf-8"))["versions"]

    def latest(self) -> Path:
        """File of the newest version."""
        versions = self.versions()
        if not versions:
            raise FileNotFoundError(f"no model versions in {self.path} (manifest.json missing or empty)")
        return self.path / versions[-1]["file"]

    def add(self, model, data: str, metrics: dict | None = None) -> Path:
        """Save ``model`` as the next version and record it; return its file."""
        versions = self.versions()
        number = len(versions) + 1
        file = f"v{number:03d}.joblib"
        model.save(self.path / file)
        versions.append({"version": number, "file": file, "parent": versions[-1]["version"] if versions else None,
                         "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                         "class": type(model).__name__, "data": data,
                         "metrics": {k: float(v) for k, v in (metrics or {}).items()}})
        write_text_atomic(self.manifest_path, json.dumps({"versions": versions}, indent=2))
        return self.path / file
