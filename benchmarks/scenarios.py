"""Time to draw 1,000 continuations of the rest of a session, model included.

Usage: ``python -m benchmarks.scenarios [--n 1000] [--repeat 3]``. The policy
is fitted once on the bundled ES month up to the cut (not timed); each
timed call forecasts the level from the history, reads the state at the
cut and generates the paths (10:30 ET to the 17:00 close, 375 bars each).
The reference in the same run is the engine generating the same number of
minutes as plain consecutive sessions (``generate_days``): the ratio says
what conditioning and independent paths cost over the raw physics. Goal:
under 2 s on 2 cores.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd
from rich.console import Console
from rich.table import Table

from fracfire.data import load_continuous_contract
from fracfire.physics import PriceGenerator
from fracfire.scenarios import ScenarioPolicy

SAMPLE = Path(__file__).parent.parent / "data" / "es_1min_2019-09.csv.gz"
CUT = pd.Timestamp("2019-09-24 10:30", tz="America/New_York")


def _best(call, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return min(times)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    real = load_continuous_contract(SAMPLE)
    history = real[real["time"] < CUT]
    policy = ScenarioPolicy().fit(history)
    policy.simulate(history, 10, cut=CUT)  # warm: the engine's profile, numba
    result = policy.simulate(history, args.n, cut=CUT)
    bars_per_path = len(result.bars) // args.n
    scenario = _best(lambda: policy.simulate(history, args.n, cut=CUT, seed=1), args.repeat)
    days = max(1, round(args.n * bars_per_path / 1380))
    reference = _best(lambda: PriceGenerator(seed=1).generate_days("2019-01-07", days), args.repeat)
    table = Table(title=f"{args.n:,} continuations x {bars_per_path} bars, best of {args.repeat}")
    for column in ("what", "seconds", "ratio to reference"):
        table.add_column(column, justify="right")
    table.add_row("scenarios (policy: level model, state, paths)", f"{scenario:.3f}", f"{scenario / reference:.2f}")
    table.add_row(f"reference: generate_days, {days} sessions", f"{reference:.3f}", "1.00")
    Console().print(table)
    goal = "met" if scenario < 2.0 else "not met"
    Console().print(f"Goal (< 2 s for 1,000 continuations): {goal}")


if __name__ == "__main__":
    main()
