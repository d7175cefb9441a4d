"""What a history says about the rest of its session: scale-free features and targets.

Everything here is measured in units of the market's own intraday
volatility profile, so it means the same on ES one-minute bars, NQ
five-minute bars and the engine's output:

* the **profile** ``p[b]`` is the mean absolute close-to-close move (ticks)
  of the bars of each 30-minute ET bucket ``b``, over bars within sessions;
* the **activity ratio** of a set of bars is their mean absolute move over
  the mean of ``p`` at their buckets (1 = an ordinary stretch for that time
  of day).

The features of a cut (the first minute to forecast) are log activity
ratios over several look-backs (the session so far, the last hour, the
previous session, the previous five), the session's move so far in units of
its own volatility, the share of the session left and the time of day: the inputs of a
HAR-style forecast (Corsi 2009). The target is the log of the range still
to come, less its median at that time of day over the fitting sessions
(:meth:`SessionIndex.log_range`, :meth:`SessionIndex.window_spans`):
the range is what a trader sizes stops on, and it carries the volatility
of the whole rest of the session, not only of its bars.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fracfire._typing import DateLike
from fracfire.calendar import (
    INTRADAY_BUCKET_MINUTES,
    INTRADAY_BUCKETS,
    MINUTES_PER_DAY,
    SESSION_MINUTES,
    minute_of_day,
    trading_day_number,
    within_session,
)

__all__ = [
    "COVERAGE_SLACK_MINUTES",
    "FEATURE_NAMES",
    "MIN_PROFILE_BARS",
    "PERSISTENT_FEATURE",
    "SessionIndex",
    "activity_profile",
    "cut_features",
    "persistence",
    "wall_offset",
]

FEATURE_NAMES = (
    "day_so_far",
    "last_hour",
    "previous_session",
    "previous_week",
    "move_so_far",
    "left",
    "time_sin",
    "time_cos",
)
"""Columns of :func:`cut_features`: log activity ratios, |move| in volatility units, share of the session left,
the cut's ET time of day on the unit circle."""
PERSISTENT_FEATURE = "previous_week"
"""The look-back whose activity the level model's forecast starts from (see :func:`persistence`)."""
MIN_PROFILE_BARS = 5
"""Buckets with fewer bars in the fitting data take the profile's median."""
COVERAGE_SLACK_MINUTES = 30
"""A window's outcome counts when the session's bars reach this close to its end (thin minutes may have no bar)."""
_FLOOR = 0.05  # activity ratios are floored before the log (a session so far of flat bars)
_MINUTE_NS = 60_000_000_000


def _moves(bars: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Absolute close-to-close move (ticks) of each bar and whether it follows a bar of the same session."""
    close = bars["close_ticks"].to_numpy(dtype=np.float64)
    move = np.abs(np.diff(close, prepend=close[0]))
    return move, within_session(bars["time"])


def _bucket(bars: pd.DataFrame) -> np.ndarray:
    return minute_of_day(bars["time"]) // INTRADAY_BUCKET_MINUTES


def activity_profile(bars: pd.DataFrame) -> np.ndarray:
    """Mean absolute close-to-close move (ticks) per 30-minute ET bucket, shape (48,).

    Buckets with fewer than :data:`MIN_PROFILE_BARS` bars take the median of
    the others. Raises ``ValueError`` when no bar follows another within a
    session, no bucket has that many bars, or every move is zero.
    """
    move, keep = _moves(bars)
    if not keep.any():
        raise ValueError("activity_profile: no two consecutive bars within a session; need bars of whole sessions")
    bucket = _bucket(bars)[keep]
    sums = np.bincount(bucket, weights=move[keep], minlength=INTRADAY_BUCKETS)
    counts = np.bincount(bucket, minlength=INTRADAY_BUCKETS)
    enough = counts >= MIN_PROFILE_BARS
    if not enough.any():
        raise ValueError(
            f"activity_profile: no 30-minute ET bucket has {MIN_PROFILE_BARS} bars (the most: "
            f"{int(counts.max())}, in {len(bars)} bars); need bars of whole sessions"
        )
    profile = np.where(enough, sums / np.maximum(counts, 1), np.nan)
    fill = np.nanmedian(profile)
    if not np.isfinite(fill) or fill <= 0:
        raise ValueError("activity_profile: every close-to-close move is zero; the bars carry no price changes")
    return np.where(enough & (profile > 0), profile, fill)


class SessionIndex:
    """Bars indexed by session, with what :func:`cut_features` needs precomputed.

    Parameters
    ----------
    bars : pandas.DataFrame
        Bars in time order (real or synthetic, any bar size).
    profile : numpy.ndarray
        :func:`activity_profile` of the fitting data.
    """

    def __init__(self, bars: pd.DataFrame, profile: np.ndarray) -> None:
        self.bars = bars.reset_index(drop=True)
        self.time_ns = self.bars["time"].to_numpy(dtype="datetime64[ns]").astype(np.int64)
        self.day = trading_day_number(self.bars["time"])
        move, keep = _moves(self.bars)
        self.move = np.where(keep, move, np.nan)
        self.expected = profile[_bucket(self.bars)]
        self.days, self.day_start = np.unique(self.day, return_index=True)
        self.day_end = np.append(self.day_start[1:], len(self.bars))
        self._hours: tuple[np.ndarray, np.ndarray] | None = None

    def calendar_hours(self) -> tuple[np.ndarray, np.ndarray]:
        """Each session's calendar close (UTC ns, the end of its last minute) and whether it is a full
        session (:data:`~fracfire.calendar.SESSION_MINUTES` long, not an early close). A session the
        calendar does not know (bars on a holiday) closes at its last bar and counts as full."""
        if self._hours is None:
            from fracfire import calendar

            last_bar = self.time_ns[self.day_end - 1]
            close, full = last_bar.copy(), np.ones(len(self.days), dtype=bool)
            if len(self.days):
                dates = self.days.astype("datetime64[D]")
                frame = calendar.sessions(dates[0], end=dates[-1])
                known = frame["trading_date"].to_numpy(dtype="datetime64[D]")
                at = np.searchsorted(known, dates)
                found = (at < len(known)) & (known[np.minimum(at, len(known) - 1)] == dates)
                opens = frame["open"].to_numpy(dtype="datetime64[ns]").astype(np.int64)
                closes = frame["close"].to_numpy(dtype="datetime64[ns]").astype(np.int64)
                close[found] = closes[at[found]]
                full[found] = closes[at[found]] - opens[at[found]] >= SESSION_MINUTES * _MINUTE_NS
            self._hours = (close, full)
        return self._hours

    def reaches(self, d: int, end_ns: int) -> bool:
        """Whether session ``d`` (an index of :attr:`days`) trades until ``end_ns`` by the calendar and its
        bars reach it: the last bar starts within :data:`COVERAGE_SLACK_MINUTES` of ``end_ns`` (or of the
        close, for an ``end_ns`` after it that the session does not promise)."""
        close, _ = self.calendar_hours()
        if end_ns > close[d]:
            return False
        return bool(self.time_ns[self.day_end[d] - 1] >= end_ns - COVERAGE_SLACK_MINUTES * _MINUTE_NS)

    def ratio(self, lo: int, hi: int) -> float:
        """Activity ratio of rows ``lo:hi`` (NaN without a move)."""
        move = self.move[lo:hi]
        ok = np.isfinite(move)
        if not ok.any():
            return np.nan
        return float(move[ok].mean() / self.expected[lo:hi][ok].mean())

    def row_at(self, cut_ns: int) -> int:
        """Index of the first row at or after ``cut_ns``."""
        return int(np.searchsorted(self.time_ns, cut_ns, side="left"))

    def features(self, cut_ns: int, session_minutes: float) -> np.ndarray:
        """Feature vector (:data:`FEATURE_NAMES`) of the history strictly before ``cut_ns``."""
        row = self.row_at(cut_ns)
        if row == 0:
            raise ValueError("cut_features: no history before the cut")
        cut_day = trading_day_number(np.array([cut_ns], dtype=np.int64))[0]
        d = int(np.searchsorted(self.days, cut_day))  # sessions before index d came before the cut's
        same = d < len(self.days) and self.days[d] == cut_day and self.day_start[d] < row
        start = int(self.day_start[d]) if same else row
        hour_ago = self.row_at(cut_ns - 60 * _MINUTE_NS)
        prev = [(int(self.day_start[i]), int(self.day_end[i])) for i in range(max(0, d - 5), d)]
        so_far = self.ratio(start, row)
        last_hour = self.ratio(hour_ago, row)
        previous = self.ratio(*prev[-1]) if prev else np.nan
        week = self.ratio(prev[0][0], prev[-1][1]) if prev else np.nan
        close = self.bars["close_ticks"].to_numpy()
        if row > start:
            spread = np.nanmean(self.move[start:row]) if np.isfinite(self.move[start:row]).any() else np.nan
            moved = abs(float(close[row - 1] - self.bars["open_ticks"].iloc[start]))
            move_units = moved / (spread * np.sqrt(row - start)) if spread and np.isfinite(spread) else 0.0
        else:
            move_units = 0.0
        elapsed = (cut_ns - self.time_ns[start]) / _MINUTE_NS if row > start else 0.0
        left = float(np.clip(1.0 - elapsed / max(session_minutes, 1.0), 0.0, 1.0))
        logs = [np.log(max(v, _FLOOR)) if np.isfinite(v) else np.nan for v in (so_far, last_hour, previous, week)]
        fallback = next((v for v in (logs[1], logs[0], logs[2], logs[3]) if np.isfinite(v)), 0.0)
        logs = [v if np.isfinite(v) else fallback for v in logs]
        angle = 2 * np.pi * minute_of_day(np.array([cut_ns], dtype=np.int64))[0] / MINUTES_PER_DAY
        return np.array([*logs, move_units, left, np.sin(angle), np.cos(angle)])

    def span(self, cut_ns: int, end_ns: int | None = None) -> tuple[float, float]:
        """Log of the high-low range (ticks) from ``cut_ns`` to ``end_ns`` (default: its session's end)
        within the cut's session, and the close's move (ticks) over it from the last close before the cut;
        NaN, NaN when the session has no bar there, closes before ``end_ns`` (an early close) or its bars
        stop short of the window's end (:meth:`reaches`)."""
        row = self.row_at(cut_ns)  # the cut's own session must have a bar at or after it (none after a close)
        if row >= len(self.day) or self.day[row] != trading_day_number(np.array([cut_ns], dtype=np.int64))[0]:
            return np.nan, np.nan
        d = int(np.searchsorted(self.days, self.day[row]))
        if not self.reaches(d, int(self.calendar_hours()[0][d]) if end_ns is None else end_ns):
            return np.nan, np.nan  # an early close or bars that stop before the window's end
        stop = int(self.day_end[d]) if end_ns is None else min(self.row_at(end_ns), int(self.day_end[d]))
        if stop <= row:
            return np.nan, np.nan
        high = self.bars["high_ticks"].to_numpy()[row:stop].max()
        low = self.bars["low_ticks"].to_numpy()[row:stop].min()
        close = self.bars["close_ticks"].to_numpy()
        before = close[row - 1] if row > 0 else self.bars["open_ticks"].iat[row]
        return float(np.log(max(high - low, 1))), float(close[stop - 1] - before)

    def log_range(self, cut_ns: int, end_ns: int | None = None) -> float:
        """Log of the high-low range from ``cut_ns`` to ``end_ns`` (default: its session's end) within the
        cut's session; NaN when the session has no bar there."""
        return self.span(cut_ns, end_ns)[0]

    def window_spans(
        self, cut_wall: pd.Timedelta, end_wall: pd.Timedelta, before_day: int | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Log range (ticks) and close move (ticks, from the last close before the window) of every session
        over the same ET window (offsets from its trading date's midnight), for sessions with bars before and
        in it (and before ``before_day`` when given)."""
        from fracfire.schema import TIMEZONE

        out = []
        for day in self.days if before_day is None else self.days[self.days < before_day]:
            date = pd.Timestamp(int(day), unit="D")
            at = (date + cut_wall).tz_localize(TIMEZONE, nonexistent="shift_forward", ambiguous=True)
            until = (date + end_wall).tz_localize(TIMEZONE, nonexistent="shift_forward", ambiguous=True)
            value = self.span(int(at.value), int(until.value))
            if np.isfinite(value[0]):
                out.append(value)
        spans = np.array(out, dtype=float).reshape(-1, 2)
        return spans[:, 0], spans[:, 1]


def persistence(X: np.ndarray) -> np.ndarray:
    """The forecast that the last five sessions' activity persists: their log activity ratio, per row of ``X``.

    Log volatility is nearly a unit root over weeks (rough, long-memory
    volatility), so the level model learns the deviation of the target from
    this forecast rather than the target itself: where it knows nothing, it
    says the recent level goes on, not the fitting period's average.
    """
    return np.asarray(X, dtype=np.float64)[:, FEATURE_NAMES.index(PERSISTENT_FEATURE)]


def wall_offset(ts: pd.Timestamp) -> pd.Timedelta:
    """ET wall-clock offset of ``ts`` from the midnight of its trading date (negative on the evening before)."""
    from fracfire.calendar import trading_day_number

    day = trading_day_number(np.array([ts.as_unit("ns").value], dtype=np.int64))[0]
    return ts.tz_convert("America/New_York").tz_localize(None) - pd.Timestamp(int(day), unit="D")


def cut_features(
    history: pd.DataFrame, cut: DateLike, profile: np.ndarray, session_minutes: float = SESSION_MINUTES
) -> np.ndarray:
    """Features (:data:`FEATURE_NAMES`) of ``history`` before ``cut``, in units of ``profile``.

    Parameters
    ----------
    history : pandas.DataFrame
        Bars in time order.
    cut : datetime-like
        First minute to forecast (tz-aware, or naive America/New_York).
    profile : numpy.ndarray
        :func:`activity_profile` of the fitting data.
    session_minutes : float
        Length of the session, for the share left.
    """
    from fracfire.physics.layout import parse_start

    cut_ns = int(parse_start(cut, "cut").as_unit("ns").value)
    return SessionIndex(history, profile).features(cut_ns, session_minutes)
