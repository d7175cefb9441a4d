"""Side-by-side comparisons: FracFire vs peers on held-out real data."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from fracfire._typing import Progress
from fracfire.realism.discriminator import discriminate
from fracfire.realism.peers import PEERS
from fracfire.realism.scorecard import DEFAULT_TIMEFRAMES, headline_facts, realism_report
from fracfire.runs import RunLayout, records, write_json

if TYPE_CHECKING:
    from fracfire.physics import PhysicsConfig

__all__ = ["REAL_REFERENCE", "SELF_SEED_OFFSET", "GeneratorComparison", "compare_generators", "wick_body_stats"]

SELF_SEED_OFFSET = 1000
"""A generator's second run for its self-discrimination uses ``seed + SELF_SEED_OFFSET``."""

REAL_REFERENCE = "real, earlier sessions"
"""Column of the real reference: the last fitted real sessions (as many as are held out) scored
against the held-out ones as if they were a generator."""


@dataclass(frozen=True)
class GeneratorComparison:
    """Several generators scored against the same held-out real bars.

    Attributes
    ----------
    values : pandas.DataFrame
        Index ``(timeframe, metric)``; column ``real`` then one per generator
        (first seed's values).
    distances : pandas.DataFrame
        Same index; one column per generator (mean over seeds).
    summary : pandas.DataFrame
        Rows ``summary_distance``, ``discriminative_score`` (``|accuracy - 0.5|``
        of the 60-bar window classifier), ``discriminator_accuracy`` and, when
        every run had at least 20 trading days per side,
        ``day_discriminative_score`` and ``day_discriminator_accuracy``; then
        ``self_discriminative_score``: the same window classifier between two
        runs of the generator itself (seeds ``s`` and ``s +``
        :data:`SELF_SEED_OFFSET`, same calendar). It is the part of the score
        that period-to-period variation alone produces: a generator drawn from
        the real market's own law would score about this much against the
        real bars. One column per generator (mean over seeds).
    train_days, validation_days, seeds : int
    headline : pandas.DataFrame or None
        The goal facts (:func:`~fracfire.realism.scorecard.headline_facts`):
        ``real``, ``goal``, then per generator its value, with two seeds or
        more its standard deviation over them (``"<name> sd"``: a miss by
        less than that is within one run's luck) and whether the goal is met,
        value and verdict on the mean over seeds; last the same for
        :data:`REAL_REFERENCE` (which goals the market's own earlier sessions
        meet: a goal they miss is within the market's own variation).
    notes : tuple of str
        What the scorecard skipped and why (first generator, first seed).
    """

    values: pd.DataFrame
    distances: pd.DataFrame
    summary: pd.DataFrame
    train_days: int
    validation_days: int
    seeds: int
    headline: pd.DataFrame | None = None
    notes: tuple[str, ...] = ()
    real_reference: float | None = None
    """Discriminative score of the fitted (earlier) real sessions against the held-out ones:
    how different two stretches of the real market look to the classifier."""
    reference: dict | None = None
    """The same real reference scored like a generator: ``summary_distance``,
    ``discriminative_score``, ``discriminator_accuracy`` and, with enough days,
    ``day_discriminative_score`` and ``day_discriminator_accuracy``."""

    def to_dict(self) -> dict:
        """JSON-ready (the report renders ``summary`` and ``table``)."""
        distances = self.distances.add_suffix(" distance")
        table = self.values.join(distances).reset_index()
        return {
            "summary": {name: {k: float(v) for k, v in column.items()} for name, column in self.summary.items()},
            "split": {
                "train_sessions": self.train_days,
                "validation_sessions": self.validation_days,
                "seeds": self.seeds,
            },
            "table": records(table),
            "headline": [] if self.headline is None else records(self.headline),
            "notes": list(self.notes),
            "real_reference_discriminative_score": self.real_reference,
            "real_reference": self.reference,
        }

    def save(self, folder: str | os.PathLike) -> dict[str, Path]:
        """Write ``realism.json`` (:meth:`to_dict`) and ``realism.md`` (:meth:`to_markdown`) to ``folder``,
        atomically (names from :class:`fracfire.runs.RunLayout`); file name -> path."""
        from fracfire._atomic import write_text_atomic

        files = RunLayout(Path(folder))
        paths = [
            write_json(files.realism_json, self.to_dict()),
            write_text_atomic(files.realism_md, self.to_markdown()),
        ]
        return {path.name: path for path in paths}

    def to_markdown(self) -> str:
        """Summary, then distances, then values, as Markdown tables."""
        from fracfire._markdown import markdown_table as md

        return "\n\n".join(
            [
                "# Realism scorecard",
                f"Held-out real data: {self.validation_days} sessions (fitted on the {self.train_days} before); "
                f"distances averaged over {self.seeds} seed(s). Summary distance = mean of min(distance, 1) "
                "over all metrics (0 = identical); discriminative score = |accuracy - 0.5| of a classifier "
                "telling real from synthetic windows of 60 bars (0 = indistinguishable), its accuracy beside it "
                "(discriminator_accuracy); the day_ rows are the same for whole trading days; "
                "self_discriminative_score is the same classifier between two runs of the generator itself "
                "(what period-to-period variation alone gives).",
                *(
                    [
                        f"Reference: the {self.train_days} fitted real sessions against the {self.validation_days} "
                        f"held-out ones score {self.real_reference:.3f} (two stretches of the real market)."
                    ]
                    if self.real_reference is not None
                    else []
                ),
                *(["Notes:\n" + "\n".join(f"- {note}" for note in self.notes)] if self.notes else []),
                "## Summary",
                md(self.summary),
                *(["## Headline facts (mean over seeds)", md(self.headline)] if self.headline is not None else []),
                "## Distances",
                md(self.distances),
                "## Values",
                md(self.values),
            ]
        )


def compare_generators(
    real: pd.DataFrame,
    configs: dict[str, PhysicsConfig] | None = None,
    peers: bool = True,
    train_fraction: float = 0.6,
    seeds: tuple[int, ...] = (0,),
    timeframes: Sequence[str] = DEFAULT_TIMEFRAMES,
    progress: Progress | None = None,
) -> GeneratorComparison:
    """Score FracFire configs and the peers on the later slice of ``real``.

    Peers are fitted on the earlier slice; every generator produces bars on the
    later slice's calendar, starting at its first open.

    Parameters
    ----------
    real : pandas.DataFrame
        Real bars (one-minute, or five-minute such as the NQ file).
    configs : dict, optional
        Display name -> PhysicsConfig. None (default) means
        ``{"FracFire default": PhysicsConfig()}``; ``{}`` scores the peers only.
    peers : bool, default True
        Include the peers of :data:`~fracfire.realism.peers.PEERS`.
    train_fraction : float
        Share of sessions the peers are fitted on.
    seeds : tuple of int
        Seeds to average distances over.
    timeframes : tuple of str
        Passed to :func:`~fracfire.realism.scorecard.realism_report`.
    progress : callable, optional
        ``progress(done, total)`` after each scored generator and seed.

    Returns
    -------
    GeneratorComparison

    Examples
    --------
    >>> compare_generators(real, configs={}, seeds=(0, 1, 2)).summary  # doctest: +SKIP
    """
    from fracfire.realism.calendar import split_by_time, synthetic_like

    if configs is None:
        from fracfire.physics import PhysicsConfig

        configs = {"FracFire default": PhysicsConfig()}
    if not configs and not peers:
        raise ValueError("compare_generators: nothing to score; pass configs or peers=True")
    if not seeds:
        raise ValueError(f"compare_generators: seeds must name at least one seed; got {seeds!r}")
    from fracfire.data.checks import require_price_changes
    from fracfire.realism.discriminator import MIN_WINDOWS, WINDOW_BARS

    require_price_changes(real, "compare_generators")
    need = MIN_WINDOWS * WINDOW_BARS  # the window classifier's fewest windows per side
    if len(real) < 2 * need:
        raise ValueError(
            f"compare_generators: {len(real):,} real bars; the scorecard needs at least {2 * need:,} "
            f"(a held-out slice of {need:,} bars: {MIN_WINDOWS} {WINDOW_BARS}-bar windows for the classifier)"
        )
    train, validation = split_by_time(real, train_fraction)
    if len(validation) < need:
        raise ValueError(
            f"compare_generators: the held-out slice has {len(validation):,} bars "
            f"({validation['session_id'].nunique()} sessions); the classifier needs at least "
            f"{need:,}. Give a longer file or a smaller train_fraction"
        )
    start = float(validation["open"].iloc[0])
    makers = {name: (lambda seed, c=config: synthetic_like(validation, c, seed)) for name, config in configs.items()}
    if peers:
        makers.update(
            {name: (lambda seed, fn=fn: fn(train, validation["time"], start, seed)) for name, fn in PEERS.items()}
        )
    reports: dict[str, list] = {name: [] for name in makers}
    own: dict[str, list[float]] = {name: [] for name in makers}
    total, done = len(makers) * len(seeds), 0
    for name, make in makers.items():
        for seed in seeds:
            bars = make(seed)
            reports[name].append(realism_report(validation, bars, timeframes, seed=seed))
            own[name].append(abs(discriminate(bars, make(seed + SELF_SEED_OFFSET), seed=seed) - 0.5))
            done += 1
            if progress is not None:
                progress(done, total)
    first = next(iter(reports.values()))[0]
    values = pd.DataFrame({"real": first.table["real"]})
    distances = pd.DataFrame(index=first.table.index)
    summary = {}
    headline = first.headline[["real", "goal"]].copy()
    for name, runs in reports.items():
        values[name] = runs[0].table["synthetic"]
        distances[name] = pd.concat([r.table["distance"] for r in runs], axis=1).mean(axis=1)
        summary[name] = {
            "summary_distance": float(np.mean([r.summary_distance for r in runs])),
            "discriminative_score": float(np.mean([r.discriminative_score for r in runs])),
            "discriminator_accuracy": float(np.mean([r.discriminator_accuracy for r in runs])),
        }
        if all(r.day_discriminative_score is not None for r in runs):
            summary[name]["day_discriminative_score"] = float(np.mean([r.day_discriminative_score for r in runs]))
            summary[name]["day_discriminator_accuracy"] = float(np.mean([r.day_discriminator_accuracy for r in runs]))
        summary[name]["self_discriminative_score"] = float(np.mean(own[name]))
        mean = headline_facts(runs)
        headline[name] = mean["synthetic"]
        if "synthetic_sd" in mean:
            headline[f"{name} sd"] = mean["synthetic_sd"]
        headline[f"{name} met"] = mean["met"]
    reference = _real_reference(train, validation, timeframes, seeds[0])
    if reference is not None:
        facts = reference.headline
        headline[REAL_REFERENCE] = facts["synthetic"].reindex(headline.index)
        headline[f"{REAL_REFERENCE} met"] = facts["met"].reindex(headline.index)
    return GeneratorComparison(
        values,
        distances,
        pd.DataFrame(summary),
        int(train["session_id"].nunique()),
        int(validation["session_id"].nunique()),
        len(seeds),
        headline,
        first.notes,
        None if reference is None else reference.discriminative_score,
        None if reference is None else _summary_row(reference),
    )


def _summary_row(report) -> dict:
    row = {"summary_distance": float(report.summary_distance)}
    for key in (
        "discriminative_score",
        "discriminator_accuracy",
        "day_discriminative_score",
        "day_discriminator_accuracy",
    ):
        if getattr(report, key) is not None:
            row[key] = float(getattr(report, key))
    return row


def _real_reference(train: pd.DataFrame, validation: pd.DataFrame, timeframes, seed: int):
    """The last fitted real sessions (as many as the held-out slice has, so windows pair by
    position within the session) scored against the held-out ones, or None when too few."""
    sessions = train["session_id"].unique()[-validation["session_id"].nunique() :]
    earlier = train[train["session_id"].isin(sessions)]
    try:
        return realism_report(validation, earlier, timeframes, seed=seed)
    except ValueError:
        return None


def wick_body_stats(bars: pd.DataFrame) -> dict[str, float]:
    """Mean body and wicks (ticks) and their shares of the range."""
    rng = bars["range_ticks"].to_numpy(dtype=float)
    moving = rng > 0
    return {
        "bars": float(len(bars)),
        "range": float(rng.mean()),
        "body": float(bars["body_ticks"].mean()),
        "upper_wick": float(bars["upper_wick_ticks"].mean()),
        "lower_wick": float(bars["lower_wick_ticks"].mean()),
        "body_share": float((bars["body_ticks"].to_numpy()[moving] / rng[moving]).mean()),
        "wick_share": float(((rng - bars["body_ticks"].to_numpy())[moving] / rng[moving]).mean()),
    }
