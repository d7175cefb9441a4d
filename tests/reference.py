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


def geometric_move(w, q, cap):
    """Move size by inversion: the smallest k with w < 1 - q**k, capped at ``cap``."""
    k = 1
    while k < cap and w >= 1.0 - q**k:
        k += 1
    return k
