"""The main job behind ``make demo`` (grows as capabilities land)."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
from rich.console import Console

from fracfire._progress import progress_bar
from fracfire.data.io import write_bars
from fracfire.physics import PriceGenerator, print_summary, summarize_day

__all__ = ["run_demo"]


BUNDLED_REAL = Path("data/es_1min_2019-09.csv.gz")
CALIBRATED = Path("configs/physics_calibrated.yaml")


def run_demo(out_dir: str | os.PathLike = "out", seed: int = 7, days: int = 5,
             start: str = "2025-01-06", real: str | os.PathLike | None = BUNDLED_REAL,
             calibrated: str | os.PathLike | None = CALIBRATED,
             console: Console | None = None) -> dict[str, Path]:
    """The main job on the bundled real sample, end to end.

    1. Generate ``days`` synthetic days with automatic transitions; write
       ``<out_dir>/synthetic.parquet`` and one chart per day in ``<out_dir>/charts/``.
    2. If ``real`` exists: score FracFire (default and, if ``calibrated`` exists,
       calibrated) against GBM, GARCH-t and bootstrap on its held-out slice
       (``<out_dir>/realism.json``, ``realism.md``) and chart real vs synthetic
       windows in ``<out_dir>/charts/diagnostic/``.
    3. Build ``<out_dir>/report.html`` and, with Chromium, ``report.png``.

    Returns
    -------
    dict
        Artifact name -> path.
    """
    from fracfire.report import build_report, find_chromium, screenshot
    from fracfire.viz import ChartVisualizer

    console = console or Console()
    out = Path(out_dir)
    gen = PriceGenerator(seed=seed)
    with progress_bar("Generating", days, console) as advance:
        bars = gen.generate_days(start, days, progress=advance)
    artifacts = {"synthetic": write_bars(bars, out / "synthetic.parquet")}
    console.print(f"Wrote {len(bars):,} bars to [bold]{artifacts['synthetic']}[/bold]")
    print_summary(summarize_day(bars.iloc[:1440]), console=console)
    charts = ChartVisualizer()
    with progress_bar("Charting", days, console) as advance:
        for day in range(days):
            one = bars.iloc[day * 1440:(day + 1) * 1440]
            name = f"day_{one['time'].iloc[0]:%Y-%m-%d}"
            artifacts[name] = out / "charts" / f"{name}.png"
            charts.create_chart(one, title=f"Synthetic day {one['time'].iloc[0]:%a %Y-%m-%d} "
                                f"(seed {seed})", save_path=artifacts[name])
            advance(day + 1, days)
    artifacts.update(_archetypes(out, seed, console))
    if real is not None and Path(real).exists():
        artifacts.update(_realism(Path(real), Path(calibrated) if calibrated else None, out, console))
    else:
        console.print(f"No real data at {real}: skipping the realism scorecard.")
    artifacts["report"] = build_report(out, title="FracFire demo")
    console.print(f"Report: [bold]{artifacts['report']}[/bold]")
    if find_chromium():
        artifacts["screenshot"] = screenshot(artifacts["report"], out / "report.png")
        console.print(f"Screenshot: [bold]{artifacts['screenshot']}[/bold]")
    else:
        console.print("Chromium not found: no report screenshot (install Debian's 'chromium').")
    return artifacts


def _realism(real_path: Path, calibrated: Path | None, out: Path, console: Console) -> dict[str, Path]:
    import json

    from fracfire._atomic import write_text_atomic
    from fracfire.data.real import load_continuous_contract
    from fracfire.physics import PhysicsConfig
    from fracfire.realism.compare import compare_generators, compare_windows

    real = load_continuous_contract(real_path)
    console.print(f"Real sample: {len(real):,} bars, {real['segment_id'].nunique()} sessions ({real_path})")
    paths = _setups_and_backtest(real, out, console)
    configs = {"FracFire default": PhysicsConfig()}
    if calibrated is not None and calibrated.exists():
        configs["FracFire calibrated"] = PhysicsConfig.from_yaml(calibrated)
    with progress_bar("Realism scorecard", len(configs) + 3, console, unit="generators") as advance:
        result = compare_generators(real, configs, progress=advance)
    paths["realism"] = write_text_atomic(out / "realism.json", json.dumps(result.to_dict(), indent=2))
    paths["realism_md"] = write_text_atomic(out / "realism.md", result.to_markdown())
    console.print(result.summary.round(3).to_string())
    physics = configs.get("FracFire calibrated", configs["FracFire default"])
    compare_windows(real, physics, out / "charts" / "diagnostic",
                    {"week": (14, 7, ("4h", "4min")), "quarter": (120, 9, ("1D", "15min"))})
    return paths


def _archetypes(out: Path, seed: int, console: Console, days: int = 20) -> dict[str, Path]:
    import shutil

    from fracfire.data.synthetic import ARCHETYPES, build_archetypes, load_archetypes
    from fracfire.physics.utils import compare_states

    library = out / "archetypes"
    if library.exists() and not (library / "manifest.json").exists():
        shutil.rmtree(library)  # an interrupted earlier build
    resume = library.exists()
    with progress_bar("Archetype library", len(ARCHETYPES) * days, console) as advance:
        result = build_archetypes(library, "all", days, seed, resume=resume, progress=advance)
    console.print(result.summary())
    bars = load_archetypes(library)
    rows = []
    for name, frame in bars.groupby("archetype", observed=True):
        table = compare_states(frame)
        rows.append({"archetype": name, "days": frame["day_id"].nunique(),
                     "avg_range_ticks": frame["range_ticks"].mean(),
                     "dominant_state": table["bars"].idxmax(),
                     "net_move_ticks_per_day": frame["delta_ticks"].sum() / frame["day_id"].nunique()})
    console.print(pd.DataFrame(rows).set_index("archetype").round(2).to_string())
    console.print(compare_states(bars).round(2).to_string())
    return {"archetypes": library}


def _setups_and_backtest(real, out: Path, console: Console) -> dict[str, Path]:
    """Setups on the real sample, the best-populated day charted, every entry backtested on MES."""
    import json

    from fracfire._atomic import atomic_path, write_text_atomic
    from fracfire.evaluation import BacktestConfig, run_backtest
    from fracfire.evaluation.runner import run_scenario
    from fracfire.realism.facts import trading_day
    from fracfire.viz import plot_trades

    scenario = out / "scenario"
    paths = run_scenario(real, scenario)
    summary = json.loads(paths["summary.json"].read_text())
    from fracfire.evaluation.setups import SetupEntry

    entries = [SetupEntry(pd.Timestamp(o["entry"]["time"]), o["entry"]["direction"], o["entry"]["kind"],
                          o["entry"]["entry_price"], o["entry"]["stop_price"], o["entry"]["target_price"])
               for o in summary["outcomes"]]
    if summary["outcomes"]:
        days = trading_day(pd.to_datetime(pd.Series([o["entry"]["time"] for o in summary["outcomes"]]), utc=True)
                           .dt.tz_convert("America/New_York"))
        busiest = days.value_counts().index[0]
        day_bars = real[(trading_day(real["time"]) == busiest).to_numpy()]
        rth = day_bars[(day_bars["time"].dt.hour * 60 + day_bars["time"].dt.minute).between(570, 959)]
        chosen = [o for o, d in zip(summary["outcomes"], days, strict=True) if d == busiest]
        plot_trades(rth.reset_index(drop=True), chosen, save_path=scenario / "trade_plot.png",
                    title=f"Setups on the real sample, {busiest}")
    result = run_backtest(real, entries, BacktestConfig(contract="MES", commission=0.62, slippage_ticks=1))
    backtest = out / "backtest"
    with atomic_path(backtest / "equity.csv") as tmp:
        result.equity.rename_axis("time").reset_index().to_csv(tmp, index=False)
    with atomic_path(backtest / "trades.csv") as tmp:
        result.trades.to_csv(tmp, index=False)
    write_text_atomic(backtest / "metrics.json", json.dumps(result.metrics, indent=2, default=str))
    console.print(f"Setups on the real sample: {len(entries)} entries; MES backtest: {result.summary()}")
    return {"scenario": scenario, "backtest": backtest}
