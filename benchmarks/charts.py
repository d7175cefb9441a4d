"""Chart render time per chart (figure + PNG), best of several repeats.

Usage: ``python -m benchmarks.charts [--repeats N]``.
"""

from __future__ import annotations

import argparse

from rich.console import Console
from rich.table import Table

from fracfire.benchmark import benchmark_charts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    timings = benchmark_charts(repeats=args.repeats)
    bare = timings["day_1min_bare"]
    table = Table(title=f"Chart render time (best of {args.repeats})")
    for column in ("chart", "seconds", "x bare candles"):
        table.add_column(column, justify="right")
    for name, seconds in timings.items():
        table.add_row(name, f"{seconds:.3f}", f"{seconds / bare:.2f}")
    Console().print(table)


if __name__ == "__main__":
    main()
