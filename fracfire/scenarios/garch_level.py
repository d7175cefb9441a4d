"""GARCH(1,1)-t's view of how loud the rest of a session will be, as a level forecast the policy can blend in.

:class:`GarchLevel` fits the scenario experiment's GARCH-t peer
(:class:`~fracfire.scenarios.peers.GarchForecaster`: deseasonalised returns,
Student-t innovations) once on the fitting bars, filters its conditional
variance through a history, and turns the analytic forecast of the variance
still to come into a log ratio against the variance an ordinary stretch at
those times of day would have:

    g = 1/2 log( sum_k s_k^2 E[h_(t+k)] / sum_k s_k^2 h_inf ),
    E[h_(t+k)] = h_inf + phi^(k-1) (h_(t+1) - h_inf),  phi = alpha + beta,

``s_k`` the intraday scale of the ``k``-th bar to come and ``h_inf`` the
unconditional variance. :class:`~fracfire.scenarios.ScenarioPolicy` with
``garch_weight=w`` maps ``g`` to its own target (the log range to come relative
to its median at that time of day) by least squares on the fitting cuts and
averages it with its level model's forecast, weight ``w`` (docs/scenarios.md).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fracfire.realism.peers import BASIS_POINTS, _returns_and_mask
from fracfire.scenarios.peers import GarchForecaster

__all__ = ["GarchLevel", "fit_garch_level", "mapped_level"]


class GarchLevel:
    """GARCH(1,1)-t on deseasonalised returns, fitted once; :meth:`relative` gives ``g`` above.

    Parameters
    ----------
    fit_bars : pandas.DataFrame
        Real bars the GARCH is fitted on (``arch``).
    """

    def __init__(self, fit_bars: pd.DataFrame) -> None:
        self.forecaster = GarchForecaster(fit_bars)
        params = self.forecaster.params
        self.omega = float(params["omega"])
        self.alpha = float(params["alpha[1]"])
        self.beta = float(params["beta[1]"])
        self.phi = min(self.alpha + self.beta, 0.9999)
        self.unconditional = self.omega / (1.0 - self.phi)

    def _filtered(self, bars: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """``h`` (length: in-session returns + 1; ``h[j]`` the variance of the ``j``-th one given those before
        it, deseasonalised, squared basis points; ``h[-1]`` the next one's) and the in-session mask."""
        from scipy.signal import lfilter

        r, keep = _returns_and_mask(bars)
        z = r[keep] / self.forecaster._season(bars["time"])[keep] * BASIS_POINTS
        # h_j = omega + alpha z_(j-1)^2 + beta h_(j-1), from the unconditional variance
        drive = np.concatenate([[self.unconditional], self.omega + self.alpha * z**2])
        return lfilter([1.0], [1.0, -self.beta], drive), keep

    def next_variances(self, bars: pd.DataFrame) -> np.ndarray:
        """For every bar, the filtered variance of the first in-session return at or after it, given the
        returns before it."""
        h, keep = self._filtered(bars)
        return h[np.concatenate([[0], np.cumsum(keep)[:-1]])]

    def relative(self, next_variance: float, future_times) -> float:
        """``g`` for a window whose bars start at ``future_times``, given the next bar's variance."""
        scale = self.forecaster._season(pd.DatetimeIndex(future_times)) ** 2
        if not len(scale):
            return 0.0
        decay = self.phi ** np.arange(len(scale))
        expected = self.unconditional + decay * (next_variance - self.unconditional)
        return float(0.5 * np.log((scale * expected).sum() / (scale.sum() * self.unconditional)))

    def at_cut(self, history: pd.DataFrame, future_times) -> float:
        """``g`` for the bars at ``future_times`` right after ``history``."""
        return self.relative(float(self._filtered(history)[0][-1]), future_times)


def fit_garch_level(
    bars: pd.DataFrame, index, y: np.ndarray, cuts: np.ndarray
) -> tuple[GarchLevel, tuple[float, float]]:
    """GARCH-t fitted on ``bars``, and the least-squares map ``y ~ a + b g`` of its ``g`` at the training
    ``cuts`` (UTC ns) to the level targets ``y``; ``index`` is the policy's
    :class:`~fracfire.scenarios.conditioning.SessionIndex` of ``bars`` (each cut's window: its session's
    bars from the cut to the session's end)."""
    garch = GarchLevel(bars)
    variances = garch.next_variances(index.bars)
    times = index.bars["time"]
    g = np.empty(len(cuts))
    for i, cut in enumerate(cuts):
        row = index.row_at(int(cut))
        end = int(index.day_end[np.searchsorted(index.days, index.day[row])])
        g[i] = garch.relative(float(variances[row]), times.iloc[row:end])
    intercept, slope = np.linalg.lstsq(np.column_stack([np.ones(len(g)), g]), y, rcond=None)[0]
    return garch, (float(intercept), float(slope))


def mapped_level(
    garch: GarchLevel, coef: tuple[float, float], history: pd.DataFrame, cut: pd.Timestamp, bar_minutes: int
) -> float:
    """``a + b g`` at ``cut`` for the rest of its session (bars of ``bar_minutes``), from ``history``'s bars
    before the cut."""
    from fracfire.scenarios.windows import path_minutes, window_minutes

    minutes = window_minutes(cut, path_minutes(cut, "rest-of-session"))
    bars = minutes[(minutes.minute % bar_minutes) == 0] if bar_minutes > 1 else minutes
    return coef[0] + coef[1] * garch.at_cut(history[history["time"] < cut], bars)
