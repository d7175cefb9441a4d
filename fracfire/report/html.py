"""One self-contained HTML report from whatever a run folder holds: verdicts first, then pictures, tables last.

Known artifacts (paths relative to the run folder); a section whose
artifacts are absent is left out:

===============================  ===========================================
artifact                         used for
===============================  ===========================================
``realism.json``                 Verdict 1 and the scorecard (``summary`` per
                                 generator, ``headline`` facts, ``table``)
``charts/stylized_facts.png``    Real vs synthetic pictures
``charts/diagnostic/``           Real vs synthetic windows (``*.png``)
``metrics.json``                 Verdict 2 and model metrics (``table``: one
                                 row per model, ``summary``)
``backtest*/``                   Verdict 3 and the backtest: ``metrics.json``,
                                 ``equity.csv`` (time, equity),
                                 ``trades.csv``, ``config.json`` (``source``,
                                 ``bars``: the bars file relative to the
                                 folder, ``backtest``: its settings)
``**/trade_plot.png``            Static trade pictures
``scenarios/``                   Scenarios: ``summary.json`` (quantiles,
                                 probabilities), ``fan.png``, ``caption.txt``
``synthetic.parquet``            Generated data: per-state statistics
``charts/*.png``                 Generated days
``tracking.json``                Link to the MLflow run
===============================  ===========================================

Equity curves and the candle charts of the bars a backtest ran on are
interactive Bokeh charts; Bokeh's JavaScript and every image are embedded,
so the page works offline and needs no other file.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd

from fracfire._atomic import write_text_atomic
from fracfire.report.verdicts import Verdict, pretraining_verdict, realism_verdict, setups_verdict
from fracfire.runs import BacktestFolder, RunLayout, SetupsFolder
from fracfire.schema import format_price, is_price_column

__all__ = ["build_report"]

MAX_TABLE_ROWS = 200
MAX_CANDLE_BARS = 60_000
"""Above this many one-minute bars, a candle chart shows the last ones (the page stays fast)."""


@dataclass
class _Table:
    html: str
    caption: str = ""
    folded: bool = False


@dataclass
class _Image:
    data: str
    caption: str
    mime: str = "image/png"


@dataclass
class _Chart:
    name: str
    caption: str
    model: object = field(repr=False)
    div: str = ""


@dataclass
class _Section:
    id: str
    title: str
    text: str = ""
    tables: list[_Table] = field(default_factory=list)
    images: list[_Image] = field(default_factory=list)
    charts: list[_Chart] = field(default_factory=list)
    folded_images: list[_Image] = field(default_factory=list)

    def empty(self) -> bool:
        return not (self.tables or self.images or self.charts or self.folded_images)


def _table(
    frame: pd.DataFrame, caption: str = "", index: bool = True, folded: bool = False, percent: tuple[str, ...] = ()
) -> _Table:
    note = ""
    if len(frame) > MAX_TABLE_ROWS:
        note = f" (first {MAX_TABLE_ROWS} of {len(frame):,} rows)"
        frame = frame.head(MAX_TABLE_ROWS)
    formatters = {c: format_price for c in frame.columns if is_price_column(c)}
    formatters.update({c: _percent for c in percent if c in frame})
    html = frame.to_html(
        classes="data", border=0, index=index, float_format=lambda v: f"{v:,.4g}", formatters=formatters, na_rep=""
    )
    return _Table(html, caption + note, folded)


def _image(path: Path, caption: str | None = None) -> _Image:
    return _Image(base64.b64encode(path.read_bytes()).decode("ascii"), caption or path.stem)


def _percent(value) -> str:
    return "" if pd.isna(value) else f"{100 * value:+.2f} %"


def _read_csv(path: Path) -> pd.DataFrame:
    """A result CSV; a ValueError names the file when it cannot be read."""
    try:
        return pd.read_csv(path)
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: not a readable CSV ({exc})") from None


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not valid JSON ({exc})") from None


def _flatten(data: object, prefix: str = "") -> dict[str, object]:
    if isinstance(data, dict):
        out: dict[str, object] = {}
        for key, value in data.items():
            out.update(_flatten(value, f"{prefix}.{key}" if prefix else str(key)))
        return out
    return {prefix or "value": data}


def _json_tables(data: object, caption: str, folded: bool = False) -> list[_Table]:
    tables = []
    if isinstance(data, dict) and isinstance(data.get("summary"), dict):
        summary = pd.DataFrame({"value": pd.Series(_flatten(data["summary"]), dtype=object)})
        tables.append(_table(summary, f"{caption}: summary", folded=folded))
    if isinstance(data, dict) and isinstance(data.get("table"), list):
        tables.append(_table(pd.DataFrame(data["table"]), caption, index=False, folded=folded))
    if not tables:
        flat = pd.DataFrame({"value": pd.Series(_flatten(data), dtype=object)})
        tables.append(_table(flat, caption, folded=folded))
    return tables


# ---------------------------------------------------------------- backtests
@dataclass
class _Backtest:
    files: BacktestFolder
    source: str
    metrics: dict | None
    config: dict

    @cached_property
    def equity(self) -> pd.Series | None:
        path = self.files.equity
        if not path.exists():
            return None
        curve = _read_csv(path)
        if not {"time", "equity"} <= set(curve.columns):
            raise ValueError(f"{path}: needs 'time' and 'equity' columns; got {list(curve.columns)}")
        time = pd.to_datetime(curve["time"], utc=True).dt.tz_convert("America/New_York")
        return pd.Series(curve["equity"].to_numpy(float), index=pd.DatetimeIndex(time), name="equity")

    @cached_property
    def trades(self) -> pd.DataFrame | None:
        path = self.files.trades
        return _read_csv(path) if path.exists() else None

    def bars(self) -> pd.DataFrame | None:
        name = self.config.get("bars")
        path = (self.files.root / name) if name else None
        if path is None or not path.exists():
            return None
        from fracfire.data.io import read_bars

        return read_bars(path)


def _backtests(run: RunLayout) -> list[_Backtest]:
    found = []
    for files in run.backtests():
        config = _read_json(files.config) if files.config.exists() else {}
        metrics = _read_json(files.metrics) if files.metrics.exists() else None
        source = config.get("source") or files.root.name.removeprefix("backtest").strip("_-") or "backtest"
        found.append(_Backtest(files, str(source), metrics if isinstance(metrics, dict) else None, config))
    # real first: it is the one that matters
    return sorted(found, key=lambda b: (b.source != "real", b.source))


def _calendar_table(daily: pd.DataFrame) -> pd.DataFrame:
    """Daily returns as weeks x weekdays (the trading day's date)."""
    days = pd.to_datetime(daily.index)
    frame = pd.DataFrame(
        {
            "week of": (days - pd.to_timedelta(days.day_of_week, unit="D")).strftime("%Y-%m-%d"),
            "day": days.strftime("%a"),
            "return": daily["return"].to_numpy(),
        }
    )
    grid = frame.pivot_table(index="week of", columns="day", values="return", aggfunc="sum")
    order = [d for d in ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun") if d in grid.columns]
    grid = grid[order]
    weeks = daily.assign(week=frame["week of"].to_numpy()).groupby("week")
    grid["week"] = weeks["pnl"].sum() / weeks["start_equity"].first()
    return grid


def _backtest_section(backtests: list[_Backtest]) -> _Section | None:
    from fracfire.evaluation.metrics import kind_statistics, period_returns
    from fracfire.viz.interactive import equity_chart

    if not backtests:
        return None
    section = _Section(
        "backtest",
        "Backtest",
        "Equity with drawdowns (drag to pan, scroll to zoom, hover for "
        "values), then results per setup family and per day; every trade is in the folded table.",
    )
    for bt in backtests:
        equity = bt.equity
        if equity is not None and len(equity):
            section.charts.append(
                _Chart(
                    f"equity_{bt.source}",
                    f"Equity and drawdown: {bt.source} bars",
                    equity_chart(equity, title=f"Equity on {bt.source} bars"),
                )
            )
        trades = bt.trades
        if trades is not None and len(trades):
            stats = kind_statistics(trades)
            stats["win_rate"] = stats["win_rate"].map(lambda v: f"{100 * v:.1f} %")
            section.tables.append(_table(stats, f"Per setup family ({bt.source} bars)"))
        if equity is not None and len(equity):
            months = period_returns(equity, "month")
            section.tables.append(
                _table(months[["pnl", "return"]], f"Monthly returns ({bt.source} bars)", percent=("return",))
            )
            daily = period_returns(equity, "day")
            section.tables.append(
                _table(
                    _calendar_table(daily),
                    f"Daily returns ({bt.source} bars; week = the week's return)",
                    percent=tuple(_WEEKDAYS),
                )
            )
        if bt.metrics:
            section.tables += _json_tables(bt.metrics, f"All trading metrics ({bt.source} bars)", folded=True)
        if trades is not None:
            section.tables.append(_table(trades, f"Trades ({bt.source} bars)", index=False, folded=True))
    return None if section.empty() else section


_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun", "week")


def _trades_section(run: RunLayout, backtests: list[_Backtest]) -> _Section | None:
    from fracfire.viz.interactive import candle_chart

    section = _Section(
        "trades",
        "Trades",
        "Five-minute candles with every trade drawn from entry (triangle) to "
        "exit (cross), green when it made money, red when it lost; state and session strips below "
        "(one-minute labels). Drag to pan, scroll to zoom, hover for values.",
    )
    for bt in backtests:
        bars = bt.bars()
        if bars is None or bars.empty:
            continue
        note = ""
        if len(bars) > MAX_CANDLE_BARS:
            bars = bars.iloc[-MAX_CANDLE_BARS:]
            note = f" (last {MAX_CANDLE_BARS:,} one-minute bars)"
        trades = bt.trades
        section.charts.append(
            _Chart(
                f"candles_{bt.source}",
                f"Trades on {bt.source} bars{note}",
                candle_chart(bars, trades, title=f"Setups on {bt.source} bars"),
            )
        )
    for path in sorted(run.root.rglob(SetupsFolder(run.root).trade_plot.name)):
        section.folded_images.append(_image(path, f"Static picture: {path.parent.relative_to(run.root)}"))
    return None if section.empty() else section


# ---------------------------------------------------------------- other sections
def _realism_sections(run: RunLayout, realism: object | None) -> list[_Section]:
    sections = []
    pictures = _Section("real-vs-synthetic", "Real vs synthetic")
    stylized = run.stylized_facts
    if stylized.exists():
        caption_file = run.stylized_caption
        caption = (
            caption_file.read_text(encoding="utf-8").strip()
            if caption_file.exists()
            else "Stylized facts, real vs synthetic"
        )
        pictures.images.append(_image(stylized, caption))
    diagnostic = sorted(run.diagnostic.rglob("*.png"))
    pictures.folded_images += [
        _image(p, f"Real and synthetic window: {p.relative_to(run.diagnostic)}") for p in diagnostic
    ]
    if not pictures.empty():
        sections.append(pictures)
    if realism is not None:
        sections.append(
            _Section(
                "realism",
                "Realism scorecard",
                "Every fact, real against each generator (held-out sessions).",
                tables=_json_tables(realism, "Scorecard", folded=True),
            )
        )
    return sections


def _scenarios_section(run: RunLayout) -> _Section | None:
    folder = run.scenarios
    if not folder.summary.exists():
        return None
    summary = _read_json(folder.summary)
    if not isinstance(summary, dict):
        raise ValueError(f"{folder.summary}: expected an object")
    caption = (
        folder.caption.read_text(encoding="utf-8").strip()
        if folder.caption.exists()
        else f"Scenarios from {summary.get('cut')}"
    )
    section = _Section("scenarios", "Scenarios", caption)
    if folder.fan.exists():
        section.images.append(
            _image(folder.fan, "Fan chart: median and 50/80/90 % bands of the scenarios over the real history")
        )
    quantiles = pd.DataFrame(summary.get("quantiles", {})).T
    if len(quantiles):
        section.tables.append(_table(quantiles, "Quantiles of the close, the high, the low and the range to come"))
    probabilities = summary.get("probabilities", {})
    if probabilities:
        section.tables.append(_table(pd.DataFrame({"probability": probabilities}), "Probabilities"))
    return None if section.empty() else section


def _generated(run: RunLayout) -> list[_Section]:
    sections = []
    parquet = run.synthetic
    if parquet.exists():
        from fracfire.data.io import read_bars
        from fracfire.physics.utils import compare_states

        bars = read_bars(parquet)
        text = (
            f"{len(bars):,} one-minute bars from {bars['time'].iloc[0]:%Y-%m-%d %H:%M} "
            f"to {bars['time'].iloc[-1]:%Y-%m-%d %H:%M}."
        )
        sections.append(
            _Section(
                "data", "Generated data", text, tables=[_table(compare_states(bars), "Per-state statistics (ticks)")]
            )
        )
    charts = sorted(run.charts.glob("*.png"))
    charts = [p for p in charts if p != run.stylized_facts]
    if charts:
        sections.append(
            _Section(
                "days", "Generated days", "Candles with state changes and sessions.", images=[_image(p) for p in charts]
            )
        )
    return sections


def _tracking(run: RunLayout) -> dict | None:
    path = run.tracking
    if not path.exists():
        return None
    data = _read_json(path)
    return data if isinstance(data, dict) and data.get("run_id") else None


def build_report(
    run_dir: str | os.PathLike, out_path: str | os.PathLike | None = None, title: str = "FracFire report"
) -> Path:
    """Build ``report.html`` from the artifacts of a run folder.

    The page opens with three verdicts (is the synthetic data realistic, does
    pre-training help, how do the setups trade), each with its evidence and
    the definition of every metric; pictures and interactive charts follow,
    raw tables are folded away at the end of each section.

    Parameters
    ----------
    run_dir : str or PathLike
        Folder a run wrote (see the module docstring for what is read).
    out_path : str or PathLike, optional
        Where to write; default ``<run_dir>/report.html``.
    title : str
        Page title.

    Returns
    -------
    pathlib.Path
        The written report (written atomically).
    """
    import jinja2

    from fracfire import __version__

    run = RunLayout(Path(run_dir))
    if not run.root.is_dir():
        raise FileNotFoundError(f"run folder not found: {run.root}")
    realism = _read_json(run.realism_json) if run.realism_json.exists() else None
    metrics = _read_json(run.metrics) if run.metrics.exists() else None
    backtests = _backtests(run)
    by_source = {b.source: b.metrics for b in backtests}
    verdicts: list[Verdict] = [
        v
        for v in (
            realism_verdict(realism) if isinstance(realism, dict) else None,
            pretraining_verdict(metrics) if isinstance(metrics, dict) else None,
            setups_verdict(
                by_source.get("real"),
                by_source.get("synthetic"),
                next((b.config.get("backtest") for b in backtests if b.config.get("backtest")), None),
                {b.source: b.config.get("dropped_entries") for b in backtests if b.source in ("real", "synthetic")},
            ),
        )
        if v is not None
    ]

    sections = _realism_sections(run, realism)
    if metrics is not None:
        sections.append(
            _Section(
                "models",
                "Model metrics",
                "All model metrics of the run.",
                tables=_json_tables(metrics, "Metrics", folded=True),
            )
        )
    sections += [
        s
        for s in (_backtest_section(backtests), _trades_section(run, backtests), _scenarios_section(run))
        if s is not None
    ]
    sections += _generated(run)

    charts = [c for s in sections for c in s.charts]
    script, resources = "", ""
    if charts:
        from fracfire.viz.interactive import inline_resources, to_components

        script, divs = to_components({c.name: c.model for c in charts})
        for chart in charts:
            chart.div = divs[chart.name]
        resources = inline_resources()
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("fracfire.report", "templates"), autoescape=jinja2.select_autoescape(["html", "j2"])
    )
    html = env.get_template("report.html.j2").render(
        title=title,
        verdicts=verdicts,
        sections=sections,
        run_dir=str(run.root),
        version=__version__,
        built=dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        tracking=_tracking(run),
        bokeh_resources=resources,
        bokeh_script=script,
    )
    return write_text_atomic(out_path or run.report, html)
