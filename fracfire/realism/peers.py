"""The generators a user would pick instead: GBM, GARCH(1,1)-t, stationary bootstrap.

Each is fitted on real one-minute bars and produces one-minute OHLCV bars on
the 0.25 grid with the calendar you give it (usually another slice of the real
data). All share :func:`bars_from_returns` for what a return model does not
say:

* **intrabar path**: each minute's close-to-close log return is split into
  :data:`INTRABAR_STEPS` Gaussian steps with the bar's conditional volatility,
  pinned to end exactly at the close (a Brownian bridge); high and low are the
  path's extremes. Open equals the previous close; prices are rounded to
  the tick grid (closes independently, so rounding never drifts).
* **volume**: the median real volume of the bar's 30-minute bucket of the day,
  times log-normal noise (sigma 0.5).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fracfire.realism.facts import INTRADAY_BUCKET_MINUTES, SESSION_BREAK, log_returns
from fracfire.schema import TICK_SIZE, bars_frame

__all__ = ["INTRABAR_STEPS", "PEERS", "bars_from_returns", "bootstrap_bars", "garch_t_bars",
           "garch_t_seasonal_bars", "gbm_bars", "intraday_scale"]

INTRABAR_STEPS = 8
VOLUME_NOISE = 0.5
BASIS_POINTS = 1e4


def _bucket(times: pd.Series) -> np.ndarray:
    return ((times.dt.hour * 60 + times.dt.minute) // INTRADAY_BUCKET_MINUTES).to_numpy()


def _volume_profile(train: pd.DataFrame) -> np.ndarray:
    profile = pd.Series(train["volume"].to_numpy(dtype=float)).groupby(_bucket(train["time"])).median()
    return profile.reindex(range(1440 // INTRADAY_BUCKET_MINUTES)).fillna(profile.median()).to_numpy()


def bars_from_returns(times: pd.Series, returns: np.ndarray, sigma: np.ndarray, start_price: float,
                      volume_profile: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    """One-minute OHLCV bars from close-to-close log returns (see the module notes).

    Parameters
    ----------
    times : pandas.Series
        Bar start times (the calendar).
    returns, sigma : numpy.ndarray
        Log return of each bar and its conditional standard deviation.
    start_price : float
        Close before the first bar.
    volume_profile : numpy.ndarray
        Median volume per 30-minute bucket of the day.
    rng : numpy.random.Generator

    Returns
    -------
    pandas.DataFrame
        Bars in the :mod:`fracfire.schema` schema (labels empty).
    """
    n = len(times)
    log_close = np.log(start_price) + np.cumsum(returns)
    log_open = np.concatenate([[np.log(start_price)], log_close[:-1]])
    steps = rng.standard_normal((n, INTRABAR_STEPS)) * (np.abs(sigma)[:, None] / np.sqrt(INTRABAR_STEPS))
    walk = np.cumsum(steps, axis=1)
    frac = np.arange(1, INTRABAR_STEPS + 1) / INTRABAR_STEPS
    bridge = walk - frac * walk[:, -1:] + frac * returns[:, None]
    close = np.rint(np.exp(log_close) / TICK_SIZE).astype(np.int64)
    open_ = np.concatenate([[int(round(start_price / TICK_SIZE))], close[:-1]])
    high = np.rint(np.exp(log_open + np.maximum(bridge.max(axis=1), 0)) / TICK_SIZE).astype(np.int64)
    low = np.rint(np.exp(log_open + np.minimum(bridge.min(axis=1), 0)) / TICK_SIZE).astype(np.int64)
    high = np.maximum.reduce([high, open_, close])
    low = np.minimum.reduce([low, open_, close])
    noise = np.exp(VOLUME_NOISE * rng.standard_normal(n) - VOLUME_NOISE**2 / 2)
    volume = np.maximum(1, np.rint(volume_profile[_bucket(times)] * noise)).astype(np.int64)
    empty = pd.Categorical([None] * n)
    labels = {"state": empty, "session": empty, "segment_id": np.zeros(n, dtype=np.int64),
              "macro_regime": empty}
    return bars_frame(pd.DatetimeIndex(times), open_, high, low, close, volume, int(open_[0]), labels)


def _train_returns(train: pd.DataFrame) -> np.ndarray:
    r = log_returns(train, SESSION_BREAK)
    if len(r) < 100:
        raise ValueError(f"peers need at least 100 real one-minute returns to fit; got {len(r)}")
    return r


def gbm_bars(train: pd.DataFrame, calendar: pd.Series, start_price: float, seed=0) -> pd.DataFrame:
    """Geometric Brownian motion (zero drift) with the real one-minute volatility."""
    rng = np.random.default_rng(seed)
    sigma = float(np.std(_train_returns(train)))
    returns = rng.normal(0.0, sigma, len(calendar))
    return bars_from_returns(calendar, returns, np.full(len(calendar), sigma), start_price,
                             _volume_profile(train), rng)


def garch_t_bars(train: pd.DataFrame, calendar: pd.Series, start_price: float, seed=0) -> pd.DataFrame:
    """GARCH(1,1) with Student-t innovations, zero mean, fitted with ``arch`` (returns in
    basis points, a scale its optimiser handles well), simulated with its own
    conditional volatility."""
    from arch.univariate import GARCH, StudentsT, ZeroMean

    rng = np.random.default_rng(seed)
    model = ZeroMean(_train_returns(train) * BASIS_POINTS, volatility=GARCH(1, 0, 1),
                     distribution=StudentsT(seed=rng))
    fit = model.fit(disp="off", show_warning=False)
    sim = model.simulate(fit.params, len(calendar), burn=500)
    returns = sim["data"].to_numpy() / BASIS_POINTS
    sigma = sim["volatility"].to_numpy() / BASIS_POINTS
    return bars_from_returns(calendar, returns, sigma, start_price, _volume_profile(train), rng)


def intraday_scale(train: pd.DataFrame) -> pd.Series:
    """Intraday volatility profile (Andersen & Bollerslev): mean ``|r|`` of each 30-minute
    ET bucket over the overall mean, estimated on ``train``; indexed by bucket."""
    close = np.log(train["close"].to_numpy(dtype=float))
    r = np.diff(close, prepend=close[0])
    t = train["time"].to_numpy(dtype="datetime64[ns]").astype(np.int64)
    keep = np.concatenate([[False], np.diff(t) <= SESSION_BREAK.value])
    by_bucket = pd.Series(np.abs(r[keep])).groupby(_bucket(train["time"])[keep]).mean()
    return by_bucket / np.abs(r[keep]).mean()


def garch_t_seasonal_bars(train: pd.DataFrame, calendar: pd.Series, start_price: float, seed=0) -> pd.DataFrame:
    """GARCH(1,1)-t on returns deseasonalised by the intraday volatility profile
    (:func:`intraday_scale`), simulated and re-seasonalised on the target calendar: the
    peer a volatility modeller would actually fit to intraday bars."""
    from arch.univariate import GARCH, StudentsT, ZeroMean

    rng = np.random.default_rng(seed)
    scale = intraday_scale(train)
    close = np.log(train["close"].to_numpy(dtype=float))
    r = np.diff(close)
    t = train["time"].to_numpy(dtype="datetime64[ns]").astype(np.int64)
    keep = np.diff(t) <= SESSION_BREAK.value
    if keep.sum() < 100:
        raise ValueError(f"peers need at least 100 real one-minute returns to fit; got {int(keep.sum())}")
    train_scale = scale.reindex(_bucket(train["time"])[1:][keep]).fillna(1.0).to_numpy()
    model = ZeroMean(r[keep] / train_scale * BASIS_POINTS, volatility=GARCH(1, 0, 1),
                     distribution=StudentsT(seed=rng))
    fit = model.fit(disp="off", show_warning=False)
    sim = model.simulate(fit.params, len(calendar), burn=500)
    season = scale.reindex(_bucket(calendar)).fillna(1.0).to_numpy()
    returns = sim["data"].to_numpy() / BASIS_POINTS * season
    sigma = sim["volatility"].to_numpy() / BASIS_POINTS * season
    return bars_from_returns(calendar, returns, sigma, start_price, _volume_profile(train), rng)


def bootstrap_bars(train: pd.DataFrame, calendar: pd.Series, start_price: float, seed=0) -> pd.DataFrame:
    """Stationary block bootstrap (``arch.bootstrap``) of real one-minute returns, block
    length from ``optimal_block_length``; the intrabar volatility is the real
    one-minute volatility of the bar's 30-minute bucket."""
    from arch.bootstrap import StationaryBootstrap, optimal_block_length

    rng = np.random.default_rng(seed)
    r = _train_returns(train)
    block = float(max(1.0, optimal_block_length(r)["stationary"].iloc[0]))
    pieces, total = [], 0
    while total < len(calendar):
        sampler = StationaryBootstrap(block, r, seed=rng)
        sample = next(iter(sampler.bootstrap(1)))[0][0]
        pieces.append(sample)
        total += len(sample)
    returns = np.concatenate(pieces)[: len(calendar)]
    train_r = np.diff(np.log(train["close"].to_numpy(dtype=float)), prepend=np.nan)
    by_bucket = pd.Series(np.abs(train_r)).groupby(_bucket(train["time"])).mean() * np.sqrt(np.pi / 2)
    sigma = by_bucket.reindex(_bucket(calendar)).fillna(np.std(r)).to_numpy()
    return bars_from_returns(calendar, returns, sigma, start_price, _volume_profile(train), rng)


PEERS = {"GBM": gbm_bars, "GARCH-t": garch_t_bars, "GARCH-t seasonal": garch_t_seasonal_bars,
         "bootstrap": bootstrap_bars}
"""Peer generators by display name."""
