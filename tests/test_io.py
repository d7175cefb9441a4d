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
