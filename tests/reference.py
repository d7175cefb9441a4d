"""Slow, obvious reference implementations that the fast code must equal."""

from __future__ import annotations


def bar_geometry(o, h, lo, c, prev_close):
    """Derived tick columns of one bar, written out longhand."""
    top = o if o > c else c
    bottom = c if o > c else o
    return {
        "delta_ticks": c - prev_close,
        "range_ticks": h - lo,
        "body_ticks": top - bottom,
        "upper_wick_ticks": h - top,
        "lower_wick_ticks": bottom - lo,
    }


def uncertainty_zone_levels(x, start_level, eta):
    """Traded level after each efficient price in ``x``: Robert & Rosenbaum's rule, step by step
    (move one tick at a time while ``x`` is ``1/2 + eta`` or more ticks away)."""
    level = start_level
    out = []
    for value in x:
        while value >= level + 0.5 + eta:
            level += 1
        while value <= level - 0.5 - eta:
            level -= 1
        out.append(level)
    return out
