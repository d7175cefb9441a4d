import numpy as np
import pandas as pd
import pytest

from fracfire import check_bars
from fracfire.exceptions import BarsValidationError


@pytest.fixture
def bars(week):
    return week.iloc[:100].copy()


def test_valid_bars_pass(bars):
    assert check_bars(bars) is bars


@pytest.mark.parametrize(
    "mutate, match",
    [
        (lambda d: d.drop(columns=["volume"]), r"missing \['volume'\]"),
        (lambda d: d.iloc[:0], "bars are empty"),
        (lambda d: d.assign(time=d["time"].dt.tz_localize(None)), "must be tz-aware"),
        (lambda d: d.iloc[[0, 2, 1, 3]], "strictly increasing"),
        (lambda d: pd.concat([d.iloc[:2], d.iloc[1:3]]), "strictly increasing"),
        (lambda d: d.assign(close=d["close"].where(d.index != 5, np.nan)), "NaN"),
        (lambda d: d.assign(open=d["open"] + 0.1), "off the 0.25 tick grid"),
        (lambda d: d.assign(high_ticks=d["high_ticks"] + 1), r"\*_ticks columns differ"),
        (lambda d: d.assign(volume=0), "volume must be > 0"),
        (lambda d: d.assign(range_ticks=d["range_ticks"] + 1), "range_ticks inconsistent"),
        (lambda d: d.assign(delta_ticks=d["delta_ticks"] + 1), "delta_ticks differs"),
    ],
)
def test_each_rule_is_enforced_with_a_clear_message(bars, mutate, match):
    with pytest.raises(BarsValidationError, match=match):
        check_bars(mutate(bars))


def test_ohlc_violation_names_first_row(bars):
    bad = bars.copy()
    bad.loc[7, "low"] = bad.loc[7, "high"] + 1
    bad.loc[7, "low_ticks"] = int(bad.loc[7, "low"] / 0.25)
    with pytest.raises(BarsValidationError, match=r"OHLC violated.*first at positions \[7\]"):
        check_bars(bad)


def test_not_a_frame():
    with pytest.raises(TypeError, match="bars must be a pandas DataFrame; got list"):
        check_bars([1, 2])
