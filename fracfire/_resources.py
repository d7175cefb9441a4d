"""Checks made before long work starts: is there room for the output, and memory for the run?"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["available_memory", "check_memory", "check_writable"]


def available_memory() -> int | None:
    """Bytes of memory available to a new allocation (Linux ``MemAvailable``), or None if unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as info:
            for line in info:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def check_memory(need: int, what: str, advice: str, share: float = 0.8) -> None:
    """Raise ``MemoryError`` (with ``advice``) if ``need`` bytes exceed ``share`` of the available memory."""
    have = available_memory()
    if have is not None and need > share * have:
        raise MemoryError(f"{what} needs about {_size(need)} of memory and {_size(have)} is available; {advice}")


def _size(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024:
            return f"{n:.0f} {unit}" if unit in ("B", "KiB") else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TiB"


def check_writable(path: str | os.PathLike, folder: bool = False) -> Path:
    """Raise ``ValueError`` now, before any work, if ``path`` cannot be written.

    Parameters
    ----------
    path : str or PathLike
        The file (or, with ``folder=True``, the folder) a command will write.
    folder : bool
        ``path`` names a folder to create or fill rather than a file.

    Returns
    -------
    pathlib.Path
    """
    target = Path(path)
    if target.exists() and target.is_dir() != folder:
        kind, want = ("a folder", "a file") if target.is_dir() else ("a file", "a folder")
        raise ValueError(f"output {target} is {kind}; name {want}")
    probe = target if target.exists() and folder else target.parent
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if not probe.is_dir():
        raise ValueError(f"cannot write {target}: {probe} is a file, not a folder")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise ValueError(f"cannot write {target}: no permission to write in {probe}")
    return target
