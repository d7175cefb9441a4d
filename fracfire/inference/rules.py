"""Decision rules: predictions in, setup entries out (replayable by the backtester)."""

from __future__ import annotations

import os
from typing import Literal

import pandas as pd
from pydantic import Field

from fracfire._config import StrictModel, load
from fracfire.evaluation.setups import SetupEntry
from fracfire.inference.live import Prediction
from fracfire.schema import TICK_SIZE

__all__ = ["DecisionRule", "load_rule"]

_DIRECTION = {"breakout": "long", "rally": "long", "breakdown": "short"}


class DecisionRule(StrictModel):
    """``state == <state> and confidence > <min_confidence>`` -> an entry at the bar's close.

    The seed's rule is the default: a breakout with confidence above 0.8 goes
    long. The stop sits ``stop_ticks`` away, the target ``target_r`` times
    the risk; after an entry the rule waits ``cooldown_minutes``. The
    direction defaults to long for breakout and rally, short for breakdown.
    """

    state: str = "breakout"
    min_confidence: float = Field(0.8, ge=0, le=1)
    min_zone_proba: float = Field(0.0, ge=0, le=1)
    direction: Literal["long", "short"] | None = None
    stop_ticks: int = Field(8, ge=1)
    target_r: float = Field(2.0, gt=0)
    cooldown_minutes: int = Field(15, ge=0)

    def entry(self, prediction: Prediction, close: float, last_entry: pd.Timestamp | None) -> SetupEntry | None:
        """An entry if the rule fires on ``prediction`` (bar closing at ``close``), else None."""
        if prediction.state != self.state or prediction.confidence <= self.min_confidence:
            return None
        if self.min_zone_proba and (prediction.zone_proba or 0.0) < self.min_zone_proba:
            return None
        if last_entry is not None and prediction.time - last_entry < pd.Timedelta(minutes=self.cooldown_minutes):
            return None
        direction = self.direction or _DIRECTION.get(self.state, "long")
        sign = 1 if direction == "long" else -1
        stop = close - sign * self.stop_ticks * TICK_SIZE
        target = close + sign * self.target_r * self.stop_ticks * TICK_SIZE
        return SetupEntry(
            prediction.time,
            direction,
            f"rule_{self.state}",
            close,
            stop,
            target,
            {"confidence": prediction.confidence, "zone_proba": prediction.zone_proba},
        )


def load_rule(path: str | os.PathLike) -> DecisionRule:
    """Read a rule from YAML (unknown keys and bad values name the key)."""
    return load(DecisionRule, path, "rule file")
