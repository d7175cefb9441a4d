"""The forecasts a quant would compare the policy with, as samples of the outcomes to come.

Each peer returns, for one cut, ``n`` samples of the session's close and of
the high and low to come (arrays of prices), from information available at
the cut only:

* :func:`garch_outcomes`: a zero-mean GARCH(1,1) with Student-t innovations
  (``arch``) fitted on the fitting bars' returns deseasonalised by the
  intraday volatility profile, filtered through the whole history up to the
  cut with the fitted parameters, simulated forward ``n`` times and
  re-seasonalised; highs and lows from a Brownian bridge inside each bar
  (as :func:`fracfire.realism.peers.bars_from_returns` does);
* :func:`analog_outcomes`: the historical-analog bootstrap: the sessions
  before the cut whose morning looked most like this one (activity so far
  and over the last hour, at the same time of day), and what they did from
  the same time on, applied to the last close as relative moves.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fracfire.calendar import INTRADAY_BUCKET_MINUTES, SESSION_MINUTES, minute_of_day
from fracfire.realism.peers import BASIS_POINTS, _returns_and_mask, intrabar_extremes, intraday_scale

__all__ = ["ANALOGS", "GarchForecaster", "analog_outcomes", "garch_outcomes"]

ANALOGS = 10
"""Sessions the analog bootstrap draws from (fewer when fewer came before)."""


class GarchForecaster:
    """GARCH(1,1)-t on deseasonalised returns, fitted once, filtered and simulated per cut."""

    def __init__(self, fit_bars: pd.DataFrame) -> None:
        from arch.univariate import GARCH, StudentsT, ZeroMean

        self.scale = intraday_scale(fit_bars)
        r, keep = _returns_and_mask(fit_bars)
        season = self._season(fit_bars["time"])
        model = ZeroMean(r[keep] / season[keep] * BASIS_POINTS, volatility=GARCH(1, 0, 1), distribution=StudentsT())
        self.params = model.fit(disp="off", show_warning=False).params

    def _season(self, times) -> np.ndarray:
        bucket = minute_of_day(times) // INTRADAY_BUCKET_MINUTES
        return self.scale.reindex(bucket).fillna(1.0).to_numpy()

    def outcomes(
        self, history: pd.DataFrame, future_times: pd.DatetimeIndex, n: int, rng: np.random.Generator
    ) -> dict[str, np.ndarray]:
        """``n`` samples of ``close``, ``high`` and ``low`` over ``future_times`` (bar starts)."""
        from arch.univariate import GARCH, StudentsT, ZeroMean

        r, keep = _returns_and_mask(history)
        z = r[keep] / self._season(history["time"])[keep] * BASIS_POINTS
        model = ZeroMean(z, volatility=GARCH(1, 0, 1), distribution=StudentsT(seed=rng))
        fixed = model.fix(self.params)
        h = len(future_times)
        forecast = fixed.forecast(horizon=h, method="simulation", simulations=n, reindex=False, random_state=None)
        season = self._season(future_times)[None, :]
        assert forecast.simulations.values is not None and forecast.simulations.variances is not None
        returns = forecast.simulations.values[-1] / BASIS_POINTS * season
        sigma = np.sqrt(forecast.simulations.variances[-1]) / BASIS_POINTS * season
        return _bridge_outcomes(float(history["close"].iloc[-1]), returns, sigma, rng)


def _bridge_outcomes(
    last: float, returns: np.ndarray, sigma: np.ndarray, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """Close, high and low of paths of bar log returns, with a Brownian bridge inside each bar."""
    log_close = np.cumsum(returns, axis=1)
    log_open = np.concatenate([np.zeros((len(returns), 1)), log_close[:, :-1]], axis=1)
    up, down = intrabar_extremes(returns, sigma, rng)
    high = np.maximum((log_open + up).max(axis=1), 0.0)
    low = np.minimum((log_open + down).min(axis=1), 0.0)
    return {"close": last * np.exp(log_close[:, -1]), "high": last * np.exp(high), "low": last * np.exp(low)}


def garch_outcomes(
    fit_bars: pd.DataFrame, history: pd.DataFrame, future_times: pd.DatetimeIndex, n: int, seed=0
) -> dict[str, np.ndarray]:
    """One-shot :class:`GarchForecaster` (fit, filter, simulate)."""
    return GarchForecaster(fit_bars).outcomes(history, future_times, n, np.random.default_rng(seed))


def analog_outcomes(
    index, cut_ns: int, end_ns: int, last_close: float, n: int, rng: np.random.Generator, analogs: int = ANALOGS
) -> dict[str, np.ndarray]:
    """Analog bootstrap from the sessions of ``index`` (a SessionIndex) before the cut's session that trade
    over the whole window (no early close before its end).

    Similarity is the Euclidean distance between the standardised log
    activity ratios of the session so far and of the last hour at the same
    ET time of day; the ``analogs`` nearest sessions are drawn uniformly.
    Raises ``ValueError`` when no earlier session reaches that time of day.
    """
    from fracfire.calendar import trading_day_number
    from fracfire.schema import TIMEZONE

    minute_ns = 60_000_000_000
    cut_day = trading_day_number(np.array([cut_ns], dtype=np.int64))[0]
    date = pd.Timestamp(int(cut_day), unit="D")
    cut_wall = pd.Timestamp(cut_ns, unit="ns", tz="UTC").tz_convert(TIMEZONE).tz_localize(None) - date
    end_wall = pd.Timestamp(end_ns, unit="ns", tz="UTC").tz_convert(TIMEZONE).tz_localize(None) - date
    current = index.features(cut_ns, SESSION_MINUTES)[:2]
    rows, moves = [], []
    close = index.bars["close"].to_numpy(dtype=float)
    high = index.bars["high"].to_numpy(dtype=float)
    low = index.bars["low"].to_numpy(dtype=float)
    for day in index.days[index.days < cut_day]:
        other = pd.Timestamp(int(day), unit="D")
        at = int((other + cut_wall).tz_localize(TIMEZONE, nonexistent="shift_forward", ambiguous=True).value)
        until = int((other + end_wall).tz_localize(TIMEZONE, nonexistent="shift_forward", ambiguous=True).value)
        a, b = index.row_at(at), index.row_at(until)
        d = int(np.searchsorted(index.days, day))
        if a == 0 or a >= b or index.day[a - 1] != day or index.day[a] != day:
            continue
        if index.time_ns[a] - at > 5 * minute_ns or not index.reaches(d, until):
            continue  # no bar near the cut time, or the session closed early or its bars stop short
        b = min(b, int(index.day_end[d]))
        price = close[a - 1]
        rows.append(index.features(at, SESSION_MINUTES)[:2])
        moves.append(
            (
                np.log(close[b - 1] / price),
                np.log(max(high[a:b].max(), price) / price),
                np.log(min(low[a:b].min(), price) / price),
            )
        )
    if not rows:
        raise ValueError("analog bootstrap: no earlier session reaches this time of day")
    features, outcomes = np.array(rows), np.array(moves)
    spread = features.std(axis=0)
    distance = np.sqrt((((features - current) / np.where(spread > 0, spread, 1.0)) ** 2).sum(axis=1))
    nearest = np.argsort(distance, kind="stable")[:analogs]
    pick = outcomes[rng.choice(nearest, size=n)]
    return {
        "close": last_close * np.exp(pick[:, 0]),
        "high": last_close * np.exp(pick[:, 1]),
        "low": last_close * np.exp(pick[:, 2]),
    }
