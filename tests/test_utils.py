import io

import pytest
from rich.console import Console

from fracfire import DaySummary, compare_states, print_summary, summarize_day


def test_summarize_day(week):
    day = week.iloc[:1440]
    s = summarize_day(day)
    assert isinstance(s, DaySummary)
    assert s.overall["bars"] == 1440
    assert s.overall["net_move"] == pytest.approx(day["close"].iloc[-1] - day["open"].iloc[0])
    assert s.overall["range_ticks"] == (day["high"].max() - day["low"].min()) / 0.25
    assert s.by_state["bars"].sum() == 1440
    assert set(s.by_session.index) == {"asian", "london", "premarket", "rth", "afterhours"}
    assert s.by_segment["bars"].sum() == 1440
    assert s.by_state["net_move_ticks"].sum() == day["delta_ticks"].sum()
    assert "1440 bars" in s.summary()


def test_compare_states_columns(week):
    table = compare_states(week)
    for column in ("avg_delta_ticks", "avg_range_ticks", "up_pct", "avg_volume", "bars"):
        assert column in table.columns
    states = week["state"].astype(str)
    for state, row in table.iterrows():
        mine = week[states == state]
        assert row["bars"] == len(mine)
        assert row["avg_range_ticks"] == pytest.approx(mine["range_ticks"].mean())
        assert row["up_pct"] == pytest.approx(100 * (mine["delta_ticks"] > 0).mean())
        assert row["avg_volume"] == pytest.approx(mine["volume"].mean())
    assert table["bars"].sum() == len(week)
    assert table.loc["flat", "avg_range_ticks"] < table.loc["impulsive", "avg_range_ticks"]


def test_print_summary_prints_tables(week):
    buffer = io.StringIO()
    print_summary(summarize_day(week.iloc[:1440]), verbose=True, console=Console(file=buffer, width=160))
    text = buffer.getvalue()
    for title in ("Overall", "By state", "By session", "By segment"):
        assert title in text
    overall = summarize_day(week.iloc[:1440]).overall
    assert f"{overall['close']:.2f}" in text and f"{overall['range']:.2f}" in text  # prices at tick precision


def test_prices_print_at_tick_precision():
    from fracfire.schema import format_price, is_price_column

    assert [format_price(v) for v in (5000.25, 2919.5, 3000, float("nan"))] == ["5000.25", "2919.50", "3000.00", ""]
    assert is_price_column("close") and is_price_column("entry_price") and not is_price_column("pnl")


def test_summaries_reject_bad_input(week):
    with pytest.raises(ValueError, match="bars are empty"):
        summarize_day(week.iloc[:0])
    with pytest.raises(ValueError, match=r"missing columns \['state'\]"):
        compare_states(week.drop(columns=["state"]))
    with pytest.raises(TypeError, match="expects a DaySummary"):
        print_summary({"overall": {}})
