"""Argument checks shared by the config objects and public entry points.

Every check raises ``TypeError`` for a wrong type and ``ValueError`` for a
wrong value, naming the parameter, showing the value and saying what was
expected.
"""

from __future__ import annotations

import math
import numbers
from typing import Any


def check_real(
    name: str,
    value: Any,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """Return ``value`` as a float after checking its type and bounds.

    Parameters
    ----------
    name : str
        Parameter name used in error messages (e.g. ``"StateConfig.up_probability"``).
    value : Any
        The value to check; ``bool`` is rejected even though it is an ``int``.
    low, high : float, optional
        Inclusive bounds, unless ``low_open`` / ``high_open`` make them exclusive.

    Returns
    -------
    float
        The checked value.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number; got {value!r} ({type(value).__name__})")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite; got {value!r}")
    too_low = low is not None and (value <= low if low_open else value < low)
    too_high = high is not None and (value >= high if high_open else value > high)
    if too_low or too_high:
        left = "(" if low_open else "["
        right = ")" if high_open else "]"
        lo = "-inf" if low is None else f"{low:g}"
        hi = "inf" if high is None else f"{high:g}"
        raise ValueError(f"{name} must be in {left}{lo}, {hi}{right}; got {value!r}")
    return value


def check_int(name: str, value: Any, *, low: int | None = None, high: int | None = None) -> int:
    """Return ``value`` as an int after checking its type and inclusive bounds."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer; got {value!r} ({type(value).__name__})")
    value = int(value)
    if (low is not None and value < low) or (high is not None and value > high):
        lo = "-inf" if low is None else str(low)
        hi = "inf" if high is None else str(high)
        raise ValueError(f"{name} must be in [{lo}, {hi}]; got {value!r}")
    return value


def check_keys(owner: str, given: dict, allowed: set[str] | frozenset[str]) -> None:
    """Raise ``ValueError`` naming any key of ``given`` that ``owner`` does not accept."""
    unknown = sorted(set(given) - set(allowed))
    if unknown:
        raise ValueError(f"{owner} got unknown key(s) {unknown}; allowed keys are {sorted(allowed)}")
