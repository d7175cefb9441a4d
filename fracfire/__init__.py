"""FracFire: a tick-level physics engine for MES/ES futures and the models built on it.

The public API of every layer is re-exported here; heavy optional parts
(charts, models) import their dependencies only when used.
"""

from fracfire import physics as _physics
from fracfire.physics import *  # noqa: F403  (the engine's public names, see physics.__all__)
from fracfire.schema import check_bars as check_bars

__version__ = "0.1.0"

__all__ = sorted([*_physics.__all__, "__version__", "check_bars"])
