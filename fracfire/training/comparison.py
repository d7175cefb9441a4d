"""The fine-tuning comparison: one split rule, one budget, one scoring, for the pipeline and ``experiment transfer``.

On held-out real sessions, a :class:`~fracfire.models.PricePredictor`
pre-trained on synthetic bars is scored as it is (``synthetic_only``), after
fine-tuning on the real training sessions (``finetuned``, :data:`FINETUNE_ITERATIONS`
more boosting iterations), against the same model trained on those sessions
alone (``scratch``) and three baselines that need no training data beyond the
test bars' past (``persistence``, ``rolling_mean``) or the training sessions
(``har``, a HAR regression of the future range). Several pre-trained models
(one per synthetic library seed) have their errors averaged. Every figure has
a 95 % interval from a bootstrap over the test sessions (forecast windows
overlap within a session, so sessions are resampled whole), and every model's
difference to ``scratch`` and to the best baseline has one too.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from fracfire.data.features import extract_features
from fracfire.evaluation.metrics import t_interval
from fracfire.models import BASELINES, PricePredictor, baseline_predictions, har_range_baseline
from fracfire.runs import RunLayout, write_json

__all__ = [
    "FINETUNE_ITERATIONS",
    "MIN_TEST_SESSIONS",
    "TEST_FRACTION",
    "FinetuneComparison",
    "compare_finetuning",
    "day_t_interval",
    "split_sessions",
]

FINETUNE_ITERATIONS = 100
"""Boosting iterations fine-tuning adds to a pre-trained PricePredictor on real bars."""
TEST_FRACTION = 0.25
"""Share of the real sessions held out for testing (the last ones)."""
MIN_TEST_SESSIONS = 2
"""Fewest held-out sessions (a bootstrap over one session has no spread)."""


def split_sessions(
    real: pd.DataFrame, test_fraction: float = TEST_FRACTION
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Row indices of the fitting sessions and of the held-out (last) sessions of ``real``.

    ``max(MIN_TEST_SESSIONS, int(n * test_fraction))`` of the ``n`` sessions
    (``session_id``) are held out; at least one session must remain to fit on.
    """
    if not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction must be in (0, 1); got {test_fraction}")
    sessions = [np.asarray(rows) for _, rows in sorted(real.groupby("session_id").indices.items())]
    n_test = max(MIN_TEST_SESSIONS, int(len(sessions) * test_fraction))
    if len(sessions) <= n_test:
        raise ValueError(
            f"the fine-tuning comparison needs at least {n_test + 1} sessions of real bars "
            f"({n_test} held out, one to fit on); got {len(sessions)}"
        )
    return sessions[:-n_test], sessions[-n_test:]


@dataclass(frozen=True)
class FinetuneComparison:
    """Scores of every model on the held-out sessions (:func:`compare_finetuning`).

    Attributes
    ----------
    horizon : int
        Bars ahead of the scored forecasts (``range_<h>`` and ``delta_<h>``).
    rmse : dict
        Model -> ``value, low, high`` of the range RMSE (ticks, whatever the models' ``target``) and, but for
        ``scratch``, ``difference, difference_low, difference_high`` to ``scratch``.
    versus_best : dict
        Model -> its RMSE difference to :attr:`best_baseline` (``difference, difference_low, difference_high``).
    direction : dict
        Model -> ``value, low, high`` of the direction accuracy of ``delta_<h>`` (not for ``har``).
    best_baseline : str
        The baseline with the lowest RMSE.
    test_sessions, train_sessions, scored_rows : int
    finetuned : tuple of PricePredictor
        The fine-tuned copies of the pre-trained models (e.g. to save one).
    """

    horizon: int
    rmse: dict
    versus_best: dict
    direction: dict
    best_baseline: str
    test_sessions: int
    train_sessions: int
    scored_rows: int
    finetuned: tuple[PricePredictor, ...]
    day_t: dict | None = None

    def table(self) -> list[dict]:
        """One row per model: RMSE, direction accuracy and the differences, each with its interval."""
        h = self.horizon
        rows = []
        for name, r in self.rmse.items():
            row = {
                "model": name,
                f"range_{h}_rmse": r["value"],
                f"range_{h}_rmse_low": r["low"],
                f"range_{h}_rmse_high": r["high"],
            }
            if name in self.direction:
                d = self.direction[name]
                row.update(
                    {
                        f"delta_{h}_direction_accuracy": d["value"],
                        f"delta_{h}_direction_accuracy_low": d["low"],
                        f"delta_{h}_direction_accuracy_high": d["high"],
                    }
                )
            for key, source in (("scratch", r), ("best_baseline", self.versus_best[name])):
                if "difference" in source:
                    row.update(
                        {
                            f"range_{h}_rmse_minus_{key}": source["difference"],
                            f"range_{h}_rmse_minus_{key}_low": source["difference_low"],
                            f"range_{h}_rmse_minus_{key}_high": source["difference_high"],
                        }
                    )
            rows.append(row)
        return rows

    def beats(self, other: str) -> bool:
        """Whether the fine-tuned model's RMSE is lower than ``other``'s (``"scratch"`` or
        ``"best_baseline"``) with the bootstrap interval of the difference below zero and, when
        :attr:`day_t` has it, the t-interval over test days too (a percentile bootstrap over a handful
        of days is too narrow: over five days a nominal 95 % interval covers about 84 %)."""
        source = self.rmse["finetuned"] if other == "scratch" else self.versus_best["finetuned"]
        t = (self.day_t or {}).get(other)
        return bool(source["difference_high"] < 0 and (t is None or not t["high"] >= 0))

    def to_dict(self) -> dict:
        """JSON-ready: the verdict, the sizes of the slices and :meth:`table`."""
        return {
            "horizon": self.horizon,
            "verdict": self.summary(),
            "goal_met": self.beats("scratch") and self.beats("best_baseline"),
            "best_baseline": self.best_baseline,
            "train_sessions": self.train_sessions,
            "test_sessions": self.test_sessions,
            "scored_rows": self.scored_rows,
            "confidence": "95 %, bootstrap over the test days; day_t: t-interval of per-day RMSE differences",
            "day_t": self.day_t,
            "table": self.table(),
        }

    def save(self, folder: str | os.PathLike) -> dict[str, Path]:
        """Write ``finetune.json`` (:meth:`to_dict`) to ``folder`` atomically; file name -> path.

        The fine-tuned models are not written (save them with ``finetuned[i].save``).
        """
        path = write_json(RunLayout(Path(folder)).finetune, self.to_dict())
        return {path.name: path}

    def summary(self) -> str:
        """The fine-tuned model against scratch and the best baseline, in one line."""
        tuned, best = self.rmse["finetuned"], self.versus_best["finetuned"]
        vs_scratch = "beats" if self.beats("scratch") else "does not beat"
        vs_best = "beats" if self.beats("best_baseline") else "does not beat"

        def days(other: str) -> str:
            t = (self.day_t or {}).get(other)
            return "" if t is None else f"; per day {t['mean']:+.2f} [{t['low']:+.2f}, {t['high']:+.2f}]"

        return (
            f"{self.train_sessions} real sessions: fine-tuned {vs_scratch}"
            f" scratch ({tuned['difference']:+.2f} [{tuned['difference_low']:+.2f}, "
            f"{tuned['difference_high']:+.2f}]{days('scratch')}) and {vs_best}"
            f" the best baseline, {self.best_baseline} ({best['difference']:+.2f} [{best['difference_low']:+.2f}, "
            f"{best['difference_high']:+.2f}]{days('best_baseline')}); goal met: "
            f"{'yes' if self.beats('scratch') and self.beats('best_baseline') else 'no'}"
        )


def compare_finetuning(
    pretrained: list[PricePredictor],
    scratch: PricePredictor,
    train: pd.DataFrame,
    test: pd.DataFrame,
    horizon: int,
    seed: int = 0,
    n_resamples: int = 2000,
    train_x: pd.DataFrame | None = None,
    test_x: pd.DataFrame | None = None,
    progress: Callable[[], None] | None = None,
) -> FinetuneComparison:
    """Score pre-trained, fine-tuned, scratch and baseline forecasts of ``horizon`` bars on ``test``.

    Parameters
    ----------
    pretrained : list of PricePredictor
        Fitted on synthetic bars (one per library seed); each must forecast ``range_<horizon>``
        and ``delta_<horizon>``. They are not changed: fine-tuning works on copies.
    scratch : PricePredictor
        An unfitted template of the model trained on ``train`` alone (same target and horizons).
    train, test : pandas.DataFrame
        Real fitting and held-out bars (:func:`split_sessions`), with ``session_id``.
    horizon : int
    seed : int
        Bootstrap seed.
    n_resamples : int
    train_x, test_x : pandas.DataFrame, optional
        :func:`~fracfire.data.features.extract_features` of ``train`` and ``test`` when the caller has them
        already (extracted here otherwise).
    progress : callable, optional
        Called with no argument after each model is trained.

    Returns
    -------
    FinetuneComparison
    """
    from fracfire.evaluation.metrics import block_bootstrap_ci

    columns = [f"range_{horizon}", f"delta_{horizon}"]
    test_x = extract_features(test) if test_x is None else test_x
    train_x = extract_features(train) if train_x is None else train_x
    truth = scratch.targets(test)[columns]
    ok = truth.notna().all(axis=1).to_numpy()
    if not ok.any():
        raise ValueError(f"no held-out bar has {horizon} bars after it in its session to score")
    train_y = scratch.targets(train)
    sessions = np.asarray(test["session_id"])[ok]

    def forecast(model: PricePredictor) -> np.ndarray:
        return pd.DataFrame(model.predict(test_x))[columns].to_numpy()[ok]

    fitted_scratch = copy.deepcopy(scratch).fit(train_x, train_y)
    if progress is not None:
        progress()
    finetuned = []
    for model in pretrained:
        finetuned.append(copy.deepcopy(model).finetune(train_x, train_y, iterations=FINETUNE_ITERATIONS))
        if progress is not None:
            progress()
    baselines = {name: frame[columns].to_numpy()[ok] for name, frame in baseline_predictions(test, (horizon,)).items()}
    baselines["har"] = har_range_baseline(train, test, (horizon,))[columns].to_numpy()[ok]
    candidates = {
        "synthetic_only": np.stack([forecast(m) for m in pretrained]),
        "scratch": forecast(fitted_scratch),
        "finetuned": np.stack([forecast(m) for m in finetuned]),
        **baselines,
    }
    ranges = {n: p[..., 0] for n, p in candidates.items()}
    moves = {n: p[..., 1] for n, p in candidates.items() if n != "har"}  # HAR forecasts the range only
    range_true, delta_true = truth.to_numpy()[ok, 0], truth.to_numpy()[ok, 1]
    kw = dict(groups=sessions, seed=seed, n_resamples=n_resamples)
    rmse = block_bootstrap_ci(range_true, ranges, reference="scratch", **kw)
    best = min(BASELINES, key=lambda n: rmse[n]["value"])
    versus_best = block_bootstrap_ci(range_true, ranges, reference=best, **kw)
    direction = block_bootstrap_ci(delta_true, moves, metric="directional_accuracy", **kw)
    day_t = {
        "scratch": day_t_interval(range_true, ranges["finetuned"], ranges["scratch"], sessions),
        "best_baseline": day_t_interval(range_true, ranges["finetuned"], ranges[best], sessions),
    }
    return FinetuneComparison(
        horizon,
        rmse,
        versus_best,
        direction,
        best,
        int(len(np.unique(sessions))),
        int(train["session_id"].nunique()),
        int(ok.sum()),
        tuple(finetuned),
        day_t,
    )


def day_t_interval(
    truth: np.ndarray, forecast: np.ndarray, reference: np.ndarray, days: np.ndarray, level: float = 0.95
) -> dict:
    """Mean over test days of (RMSE of ``forecast`` - RMSE of ``reference``) that day, with a Student-t
    interval (``k - 1`` degrees of freedom for ``k`` days). Stacked forecasts (models x rows, one per
    seed) have their squared errors averaged over the models first. NaN bounds with fewer than 2 days."""

    def day_rmse(prediction: np.ndarray) -> np.ndarray:
        error = np.square(np.asarray(prediction, dtype=float) - truth)
        error = error.mean(axis=0) if error.ndim == 2 else error
        return np.array([np.sqrt(error[days == d].mean()) for d in np.unique(days)])

    out = t_interval(day_rmse(forecast) - day_rmse(reference), level)
    return {"mean": out["mean"], "low": out["low"], "high": out["high"], "days": out["n"]}
