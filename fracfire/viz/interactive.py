"""Interactive charts (Bokeh) for the HTML report: candles with state and session strips, trades, equity.

Bokeh is what backtesting.py draws with; its JavaScript can be embedded
inline (:func:`inline_resources`), so a report that uses these charts is one
self-contained file that works offline. Every figure zooms (box and wheel),
pans and shows values on hover; the panels of one chart share their time axis.

Times are drawn on the exchange's wall clock (America/New_York), which is
what a trader reads on a chart.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from fracfire.schema import format_price
from fracfire.viz._draw import runs
from fracfire.viz.config import SESSION_COLORS, STATE_COLORS

__all__ = ["candle_chart", "equity_chart", "inline_resources", "to_components"]

_TOOLS = "xpan,xwheel_zoom,box_zoom,reset,save"
_UP, _DOWN = "#26a69a", "#ef5350"
_PALETTE = ("#6a1b9a", "#00838f", "#ad1457", "#4e342e", "#283593", "#558b2f")


def _time_figure(width: int, height: int, **kwargs: Any) -> Any:
    """A Bokeh figure on a time axis that pans and wheel-zooms along time (``kwargs``: title, x_range, ...)."""
    from bokeh.plotting import figure

    return figure(
        width=width,
        height=height,
        x_axis_type="datetime",
        tools=_TOOLS,
        active_drag="xpan",
        active_scroll="xwheel_zoom",
        **kwargs,
    )


def _wall(times: pd.Series | pd.DatetimeIndex) -> np.ndarray:
    """Naive America/New_York wall-clock datetimes (what Bokeh's datetime axis should show)."""
    index = pd.DatetimeIndex(times)
    if index.tz is not None:
        index = index.tz_convert("America/New_York").tz_localize(None)
    return index.to_numpy(dtype="datetime64[ns]")


def _colors(labels, base: dict[str, str]) -> dict[str, str]:
    out, spare = {}, iter(_PALETTE * 10)
    for label in dict.fromkeys(labels):
        out[label] = base.get(label) or next(spare)
    return out


def _strip(figure_factory, times: np.ndarray, step: np.timedelta64, labels: np.ndarray, base: dict, name: str):
    """A thin panel of coloured spans, one per run of equal ``labels``, with hover."""
    from bokeh.models import ColumnDataSource, HoverTool

    starts, ends = runs(labels)
    gap = np.flatnonzero(np.diff(times) > step) + 1  # a run never spans a session break or a weekend
    if len(gap):
        starts = np.union1d(starts, gap)
        ends = np.concatenate([starts[1:], [len(labels)]]) - 1
    colors = _colors(labels[starts], base)
    source = ColumnDataSource(
        {
            "left": times[starts],
            "right": times[ends] + step,
            "label": labels[starts].astype(str),
            "color": [colors[v] for v in labels[starts]],
        }
    )
    fig = figure_factory(height=40, y_range=(0, 1))
    fig.quad(left="left", right="right", bottom=0, top=1, color="color", line_color=None, source=source)
    fig.yaxis.axis_label = name
    fig.yaxis.major_label_text_font_size = "0pt"
    fig.yaxis.major_tick_line_color = None
    fig.yaxis.minor_tick_line_color = None
    fig.ygrid.visible = False
    fig.add_tools(
        HoverTool(
            tooltips=[(name, "@label"), ("from", "@left{%F %H:%M}"), ("to", "@right{%F %H:%M}")],
            formatters={"@left": "datetime", "@right": "datetime"},
        )
    )
    return fig


def candle_chart(
    bars: pd.DataFrame,
    trades: pd.DataFrame | None = None,
    timeframe: str | None = "5min",
    title: str = "",
    width: int = 1300,
    height: int = 380,
):
    """Candles with volume, state and session strips and (optionally) trades, zoomable.

    Parameters
    ----------
    bars : pandas.DataFrame
        One-minute bars in the :mod:`fracfire.schema` schema; ``volume``,
        ``state`` and ``session`` are drawn when present (the strips use the
        one-minute labels, so they stay exact at any ``timeframe``).
    trades : pandas.DataFrame, optional
        Backtest trades (``entry_time, exit_time, entry_price, exit_price,
        pnl``; ``kind``, ``direction``, ``r_multiple`` shown on hover): a
        segment from entry to exit, green when ``pnl > 0``, red otherwise.
    timeframe : str or None, default "5min"
        Candle size (None keeps one-minute candles).
    title : str
    width, height : int
        Pixel size of the price panel.

    Returns
    -------
    bokeh.models.GridPlot
        Price, volume and strips sharing one zoomable time axis.
    """
    from bokeh.layouts import gridplot
    from bokeh.models import ColumnDataSource, HoverTool, NumeralTickFormatter

    from fracfire.data.resample import resample_bars, timeframe_minutes

    if bars.empty:
        raise ValueError("candle_chart: bars are empty (0 rows)")
    candles = resample_bars(bars, timeframe) if timeframe else bars
    minutes = timeframe_minutes(timeframe) if timeframe else 1
    step = np.timedelta64(minutes, "m")
    t = _wall(candles["time"])
    o, h, lo, c = (candles[k].to_numpy(float) for k in ("open", "high", "low", "close"))
    up = c >= o
    source = ColumnDataSource(
        {
            "time": t,
            "mid": t + step / 2,
            "open": o,
            "high": h,
            "low": lo,
            "close": c,
            "top": np.maximum(o, c),
            "bottom": np.minimum(o, c),
            "color": np.where(up, _UP, _DOWN),
            "volume": candles["volume"].to_numpy(float) if "volume" in candles else np.zeros(len(candles)),
        }
    )
    price = _time_figure(width, height, title=title or None)
    width_ms = minutes * 60_000 * 0.7
    price.segment("mid", "high", "mid", "low", color="color", source=source)
    bodies = price.vbar("mid", width_ms, "top", "bottom", fill_color="color", line_color="color", source=source)
    price.add_tools(
        HoverTool(
            renderers=[bodies],
            tooltips=[
                ("time", "@time{%F %H:%M}"),
                ("open", "@open{0.00}"),
                ("high", "@high{0.00}"),
                ("low", "@low{0.00}"),
                ("close", "@close{0.00}"),
                ("volume", "@volume{0,0}"),
            ],
            formatters={"@time": "datetime"},
        )
    )
    price.yaxis.formatter = NumeralTickFormatter(format="0.00")
    price.yaxis.axis_label = "price"
    if trades is not None and len(trades):
        _draw_trades(price, trades)

    def strip_figure(height: int, **kwargs):
        return _time_figure(width, height, x_range=price.x_range, **kwargs)

    panels = [price]
    if "volume" in candles and float(candles["volume"].sum()) > 0:
        volume = strip_figure(110)
        volume.vbar("mid", width_ms, "volume", 0, fill_color="color", line_color=None, alpha=0.6, source=source)
        volume.yaxis.axis_label = "volume"
        volume.yaxis.formatter = NumeralTickFormatter(format="0a")
        panels.append(volume)
    one_minute = _wall(bars["time"])
    for column, base in (("state", STATE_COLORS), ("session", SESSION_COLORS)):
        if column in bars and bars[column].notna().any():
            labels = bars[column].astype(object).where(bars[column].notna(), "unlabelled").astype(str).to_numpy()
            panels.append(_strip(strip_figure, one_minute, np.timedelta64(1, "m"), labels, base, column))
    for panel in panels[:-1]:
        panel.xaxis.visible = False
    return gridplot([[p] for p in panels], toolbar_location="right", merge_tools=True)


def _draw_trades(price, trades: pd.DataFrame) -> None:
    from bokeh.models import ColumnDataSource, HoverTool

    win = trades["pnl"].to_numpy(float) > 0
    data = {
        "x0": _wall(pd.to_datetime(trades["entry_time"], utc=True)),
        "x1": _wall(pd.to_datetime(trades["exit_time"], utc=True)),
        "y0": trades["entry_price"].to_numpy(float),
        "y1": trades["exit_price"].to_numpy(float),
        "color": np.where(win, "#1b5e20", "#b71c1c"),
        "pnl": trades["pnl"].to_numpy(float),
        "entry": [format_price(v) for v in trades["entry_price"]],
        "exit": [format_price(v) for v in trades["exit_price"]],
    }
    for column in ("kind", "direction", "exit_reason"):
        data[column] = trades[column].astype(str).to_numpy() if column in trades else [""] * len(trades)
    data["r"] = trades["r_multiple"].to_numpy(float) if "r_multiple" in trades else np.full(len(trades), np.nan)
    source = ColumnDataSource(data)
    lines = price.segment("x0", "y0", "x1", "y1", color="color", line_width=3, alpha=0.85, source=source)
    price.scatter("x0", "y0", marker="triangle", size=8, color="color", source=source)
    price.scatter("x1", "y1", marker="x", size=8, color="color", source=source)
    price.add_tools(
        HoverTool(
            renderers=[lines],
            tooltips=[
                ("trade", "@kind @direction"),
                ("entry", "@x0{%F %H:%M} at @entry"),
                ("exit", "@x1{%F %H:%M} at @exit"),
                ("result", "@pnl{$0,0.00} (@r{0.00}R, @exit_reason)"),
            ],
            formatters={"@x0": "datetime", "@x1": "datetime"},
        )
    )


def equity_chart(equity: pd.Series | pd.DataFrame, title: str = "", width: int = 1300, height: int = 260):
    """Equity curve over a shaded drawdown panel, sharing a zoomable time axis.

    Parameters
    ----------
    equity : pandas.Series or pandas.DataFrame
        Equity indexed by time, or a frame with ``time`` and ``equity``.
    title : str
    width, height : int

    Returns
    -------
    bokeh.models.GridPlot
    """
    from bokeh.layouts import gridplot
    from bokeh.models import ColumnDataSource, HoverTool, NumeralTickFormatter

    if isinstance(equity, pd.DataFrame):
        equity = equity.set_index("time")["equity"]
    if equity.empty:
        raise ValueError("equity_chart: the equity curve is empty")
    values = equity.to_numpy(float)
    peak = np.maximum.accumulate(values)
    drawdown = values / peak - 1.0
    source = ColumnDataSource({"time": _wall(equity.index), "equity": values, "drawdown": drawdown})
    top = _time_figure(width, height, title=title or None)
    line = top.line("time", "equity", source=source, color="#00796b", line_width=1.5)
    top.yaxis.axis_label = "equity ($)"
    top.yaxis.formatter = NumeralTickFormatter(format="$0,0")
    top.xaxis.visible = False
    bottom = _time_figure(width, 120, x_range=top.x_range)
    bottom.varea("time", 0, "drawdown", source=source, color="#c62828", alpha=0.35)
    bottom.yaxis.axis_label = "drawdown"
    bottom.yaxis.formatter = NumeralTickFormatter(format="0%")
    hover = [("time", "@time{%F %H:%M}"), ("equity", "@equity{$0,0.00}"), ("drawdown", "@drawdown{0.00%}")]
    top.add_tools(HoverTool(renderers=[line], tooltips=hover, formatters={"@time": "datetime"}, mode="vline"))
    return gridplot([[top], [bottom]], toolbar_location="right", merge_tools=True)


def to_components(charts: dict[str, Any]) -> tuple[str, dict[str, str]]:
    """``(script, {name: div})`` to embed several charts in one page (one shared Bokeh document)."""
    from bokeh.embed import components

    script, divs = components(charts)
    return script, dict(divs)


def inline_resources() -> str:
    """The Bokeh JavaScript as inline ``<script>`` tags (no CDN: the page works offline)."""
    from bokeh.resources import INLINE

    return INLINE.render_js()
