"""Where a scenario starts and ends: cuts, horizons and the minutes between (ET clock, CME Globex sessions),
and the cuts at which the level model learns (:func:`training_examples`)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from fracfire._typing import DateLike
from fracfire._validation import check_int
from fracfire.calendar import MINUTES_PER_DAY, SESSION_MINUTES
from fracfire.scenarios.conditioning import FEATURE_NAMES, SessionIndex

__all__ = [
    "HORIZONS",
    "MAX_CUT_GAP",
    "TRAINING_CUTS",
    "cut_on",
    "next_open",
    "parse_horizon",
    "path_minutes",
    "require_history_up_to",
    "require_trading_minute",
    "split_at",
    "start_price",
    "states_at_cuts",
    "training_examples",
    "window_minutes",
]


HORIZONS = ("rest-of-session", "rth")
"""Named horizons: to the Globex close, or to the 16:00 ET cash close. An int is a number of minutes."""


TRAINING_CUTS = tuple(f"{h:02d}:{m:02d}" for h in (*range(19, 24), *range(0, 16)) for m in (0, 30))
"""ET times at which every fitting session gives the level model one example (19:00 the evening before to 15:30)."""


def path_minutes(cut: pd.Timestamp, horizon) -> pd.Timestamp:
    """End (exclusive) of the paths from ``cut`` for ``horizon`` (see :data:`HORIZONS`)."""
    from fracfire import calendar

    session = calendar.sessions(cut, n_sessions=1)  # the session of cut's trading date
    close = pd.Timestamp(session["close"].iloc[0])
    if isinstance(horizon, (int, np.integer)) and not isinstance(horizon, bool):  # within the session
        return min(cut + pd.Timedelta(minutes=check_int("horizon", horizon, low=1, high=MINUTES_PER_DAY)), close)
    if horizon == "rest-of-session":
        return close
    if horizon == "rth":  # 16:00 ET, or the session's early close before it
        cash = min(cut.normalize() + pd.Timedelta(minutes=calendar.RTH_CLOSE_MINUTE), close)
        if cash <= cut:
            raise ValueError(
                f"horizon 'rth' ends at {cash:%H:%M} ET on {cash:%Y-%m-%d}, but the cut {cut:%Y-%m-%d %H:%M} "
                "is at or after it"
            )
        return cash
    raise ValueError(f"horizon must be one of {HORIZONS} or a number of minutes; got {horizon!r}")


def parse_horizon(text):
    """A horizon from text: a name of :data:`HORIZONS` or a whole number of minutes (1 to a day)."""
    if isinstance(text, str) and text.strip().isdigit():
        text = int(text)
    if isinstance(text, (int, np.integer)) and not isinstance(text, bool):
        return check_int("horizon", text, low=1, high=MINUTES_PER_DAY)
    if text not in HORIZONS:
        raise ValueError(f"horizon must be one of {HORIZONS} or a number of minutes; got {text!r}")
    return text


def split_at(
    bars: pd.DataFrame, at: DateLike, horizon: int | str
) -> tuple[pd.DataFrame, pd.DataFrame, pd.Timestamp, int | str]:
    """History before the cut ``at``, the bars after it up to the horizon (empty if the file stops), the cut.

    Raises ``ValueError`` naming the cut when it falls outside the bars or
    leaves no history.
    """
    from fracfire.physics.layout import parse_start

    cut = parse_start(at, "--at")
    horizon = parse_horizon(horizon)
    first, last = pd.Timestamp(bars["time"].iloc[0]), pd.Timestamp(bars["time"].iloc[-1])
    if not first < cut <= last + pd.Timedelta(days=4):
        raise ValueError(
            f"the cut {cut:%Y-%m-%d %H:%M %Z} is outside the history ({first:%Y-%m-%d %H:%M} to "
            f"{last:%Y-%m-%d %H:%M}); pick a time after its first bar, up to the open of the session "
            "after its last"
        )
    require_trading_minute(cut)
    before = bars["time"] < cut
    end = path_minutes(cut, horizon)
    after = (bars["time"] >= cut) & (bars["time"] < end)
    return bars[before].reset_index(drop=True), bars[after].reset_index(drop=True), cut, horizon


MAX_CUT_GAP = pd.Timedelta(minutes=60)
"""Longest time from the history's last bar to a cut in the same session (quiet overnight
minutes can pass without a bar; a longer gap means the bars before the cut are missing)."""


def require_history_up_to(last: pd.Timestamp, cut: pd.Timestamp, bar_minutes: int, same_session: bool) -> None:
    """Raise ``ValueError`` unless a history whose last bar starts at ``last`` reaches ``cut``: in
    the cut's session (``same_session``), at most :data:`MAX_CUT_GAP` before it; ending in the
    session before, only when the cut is the next session's open."""
    from fracfire import calendar

    after = last + pd.Timedelta(minutes=bar_minutes)
    if not same_session:  # the open of the session after the history's (its last minutes may lack bars)
        opens = pd.Timestamp(calendar.sessions(calendar.next_session_date(after), n_sessions=1)["open"].iloc[0])
        if cut != opens:
            raise ValueError(
                f"the history ends at {last:%Y-%m-%d %H:%M}, before the cut's session opened at "
                f"{opens:%Y-%m-%d %H:%M}: the bars from then up to the cut {cut:%Y-%m-%d %H:%M} are "
                f"missing; pass them, or cut at {opens:%Y-%m-%d %H:%M}"
            )
    elif cut - after > MAX_CUT_GAP:
        minutes = MAX_CUT_GAP // pd.Timedelta(minutes=1)
        raise ValueError(
            f"the history ends at {last:%Y-%m-%d %H:%M}, {(cut - after) // pd.Timedelta(minutes=1)} "
            f"minutes before the cut {cut:%Y-%m-%d %H:%M} (at most {minutes} allowed for quiet minutes "
            "without bars): the model reads the bars just before the cut; pass the history up to the cut"
        )


def require_trading_minute(cut: pd.Timestamp) -> None:
    """Raise ``ValueError`` naming ``cut`` unless the market trades then."""
    from fracfire import calendar

    if not calendar.is_trading_minute(pd.DatetimeIndex([cut]))[0]:
        raise ValueError(
            f"the cut {cut:%Y-%m-%d %H:%M %Z} is not a CME Globex trading minute (a weekend, a holiday or a "
            "break); pick a time the market is open"
        )


def cut_on(date, hhmm: str) -> pd.Timestamp:
    """The ET time ``hhmm`` in the session of trading date ``date`` (18:00 on: the evening before it)."""
    from fracfire.schema import TIMEZONE

    date = pd.Timestamp(date)
    day = date - pd.Timedelta(days=1) if int(hhmm[:2]) >= 18 else date
    return pd.Timestamp(f"{day:%Y-%m-%d} {hhmm}").tz_localize(TIMEZONE, nonexistent="shift_forward", ambiguous=True)


def window_minutes(start: pd.Timestamp, end: pd.Timestamp) -> pd.DatetimeIndex:
    """The Globex minutes of a path from ``start`` (a trading minute) to ``end`` (within its session)."""
    from fracfire.physics.layout import path_layout
    from fracfire.schema import TIMEZONE

    ns = path_layout(start, end, 1).utc_ns
    return pd.DatetimeIndex(ns.view("datetime64[ns]")).tz_localize("UTC").tz_convert(TIMEZONE)


def next_open(when: pd.Timestamp) -> pd.Timestamp:
    """``when`` if the market trades then, else the open of the next session (a history ending at a close)."""
    from fracfire import calendar

    if calendar.is_trading_minute(pd.DatetimeIndex([when]))[0]:
        return when
    session = calendar.sessions(calendar.next_session_date(when), n_sessions=1)
    return pd.Timestamp(session["open"].iloc[0])


def start_price(price: float) -> float:
    """A path's first price: ``price`` on the tick grid, at least the engine's lowest initial price."""
    from fracfire.physics.generator import MIN_INITIAL_PRICE
    from fracfire.schema import TICK_SIZE

    return max(round(float(price) / TICK_SIZE) * TICK_SIZE, MIN_INITIAL_PRICE)


def training_examples(index: SessionIndex, cuts=TRAINING_CUTS) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Features, targets and cut times (UTC ns) of every session of ``index`` at every ET time in ``cuts``.

    The target is the log range to the session's end less its median over
    the sessions at the same time of day. Early-close sessions give no
    example: their range to a 13:00 close is not a full session's rest.
    """
    dates = pd.to_datetime(index.days.astype("datetime64[D]"))
    full = index.calendar_hours()[1]
    X, y, label, at = [], [], [], []
    for date in dates[full]:
        for hhmm in cuts:
            ns = int(cut_on(date, hhmm).as_unit("ns").value)
            target = index.log_range(ns)
            if np.isfinite(target):
                X.append(index.features(ns, SESSION_MINUTES))
                y.append(target)
                label.append(hhmm)
                at.append(ns)
    targets, cut_label = np.array(y), np.array(label)
    for hhmm in set(label):
        targets[cut_label == hhmm] -= np.median(targets[cut_label == hhmm])
    return np.array(X).reshape(-1, len(FEATURE_NAMES)), targets, np.array(at, dtype=np.int64)


def states_at_cuts(index: SessionIndex, states, cuts: np.ndarray) -> np.ndarray:
    """The state in force at each cut (UTC ns): the label of ``index``'s last bar before it.

    ``states`` holds one label per bar of ``index.bars`` (the library's true
    states, or those :func:`~fracfire.physics.infer_states` finds in real bars).
    """
    labels = np.asarray(states).astype(str)
    if len(labels) != len(index.bars):
        raise ValueError(f"states must have one label per bar ({len(index.bars)}); got {len(labels)}")
    rows = np.array([max(index.row_at(int(c)) - 1, 0) for c in cuts], dtype=np.int64)
    return labels[rows]


MAX_DRIFT_SPREAD = 2.0
"""Largest drift spread, in units of the probe's: beyond it the interpolation between probes is a guess."""


def _drift_spread(market: float, plain: float, drifting: float, probe: float) -> float:
    """The per-path drift spread whose paths stray as far for their range as the market's sessions do.

    ``market``, ``plain`` and ``drifting`` are mean squares of the close's
    move over the range travelled (one ratio per session or path: scale-free,
    so neither the market's day-to-day volatility nor the paths' volatility
    spread enters it) for the market over the window and for probe paths
    without a drift spread and with ``probe``, which share their random
    numbers. The mean square grows about linearly in the drift's variance
    ``x = spread**2``, so ``x = (market - plain) / slope``, ``slope = (drifting
    - plain) / probe**2``: 0 when the paths already stray as far (the market
    reverts more than the engine) or the probe showed no effect, at most
    :data:`MAX_DRIFT_SPREAD` probes and the engine's limit.
    """
    from fracfire.physics.tilt import MAX_TILT_DRIFT

    slope = (drifting - plain) / probe**2
    if not (np.isfinite(market) and np.isfinite(slope)) or slope <= 0 or market <= plain:
        return 0.0
    return float(min(np.sqrt((market - plain) / slope), MAX_DRIFT_SPREAD * probe, MAX_TILT_DRIFT))
