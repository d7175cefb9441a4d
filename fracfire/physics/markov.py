"""A semi-Markov minute-state driver fitted on labelled bars (:class:`MarkovStateDriver`).

``fit`` estimates, from any frame with a ``state`` column, the minute-level
transition matrix (self-transitions included), the jump matrix between
distinct states and every state's empirical dwell times (run lengths).
``sample`` walks the jump chain, holding each state for a dwell time drawn
from that state's observed ones. Real data has no labels: ``infer_states``
fits a Gaussian HMM (hmmlearn) on per-bar tick features and maps each hidden
regime to the closest :class:`~fracfire.physics.MarketState`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import numpy as np
import pandas as pd
from pydantic import Field

from fracfire._atomic import write_text_atomic
from fracfire._config import Probability, StrictModel, read_text, read_yaml, validate
from fracfire._typing import SeedLike
from fracfire._validation import check_int
from fracfire.calendar import MINUTES_PER_DAY
from fracfire.exceptions import ConfigError
from fracfire.physics.driver import DayPlan
from fracfire.physics.states import MarketState

if TYPE_CHECKING:
    from fracfire.physics.config import PhysicsConfig

__all__ = ["MarkovStateDriver", "infer_states", "state_features"]

_STATES = tuple(MarketState)
_NAMES = [s.value for s in _STATES]
FORMAT_VERSION = 1


class _DriverFile(StrictModel):
    """What a :meth:`MarkovStateDriver.save` file holds (format version 1)."""

    format_version: int
    states: list[str]
    min_dwell: int = Field(ge=1)
    transition_matrix: list[Annotated[list[Probability], Field(min_length=7, max_length=7)]] = Field(
        min_length=7, max_length=7
    )
    jump_matrix: list[Annotated[list[Probability], Field(min_length=7, max_length=7)]] = Field(
        min_length=7, max_length=7
    )
    start_probabilities: list[Probability] = Field(min_length=7, max_length=7)
    dwell_times: dict[str, list[Annotated[int, Field(ge=1)]]]


def _runs(codes: np.ndarray, breaks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """State and length of each run; a run also ends where ``breaks`` is True."""
    change = np.concatenate([[True], (codes[1:] != codes[:-1]) | breaks[1:]])
    starts = np.flatnonzero(change)
    lengths = np.diff(np.concatenate([starts, [len(codes)]]))
    return codes[starts], lengths


def _codes(states: pd.Series) -> np.ndarray:
    values = states.astype(str).to_numpy()
    unknown = sorted(set(values) - set(_NAMES))
    if unknown:
        raise ValueError(f"state column has labels that are not MarketState values: {unknown[:5]}")
    lookup = {name: i for i, name in enumerate(_NAMES)}
    return np.array([lookup[v] for v in values], dtype=np.int64)


class MarkovStateDriver:
    """Minute states from a fitted semi-Markov chain (hmmlearn-style ``fit``/``sample``).

    Parameters
    ----------
    min_dwell : int, default 1
        Shortest dwell time sampled (minutes).

    Attributes
    ----------
    transition_matrix_ : numpy.ndarray (7, 7)
        Minute-to-minute transition probabilities (rows: from, in ``MarketState`` order).
    jump_matrix_ : numpy.ndarray (7, 7)
        Probabilities of the next *different* state.
    dwell_times_ : dict of str -> numpy.ndarray
        Observed run lengths of each state (minutes).
    start_probabilities_ : numpy.ndarray (7,)
        Share of minutes in each state.
    """

    def __init__(self, min_dwell: int = 1) -> None:
        self.min_dwell = min_dwell

    def get_params(self, deep: bool = True) -> dict:
        """Constructor parameters (scikit-learn convention)."""
        return {"min_dwell": self.min_dwell}

    # ------------------------------------------------------------------ fitting
    def fit(self, labelled_bars: pd.DataFrame) -> "MarkovStateDriver":
        """Estimate transitions and dwell times from bars with a ``state`` column.

        Runs are also cut at gaps of more than one minute (session breaks)."""
        check_int("min_dwell", self.min_dwell, low=1)
        if "state" not in labelled_bars.columns or labelled_bars["state"].isna().any():
            raise ValueError("fit needs bars with a complete 'state' column (use infer_states for real data)")
        codes = _codes(labelled_bars["state"])
        if len(codes) < 2:
            raise ValueError("fit needs at least 2 labelled bars")
        step = labelled_bars["time"].diff().dt.total_seconds().fillna(60).to_numpy()
        breaks = step > 60
        counts = np.zeros((7, 7))
        np.add.at(counts, (codes[:-1][~breaks[1:]], codes[1:][~breaks[1:]]), 1)
        self.transition_matrix_ = _normalise(counts, identity_if_empty=True)
        run_states, run_lengths = _runs(codes, breaks)
        jumps = np.zeros((7, 7))
        follows = ~breaks[np.concatenate([[0], np.cumsum(run_lengths)[:-1]])][1:]
        np.add.at(jumps, (run_states[:-1][follows], run_states[1:][follows]), 1)
        np.fill_diagonal(jumps, 0)
        self.jump_matrix_ = _normalise(jumps, identity_if_empty=False)
        self.dwell_times_ = {name: run_lengths[run_states == i].astype(np.int64) for i, name in enumerate(_NAMES)}
        self.start_probabilities_ = np.bincount(codes, minlength=7) / len(codes)
        return self

    @classmethod
    def from_real(cls, real_bars: pd.DataFrame, n_regimes: int = 5, seed: int = 0, **kwargs) -> "MarkovStateDriver":
        """``infer_states`` on real bars, then :meth:`fit` on the inferred labels."""
        labelled = real_bars.assign(state=infer_states(real_bars, n_regimes=n_regimes, seed=seed))
        return cls(**kwargs).fit(labelled)

    def _check_fitted(self) -> None:
        if not hasattr(self, "jump_matrix_"):
            raise RuntimeError("MarkovStateDriver is not fitted yet: call fit() or load()")

    # ------------------------------------------------------------------ sampling
    def sample(self, n_minutes: int, random_state: SeedLike = None, start_state: int | None = None) -> np.ndarray:
        """``n_minutes`` state codes (indices into ``tuple(MarketState)``)."""
        self._check_fitted()
        rng = np.random.default_rng(random_state)
        out = np.empty(n_minutes, dtype=np.int64)
        state = int(rng.choice(7, p=self.start_probabilities_)) if start_state is None else int(start_state)
        filled = 0
        while filled < n_minutes:
            dwell = self.dwell_times_.get(_NAMES[state])
            length = int(rng.choice(dwell)) if dwell is not None and len(dwell) else 1
            length = max(length, self.min_dwell)
            out[filled : filled + length] = state
            filled += length
            row = self.jump_matrix_[state]
            state = int(rng.choice(7, p=row)) if row.sum() > 0 else state
        return out

    def generate_sequence(self, n_days: int = 1, random_state: SeedLike = None) -> list[list[tuple[int, MarketState]]]:
        """One ``state_sequence`` (``[(minute_offset, MarketState), ...]``) per day."""
        codes = self.sample(n_days * MINUTES_PER_DAY, random_state)
        sequences = []
        for day in codes.reshape(n_days, MINUTES_PER_DAY):
            change = np.flatnonzero(np.concatenate([[True], day[1:] != day[:-1]]))
            sequences.append([(int(i), _STATES[day[i]]) for i in change])
        return sequences

    def plan_day(self, start: pd.Timestamp, n_minutes: int, rng: np.random.Generator, previous_state: int) -> DayPlan:
        """The :class:`~fracfire.physics.StateDriver` method: sampled minute states only."""
        return DayPlan(self.sample(n_minutes, rng, start_state=previous_state % 7))

    # ------------------------------------------------------------------ persistence
    def to_dict(self) -> dict:
        """JSON-ready state (format version included)."""
        self._check_fitted()
        return {
            "format_version": FORMAT_VERSION,
            "states": _NAMES,
            "min_dwell": self.min_dwell,
            "transition_matrix": self.transition_matrix_.tolist(),
            "jump_matrix": self.jump_matrix_.tolist(),
            "start_probabilities": self.start_probabilities_.tolist(),
            "dwell_times": {k: v.tolist() for k, v in self.dwell_times_.items()},
        }

    def save(self, path: str | os.PathLike) -> Path:
        """Write JSON (or YAML when the path ends in .yaml/.yml), atomically."""
        path = Path(path)
        if path.suffix in (".yaml", ".yml"):
            import yaml

            return write_text_atomic(path, yaml.safe_dump(self.to_dict(), sort_keys=False))
        return write_text_atomic(path, json.dumps(self.to_dict()))

    @classmethod
    def load(cls, path: str | os.PathLike) -> "MarkovStateDriver":
        """Read :meth:`save` output, validating its shape and rows."""
        path = Path(path)
        if path.suffix in (".yaml", ".yml"):
            data = read_yaml(path, "Markov driver file")
        else:
            try:
                data = json.loads(read_text(path, "Markov driver file"))
            except ValueError as exc:
                raise ConfigError(f"{path}: unreadable ({exc})") from None
        if not isinstance(data, dict) or data.get("format_version") != FORMAT_VERSION:
            raise ConfigError(f"{path}: not a MarkovStateDriver file of format version {FORMAT_VERSION}")
        file = validate(_DriverFile, data, path)
        if file.states != _NAMES:
            raise ConfigError(f"{path}: states {file.states} differ from {_NAMES}")
        if sorted(file.dwell_times) != sorted(_NAMES):
            raise ConfigError(
                f"{path}: dwell_times must have one list per state {_NAMES}; got {sorted(file.dwell_times)}"
            )
        driver = cls(min_dwell=file.min_dwell)
        for key in ("transition_matrix", "jump_matrix"):
            matrix = np.asarray(getattr(file, key), dtype=float)
            sums = matrix.sum(axis=1)
            if not np.all(np.isclose(sums, 1) | (sums == 0)):
                raise ConfigError(
                    f"{path}: {key} rows must be probabilities summing to 1; row sums {np.round(sums, 6).tolist()}"
                )
            setattr(driver, key + "_", matrix)
        driver.start_probabilities_ = np.asarray(file.start_probabilities, dtype=float)
        driver.dwell_times_ = {k: np.asarray(v, dtype=np.int64) for k, v in file.dwell_times.items()}
        return driver


def _normalise(counts: np.ndarray, identity_if_empty: bool) -> np.ndarray:
    sums = counts.sum(axis=1, keepdims=True)
    out = np.divide(counts, sums, out=np.zeros_like(counts), where=sums > 0)
    if identity_if_empty:
        empty = sums[:, 0] == 0
        out[empty, np.flatnonzero(empty)] = 1.0
    return out


def state_features(bars: pd.DataFrame, window: int = 5, volume: bool | None = None) -> np.ndarray:
    """Scale-free per-bar features for regime inference, standardised within ``bars``.

    Over centred windows of ``window`` and ``3 * window`` bars: the
    efficiency ratio ``sum(delta) / sum(|delta|)`` (direction, in [-1, 1]) and
    the log ratio of mean range and of mean volume to their rolling medians
    over the surrounding two hours (activity relative to the time of day and
    the day's volatility). ``volume`` (default: whether the bars carry a real
    volume, :func:`fracfire.schema.has_volume`) keeps the volume columns.
    """
    from fracfire.schema import has_volume

    if volume is None:
        volume = has_volume(bars)
    delta = pd.Series(bars["delta_ticks"].to_numpy(dtype=float))
    rng = pd.Series(bars["range_ticks"].to_numpy(dtype=float))
    size = pd.Series(bars["volume"].to_numpy(dtype=float))

    def mean(x, n):
        return x.rolling(n, min_periods=1, center=True).mean()

    def relative(x, n):
        base = x.rolling(121, min_periods=1, center=True).median() + 1.0
        return np.log((mean(x, n) + 1.0) / base).to_numpy()

    columns = []
    for n in (window, 3 * window):
        columns.append((mean(delta, n) / (mean(delta.abs(), n) + 1e-9)).to_numpy())
        columns.append(relative(rng, n))
        if volume:
            columns.append(relative(size, n))
    features = np.column_stack(columns)
    std = features.std(axis=0)
    return (features - features.mean(axis=0)) / np.where(std > 0, std, 1.0)


def _reference_classifier(physics, seed: int, volume: bool = True, bar_minutes: int = 1):
    """A linear discriminant of the engine's states, on six engine days at ``bar_minutes`` bars."""
    from sklearn.discriminant_analysis import LinearDiscriminantAnalysis

    from fracfire.physics.generator import PriceGenerator

    mixed = PriceGenerator(seed=seed, physics=physics).generate_days("2025-01-06", 6)
    if bar_minutes > 1:
        from fracfire.data.resample import resample_bars

        mixed = resample_bars(mixed, f"{bar_minutes}min")
    return LinearDiscriminantAnalysis().fit(state_features(mixed, volume=volume), _codes(mixed["state"]))


def infer_states(
    real_bars: pd.DataFrame, n_regimes: int = 5, seed: int = 0, physics: PhysicsConfig | None = None
) -> pd.Series:
    """Label real bars with MarketStates through a Gaussian HMM.

    A ``GaussianHMM`` (diagonal covariances) is fitted on :func:`state_features`
    and decodes one hidden regime per bar. Each regime then maps to one
    MarketState: a linear discriminant trained on six days the engine
    generates with ``physics`` (labels known, features standardised the same
    way, resampled to the real bars' size, without the volume features when
    the real bars carry no volume) votes on the regime's bars, and the most
    voted state wins.

    Returns
    -------
    pandas.Series
        Categorical MarketState labels aligned with ``real_bars``.
    """
    from hmmlearn.hmm import GaussianHMM

    if len(real_bars) < 10 * n_regimes:
        raise ValueError(f"infer_states needs at least {10 * n_regimes} bars; got {len(real_bars)}")
    from fracfire.data.checks import bar_minutes
    from fracfire.schema import has_volume

    features = state_features(real_bars)
    model = GaussianHMM(n_components=n_regimes, covariance_type="diag", n_iter=50, random_state=seed)
    model.fit(features)
    hidden = model.predict(features)
    votes = _reference_classifier(physics, seed, has_volume(real_bars), bar_minutes(real_bars)).predict(features)
    mapping = np.array(
        [np.bincount(votes[hidden == k], minlength=7).argmax() if (hidden == k).any() else 0 for k in range(n_regimes)]
    )
    labels = np.array(_NAMES)[mapping[hidden]]
    return pd.Series(pd.Categorical(labels, categories=_NAMES), index=real_bars.index, name="state")
