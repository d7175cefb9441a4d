"""Per-bar latency of LiveStateEngine.update (median and p99), per backend.

Usage: ``python -m benchmarks.inference [--bars 2000]``. The default production model is the
neural StateDetector; tree backends are shown for comparison.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

from fracfire.data.features import extract_features
from fracfire.inference import LiveStateEngine
from fracfire.models import StateDetector
from fracfire.physics import PriceGenerator


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bars", type=int, default=2000)
    args = parser.parse_args()
    train = PriceGenerator(seed=1).generate_days("2025-01-06", 3)
    stream = PriceGenerator(seed=2).generate_days("2025-01-09", 2)
    records = stream[["time", "open", "high", "low", "close", "volume"]].to_dict("records")[: args.bars]
    table = Table(title=f"LiveStateEngine.update latency over {len(records):,} bars (one core)")
    for column in ("model", "median ms", "p99 ms", "max ms"):
        table.add_column(column, justify="right")
    with tempfile.TemporaryDirectory() as tmp:
        for backend in ("neural", "boosting", "forest"):
            model = StateDetector(backend=backend, n_estimators=100, epochs=2)
            model.fit(extract_features(train), train["state"], bars=train)
            engine = LiveStateEngine(model.save(Path(tmp) / f"{backend}.skops"))
            timings = []
            for record in records:
                start = time.perf_counter()
                engine.update(record)
                timings.append(time.perf_counter() - start)
            ms = np.array(timings[10:]) * 1e3
            table.add_row(
                backend + (" (default)" if backend == "neural" else ""),
                f"{np.median(ms):.3f}",
                f"{np.quantile(ms, 0.99):.3f}",
                f"{ms.max():.3f}",
            )
    Console().print(table)


if __name__ == "__main__":
    main()
