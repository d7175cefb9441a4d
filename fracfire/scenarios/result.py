"""What a set of scenarios says: quantiles and the probabilities a trader asks for."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["QUANTILES", "ScenarioResult"]

QUANTILES = (0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95)
"""Quantiles reported by :meth:`ScenarioResult.quantiles`."""


@dataclass(frozen=True)
class ScenarioResult:
    """Labelled continuations of a history, from one cut.

    Attributes
    ----------
    bars : pandas.DataFrame
        Every continuation in the bars schema (:mod:`fracfire.schema`), one
        after the other, with ``scenario`` (int64, 0-based).
    history : pandas.DataFrame
        The history the continuations follow.
    cut : pandas.Timestamp
        First minute of every continuation.
    horizon : str
        The horizon asked for.
    level : float
        Forecast activity of the rest of the session relative to an ordinary
        one for its time of day (1 for an unconditional run).
    method : str
        ``policy``, ``markov``, ``unconditional`` or ``level only``.
    """

    bars: pd.DataFrame
    history: pd.DataFrame
    cut: pd.Timestamp
    horizon: str
    level: float
    method: str

    @cached_property
    def last_close(self) -> float:
        """The history's last close, where every continuation starts."""
        return float(self.history["close"].iloc[-1])

    @cached_property
    def session_open(self) -> float:
        """Open of the cut's session (the history's first bar of that session, else the last close)."""
        from fracfire.calendar import trading_day_number

        days = trading_day_number(self.history["time"])
        cut_day = trading_day_number(np.array([self.cut.as_unit("ns").value], dtype=np.int64))[0]
        rows = np.flatnonzero(days == cut_day)
        return float(self.history["open"].iloc[rows[0]]) if len(rows) else self.last_close

    @cached_property
    def session_range_so_far(self) -> float:
        """High minus low of the cut's session before the cut (0 without history in it)."""
        from fracfire.calendar import trading_day_number

        days = trading_day_number(self.history["time"])
        cut_day = trading_day_number(np.array([self.cut.as_unit("ns").value], dtype=np.int64))[0]
        rows = days == cut_day
        if not rows.any():
            return 0.0
        return float(self.history["high"][rows].max() - self.history["low"][rows].min())

    @cached_property
    def outcomes(self) -> pd.DataFrame:
        """One row per scenario: ``close``, ``high``, ``low`` (to come) and ``range`` (``high - low``)."""
        grouped = self.bars.groupby("scenario", sort=True)
        out = pd.DataFrame(
            {"close": grouped["close"].last(), "high": grouped["high"].max(), "low": grouped["low"].min()}
        )
        out["range"] = out["high"] - out["low"]
        return out

    def quantiles(self, q: Sequence[float] = QUANTILES) -> pd.DataFrame:
        """Quantiles of the close, the high and low to come and the range to come (rows: quantiles)."""
        return self.outcomes.quantile(list(q))

    def probability_touch(self, level: float) -> float:
        """Share of scenarios that trade at ``level`` (above the last close: the high reaches it; below: the low)."""
        level = float(level)
        if level >= self.last_close:
            return float((self.outcomes["high"] >= level).mean())
        return float((self.outcomes["low"] <= level).mean())

    @cached_property
    def probabilities(self) -> dict[str, float]:
        """Close above the session open and above the last close, and range expansion.

        ``range_expansion`` is the share of scenarios whose range to come
        exceeds the session's range so far.
        """
        o = self.outcomes
        return {
            "close_above_session_open": float((o["close"] > self.session_open).mean()),
            "close_above_last_close": float((o["close"] > self.last_close).mean()),
            "range_expansion": float((o["range"] > self.session_range_so_far).mean()),
        }

    def summary(self) -> str:
        """A short text report: the cut, the level, quantiles and probabilities."""
        n = self.bars["scenario"].nunique()
        lines = [
            f"{n:,} scenarios ({self.method}) from {self.cut:%Y-%m-%d %H:%M %Z}, horizon {self.horizon}, "
            f"last close {self.last_close:,.2f}, forecast activity x{self.level:.2f}",
            self.quantiles().round(2).to_string(),
            *(f"P({name.replace('_', ' ')}) = {p:.1%}" for name, p in self.probabilities.items()),
        ]
        return "\n".join(lines)

    def save(
        self, folder: str | os.PathLike, chart: bool = True, actual: pd.DataFrame | None = None
    ) -> dict[str, Path]:
        """Write ``scenarios.parquet``, ``summary.json`` and (``chart``) ``fan.png`` into ``folder``, atomically.

        The folder's earlier files of these names are removed first, so an interrupted save
        leaves some of this run's files, never a mix of two runs'.

        ``actual`` (bars after the cut, when known) is drawn over the fan.
        """
        from fracfire._atomic import atomic_path, write_text_atomic
        from fracfire.runs import ScenariosFolder

        files = ScenariosFolder(Path(folder))
        files.root.mkdir(parents=True, exist_ok=True)
        for old in (files.caption, files.fan, files.summary, files.bars):  # never a folder holding two runs' files
            old.unlink(missing_ok=True)
        paths = {"bars": files.bars, "summary": files.summary}
        with atomic_path(paths["bars"]) as tmp:
            self.bars.to_parquet(tmp, index=False)
        payload = {
            "cut": self.cut.isoformat(),
            "horizon": self.horizon,
            "method": self.method,
            "scenarios": int(self.bars["scenario"].nunique()),
            "last_close": self.last_close,
            "level": self.level,
            "probabilities": self.probabilities,
            "quantiles": {str(q): row.to_dict() for q, row in self.quantiles().iterrows()},
        }
        write_text_atomic(paths["summary"], json.dumps(payload, indent=2))
        if chart:
            from fracfire.viz.fan import fan_chart

            paths["chart"] = fan_chart(self, files.fan, actual=actual)
        return paths
