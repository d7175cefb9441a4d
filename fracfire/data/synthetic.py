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
from fracfire._optional import require
from fracfire._signals import guard_worker
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

__all__ = [
    "ARCHETYPES",
    "DATASET_VERSION",
    "Archetype",
    "BuildResult",
    "build_archetypes",
    "library_status",
    "list_archetypes",
    "load_archetypes",
    "verify_archetypes",
]

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
            return gen.generate_day(
                day, state_sequence=list(self.sequence), macro_regime=self.macro_regime, calendar="globex"
            )
        driver = FractalStateManager(day_state=self.day_state, direction=self.direction)
        return gen.generate_day(day, driver=driver, macro_regime=self.macro_regime, calendar="globex")


def _at(hhmm: str) -> int:
    """Minutes from the Globex open (18:00 ET the evening before) to ``hhmm`` ET on the trading date."""
    return int(hhmm[:2]) * 60 + int(hhmm[3:]) + MINUTES_PER_DAY - SESSION_OPEN_MINUTE


def _burst(state, start: int, minutes: int = 20) -> tuple:
    """A ranging day with ``state`` from ``start`` (minutes after the session open) for ``minutes``."""
    return ((0, MarketState.RANGING), (start, state), (start + minutes, MarketState.RANGING))


ARCHETYPES: dict[str, Archetype] = {
    a.name: a
    for a in (
        Archetype(
            "rally_day", "trend day up: impulse and continuation hours", "RALLY_DAY", DayState.TREND_DAY, direction=1
        ),
        Archetype("selloff_day", "trend day down", "SELLOFF_DAY", DayState.TREND_DAY, direction=-1),
        Archetype("range_day", "choppy, bounded, mean-reverting", "RANGE_DAY", DayState.RANGE_DAY),
        Archetype(
            "breakout_pattern",
            "range, then RTH breakout and rally",
            "BREAKOUT_PATTERN",
            sequence=(
                (0, MarketState.RANGING),
                (_at("10:00"), MarketState.BREAKOUT),
                (_at("10:15"), MarketState.RALLY),
                (_at("11:00"), MarketState.ZOMBIE),
                (_at("12:00"), MarketState.RANGING),
            ),
        ),
        Archetype(
            "breakdown_pattern",
            "range, then RTH breakdown",
            "BREAKDOWN_PATTERN",
            sequence=(
                (0, MarketState.RANGING),
                (_at("10:00"), MarketState.BREAKDOWN),
                (_at("10:25"), MarketState.IMPULSIVE),
                (_at("10:40"), MarketState.RANGING),
            ),
        ),
        Archetype("reversal_day", "a move, then a reversal hour turns the day", "REVERSAL_DAY", DayState.REVERSAL_DAY),
        Archetype("quiet_day", "low volatility, flat and zombie minutes", "QUIET_DAY", DayState.QUIET_DAY),
        Archetype("volatile_day", "large two-sided swings", "VOLATILE_DAY", DayState.VOLATILE_DAY),
        Archetype(
            "flash_crash",
            "a 15-minute crash inside a ranging day",
            "FLASH_CRASH",
            sequence=_burst(CUSTOM_STATES["flash_crash"], _at("10:30"), 15),
        ),
        Archetype(
            "melt_up",
            "an hour-long relentless grind up",
            "MELT_UP",
            sequence=_burst(CUSTOM_STATES["melt_up"], _at("10:00"), 60),
        ),
        Archetype(
            "news_spike",
            "a two-sided news spike at 08:30",
            "NEWS_SPIKE",
            sequence=_burst(CUSTOM_STATES["news_spike"], _at("08:30"), 10),
        ),
    )
}
"""The archetype catalogue, by name."""


def list_archetypes() -> pd.DataFrame:
    """Name, macro regime, driver and description of every archetype."""
    return pd.DataFrame(
        [
            {
                "name": a.name,
                "macro_regime": a.macro_regime,
                "driver": f"fractal {a.day_state.value}" if a.day_state else "state sequence",
                "description": a.description,
            }
            for a in ARCHETYPES.values()
        ]
    ).set_index("name")


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


def _build_shard(
    shard: _Shard, seed: int, physics: dict, total_days: int, initial_price: float, parent: int
) -> tuple[int, bytes]:
    """Generate one shard (in a worker of process ``parent``); return its rows and Parquet bytes.

    Workers write nothing: the parent writes every file, atomically, so a
    worker killed at any moment leaves no debris.
    """
    guard_worker(parent)
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
    return len(frame), frame.to_parquet(None, index=False, compression="zstd")


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
        return (
            f"{self.days:,} days, {self.rows:,} bars in {self.shards} shards at {self.path} "
            f"({self.skipped} kept from a previous run) in {self.seconds:.1f} s"
        )


MAX_DAYS_PER_ARCHETYPE = 100_000
"""Most days per archetype in one library (the generator's own run limit)."""
MAX_WORKERS_PER_CORE = 4
"""Most local worker processes per core (more only thrash memory)."""


def build_archetypes(
    out: str | os.PathLike,
    archetypes: list[str] | str = "all",
    days_per_archetype: int = 150,
    seed: int = 1,
    physics: PhysicsConfig | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    resume: bool = False,
    days_per_shard: int = 25,
    initial_price: float = 5000.0,
    progress: Callable[[int, int], None] | None = None,
) -> BuildResult:
    """Build a labelled archetype library (see the module docstring).

    The manifest, with the build arguments, is written before the first shard
    and updated as shards finish (``"complete": false`` until the last), so an
    interrupted build can always be resumed, and only with the same arguments.

    Parameters
    ----------
    out : str or PathLike
        Library folder.
    archetypes : list of str or "all"
        Names from :data:`ARCHETYPES`, each at most once.
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
        Continue an interrupted build in ``out``: keep its finished shards (they
        were written atomically). Refused, naming the difference, when the
        library was started with other arguments.
    days_per_shard : int
        Days per Parquet file.
    progress : callable, optional
        ``progress(days_done, days_total)``.

    Raises
    ------
    ValueError
        Unknown or repeated archetype names; a non-empty ``out`` without
        ``resume``; ``resume`` into a folder started with other arguments or
        holding files but no manifest.
    """
    import time

    names = list(ARCHETYPES) if archetypes in ("all", ["all"]) else list(archetypes)
    unknown = [n for n in names if n not in ARCHETYPES]
    if unknown:
        raise ValueError(f"unknown archetype(s) {unknown}; known: {list(ARCHETYPES)}")
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ValueError(f"archetype(s) {repeated} listed more than once; name each archetype once")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed < 2**32:
        raise ValueError(f"seed must be an integer in [0, 2**32); got {seed!r}")
    if days_per_archetype < 1 or days_per_shard < 1:
        raise ValueError("days_per_archetype and days_per_shard must be >= 1")
    if days_per_archetype > MAX_DAYS_PER_ARCHETYPE:
        raise ValueError(
            f"days_per_archetype {days_per_archetype:,} is more than {MAX_DAYS_PER_ARCHETYPE:,} "
            f"(about {MAX_DAYS_PER_ARCHETYPE * len(names) * 40 // 1_000_000:,} GB of shards); "
            "build several libraries with different seeds instead"
        )
    cores = os.cpu_count() or 1
    if workers is not None and (scheduler in (None, "local")) and workers > MAX_WORKERS_PER_CORE * cores:
        raise ValueError(
            f"workers {workers:,} is more than {MAX_WORKERS_PER_CORE} per core on this machine's "
            f"{cores} core(s); each worker is a process of a few hundred MB. Use at most "
            f"{MAX_WORKERS_PER_CORE * cores}, or a Dask scheduler (--scheduler tcp://...) for more"
        )
    physics = physics or PhysicsConfig()
    out = Path(out)
    started = time.perf_counter()
    order = [n for n in ARCHETYPES if n in names]
    total = len(order) * days_per_archetype
    build = _build_args(order, days_per_archetype, seed, physics, days_per_shard, initial_price)
    shards = _plan(build)
    manifest_path = out / MANIFEST
    if out.exists() and not out.is_dir():
        raise ValueError(f"{out} is a file, not a library folder")
    occupied = out.exists() and any(out.iterdir())
    if occupied and not resume:
        raise ValueError(
            f"{out} is not empty: pass resume=True (--resume) to continue a build, or choose an empty folder"
        )
    listed: dict[str, dict] = {}
    if occupied:
        if not manifest_path.exists():
            raise ValueError(f"{out} holds files but no {MANIFEST}, so what built them is unknown; use an empty folder")
        previous = _read_manifest(out)
        difference = _difference(previous["build"], build)
        if difference:
            raise ValueError(
                f"{out} holds a library built with other arguments ({difference}); "
                "use another folder or the same arguments"
            )
        listed = {e["path"]: e for e in previous["shards"]}
    done = [s for s in shards if occupied and (out / s.relpath).exists()]
    todo = [s for s in shards if s not in done]
    results = {}
    for s in done:  # trust a listed hash only if the file still has it
        digest = _sha256(out / s.relpath)
        entry = listed.get(s.relpath)
        rows = (
            entry["rows"]
            if entry and entry["sha256"] == digest
            else int(pd.read_parquet(out / s.relpath, columns=["day_id"]).shape[0])
        )
        results[s.relpath] = (s.relpath, rows, digest)
    _write_manifest(out, build, shards, results, complete=not todo)
    args = (seed, physics.to_dict(), total, initial_price, os.getpid())
    finished = sum(len(s.days) for s in done)
    if progress:
        progress(finished, total)
    for shard, result in _run(todo, args, workers, scheduler):
        rows, data = result
        with atomic_path(out / shard.relpath) as tmp:
            tmp.write_bytes(data)
        results[shard.relpath] = (shard.relpath, rows, hashlib.sha256(data).hexdigest())
        finished += len(shard.days)
        _write_manifest(out, build, shards, results, complete=len(results) == len(shards))
        if progress:
            progress(finished, total)
    rows = sum(r[1] for r in results.values())
    return BuildResult(out, total, rows, len(shards), len(done), time.perf_counter() - started)


def library_status(out: str | os.PathLike, days_per_archetype: int, seed: int, physics=None) -> tuple:
    """``(difference, complete)`` of the library in ``out`` against these build settings: what differs
    (``""`` when nothing does) and whether its build finished. Raises like :func:`verify_archetypes`."""
    wanted = {"days_per_archetype": days_per_archetype, "seed": seed, "physics": (physics or PhysicsConfig()).to_dict()}
    manifest = _read_manifest(Path(out))
    old = {key: manifest["build"].get(key) for key in wanted}
    return _difference(old, wanted), bool(manifest.get("complete", True))


def _build_args(order, days, seed, physics, per_shard, price) -> dict:
    return {
        "archetypes": order,
        "days_per_archetype": days,
        "seed": seed,
        "physics": physics.to_dict(),
        "days_per_shard": per_shard,
        "initial_price": price,
        "first_day": str(FIRST_DAY.date()),
    }


def _plan(build: dict) -> list[_Shard]:
    """The shards a build's arguments call for, in manifest order."""
    per_archetype, per_shard = build["days_per_archetype"], build["days_per_shard"]
    shards = []
    for a, name in enumerate(build["archetypes"]):
        days = range(a * per_archetype, (a + 1) * per_archetype)
        for k, first in enumerate(range(0, per_archetype, per_shard)):
            shards.append(_Shard(name, k, tuple(days[first : first + per_shard])))
    return shards


def _difference(old: dict, new: dict) -> str:
    """Name the build arguments that differ, with both values."""
    parts = []
    for key in sorted(set(old) | set(new)):
        if old.get(key) == new.get(key):
            continue
        if key == "physics" and isinstance(old.get(key), dict):
            knobs = sorted(k for k in set(old[key]) | set(new[key]) if old[key].get(k) != new[key].get(k))
            parts.append(
                "physics " + ", ".join(f"{k}: library {old[key].get(k)!r}, now {new[key].get(k)!r}" for k in knobs)
            )
        else:
            parts.append(f"{key}: library {old.get(key)!r}, now {new.get(key)!r}")
    return "; ".join(parts)


def _run(todo: list[_Shard], args: tuple, workers: int | None, scheduler: str | None):
    """Yield (shard, result) as shards finish, on the chosen executor."""
    if not todo:
        return
    if scheduler:
        distributed = require("dask.distributed", "--scheduler (Dask)")
        Client, LocalCluster, as_completed = (distributed.Client, distributed.LocalCluster, distributed.as_completed)

        cluster = (
            LocalCluster(
                n_workers=workers or os.cpu_count(), threads_per_worker=1, processes=True, dashboard_address=None
            )
            if scheduler == "local"
            else None
        )
        try:
            client = Client(cluster if cluster is not None else scheduler, timeout="10s")
        except (OSError, MemoryError, ValueError) as exc:  # a non-Dask server can answer with garbage
            if cluster is not None:
                cluster.close()
            raise OSError(
                f"cannot reach the Dask scheduler {scheduler!r} ({exc}); start one with "
                "'dask scheduler' or pass --scheduler local"
            ) from None
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


def _write_manifest(out: Path, build: dict, shards: list[_Shard], results: dict, complete: bool) -> None:
    from fracfire import __version__

    entries = [
        {
            "path": s.relpath,
            "archetype": s.archetype,
            "days": len(s.days),
            "rows": results[s.relpath][1],
            "sha256": results[s.relpath][2],
        }
        for s in shards
        if s.relpath in results
    ]
    manifest = {
        "dataset_version": DATASET_VERSION,
        "generator_version": __version__,
        "build": build,
        "complete": complete,
        "shards": entries,
    }
    write_text_atomic(out / MANIFEST, json.dumps(manifest, indent=2))


def _read_manifest(path: Path) -> dict:
    """Read and check a library's manifest; a ValueError names the file and what is wrong."""
    manifest_path = path / MANIFEST
    if not manifest_path.is_file():
        raise FileNotFoundError(f"no {MANIFEST} in {path}: not an archetype library")
    where = f"{manifest_path} is not a valid library manifest"
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{where}: {exc}") from None
    if not isinstance(manifest, dict):
        raise ValueError(f"{where}: expected a JSON object, got {type(manifest).__name__}")
    build, entries = manifest.get("build"), manifest.get("shards")
    if not isinstance(build, dict) or not isinstance(entries, list):
        raise ValueError(f"{where}: needs a 'build' object and a 'shards' list")
    for i, entry in enumerate(entries):
        if not (
            isinstance(entry, dict)
            and all(isinstance(entry.get(k), str) for k in ("path", "sha256", "archetype"))
            and isinstance(entry.get("rows"), int)
        ):
            raise ValueError(
                f"{where}: shard entry {i} needs string path, sha256 and archetype and integer rows; got {entry!r}"
            )
        target = (path / entry["path"]).resolve()
        if Path(entry["path"]).is_absolute() or not target.is_relative_to(path.resolve()):
            raise ValueError(f"{where}: shard path {entry['path']!r} points outside the library")
    try:
        _plan(build)
    except (KeyError, TypeError) as exc:
        raise ValueError(f"{where}: build arguments incomplete ({exc})") from None
    return manifest


def verify_archetypes(path: str | os.PathLike) -> list[str]:
    """Check a library against its manifest; return the problems (empty = intact).

    Reports an unfinished build, shards that are missing or whose SHA-256
    differs, Parquet files the manifest does not list, and leftover temporary
    files from an interrupted write.

    Raises
    ------
    FileNotFoundError
        No manifest in ``path``.
    ValueError
        The manifest is not valid JSON or not a library manifest (names the file).
    """
    path = Path(path)
    manifest = _read_manifest(path)
    entries = manifest["shards"]
    planned = {s.relpath for s in _plan(manifest["build"])}
    problems = []
    unfinished = sorted(planned - {e["path"] for e in entries})
    if unfinished or not manifest.get("complete", True):
        problems.append(
            f"unfinished build: {len(planned) - len(unfinished)} of {len(planned)} shards written "
            "(continue it with --resume)"
        )
    if not planned:
        problems.append("the manifest lists no shards")
    for entry in entries:
        shard = path / entry["path"]
        if entry["path"] not in planned:
            problems.append(f"unexpected entry {entry['path']} (not in the build plan)")
        if not shard.exists():
            problems.append(f"missing {entry['path']}")
        elif _sha256(shard) != entry["sha256"]:
            problems.append(f"hash mismatch {entry['path']}")
    listed = {e["path"] for e in entries}
    for file in sorted(p for p in path.rglob("*") if p.is_file()):
        rel = file.relative_to(path).as_posix()
        if file.name.endswith(".tmp"):
            problems.append(f"stray temporary file {rel} (an interrupted write; safe to delete)")
        elif file.suffix == ".parquet" and rel not in listed and rel not in unfinished:
            problems.append(f"extra {rel} (not in the manifest)")
        elif file.suffix == ".parquet" and rel in unfinished:
            problems.append(f"extra {rel} (written after the manifest's last update; --resume adopts it)")
    return problems


def load_archetypes(path: str | os.PathLike, archetypes: list[str] | None = None) -> pd.DataFrame:
    """Load a library (all archetypes or some) as one frame with ``archetype`` and ``day_id`` columns."""
    path = Path(path)
    manifest = _read_manifest(path)
    entries = manifest["shards"]
    if not manifest.get("complete", True):
        raise ValueError(f"{path} is an unfinished build; continue it with resume=True (--resume) first")
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
