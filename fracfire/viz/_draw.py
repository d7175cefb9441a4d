"""Vectorised matplotlib drawing primitives (collections, not one patch per bar)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.colors import to_rgba
from matplotlib.ticker import FuncFormatter, MaxNLocator
from matplotlib.transforms import blended_transform_factory

BODY_WIDTH = 0.6


def candle_colors(o: np.ndarray, c: np.ndarray, up: str, down: str) -> np.ndarray:
    """RGBA colour of each candle (``up`` when close >= open)."""
    return np.where((c >= o)[:, None], np.array(to_rgba(up)), np.array(to_rgba(down)))


def _boxes(x: np.ndarray, bottom: np.ndarray, top: np.ndarray) -> np.ndarray:
    """Vertices of one bar-wide rectangle per ``x`` from ``bottom`` to ``top`` (for a PolyCollection)."""
    left, right = x - BODY_WIDTH / 2, x + BODY_WIDTH / 2
    corners = ([left, bottom], [left, top], [right, top], [right, bottom])
    return np.stack([np.column_stack(corner) for corner in corners], axis=1)


def draw_candles(ax, o, h, lo, c, colors) -> None:
    """Wicks as one LineCollection, bodies as one PolyCollection."""
    x = np.arange(len(o), dtype=float)
    wicks = np.stack([np.column_stack([x, lo]), np.column_stack([x, h])], axis=1)
    ax.add_collection(LineCollection(wicks, colors=colors, linewidths=0.8))  # type: ignore[arg-type]  # stubs refuse arrays
    bodies = _boxes(x, np.minimum(o, c), np.maximum(o, c))
    ax.add_collection(PolyCollection(bodies, facecolors=colors, edgecolors=colors, linewidths=0.6))  # type: ignore[arg-type]
    pad = 0.02 * max(float(np.max(h) - np.min(lo)), 1.0)
    ax.set_xlim(-1, len(o))
    ax.set_ylim(float(np.min(lo)) - pad, float(np.max(h)) + pad)


def draw_volume(ax, volume, colors) -> None:
    """Volume bars as one PolyCollection."""
    bars = _boxes(np.arange(len(volume), dtype=float), np.zeros(len(volume)), np.asarray(volume, dtype=float))
    faded = colors.copy()
    faded[:, 3] = 0.6
    ax.add_collection(PolyCollection(bars, facecolors=faded, linewidths=0))  # type: ignore[arg-type]  # stubs refuse arrays
    ax.set_xlim(-1, len(volume))
    ax.set_ylim(0, max(float(np.max(volume)), 1.0) * 1.05)
    ax.yaxis.set_major_formatter(FuncFormatter(compact_number))
    ax.set_ylabel("volume")


def compact_number(value: float, _pos=None) -> str:
    """Tick label for counts: 950, 12k, 1.5M (narrow enough that the axis label is never clipped)."""
    value = float(value)
    for scale, suffix in ((1e6, "M"), (1e3, "k")):
        if abs(value) >= scale:
            return f"{value / scale:.3g}{suffix}"
    return f"{value:.0f}"


def runs(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and end (inclusive) positions of runs of equal labels."""
    change = np.concatenate([[True], labels[1:] != labels[:-1]])
    starts = np.flatnonzero(change)
    ends = np.concatenate([starts[1:], [len(labels)]]) - 1
    return starts, ends


def shade_spans(ax, labels: np.ndarray, colors: dict[str, str]) -> list:
    """Shade the background of each run of ``labels``; one collection per label value."""
    from matplotlib.patches import Patch

    starts, ends = runs(labels)
    transform = blended_transform_factory(ax.transData, ax.transAxes)
    handles = []
    for value in pd.unique(labels[starts]):
        mask = labels[starts] == value
        left, right = starts[mask] - 0.5, ends[mask] + 0.5
        rects = np.stack(
            [
                np.column_stack([left, np.zeros_like(left)]),
                np.column_stack([left, np.ones_like(left)]),
                np.column_stack([right, np.ones_like(left)]),
                np.column_stack([right, np.zeros_like(left)]),
            ],
            axis=1,
        )
        color = colors.get(str(value), "#eeeeee")
        ax.add_collection(
            PolyCollection(
                rects,  # type: ignore[arg-type]  # stubs refuse arrays
                facecolors=color,
                linewidths=0,
                zorder=0,
                transform=transform,
            )
        )
        handles.append(Patch(facecolor=color, edgecolor="#bbbbbb", label=str(value)))
    return handles


LABEL_SPACING_PX = 11.0
"""Least horizontal distance between two state labels (rotated 8-pt text is ~11 px wide)."""


def spaced(positions: np.ndarray, min_gap: float) -> np.ndarray:
    """Mask keeping each position at least ``min_gap`` after the last kept one."""
    keep = np.zeros(len(positions), dtype=bool)
    last = -np.inf
    for i, x in enumerate(positions):
        if x - last >= min_gap:
            keep[i] = True
            last = x
    return keep


def mark_changes(ax, labels: np.ndarray, colors: dict[str, str], max_labels: int) -> list:
    """Dashed line at every change of ``labels`` and a coloured label where it fits.

    Every change gets its line; labels closer than :data:`LABEL_SPACING_PX`
    to the previous label are left out (they would print on top of each
    other), and no labels at all are drawn beyond ``max_labels`` changes.
    """
    from matplotlib.lines import Line2D

    starts, _ = runs(labels)
    transform = blended_transform_factory(ax.transData, ax.transAxes)
    values = labels[starts]
    line_colors = [colors.get(str(v), "#444444") for v in values]
    segments = np.stack(
        [np.column_stack([starts - 0.5, np.zeros(len(starts))]), np.column_stack([starts - 0.5, np.ones(len(starts))])],
        axis=1,
    )
    ax.add_collection(
        LineCollection(
            segments,  # type: ignore[arg-type]  # stubs refuse arrays
            colors=line_colors,
            linewidths=0.8,
            alpha=0.6,
            transform=transform,
        )
    )
    if len(starts) <= max_labels:
        width_px = ax.get_window_extent().width
        bars_per_px = (len(labels) + 1) / max(width_px, 1.0)
        keep = spaced(starts, LABEL_SPACING_PX * bars_per_px)
        for x, value, color in zip(starts[keep], values[keep], np.asarray(line_colors)[keep], strict=True):
            ax.text(
                x,
                0.99,
                str(value),
                color=color,
                rotation=90,
                fontsize=8,
                va="top",
                ha="left",
                transform=transform,
                clip_on=True,
            )
    return [Line2D([], [], color=colors.get(str(v), "#444444"), label=str(v)) for v in pd.unique(values)]


def time_axis(ax, times: pd.Series) -> None:
    """Label integer bar positions with their times (no gaps for closed markets)."""
    span = times.iloc[-1] - times.iloc[0] if len(times) > 1 else pd.Timedelta(0)
    step = times.diff().median() if len(times) > 1 else pd.Timedelta(minutes=1)
    if step >= pd.Timedelta(days=1):
        fmt = "%Y-%m-%d"
    elif span <= pd.Timedelta(days=1):
        fmt = "%H:%M"
    else:
        fmt = "%m-%d %H:%M"
    labels = times.dt.strftime(fmt).to_numpy()

    def label(x, _pos):
        i = int(round(x))
        return labels[i] if 0 <= i < len(labels) else ""

    # About one label per 1.6 inches of axis, so labels never run into each other.
    width_in = ax.get_window_extent().width / ax.figure.dpi
    ax.xaxis.set_major_locator(MaxNLocator(nbins=max(3, min(12, int(width_in / 1.6))), integer=True))
    ax.xaxis.set_major_formatter(FuncFormatter(label))
