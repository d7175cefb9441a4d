import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fracfire import calendar as cal
from fracfire.calendar import (
    MINUTES_PER_DAY,
    RTH_CLOSE_MINUTE,
    RTH_OPEN_MINUTE,
    SESSION_OPEN_MINUTE,
    TIMEZONE,
    is_trading_minute,
    minute_of_day,
    next_session_date,
    session_minutes,
    sessions,
    trading_day,
    trading_day_number,
)

SAMPLE = Path(__file__).parent.parent / "data" / "es_1min_2019-09.csv.gz"
NS_PER_MINUTE = 60_000_000_000
MAINTENANCE = (17 * 60, SESSION_OPEN_MINUTE)  # 17:00-18:00 ET, no trading since 2012-11-19


def et(ns):
    """UTC epoch nanoseconds -> America/New_York DatetimeIndex (or Timestamp for a scalar)."""
    if np.ndim(ns) == 0:
        return et([ns])[0]
    return (
        pd.DatetimeIndex(np.asarray(ns, dtype=np.int64).view("datetime64[ns]")).tz_localize("UTC").tz_convert(TIMEZONE)
    )


def stamp(text):
    return pd.Timestamp(text, tz=TIMEZONE)


def ns_of(text):
    return stamp(text).as_unit("ns").value


def slow_minutes(frame):
    """Obvious reference for session_minutes: a wall-clock date_range per session."""
    out = []
    for row in frame.itertuples():
        minutes = pd.date_range(row.open, row.close, freq="min", inclusive="left")
        if row.break_start is not pd.NaT:
            minutes = minutes[(minutes < row.break_start) | (minutes >= row.break_end)]
        out.append(minutes.tz_convert(None).as_unit("ns").asi8)
    return np.concatenate(out) if out else np.zeros(0, dtype=np.int64)


# ----------------------------------------------------------------------------- constants and API


def test_constants_and_public_names():
    assert (MINUTES_PER_DAY, RTH_OPEN_MINUTE, RTH_CLOSE_MINUTE, SESSION_OPEN_MINUTE) == (1440, 570, 960, 1080)
    assert cal.GLOBEX_CALENDAR == "CME_Equity"
    from fracfire import schema

    assert cal.TIMEZONE is schema.TIMEZONE
    assert cal.__all__ == sorted(cal.__all__)
    assert all(hasattr(cal, name) for name in cal.__all__)


def test_sessions_frame_columns_and_dtypes():
    frame = sessions("2019-09-03", n_sessions=3)
    assert list(frame.columns) == ["trading_date", "open", "close", "break_start", "break_end"]
    assert frame["trading_date"].dtype == "datetime64[ns]"
    for column in ("open", "close", "break_start", "break_end"):
        assert str(frame[column].dtype) == f"datetime64[ns, {TIMEZONE}]"
    assert frame.index.equals(pd.RangeIndex(3))


# ----------------------------------------------------------------------------- exchange hours


@pytest.mark.parametrize("monday", ["2019-09-09", "2021-06-28", "2024-03-11", "2024-11-04"])
def test_week_opens_sunday_1800_et(monday):
    first = sessions(monday, n_sessions=1).iloc[0]
    assert first["open"] == stamp(monday) - pd.Timedelta(days=1) + pd.Timedelta(hours=18)
    assert first["open"].day_name() == "Sunday"
    minutes, _ = session_minutes(sessions(monday, n_sessions=1))
    assert et(minutes[0]) == first["open"]


# From 2005-09-12 to 2012-11-16 the library opens sessions at 16:30 ET (15:30 CT), not 18:00.
@pytest.mark.parametrize(
    ("year", "sunday_open"), [(2003, 1080), (2010, 990), (2019, 1080), (2021, 1080), (2024, 1080), (2035, 1080)]
)
def test_no_saturday_minutes_and_no_minute_in_the_maintenance_break(year, sunday_open):
    frame = sessions(f"{year}-01-01", end=f"{year}-12-31")
    minutes, counts = session_minutes(frame)
    wall = et(minutes)
    assert len(frame) > 240 and counts.sum() == minutes.size
    assert not (wall.day_of_week == 5).any()
    sunday = minute_of_day(minutes)[wall.day_of_week == 6]
    assert sunday.min() == sunday_open
    if sunday_open == SESSION_OPEN_MINUTE:
        mod = minute_of_day(minutes)
        assert not ((mod >= MAINTENANCE[0]) & (mod < MAINTENANCE[1])).any()


def test_christmas_2019_and_new_year_have_no_session():
    frame = sessions("2019-12-20", end="2020-01-03")
    dates = frame["trading_date"].dt.strftime("%Y-%m-%d").tolist()
    assert "2019-12-25" not in dates and "2020-01-01" not in dates
    assert {"2019-12-24", "2019-12-26", "2019-12-31", "2020-01-02"} <= set(dates)
    christmas_eve = frame[frame["trading_date"] == "2019-12-24"].iloc[0]
    assert christmas_eve["close"] == stamp("2019-12-24 13:00")  # what pandas_market_calendars says
    minutes, _ = session_minutes(frame)
    wall = et(minutes)
    assert not ((wall > stamp("2019-12-24 12:59")) & (wall < stamp("2019-12-25 18:00"))).any()
    assert not ((wall > stamp("2019-12-31 16:59")) & (wall < stamp("2020-01-01 18:00"))).any()
    off = pd.DatetimeIndex(["2019-12-25 12:00", "2019-12-24 13:00", "2020-01-01 12:00"], tz=TIMEZONE)
    assert not is_trading_minute(off).any()


def test_labor_day_2019_closes_early():
    frame = sessions("2019-09-02", n_sessions=2)
    labor_day = frame.iloc[0]
    assert labor_day["trading_date"] == pd.Timestamp("2019-09-02")
    assert labor_day["close"] == stamp("2019-09-02 13:00")
    assert labor_day["break_start"] is pd.NaT and labor_day["break_end"] is pd.NaT
    minutes, counts = session_minutes(frame)
    assert counts.tolist() == [19 * 60, 1365]
    assert et(minutes[counts[0] - 1]) == stamp("2019-09-02 12:59")
    assert et(minutes[counts[0]]) == stamp("2019-09-02 18:00")
    assert is_trading_minute(pd.DatetimeIndex(["2019-09-02 12:59", "2019-09-02 13:00"], tz=TIMEZONE)).tolist() == [
        True,
        False,
    ]


def test_halt_until_june_2021_then_1380_minute_sessions():
    frame = sessions("2021-06-24", end="2021-06-29")
    assert frame["trading_date"].dt.strftime("%m-%d").tolist() == ["06-24", "06-25", "06-28", "06-29"]
    assert frame["break_start"].iloc[1] == stamp("2021-06-25 16:15")
    assert frame["break_end"].iloc[1] == stamp("2021-06-25 16:30")
    assert frame["break_start"].iloc[2:].isna().all()
    _, counts = session_minutes(frame)
    assert counts.tolist() == [1365, 1365, 1380, 1380]
    halt = pd.DatetimeIndex(
        ["2021-06-25 16:14", "2021-06-25 16:15", "2021-06-25 16:29", "2021-06-25 16:30", "2021-06-28 16:15"],
        tz=TIMEZONE,
    )
    assert is_trading_minute(halt).tolist() == [True, False, False, True, True]


@pytest.mark.parametrize(("year", "full"), [(2019, 1365), (2024, 1380)])
def test_every_full_session_of_a_year_has_the_expected_count(year, full):
    frame = sessions(f"{year}-01-01", end=f"{year}-12-31")
    _, counts = session_minutes(frame)
    full_day = frame["close"].dt.strftime("%H:%M") == "17:00"
    assert full_day.sum() > 240
    assert (counts[full_day.to_numpy()] == full).all()
    assert (counts[~full_day.to_numpy()] < full).all()


@pytest.mark.parametrize("change", ["2019-03-10", "2019-11-03", "2024-03-10", "2024-11-03"])
def test_dst_weeks_have_no_missing_or_duplicate_minutes(change):
    day = pd.Timestamp(change)
    frame = sessions(day - pd.Timedelta(days=6), end=day + pd.Timedelta(days=6))
    minutes, counts = session_minutes(frame)
    assert (np.diff(minutes) > 0).all()
    np.testing.assert_array_equal(minutes, slow_minutes(frame))
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    first, last = et(minutes[starts]), et(minutes[starts + counts - 1])
    assert (first.strftime("%H:%M") == "18:00").all()
    assert (last.strftime("%H:%M") == "16:59").all()
    # the UTC hour of the 18:00 ET open moves by one hour across the change
    sunday_before, sunday_after = day - pd.Timedelta(days=7), day
    utc_hours = {d: o.tz_convert("UTC").hour for d, o in zip(frame["trading_date"], frame["open"], strict=True)}
    before = utc_hours[sunday_before + pd.Timedelta(days=1)]
    after = utc_hours[sunday_after + pd.Timedelta(days=1)]
    assert {before, after} == {22, 23} and before != after
    assert is_trading_minute(minutes).all()


def test_session_minutes_matches_the_slow_reference_over_a_year():
    frame = sessions("2021-01-01", end="2021-12-31")
    minutes, counts = session_minutes(frame)
    np.testing.assert_array_equal(minutes, slow_minutes(frame))
    assert counts.dtype == np.int64 and minutes.dtype == np.int64 and counts.sum() == minutes.size


def test_sessions_never_touch_so_the_minute_before_open_and_at_close_is_out():
    frame = sessions("2000-01-01", end="2035-12-31")
    table = cal._table()
    assert (table.open[1:] > table.close[:-1]).all()
    opens = frame["open"].dt.tz_convert(None).to_numpy().astype("datetime64[ns]").view(np.int64)
    closes = frame["close"].dt.tz_convert(None).to_numpy().astype("datetime64[ns]").view(np.int64)
    assert is_trading_minute(opens).all()
    assert not is_trading_minute(opens - NS_PER_MINUTE).any()
    assert not is_trading_minute(closes).any()
    assert is_trading_minute(closes - NS_PER_MINUTE).all()


# ----------------------------------------------------------------------------- start/end rules


@pytest.mark.parametrize(
    ("start", "first"),
    [
        ("2019-09-01", "2019-09-02"),  # Sunday -> Monday's session
        ("2019-09-01 17:59", "2019-09-02"),
        ("2019-09-01 18:00", "2019-09-02"),
        ("2019-09-02 17:59", "2019-09-02"),
        ("2019-09-02 18:00", "2019-09-03"),  # the evening belongs to the next trading date
        (pd.Timestamp("2019-09-02 22:00", tz="UTC"), "2019-09-03"),  # 18:00 EDT
        (pd.Timestamp("2019-09-02 21:59", tz="UTC"), "2019-09-02"),
        (dt.date(2019, 12, 25), "2019-12-26"),
        (np.datetime64("2019-12-24"), "2019-12-24"),
    ],
)
def test_start_maps_to_its_trading_date(start, first):
    assert sessions(start, n_sessions=1)["trading_date"].iloc[0] == pd.Timestamp(first)


def test_end_is_inclusive_and_an_empty_range_is_an_empty_frame():
    assert len(sessions("2019-09-03", end="2019-09-03")) == 1
    assert len(sessions("2019-09-03", end="2019-09-06")) == 4
    empty = sessions("2019-12-25", end="2019-12-25")
    assert empty.empty and list(empty.columns) == list(cal.SESSION_COLUMNS)
    minutes, counts = session_minutes(empty)
    assert minutes.size == 0 and counts.size == 0


def test_n_sessions_agrees_with_end():
    by_count = sessions("2019-12-20", n_sessions=10)
    by_end = sessions("2019-12-20", end=by_count["trading_date"].iloc[-1])
    pd.testing.assert_frame_equal(by_count, by_end)


# ----------------------------------------------------------------------------- time helpers


def test_minute_of_day_and_trading_day_accept_series_index_and_ns():
    minutes, _ = session_minutes(sessions("2024-03-08", n_sessions=2))
    index = et(minutes)
    series = pd.Series(index.tz_convert("UTC"), index=np.arange(10, 10 + minutes.size))
    expected = index.hour * 60 + index.minute
    for times in (minutes, index, series):
        np.testing.assert_array_equal(minute_of_day(times), expected)
        np.testing.assert_array_equal(trading_day_number(times), trading_day_number(minutes))
        np.testing.assert_array_equal(is_trading_minute(times), np.ones(minutes.size, dtype=bool))
    days = trading_day(series)
    assert isinstance(days, pd.Series) and days.index.equals(series.index) and days.dtype == "datetime64[ns]"
    assert isinstance(trading_day(minutes), np.ndarray)
    assert minute_of_day(index[:1]).tolist() == [SESSION_OPEN_MINUTE]


def test_trading_day_is_the_6_hour_rule_and_names_each_sessions_bars():
    frame = sessions("2019-01-01", end="2024-12-31")
    minutes, counts = session_minutes(frame)
    expected = np.repeat(frame["trading_date"].to_numpy().astype("datetime64[D]").astype(np.int64), counts)
    np.testing.assert_array_equal(trading_day_number(minutes), expected)
    times = pd.Series(et(minutes[::997]))
    rule = (times + pd.Timedelta(hours=6)).dt.date  # the rule of fracfire.realism.facts
    assert (trading_day(times).dt.date == rule).all()
    edges = pd.DatetimeIndex(
        ["2019-09-01 18:00", "2019-09-02 16:59", "2019-09-02 17:59", "2019-09-02 18:00", "2019-09-06 16:59"],
        tz=TIMEZONE,
    )
    assert trading_day(edges).astype("datetime64[D]").astype(str).tolist() == [
        "2019-09-02",
        "2019-09-02",
        "2019-09-02",
        "2019-09-03",
        "2019-09-06",
    ]


@pytest.mark.parametrize(
    ("after", "expected"),
    [
        ("2019-09-06 17:00", "2019-09-09"),  # Friday close -> Monday
        ("2019-09-03 10:00", "2019-09-04"),  # mid-session -> the next session
        ("2019-09-03 18:00", "2019-09-04"),  # exactly at an open -> that session
        ("2019-09-03 17:59:30", "2019-09-04"),
        ("2019-09-03 18:00:01", "2019-09-05"),
        ("2019-12-24 13:00", "2019-12-26"),
        ("1999-12-31 17:00", "2000-01-03"),  # before the table: library
        ("2035-12-31 17:00", "2036-01-02"),  # after the table: library
        ("2040-01-02 12:00", "2040-01-03"),
    ],
)
def test_next_session_date(after, expected):
    when = stamp(after)
    assert next_session_date(when) == pd.Timestamp(expected)
    assert next_session_date(when.as_unit("ns").value) == pd.Timestamp(expected)
    assert next_session_date(when.to_pydatetime()) == pd.Timestamp(expected)


# ----------------------------------------------------------------------------- table and library


@pytest.mark.parametrize("year", [2000, 2008, 2019, 2021, 2024, 2035])
def test_shipped_table_equals_the_library(year):
    pmc = pytest.importorskip("pandas_market_calendars")
    schedule = pmc.get_calendar(cal.GLOBEX_CALENDAR).schedule(f"{year}-01-01", f"{year}-12-31")

    def utc_minutes(name):
        return schedule[name].dt.tz_convert(None).to_numpy().astype("datetime64[m]").astype(np.int64)

    frame = sessions(f"{year}-01-01", end=f"{year}-12-31")
    assert frame["trading_date"].tolist() == schedule.index.tolist()
    for ours, theirs in (("open", "market_open"), ("close", "market_close")):
        np.testing.assert_array_equal(
            frame[ours].dt.tz_convert(None).to_numpy().astype("datetime64[m]").astype(np.int64), utc_minutes(theirs)
        )
    start, end = utc_minutes("break_start"), utc_minutes("break_end")
    real = start < end
    assert frame["break_start"].notna().to_numpy().tolist() == real.tolist()
    for ours, theirs in (("break_start", start), ("break_end", end)):
        column = frame.loc[real, ours].dt.tz_convert(None).to_numpy().astype("datetime64[m]").astype(np.int64)
        np.testing.assert_array_equal(column, theirs[real])


def test_table_covers_its_range_and_is_not_writable():
    table = cal._table()
    assert table.day[0] == (dt.date(2000, 1, 3) - dt.date(1970, 1, 1)).days  # first session of 2000
    assert table.day[-1] == (dt.date(2035, 12, 31) - dt.date(1970, 1, 1)).days
    with pytest.raises(ValueError, match="read-only"):
        table.open[0] = 0


def test_outside_the_table_falls_back_to_the_library():
    pmc = pytest.importorskip("pandas_market_calendars")
    frame = sessions("2040-01-01", n_sessions=5)
    assert frame["trading_date"].dt.strftime("%Y-%m-%d").tolist() == [
        "2040-01-03",
        "2040-01-04",
        "2040-01-05",
        "2040-01-06",
        "2040-01-09",
    ]  # Jan 2 observes New Year
    schedule = pmc.get_calendar("CME_Equity").schedule("2040-01-01", "2040-01-09")
    assert (frame["open"].dt.tz_convert("UTC").to_numpy() == schedule["market_open"].to_numpy()).all()
    minutes, counts = session_minutes(frame)
    assert counts.tolist() == [1380] * 5 and is_trading_minute(minutes).all()
    assert not is_trading_minute(np.array([ns_of("2040-01-07 12:00")])).any()  # a Saturday
    old = sessions("1999-12-29", n_sessions=3)
    assert old["trading_date"].dt.strftime("%Y-%m-%d").tolist() == ["1999-12-29", "1999-12-30", "1999-12-31"]


def test_n_sessions_running_past_the_table_end_continues_seamlessly():
    frame = sessions("2035-12-27", n_sessions=6)
    assert frame["trading_date"].dt.strftime("%Y-%m-%d").tolist() == [
        "2035-12-27",
        "2035-12-28",
        "2035-12-31",
        "2036-01-02",
        "2036-01-03",
        "2036-01-04",
    ]
    minutes, _ = session_minutes(frame)
    assert (np.diff(minutes) > 0).all() and is_trading_minute(minutes).all()


@given(start=st.dates(dt.date(1998, 1, 1), dt.date(2038, 12, 31)), n=st.integers(1, 8))
def test_any_start_gives_increasing_minutes_inside_exchange_hours(start, n):
    frame = sessions(start, n_sessions=n)
    minutes, counts = session_minutes(frame)
    assert len(frame) == n and counts.size == n and (counts > 0).all()
    assert (frame["trading_date"] >= pd.Timestamp(start)).all()
    assert (np.diff(minutes) > 0).all()
    assert is_trading_minute(minutes).all()
    assert not (et(minutes).day_of_week == 5).any()
    assert next_session_date(int(minutes[-1]) + NS_PER_MINUTE) > frame["trading_date"].iloc[-1]


# ----------------------------------------------------------------------------- the real sample


def test_every_bar_of_the_real_sample_is_a_trading_minute():
    bars = pd.read_csv(SAMPLE)
    times = pd.to_datetime(bars["time"], utc=True).dt.tz_convert(TIMEZONE)
    assert is_trading_minute(times).all()
    minutes, _ = session_minutes(sessions(times.iloc[0], end=times.iloc[-1]))
    ns = times.dt.tz_convert(None).to_numpy().astype("datetime64[ns]").view(np.int64)
    assert np.isin(ns, minutes).all()
    assert len(ns) / len(minutes) > 0.99  # only minutes without trades are missing


# ----------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"n_sessions": 0}, ValueError, r"n_sessions must be in \[1, inf\]; got 0"),
        ({"n_sessions": -3}, ValueError, "n_sessions"),
        ({"n_sessions": 2.0}, TypeError, "n_sessions must be an integer; got 2.0"),
        ({"n_sessions": True}, TypeError, "n_sessions must be an integer"),
        ({}, ValueError, "exactly one of n_sessions or end; got n_sessions=None and end=None"),
        ({"n_sessions": 3, "end": "2019-10-01"}, ValueError, "exactly one of n_sessions or end; got n_sessions=3"),
        ({"end": "2019-08-30"}, ValueError, r"end '2019-08-30' \(trading date 2019-08-30\) is before start"),
        ({"end": "not a date"}, ValueError, "end 'not a date' is not a date or datetime"),
        ({"end": 20191001}, TypeError, "end must be a date-like"),
        ({"end": pd.NaT}, ValueError, "end must be a date or datetime; got NaT"),
    ],
)
def test_sessions_errors(kwargs, error, match):
    with pytest.raises(error, match=match):
        sessions("2019-09-03", **kwargs)


@pytest.mark.parametrize(
    ("start", "error", "match"),
    [
        (20190903, TypeError, "start must be a date-like"),
        (None, TypeError, "start must be a date-like.*got None"),
        ("2019-13-45", ValueError, "start '2019-13-45' is not a date or datetime"),
    ],
)
def test_sessions_start_errors(start, error, match):
    with pytest.raises(error, match=match):
        sessions(start, n_sessions=1)


def test_session_minutes_errors():
    frame = sessions("2019-09-03", n_sessions=2)
    with pytest.raises(TypeError, match="sessions_frame must be a pandas DataFrame; got dict"):
        session_minutes({"open": []})
    with pytest.raises(ValueError, match=r"missing \['break_start', 'break_end'\]"):
        session_minutes(frame[["open", "close"]])
    naive = frame.assign(open=frame["open"].dt.tz_localize(None))
    with pytest.raises(TypeError, match=r"sessions_frame\['open'\] must hold tz-aware datetimes"):
        session_minutes(naive)
    with pytest.raises(ValueError, match="whole minutes"):
        session_minutes(frame.assign(open=frame["open"] + pd.Timedelta(seconds=30)))
    with pytest.raises(ValueError, match="both NaT or both set"):
        session_minutes(frame.assign(break_end=pd.Series(pd.NaT, index=frame.index, dtype=frame["open"].dtype)))
    with pytest.raises(ValueError, match=r"close before open in rows \[1\]"):
        session_minutes(frame.assign(close=frame["close"].where(frame.index == 0, frame["open"].iloc[0])))
    with pytest.raises(ValueError, match=r"break outside \[open, close\] in rows \[0, 1\]"):
        session_minutes(frame.assign(break_end=frame["close"] + pd.Timedelta(minutes=1)))
    with pytest.raises(ValueError, match="'open' and 'close' must not contain NaT"):
        session_minutes(frame.assign(open=pd.Series(pd.NaT, index=frame.index, dtype=frame["open"].dtype)))


@pytest.mark.parametrize("function", [minute_of_day, trading_day, trading_day_number, is_trading_minute])
def test_time_helpers_reject_ambiguous_input(function):
    naive = pd.Series(pd.date_range("2019-09-03", periods=3, freq="min"))
    with pytest.raises(TypeError, match="times must hold tz-aware datetimes.*datetime64"):
        function(naive)
    with pytest.raises(TypeError, match="times must hold tz-aware datetimes"):
        function(pd.DatetimeIndex(naive))
    with pytest.raises(TypeError, match="naive numpy datetime64 array, which is ambiguous"):
        function(naive.to_numpy())
    with pytest.raises(TypeError, match="times must be a tz-aware pandas Series.*got list"):
        function([1, 2, 3])
    with pytest.raises(ValueError, match="times contains NaT at position 1"):
        function(pd.DatetimeIndex(["2019-09-03 10:00", None], tz=TIMEZONE))
    with pytest.raises(ValueError, match=r"times must be one-dimensional; got shape \(1, 2\)"):
        function(np.zeros((1, 2), dtype=np.int64))


@pytest.mark.parametrize("after", ["2019-09-03", pd.Timestamp("2019-09-03"), dt.datetime(2019, 9, 3), 1.5, True])
def test_next_session_date_rejects_naive_or_non_time(after):
    with pytest.raises(TypeError, match="after must be UTC epoch nanoseconds"):
        next_session_date(after)
