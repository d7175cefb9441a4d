"""How fast the report builds and opens: build time, file size, and Chromium's time to draw every chart.

Usage: ``python -m benchmarks.report [RUN_DIR]`` (default ``out/demo``, written by ``make demo``).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from fracfire.report import build_report
from fracfire.report.browser import check_page, find_chromium


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("run_dir", nargs="?", default="out/demo")
    args = parser.parse_args()
    run = Path(args.run_dir)
    if not run.is_dir():
        raise SystemExit(f"run folder not found: {run} (run `make demo` first)")
    started = time.perf_counter()
    path = build_report(run, run / "report.html")
    built = time.perf_counter() - started
    table = Table(title=f"Report of {run}")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_row("build (s)", f"{built:.2f}")
    table.add_row("size (MB)", f"{path.stat().st_size / 1e6:.1f}")
    if find_chromium():
        check = check_page(path)
        table.add_row("charts drawn / expected", f"{check['charts']} / {check['expected_charts']}")
        table.add_row("page start to every chart drawn (s, goal < 3)", f"{check['ready_ms'] / 1000:.2f}")
        table.add_row("whole headless run, browser start included (s)", f"{check['wall_seconds']:.2f}")
        table.add_row("page height (px)", f"{check['height']:,}")
        table.add_row("console errors", str(len(check["errors"]) + len(check["console"])))
    else:
        table.add_row("Chromium", "not installed: open times not measured")
    Console().print(table)


if __name__ == "__main__":
    main()
