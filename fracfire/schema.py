"""The bars schema shared by the generator, the loaders, setups and backtests.

A bars DataFrame has one row per one-minute bar and these columns:

=================  ==============================  ===========================================
column             dtype                           meaning
=================  ==============================  ===========================================
time               datetime64[ns, America/New_York] bar start
open/high/low/close float64                        prices on the 0.25 grid
volume             int64                           contracts (> 0)
open_ticks ...     int64                           prices / 0.25 (open, high, low, close)
delta_ticks        int64                           close minus the previous bar's close
range_ticks        int64                           high - low
body_ticks         int64                           abs(close - open)
upper_wick_ticks   int64                           high - max(open, close)
lower_wick_ticks   int64                           min(open, close) - low
state              category                        minute-level market state label
session            category                        asian, london, premarket, rth, afterhours
session_id         int64                           trading session, from 0 (:func:`fracfire.calendar.number_sessions`)
segment_id         int64                           run of bars sharing a state (or fixed segment)
macro_regime       category                        day-level regime label
=================  ==============================  ===========================================

:func:`check_bars` is the one validator every layer uses.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fracfire.exceptions import BarsValidationError

__all__ = [
    "BAR_COLUMNS",
    "LABEL_COLUMNS",
    "PRICE_COLUMNS",
    "TICK_COLUMNS",
    "EARLIEST_TIME",
    "LATEST_TIME",
    "MAX_PRICE",
    "MAX_VOLUME",
    "has_volume",
    "TICK_SIZE",
    "TIMEZONE",
    "bad_values",
    "bars_frame",
    "check_bars",
    "check_ohlc",
    "format_price",
    "is_price_column",
]

TICK_SIZE = 0.25
TIMEZONE = "America/New_York"
MAX_PRICE = 1_000_000.0
"""Largest price accepted anywhere (points): far above any equity index future, far
below where ticks stop fitting in int64 or prices lose their 0.25 grid in float64."""
MAX_VOLUME = 10**12
"""Largest volume of one bar accepted anywhere (contracts)."""
PRICE_DECIMALS = 2
"""Decimals that show every price on the 0.25 grid exactly (2919.25, 2919.50)."""
EARLIEST_TIME = pd.Timestamp("1980-01-01")
LATEST_TIME = pd.Timestamp("2100-01-01")
"""Bar times (naive UTC or wall clock) outside [EARLIEST_TIME, LATEST_TIME) are refused as misread, e.g. an
epoch in the wrong unit or a row number read as a time."""
PRICE_COLUMNS = ("open", "high", "low", "close")
TICK_COLUMNS = (
    "open_ticks",
    "high_ticks",
    "low_ticks",
    "close_ticks",
    "delta_ticks",
    "range_ticks",
    "body_ticks",
    "upper_wick_ticks",
    "lower_wick_ticks",
)
_MAX_TICKS = int(MAX_PRICE / TICK_SIZE)
LABEL_COLUMNS = ("state", "session", "session_id", "segment_id", "macro_regime")
BAR_COLUMNS = ("time", *PRICE_COLUMNS, "volume", *TICK_COLUMNS, *LABEL_COLUMNS)


def has_volume(bars: pd.DataFrame) -> bool:
    """Whether the bars carry a real volume (``bars.attrs["has_volume"]``, default True).

    Loaders set it False for files without a volume column, whose ``volume``
    is a placeholder 1; volume facts of such bars mean nothing.
    """
    return bool(bars.attrs.get("has_volume", True))


def bars_frame(
    time: pd.DatetimeIndex,
    open_ticks: np.ndarray,
    high_ticks: np.ndarray,
    low_ticks: np.ndarray,
    close_ticks: np.ndarray,
    volume: np.ndarray,
    prev_close_tick: int,
    labels: dict[str, object],
) -> pd.DataFrame:
    """Assemble a bars DataFrame in the documented schema from integer ticks.

    Parameters
    ----------
    time : pandas.DatetimeIndex
        Tz-aware bar start times (converted to America/New_York).
    open_ticks, high_ticks, low_ticks, close_ticks : numpy.ndarray of int64
        Prices in ticks of 0.25.
    volume : numpy.ndarray of int64
        Contracts per bar.
    prev_close_tick : int
        Close before the first bar (for the first ``delta_ticks``).
    labels : dict
        ``state``, ``session``, ``session_id``, ``segment_id`` and ``macro_regime`` columns
        (categoricals or arrays), in any order.

    Returns
    -------
    pandas.DataFrame
        Columns exactly :data:`BAR_COLUMNS`.
    """
    o = np.asarray(open_ticks, dtype=np.int64)
    h = np.asarray(high_ticks, dtype=np.int64)
    lo = np.asarray(low_ticks, dtype=np.int64)
    c = np.asarray(close_ticks, dtype=np.int64)
    volume = np.asarray(volume, dtype=np.int64)
    if len(c) and (lo.min() < 1 or h.max() > _MAX_TICKS or volume.min() < 1 or volume.max() > MAX_VOLUME):
        bad = (lo < 1) | (h > _MAX_TICKS) | (volume < 1) | (volume > MAX_VOLUME)
        first = int(np.flatnonzero(bad)[0])
        raise BarsValidationError(
            f"bars_frame: bar {first} ({time[first]}) is out of range: low {lo[first] * TICK_SIZE}, high "
            f"{h[first] * TICK_SIZE}, volume {volume[first]}; prices must be in (0, {MAX_PRICE:,.0f}] and volume "
            f"in [1, {MAX_VOLUME:.0e}] (an overflow: check the configuration that produced them)"
        )
    prev = np.empty_like(c)
    if len(c):
        prev[0] = prev_close_tick
        prev[1:] = c[:-1]
    body_top = np.maximum(o, c)
    body_bottom = np.minimum(o, c)
    columns = {
        "time": time.tz_convert(TIMEZONE).as_unit("ns"),
        "open": o * TICK_SIZE,
        "high": h * TICK_SIZE,
        "low": lo * TICK_SIZE,
        "close": c * TICK_SIZE,
        "volume": volume,
        "open_ticks": o,
        "high_ticks": h,
        "low_ticks": lo,
        "close_ticks": c,
        "delta_ticks": c - prev,
        "range_ticks": h - lo,
        "body_ticks": body_top - body_bottom,
        "upper_wick_ticks": h - body_top,
        "lower_wick_ticks": body_bottom - lo,
    }
    missing = [name for name in LABEL_COLUMNS if name not in labels]
    if missing:
        raise ValueError(f"bars_frame: labels missing {missing}")
    columns.update({name: labels[name] for name in LABEL_COLUMNS})
    return pd.DataFrame(columns, copy=False)


def bad_values(prices: np.ndarray, volume: np.ndarray | None = None) -> tuple[np.ndarray, str]:
    """Rows whose values no bar can hold, and why (for the first of them).

    A price must be finite, positive and at most :data:`MAX_PRICE`; a volume
    finite, a whole number and at most :data:`MAX_VOLUME` (zero and negative
    volumes are reported by the callers' own volume rule).

    Parameters
    ----------
    prices : numpy.ndarray
        Float prices, shape ``(n, k)``.
    volume : numpy.ndarray, optional
        Float volumes, shape ``(n,)``.

    Returns
    -------
    mask : numpy.ndarray of bool
        Offending rows.
    reason : str
        What is wrong with the first offending row ("" when none).
    """
    prices = np.asarray(prices, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        price_bad = ~np.isfinite(prices) | (prices <= 0) | (prices > MAX_PRICE)
        rows = price_bad.any(axis=1)
        volume_bad = np.zeros(len(prices), dtype=bool)
        if volume is not None:
            v = np.asarray(volume, dtype=np.float64)
            volume_bad = ~np.isfinite(v) | (v > MAX_VOLUME) | (np.isfinite(v) & (v != np.round(v)))
    mask = rows | volume_bad
    if not mask.any():
        return mask, ""
    first = int(np.flatnonzero(mask)[0])
    if rows[first]:
        value = float(prices[first][price_bad[first]][0])
        return mask, (f"price {value!r} in row {first}: prices must be finite, > 0 and <= {MAX_PRICE:,.0f}")
    assert volume is not None  # a row that is not bad for its prices is bad for its volume
    return mask, (f"volume {float(volume[first])!r} in row {first}: volume must be a whole number <= {MAX_VOLUME:.0e}")


def _fail(message: str, df: pd.DataFrame, mask: np.ndarray, columns: list[str]) -> None:
    """Raise one line: the rule, how many rows break it, and the first of them as ``column=value``."""
    bad = np.flatnonzero(mask)
    first = df.iloc[int(bad[0])]
    cells = ", ".join(f"{c}={first[c]}" for c in ["time", *columns] if c in df.columns)
    raise BarsValidationError(
        f"{message}: {len(bad)} row(s), first at positions {bad[:5].tolist()}; row {int(bad[0])}: {cells}"
    )


def check_ohlc(df: pd.DataFrame, who: str = "bars") -> pd.DataFrame:
    """Check the price part of the bars schema on any OHLC frame; return it unchanged.

    The rules every consumer of bars shares (the setup engine and the
    backtester call this; :func:`check_bars` adds the tick and label columns):
    a non-empty DataFrame with ``time, open, high, low, close`` (``volume``
    optional); ``time`` tz-aware, strictly increasing and unique; no NaN; prices
    in ``(0, MAX_PRICE]`` and volumes whole and at most ``MAX_VOLUME``
    (:func:`bad_values`); prices on the 0.25 grid; ``low <= min(open, close)``
    and ``max(open, close) <= high``; ``volume > 0``.

    Parameters
    ----------
    df : pandas.DataFrame
    who : str
        Named at the start of every message (e.g. ``"run_backtest: bars"``).

    Raises
    ------
    TypeError
        ``df`` is not a DataFrame.
    BarsValidationError
        A rule is broken; one line naming the rule, the count and the first row.
    """
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"{who} must be a pandas DataFrame; got {type(df).__name__}")
    expected = ("time", *PRICE_COLUMNS)
    missing = [c for c in expected if c not in df.columns]
    if missing:
        raise BarsValidationError(
            f"{who} must have columns {list(expected)}; missing {missing} (got {list(df.columns)})"
        )
    if df.empty:
        raise BarsValidationError(f"{who} are empty (0 rows)")
    time = df["time"]
    if not isinstance(time.dtype, pd.DatetimeTZDtype):
        raise BarsValidationError(f"{who} 'time' must be tz-aware datetimes; got dtype {time.dtype}")
    has_volume = "volume" in df.columns
    numeric = [*PRICE_COLUMNS, "volume"] if has_volume else list(PRICE_COLUMNS)
    values = df[numeric].to_numpy(dtype=np.float64)
    nan = np.isnan(values).any(axis=1)
    if nan.any():
        _fail(f"{who}: NaN in prices/volume", df, nan, numeric)
    prices = values[:, :4]
    out_of_range, reason = bad_values(prices, values[:, 4] if has_volume else None)
    if out_of_range.any():
        _fail(f"{who}: values out of range ({reason})", df, out_of_range, numeric)
    step = np.diff(time.to_numpy(dtype="datetime64[ns]").astype(np.int64))
    if (step <= 0).any():
        mask = np.concatenate([[False], step <= 0])
        _fail(f"{who}: 'time' must be strictly increasing (unsorted or duplicate)", df, mask, [])
    scaled = prices / TICK_SIZE
    off_grid = (np.abs(scaled - np.round(scaled)) > 1e-9).any(axis=1)
    if off_grid.any():
        _fail(f"{who}: prices off the 0.25 tick grid", df, off_grid, list(PRICE_COLUMNS))
    o, h, lo, c = np.round(scaled).T
    ohlc_bad = (lo > np.minimum(o, c)) | (h < np.maximum(o, c)) | (lo > h)
    if ohlc_bad.any():
        _fail(
            f"{who}: OHLC violated (need low <= min(open, close) and max(open, close) <= high)",
            df,
            ohlc_bad,
            list(PRICE_COLUMNS),
        )
    if has_volume:
        vol_bad = values[:, 4] <= 0
        if vol_bad.any():
            _fail(f"{who}: volume must be > 0", df, vol_bad, ["volume"])
    return df


def check_bars(
    df: pd.DataFrame, *, require_labels: bool = True, continuity: bool = True, who: str = "bars"
) -> pd.DataFrame:
    """Check that ``df`` follows the bars schema; return it unchanged.

    Checks, in order: it is a non-empty DataFrame with the schema's columns;
    the price rules of :func:`check_ohlc` (tz-aware, strictly increasing
    times; no NaN; values in range; the 0.25 grid; OHLC order; ``volume > 0``);
    no NaN in the tick columns; ``*_ticks * 0.25`` equal to the prices; the
    derived tick columns agree with OHLC.

    Parameters
    ----------
    df : pandas.DataFrame
        Bars to check.
    require_labels : bool, default True
        Also require the label columns (``state``, ``session``, ``session_id``, ``segment_id``,
        ``macro_regime``).
    continuity : bool, default True
        Check ``delta_ticks`` against the previous row's close. False for bars with rows
        missing in between (a session filter, two files joined), whose deltas refer to bars
        that are not there.
    who : str, default "bars"
        What the bars are, as error messages name them (``"scenarios: history"``).

    Returns
    -------
    pandas.DataFrame
        ``df`` itself, so calls can be chained.

    Raises
    ------
    TypeError
        ``df`` is not a DataFrame.
    BarsValidationError
        A rule is broken; the message names the rule and the first offending row.
    """
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"{who} must be a pandas DataFrame; got {type(df).__name__}")
    expected = BAR_COLUMNS if require_labels else BAR_COLUMNS[: -len(LABEL_COLUMNS)]
    missing = [c for c in expected if c not in df.columns]
    if missing:
        raise BarsValidationError(
            f"{who} must have columns {list(expected)}; missing {missing} (got {list(df.columns)})"
        )
    check_ohlc(df, who=who)
    nan = np.isnan(df[list(TICK_COLUMNS)].to_numpy(dtype=np.float64)).any(axis=1)
    if nan.any():
        _fail(f"{who}: NaN in tick columns", df, nan, list(TICK_COLUMNS))
    scaled = df[list(PRICE_COLUMNS)].to_numpy(dtype=np.float64) / TICK_SIZE
    ticks = df[["open_ticks", "high_ticks", "low_ticks", "close_ticks"]].to_numpy(dtype=np.int64)
    mismatch = (np.round(scaled).astype(np.int64) != ticks).any(axis=1)
    if mismatch.any():
        _fail(
            f"{who}: *_ticks columns differ from prices / 0.25",
            df,
            mismatch,
            [*PRICE_COLUMNS, "open_ticks", "high_ticks", "low_ticks", "close_ticks"],
        )
    o, h, lo, c = ticks.T
    derived = {
        "range_ticks": h - lo,
        "body_ticks": np.abs(c - o),
        "upper_wick_ticks": h - np.maximum(o, c),
        "lower_wick_ticks": np.minimum(o, c) - lo,
    }
    if continuity:
        delta = df["delta_ticks"].to_numpy(dtype=np.int64)
        delta_bad = np.concatenate([[False], delta[1:] != np.diff(c)])
        if delta_bad.any():
            _fail(
                f"{who}: delta_ticks differs from close_ticks - previous close_ticks",
                df,
                delta_bad,
                ["close_ticks", "delta_ticks"],
            )
    for name, want in derived.items():
        bad = df[name].to_numpy(dtype=np.int64) != want
        if bad.any():
            _fail(f"{who}: {name} inconsistent with OHLC ticks", df, bad, [*PRICE_COLUMNS, name])
    return df


def is_price_column(name) -> bool:
    """Whether a column holds prices in points: ``open/high/low/close`` or any ``*_price``."""
    return str(name) in PRICE_COLUMNS or str(name).endswith("_price")


def format_price(value) -> str:
    """A price at tick precision, without a thousands separator: ``2919.25``; empty for NaN."""
    return "" if value is None or pd.isna(value) else f"{float(value):.{PRICE_DECIMALS}f}"
