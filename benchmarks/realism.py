"""The realism goals, measured in one run on sessions the calibration never saw.

Usage: ``python -m benchmarks.realism [--seeds 0,1,2] [--json FILE]``

1. ES month (one-minute): every generator is fitted on / calibrated to the
   first 60 % of the sessions of ``data/es_1min_2019-09.csv.gz`` (the shipped
   ``PhysicsConfig()`` defaults came from ``fracfire calibrate`` on that slice)
   and scored on the last 40 %: summary distance, discriminative score with
   the classifier's accuracy, and the headline facts.
2. NQ year (five-minute, no volume): FracFire at NQ's own range level (the
   day-to-day knobs were fitted on the first 60 % of
   ``data/nq_5min_2019.csv.gz``) scored on the last 40 %: log daily realised
   variance ACF at lags 1, 5, 20, daily range CV, trend-day share and the
   day-level discriminator, beside the same peers.
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from fracfire.data import load_continuous_contract
from fracfire.physics import PhysicsConfig
from fracfire.realism.calendar import split_by_time, synthetic_like
from fracfire.realism.compare import compare_generators
from fracfire.realism.discriminator import discriminate_days
from fracfire.realism.headline import headline_facts
from fracfire.realism.peers import PEERS

DATA = Path(__file__).resolve().parents[1] / "data"
DAY_FACTS = ["log daily RV ACF, lag 1", "log daily RV ACF, lag 5", "log daily RV ACF, lag 20", "daily range CV",
             "trend-day share"]


def _daily_range(bars: pd.DataFrame) -> float:
    from fracfire.calendar import trading_day_number

    g = bars.groupby(trading_day_number(bars["time"]))
    return float((g["high"].max() - g["low"].min()).mean())


def es_month(seeds: tuple[int, ...]) -> dict:
    real = load_continuous_contract(DATA / "es_1min_2019-09.csv.gz")
    configs = {"FracFire default": PhysicsConfig(), "FracFire seed preset": PhysicsConfig.seed()}
    result = compare_generators(real, configs, seeds=seeds)
    return {"summary": result.summary, "headline": result.headline,
            "split": f"{result.train_days} sessions fitted, {result.validation_days} held out, seeds {seeds}"}


def nq_year(seeds: tuple[int, ...]) -> dict:
    nq = load_continuous_contract(DATA / "nq_5min_2019.csv.gz")
    train, held_out = split_by_time(nq, 0.6)
    held_out.attrs.update(nq.attrs)
    default = PhysicsConfig()
    level = _daily_range(train)
    physics = default.replace(daily_range_mean=level,
                              daily_range_std=default.daily_range_std / default.daily_range_mean * level)
    start = float(held_out["open"].iloc[0])
    makers = {"FracFire default (NQ level)": lambda seed: synthetic_like(held_out, physics, seed)}
    makers.update({name: (lambda seed, fn=fn: fn(train, held_out["time"], start, seed)) for name, fn in PEERS.items()})
    rows, facts = {}, {}
    for name, make in makers.items():
        scores, tables = [], []
        for seed in seeds:
            bars = make(seed)
            bars.attrs.update(bar_minutes=5, has_volume=False)
            scores.append(discriminate_days(held_out, bars, seed=seed))
            tables.append(headline_facts(held_out, bars).loc[DAY_FACTS])
        accuracy = float(np.mean(scores))
        rows[name] = {"day_discriminative_score": abs(accuracy - 0.5), "day_discriminator_accuracy": accuracy}
        facts[name] = pd.concat([t["synthetic"] for t in tables], axis=1).mean(axis=1)
        facts["real"] = tables[0]["real"]
    return {"summary": pd.DataFrame(rows), "facts": pd.DataFrame(facts)[["real", *makers]],
            "split": f"{train['segment_id'].nunique()} sessions fitted, {held_out['segment_id'].nunique()} held out"}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="0,1,2", help="comma-separated seeds")
    parser.add_argument("--json", type=Path, help="also write the results as JSON")
    args = parser.parse_args(argv)
    seeds = tuple(int(s) for s in args.seeds.split(","))
    pd.set_option("display.width", 250)
    pd.set_option("display.max_columns", 30)
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        es = es_month(seeds)
        nq = nq_year(seeds)
    print(f"# ES month ({es['split']})\n{es['summary'].round(3).to_string()}\n")
    print(f"{es['headline'].round(3).to_string()}\n")
    print(f"# NQ year ({nq['split']})\n{nq['summary'].round(3).to_string()}\n")
    print(f"{nq['facts'].round(3).to_string()}\n")
    print(f"{time.perf_counter() - t0:.0f} s")
    if args.json:
        from fracfire._atomic import write_text_atomic

        def records(frame):
            return json.loads(frame.to_json(orient="split"))

        write_text_atomic(args.json, json.dumps({"es": {k: records(v) if isinstance(v, pd.DataFrame) else v
                                                        for k, v in es.items()},
                                                 "nq": {k: records(v) if isinstance(v, pd.DataFrame) else v
                                                        for k, v in nq.items()}}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
