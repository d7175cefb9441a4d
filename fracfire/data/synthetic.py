"""Labelled synthetic archetype libraries: a catalogue of recipes and a reproducible builder.

A library is a folder of Parquet shards, ``archetype=<name>/part-<k>.parquet``
(``days_per_shard`` days each), plus ``manifest.json`` with the dataset and
generator versions, the physics config, the seed, and every shard's row count
and SHA-256. Each day has its own seed, spawned in a fixed order from the
library seed with :class:`numpy.random.SeedSequence`, so a shard's bytes do not
depend on how many workers (local processes or a Dask cluster) built it.
Shards are written atomically; ``resume=True`` keeps the finished ones.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from fracfire._atomic import atomic_path, write_text_atomic
from fracfire.calendar import MINUTES_PER_DAY, SESSION_OPEN_MINUTE, sessions
from fracfire.data.io import read_bars
from fracfire.physics import (
    CUSTOM_STATES,
    DayState,
    FractalStateManager,
    MarketState,
    PhysicsConfig,
    PriceGenerator,
)

__all__ = ["ARCHETYPES", "DATASET_VERSION", "Archetype", "BuildResult", "build_archetypes", "list_archetypes",
           "load_archetypes", "verify_archetypes"]

DATASET_VERSION = "2"
MANIFEST = "manifest.json"
FIRST_DAY = pd.Timestamp("2024-01-02")


@dataclass(frozen=True)
class Archetype:
    """A named recipe for one kind of labelled day.

    Attributes
    ----------
    name, description : str
    macro_regime : str
        The days' ``macro_regime`` label.
    day_state : DayState, optional
        Drive the day with a :class:`FractalStateManager` forced to this day state ...
    direction : int, optional
        ... and this direction (+1 up, -1 down; random when None).
    sequence : tuple, optional
        ... or follow this ``state_sequence`` (minute offset, state) instead.
    """

    name: str
    description: str
    macro_regime: str
    day_state: DayState | None = None
    direction: int | None = None
    sequence: tuple = ()

    def generate(self, gen: PriceGenerator, day: pd.Timestamp) -> pd.DataFrame:
        """One Globex session (trading date ``day``) of this archetype with ``gen``."""
        if self.sequence:
            return gen.generate_day(day, state_sequence=list(self.sequence), macro_regime=self.macro_regime,
                                    calendar="globex")
        driver = FractalStateManager(day_state=self.day_state, direction=self.direction)
        return gen.generate_day(day, driver=driver, macro_regime=self.macro_regime, calendar="globex")


def _at(hhmm: str) -> int:
    """Minutes from the Globex open (18:00 ET the evening before) to ``hhmm`` ET on the trading date."""
    return int(hhmm[:2]) * 60 + int(hhmm[3:]) + MINUTES_PER_DAY - SESSION_OPEN_MINUTE


def _burst(state, start: int, minutes: int = 20) -> tuple:
    """A ranging day with ``state`` from ``start`` (minutes after the session open) for ``minutes``."""
    return ((0, MarketState.RANGING), (start, state), (start + minutes, MarketState.RANGING))


ARCHETYPES: dict[str, Archetype] = {a.name: a for a in (
    Archetype("rally_day", "trend day up: impulse and continuation hours", "RALLY_DAY",
              DayState.TREND_DAY, direction=1),
    Archetype("selloff_day", "trend day down", "SELLOFF_DAY", DayState.TREND_DAY, direction=-1),
    Archetype("range_day", "choppy, bounded, mean-reverting", "RANGE_DAY", DayState.RANGE_DAY),
    Archetype("breakout_pattern", "range, then RTH breakout and rally", "BREAKOUT_PATTERN", sequence=(
        (0, MarketState.RANGING), (_at("10:00"), MarketState.BREAKOUT), (_at("10:15"), MarketState.RALLY),
        (_at("11:00"), MarketState.ZOMBIE), (_at("12:00"), MarketState.RANGING))),
    Archetype("breakdown_pattern", "range, then RTH breakdown", "BREAKDOWN_PATTERN", sequence=(
        (0, MarketState.RANGING), (_at("10:00"), MarketState.BREAKDOWN), (_at("10:25"), MarketState.IMPULSIVE),
        (_at("10:40"), MarketState.RANGING))),
    Archetype("reversal_day", "a move, then a reversal hour turns the day", "REVERSAL_DAY",
              DayState.REVERSAL_DAY),
    Archetype("quiet_day", "low volatility, flat and zombie minutes", "QUIET_DAY", DayState.QUIET_DAY),
    Archetype("volatile_day", "large two-sided swings", "VOLATILE_DAY", DayState.VOLATILE_DAY),
    Archetype("flash_crash", "a 15-minute crash inside a ranging day", "FLASH_CRASH",
              sequence=_burst(CUSTOM_STATES["flash_crash"], _at("10:30"), 15)),
    Archetype("melt_up", "an hour-long relentless grind up", "MELT_UP",
              sequence=_burst(CUSTOM_STATES["melt_up"], _at("10:00"), 60)),
    Archetype("news_spike", "a two-sided news spike at 08:30", "NEWS_SPIKE",
              sequence=_burst(CUSTOM_STATES["news_spike"], _at("08:30"), 10)),
)}
"""The archetype catalogue, by name."""


def list_archetypes() -> pd.DataFrame:
    """Name, macro regime, driver and description of every archetype."""
    return pd.DataFrame([{"name": a.name, "macro_regime": a.macro_regime,
                          "driver": f"fractal {a.day_state.value}" if a.day_state else "state sequence",
                          "description": a.description} for a in ARCHETYPES.values()]).set_index("name")


def _trading_days(n: int) -> list[pd.Timestamp]:
    """Trading dates of the first ``n`` Globex sessions from :data:`FIRST_DAY`."""
    return list(sessions(FIRST_DAY, n_sessions=n)["trading_date"])


@dataclass(frozen=True)
class _Shard:
    archetype: str
    index: int
    days: tuple[int, ...]  # global day numbers (positions in the seed spawn order)

    @property
    def relpath(self) -> str:
        return f"archetype={self.archetype}/part-{self.index:04d}.parquet"


def _build_shard(shard: _Shard, out: str, seed: int, physics: dict, total_days: int,
                 initial_price: float) -> tuple[str, int, str]:
    """Generate and write one shard (run in a worker); return (relpath, rows, sha256)."""
    children = np.random.SeedSequence(seed).spawn(total_days)
    config = PhysicsConfig.from_dict(physics)
    archetype = ARCHETYPES[shard.archetype]
    calendar = _trading_days(total_days)
    frames = []
    for day in shard.days:
        gen = PriceGenerator(initial_price=initial_price, seed=children[day], physics=config)
        bars = archetype.generate(gen, calendar[day])
        bars.insert(0, "day_id", np.int64(day))
        frames.append(bars)
    frame = pd.concat(frames, ignore_index=True)
    for name in ("state", "session", "macro_regime", "day_state", "hour_state"):
        if name in frame.columns:
            frame[name] = frame[name].astype(str)
    frame["archetype"] = shard.archetype
    path = Path(out) / shard.relpath
    with atomic_path(path) as tmp:
        frame.to_parquet(tmp, index=False, compression="zstd")
    return shard.relpath, len(frame), _sha256(path)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@dataclass(frozen=True)
class BuildResult:
    """What :func:`build_archetypes` wrote."""

    path: Path
    days: int
    rows: int
    shards: int
    skipped: int
    seconds: float

    def summary(self) -> str:
        """One line."""
        return (f"{self.days:,} days, {self.rows:,} bars in {self.shards} shards at {self.path} "
                f"({self.skipped} kept from a previous run) in {self.seconds:.1f} s")


def build_archetypes(out: str | os.PathLike, archetypes: list[str] | str = "all", days_per_archetype: int = 150,
                     seed: int = 1, physics: PhysicsConfig | None = None, workers: int | None = None,
                     scheduler: str | None = None, resume: bool = False, days_per_shard: int = 25,
                     initial_price: float = 5000.0,
                     progress: Callable[[int, int], None] | None = None) -> BuildResult:
    """Build a labelled archetype library (see the module docstring).

    Parameters
    ----------
    out : str or PathLike
        Library folder.
    archetypes : list of str or "all"
        Names from :data:`ARCHETYPES`.
    days_per_archetype : int
        Days of each archetype.
    seed : int
        Library seed; day ``k`` (archetypes in catalogue order) uses child ``k``.
    physics : PhysicsConfig, optional
        Engine knobs (recorded in the manifest).
    workers : int, optional
        Local worker processes (joblib/loky); default all cores. 1 builds in-process.
    scheduler : str, optional
        ``"local"`` starts a Dask ``LocalCluster`` with ``workers`` processes;
        ``"tcp://host:port"`` uses that Dask scheduler. Overrides ``workers``' pool.
    resume : bool
        Keep shards already in ``out`` (they were written atomically).
    days_per_shard : int
        Days per Parquet file.
    progress : callable, optional
        ``progress(days_done, days_total)``.
    """
    import time

    names = list(ARCHETYPES) if archetypes in ("all", ["all"]) else list(archetypes)
    unknown = [n for n in names if n not in ARCHETYPES]
    if unknown:
        raise ValueError(f"unknown archetype(s) {unknown}; known: {list(ARCHETYPES)}")
    if days_per_archetype < 1 or days_per_shard < 1:
        raise ValueError("days_per_archetype and days_per_shard must be >= 1")
    physics = physics or PhysicsConfig()
    out = Path(out)
    started = time.perf_counter()
    order = [n for n in ARCHETYPES if n in names]
    total = len(order) * days_per_archetype
    shards = []
    for a, name in enumerate(order):
        days = range(a * days_per_archetype, (a + 1) * days_per_archetype)
        for k, first in enumerate(range(0, days_per_archetype, days_per_shard)):
            shards.append(_Shard(name, k, tuple(days[first:first + days_per_shard])))
    manifest_path = out / MANIFEST
    if out.exists() and any(out.iterdir()) and not resume:
        raise ValueError(f"{out} is not empty: pass resume=True (--resume) to continue a build, "
                         "or choose an empty folder")
    if resume and manifest_path.exists():
        previous = json.loads(manifest_path.read_text())
        if previous.get("build") != _build_args(order, days_per_archetype, seed, physics, days_per_shard,
                                                initial_price):
            raise ValueError(f"{out} holds a library built with other arguments; use another folder")
    done = [s for s in shards if resume and (out / s.relpath).exists()]
    todo = [s for s in shards if s not in done]
    args = (str(out), seed, physics.to_dict(), total, initial_price)
    results = {s.relpath: (s.relpath, int(pd.read_parquet(out / s.relpath, columns=["day_id"]).shape[0]),
                           _sha256(out / s.relpath)) for s in done}
    finished = sum(len(s.days) for s in done)
    if progress:
        progress(finished, total)
    for shard, result in _run(todo, args, workers, scheduler):
        results[shard.relpath] = result
        finished += len(shard.days)
        if progress:
            progress(finished, total)
    entries = [{"path": results[s.relpath][0], "archetype": s.archetype, "days": len(s.days),
                "rows": results[s.relpath][1], "sha256": results[s.relpath][2]} for s in shards]
    from fracfire import __version__

    manifest = {"dataset_version": DATASET_VERSION, "generator_version": __version__,
                "build": _build_args(order, days_per_archetype, seed, physics, days_per_shard, initial_price),
                "shards": entries}
    write_text_atomic(manifest_path, json.dumps(manifest, indent=2))
    return BuildResult(out, total, sum(e["rows"] for e in entries), len(entries), len(done),
                       time.perf_counter() - started)


def _build_args(order, days, seed, physics, per_shard, price) -> dict:
    return {"archetypes": order, "days_per_archetype": days, "seed": seed, "physics": physics.to_dict(),
            "days_per_shard": per_shard, "initial_price": price, "first_day": str(FIRST_DAY.date())}


def _run(todo: list[_Shard], args: tuple, workers: int | None, scheduler: str | None):
    """Yield (shard, result) as shards finish, on the chosen executor."""
    if not todo:
        return
    if scheduler:
        from dask.distributed import Client, LocalCluster, as_completed

        cluster = LocalCluster(n_workers=workers or os.cpu_count(), threads_per_worker=1, processes=True,
                               dashboard_address=None) if scheduler == "local" else None
        client = Client(cluster if cluster is not None else scheduler)
        try:
            futures = {client.submit(_build_shard, shard, *args, pure=False): shard for shard in todo}
            for future in as_completed(futures):
                yield futures[future], future.result()
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
        return
    workers = workers or os.cpu_count() or 1
    if workers == 1:
        for shard in todo:
            yield shard, _build_shard(shard, *args)
        return
    from joblib import Parallel, delayed

    parallel = Parallel(n_jobs=workers, backend="loky", return_as="generator")
    yield from zip(todo, parallel(delayed(_build_shard)(shard, *args) for shard in todo), strict=True)


def verify_archetypes(path: str | os.PathLike) -> list[str]:
    """Re-hash every shard against the manifest; return the problems (empty = intact)."""
    path = Path(path)
    manifest_path = path / MANIFEST
    if not manifest_path.exists():
        raise FileNotFoundError(f"no {MANIFEST} in {path}: not an archetype library (or an unfinished build)")
    manifest = json.loads(manifest_path.read_text())
    problems = []
    for entry in manifest["shards"]:
        shard = path / entry["path"]
        if not shard.exists():
            problems.append(f"missing {entry['path']}")
        elif _sha256(shard) != entry["sha256"]:
            problems.append(f"hash mismatch {entry['path']}")
    return problems


def load_archetypes(path: str | os.PathLike, archetypes: list[str] | None = None) -> pd.DataFrame:
    """Load a library (all archetypes or some) as one frame with ``archetype`` and ``day_id`` columns."""
    path = Path(path)
    manifest_path = path / MANIFEST
    if not manifest_path.exists():
        raise FileNotFoundError(f"no {MANIFEST} in {path}: not an archetype library")
    entries = json.loads(manifest_path.read_text())["shards"]
    if archetypes is not None:
        known = {e["archetype"] for e in entries}
        unknown = sorted(set(archetypes) - known)
        if unknown:
            raise ValueError(f"archetype(s) {unknown} not in this library; it has {sorted(known)}")
        entries = [e for e in entries if e["archetype"] in archetypes]
    frames = [read_bars(path / e["path"]) for e in entries]
    frame = pd.concat(frames, ignore_index=True)
    for name in ("state", "session", "macro_regime", "day_state", "hour_state", "archetype"):
        if name in frame.columns:
            frame[name] = frame[name].astype("category")
    return frame
