"""Bad input gets one clear error naming the row or field: the malformed-file corpus,
loader fuzzing, and values no bar can hold anywhere in the system."""

import json
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fracfire import PhysicsConfig, PriceGenerator
from fracfire.data import load_continuous_contract
from fracfire.exceptions import BarsValidationError
from fracfire.schema import MAX_PRICE, bars_frame, check_bars
from scripts.make_bad_corpus import build

CORPUS = Path(__file__).parent / "data" / "bad"
CASES = json.loads((CORPUS / "cases.json").read_text(encoding="utf-8"))
ERRORS = {"ValueError": ValueError, "BarsValidationError": BarsValidationError}


def test_corpus_is_the_scripts_output(tmp_path):
    build(tmp_path)
    made = sorted(p.name for p in tmp_path.iterdir())
    assert made == sorted(p.name for p in CORPUS.iterdir())
    for name in made:
        assert (tmp_path / name).read_bytes() == (CORPUS / name).read_bytes(), f"{name} was edited by hand"


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_malformed_file_gets_a_clear_error(name):
    case = CASES[name]
    with pytest.raises(ERRORS[case["error"]]) as info:
        load_continuous_contract(CORPUS / name)
    assert type(info.value).__name__ == case["error"]
    first_line = str(info.value).splitlines()[0]
    assert re.search(case["match"], first_line), first_line
    assert name in first_line, "the message names the file"


@pytest.mark.parametrize("name", [n for n, c in CASES.items() if c["error"] == "BarsValidationError"])
def test_lenient_load_repairs_and_says_so(name):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        bars = load_continuous_contract(CORPUS / name, strict=False)
    check_bars(bars)
    repairs = bars.attrs["validation"].repairs
    assert repairs and any(str(w.message).endswith(repairs[-1]) for w in caught)
    assert bars["high"].max() < 10_000 and bars["volume"].min() >= 1


_CLEAN = (CORPUS / "high_inf.csv").read_text(encoding="utf-8").replace("inf", "2983.75")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(row=st.integers(1, 30), column=st.integers(0, 5),
       value=st.sampled_from(["", "nan", "inf", "-inf", "1e400", "-1", "0", "0.1", "1e19", "abc", "2983.30",
                              "2019-13-45", "9" * 30, "1,2", '"', "\x00"]))
def test_fuzzed_csv_never_tracebacks_nor_changes_silently(tmp_path, row, column, value):
    """One cell replaced by junk: a clear ValueError, or bars that equal a clean reading of it."""
    lines = _CLEAN.splitlines()
    cells = lines[row].split(",")
    cells[column] = value
    lines[row] = ",".join(cells)
    path = tmp_path / "fuzz.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    try:
        bars = load_continuous_contract(path)
    except ValueError as exc:  # BarsValidationError is a ValueError
        assert str(exc).startswith(str(path)), str(exc)
        return
    check_bars(bars)
    raw = pd.read_csv(path)
    assert len(bars) == len(raw)
    for field in ("open", "high", "low", "close"):
        np.testing.assert_array_equal(bars[field].to_numpy(), pd.to_numeric(raw[field]).to_numpy(dtype=float))
    np.testing.assert_array_equal(bars["volume"].to_numpy(), pd.to_numeric(raw["volume"]).to_numpy())


def test_physics_knobs_cannot_overflow_the_bars():
    with pytest.raises(ValueError, match="volume_per_tick"):
        PhysicsConfig(volume_per_tick=1e30)
    with pytest.raises(ValueError, match="initial_price"):
        PriceGenerator(initial_price=MAX_PRICE * 2)
    # The largest knobs allowed still give valid bars (volume fits, prices positive).
    loud = PhysicsConfig(volume_per_tick=1e6, volume_per_move=1e6, avg_ticks_per_bar=10_000)
    check_bars(PriceGenerator(seed=0, physics=loud).generate_day("2025-01-06"))


def test_bars_frame_refuses_wrapped_integers():
    time = pd.date_range("2025-01-06 09:30", periods=3, freq="min", tz="America/New_York")
    ticks = np.array([100, 101, 102])
    labels = {"state": [None] * 3, "session": [None] * 3, "segment_id": np.zeros(3, int), "macro_regime": [None] * 3}
    with pytest.raises(BarsValidationError, match=r"bar 1 .* volume -9223372036854775808"):
        bars_frame(time, ticks, ticks, ticks, ticks, np.array([5, np.iinfo(np.int64).min, 5]), 100, labels)


_BAR = "3000,3000.25,2999.75,3000,5"


@pytest.mark.parametrize(("text", "kwargs", "first", "last"), [
    ("Date,Time,Open,High,Low,Close,Volume\n09/03/2019,09:30,{b}\n09/13/2019,09:31,{b}\n", {},
     "2019-09-03 09:30-04:00", "2019-09-13 09:31-04:00"),
    ("Date,Time,Open,High,Low,Close,Volume\n20190903,093000,{b}\n20190903,093100,{b}\n", {},
     "2019-09-03 09:30-04:00", "2019-09-03 09:31-04:00"),
    ("time,open,high,low,close,volume\n03/09/2019 09:30,{b}\n13/09/2019 09:31,{b}\n", {},
     "2019-09-03 09:30-04:00", "2019-09-13 09:31-04:00"),
    ("time,open,high,low,close,volume\n03/09/2019 09:30,{b}\n03/09/2019 09:31,{b}\n", {"dayfirst": False},
     "2019-03-09 09:30-05:00", "2019-03-09 09:31-05:00"),
    ("time,open,high,low,close,volume\n1567517400,{b}\n1567517460,{b}\n", {},
     "2019-09-03 09:30-04:00", "2019-09-03 09:31-04:00"),
    ("time,open,high,low,close,volume\n1567517400000,{b}\n1567517460000,{b}\n", {},
     "2019-09-03 09:30-04:00", "2019-09-03 09:31-04:00"),
    ("time,open,high,low,close,volume\n1567517400000000,{b}\n1567517460000000,{b}\n", {},
     "2019-09-03 09:30-04:00", "2019-09-03 09:31-04:00"),
    ("time,open,high,low,close,volume\n1567517400000000000,{b}\n1567517460000000000,{b}\n", {},
     "2019-09-03 09:30-04:00", "2019-09-03 09:31-04:00"),
    ("time,open,high,low,close,volume\n2019-11-03 01:30,{b}\n2019-11-03 01:59,{b}\n2019-11-03 01:00,{b}\n"
     "2019-11-03 01:30,{b}\n", {}, "2019-11-03 01:30-04:00", "2019-11-03 01:30-05:00"),
    ("time,open,high,low,close,volume\n2019-11-02T18:00:00-04:00,{b}\n2019-11-04T09:00:00-05:00,{b}\n", {},
     "2019-11-02 18:00-04:00", "2019-11-04 09:00-05:00"),
])
def test_time_formats_parse_to_the_right_instants(tmp_path, text, kwargs, first, last):
    path = tmp_path / "bars.csv"
    path.write_text(text.format(b=_BAR), encoding="utf-8")
    bars = load_continuous_contract(path, **kwargs)
    assert bars["time"].iloc[0] == pd.Timestamp(first) and bars["time"].iloc[-1] == pd.Timestamp(last)
