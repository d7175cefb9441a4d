"""One self-contained HTML report from whatever a run folder holds.

Known artifacts (paths relative to the run folder); a section whose
artifacts are absent is left out:

========================  ==================================================
artifact                  section
========================  ==================================================
``synthetic.parquet``     Generated data: per-state statistics
``charts/*.png``          Generated days (charts)
``charts/diagnostic/``    Real vs synthetic (``*.png`` at any depth)
``realism.json``          Realism scorecard (``summary`` dict, ``table`` records)
``metrics.json``          Model metrics (``table`` records, or any nested dict)
``backtest/``             Backtest: ``equity.csv`` (time, equity) drawn as a
                          curve, ``metrics.json``, ``trades.csv``
``**/trade_plot.png``     Trades
========================  ==================================================

Images are embedded as base64, so the page needs no network or other files.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from fracfire._atomic import write_text_atomic
from fracfire.schema import format_price, is_price_column

__all__ = ["build_report"]

MAX_TABLE_ROWS = 200


@dataclass
class _Table:
    html: str
    caption: str = ""


@dataclass
class _Image:
    data: str
    caption: str
    mime: str = "image/png"


@dataclass
class _Section:
    id: str
    title: str
    text: str = ""
    tables: list[_Table] = field(default_factory=list)
    images: list[_Image] = field(default_factory=list)


def _table(frame: pd.DataFrame, caption: str = "", index: bool = True) -> _Table:
    note = ""
    if len(frame) > MAX_TABLE_ROWS:
        note = f" (first {MAX_TABLE_ROWS} of {len(frame):,} rows)"
        frame = frame.head(MAX_TABLE_ROWS)
    prices = {c: format_price for c in frame.columns if is_price_column(c)}
    html = frame.to_html(classes="data", border=0, index=index, float_format=lambda v: f"{v:,.4g}",
                         formatters=prices, na_rep="")
    return _Table(html, caption + note)


def _image(path: Path, caption: str | None = None) -> _Image:
    return _Image(base64.b64encode(path.read_bytes()).decode("ascii"), caption or path.stem)


def _figure_image(fig, caption: str) -> _Image:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return _Image(base64.b64encode(buffer.getvalue()).decode("ascii"), caption)


def _read_json(path: Path) -> object:
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


def _json_tables(data: object, caption: str) -> list[_Table]:
    tables = []
    if isinstance(data, dict) and isinstance(data.get("summary"), dict):
        summary = pd.DataFrame({"value": pd.Series(_flatten(data["summary"]), dtype=object)})
        tables.append(_table(summary, f"{caption}: summary"))
    if isinstance(data, dict) and isinstance(data.get("table"), list):
        tables.append(_table(pd.DataFrame(data["table"]), caption, index=False))
    if not tables:
        flat = pd.DataFrame({"value": pd.Series(_flatten(data), dtype=object)})
        tables.append(_table(flat, caption))
    return tables


def _generated(run: Path) -> list[_Section]:
    sections = []
    parquet = run / "synthetic.parquet"
    if parquet.exists():
        from fracfire.data.io import read_bars
        from fracfire.physics.utils import compare_states

        bars = read_bars(parquet)
        text = (f"{len(bars):,} one-minute bars from {bars['time'].iloc[0]:%Y-%m-%d %H:%M} "
                f"to {bars['time'].iloc[-1]:%Y-%m-%d %H:%M}.")
        sections.append(_Section("data", "Generated data", text,
                                 tables=[_table(compare_states(bars), "Per-state statistics (ticks)")]))
    charts = sorted((run / "charts").glob("*.png"))
    if charts:
        sections.append(_Section("days", "Generated days", "Candles with state changes and sessions.",
                                 images=[_image(p) for p in charts]))
    return sections


def _backtest(run: Path) -> _Section | None:
    folder = run / "backtest"
    if not folder.is_dir():
        return None
    section = _Section("backtest", "Backtest")
    equity = folder / "equity.csv"
    if equity.exists():
        from fracfire.viz.charts import new_figure

        curve = pd.read_csv(equity, parse_dates=["time"])
        fig, (ax,) = new_figure((14, 4), 100)
        ax.plot(curve["time"], curve["equity"], color="#00796b", linewidth=1.2)
        ax.set_ylabel("equity")
        ax.grid(alpha=0.3)
        ax.set_title("Equity curve")
        section.images.append(_figure_image(fig, "Equity curve"))
    if (folder / "metrics.json").exists():
        section.tables += _json_tables(_read_json(folder / "metrics.json"), "Trading metrics")
    if (folder / "trades.csv").exists():
        section.tables.append(_table(pd.read_csv(folder / "trades.csv"), "Trades", index=False))
    return section if section.images or section.tables else None


def build_report(run_dir: str | os.PathLike, out_path: str | os.PathLike | None = None,
                 title: str = "FracFire report") -> Path:
    """Build ``report.html`` from the artifacts of a run folder.

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

    run = Path(run_dir)
    if not run.is_dir():
        raise FileNotFoundError(f"run folder not found: {run}")
    sections = _generated(run)
    diagnostic = sorted((run / "charts" / "diagnostic").rglob("*.png"))
    if diagnostic:
        sections.append(_Section("real-vs-synthetic", "Real vs synthetic",
                                 images=[_image(p, str(p.relative_to(run / "charts" / "diagnostic")))
                                         for p in diagnostic]))
    if (run / "realism.json").exists():
        sections.append(_Section("realism", "Realism scorecard",
                                 tables=_json_tables(_read_json(run / "realism.json"), "Scorecard")))
    if (run / "metrics.json").exists():
        sections.append(_Section("models", "Model metrics",
                                 tables=_json_tables(_read_json(run / "metrics.json"), "Metrics")))
    backtest = _backtest(run)
    if backtest:
        sections.append(backtest)
    trade_plots = sorted(run.rglob("trade_plot.png"))
    if trade_plots:
        sections.append(_Section("trades", "Trades",
                                 images=[_image(p, str(p.parent.relative_to(run)) or "trades")
                                         for p in trade_plots]))
    env = jinja2.Environment(loader=jinja2.PackageLoader("fracfire.report", "templates"),
                             autoescape=jinja2.select_autoescape(["html", "j2"]))
    html = env.get_template("report.html.j2").render(
        title=title, sections=sections, run_dir=str(run), version=__version__,
        built=dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
    )
    return write_text_atomic(out_path or run / "report.html", html)
