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
    """Generate ``days`` synthetic days with automatic transitions, chart and report them.

    Writes ``<out_dir>/synthetic.parquet``, one chart per day in
    ``<out_dir>/charts/``, ``<out_dir>/report.html`` and, when Chromium is
    installed, a screenshot ``<out_dir>/report.png``; prints the summary of
    the first day.

    Returns
    -------
    dict
        Artifact name -> path.
    """
    from fracfire.report import build_report, find_chromium, screenshot
    from fracfire.viz import ChartVisualizer

    console = console or Console()
    out = Path(out_dir)
    gen = PriceGenerator(seed=seed)
    with progress_bar("Generating", days, console) as advance:
        bars = gen.generate_days(start, days, progress=advance)
    artifacts = {"synthetic": write_bars(bars, out / "synthetic.parquet")}
    console.print(f"Wrote {len(bars):,} bars to [bold]{artifacts['synthetic']}[/bold]")
    print_summary(summarize_day(bars.iloc[:1440]), console=console)
    charts = ChartVisualizer()
    with progress_bar("Charting", days, console) as advance:
        for day in range(days):
            one = bars.iloc[day * 1440:(day + 1) * 1440]
            name = f"day_{one['time'].iloc[0]:%Y-%m-%d}"
            artifacts[name] = out / "charts" / f"{name}.png"
            charts.create_chart(one, title=f"Synthetic day {one['time'].iloc[0]:%a %Y-%m-%d} "
                                f"(seed {seed})", save_path=artifacts[name])
            advance(day + 1, days)
    artifacts["report"] = build_report(out, title="FracFire demo")
    console.print(f"Report: [bold]{artifacts['report']}[/bold]")
    if find_chromium():
        artifacts["screenshot"] = screenshot(artifacts["report"], out / "report.png")
        console.print(f"Screenshot: [bold]{artifacts['screenshot']}[/bold]")
    else:
        console.print("Chromium not found: no report screenshot (install Debian's 'chromium').")
    return artifacts
