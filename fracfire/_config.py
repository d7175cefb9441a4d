"""Strict pydantic configs read from YAML, with errors that name the file and the key."""

from __future__ import annotations

import os
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from fracfire.exceptions import ConfigError


class StrictModel(BaseModel):
    """Frozen, and rejects unknown keys."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def read_yaml(path: str | os.PathLike, what: str = "config file"):
    """Parse a YAML file (``FileNotFoundError`` naming ``what``, ``ConfigError`` on bad YAML)."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{what} not found: {path}")
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None


def validate(kind: type[BaseModel], data, path: str | os.PathLike):
    """``kind.model_validate(data)``; every problem becomes ``<dotted key>: <message>`` in one ConfigError."""
    try:
        return kind.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or '<root>'}: {e['msg']}" for e in exc.errors())
        raise ConfigError(f"{path}: {problems}") from None
