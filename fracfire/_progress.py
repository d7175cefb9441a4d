"""Rich progress bars for long work (CLI and library callbacks)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from fracfire._signals import check_stop


@contextlib.contextmanager
def progress_bar(
    description: str, total: int, console: Console | None = None, unit: str = "days"
) -> Iterator[Callable[..., None]]:
    """Show a progress bar; yield ``callback(done, total, description=None)`` that advances it
    (and relabels it when a description is given)."""
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn(unit),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=console,
        transient=False,
    )
    with progress:
        task = progress.add_task(description, total=total)

        def callback(done: int, of: int, label: str | None = None) -> None:
            check_stop()  # a stop signal whose exception Python swallowed (in a __del__) still stops the run
            progress.update(task, completed=done, total=of)
            if label:
                progress.update(task, description=label)

        yield callback
