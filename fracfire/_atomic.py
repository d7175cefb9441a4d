"""Atomic file writes: write to a temporary file beside the target, then rename.

An interrupted run therefore never leaves a half-written file under the final
name: either the old file (or nothing) is there, or the complete new one.
"""

from __future__ import annotations

import contextlib
import errno
import glob
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from fracfire._signals import check_stop, hold_signals


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path; on success it is renamed over ``path``.

    The parent directory is created if needed. On an exception the temporary
    file is removed and ``path`` is left untouched.

    Examples
    --------
    >>> with atomic_path("out/data.parquet") as tmp:   # doctest: +SKIP
    ...     df.to_parquet(tmp)
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp: Path | None = None
    try:
        with hold_signals():  # a stop signal between creating and registering would orphan the file
            fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.{os.getpid()}.", suffix=".tmp", dir=target.parent)
            os.close(fd)
            tmp = Path(tmp_name)
            IN_FLIGHT.add(tmp)
        try:
            yield tmp
        except OSError as exc:
            if exc.errno == errno.ENOSPC and not exc.filename:  # say which file could not be written
                raise OSError(exc.errno, f"No space left on device while writing {target}") from None
            raise
        # A stop signal whose exception a library swallowed while the file was written (pandas formats
        # datetimes in Cython that calls back into Python): stop here rather than publish the file.
        check_stop()
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the usual permissions
        os.replace(tmp, target)
        remove_stale_temporaries(target)
    finally:
        with hold_signals():  # nor may a signal cut the clean-up short
            if tmp is not None:
                IN_FLIGHT.discard(tmp)
                with contextlib.suppress(FileNotFoundError):
                    tmp.unlink()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists but not ours
        return True
    return True


def remove_stale_temporaries(target: str | os.PathLike) -> list[Path]:
    """Delete temporary files of ``target`` left by writers that were killed (their process is gone).

    A writer killed by SIGKILL or a power cut cannot clean up; the next
    successful write of the same file does. Returns the removed paths.
    """
    target = Path(target)
    removed = []
    for stale in target.parent.glob(f".{glob.escape(target.name)}.*.tmp"):
        pid = stale.name[len(target.name) + 2 :].split(".", 1)[0]
        if stale in IN_FLIGHT or not pid.isdigit() or _alive(int(pid)):
            continue
        with contextlib.suppress(OSError):
            stale.unlink()
            removed.append(stale)
    return removed


IN_FLIGHT: set[Path] = set()
"""Temporary files this process is writing now; :func:`discard_in_flight` removes them."""


def discard_in_flight() -> None:
    """Remove every temporary file this process is writing (before an abrupt exit)."""
    for tmp in list(IN_FLIGHT):
        with contextlib.suppress(OSError):
            tmp.unlink()
        IN_FLIGHT.discard(tmp)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_text_atomic(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically and return the path."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)
