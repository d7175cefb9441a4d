"""The generators a user would pick instead: GBM, GARCH(1,1)-t (plain and fitted on
deseasonalised returns), stationary bootstrap.

Each is fitted on real bars (one-minute, or the file's bar size) and produces
bars of the same size on the 0.25 grid with the calendar you give it (usually
another slice of the real data). All share :func:`bars_from_returns` for what
a return model does not say:

* **intrabar path**: each bar's close-to-close log return is split into
  :data:`INTRABAR_STEPS` Gaussian steps with the bar's conditional volatility,
  pinned to end exactly at the close (a Brownian bridge); high and low are the
  path's extremes. Open equals the previous close; prices are rounded to
  the tick grid (closes independently, so rounding never drifts).
* **volume**: the median real volume of the bar's 30-minute bucket of the day,
  times log-normal noise (sigma 0.5). Training bars without volume
  (``attrs["has_volume"]`` False) give volume 1 on every bar and
  ``attrs["has_volume"]`` False on the output.

Returns are taken within sessions only (pairs of bars more than
:data:`~fracfire.calendar.SESSION_BREAK` apart are skipped).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fracfire._typing import SeedLike
from fracfire.calendar import INTRADAY_BUCKET_MINUTES, INTRADAY_BUCKETS, minute_of_day, number_sessions, within_session
from fracfire.schema import TICK_SIZE, bars_frame, has_volume

__all__ = [
    "INTRABAR_STEPS",
    "PEERS",
    "bars_from_returns",
    "intrabar_extremes",
    "bootstrap_bars",
    "garch_t_bars",
    "garch_t_deseasonalised_bars",
    "gbm_bars",
    "intraday_scale",
]

INTRABAR_STEPS = 8
VOLUME_NOISE = 0.5
BASIS_POINTS = 1e4
MIN_TRAIN_RETURNS = 100


def _bucket(times: pd.Series) -> np.ndarray:
    return minute_of_day(times) // INTRADAY_BUCKET_MINUTES


def _returns_and_mask(train: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Log return of each bar from the previous close, and whether it is within a session."""
    close = np.log(train["close"].to_numpy(dtype=float))
    r = np.diff(close, prepend=close[0])
    return r, within_session(train["time"])


def _volume_profile(train: pd.DataFrame) -> np.ndarray | None:
    """Median volume per 30-minute bucket of the day, or None without volume."""
    if not has_volume(train):
        return None
    profile = pd.Series(train["volume"].to_numpy(dtype=float)).groupby(_bucket(train["time"])).median()
    return profile.reindex(range(INTRADAY_BUCKETS)).fillna(profile.median()).to_numpy()


def intrabar_extremes(
    returns: np.ndarray, sigma: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Highest and lowest log move from each bar's open: a Brownian bridge of :data:`INTRABAR_STEPS` steps
    (standard deviation ``|sigma|`` over the bar) from 0 to the bar's log return ``returns``; any shape, the
    bars along every element."""
    steps = rng.standard_normal((*np.shape(returns), INTRABAR_STEPS)) * (
        np.abs(sigma)[..., None] / np.sqrt(INTRABAR_STEPS)
    )
    walk = np.cumsum(steps, axis=-1)
    frac = np.arange(1, INTRABAR_STEPS + 1) / INTRABAR_STEPS
    bridge = walk - frac * walk[..., -1:] + frac * np.asarray(returns)[..., None]
    return bridge.max(axis=-1), bridge.min(axis=-1)


def bars_from_returns(
    times: pd.Series,
    returns: np.ndarray,
    sigma: np.ndarray,
    start_price: float,
    volume_profile: np.ndarray | None,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """OHLCV bars from close-to-close log returns (see the module notes).

    Parameters
    ----------
    times : pandas.Series
        Bar start times (the calendar).
    returns, sigma : numpy.ndarray
        Log return of each bar and its conditional standard deviation.
    start_price : float
        Close before the first bar.
    volume_profile : numpy.ndarray or None
        Median volume per 30-minute bucket of the day; None for volume 1 on
        every bar and ``attrs["has_volume"]`` False.
    rng : numpy.random.Generator

    Returns
    -------
    pandas.DataFrame
        Bars in the :mod:`fracfire.schema` schema (labels empty), one per ``times``.
    """
    n = len(times)
    log_close = np.log(start_price) + np.cumsum(returns)
    log_open = np.concatenate([[np.log(start_price)], log_close[:-1]])
    up, down = intrabar_extremes(returns, sigma, rng)
    close = np.rint(np.exp(log_close) / TICK_SIZE).astype(np.int64)
    open_ = np.concatenate([[int(round(start_price / TICK_SIZE))], close[:-1]])
    high = np.rint(np.exp(log_open + np.maximum(up, 0)) / TICK_SIZE).astype(np.int64)
    low = np.rint(np.exp(log_open + np.minimum(down, 0)) / TICK_SIZE).astype(np.int64)
    high = np.maximum.reduce([high, open_, close])
    low = np.minimum.reduce([low, open_, close])
    noise = np.exp(VOLUME_NOISE * rng.standard_normal(n) - VOLUME_NOISE**2 / 2)
    if volume_profile is None:
        volume = np.ones(n, dtype=np.int64)
    else:
        volume = np.maximum(1, np.rint(volume_profile[_bucket(times)] * noise)).astype(np.int64)
    empty = pd.Categorical([None] * n)
    labels = {
        "state": empty,
        "session": empty,
        "session_id": number_sessions(times),
        "segment_id": np.zeros(n, dtype=np.int64),
        "macro_regime": empty,
    }
    bars = bars_frame(pd.DatetimeIndex(times), open_, high, low, close, volume, int(open_[0]), labels)
    bars.attrs["has_volume"] = volume_profile is not None
    return bars


def _train_returns(train: pd.DataFrame) -> np.ndarray:
    r, keep = _returns_and_mask(train)
    if keep.sum() < MIN_TRAIN_RETURNS:
        raise ValueError(
            f"peers need at least {MIN_TRAIN_RETURNS} real returns (within sessions) to fit; got {int(keep.sum())}"
        )
    return r[keep]


def gbm_bars(train: pd.DataFrame, calendar: pd.Series, start_price: float, seed: SeedLike = 0) -> pd.DataFrame:
    """Geometric Brownian motion (zero drift) with the real bar volatility."""
    rng = np.random.default_rng(seed)
    sigma = float(np.std(_train_returns(train)))
    returns = rng.normal(0.0, sigma, len(calendar))
    return bars_from_returns(calendar, returns, np.full(len(calendar), sigma), start_price, _volume_profile(train), rng)


def _garch_t(returns: np.ndarray, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Fit a zero-mean GARCH(1,1)-t to ``returns`` and simulate ``n`` steps: (returns, volatility).

    ``arch`` fits in basis points, a scale its optimiser handles well.
    """
    from arch.univariate import GARCH, StudentsT, ZeroMean

    model = ZeroMean(returns * BASIS_POINTS, volatility=GARCH(1, 0, 1), distribution=StudentsT(seed=rng))
    fit = model.fit(disp="off", show_warning=False)
    sim = model.simulate(fit.params, n, burn=500)
    return sim["data"].to_numpy() / BASIS_POINTS, sim["volatility"].to_numpy() / BASIS_POINTS


def garch_t_bars(train: pd.DataFrame, calendar: pd.Series, start_price: float, seed: SeedLike = 0) -> pd.DataFrame:
    """GARCH(1,1) with Student-t innovations, zero mean, fitted with ``arch`` on the real
    bar returns and simulated with its own conditional volatility."""
    rng = np.random.default_rng(seed)
    returns, sigma = _garch_t(_train_returns(train), len(calendar), rng)
    return bars_from_returns(calendar, returns, sigma, start_price, _volume_profile(train), rng)


def intraday_scale(train: pd.DataFrame) -> pd.Series:
    """Intraday volatility profile (Andersen & Bollerslev 1997): mean ``|r|`` of each
    30-minute ET bucket over the mean ``|r|`` of all returns, estimated on ``train``.

    Returns
    -------
    pandas.Series
        Indexed by bucket number (minute of day // 30); mean 1 over the returns.
    """
    r, keep = _returns_and_mask(train)
    by_bucket = pd.Series(np.abs(r[keep])).groupby(_bucket(train["time"])[keep]).mean()
    return by_bucket / np.abs(r[keep]).mean()


def garch_t_deseasonalised_bars(
    train: pd.DataFrame, calendar: pd.Series, start_price: float, seed: SeedLike = 0
) -> pd.DataFrame:
    """GARCH(1,1)-t fitted on deseasonalised returns: the peer a volatility modeller would
    actually fit to intraday bars.

    Each training return is divided by its bucket's :func:`intraday_scale`; a
    zero-mean GARCH(1,1) with Student-t innovations is fitted to those with
    ``arch``, simulated for the calendar, and each simulated return and
    volatility is multiplied back by the profile of its bar's bucket (buckets
    absent from training get 1).
    """
    rng = np.random.default_rng(seed)
    scale = intraday_scale(train)
    r, keep = _returns_and_mask(train)
    if keep.sum() < MIN_TRAIN_RETURNS:
        raise ValueError(
            f"peers need at least {MIN_TRAIN_RETURNS} real returns (within sessions) to fit; got {int(keep.sum())}"
        )
    train_scale = scale.reindex(_bucket(train["time"])[keep]).fillna(1.0).to_numpy()
    returns, sigma = _garch_t(r[keep] / train_scale, len(calendar), rng)
    season = scale.reindex(_bucket(calendar)).fillna(1.0).to_numpy()
    return bars_from_returns(calendar, returns * season, sigma * season, start_price, _volume_profile(train), rng)


def bootstrap_bars(train: pd.DataFrame, calendar: pd.Series, start_price: float, seed: SeedLike = 0) -> pd.DataFrame:
    """Stationary block bootstrap (``arch.bootstrap``) of real bar returns, block length
    from ``optimal_block_length``; the intrabar volatility is the real bar volatility
    of the bar's 30-minute bucket (``sqrt(pi / 2)`` times its mean ``|r|``)."""
    from arch.bootstrap import StationaryBootstrap, optimal_block_length

    rng = np.random.default_rng(seed)
    r = _train_returns(train)
    block = float(max(1.0, optimal_block_length(r)["stationary"].iloc[0]))
    pieces, total = [], 0
    while total < len(calendar):
        sampler = StationaryBootstrap(block, r, seed=rng)  # type: ignore[arg-type]  # a mean block length
        sample = next(iter(sampler.bootstrap(1)))[0][0]
        pieces.append(sample)
        total += len(sample)
    returns = np.concatenate(pieces)[: len(calendar)]
    train_r, keep = _returns_and_mask(train)
    by_bucket = pd.Series(np.abs(train_r[keep])).groupby(_bucket(train["time"])[keep]).mean() * np.sqrt(np.pi / 2)
    sigma = by_bucket.reindex(_bucket(calendar)).fillna(np.std(r)).to_numpy()
    return bars_from_returns(calendar, returns, sigma, start_price, _volume_profile(train), rng)


PEERS = {
    "GBM": gbm_bars,
    "GARCH-t": garch_t_bars,
    "GARCH-t seasonal": garch_t_deseasonalised_bars,
    "bootstrap": bootstrap_bars,
}
"""Peer generators by display name. ``"GARCH-t seasonal"`` is
:func:`garch_t_deseasonalised_bars` (GARCH-t fitted on deseasonalised returns)."""
