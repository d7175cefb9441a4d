import pandas as pd
import pytest

from fracfire import check_bars
from fracfire.data import read_bars, write_bars


@pytest.mark.parametrize("name", ["bars.parquet", "bars.csv", "bars.csv.gz"])
def test_round_trip_keeps_schema(tmp_path, week, name):
    day = week.iloc[:1440]
    path = write_bars(day, tmp_path / "nested" / name)
    back = read_bars(path)
    check_bars(back)
    pd.testing.assert_frame_equal(back, day, check_categorical=False)
    assert [p.name for p in path.parent.iterdir()] == [name], "no temporary files left behind"
    assert path.stat().st_mode & 0o044, "readable by group/others like any file the user writes"


def test_bad_paths(tmp_path, week):
    with pytest.raises(ValueError, match=r"must end with one of \['.parquet', '.csv', '.csv.gz'\]"):
        write_bars(week, tmp_path / "bars.xlsx")
    with pytest.raises(FileNotFoundError, match="bars file not found"):
        read_bars(tmp_path / "missing.parquet")


def test_failed_write_leaves_previous_file(tmp_path, week):
    path = write_bars(week.iloc[:10], tmp_path / "bars.parquet")
    before = path.read_bytes()
    with pytest.raises((TypeError, ValueError)):
        write_bars(week.assign(state=[object()] * len(week)), path)
    assert path.read_bytes() == before
    assert len(list(tmp_path.iterdir())) == 1


@pytest.mark.parametrize("name", ["bars.parquet", "bars.csv", "bars.csv.gz"])
def test_writing_is_byte_reproducible(tmp_path, week, name):
    import time

    first = write_bars(week.iloc[:300], tmp_path / "a" / name).read_bytes()
    time.sleep(1.1)  # a gzip header would carry the time and the temporary name
    assert write_bars(week.iloc[:300], tmp_path / "b" / name).read_bytes() == first


def test_reading_checks_the_bars(tmp_path, week):
    from fracfire.exceptions import BarsValidationError

    path = write_bars(week.iloc[:50], tmp_path / "bars.csv")
    lines = path.read_text().splitlines()
    header = lines[0].split(",")
    row = lines[5].split(",")
    row[header.index("high")] = "1e300"
    (tmp_path / "huge.csv").write_text("\n".join([lines[0], *lines[1:5], ",".join(row), *lines[6:]]))
    with pytest.raises(BarsValidationError, match=r"price 1e\+300 in row 4: prices must be finite.*row 4: time="):
        read_bars(tmp_path / "huge.csv")
    row = lines[5].split(",")
    row[0] = row[0][:19]  # the offset dropped: a naive time among aware ones
    (tmp_path / "naive.csv").write_text("\n".join([lines[0], *lines[1:5], ",".join(row), *lines[6:]]))
    with pytest.raises(ValueError, match=r"row 4 has no UTC offset but others have one"):
        read_bars(tmp_path / "naive.csv")
    (tmp_path / "cut.csv.gz").write_bytes(write_bars(week, tmp_path / "w.csv.gz").read_bytes()[:4000])
    with pytest.raises(ValueError, match=r"cut.csv.gz: cannot read the file \(EOFError"):
        read_bars(tmp_path / "cut.csv.gz")


def test_a_foreign_bars_file_goes_through_the_loader(tmp_path, week):
    raw = week.iloc[:120][["time", "open", "high", "low", "close", "volume"]].rename(columns=str.title)
    raw.to_csv(tmp_path / "export.csv", index=False)
    bars = read_bars(tmp_path / "export.csv")
    check_bars(bars)
    assert bars["close"].tolist() == week["close"].iloc[:120].tolist()


def test_a_killed_writers_temporary_file_is_removed_by_the_next_write(tmp_path):
    import os
    import subprocess
    import sys

    from fracfire._atomic import write_text_atomic

    target = tmp_path / "data.csv"
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead = int(child.stdout)  # a process that has exited
    stale = tmp_path / f".data.csv.{dead}.abc123.tmp"
    stale.write_text("half")
    mine = tmp_path / f".data.csv.{os.getpid()}.zzz.tmp"  # a live writer's file stays
    mine.write_text("in progress")
    write_text_atomic(target, "done")
    assert target.read_text() == "done" and not stale.exists() and mine.exists()


def test_a_file_written_before_session_id_reads_back_with_it(tmp_path, week):
    old = tmp_path / "old.parquet"
    week.drop(columns="session_id").to_parquet(old, index=False)
    back = read_bars(old)
    assert list(back.columns) == list(week.columns), "same columns, in the schema's order"
    pd.testing.assert_series_equal(back["session_id"], week["session_id"])
    assert back["state"].equals(week["state"]), "the labels survive (not re-read as a foreign file)"
