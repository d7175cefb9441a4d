"""What the window classifier sees, on the fitted slice only (for realism work; held-out sessions are never read).

Usage: ``python -m benchmarks.realism_fitted [--seeds 10,...,25] [--feature-seeds 4] [--physics FILE]
[--set knob=value ...] [--halves] [--inner [--search knob=low:high[:log] ...] [--free k1,k2] [--evaluations N]]``

The first 60 % of the sessions of ``data/es_1min_2019-09.csv.gz`` (the slice
the shipped defaults were calibrated on) against ``synthetic_like`` bars of
``PhysicsConfig()`` (or ``--physics``) with the ``--set`` changes, one engine seed at a time:

1. the window classifier's accuracy (mean, its standard error over the seeds,
   and per seed). Sixteen seeds by default: a four-seed mean moves by about
   0.02 when the knobs are merely rounded to four digits (docs/realism.md, "An
   eighth pass"), which is the size of the changes this benchmark is for;
2. :func:`fracfire.realism.feature_accuracies` on the first ``--feature-seeds``
   seeds: the accuracy with each window feature alone (plus the time of day),
   which says what gives the bars away;
3. per hour of the day (ET, the hour a window starts in), on those seeds: the
   median volume CV, |r|-volume correlation and return kurtosis of the one-hour
   windows, real against synthetic.

With ``--halves``, also the accuracy on each half of the fitted slice (first and last
sessions), against the shipped defaults on the same seeds (paired difference and its standard
error): a change whose gain lives in one half fits a regime of those sessions, not the market.
(The eleventh realism pass: -0.065 +- 0.009 on the first 7 sessions, -0.023 +- 0.009 on the
last 6, and nothing on the held-out sessions.)

With ``--inner``, an honest split inside the fitted slice instead: the candidate and the
shipped defaults are each calibrated (:func:`fracfire.realism.calibrate`, engine seeds 0-7,
``--evaluations`` runs, searching only the ``--free`` knobs if given, plus the ``--search``
ones for the candidate) on its first 60 % (8 sessions), then the window classifier scores
both on its last 40 % (5 sessions), paired on the same seeds. A fitted-slice gain measures
bars against the very sessions they were fitted to; this one measures them on sessions
the fit never saw, as the held-out scorecard does. A necessary check, not a sufficient one
(docs/realism.md, "A twelfth pass"): it would have stopped the eleventh pass's candidate
(+0.053 +- 0.012, *worse* on the inner 5 sessions), but it passed the twelfth pass's
(-0.033 +- 0.008), which the held-out sessions did not reward (0.180 against 0.177).

Decide on these engine seeds (10-25 by default, which the held-out benchmark
``benchmarks.realism`` does not use), then report on the held-out sessions
with ``python -m benchmarks.realism``: a change kept because it scored well
on held-out sessions would be a fit to them.
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from fracfire.data import load_continuous_contract
from fracfire.physics import PhysicsConfig
from fracfire.realism.calendar import split_by_time, synthetic_like
from fracfire.realism.calibration import parse_search
from fracfire.realism.discriminator import WINDOW_FEATURES, discriminate, feature_accuracies, window_features

DATA = Path(__file__).resolve().parents[1] / "data"
HOURLY = {"volume_cv": "volume CV", "volume_abs_return_corr": "|r|-volume corr", "kurtosis": "kurtosis"}


def _knob(text: str) -> tuple[str, float]:
    name, _, value = text.partition("=")
    if not value:
        raise argparse.ArgumentTypeError(f"--set takes knob=value; got {text!r}")
    return name.strip(), float(value)


def hourly(bars: pd.DataFrame) -> pd.DataFrame:
    """Median of some window features by the ET hour each one-hour window starts in."""
    x = window_features(bars)
    hour = bars["time"].dt.hour.to_numpy()[: len(x) * 60 : 60]
    frame = pd.DataFrame({label: x[:, WINDOW_FEATURES.index(name)] for name, label in HOURLY.items()})
    return frame.groupby(hour).median()


def halves(fitted: pd.DataFrame, config: PhysicsConfig, seeds: tuple[int, ...]) -> pd.DataFrame:
    """Window accuracy of ``config`` and of the shipped defaults on each half of ``fitted``."""
    rows = {}
    for name, half in zip(("first half", "second half"), split_by_time(fitted, 0.5), strict=True):
        ours = np.array([discriminate(half, synthetic_like(half, config, s)) for s in seeds])
        same = config == PhysicsConfig()
        base = ours if same else np.array([discriminate(half, synthetic_like(half, PhysicsConfig(), s)) for s in seeds])
        diff = ours - base
        rows[name] = {
            "sessions": half["session_id"].nunique(),
            "accuracy": ours.mean(),
            "defaults": base.mean(),
            "difference": diff.mean(),
            "standard error": diff.std(ddof=1) / np.sqrt(len(diff)) if len(diff) > 1 else float("nan"),
        }
    return pd.DataFrame(rows).T.astype({"sessions": int})


def inner(
    fitted: pd.DataFrame,
    config: PhysicsConfig,
    seeds: tuple[int, ...],
    search: dict,
    free: tuple[str, ...] | None,
    evaluations: int,
    feature_seeds: int,
) -> None:
    """Calibrate ``config`` (searching ``search`` too) and the defaults on the first 60 % of
    ``fitted``; print both fits and their window accuracies on the last 40 %, paired on ``seeds``."""
    from fracfire.realism.calibration import DAILY_SPACE, SHAPE_SPACE, calibrate

    # calibrate() fits on the first 60 % of what it is given and leaves the rest: given the fitted slice, it
    # fits its first 8 sessions, and the last 5 are the inner test sessions
    inner_fit, inner_test = split_by_time(fitted, 0.6)
    unknown = sorted(set(free or ()) - set(SHAPE_SPACE) - set(search))
    if unknown:
        choices = ", ".join(sorted({**SHAPE_SPACE, **search}))
        raise SystemExit(f"--free: {', '.join(unknown)} is not searched; choose from {choices}")
    if free is not None and not set(free) & set(SHAPE_SPACE):
        raise SystemExit("--free must name at least one knob of the shipped search, for the defaults' calibration")
    fits = {}
    for name, start, extra in (("candidate", config, search), ("defaults", PhysicsConfig(), {})):
        space = {**SHAPE_SPACE, **extra}
        # the --search knobs are always searched; --free limits the shipped ones
        fixed = tuple(k for k in SHAPE_SPACE if free is not None and k not in free) + tuple(DAILY_SPACE)
        t0 = time.perf_counter()
        result = calibrate(fitted, start, 0.6, None, evaluations, tuple(range(8)), fixed=fixed, search=extra)
        fits[name] = result.config
        changed = {k: round(v, 4) for k, v in result.config.to_dict().items() if k in space and k not in fixed}
        print(
            f"{name}: calibrated on {inner_fit['session_id'].nunique()} sessions in {time.perf_counter() - t0:.0f} s; "
            f"moment distance {result.train_before:.1f} -> {result.train_after:.1f}; searched knobs now {changed}"
        )
    accuracy = {
        name: np.array([discriminate(inner_test, synthetic_like(inner_test, c, s)) for s in seeds])
        for name, c in fits.items()
    }
    diff = accuracy["candidate"] - accuracy["defaults"]
    se = diff.std(ddof=1) / np.sqrt(len(diff)) if len(diff) > 1 else float("nan")
    print(
        f"\nwindow accuracy on the {inner_test['session_id'].nunique()} inner test sessions (engine seeds {seeds}): "
        f"candidate {accuracy['candidate'].mean():.3f}, defaults {accuracy['defaults'].mean():.3f}, "
        f"difference {diff.mean():+.3f} +- {se:.3f} (paired standard error)"
    )
    columns = {
        name: pd.concat(
            [feature_accuracies(inner_test, synthetic_like(inner_test, c, s)) for s in seeds[:feature_seeds]], axis=1
        ).mean(axis=1)
        for name, c in fits.items()
    }
    print(f"\naccuracy with one feature (and the time of day), inner test sessions, first {feature_seeds} seeds:")
    print(pd.DataFrame(columns).sort_values("defaults", ascending=False).round(3).to_string())


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default=",".join(map(str, range(10, 26))), help="comma-separated engine seeds")
    parser.add_argument(
        "--feature-seeds", type=int, default=4, help="seeds (the first ones) for the per-feature and per-hour tables"
    )
    parser.add_argument("--physics", type=Path, help="PhysicsConfig YAML to start from (default: the shipped defaults)")
    parser.add_argument(
        "--set", type=_knob, action="append", default=[], metavar="KNOB=VALUE", help="PhysicsConfig change (repeatable)"
    )
    parser.add_argument(
        "--halves", action="store_true", help="also score each half of the fitted slice against the defaults"
    )
    parser.add_argument(
        "--inner",
        action="store_true",
        help="calibrate the candidate and the defaults on the first 60 %% of the fitted slice, score on the rest",
    )
    parser.add_argument(
        "--search",
        action="append",
        default=[],
        metavar="KNOB=LOW:HIGH[:log]",
        help="with --inner: a knob the candidate's calibration searches beside the usual ones (repeatable)",
    )
    parser.add_argument(
        "--free", help="with --inner: comma-separated knobs searched (default: all); the others keep their values"
    )
    parser.add_argument("--evaluations", type=int, default=150, help="with --inner: engine runs per calibration")
    args = parser.parse_args(argv)
    seeds = tuple(int(s) for s in args.seeds.split(","))
    config = (PhysicsConfig.from_yaml(args.physics) if args.physics else PhysicsConfig()).replace(**dict(args.set))
    pd.set_option("display.width", 200)
    t0 = time.perf_counter()
    real = load_continuous_contract(DATA / "es_1min_2019-09.csv.gz")
    fitted, _ = split_by_time(real, 0.6)
    if args.inner:
        free = tuple(k.strip() for k in args.free.split(",")) if args.free else None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            inner(
                fitted, config, seeds, parse_search(",".join(args.search)), free, args.evaluations, args.feature_seeds
            )
        print(f"\n{time.perf_counter() - t0:.0f} s")
        return 0
    accuracy, features, tables = [], [], []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for seed in seeds:
            synthetic = synthetic_like(fitted, config, seed)
            accuracy.append(discriminate(fitted, synthetic))
            if len(features) < args.feature_seeds:
                features.append(feature_accuracies(fitted, synthetic))
                tables.append(hourly(synthetic))
    print(
        f"physics: {args.physics or 'the shipped defaults'}; changes: {dict(args.set) or 'none'}; fitted slice: "
        f"{fitted['session_id'].nunique()} sessions; engine seeds {seeds}"
    )
    error = np.std(accuracy, ddof=1) / np.sqrt(len(accuracy)) if len(accuracy) > 1 else float("nan")
    print(
        f"window classifier accuracy {np.mean(accuracy):.3f} +- {error:.3f} (standard error over {len(accuracy)} "
        f"seeds; per seed {', '.join(f'{a:.3f}' for a in accuracy)})\n"
    )
    print(f"accuracy with one feature (and the time of day), first {len(features)} seeds:")
    print(pd.concat(features, axis=1).mean(axis=1).sort_values(ascending=False).round(3).to_string(), "\n")
    synthetic_hours = pd.concat(tables).groupby(level=0).mean()
    both = hourly(fitted).add_suffix(" real").join(synthetic_hours.add_suffix(" synthetic"))
    print("one-hour windows by ET start hour (medians):")
    print(both[[f"{label} {side}" for label in HOURLY.values() for side in ("real", "synthetic")]].round(2).to_string())
    if args.halves:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            table = halves(fitted, config, seeds)
        print("\nwindow accuracy on each half of the fitted slice (paired with the defaults on the same seeds):")
        print(table.round(3).to_string())
    print(f"\n{time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
