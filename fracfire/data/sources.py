"""One interface for training data: bars, their features and labels where known."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, runtime_checkable

import pandas as pd

from fracfire.data.features import extract_features

__all__ = ["ArchetypeSource", "BarSource", "LabelledBars", "RealFileSource", "concat"]


@dataclass(frozen=True)
class LabelledBars:
    """A unit of training data (one day, or one real session).

    Attributes
    ----------
    name : str
        Where it comes from (``"<archetype>/day <id>"`` or ``"<file>/session <id>"``).
    bars : pandas.DataFrame
    features : pandas.DataFrame
        :func:`~fracfire.data.features.extract_features` of ``bars``.
    labels : pandas.Series or None
        Minute states where known (synthetic), None for real bars.
    """

    name: str
    bars: pd.DataFrame = field(repr=False)
    features: pd.DataFrame = field(repr=False)
    labels: pd.Series | None = field(repr=False, default=None)


@runtime_checkable
class BarSource(Protocol):
    """Anything iterable over :class:`LabelledBars`."""

    def __iter__(self) -> Iterator[LabelledBars]: ...


class ArchetypeSource:
    """Days of an archetype library (see :func:`fracfire.data.build_archetypes`), labels included."""

    def __init__(
        self, path: str | os.PathLike, archetypes: list[str] | None = None, windows: Sequence[int] = (5, 15, 60)
    ) -> None:
        from fracfire.data.synthetic import load_archetypes

        self.path = Path(path)
        self.windows = tuple(windows)
        self._bars = load_archetypes(self.path, archetypes)

    def __iter__(self) -> Iterator[LabelledBars]:
        for day, bars in self._bars.groupby("day_id", sort=True):
            bars = bars.reset_index(drop=True)
            yield LabelledBars(
                f"{bars['archetype'].iloc[0]}/day {day}",
                bars,
                extract_features(bars, self.windows),
                bars["state"].astype(str),
            )


class RealFileSource:
    """Sessions of a real bars file (no labels)."""

    def __init__(self, path: str | os.PathLike, windows: Sequence[int] = (5, 15, 60), strict: bool = True) -> None:
        from fracfire.data.real import load_continuous_contract

        self.path = Path(path)
        self.windows = tuple(windows)
        self._bars = load_continuous_contract(self.path, strict=strict)

    def __iter__(self) -> Iterator[LabelledBars]:
        for session, bars in self._bars.groupby("session_id", sort=True):
            bars = bars.reset_index(drop=True)
            yield LabelledBars(f"{self.path.name}/session {session}", bars, extract_features(bars, self.windows))


def concat(units) -> LabelledBars:
    """Join units of a source into one (labels kept only if every unit has them)."""
    units = list(units)
    if not units:
        raise ValueError("concat: the source yielded nothing")
    labels = None
    if all(u.labels is not None for u in units):
        labels = pd.concat([u.labels for u in units], ignore_index=True)
    return LabelledBars(
        f"{len(units)} units",
        pd.concat([u.bars for u in units], ignore_index=True),
        pd.concat([u.features for u in units], ignore_index=True),
        labels,
    )
