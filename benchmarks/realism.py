"""The realism goals, measured in one run on sessions the calibration never saw.

Usage: ``python -m benchmarks.realism [--seeds 0,1,2,3,4] [--json FILE] [--physics FILE]`` (about 2 minutes)

1. ES month (one-minute): every generator is fitted on / calibrated to the
   first 60 % of the sessions of ``data/es_1min_2019-09.csv.gz`` (the shipped
   ``PhysicsConfig()`` defaults came from ``fracfire calibrate`` on that slice)
   and scored on the last 40 %: summary distance, discriminative score with
   the classifier's accuracy, and the headline facts.
2. NQ year (five-minute, no volume): FracFire's defaults at NQ's own range
   level (the day-to-day knobs were fitted on the first 60 % of
   ``data/nq_5min_2019.csv.gz``) and ``configs/physics_nq.yaml`` (every knob
   calibrated on that first 60 %, the command in its header), scored on the
   last 40 %: log daily realised variance ACF at lags 1, 5, 20, daily range
   CV, trend-day share and the day-level discriminator, beside the same peers.

Both add the real reference (``real, earlier sessions``): the last fitted real
sessions, as many as are held out, scored like a generator, so a goal the
market's own past misses reads as within its own variation.

``--physics FILE`` adds a candidate config beside the defaults, in the same run (on the NQ
year at NQ's range level, like the defaults): for the one held-out run of a candidate that
passed its fitted-slice checks (``benchmarks.realism_fitted``), so it is compared with the
defaults and the peers on the same seeds.
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from pathlib import Path

import pandas as pd

from fracfire.data import load_continuous_contract
from fracfire.physics import PhysicsConfig
from fracfire.realism.calendar import split_by_time
from fracfire.realism.compare import REAL_REFERENCE, compare_generators
from fracfire.realism.moments import mean_daily_range

DATA = Path(__file__).resolve().parents[1] / "data"
CONFIGS = Path(__file__).resolve().parents[1] / "configs"


def _run(real: pd.DataFrame, configs: dict, seeds: tuple[int, ...]) -> dict:
    result = compare_generators(real, configs, seeds=seeds)
    summary = result.summary.copy()
    if result.reference is not None:  # the market's own earlier sessions, scored like a generator
        summary[REAL_REFERENCE] = pd.Series(result.reference)
    return {
        "summary": summary,
        "headline": result.headline,
        "split": f"{result.train_days} sessions fitted, {result.validation_days} held out, seeds {seeds}",
    }


def es_month(seeds: tuple[int, ...], candidate: PhysicsConfig | None = None) -> dict:
    real = load_continuous_contract(DATA / "es_1min_2019-09.csv.gz")
    configs = {"FracFire default": PhysicsConfig(), "FracFire seed preset": PhysicsConfig.seed()}
    if candidate is not None:
        configs["FracFire candidate"] = candidate
    return _run(real, configs, seeds)


def _at_level(config: PhysicsConfig, level: float) -> PhysicsConfig:
    return config.replace(
        daily_range_mean=level, daily_range_std=config.daily_range_std / config.daily_range_mean * level
    )


def nq_year(seeds: tuple[int, ...], candidate: PhysicsConfig | None = None) -> dict:
    """FracFire's defaults at NQ's own daily range level (the shape knobs are ES's; the
    day-to-day knobs were fitted on the first 60 % of this file), and every knob fitted on
    that first 60 % (``configs/physics_nq.yaml``)."""
    nq = load_continuous_contract(DATA / "nq_5min_2019.csv.gz")
    train, _ = split_by_time(nq, 0.6)
    level = mean_daily_range(train)
    configs = {
        "FracFire default (NQ level)": _at_level(PhysicsConfig(), level),
        "FracFire calibrated on NQ": PhysicsConfig.from_yaml(CONFIGS / "physics_nq.yaml"),
    }
    if candidate is not None:
        configs["FracFire candidate (NQ level)"] = _at_level(candidate, level)
    return _run(nq, configs, seeds)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="0,1,2,3,4", help="comma-separated seeds")
    parser.add_argument("--json", type=Path, help="also write the results as JSON")
    parser.add_argument("--physics", type=Path, help="a candidate PhysicsConfig YAML scored beside the defaults")
    args = parser.parse_args(argv)
    candidate = PhysicsConfig.from_yaml(args.physics) if args.physics else None
    seeds = tuple(int(s) for s in args.seeds.split(","))
    pd.set_option("display.width", 250)
    pd.set_option("display.max_columns", 30)
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = {"es": es_month(seeds, candidate), "nq": nq_year(seeds, candidate)}
    for name, title in (("es", "ES month"), ("nq", "NQ year")):
        res = results[name]
        print(f"# {title} ({res['split']})\n{res['summary'].round(3).to_string()}\n")
        print(f"{res['headline'].round(3).to_string()}\n")
    print(f"{time.perf_counter() - t0:.0f} s")
    if args.json:
        from fracfire._atomic import write_text_atomic

        def plain(value):
            return json.loads(value.to_json(orient="split")) if isinstance(value, pd.DataFrame) else value

        write_text_atomic(
            args.json, json.dumps({k: {kk: plain(vv) for kk, vv in v.items()} for k, v in results.items()}, indent=2)
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
