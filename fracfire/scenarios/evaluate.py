"""Scoring rest-of-session forecasts: CRPS, pinball loss, interval coverage, against peers.

:func:`scenario_experiment` fits every method on the first part of a real
file and forecasts, at several ET cut times of every later session, that
session's close and the range still to come (high minus low from the cut
to the horizon), as samples:

* ``policy``: :class:`~fracfire.scenarios.ScenarioPolicy` (level tilt and states);
* ``markov``: the same engine and state driver without the level tilt
  (FracFire conditioned by the Markov driver alone);
* ``unconditional``: the engine with its own automatic states, at the
  market's ordinary level for the time of day;
* ``garch``: :class:`~fracfire.scenarios.peers.GarchForecaster`;
* ``analog``: :func:`~fracfire.scenarios.peers.analog_outcomes`.

The continuous ranked probability score of a sample ``x`` against the
outcome ``y`` is ``E|X - y| - E|X - X'| / 2`` (Gneiting & Raftery 2007),
in price points; lower is better. Intervals of the mean difference to the
best peer come from a bootstrap over test sessions (each session one block:
its cuts share the day's volatility), paired across methods, and from a
Student-t interval over the sessions' mean differences (the bootstrap is too
narrow over a handful of sessions); the goal needs both below zero.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from fracfire.evaluation.metrics import t_interval

__all__ = ["CUT_TIMES", "METHODS", "ScenarioExperiment", "crps", "pinball", "scenario_experiment"]

CUT_TIMES = ("10:30", "12:00", "14:00")
METHODS = ("policy", "markov", "unconditional", "garch", "analog")
PINBALL_LEVELS = (0.1, 0.5, 0.9)
INTERVAL = (0.1, 0.9)
"""The central 80 % interval whose coverage is reported."""


def crps(samples, y: float) -> float:
    """Continuous ranked probability score of ``samples`` for the outcome ``y`` (sorted-sample formula)."""
    x = np.sort(np.asarray(samples, dtype=float))
    n = len(x)
    if n == 0 or not np.isfinite(x).all() or not np.isfinite(y):
        raise ValueError("crps needs a non-empty finite sample and a finite outcome")
    spread = 2.0 * np.sum((2 * np.arange(1, n + 1) - n - 1) * x) / n**2
    return float(np.mean(np.abs(x - y)) - 0.5 * spread)


def pinball(samples, y: float, q: float) -> float:
    """Pinball (quantile) loss of the sample's ``q`` quantile for the outcome ``y``."""
    forecast = float(np.quantile(np.asarray(samples, dtype=float), q))
    return float(max(q * (y - forecast), (q - 1.0) * (y - forecast)))


def _scores(samples: dict[str, np.ndarray], outcome: dict[str, float]) -> dict[str, float]:
    row = {}
    for target in ("close", "range"):
        x, y = samples[target], outcome[target]
        row[f"crps_{target}"] = crps(x, y)
        for q in PINBALL_LEVELS:
            row[f"pinball{int(q * 100)}_{target}"] = pinball(x, y, q)
        lo, hi = np.quantile(x, INTERVAL)
        row[f"covered_{target}"] = float(lo <= y <= hi)
        row[f"below10_{target}"] = float(y < lo)
        row[f"above90_{target}"] = float(y > hi)
        row[f"pit_{target}"] = float((np.sum(x < y) + 0.5 * np.sum(x == y)) / len(x))
    return row


@dataclass(frozen=True)
class ScenarioExperiment:
    """Scores of every method at every cut of every test session.

    Attributes
    ----------
    scores : pandas.DataFrame
        One row per (``session``, ``cut``, ``method``): ``crps_close``,
        ``crps_range``, ``pinball10_close`` ... ``pinball90_range`` and
        ``covered_close``/``covered_range`` (1 when the outcome fell in the
        80 % interval), ``below10_*``/``above90_*`` (1 when it fell below
        the 10 % or above the 90 % quantile: which side an interval misses
        on), ``pit_*`` (the probability integral transform: the share of
        samples below the outcome, uniform for a calibrated forecast), with
        the outcome (``close``, ``range``) and the
        policy's forecast ``level``.
    config : dict
        What was run (file, split, cuts, samples, seed, sessions).
    """

    scores: pd.DataFrame
    config: dict

    @cached_property
    def table(self) -> pd.DataFrame:
        """Mean of every score per method (rows), the 80 % interval coverage and the shares of outcomes below
        its 10 % and above its 90 % quantile."""
        columns = [c for c in self.scores.columns if c.startswith(("crps", "pinball", "covered", "below", "above"))]
        return (
            self.scores.groupby("method", sort=False)[columns]
            .mean()
            .reindex([m for m in METHODS if m in set(self.scores["method"])])
        )

    def comparison(
        self, target: str = "close", level: float = 0.95, n_resamples: int = 2000, seed: int = 0
    ) -> pd.DataFrame:
        """Each method's mean CRPS difference to the policy, with a session-bootstrap interval
        and a t-interval over sessions.

        Returns one row per other method: ``difference`` (policy minus
        method, over every forecast: the difference of the two rows of
        :attr:`table`; negative means the policy is better), ``low``,
        ``high``: the percentile interval of that mean over ``n_resamples``
        resamplings of whole test sessions (a session's cuts move together);
        ``session_mean``, ``session_low``, ``session_high``: the mean over
        sessions of each session's mean difference, with a Student-t interval
        (:func:`fracfire.evaluation.metrics.t_interval`). With few test
        sessions (8 on the bundled ES month) the percentile bootstrap is too
        narrow, so :attr:`verdict` needs both intervals below zero.
        """
        column = f"crps_{target}"
        sums = self.scores.pivot_table(index="session", columns="method", values=column, aggfunc="sum")
        counts = self.scores.pivot_table(index="session", columns="method", values=column, aggfunc="count")
        picks = np.random.default_rng(seed).integers(0, len(sums), size=(n_resamples, len(sums)))
        tail = (1.0 - level) / 2.0
        rows = {}
        for method in sums.columns:
            if method == "policy":
                continue
            diff = (sums["policy"] - sums[method]).to_numpy()
            n = counts["policy"].to_numpy(dtype=float)
            mean = float(diff.sum() / n.sum())
            per_session = t_interval(diff / n, level)
            row = {
                "difference": mean,
                "low": np.nan,
                "high": np.nan,
                "session_mean": per_session["mean"],
                "session_low": per_session["low"],
                "session_high": per_session["high"],
            }
            if len(diff) >= 2:
                resampled = diff[picks].sum(axis=1) / n[picks].sum(axis=1)
                row["low"], row["high"] = (float(q) for q in np.quantile(resampled, [tail, 1.0 - tail]))
            rows[method] = row
        return pd.DataFrame(rows).T

    @cached_property
    def verdict(self) -> dict:
        """The issue's goals, measured: lowest CRPS of all with an interval excluding zero, and coverage."""
        out = {}
        for target in ("close", "range"):
            comparison = self.comparison(target)
            means = self.table[f"crps_{target}"]
            best_peer = means.drop("policy").idxmin()
            row = comparison.loc[best_peer]
            out[target] = {
                "best_peer": best_peer,
                "policy_crps": float(means["policy"]),
                "best_peer_crps": float(means[best_peer]),
                "difference": float(row["difference"]),
                "low": float(row["low"]),
                "high": float(row["high"]),
                "session_low": float(row["session_low"]),
                "session_high": float(row["session_high"]),
                "lowest_and_significant": bool(
                    means.idxmin() == "policy" and row["high"] < 0 and row["session_high"] < 0
                ),
                "coverage_80": float(self.table.loc["policy", f"covered_{target}"]),
            }
        return out

    def summary(self) -> str:
        """Markdown: what was run, the mean scores, the differences to the policy and the verdict."""
        from fracfire._markdown import markdown_table

        c = self.config
        lines = [
            f"# Rest-of-session scenarios: {c['file']}",
            "",
            f"{c['test_sessions']} test sessions (after {c['fit_sessions']} fitted), cuts {', '.join(c['cuts'])} "
            f"ET, horizon {c['horizon']}, {c['samples']} samples per forecast, seed {c['seed']}; "
            f"{len(self.scores) // max(len(self.table), 1)} forecasts per method; the policy's level model: "
            f"{c.get('level_model', 'tilt')}. CRPS and pinball loss in "
            "price points (lower is better); coverage of the central 80 % interval (goal 0.75-0.85).",
            "",
        ]
        if c.get("uncovered_cuts"):
            lines += [
                f"Not scored, the bars stop short of the window: {', '.join(c['uncovered_cuts'])}.",
                "",
            ]
        lines += [
            markdown_table(self.table.round(4)),
            "",
        ]
        for target in ("close", "range"):
            lines += [
                f"## {target}: policy minus each method (mean CRPS, 95 % session-bootstrap interval; "
                "per session: the mean of the sessions' mean differences, 95 % t-interval)",
                "",
                markdown_table(self.comparison(target).round(4)),
                "",
            ]
            v = self.verdict[target]
            met = "met" if v["lowest_and_significant"] else "not met"
            lines.append(
                f"Goal (policy lowest, both intervals of the difference to the best peer `{v['best_peer']}` "
                f"below zero): **{met}**: {v['policy_crps']:.3f} vs {v['best_peer_crps']:.3f}, "
                f"difference {v['difference']:+.3f} [{v['low']:+.3f}, {v['high']:+.3f}], "
                f"per session [{v['session_low']:+.3f}, {v['session_high']:+.3f}]. "
                f"80 % interval coverage {v['coverage_80']:.2f} "
                f"({'met' if 0.75 <= v['coverage_80'] <= 0.85 else 'not met'})."
            )
            lines.append("")
        return "\n".join(lines)

    def save(self, folder: str | os.PathLike) -> dict[str, Path]:
        """Write ``scenarios_experiment.md``, ``.json`` and ``scenarios_scores.csv`` atomically."""
        from fracfire._atomic import atomic_path, write_text_atomic

        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        paths = {
            "markdown": folder / "scenarios_experiment.md",
            "json": folder / "scenarios_experiment.json",
            "scores": folder / "scenarios_scores.csv",
        }
        write_text_atomic(paths["markdown"], self.summary())
        payload = {"config": self.config, "mean": self.table.to_dict(orient="index"), "verdict": self.verdict}
        write_text_atomic(paths["json"], json.dumps(payload, indent=2, default=str))
        with atomic_path(paths["scores"]) as tmp:
            self.scores.to_csv(tmp, index=False)
        return paths


def _outcome(bars: pd.DataFrame, a: int, b: int) -> dict[str, float]:
    part = bars.iloc[a:b]
    return {"close": float(part["close"].iloc[-1]), "range": float(part["high"].max() - part["low"].min())}


def _sample_outcomes(o: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {"close": np.asarray(o["close"], float), "range": np.asarray(o["high"], float) - np.asarray(o["low"], float)}


def scenario_experiment(
    real: pd.DataFrame,
    cuts=CUT_TIMES,
    samples: int = 300,
    horizon="rest-of-session",
    train_fraction: float = 0.6,
    seed: int = 0,
    methods=METHODS,
    policy=None,
    progress=None,
    file: str = "bars",
) -> ScenarioExperiment:
    """Fit on the first ``train_fraction`` of ``real``'s sessions, forecast every later session from ``cuts``.

    Parameters
    ----------
    real : pandas.DataFrame
        Real bars (any bar size), several sessions.
    cuts : sequence of str
        ET times ``"HH:MM"``.
    samples : int
        Samples per forecast and method.
    horizon : str or int
        As in :func:`fracfire.scenarios.scenarios`.
    train_fraction : float
        Share of the rows (cut at a session boundary) the methods are fitted on.
    seed : int
    methods : sequence of str
        Subset of :data:`METHODS`.
    policy : ScenarioPolicy, optional
        An unfitted policy to use (defaults to ``ScenarioPolicy(seed=seed)``).
    progress : callable, optional
        ``progress(done, total)`` after each test session.
    file : str
        Name of the data, for the report.
    """
    from fracfire._validation import check_int
    from fracfire.calendar import trading_day_number
    from fracfire.realism.calendar import split_by_time
    from fracfire.scenarios.conditioning import SessionIndex
    from fracfire.scenarios.level_models import describe_level_model
    from fracfire.scenarios.peers import GarchForecaster, analog_outcomes
    from fracfire.scenarios.policy import ScenarioPolicy
    from fracfire.scenarios.windows import cut_on, path_minutes, window_minutes

    samples = check_int("samples", samples, low=10, high=100_000)
    unknown = sorted(set(methods) - set(METHODS))
    if unknown or "policy" not in methods or len(set(methods)) < 2:
        raise ValueError(
            f"methods must include 'policy' and at least one peer, all among {METHODS}; got {list(methods)}"
        )
    if not len(cuts):
        raise ValueError("cuts must name at least one ET time 'HH:MM'; got none")
    from fracfire.calendar import MINUTES_PER_DAY, is_trading_minute, minute_label

    clock = {minute_label(m) for m in range(MINUTES_PER_DAY)}
    for cut in cuts:
        if not isinstance(cut, str) or cut not in clock:
            raise ValueError(f"cut times must be 'HH:MM' strings (00:00 to 23:59); got {cut!r}")
    repeated = sorted({c for c in cuts if list(cuts).count(c) > 1})
    if repeated:
        raise ValueError(f"cut times must differ (a repeated cut would count its forecasts twice); got {repeated}")
    tuesday = pd.Timestamp("2019-01-08")  # an ordinary trading day: a cut the market never trades is refused now
    closed = [c for c in cuts if not is_trading_minute(pd.DatetimeIndex([cut_on(tuesday, c)]))[0]]
    if closed:
        raise ValueError(
            f"cut times must be minutes the market trades (not the 16:15-16:30 halt or 17:00-18:00); got {closed}"
        )
    fit, test = split_by_time(real, train_fraction)
    policy = (policy if policy is not None else ScenarioPolicy(seed=seed)).fit(fit)
    garch = GarchForecaster(fit) if "garch" in methods else None
    real = real.reset_index(drop=True)
    index = SessionIndex(real, policy.profile_)
    test_days = np.unique(trading_day_number(test["time"]))
    rows: list[dict] = []
    uncovered: list[str] = []
    for i, day in enumerate(test_days):
        date = pd.Timestamp(int(day), unit="D")
        for hhmm in cuts:
            cut = cut_on(date, hhmm)
            end = path_minutes(cut, horizon)
            a, b = index.row_at(int(cut.value)), index.row_at(int(end.value))
            if a == 0 or a >= b or index.day[a] != day or index.day[a - 1] != day:
                continue  # the session has no bars before or after this cut
            if not _covered(index, day, a, cut, end, policy.bar_minutes_):
                uncovered.append(f"{date:%Y-%m-%d} {hhmm}")
                continue
            history = real.iloc[:a]
            outcome = _outcome(real, a, b)
            stream = np.random.default_rng([seed, int(day), int(cut.hour * 60 + cut.minute)])
            forecasts = {}
            level = np.nan
            for method in methods:
                if method in ("policy", "markov", "unconditional"):
                    result = policy.simulate(
                        history,
                        samples,
                        horizon=horizon,
                        cut=cut,
                        seed=int(stream.integers(2**62)),
                        conditioned=method == "policy",
                        states=method != "unconditional",
                    )
                    level = result.level if method == "policy" else level
                    o = result.outcomes
                    forecasts[method] = {"close": o["close"].to_numpy(), "range": o["range"].to_numpy()}
                elif method == "garch":
                    assert garch is not None  # fitted above whenever "garch" is a method
                    future = window_minutes(cut, end)[:: policy.bar_minutes_]
                    forecasts[method] = _sample_outcomes(garch.outcomes(history, future, samples, stream))
                else:
                    forecasts[method] = _sample_outcomes(
                        analog_outcomes(
                            index, int(cut.value), int(end.value), float(history["close"].iloc[-1]), samples, stream
                        )
                    )
            for method, sample in forecasts.items():
                rows.append(
                    {
                        "session": f"{date:%Y-%m-%d}",
                        "cut": hhmm,
                        "method": method,
                        **outcome,
                        "level": level,
                        **_scores(sample, outcome),
                    }
                )
        if progress is not None:
            progress(i + 1, len(test_days))
    if not rows:
        raise ValueError(
            "scenario_experiment: no test session has bars on both sides of any cut; "
            f"cuts {list(cuts)} ET, {len(test_days)} test sessions"
        )
    scores = pd.DataFrame(rows)
    config = {
        "file": file,
        "cuts": list(cuts),
        "samples": samples,
        "horizon": str(horizon),
        "train_fraction": train_fraction,
        "seed": seed,
        "methods": list(methods),
        "fit_sessions": int(len(np.unique(trading_day_number(fit["time"])))),
        "test_sessions": int(scores["session"].nunique()),
        "bar_minutes": int(policy.bar_minutes_),
        "level_model_examples": int(policy.fit_examples_),
        "level_model": describe_level_model(policy.level_model_)
        + (f", averaged with GARCH-t's level (weight {policy.garch_weight:g})" if policy.garch_ is not None else ""),
        "uncovered_cuts": uncovered,
    }
    return ScenarioExperiment(scores, config)


def _covered(index, day: int, a: int, cut: pd.Timestamp, end: pd.Timestamp, bar_minutes: int) -> bool:
    """Whether the bars cover a cut's window: the last one before the cut ends at most
    :data:`~fracfire.scenarios.windows.MAX_CUT_GAP` before it (as the policy requires), the first one
    after it starts near it and the session's bars reach the window's end (a file that stops
    mid-session, or an outage, scores nothing there)."""
    from fracfire.scenarios.conditioning import COVERAGE_SLACK_MINUTES
    from fracfire.scenarios.windows import MAX_CUT_GAP

    slack = pd.Timedelta(minutes=COVERAGE_SLACK_MINUTES).value
    history_end = index.time_ns[a - 1] + pd.Timedelta(minutes=bar_minutes).value
    d = int(np.searchsorted(index.days, day))
    return (
        int(cut.value) - history_end <= MAX_CUT_GAP.value
        and index.time_ns[a] - int(cut.value) <= slack
        and index.reaches(d, int(end.value))
    )
