"""Trading sessions and day-of-week effects on the US/Eastern clock.

MES/ES trade nearly 24 hours. The engine labels every minute with the session
its wall-clock time (America/New_York) falls in:

============  =================  ======  ==========
session       ET clock           volume  volatility
============  =================  ======  ==========
asian         18:00 - 03:00      x0.4    x0.6
london        03:00 - 08:30      x0.8    x1.1
premarket     08:30 - 09:30      x0.6    x0.9
rth           09:30 - 16:00      x1.5    x1.3
afterhours    16:00 - 18:00      x0.5    x0.7
============  =================  ======  ==========

On the exchange calendar (:mod:`fracfire.calendar`) no bar falls in the
17:00-18:00 ET maintenance break (nor, before mid-2021, in the 16:15-16:30
halt), so "afterhours" is 16:00-17:00 there. ``PhysicsConfig.session_volatility``
and ``session_volume`` override these multipliers; the calibrated defaults do.

Volatility multipliers scale the standard deviation of one-minute returns
(the trade intensity follows volatility); volume multipliers scale the
contracts traded per print. Day-of-week multipliers apply to the wall-clock
weekday for wall-clock days and to the trading date's weekday on the exchange
calendar (Sunday evening trades as Monday).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import numpy as np

from fracfire._validation import check_real
from fracfire.calendar import MINUTES_PER_DAY

__all__ = [
    "DOW_CONFIGS",
    "DayOfWeekConfig",
    "SESSION_CONFIGS",
    "SESSION_SCHEDULE",
    "Session",
    "SessionConfig",
    "session_codes",
]


class Session(Enum):
    """Trading sessions of the MES/ES day (values are the bar labels)."""

    ASIAN = "asian"
    LONDON = "london"
    PREMARKET = "premarket"
    RTH = "rth"
    AFTERHOURS = "afterhours"


@dataclass(frozen=True)
class DayOfWeekConfig:
    """Day-of-week scaling of volume and volatility (frozen, validated).

    Parameters
    ----------
    name : str
        Label.
    volume_multiplier : float
        Scales contracts per tick event (> 0).
    volatility_multiplier : float
        Scales the standard deviation and drift of one-minute returns (> 0).
    """

    name: str
    volume_multiplier: float = 1.0
    volatility_multiplier: float = 1.0

    def __post_init__(self) -> None:
        own = f"{type(self).__name__}({self.name!r})."
        for key in ("volume_multiplier", "volatility_multiplier"):
            object.__setattr__(self, key, check_real(own + key, getattr(self, key), low=0.0, low_open=True))


@dataclass(frozen=True)
class SessionConfig(DayOfWeekConfig):
    """Activity of one session (frozen, validated).

    Parameters
    ----------
    name, volume_multiplier, volatility_multiplier
        As in :class:`DayOfWeekConfig`.
    state_transition_prob : float
        Per-minute probability that automatic transitions switch state, in [0, 1].
    """

    state_transition_prob: float = 0.05

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(
            self,
            "state_transition_prob",
            check_real(
                f"SessionConfig({self.name!r}).state_transition_prob", self.state_transition_prob, low=0.0, high=1.0
            ),
        )


SESSION_CONFIGS: dict[Session, SessionConfig] = {
    Session.ASIAN: SessionConfig("asian", 0.4, 0.6, state_transition_prob=0.02),
    Session.LONDON: SessionConfig("london", 0.8, 1.1, state_transition_prob=0.05),
    Session.PREMARKET: SessionConfig("premarket", 0.6, 0.9, state_transition_prob=0.08),
    Session.RTH: SessionConfig("rth", 1.5, 1.3, state_transition_prob=0.06),
    Session.AFTERHOURS: SessionConfig("afterhours", 0.5, 0.7, state_transition_prob=0.03),
}
"""Built-in session effects, keyed by :class:`Session`."""

DOW_CONFIGS: dict[int, DayOfWeekConfig] = {
    0: DayOfWeekConfig("monday", volume_multiplier=1.0, volatility_multiplier=1.2),
    1: DayOfWeekConfig("tuesday"),
    2: DayOfWeekConfig("wednesday"),
    3: DayOfWeekConfig("thursday"),
    4: DayOfWeekConfig("friday", volume_multiplier=1.2, volatility_multiplier=1.0),
    5: DayOfWeekConfig("saturday", volume_multiplier=0.3, volatility_multiplier=0.3),
    6: DayOfWeekConfig("sunday", volume_multiplier=0.4, volatility_multiplier=0.4),
}
"""Day-of-week effects keyed by ``datetime.weekday()`` (Monday = 0)."""

SESSION_SCHEDULE: tuple[tuple[str, Session], ...] = (
    ("00:00", Session.ASIAN),
    ("03:00", Session.LONDON),
    ("08:30", Session.PREMARKET),
    ("09:30", Session.RTH),
    ("16:00", Session.AFTERHOURS),
    ("18:00", Session.ASIAN),
)
"""Session start times on the America/New_York wall clock, in order."""

SESSION_ORDER: tuple[Session, ...] = tuple(Session)


def _minute_table() -> np.ndarray:
    table = np.empty(MINUTES_PER_DAY, dtype=np.int8)
    starts = [int(hhmm[:2]) * 60 + int(hhmm[3:]) for hhmm, _ in SESSION_SCHEDULE]
    ends = starts[1:] + [MINUTES_PER_DAY]
    for start, end, (_, session) in zip(starts, ends, SESSION_SCHEDULE, strict=True):
        table[start:end] = SESSION_ORDER.index(session)
    return table


_SESSION_BY_MINUTE = _minute_table()


def session_codes(minute_of_day: np.ndarray) -> np.ndarray:
    """Map wall-clock minutes of day (0..1439, ET) to session codes.

    Parameters
    ----------
    minute_of_day : numpy.ndarray of int
        ``hour * 60 + minute`` on the America/New_York clock.

    Returns
    -------
    numpy.ndarray of int8
        Index into ``tuple(Session)`` for each minute.
    """
    return _SESSION_BY_MINUTE[np.asarray(minute_of_day, dtype=np.int64)]
