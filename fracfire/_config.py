"""Strict pydantic configs read from YAML, with errors that name the file and the key."""

from __future__ import annotations

import os
import re
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from fracfire.exceptions import ConfigError


class StrictModel(BaseModel):
    """Frozen, and rejects unknown keys."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class _Loader(yaml.SafeLoader):
    """Safe YAML loading that reads ``1e9`` as a number, as YAML 1.2 does (YAML 1.1 wants ``1.0e+9``)."""


_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
    list("-+0123456789"),
)


def read_text(path: str | os.PathLike, what: str = "config file") -> str:
    """Read a UTF-8 text file; one clear error if it is missing, a folder or not text."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{what} not found: {path}")
    if path.is_dir():
        raise ConfigError(f"{what} {path} is a folder; expected a file")
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{what} {path} is not UTF-8 text (byte {exc.start}: {exc.object[exc.start:exc.start + 1]!r})"
                          ) from None


def read_yaml(path: str | os.PathLike, what: str = "config file"):
    """Parse a YAML file safely (no tags that build objects).

    ``FileNotFoundError`` naming ``what`` when missing; ``ConfigError`` for a
    folder, a binary file or invalid YAML. Exponent floats without a dot
    (``1e9``) are numbers, not strings.
    """
    text = read_text(path, what)
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader is a SafeLoader
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None


def validate(kind: type[BaseModel], data, path: str | os.PathLike):
    """``kind.model_validate(data)``; every problem becomes ``<dotted key>: <message>`` in one ConfigError."""
    try:
        return kind.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or '<root>'}: {e['msg']}" for e in exc.errors())
        raise ConfigError(f"{path}: {problems}") from None
