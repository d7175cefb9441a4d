"""Strict pydantic configs read from YAML, with errors that name the file and the key.

The one config system of the package: every configuration read from a file is
either a :class:`StrictModel` (a pydantic model) or a :func:`config_dataclass`
(a pydantic dataclass, for the seed's configs that stay dataclasses:
``dataclasses.replace``, ``asdict`` and positional construction keep working).
Both are frozen and reject unknown keys; :func:`load` reads any of them from
YAML and :func:`validate` turns every problem into one :class:`ConfigError`
naming the file and the dotted key.
"""

from __future__ import annotations

import dataclasses
import difflib
import os
import re
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any, TypeVar, cast, dataclass_transform

import numpy as np
import pydantic.dataclasses
import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, TypeAdapter, ValidationError
from pydantic_core import PydanticCustomError

from fracfire.exceptions import ConfigError, FracFireWarning

T = TypeVar("T")

STRICT = ConfigDict(extra="forbid", frozen=True)
"""Settings every config shares: unknown keys are errors and instances are immutable."""


class StrictModel(BaseModel):
    """Frozen, and rejects unknown keys."""

    model_config = STRICT


@dataclass_transform(frozen_default=True, field_specifiers=(dataclasses.field, Field))
def config_dataclass(cls: type[T]) -> type[T]:
    """Make ``cls`` a frozen pydantic dataclass under :data:`STRICT` (NaN and infinity rejected too)."""
    settings = ConfigDict(**STRICT, allow_inf_nan=False)
    settings.pop("frozen")  # a dataclass is frozen by the decorator (pydantic warns when both say so)
    made = pydantic.dataclasses.dataclass(frozen=True, config=settings)(cls)
    return cast("type[T]", made)


def _number(value: Any) -> Any:
    if isinstance(value, (bool, np.bool_, np.ndarray)):
        raise PydanticCustomError(
            "float_type", "Input should be a real number, not {kind}", {"kind": type(value).__name__}
        )
    return value


Real = Annotated[float, BeforeValidator(_number)]
"""A float field: with :func:`real` as its default, booleans (numpy's too), arrays, text, NaN and infinity
are refused and bounds apply."""


Probability = Annotated[Real, Field(strict=True, ge=0.0, le=1.0, allow_inf_nan=False)]
"""A probability in [0, 1] (in a model or a config dataclass alike)."""


def real(
    default: float,
    low: float | None = None,
    high: float | None = None,
    *,
    low_open: bool = False,
    high_open: bool = False,
) -> Any:
    """A float field with bounds (``low_open``/``high_open`` make them exclusive); booleans and text rejected."""
    return Field(
        default,
        strict=True,
        gt=low if low_open else None,
        ge=None if low_open else low,
        lt=high if high_open else None,
        le=None if high_open else high,
    )


class _Loader(yaml.SafeLoader):
    """Safe YAML loading that reads ``1e9`` as a number, as YAML 1.2 does (YAML 1.1 wants ``1.0e+9``), and
    refuses a key given twice in one mapping (PyYAML would keep the last one silently)."""

    def construct_mapping(self, node, deep=False):
        seen: set[str] = set()
        for key_node, _ in node.value:  # the keys written in this mapping (a '<<' merge may be overridden)
            if isinstance(key_node, yaml.ScalarNode) and key_node.tag != "tag:yaml.org,2002:merge":
                if key_node.value in seen:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"the key {key_node.value!r} is given twice in one mapping", key_node.start_mark
                    )
                seen.add(key_node.value)
        return super().construct_mapping(node, deep=deep)


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
        raise ConfigError(
            f"{what} {path} is not UTF-8 text (byte {exc.start}: {exc.object[exc.start : exc.start + 1]!r})"
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


def read_config_data(path: str | os.PathLike, what: str = "config file", stacklevel: int = 2):
    """:func:`read_yaml`, with an empty file read as ``{}`` (the defaults) and a
    :class:`~fracfire.exceptions.FracFireWarning` saying so: an empty file is more often a
    mistake than a wish. ``stacklevel`` as for :func:`warnings.warn`, counted from the caller."""
    data = read_yaml(path, what)
    if data is None:
        warnings.warn(
            FracFireWarning(f"{path}: the {what} is empty, so the defaults are used"), stacklevel=stacklevel + 1
        )
        return {}
    return data


_UNKNOWN_KEY = ("unexpected_keyword_argument", "extra_forbidden")


def problems(exc: ValidationError, keys: Sequence[str] = ()) -> str:
    """Every error of ``exc`` as ``<dotted key>: <message> (got <value>)``, joined by "; ".

    An unknown top-level key gets the closest of ``keys`` (the accepted ones) as a suggestion.
    """

    def one(error: Any) -> str:
        where = ".".join(map(str, error["loc"])) or "<root>"
        value, kind = error.get("input"), error["type"]
        if kind in _UNKNOWN_KEY:
            near = difflib.get_close_matches(str(error["loc"][-1]), keys, n=1) if len(error["loc"]) == 1 else []
            shown = f" (did you mean {near[0]!r}?)" if near else ""
        elif kind == "missing" or isinstance(value, (dict, list, tuple)) or type(value).__name__ == "ArgsKwargs":
            shown = ""
        else:
            text = repr(value)
            shown = f" (got {text})" if len(text) <= 60 else ""
        return f"{where}: {error['msg']}{shown}"

    return "; ".join(one(e) for e in exc.errors())


def _keys(kind: type) -> list[str]:
    if isinstance(kind, type) and issubclass(kind, BaseModel):
        return list(kind.model_fields)
    return [f.name for f in dataclasses.fields(kind)] if dataclasses.is_dataclass(kind) else []


def validate(kind: type[T], data: Any, path: str | os.PathLike) -> T:
    """Build a ``kind`` (model or config dataclass) from ``data``; every problem in one ConfigError naming ``path``."""
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of {kind.__name__} keys; got {data!r}")
    try:
        return TypeAdapter(kind).validate_python(data)
    except ValidationError as exc:
        raise ConfigError(f"{path}: {problems(exc, _keys(kind))}") from None


def load(kind: type[T], path: str | os.PathLike, what: str = "config file", section: str | None = None) -> T:
    """Read a ``kind`` from the YAML file ``path``; its keys may sit under a top-level ``section:``.

    An empty file gives the defaults, with a :class:`~fracfire.exceptions.FracFireWarning` saying
    so (an empty file is more often a mistake than a wish). Errors name the file (see
    :func:`read_yaml`, :func:`validate`).
    """
    data = read_config_data(path, what, stacklevel=3)  # the warning points at from_yaml's caller
    if section is not None and isinstance(data, dict) and set(data) == {section}:
        data = data[section]
    return validate(kind, data, path)
