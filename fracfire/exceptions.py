"""Exceptions and warnings raised by FracFire.

Wrong types raise :class:`TypeError` and wrong values :class:`ValueError`
(the built-ins), with a message naming the parameter, the value and what was
expected. The configs that can come from a file (``PhysicsConfig``,
``FractalConfig``, ``LevelParams``) are pydantic: built in Python, any bad
value or type raises pydantic's ``ValidationError`` (a ``ValueError``); read
with ``from_dict`` or ``from_yaml``, a :class:`ConfigError`. The classes here cover the cases a caller may want to catch
specifically; each subclasses the matching built-in so ``except ValueError``
still works.
"""

from __future__ import annotations

__all__ = ["BarsValidationError", "ConfigError", "FracFireWarning", "MissingExtraError"]


class ConfigError(ValueError):
    """A configuration value or file is invalid (unknown key, bad value)."""


class BarsValidationError(ValueError):
    """A bars DataFrame breaks the documented schema or an OHLC invariant."""


class MissingExtraError(ImportError):
    """A feature needs an optional package that is not installed; the message names the extra."""


class FracFireWarning(UserWarning):
    """Something was repaired or assumed on the caller's behalf."""
