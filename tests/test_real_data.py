import gzip
import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fracfire import check_bars
from fracfire.data import bar_minutes, count_sessions, require_bar_minutes, require_sessions
from fracfire.data.real import load_continuous_contract, validate_bars
from fracfire.exceptions import BarsValidationError, FracFireWarning

SAMPLE = Path(__file__).parent.parent / "data" / "es_1min_2019-09.csv.gz"
NQ_SAMPLE = Path(__file__).parent.parent / "data" / "nq_5min_2019.csv.gz"


@pytest.fixture(scope="module")
def real():
    return load_continuous_contract(SAMPLE)


def test_bundled_sample_loads_into_the_engine_schema(real):
    check_bars(real)
    assert len(real) == 28_409
    assert str(real["time"].dt.tz) == "America/New_York"
    assert real["time"].iloc[0] == pd.Timestamp("2019-09-01 18:00", tz="America/New_York")
    assert real["state"].isna().all() and real["macro_regime"].isna().all()
    assert real["session_id"].nunique() == 21, "one session_id per Globex session"
    assert (real["segment_id"] == 0).all(), "real bars have no states: one segment"
    assert real["session"].iloc[0] == "asian"
    assert (real.loc[real["time"].dt.strftime("%H:%M") == "10:00", "session"] == "rth").all()
    report = real.attrs["validation"]
    assert report.ok and report.rows == 28_409
    assert report.gaps_by_session()["afterhours"] > 10_000, "the daily 17:00-18:00 break"
    assert real.attrs["has_volume"] is True and report.has_volume
    assert real.attrs["bar_minutes"] == 1 == bar_minutes(real)
    assert count_sessions(real) == 21
    assert "volume" not in report.summary()


def test_bundled_nq_sample_has_a_year_of_five_minute_sessions_without_volume():
    nq = load_continuous_contract(NQ_SAMPLE)  # strict
    check_bars(nq)
    assert len(nq) == 70_002
    assert nq.attrs["has_volume"] is False and (nq["volume"] == 1).all()
    assert nq.attrs["bar_minutes"] == 5 == bar_minutes(nq)
    assert count_sessions(nq) == 258 == require_sessions(nq, 258, "this test")
    assert nq["time"].iloc[0] == pd.Timestamp("2019-01-01 18:00", tz="America/New_York")
    assert nq["time"].iloc[-1] == pd.Timestamp("2019-12-31 16:55", tz="America/New_York")
    last = nq.groupby("session_id")["time"].max()
    assert last.dt.date.nunique() == 258, "one session per trading date"
    session = nq["time"].between(
        pd.Timestamp("2019-02-26 18:00", tz="America/New_York"), pd.Timestamp("2019-02-27 17:00", tz="America/New_York")
    )
    assert nq.loc[session, "session_id"].nunique() == 1, "CME's 2019-02-26 evening outage does not split the session"
    report = nq.attrs["validation"]
    assert report.ok and report.bar_minutes == 5
    assert "no volume column (volume set to 1; volume facts are skipped)" in report.summary()
    assert len(report.gaps) < 600, "gaps are counted against 5-minute bars, not one per bar"
    with pytest.raises(
        ValueError,
        match=r"calibration needs 1-minute bars; the file has 5-minute bars "
        r"\(median spacing 5 min over 69,743 pairs\)\. Use a file of 1-minute",
    ):
        require_bar_minutes(nq, 1, "calibration")


def raw_rows():
    return [
        {"timestamp": "2024-03-01T09:30:00-05:00", "o": 5000.0, "h": 5001.0, "l": 4999.5, "c": 5000.5, "v": 10},
        {"timestamp": "2024-03-01T09:31:00-05:00", "o": 5000.5, "h": 5002.0, "l": 5000.0, "c": 5001.75, "v": 12},
        {"timestamp": "2024-03-01T09:33:00-05:00", "o": 5001.75, "h": 5002.0, "l": 5001.0, "c": 5001.0, "v": 7},
    ]


@pytest.mark.parametrize("kind", ["json", "json_wrapped", "csv", "csv.gz", "parquet", "epoch_ms"])
def test_formats_and_spellings(tmp_path, kind):
    rows = raw_rows()
    if kind == "json":
        path = tmp_path / "bars.json"
        path.write_text(json.dumps(rows))
    elif kind == "json_wrapped":
        path = tmp_path / "bars.json"
        path.write_text(json.dumps({"symbol": "MES", "bars": rows}))
    elif kind == "epoch_ms":
        path = tmp_path / "bars.json"
        for r in rows:
            r["timestamp"] = int(pd.Timestamp(r["timestamp"]).value // 10**6)
        path.write_text(json.dumps(rows))
    else:
        frame = pd.DataFrame(rows).rename(
            columns={"timestamp": "Date_Time", "o": "Open", "h": "High", "l": "Low", "c": "Last", "v": "Volume"}
        )
        path = tmp_path / f"bars.{kind}"
        if kind == "parquet":
            frame.to_parquet(path)
        else:
            frame.to_csv(path, index=False)
    bars = load_continuous_contract(path)
    check_bars(bars)
    assert bars["close"].tolist() == [5000.5, 5001.75, 5001.0]
    assert bars["time"].iloc[0] == pd.Timestamp("2024-03-01 09:30", tz="America/New_York")
    assert bars["session"].astype(str).tolist() == ["rth"] * 3
    assert bars.attrs["validation"].gaps["missing_minutes"].tolist() == [1]
    assert bars.attrs["has_volume"] is True


def test_naive_times_take_the_given_timezone(tmp_path):
    path = tmp_path / "bars.csv"
    pd.DataFrame(
        {
            "time": ["2024-03-01 08:30", "2024-03-01 08:31"],
            "open": [1.0, 1.0],
            "high": [1.0, 1.25],
            "low": [1.0, 1.0],
            "close": [1.0, 1.25],
            "volume": [1, 2],
        }
    ).to_csv(path, index=False)
    bars = load_continuous_contract(path, tz="America/Chicago")
    assert bars["time"].iloc[0] == pd.Timestamp("2024-03-01 09:30", tz="America/New_York")


def write_csv(tmp_path, rows, name="bad.csv"):
    path = tmp_path / name
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def csv_rows():
    return [
        {"time": r["timestamp"], "open": r["o"], "high": r["h"], "low": r["l"], "close": r["c"], "volume": r["v"]}
        for r in raw_rows()
    ]


@pytest.mark.parametrize(
    "mutate, match",
    [
        (lambda r: r[1].update(open=5000.6), r"off_grid 1"),
        (lambda r: r[1].update(high=4990.0), r"ohlc 1"),
        (lambda r: r[2].update(volume=0), r"volume 1"),
        (lambda r: r[2].update(time=r[1]["time"]), r"duplicates 2"),
        (lambda r: r.reverse(), r"unsorted 2"),
        (lambda r: r[0].update(close=None), r"nan 1"),
    ],
)
def test_strict_load_names_the_problem_and_rows(tmp_path, mutate, match):
    rows = csv_rows()
    mutate(rows)
    with pytest.raises(BarsValidationError, match=match) as info:
        load_continuous_contract(write_csv(tmp_path, rows))
    assert "strict=False" in str(info.value)


def test_non_strict_load_repairs_and_says_what_it_did(tmp_path):
    rows = csv_rows()
    rows[1].update(open=5000.6, high=4990.0)
    rows.append(dict(rows[2], volume=-3))
    with pytest.warns(FracFireWarning, match="rounded 1 row"):
        bars = load_continuous_contract(write_csv(tmp_path, rows), strict=False)
    check_bars(bars)
    assert len(bars) == 3
    repairs = bars.attrs["validation"].repairs
    assert any("kept the last of each repeated timestamp" in r for r in repairs)
    assert any("widened high/low" in r for r in repairs)
    assert bars["volume"].iloc[-1] == 1


@pytest.mark.parametrize(
    "content, match",
    [
        ("", "the file is empty"),
        ("time,open,high,low,close,volume\n", "no bars in the file"),
        ("time,open,high,low,volume\n2024-03-01 09:30,1,1,1,1\n", r"missing column\(s\) \['close'\]"),
        ("time,open,high,low,close,volume\nyesterday-ish,1,1,1,1,1\n", "unparsable timestamp 'yesterday-ish' in row 0"),
    ],
)
def test_malformed_files(tmp_path, content, match):
    path = tmp_path / "bars.csv"
    path.write_text(content)
    with pytest.raises(ValueError, match=match):
        load_continuous_contract(path)


def test_other_bad_paths(tmp_path):
    with pytest.raises(FileNotFoundError, match="real data file not found"):
        load_continuous_contract(tmp_path / "missing.csv")
    (tmp_path / "x.xlsx").write_text("x")
    with pytest.raises(ValueError, match="unsupported file type"):
        load_continuous_contract(tmp_path / "x.xlsx")
    (tmp_path / "b.json").write_text('{"a": 1}')
    with pytest.raises(ValueError, match="expected a list of bar records"):
        load_continuous_contract(tmp_path / "b.json")
    bad = tmp_path / "c.json.gz"
    with gzip.open(bad, "wt") as handle:
        handle.write("[{")
    with pytest.raises(ValueError, match="not valid JSON"):
        load_continuous_contract(bad)


def test_validate_bars_on_a_frame():
    frame = pd.DataFrame(csv_rows())
    frame["time"] = pd.to_datetime(frame["time"], utc=True).dt.tz_convert("America/New_York")
    report = validate_bars(frame)
    assert report.ok and "no errors" in report.summary()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match=r"missing columns \['close'\]"):
            validate_bars(frame.drop(columns=["close"]))
    no_volume = validate_bars(frame.drop(columns=["volume"]))
    assert no_volume.ok and not no_volume.has_volume and no_volume.volume.empty


def test_loaded_bars_survive_pandas_operations_that_compare_attrs(real):
    """pandas compares a frame's attrs on concat and nlargest; a report compared field by field
    (DataFrames inside) has no truth value and used to make them raise."""
    assert real.attrs["validation"] is not None
    assert len(real["volume"].nlargest(3)) == 3
    assert len(pd.concat([real.head(5), real.tail(5)])) == 10
    assert real.attrs["validation"] == real.attrs["validation"]


def regular_bars(start, periods, minutes=1, tz="America/New_York"):
    """Constant-price bars every ``minutes`` from ``start`` (a wall time in ``tz``)."""
    times = pd.date_range(start, periods=periods, freq=f"{minutes}min", tz=tz)
    return pd.DataFrame(
        {
            "time": [t.isoformat() for t in times],
            "open": 5000.0,
            "high": 5000.25,
            "low": 5000.0,
            "close": 5000.25,
            "volume": 3,
        }
    )


def test_a_file_without_volume_loads_with_volume_one(tmp_path):
    path = tmp_path / "no_volume.csv"
    regular_bars("2024-03-01 09:30", 10).drop(columns=["volume"]).to_csv(path, index=False)
    bars = load_continuous_contract(path)
    check_bars(bars)
    assert bars["volume"].dtype == np.int64 and bars["volume"].tolist() == [1] * 10
    assert bars.attrs["has_volume"] is False
    assert "no volume column (volume set to 1; volume facts are skipped)" in bars.attrs["validation"].summary()


def test_a_file_with_volume_keeps_it(tmp_path):
    path = tmp_path / "volume.csv"
    regular_bars("2024-03-01 09:30", 10).to_csv(path, index=False)
    bars = load_continuous_contract(path)
    assert bars["volume"].tolist() == [3] * 10
    assert bars.attrs["has_volume"] is True
    assert "volume" not in bars.attrs["validation"].summary()


def test_a_non_strict_load_without_volume_repairs_prices_only(tmp_path):
    frame = regular_bars("2024-03-01 09:30", 5).drop(columns=["volume"])
    frame.loc[2, "open"] = 5000.1
    path = tmp_path / "bad.csv"
    frame.to_csv(path, index=False)
    with pytest.warns(FracFireWarning, match="rounded 1 row"):
        bars = load_continuous_contract(path, strict=False)
    assert bars.attrs["has_volume"] is False and (bars["volume"] == 1).all()


def test_five_minute_bars_are_detected_and_keep_their_sessions(tmp_path):
    # Two Globex sessions: 18:00-16:55 ET, the 17:00-18:00 break, then the next one.
    first = regular_bars("2024-03-04 18:00", 276, minutes=5)
    second = regular_bars("2024-03-05 18:00", 276, minutes=5)
    path = tmp_path / "five.csv"
    pd.concat([first, second]).to_csv(path, index=False)
    bars = load_continuous_contract(path)
    assert bars.attrs["bar_minutes"] == 5 == bar_minutes(bars)
    assert count_sessions(bars) == 2 and bars["session_id"].tolist() == [0] * 276 + [1] * 276
    report = bars.attrs["validation"]
    assert report.gaps["missing_minutes"].tolist() == [60], "only the daily break is a gap"
    assert require_bar_minutes(bars, 5, "calibration") == 5
    with pytest.raises(
        ValueError,
        match=r"calibration needs 1-minute bars; the file has 5-minute bars "
        r"\(median spacing 5 min over 550 pairs\)",
    ):
        require_bar_minutes(bars, 1, "calibration")
    with pytest.raises(
        ValueError,
        match=r"needs 15-minute bars; the file has 5-minute bars .*"
        r"resample_bars\(bars, '15min'\)",
    ):
        require_bar_minutes(bars, 15, "the 15-minute scorecard")


def test_one_minute_bars_are_detected_despite_quiet_minutes():
    frame = regular_bars("2024-03-01 09:30", 30)
    frame = frame.drop(index=[3, 4, 10, 20]).assign(time=lambda f: pd.to_datetime(f["time"]))
    assert bar_minutes(frame) == 1


def test_a_halt_inside_a_session_does_not_start_a_new_one(tmp_path):
    # CME's 2019-02-26 outage: bars stop at 19:40 ET and resume at 22:45 in the same session.
    before = regular_bars("2019-02-26 18:00", 21, minutes=5)
    after = regular_bars("2019-02-26 22:45", 216, minutes=5)
    next_day = regular_bars("2019-02-27 18:00", 10, minutes=5)
    path = tmp_path / "halt.csv"
    pd.concat([before, after, next_day]).to_csv(path, index=False)
    bars = load_continuous_contract(path)
    assert bars["session_id"].tolist() == [0] * (21 + 216) + [1] * 10


def test_offsets_may_change_with_daylight_saving(tmp_path):
    path = tmp_path / "dst.csv"
    regular_bars("2024-03-10 01:55", 3, minutes=5).to_csv(path, index=False)  # 01:55 EST, 03:00 EDT, 03:05 EDT
    bars = load_continuous_contract(path)
    assert bars["time"].dt.strftime("%H:%M%z").tolist() == ["01:55-0500", "03:00-0400", "03:05-0400"]
    frame = regular_bars("2024-03-01 09:30", 3)
    frame.loc[1, "time"] = "2024-03-01 09:31"
    frame.to_csv(path, index=False)
    with pytest.raises(ValueError, match=r"timestamp '2024-03-01 09:31' in row 1 has no UTC offset"):
        load_continuous_contract(path)


@pytest.mark.parametrize(
    "times, match",
    [
        (["2024-03-01 09:30"], r"too few bars to measure the bar size.*got 1 bar"),
        (["2024-03-01 09:30", "2024-03-01 11:30"], r"too few bars .*got 2 bar"),
        (
            pd.date_range("2024-03-01 09:30", periods=5, freq="30s"),
            r"whole number of minutes >= 1 apart; got "
            r"median spacing 0\.5 min over 4 pairs",
        ),
        (["2024-03-01 09:30", "2024-03-01 09:31", "2024-03-01 09:33"], r"median spacing 1\.5 min over 2 pairs"),
    ],
)
def test_bar_minutes_says_why_it_cannot_tell(times, match):
    frame = pd.DataFrame({"time": pd.to_datetime(times)})
    with pytest.raises(ValueError, match=match):
        bar_minutes(frame)


def test_bar_size_checks_reject_bad_arguments():
    frame = pd.DataFrame({"time": pd.date_range("2024-03-01 09:30", periods=3, freq="1min")})
    with pytest.raises(TypeError, match="bars must be a pandas DataFrame; got Series"):
        bar_minutes(frame["time"])
    with pytest.raises(ValueError, match=r"bars must have a 'time' column; got columns \['t'\]"):
        bar_minutes(frame.rename(columns={"time": "t"}))
    with pytest.raises(TypeError, match="expected must be an int; got float"):
        require_bar_minutes(frame, 1.0, "calibration")
    with pytest.raises(ValueError, match="expected must be >= 1; got 0"):
        require_bar_minutes(frame, 0, "calibration")


def test_require_sessions_names_what_was_found_and_what_is_needed(tmp_path):
    path = tmp_path / "one_day.csv"
    regular_bars("2019-09-03 09:30", 390).to_csv(path, index=False)
    bars = load_continuous_contract(path)
    assert count_sessions(bars) == 1 == require_sessions(bars, 1, "calibration")
    with pytest.raises(
        ValueError,
        match=r"^calibration needs at least 5 trading sessions \(3 for fitting, "
        r"2 held out\); the file has 1 session \(2019-09-03\)\.",
    ):
        require_sessions(bars, 5, "calibration", "3 for fitting, 2 held out")
    frame = pd.DataFrame({"session_id": [0, 1]})
    with pytest.raises(ValueError, match=r"fitting needs at least 3 trading sessions; the data has 2 sessions\."):
        require_sessions(frame, 3, "fitting")
    with pytest.raises(ValueError, match="bars must have a 'session_id' column"):
        count_sessions(frame.rename(columns={"session_id": "day"}))
    with pytest.raises(TypeError, match="minimum must be an int; got str"):
        require_sessions(bars, "5", "calibration")
    with pytest.raises(ValueError, match="minimum must be >= 1; got 0"):
        require_sessions(bars, 0, "calibration")


def test_a_dataframe_loads_like_its_file(real):
    """backtesting.py's frame (DatetimeIndex, capitalised OHLCV) round-trips; columns= names the rest."""
    import fracfire as ff

    frame = ff.to_backtesting_py(real)
    assert list(frame.columns) == ["Open", "High", "Low", "Close", "Volume"] and frame.index.tz is None
    back = ff.load_continuous_contract(frame)
    fields = ["time", "open", "high", "low", "close", "volume"]
    pd.testing.assert_frame_equal(back[fields], real[fields])
    assert back.attrs["bar_minutes"] == 1
    utc = ff.to_backtesting_py(real, tz="UTC")
    assert ff.load_continuous_contract(utc)["time"].equals(real["time"])
    renamed = frame.reset_index(names="Gmt time").rename(columns={"Close": "Last_Px"})
    again = ff.load_continuous_contract(renamed, columns={"time": "Gmt time", "close": "Last_Px"})
    assert again["close"].equals(real["close"])
    assert len(frame) == len(real) and "time" not in frame.columns  # the caller's frame is untouched


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"columns": {"tme": "Open"}}, r"columns: unknown bar field\(s\) \['tme'\]"),
        ({"columns": {"close": "Last"}}, r"<DataFrame>: columns= names \{'close': 'Last'\} but the data has no such"),
    ],
)
def test_bad_column_mappings_are_named(real, kwargs, message):
    import fracfire as ff

    with pytest.raises(ValueError, match=message):
        ff.load_continuous_contract(ff.to_backtesting_py(real), **kwargs)


def test_bad_dataframes_are_named(real):
    import fracfire as ff

    frame = ff.to_backtesting_py(real)
    with pytest.raises(ValueError, match="<DataFrame>: no bars in the frame"):
        ff.load_continuous_contract(frame.iloc[:0])
    broken = frame.copy()
    broken.iloc[5, 1] = float("inf")
    with pytest.raises(ValueError, match=r"<DataFrame>: .*row 5, high=inf"):
        ff.load_continuous_contract(broken)
    gap = frame.reset_index()
    gap.loc[3, "time"] = pd.NaT
    with pytest.raises(ValueError, match="<DataFrame>: missing timestamp in row 3"):
        ff.load_continuous_contract(gap)


def test_off_minute_and_unsorted_rows_are_named(tmp_path):
    from fracfire.exceptions import BarsValidationError

    b = "3000,3001,2999,3000.5,10"
    path = tmp_path / "om.csv"
    path.write_text(
        f"time,open,high,low,close,volume\n2025-01-06 10:00,{b}\n2025-01-06 10:02,{b}\n"
        f"2025-01-06 10:01:30,{b}\n2025-01-06 10:03,{b}\n"
    )
    with pytest.raises(
        BarsValidationError,
        match=r"unsorted 1 \(first: row 2: 2025-01-06 10:01:30-05:00 after "
        r"2025-01-06 10:02:00-05:00\), off_minute 1 \(first: row 2\)",
    ):
        load_continuous_contract(path)
    with pytest.warns(UserWarning, match="not on a whole minute"):
        bars = load_continuous_contract(path, strict=False)
    assert len(bars) == 3 and (bars["time"].dt.second == 0).all()
