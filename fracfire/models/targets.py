"""Targets real and synthetic bars both have: future moves and ranges."""

from __future__ import annotations

import numpy as np
import pandas as pd

from fracfire._typing import Horizons

__all__ = ["BASELINES", "HAR_WINDOWS", "baseline_predictions", "future_targets", "har_range_baseline"]

BASELINES = ("persistence", "rolling_mean", "har")
"""The baselines a forecaster is compared with: :func:`baseline_predictions` (``persistence``,
``rolling_mean``) and :func:`har_range_baseline` (``har``)."""

HAR_WINDOWS = (60, 390)
"""Minutes averaged by the slower HAR components: the last hour and the length of a regular session
(in bars: these over the bar size, so 12 and 78 five-minute bars)."""


def _future_extreme(values: np.ndarray, h: int, fn) -> np.ndarray:
    """``fn`` of ``values[t+1 .. t+h]`` for every ``t`` (NaN where the future is short)."""
    n = len(values)
    out = np.full(n, np.nan)
    if n > h:
        windows = np.lib.stride_tricks.sliding_window_view(values[1:], h)
        out[: len(windows)] = fn(windows, axis=1)
    return out


def _sessions(bars: pd.DataFrame) -> list[np.ndarray]:
    """Row positions of each stretch a target stays within: ``day_id`` groups, else runs of one ``session_id``."""
    if "day_id" in bars.columns:
        return list(bars.groupby("day_id", sort=False).indices.values())
    if "session_id" in bars.columns and len(bars):
        ids = bars["session_id"].to_numpy()
        starts = np.flatnonzero(np.concatenate([[True], ids[1:] != ids[:-1]]))
        return np.split(np.arange(len(bars)), starts[1:])
    return [np.arange(len(bars))]


def future_targets(bars: pd.DataFrame, horizons: Horizons = (1, 5, 15)) -> pd.DataFrame:
    """Per bar and horizon ``h``: ``delta_h`` = close in ``h`` bars minus close now
    (ticks) and ``range_h`` = high minus low over the next ``h`` bars (ticks).
    NaN where fewer than ``h`` bars follow in the bar's session: a target never
    crosses a ``day_id`` boundary (archetype libraries) or, without that column,
    a change of ``session_id`` (real and generated bars: the 17:00 close, a weekend)."""
    out = {}
    groups = _sessions(bars)
    for h in horizons:
        delta = np.full(len(bars), np.nan)
        rng = np.full(len(bars), np.nan)
        for rows in groups:
            close = bars["close_ticks"].to_numpy(dtype=float)[rows]
            high = bars["high_ticks"].to_numpy(dtype=float)[rows]
            low = bars["low_ticks"].to_numpy(dtype=float)[rows]
            d = np.full(len(rows), np.nan)
            d[:-h] = close[h:] - close[:-h] if len(rows) > h else d[:0]
            delta[rows] = d
            rng[rows] = _future_extreme(high, h, np.max) - _future_extreme(low, h, np.min)
        out[f"delta_{h}"] = delta
        out[f"range_{h}"] = rng
    return pd.DataFrame(out, index=bars.index)


def baseline_predictions(
    bars: pd.DataFrame, horizons: Horizons = (1, 5, 15), window: int = 60
) -> dict[str, pd.DataFrame]:
    """The honest baselines, in the columns of :func:`future_targets`.

    * ``persistence``: the last ``h`` bars repeat: ``delta_h`` is the last
      ``h``-bar move, ``range_h`` the last ``h``-bar range.
    * ``rolling_mean``: ``range_h`` is the mean ``h``-bar range of the last
      ``window`` bars; ``delta_h`` is ``h`` times the mean one-bar move of the
      last ``window`` bars (the recent drift).
    """
    high = pd.Series(bars["high_ticks"].to_numpy(dtype=float))
    low = pd.Series(bars["low_ticks"].to_numpy(dtype=float))
    close = pd.Series(bars["close_ticks"].to_numpy(dtype=float))
    drift = close.diff().rolling(window, min_periods=1).mean().fillna(0.0).to_numpy()
    persistence, rolling = {}, {}
    for h in horizons:
        past = (high.rolling(h, min_periods=1).max() - low.rolling(h, min_periods=1).min()).to_numpy()
        persistence[f"delta_{h}"] = (close - close.shift(h)).fillna(0.0).to_numpy()
        persistence[f"range_{h}"] = past
        rolling[f"delta_{h}"] = drift * h
        rolling[f"range_{h}"] = pd.Series(past).rolling(window, min_periods=1).mean().to_numpy()
    return {
        "persistence": pd.DataFrame(persistence, index=bars.index),
        "rolling_mean": pd.DataFrame(rolling, index=bars.index),
    }


def _har_design(bars: pd.DataFrame, h: int, windows: tuple[int, ...]) -> np.ndarray:
    """The last ``h``-bar range and its means over the last ``windows`` bars (causal)."""
    high = pd.Series(bars["high_ticks"].to_numpy(dtype=float))
    low = pd.Series(bars["low_ticks"].to_numpy(dtype=float))
    past = high.rolling(h, min_periods=1).max() - low.rolling(h, min_periods=1).min()
    return np.column_stack([past.to_numpy(), *(past.rolling(w, min_periods=1).mean().to_numpy() for w in windows)])


def har_range_baseline(
    train: pd.DataFrame, test: pd.DataFrame, horizons: Horizons = (15,), windows: tuple[int, int] = HAR_WINDOWS
) -> pd.DataFrame:
    """A HAR-style forecast of the future range, the baseline a volatility forecaster would use.

    Corsi's heterogeneous autoregression applied to bar ranges: the next
    ``h``-bar range is regressed (OLS, on ``train``) on the last ``h``-bar
    range and its means over the last hour and the last regular session's
    length (:data:`HAR_WINDOWS`, minutes, turned into bars of ``train``'s
    size), then applied to ``test``. ``delta_h`` is 0 (no
    drift forecast).

    Returns
    -------
    pandas.DataFrame
        ``delta_h`` and ``range_h`` for every horizon, indexed like ``test``.
    """
    from sklearn.linear_model import LinearRegression

    from fracfire.data.checks import bar_minutes

    size = train.attrs.get("bar_minutes") or bar_minutes(train)
    in_bars = tuple(max(1, round(w / size)) for w in windows)
    targets = future_targets(train, tuple(horizons))
    out = {}
    for h in horizons:
        y = targets[f"range_{h}"].to_numpy()
        ok = ~np.isnan(y)
        if ok.sum() < 10:
            raise ValueError(f"har_range_baseline: {int(ok.sum())} training rows with a {h}-bar future; need 10")
        model = LinearRegression().fit(_har_design(train, h, in_bars)[ok], y[ok])
        out[f"delta_{h}"] = np.zeros(len(test))
        out[f"range_{h}"] = np.maximum(model.predict(_har_design(test, h, in_bars)), 0.0)
    return pd.DataFrame(out, index=test.index)
