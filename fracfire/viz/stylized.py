"""Real vs synthetic stylized facts as pictures (one figure of eight panels)."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

__all__ = ["plot_stylized_facts"]

_REAL, _SYN = "#263238", "#e65100"


def _within_sessions(bars: pd.DataFrame, step: int = 1) -> np.ndarray:
    """Mask of the consecutive pairs of ``bars`` not split by a session break (``step`` bars apart at most)."""
    from fracfire.calendar import within_session

    return within_session(bars["time"], step)[1:]


def _daily(bars: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Daily range (points) and log realised variance (sum of squared 1-min returns) per full Globex day."""
    from fracfire.calendar import trading_day_number
    from fracfire.realism.facts import daily_bars

    days = daily_bars(bars)
    days = days[days["bars"] >= 0.5 * days["bars"].max()]
    keep = _within_sessions(bars)
    r = np.diff(np.log(bars["close"].to_numpy(float)))[keep]
    rv = pd.Series(r**2).groupby(trading_day_number(bars["time"])[1:][keep]).sum()
    rv = rv[rv.index.isin(days["day"]) & (rv > 0)]
    return (days["high"] - days["low"]).to_numpy(float), np.log(rv.to_numpy(float))


def _tick_changes(bars: pd.DataFrame, step: int) -> np.ndarray:
    """Close-to-close changes in ticks over ``step`` bars, within sessions."""
    sub = bars.iloc[::step]
    return np.diff(sub["close_ticks"].to_numpy(np.int64))[_within_sessions(sub, step)]


def plot_stylized_facts(
    real: pd.DataFrame,
    synthetic: pd.DataFrame,
    name: str = "FracFire",
    save_path: str | os.PathLike | None = None,
    acf_lags: int = 120,
):
    """Eight panels comparing real and synthetic one-minute bars.

    Distribution of one-minute close changes in ticks (log scale) and a QQ
    plot of five-minute changes, ACF of ``|r|``, intraday
    profiles of ``|r|`` and volume (30-minute buckets, ET), daily range
    histogram, ACF of log daily realised variance and the body/range
    distribution of regular-hours bars.

    Parameters
    ----------
    real, synthetic : pandas.DataFrame
        One-minute bars in the :mod:`fracfire.schema` schema.
    name : str
        Legend label of the synthetic bars.
    save_path : str or PathLike, optional
        Write a PNG there (atomically).
    acf_lags : int
        Lags of the ``|r|`` ACF panel (minutes).

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from fracfire.realism.facts import acf, has_volume, intraday_profile, log_returns, rth_mask
    from fracfire.viz.charts import save_figure

    fig = Figure(figsize=(18, 8.5), dpi=100)
    FigureCanvasAgg(fig)
    axes = fig.subplots(2, 4).ravel()
    series = {"real": real, name: synthetic}
    colors = {"real": _REAL, name: _SYN}
    returns = {k: log_returns(v) * 1e4 for k, v in series.items()}  # basis points

    ax = axes[0]
    changes = {k: _tick_changes(v, 1) for k, v in series.items()}
    edge = int(max(np.quantile(np.abs(c), 0.9995) for c in changes.values()))
    support = np.arange(-edge, edge + 1)
    for k, c in changes.items():
        mass = np.bincount(np.clip(c, -edge, edge) + edge, minlength=2 * edge + 1) / len(c)
        ax.semilogy(support, np.where(mass > 0, mass, np.nan), "o-", markersize=2.5, color=colors[k], label=k)
    ax.set(title="1-min close change: probability (log)", xlabel="ticks")
    ax.legend(fontsize=8)

    ax = axes[1]
    probs = np.linspace(0.002, 0.998, 250)
    qr, qs = (np.quantile(_tick_changes(v, 5), probs) for v in series.values())
    ax.plot(qr, qs, ".", color=_SYN, markersize=3)
    lim = [min(qr[0], qs[0]), max(qr[-1], qs[-1])]
    ax.plot(lim, lim, color=_REAL, linewidth=0.8)
    ax.set(title=f"QQ of 5-min changes: {name} vs real", xlabel="real (ticks)", ylabel=f"{name} (ticks)")

    ax = axes[2]
    for k, r in returns.items():
        ax.plot(np.arange(1, acf_lags + 1), acf(np.abs(r), acf_lags), color=colors[k], label=k)
    ax.axhline(0, color="#999", linewidth=0.6)
    ax.set(title="ACF of |r| (volatility clustering)", xlabel="lag (minutes)")

    profiles = {k: intraday_profile(v) for k, v in series.items()}
    for ax, column, title in (
        (axes[3], "abs_return", "Intraday mean |r| (bp)"),
        (axes[4], "volume", "Intraday mean volume"),
    ):
        for k, p in profiles.items():
            if column == "volume" and not has_volume(series[k]):
                continue
            scale = 1e4 if column == "abs_return" else 1.0
            ax.plot(p.index / 60.0, p[column] * scale, color=colors[k], label=k)
        ax.set(title=title + " by 30-min bucket (ET)", xlabel="hour of day (ET)")
        ax.set_xticks(range(0, 25, 3))

    daily = {k: _daily(v) for k, v in series.items()}
    ax = axes[5]
    top = max(float(np.max(d[0])) for d in daily.values() if len(d[0]))
    for k, (ranges, _) in daily.items():
        ax.hist(
            ranges,
            bins=np.linspace(0, top, 16),
            histtype="step",
            linewidth=1.5,
            color=colors[k],
            label=f"{k} ({len(ranges)} days)",
        )
    ax.set(title="Daily range", xlabel="points")
    ax.legend(fontsize=8)

    ax = axes[6]
    n_days = min(len(d[1]) for d in daily.values())
    lags = max(1, min(10, n_days // 3))
    for k, (_, log_rv) in daily.items():
        ax.plot(np.arange(1, lags + 1), acf(log_rv, lags), "o-", color=colors[k], label=k)
    ax.axhline(0, color="#999", linewidth=0.6)
    ax.set(title=f"ACF of log daily realised variance ({n_days} days)", xlabel="lag (days)")
    if n_days < 40:
        ax.text(0.02, 0.04, f"only {n_days} days: lags are noisy", transform=ax.transAxes, fontsize=8, color="#b71c1c")

    ax = axes[7]
    for k, bars in series.items():
        rth = bars[rth_mask(bars)]
        moving = rth["range_ticks"].to_numpy(float) > 0
        share = rth["body_ticks"].to_numpy(float)[moving] / rth["range_ticks"].to_numpy(float)[moving]
        ax.hist(
            share,
            bins=np.linspace(0, 1, 21),
            density=True,
            histtype="step",
            linewidth=1.5,
            color=colors[k],
            label=f"{k} (mean {share.mean():.2f})",
        )
    ax.set(title="Body / range of RTH 1-min bars", xlabel="body / range")
    ax.legend(fontsize=8)
    for ax in axes:
        ax.grid(alpha=0.25)
        ax.tick_params(labelsize=8)
    fig.tight_layout()
    if save_path is not None:
        save_figure(fig, save_path)
    return fig
