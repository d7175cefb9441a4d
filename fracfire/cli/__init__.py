"""The ``fracfire`` command line: thin commands over library functions.

The commands live in :mod:`._data` (bars), :mod:`._models` and :mod:`._workflows`
(experiments, scenarios, the pipeline); importing them registers them on ``app``.
"""

from __future__ import annotations

from fracfire.cli import _data, _models, _workflows  # noqa: F401  (importing registers the commands, in this order)
from fracfire.cli._common import app, errors

__all__ = ["app", "main"]


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point (``fracfire``).

    SIGTERM and SIGHUP stop a command the way Ctrl-C does: temporary files are
    removed, worker processes stopped, finished files kept; the exit code is
    128 + the signal number.
    """
    import signal
    import sys

    from fracfire._signals import Stopped, check_stop, stop_on_signals

    try:
        with stop_on_signals():
            try:
                app(args=argv, prog_name="fracfire")
            except SystemExit as done:
                if done.code in (0, None):
                    check_stop()  # a stop whose exception a library swallowed still ends as a stop
                raise
    except (Stopped, KeyboardInterrupt) as exc:
        signum = exc.signum if isinstance(exc, Stopped) else signal.SIGINT
        errors.print(
            f"stopped by {signal.Signals(signum).name}: finished files are kept, no partial file is left",
            markup=False,
            highlight=False,
        )
        sys.exit(128 + signum)
