"""Summaries of generated (or real) bars: per day, state, session and segment."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from fracfire.schema import format_price, is_price_column

if TYPE_CHECKING:
    from rich.console import Console

__all__ = ["DaySummary", "compare_states", "print_summary", "summarize_day"]

_NEEDED = (
    "time",
    "open",
    "high",
    "low",
    "close",
    "volume",
    "delta_ticks",
    "range_ticks",
    "body_ticks",
    "upper_wick_ticks",
    "lower_wick_ticks",
)


def _require(df: pd.DataFrame, where: str, extra: tuple[str, ...] = ()) -> None:
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"{where} expects a bars DataFrame; got {type(df).__name__}")
    missing = [c for c in (*_NEEDED, *extra) if c not in df.columns]
    if missing:
        raise ValueError(f"{where}: bars are missing columns {missing}")
    if df.empty:
        raise ValueError(f"{where}: bars are empty (0 rows)")


def _group_stats(df: pd.DataFrame, by: str) -> pd.DataFrame:
    grouped = df.groupby(by, observed=True, sort=False)
    stats = pd.DataFrame(
        {
            "bars": grouped.size(),
            "net_move_ticks": grouped["delta_ticks"].sum(),
            "avg_delta_ticks": grouped["delta_ticks"].mean(),
            "avg_abs_delta_ticks": grouped["delta_ticks"].apply(lambda s: s.abs().mean()),
            "avg_range_ticks": grouped["range_ticks"].mean(),
            "avg_body_ticks": grouped["body_ticks"].mean(),
            "avg_upper_wick_ticks": grouped["upper_wick_ticks"].mean(),
            "avg_lower_wick_ticks": grouped["lower_wick_ticks"].mean(),
            "up_pct": grouped["delta_ticks"].apply(lambda s: 100.0 * (s > 0).mean()),
            "avg_volume": grouped["volume"].mean(),
        }
    )
    stats.index.name = by
    return stats


@dataclass(frozen=True)
class DaySummary:
    """What :func:`summarize_day` found.

    Attributes
    ----------
    overall : dict
        ``bars, start, end, open, close, high, low, net_move, net_move_ticks,
        range, range_ticks, avg_delta_ticks, avg_abs_delta_ticks,
        avg_range_ticks, up_bar_pct, total_volume, avg_volume``.
    by_state, by_session, by_segment : pandas.DataFrame
        Per-group statistics (see :func:`compare_states` for the columns);
        empty when the label column is absent.
    """

    overall: dict
    by_state: pd.DataFrame = field(repr=False)
    by_session: pd.DataFrame = field(repr=False)
    by_segment: pd.DataFrame = field(repr=False)

    def summary(self) -> str:
        """One line: bars, net move and range in points."""
        o = self.overall
        return (
            f"{o['bars']} bars {o['start']} -> {o['end']}: net {o['net_move']:+.2f} pts, "
            f"range {o['range']:.2f} pts, avg |delta| {o['avg_abs_delta_ticks']:.2f} ticks"
        )


def summarize_day(df: pd.DataFrame) -> DaySummary:
    """Summarise bars overall and per state, session and segment.

    Parameters
    ----------
    df : pandas.DataFrame
        Bars in the :mod:`fracfire.schema` schema (labels optional).

    Returns
    -------
    DaySummary
    """
    _require(df, "summarize_day")
    high, low = float(df["high"].max()), float(df["low"].min())
    first_open, last_close = float(df["open"].iloc[0]), float(df["close"].iloc[-1])
    net = last_close - first_open
    overall = {
        "bars": len(df),
        "start": df["time"].iloc[0],
        "end": df["time"].iloc[-1],
        "open": first_open,
        "close": last_close,
        "high": high,
        "low": low,
        "net_move": net,
        "net_move_ticks": int(round(net / 0.25)),
        "range": high - low,
        "range_ticks": int(round((high - low) / 0.25)),
        "avg_delta_ticks": float(df["delta_ticks"].mean()),
        "avg_abs_delta_ticks": float(df["delta_ticks"].abs().mean()),
        "avg_range_ticks": float(df["range_ticks"].mean()),
        "up_bar_pct": float(100.0 * (df["delta_ticks"] > 0).mean()),
        "total_volume": int(df["volume"].sum()),
        "avg_volume": float(df["volume"].mean()),
    }
    empty = pd.DataFrame()
    by_segment = empty
    if "segment_id" in df.columns:
        by_segment = _group_stats(df, "segment_id")
        firsts = df.groupby("segment_id", sort=False)[["time"]].first()
        by_segment.insert(0, "start", firsts["time"])
        if "state" in df.columns:
            states = df.groupby("segment_id", sort=False, observed=True)["state"].first()
            by_segment.insert(1, "state", states)
    return DaySummary(
        overall=overall,
        by_state=_group_stats(df, "state") if "state" in df.columns else empty,
        by_session=_group_stats(df, "session") if "session" in df.columns else empty,
        by_segment=by_segment,
    )


def compare_states(df: pd.DataFrame) -> pd.DataFrame:
    """Compare the behaviour of each state in ``df``.

    Parameters
    ----------
    df : pandas.DataFrame
        Bars with a ``state`` column.

    Returns
    -------
    pandas.DataFrame
        Indexed by state, with columns ``bars, net_move_ticks, avg_delta_ticks,
        avg_abs_delta_ticks, avg_range_ticks, avg_body_ticks,
        avg_upper_wick_ticks, avg_lower_wick_ticks, up_pct`` (share of bars
        closing above the previous close, in %) and ``avg_volume``, sorted by
        ``avg_range_ticks``.
    """
    _require(df, "compare_states", ("state",))
    return _group_stats(df, "state").sort_values("avg_range_ticks")


_SHORT = {
    "net_move_ticks": "net",
    "avg_delta_ticks": "Δ",
    "avg_abs_delta_ticks": "|Δ|",
    "avg_range_ticks": "range",
    "avg_body_ticks": "body",
    "avg_upper_wick_ticks": "uwick",
    "avg_lower_wick_ticks": "lwick",
    "up_pct": "up%",
    "avg_volume": "vol",
}
_BRIEF = ["bars", "net_move_ticks", "avg_abs_delta_ticks", "avg_range_ticks", "avg_body_ticks", "up_pct", "avg_volume"]


_POINTS = ("net_move", "range")
"""Point distances of the overall summary, shown like prices (at tick precision)."""


def _cell(name, value) -> str:
    if is_price_column(name) or name in _POINTS:
        return format_price(value)
    if isinstance(value, (float, np.floating)):
        return f"{value:,.1f}"
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def _table(title: str, frame: pd.DataFrame):
    from rich.table import Table

    table = Table(
        title=title,
        title_justify="left",
        caption=("ticks per bar; net = sum of Δ (close - previous close)" if "avg_range_ticks" in frame else None),
    )
    table.add_column(frame.index.name or "", style="bold", no_wrap=True)
    for column in frame.columns:
        table.add_column(_SHORT.get(str(column), str(column)), justify="right", no_wrap=True)
    for index, *values in frame.itertuples(name=None):
        names = [index] if len(frame.columns) == 1 and frame.index.name == "overall" else frame.columns
        cells = [_cell(name, v) for name, v in zip(names, values, strict=True)]
        table.add_row(str(index), *cells)
    return table


def print_summary(summary: DaySummary, verbose: bool = False, console: Console | None = None) -> None:
    """Print a :class:`DaySummary` as rich tables.

    Parameters
    ----------
    summary : DaySummary
        From :func:`summarize_day`.
    verbose : bool, default False
        Print every column (wicks, signed delta) and the per-segment table.
    console : rich.console.Console, optional
        Where to print (default: a new console on stdout).
    """
    if not isinstance(summary, DaySummary):
        raise TypeError(f"print_summary expects a DaySummary from summarize_day; got {type(summary).__name__}")
    from rich.console import Console

    console = console or Console()
    overall = pd.DataFrame({"value": pd.Series(summary.overall, dtype=object)})
    overall.index.name = "overall"
    console.print(_table("Overall", overall))
    for title, frame in (("By state", summary.by_state), ("By session", summary.by_session)):
        if not frame.empty:
            console.print(_table(title, frame if verbose else frame[_BRIEF]))
    if verbose and not summary.by_segment.empty:
        console.print(_table("By segment", summary.by_segment))
