"""The main job behind ``make demo`` (grows as capabilities land)."""

from __future__ import annotations

import os
from pathlib import Path

from rich.console import Console

from fracfire._progress import progress_bar
from fracfire.data.io import write_bars
from fracfire.physics import PriceGenerator, print_summary, summarize_day

__all__ = ["run_demo"]


def run_demo(out_dir: str | os.PathLike = "out", seed: int = 7, days: int = 5,
             start: str = "2025-01-06", console: Console | None = None) -> dict[str, Path]:
    """Generate ``days`` synthetic days with automatic transitions and summarise them.

    Writes ``<out_dir>/synthetic.parquet`` and prints the summary of the first day.

    Returns
    -------
    dict
        Artifact name -> path.
    """
    console = console or Console()
    out = Path(out_dir)
    gen = PriceGenerator(seed=seed)
    with progress_bar("Generating", days, console) as advance:
        bars = gen.generate_days(start, days, progress=advance)
    path = write_bars(bars, out / "synthetic.parquet")
    console.print(f"Wrote {len(bars):,} bars to [bold]{path}[/bold]")
    print_summary(summarize_day(bars.iloc[:1440]), console=console)
    return {"synthetic": path}
