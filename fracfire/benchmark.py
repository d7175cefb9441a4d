"""Generation speed against the random-number floor, measured in one run.

Timings are the best of several repeats (machines here are noisy); the floor
is the time numpy's default ``Generator`` takes to draw as many uniform
doubles as the engine consumed variates, measured right after each case.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass

import numpy as np

from fracfire.physics import PhysicsConfig, PriceGenerator

__all__ = ["GenerationTiming", "benchmark_charts", "benchmark_generation"]


@dataclass(frozen=True)
class GenerationTiming:
    """One benchmark case.

    Attributes
    ----------
    days, bars : int
        Size of the run (Globex sessions and their bars).
    seconds : float
        Best wall time of ``generate_days`` (bars DataFrame included).
    bars_per_second : float
    variates : int
        Random variates the engine consumed.
    floor_seconds : float
        Best time to draw ``variates`` uniform doubles with numpy.
    floor_ratio : float
        ``seconds / floor_seconds``.
    """

    days: int
    bars: int
    seconds: float
    bars_per_second: float
    variates: int
    floor_seconds: float
    floor_ratio: float

    def to_dict(self) -> dict:
        """Fields as a plain dict."""
        return asdict(self)


def _best(repeats: int, fn, *args) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn(*args)
        best = min(best, time.perf_counter() - start)
    return best


def benchmark_generation(
    day_counts: tuple[int, ...] = (1, 21, 252),
    repeats: int = 5,
    seed: int = 0,
    physics: PhysicsConfig | None = None,
) -> tuple[float, list[GenerationTiming]]:
    """Time ``PriceGenerator.generate_days`` on the Globex calendar for several run lengths.

    Parameters
    ----------
    day_counts : tuple of int
        Run lengths in trading sessions (252: a year, about 345,000 bars).
    repeats : int
        Repeats per case; the best time is kept.
    seed : int
        Generator seed.
    physics : PhysicsConfig, optional
        Knobs to benchmark (defaults).

    Returns
    -------
    first_call_seconds : float
        Time of the first call in this process, generating the longest case
        (numba compilation or loading its on-disk cache, the calendar table,
        then the bars).
    timings : list of GenerationTiming
    """
    gen = PriceGenerator(seed=seed, physics=physics)
    start = time.perf_counter()
    gen.generate_days("2025-01-06", max(day_counts))
    first_call = time.perf_counter() - start
    rng = np.random.default_rng(seed)
    timings = []
    for days in day_counts:
        before = gen.variates_drawn
        bars = len(gen.generate_days("2025-01-06", days))
        variates = gen.variates_drawn - before
        seconds = _best(repeats, gen.generate_days, "2025-01-06", days)
        floor = _best(repeats, rng.random, variates)
        timings.append(GenerationTiming(days, bars, seconds, bars / seconds, variates, floor, seconds / floor))
    return first_call, timings


def benchmark_charts(repeats: int = 5, seed: int = 0) -> dict[str, float]:
    """Best render time (figure built and PNG encoded in memory) of typical charts.

    Returns
    -------
    dict
        Seconds per chart for: a full one-minute day with volume, states and
        sessions at the default size (the ``day_1min`` goal case); the same
        day as bare candles (the reference floor: collections plus PNG
        encoding); a year at ``1D`` and at ``4h``.
    """
    import io

    from fracfire.viz import ChartConfig, ChartVisualizer

    gen = PriceGenerator(seed=seed)
    day = gen.generate_day("2025-01-06")
    year = gen.generate_days("2025-01-07", 252)
    cases = {
        "day_1min": (day, ChartConfig()),
        "day_1min_bare": (day, ChartConfig(show_volume=False, show_state_changes=False, show_session_changes=False)),
        "year_1D": (year, ChartConfig(timeframe="1D")),
        "year_4h": (year, ChartConfig(timeframe="4h")),
    }

    def render(frame, config):
        fig = ChartVisualizer(config).create_chart(frame)
        fig.savefig(io.BytesIO(), format="png", pil_kwargs={"compress_level": 3})

    render(day, ChartConfig())
    return {name: _best(repeats, render, frame, config) for name, (frame, config) in cases.items()}
