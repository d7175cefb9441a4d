"""The setup runner behind ``fracfire setups run`` (the seed's ORB trade runner)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from fracfire._atomic import atomic_path, write_text_atomic
from fracfire.evaluation.indicators import add_1m_indicators, resample_bars
from fracfire.evaluation.setups import SetupConfig, SetupEntry, SetupOutcome, run_setups, summarize_orb_day_1m
from fracfire.evaluation.trade_features import BadTradeConfig, compute_trade_features, inject_bad_trade_variants
from fracfire.runs import SetupsFolder

__all__ = ["SetupRun", "evaluate_setups", "run_scenario"]


@dataclass(frozen=True)
class SetupRun:
    """Every setup family run on a stretch of bars (:func:`evaluate_setups`), before anything is written.

    Attributes
    ----------
    source : {"synthetic", "real"}
    bars_1m : pandas.DataFrame
        The one-minute bars with their indicators (``ema_fast``, ``ema_slow``, ``vwap``).
    bars_5m : pandas.DataFrame
        The same bars resampled to five minutes.
    outcomes : list of SetupOutcome
        Sorted by entry time (bad-trade variants after the originals).
    features : pandas.DataFrame
        One row of trade features per outcome.
    misses : list of dict
        ORB days without a breakout (``date, family, reason``).
    totals : list of dict
        Count, sum and mean R per ``kind`` and ``variant``.
    """

    source: str
    bars_1m: pd.DataFrame
    bars_5m: pd.DataFrame
    outcomes: list[SetupOutcome]
    features: pd.DataFrame
    misses: list[dict]
    totals: list[dict]

    @property
    def entries(self) -> list[SetupEntry]:
        """The entries of :attr:`outcomes`, for a backtest."""
        return [o.entry for o in self.outcomes]

    def to_dict(self) -> dict:
        """What ``summary.json`` holds: ``source``, ``bars_1m`` (the one-minute file's name), ``entries``,
        ``outcomes``, ``misses``, ``features`` and ``totals``."""
        return {
            "source": self.source,
            "bars_1m": SetupsFolder(Path(".")).bars_1m(self.source).name,
            "entries": [e.to_dict() for e in self.entries],
            "outcomes": [o.to_dict() for o in self.outcomes],
            "misses": self.misses,
            "features": self.features.to_dict(orient="records"),
            "totals": self.totals,
        }

    def summary(self) -> str:
        """One line per family: trades, total and mean R; then the ORB days without a breakout."""
        lines = [f"{len(self.outcomes)} trades on {self.source} bars"]
        lines += [
            f"  {t['kind']} ({t['variant']}): {t['count']} trades, total {t['sum']:+.2f} R, mean {t['mean']:+.2f} R"
            for t in self.totals
        ]
        lines.append(f"{len(self.misses)} ORB day(s) without a breakout")
        return "\n".join(lines)

    def save(self, folder: str | os.PathLike) -> dict[str, Path]:
        """Write the folder (:class:`fracfire.runs.SetupsFolder`), each file atomically; file name -> path."""
        out = SetupsFolder(Path(folder))
        paths = {}
        for path, frame in (
            (out.bars_1m(self.source), self.bars_1m),
            (out.bars_5m(self.source), self.bars_5m),
            (out.trades_features, self.features),
        ):
            with atomic_path(path) as tmp:
                frame.to_csv(tmp, index=False)
            paths[path.name] = path
        paths[out.summary.name] = write_text_atomic(out.summary, json.dumps(self.to_dict(), indent=2, default=str))
        return paths


def evaluate_setups(
    bars_1m: pd.DataFrame,
    cfg: SetupConfig | None = None,
    bad_trades: BadTradeConfig | None = None,
    source: str = "synthetic",
) -> SetupRun:
    """Run every enabled setup family on ``bars_1m`` (see :mod:`fracfire.evaluation.setups` for the rules).

    With ``bad_trades``, hesitation/chase variants are added to the outcomes.
    ``source`` (``"synthetic"`` or ``"real"``) names the bars in what is written.
    """
    if source not in ("synthetic", "real"):
        raise ValueError(f"source must be 'synthetic' or 'real'; got {source!r}")
    cfg = cfg or SetupConfig()
    df_1m = add_1m_indicators(bars_1m, cfg.indicator_cfg)
    df_5m = resample_bars(bars_1m, "5min")
    outcomes = run_setups(df_1m, df_5m, cfg)
    if bad_trades is not None:
        outcomes = outcomes + inject_bad_trade_variants(df_1m, outcomes, bad_trades)
    features = pd.DataFrame([compute_trade_features(o, df_1m) for o in outcomes])
    orb_days = summarize_orb_day_1m(df_1m, cfg) if cfg.orb.enabled else pd.DataFrame()
    misses = (
        [
            {"date": f"{row.date:%Y-%m-%d}", "family": "orb", "reason": "no close beyond the opening range"}
            for row in orb_days.itertuples()
            if row.entries == 0
        ]
        if len(orb_days)
        else []
    )
    totals = (
        features.groupby(["kind", "variant"])["r_multiple"]
        .agg(["count", "sum", "mean"])
        .reset_index()
        .to_dict(orient="records")
        if len(features)
        else []
    )
    return SetupRun(source, df_1m, df_5m, outcomes, features, misses, totals)


def run_scenario(
    bars_1m: pd.DataFrame,
    out_dir: str | os.PathLike,
    cfg: SetupConfig | None = None,
    bad_trades: BadTradeConfig | None = None,
    source: str = "synthetic",
) -> dict[str, Path]:
    """Run every setup family on ``bars_1m`` and write the scenario folder (the seed's runner).

    :func:`evaluate_setups` then :meth:`SetupRun.save`: writes ``<source>_1m.csv``,
    ``<source>_5m.csv`` (``synthetic_1m.csv`` as in the seed, ``real_1m.csv``
    for real bars), ``summary.json`` (:meth:`SetupRun.to_dict`) and
    ``trades_features.csv``; returns file name -> path.
    """
    return evaluate_setups(bars_1m, cfg, bad_trades, source).save(out_dir)
