"""Archetype-library build speed: 1 worker, 2 loky workers, Dask LocalCluster with 2 workers.

Usage: ``python -m benchmarks.datasets [--days-per-archetype 91]`` (11 archetypes: 1,001 days).
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

from rich.console import Console
from rich.table import Table

from fracfire.data.synthetic import ARCHETYPES, build_archetypes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--days-per-archetype", type=int, default=91)
    args = parser.parse_args()
    cases = {
        "1 worker": dict(workers=1),
        "2 workers (loky)": dict(workers=2),
        "Dask LocalCluster, 2 workers": dict(workers=2, scheduler="local"),
    }
    days = args.days_per_archetype * len(ARCHETYPES)
    table = Table(title=f"Building {days:,} days ({days * 1440:,} bars, Parquet written)")
    for column in ("executor", "seconds", "days/s", "speed-up vs 1 worker"):
        table.add_column(column, justify="right")
    base = None
    with tempfile.TemporaryDirectory() as tmp:
        for name, kwargs in cases.items():
            out = Path(tmp) / name.replace(" ", "_")
            result = build_archetypes(out, days_per_archetype=args.days_per_archetype, seed=1, **kwargs)
            base = base or result.seconds
            table.add_row(
                name, f"{result.seconds:.2f}", f"{result.days / result.seconds:,.0f}", f"{base / result.seconds:.2f}x"
            )
            shutil.rmtree(out)
    Console().print(table)


if __name__ == "__main__":
    main()
