"""Run folders: the one definition of every artifact's name.

The pipeline, the CLI, the setup runner, the backtester and the scenario
result write these files; the HTML report reads them. They all go through the
classes here, so a file is renamed in one place.

A pipeline run folder (:class:`RunLayout`)::

    physics.yaml            calibrated physics
    calibration.json        the calibration's moments and distances (when fitted)
    archetypes/             the archetype library (.work/ holds unfinished builds)
    models/<name>.skops     pre-trained and fine-tuned models
    metrics.json            the fine-tuning comparison (finetune.json: CLI/library ``FinetuneComparison.save``)
    scenario_<source>/      setups on real or synthetic bars (SetupsFolder)
    backtest[_<source>]/    backtests (BacktestFolder)
    realism.json, .md       the realism scorecard
    charts/                 stylized facts, diagnostic windows, synthetic days
    scenarios/              conditional scenarios (ScenariosFolder)
    synthetic.parquet       the bars the report charts
    tracking.json           the MLflow run
    report.html, .png       the report and its screenshot
    .stages/                which stages finished, and with which inputs
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["BacktestFolder", "RunLayout", "ScenariosFolder", "SetupsFolder", "records", "write_json"]


def records(frame: Any) -> list[dict]:
    """A DataFrame as JSON-ready rows: a named index becomes columns, NaN becomes null."""
    if any(name is not None for name in frame.index.names):
        frame = frame.reset_index()
    rows = frame.astype(object).where(frame.notna(), None).to_dict(orient="records")
    return [{str(k): v for k, v in row.items()} for row in rows]


def _json_ready(value: Any) -> Any:
    """``value`` with numpy scalars and arrays as plain numbers and lists, and NaN or infinity as None."""
    if isinstance(value, dict):
        return {k: _json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_json_ready(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def write_json(path: str | os.PathLike, data: Any) -> Path:
    """Write ``data`` as indented, valid JSON, atomically (numpy values become numbers, NaN null, anything else
    ``json`` cannot encode its text); return the path."""
    from fracfire._atomic import write_text_atomic

    return write_text_atomic(path, json.dumps(_json_ready(data), indent=2, default=str, allow_nan=False))


@dataclass(frozen=True)
class _Folder:
    root: Path

    def __post_init__(self) -> None:
        object.__setattr__(self, "root", Path(self.root))  # str or PathLike given


@dataclass(frozen=True)
class BacktestFolder(_Folder):
    """A backtest's files (``BacktestResult.save`` writes them, the report reads them)."""

    @property
    def equity(self) -> Path:
        """Equity curve (``time, equity``)."""
        return self.root / "equity.csv"

    @property
    def trades(self) -> Path:
        """One row per trade."""
        return self.root / "trades.csv"

    @property
    def metrics(self) -> Path:
        """Trading metrics."""
        return self.root / "metrics.json"

    @property
    def config(self) -> Path:
        """The backtest's configuration and source."""
        return self.root / "config.json"


@dataclass(frozen=True)
class SetupsFolder(_Folder):
    """The setup runner's files (:func:`fracfire.evaluation.runner.run_scenario`)."""

    def bars_1m(self, source: str) -> Path:
        """One-minute bars with indicators (``synthetic_1m.csv`` as in the seed, ``real_1m.csv``)."""
        return self.root / f"{source}_1m.csv"

    def bars_5m(self, source: str) -> Path:
        """Five-minute bars."""
        return self.root / f"{source}_5m.csv"

    @property
    def trades_features(self) -> Path:
        """One row of trade features per outcome."""
        return self.root / "trades_features.csv"

    @property
    def summary(self) -> Path:
        """Entries, outcomes, misses, features and totals."""
        return self.root / "summary.json"

    @property
    def trade_plot(self) -> Path:
        """The trades of one session drawn on its bars."""
        return self.root / "trade_plot.png"


@dataclass(frozen=True)
class ScenariosFolder(_Folder):
    """Conditional scenarios (:meth:`fracfire.scenarios.ScenarioResult.save`)."""

    @property
    def bars(self) -> Path:
        """Every continuation, with a ``scenario`` column."""
        return self.root / "scenarios.parquet"

    @property
    def summary(self) -> Path:
        """Quantiles and probabilities."""
        return self.root / "summary.json"

    @property
    def fan(self) -> Path:
        """The fan chart."""
        return self.root / "fan.png"

    @property
    def caption(self) -> Path:
        """What the report says above the fan chart."""
        return self.root / "caption.txt"


@dataclass(frozen=True)
class RunLayout(_Folder):
    """Every artifact of a pipeline run folder (see the module notes for the tree).

    Parameters
    ----------
    root : str or PathLike
        The run folder.

    Examples
    --------
    >>> run = RunLayout("out/run")
    >>> run.model("state_detector").as_posix(), run.backtest("synthetic").root.name
    ('out/run/models/state_detector.skops', 'backtest_synthetic')
    """

    @property
    def physics(self) -> Path:
        """The calibrated physics."""
        return self.root / "physics.yaml"

    @property
    def archetypes(self) -> Path:
        """The archetype library."""
        return self.root / "archetypes"

    @property
    def work(self) -> Path:
        """Unfinished work (library builds), resumed by the next run."""
        return self.root / ".work"

    @property
    def stages(self) -> Path:
        """Stage marks: which stages finished, with which inputs."""
        return self.root / ".stages"

    @property
    def models(self) -> Path:
        """The models folder."""
        return self.root / "models"

    def model(self, name: str) -> Path:
        """A saved model (``state_detector``, ``price_predictor_pretrained``, ...)."""
        return self.models / f"{name}.skops"

    @property
    def metrics(self) -> Path:
        """The fine-tuning comparison (summary and table)."""
        return self.root / "metrics.json"

    def setups(self, source: str) -> SetupsFolder:
        """Setups run on ``source`` bars (``"real"`` or ``"synthetic"``)."""
        return SetupsFolder(self.root / f"scenario_{source}")

    def backtest(self, source: str) -> BacktestFolder:
        """The backtest of ``source`` bars (``backtest/`` for real bars, ``backtest_<source>/`` otherwise)."""
        return BacktestFolder(self.root / ("backtest" if source == "real" else f"backtest_{source}"))

    def backtests(self) -> list[BacktestFolder]:
        """Every backtest folder of the run (also ones written by hand as ``backtest*/``)."""
        return [BacktestFolder(p) for p in sorted(self.root.glob("backtest*")) if p.is_dir()]

    @property
    def calibration(self) -> Path:
        """The calibration's moments and distances (``CalibrationResult.save``)."""
        return self.root / "calibration.json"

    @property
    def finetune(self) -> Path:
        """A fine-tuning comparison on its own (``FinetuneComparison.save``)."""
        return self.root / "finetune.json"

    @property
    def realism_json(self) -> Path:
        """The realism scorecard (data)."""
        return self.root / "realism.json"

    @property
    def realism_md(self) -> Path:
        """The realism scorecard (text)."""
        return self.root / "realism.md"

    @property
    def charts(self) -> Path:
        """Charts."""
        return self.root / "charts"

    @property
    def stylized_facts(self) -> Path:
        """Stylized facts of real and synthetic bars."""
        return self.charts / "stylized_facts.png"

    @property
    def stylized_caption(self) -> Path:
        """The caption of :attr:`stylized_facts`."""
        return self.stylized_facts.with_suffix(".txt")

    @property
    def diagnostic(self) -> Path:
        """Real and synthetic windows side by side (``compare_windows``)."""
        return self.charts / "diagnostic"

    def day_chart(self, day: dt.date) -> Path:
        """The chart of one synthetic day."""
        return self.charts / f"day_{day:%Y-%m-%d}.png"

    @property
    def scenarios(self) -> ScenariosFolder:
        """Conditional scenarios of the first held-out session (``scenarios/``; or the folder itself when
        ``fracfire scenarios --out`` wrote it: its ``summary.json`` beside ``scenarios.parquet``)."""
        own = ScenariosFolder(self.root)
        if not (self.root / "scenarios").is_dir() and own.summary.exists() and own.bars.exists():
            return own
        return ScenariosFolder(self.root / "scenarios")

    @property
    def synthetic(self) -> Path:
        """The synthetic bars the report charts."""
        return self.root / "synthetic.parquet"

    @property
    def tracking(self) -> Path:
        """The MLflow run (id and link)."""
        return self.root / "tracking.json"

    @property
    def report(self) -> Path:
        """The HTML report."""
        return self.root / "report.html"

    @property
    def screenshot(self) -> Path:
        """A screenshot of the report."""
        return self.root / "report.png"
