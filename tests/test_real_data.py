import gzip
import json
import warnings
from pathlib import Path

import pandas as pd
import pytest

from fracfire import check_bars
from fracfire.data.real import load_continuous_contract, validate_bars
from fracfire.exceptions import BarsValidationError, FracFireWarning

SAMPLE = Path(__file__).parent.parent / "data" / "es_1min_2019-09.csv.gz"


@pytest.fixture(scope="module")
def real():
    return load_continuous_contract(SAMPLE)


def test_bundled_sample_loads_into_the_engine_schema(real):
    check_bars(real)
    assert len(real) == 28_409
    assert str(real["time"].dt.tz) == "America/New_York"
    assert real["time"].iloc[0] == pd.Timestamp("2019-09-01 18:00", tz="America/New_York")
    assert real["state"].isna().all() and real["macro_regime"].isna().all()
    assert real["segment_id"].nunique() == 21, "one segment per Globex session"
    assert real["session"].iloc[0] == "asian"
    assert (real.loc[real["time"].dt.strftime("%H:%M") == "10:00", "session"] == "rth").all()
    report = real.attrs["validation"]
    assert report.ok and report.rows == 28_409
    assert report.gaps_by_session()["afterhours"] > 10_000, "the daily 17:00-18:00 break"


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
        frame = pd.DataFrame(rows).rename(columns={"timestamp": "Date_Time", "o": "Open", "h": "High",
                                                   "l": "Low", "c": "Last", "v": "Volume"})
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


def test_naive_times_take_the_given_timezone(tmp_path):
    path = tmp_path / "bars.csv"
    pd.DataFrame({"time": ["2024-03-01 08:30", "2024-03-01 08:31"], "open": [1.0, 1.0], "high": [1.0, 1.25],
                  "low": [1.0, 1.0], "close": [1.0, 1.25], "volume": [1, 2]}).to_csv(path, index=False)
    bars = load_continuous_contract(path, tz="America/Chicago")
    assert bars["time"].iloc[0] == pd.Timestamp("2024-03-01 09:30", tz="America/New_York")


def write_csv(tmp_path, rows, name="bad.csv"):
    path = tmp_path / name
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def csv_rows():
    return [{"time": r["timestamp"], "open": r["o"], "high": r["h"], "low": r["l"], "close": r["c"],
             "volume": r["v"]} for r in raw_rows()]


@pytest.mark.parametrize("mutate, match", [
    (lambda r: r[1].update(open=5000.6), r"off_grid 1"),
    (lambda r: r[1].update(high=4990.0), r"ohlc 1"),
    (lambda r: r[2].update(volume=0), r"volume 1"),
    (lambda r: r[2].update(time=r[1]["time"]), r"duplicates 2"),
    (lambda r: r.reverse(), r"unsorted 2"),
    (lambda r: r[0].update(close=None), r"nan 1"),
])
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


@pytest.mark.parametrize("content, match", [
    ("", "the file is empty"),
    ("time,open,high,low,close,volume\n", "no bars in the file"),
    ("time,open,high,low,close\n2024-03-01 09:30,1,1,1,1\n", r"missing column\(s\) \['volume'\]"),
    ("time,open,high,low,close,volume\nyesterday-ish,1,1,1,1,1\n", "unparsable timestamp 'yesterday-ish' in row 0"),
])
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
        with pytest.raises(ValueError, match=r"missing columns \['volume'\]"):
            validate_bars(frame.drop(columns=["volume"]))
