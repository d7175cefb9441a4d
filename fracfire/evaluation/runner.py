"""The setup runner behind ``fracfire setups run`` (the seed's ORB trade runner)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd

from fracfire._atomic import atomic_path, write_text_atomic
from fracfire.evaluation.indicators import add_1m_indicators, resample_bars
from fracfire.evaluation.setups import SetupConfig, run_setups, summarize_orb_day_1m
from fracfire.evaluation.trade_features import BadTradeConfig, compute_trade_features, inject_bad_trade_variants

__all__ = ["run_scenario"]


def run_scenario(bars_1m: pd.DataFrame, out_dir: str | os.PathLike, cfg: SetupConfig | None = None,
                 bad_trades: BadTradeConfig | None = None, source: str = "synthetic") -> dict[str, Path]:
    """Run every setup family on ``bars_1m`` and write the scenario folder.

    Writes ``<source>_1m.csv``, ``<source>_5m.csv`` (``synthetic_1m.csv`` as
    in the seed, ``real_1m.csv`` for real bars), ``summary.json``
    (``source``, ``bars_1m`` — the name of the one-minute file —, ``entries``,
    ``outcomes``, ``misses`` — ORB days without a breakout — ``features`` and
    per-kind totals) and ``trades_features.csv``. With ``bad_trades``,
    hesitation/chase variants are added to the outcomes.
    """
    if source not in ("synthetic", "real"):
        raise ValueError(f"source must be 'synthetic' or 'real'; got {source!r}")
    cfg = cfg or SetupConfig()
    out = Path(out_dir)
    df_1m = add_1m_indicators(bars_1m, cfg.indicator_cfg)
    df_5m = resample_bars(bars_1m, "5min")
    outcomes = run_setups(df_1m, df_5m, cfg)
    if bad_trades is not None:
        outcomes = outcomes + inject_bad_trade_variants(df_1m, outcomes, bad_trades)
    features = pd.DataFrame([compute_trade_features(o, df_1m) for o in outcomes])
    orb_days = summarize_orb_day_1m(df_1m, cfg) if cfg.orb.enabled else pd.DataFrame()
    misses = ([{"date": f"{row.date:%Y-%m-%d}", "family": "orb", "reason": "no close beyond the opening range"}
               for row in orb_days.itertuples() if row.entries == 0] if len(orb_days) else [])
    totals = (features.groupby(["kind", "variant"])["r_multiple"].agg(["count", "sum", "mean"]).reset_index()
              .to_dict(orient="records") if len(features) else [])
    summary = {"source": source, "bars_1m": f"{source}_1m.csv",
               "entries": [o.entry.to_dict() for o in outcomes], "outcomes": [o.to_dict() for o in outcomes],
               "misses": misses, "features": features.to_dict(orient="records"), "totals": totals}
    paths = {}
    for name, frame in ((f"{source}_1m.csv", df_1m), (f"{source}_5m.csv", df_5m), ("trades_features.csv", features)):
        with atomic_path(out / name) as tmp:
            frame.to_csv(tmp, index=False)
        paths[name] = out / name
    paths["summary.json"] = write_text_atomic(out / "summary.json", json.dumps(summary, indent=2, default=str))
    return paths
