"""Stopping cleanly: SIGTERM and SIGHUP unwind like Ctrl-C, and worker processes never outlive their parent.

The command line turns SIGTERM/SIGHUP into :class:`Stopped` in the main
process, so every ``finally`` runs: temporary files are removed by
:func:`fracfire._atomic.atomic_path` and worker pools are shut down by their
context managers. A worker process (loky or Dask) calls :func:`guard_worker`
at the start of each task: on SIGTERM/SIGHUP, or as soon as its parent has
gone (even after a SIGKILL), it removes the temporary files it was writing and
exits.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time

__all__ = ["Stopped", "check_stop", "guard_worker", "hold_signals", "stop_on_signals"]

_SIGNALS = tuple(s for s in (getattr(signal, "SIGTERM", None), getattr(signal, "SIGHUP", None)) if s is not None)
POLL_SECONDS = 0.5
"""How often a worker checks that its parent is alive."""
GRACE_SECONDS = 5.0
"""How long an orphaned worker's main thread has to stop on SIGTERM before the watcher ends the process."""


class Stopped(BaseException):
    """The process was asked to stop by a signal (``signum``); raised where it was running."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


@contextlib.contextmanager
def stop_on_signals():
    """Within the block, SIGTERM and SIGHUP raise :class:`Stopped` in the main thread (like Ctrl-C).

    Ctrl-C (SIGINT) still raises ``KeyboardInterrupt``; all three wait for the
    end of a :func:`hold_signals` block.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    global _pending, _held

    def handler(signum, frame):
        global _pending
        _pending = signum
        if _hold(signum):
            return
        raise Stopped(signum)

    def interrupt(signum, frame):
        if _hold(signum):
            return
        signal.default_int_handler(signum, frame)

    previous = {s: signal.signal(s, handler) for s in _SIGNALS}
    previous[signal.SIGINT] = signal.signal(signal.SIGINT, interrupt)
    try:
        yield
    finally:
        _pending = None
        _held = None
        for s, old in previous.items():
            signal.signal(s, old)


_pending: int | None = None
_holding = 0
_held: int | None = None


def _hold(signum: int) -> bool:
    """Keep ``signum`` for the end of the current :func:`hold_signals` block; False outside one.

    Outside a block the caller acts on the signal now, so any signal still held is dropped:
    it must not be raised again later (by then the handlers may be gone).
    """
    global _held
    if _holding:
        _held = signum
        return True
    _held = None
    return False


@contextlib.contextmanager
def hold_signals():
    """Within the block, a stop signal waits and takes effect as the block ends.

    For the few statements that must run together or not at all, such as
    creating a temporary file and registering it for removal: a signal landing
    between the two would otherwise leave the file behind. Blocks nest; the
    held signal is raised again, to whatever handler is installed, when the
    outermost block ends.
    """
    global _holding, _held
    _holding += 1
    try:
        yield
    finally:
        _holding -= 1
        if not _holding:
            signum, _held = _held, None
            if signum is not None:
                signal.raise_signal(signum)


def check_stop() -> None:
    """Raise :class:`Stopped` if a stop signal arrived but its exception was swallowed.

    Python ignores exceptions raised inside ``__del__`` methods and weakref
    callbacks ("Exception ignored in ..."), and some compiled libraries drop an
    exception raised in Python code they call back (pandas' datetime formatting
    does), so a SIGTERM landing there would otherwise be lost and the run would
    go on. Progress callbacks, the pipeline's stage loop and
    :func:`fracfire._atomic.atomic_path` (before it puts a written file in
    place) call this.
    """
    if _pending is not None:
        raise Stopped(_pending)


_guarded: int | None = None


def guard_worker(parent: int) -> None:
    """Make this worker process leave no debris and die with ``parent`` (idempotent; no-op in ``parent``)."""
    global _guarded
    pid = os.getpid()
    if pid == parent or _guarded == pid:
        return
    _guarded = pid

    from fracfire._atomic import discard_in_flight

    def leave(signum=None, frame=None):
        if signum is not None and _hold(signum):
            return
        discard_in_flight()
        os._exit(128 + (signum or signal.SIGTERM))

    handled = threading.current_thread() is threading.main_thread()
    if handled:
        for s in _SIGNALS:
            signal.signal(s, leave)
    first = os.getppid()

    def watch():
        while os.getppid() == first and _alive(parent):
            time.sleep(POLL_SECONDS)
        if handled:  # let the main thread stop between two writes, then insist
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(GRACE_SECONDS)
        discard_in_flight()  # a write may have re-created its file meanwhile: sweep twice
        time.sleep(0.2)
        leave()

    threading.Thread(target=watch, name="fracfire-parent-watch", daemon=True).start()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
