import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from fracfire import PhysicsConfig, PriceGenerator
from fracfire.cli import app
from fracfire.evaluation import (
    BacktestConfig,
    BadTradeConfig,
    DecisionAnchorConfig,
    IndicatorConfig,
    SetupConfig,
    SetupEntry,
    SetupFamilyConfig,
    add_1m_indicators,
    compute_trade_features,
    evaluate_generic_entry_1m,
    find_opening_orb_continuations_1m,
    inject_bad_trade_variants,
    mark_decision_points_1m,
    metrics,
    run_backtest,
    run_setups,
    summarize_orb_day_1m,
)
from fracfire.evaluation._kernels import ema, ema_python, scan_exit, scan_exit_python
from fracfire.evaluation.crosscheck import backtesting_py_ema_cross
from fracfire.evaluation.strategies import ema_cross_entries

ROOT = Path(__file__).resolve().parents[1]

runner = CliRunner()
CALIBRATED = PhysicsConfig.from_yaml(ROOT / "configs/physics_calibrated.yaml")


@pytest.fixture(scope="module")
def week():
    return PriceGenerator(seed=3, physics=CALIBRATED).generate_days("2025-01-06", 5)


def bars_from(rows, start="2025-01-06 09:30"):
    """Hand-made one-minute bars from (open, high, low, close) tuples."""
    frame = pd.DataFrame(rows, columns=["open", "high", "low", "close"])
    frame.insert(0, "time", pd.date_range(start, periods=len(rows), freq="min", tz="America/New_York"))
    frame["volume"] = 100
    return frame


# ------------------------------------------------------------------ indicators
@given(values=st.lists(st.floats(100, 10_000), min_size=1, max_size=300), span=st.integers(1, 250))
def test_ema_matches_pandas_ewm(values, span):
    x = np.array(values)
    expected = pd.Series(x).ewm(span=span, adjust=False).mean().to_numpy()
    np.testing.assert_allclose(ema(x, float(span)), expected, rtol=1e-12)
    np.testing.assert_allclose(ema_python(x, float(span)), expected, rtol=1e-12)


def test_indicators_and_vwap_reset_at_the_globex_open(week):
    x = add_1m_indicators(week, IndicatorConfig(ema_fast=10, ema_slow=50))
    np.testing.assert_allclose(x["ema_slow"], week["close"].ewm(span=50, adjust=False).mean(), rtol=1e-12)
    at_open = x["time"].dt.strftime("%H:%M") == "18:00"
    typical = (x["high"] + x["low"] + x["close"]) / 3
    np.testing.assert_allclose(x.loc[at_open, "vwap"], typical[at_open])
    assert not x[["ema_fast", "ema_slow", "vwap"]].isna().any().any()


def test_decision_points_close_five_minute_bars(week):
    marks = mark_decision_points_1m(week)
    assert (week.loc[marks, "time"].dt.minute % 5 == 4).all()
    assert marks.sum() == len(week) // 5
    assert mark_decision_points_1m(week, DecisionAnchorConfig(15, 14)).sum() == len(week) // 15
    with pytest.raises(ValueError, match="offset must be in"):
        DecisionAnchorConfig(5, 5)


# ------------------------------------------------------------------ outcomes
def test_same_bar_stop_and_target_counts_as_stop():
    bars = bars_from([(100, 100, 100, 100), (100, 105, 95, 100), (100, 101, 99, 100)])
    entry = SetupEntry(bars["time"][0], "long", "orb", 100.0, 97.0, 103.0)
    outcome = evaluate_generic_entry_1m(bars, entry, 10)
    assert outcome.hit_stop and not outcome.hit_target and outcome.r_multiple == -1.0
    assert outcome.exit_time == bars["time"][1]


def test_target_time_stop_and_excursions():
    bars = bars_from([(100, 100, 100, 100), (100, 101, 98, 101), (101, 104, 100.5, 103.5)])
    entry = SetupEntry(bars["time"][0], "long", "orb", 100.0, 97.0, 103.0)
    outcome = evaluate_generic_entry_1m(bars, entry, 10)
    assert outcome.hit_target and outcome.r_multiple == 1.0
    assert outcome.mfe == pytest.approx(4 / 3) and outcome.mae == pytest.approx(-2 / 3)
    timed = evaluate_generic_entry_1m(bars, SetupEntry(bars["time"][0], "short", "orb", 100.0, 110.0, 90.0), 2)
    assert not (timed.hit_target or timed.hit_stop) and timed.exit_price == 103.5
    assert timed.r_multiple == pytest.approx(-0.35)


@given(seed=st.integers(0, 10_000), direction=st.sampled_from([1, -1]))
def test_scan_kernel_equals_python_twin(seed, direction):
    rng = np.random.default_rng(seed)
    close = 100 + np.cumsum(rng.normal(0, 1, 80))
    high, low = close + rng.random(80), close - rng.random(80)
    args = (high, low, close, 1, 80, direction, 100 - 3 * direction, 100 + 4 * direction)
    assert scan_exit(*args) == scan_exit_python(*args)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(direction="up"), "direction must be 'long' or 'short'"),
        (dict(stop_price=101.0), "stop 101.0 is on the wrong side of entry 100.0"),
        (dict(target_price=99.0), "target 99.0 is on the wrong side"),
    ],
)
def test_bad_entries(kwargs, match):
    base = dict(
        time=pd.Timestamp("2025-01-06 10:00", tz="America/New_York"),
        direction="long",
        kind="orb",
        entry_price=100.0,
        stop_price=98.0,
        target_price=104.0,
    )
    with pytest.raises(ValueError, match=match):
        SetupEntry(**{**base, **kwargs})


# ------------------------------------------------------------------ setup families
def test_orb_breakout_is_found_at_the_decision_anchor():
    rows = [(100, 101, 99, 100)] * 15  # 09:30-09:44 opening range 99-101
    rows += [(100, 100.5, 99.5, 100)] * 4 + [(100, 102.5, 100, 102)]  # 09:49 closes above the range
    rows += [(102, 103, 101.5, 102.5)] * 20
    bars = bars_from(rows)
    entries = find_opening_orb_continuations_1m(bars, SetupConfig())
    assert len(entries) == 1
    entry = entries[0]
    assert entry.time == pd.Timestamp("2025-01-06 09:49", tz="America/New_York")
    assert entry.direction == "long" and entry.stop_price == 100.0 and entry.target_price == 106.0
    summary = summarize_orb_day_1m(bars, SetupConfig())
    assert summary[["or_high", "or_low", "entries"]].iloc[0].tolist() == [101.0, 99.0, 1]


def test_all_families_fire_on_synthetic_days(week):
    outcomes = run_setups(week, None)
    kinds = {o.entry.kind for o in outcomes}
    assert kinds == {"orb", "level_scalp", "ema20_vwap_revert", "ema200_continuation"}
    assert all(o.entry.time < (o.exit_time or o.entry.time + pd.Timedelta(1)) for o in outcomes)
    only_orb = SetupConfig(
        level_scalp=SetupFamilyConfig(False),
        ema20_vwap_revert=SetupFamilyConfig(False),
        ema200_continuation=SetupFamilyConfig(False),
    )
    assert {o.entry.kind for o in run_setups(week, None, only_orb)} == {"orb"}
    with pytest.raises(ValueError, match=r"unknown parameter\(s\) \['tp'\]"):
        SetupConfig(orb=SetupFamilyConfig(params={"tp": 3}))


def test_trade_features_and_bad_trade_variants(week):
    x = add_1m_indicators(week)
    outcomes = run_setups(x, None)[:20]
    features = compute_trade_features(outcomes[0], x)
    for key in (
        "dist_ema_fast",
        "dist_vwap",
        "body_frac",
        "wick_up_frac",
        "wick_dn_frac",
        "hour",
        "bars_to_exit",
        "risk",
        "r_multiple",
        "mfe_mae_ratio",
        "low_rr_flag",
        "chase_flag",
        "hesitation_flag",
    ):
        assert key in features
    assert any(k.startswith("ctx_") for k in features)
    variants = inject_bad_trade_variants(x, outcomes, BadTradeConfig(max_variants_per_trade=2))
    assert {v.entry.context["variant"] for v in variants} == {"hesitation", "chase"}
    chases = [v for v in variants if v.entry.context["variant"] == "chase"]
    originals = {(o.entry.kind, o.entry.stop_price, o.entry.target_price): o for o in outcomes}
    for v in chases:
        original = originals[(v.entry.kind, v.entry.stop_price, v.entry.target_price)]
        assert v.entry.sign * (v.entry.entry_price - original.entry.entry_price) >= 0, "a chase enters worse"
    assert compute_trade_features(chases[0], x)["chase_flag"]
    only_one = inject_bad_trade_variants(x, outcomes, BadTradeConfig(max_variants_per_trade=1))
    assert len(only_one) <= len(outcomes)


# ------------------------------------------------------------------ metrics vs empyrical
@given(returns=st.lists(st.floats(-0.2, 0.2), min_size=3, max_size=300))
def test_trading_ratios_match_empyrical(returns):
    import empyrical

    r = np.array(returns)
    if np.ptp(r) == 0:
        return
    for ours, theirs in (
        (metrics.sharpe_ratio(r), empyrical.sharpe_ratio(r)),
        (metrics.sortino_ratio(r), empyrical.sortino_ratio(r)),
        (metrics.max_drawdown(r), empyrical.max_drawdown(r)),
        (
            metrics.sharpe_ratio(r, periods_per_year=98280, risk_free=0.0001),
            empyrical.sharpe_ratio(r, risk_free=0.0001, annualization=98280),
        ),
    ):
        if np.isfinite(theirs):
            assert ours == pytest.approx(theirs, rel=1e-9, abs=1e-12)


def test_classification_and_regression_metrics():
    y, p = ["a", "b", "a", "c"], ["a", "b", "b", "c"]
    assert metrics.accuracy(y, p) == 0.75
    assert metrics.confusion_matrix(y, p).loc["a", "b"] == 1
    from sklearn.metrics import f1_score

    assert metrics.macro_f1(y, p) == pytest.approx(f1_score(y, p, average="macro"))
    assert metrics.rmse([1, 2], [1, 4]) == pytest.approx(np.sqrt(2))
    assert metrics.mae([1, 2], [1, 4]) == 1.0
    assert metrics.directional_accuracy([1, -1, 0, 2], [0.5, 1, 3, 1]) == pytest.approx(2 / 3)
    assert metrics.profit_factor([10, -5, 5]) == 3.0
    assert metrics.drawdown_duration([0.1, -0.1, 0.01, 0.2]) == 2
    with pytest.raises(ValueError, match="returns contains NaN at position 1"):
        metrics.sharpe_ratio([0.1, np.nan, 0.2])


# ------------------------------------------------------------------ backtester vs backtesting.py
@pytest.mark.parametrize("seed", [5, 11])
def test_backtester_agrees_with_backtesting_py(seed):
    bars = PriceGenerator(seed=seed, physics=CALIBRATED).generate_days("2025-01-06", 4)
    ours = run_backtest(
        bars, ema_cross_entries(bars), BacktestConfig(contract=1.0, initial_cash=1_000_000, commission=0.0)
    )
    stats = backtesting_py_ema_cross(bars)
    theirs = stats._trades
    closed = ours.trades[ours.trades["exit_reason"] != "open_at_end"].reset_index(drop=True)
    assert len(closed) == len(theirs) > 5
    np.testing.assert_array_equal(closed["entry_time"].dt.tz_localize(None), theirs["EntryTime"])
    np.testing.assert_array_equal(closed["exit_time"].dt.tz_localize(None), theirs["ExitTime"])
    np.testing.assert_allclose(closed["entry_price"], theirs["EntryPrice"])
    np.testing.assert_allclose(closed["exit_price"], theirs["ExitPrice"])
    assert ours.equity.iloc[-1] == pytest.approx(stats["Equity Final [$]"], rel=1e-12)


def test_backtest_costs_sizing_and_limits(week):
    entries = ema_cross_entries(week)
    free = run_backtest(week, entries, BacktestConfig(contract="MES", commission=0.0))
    costly = run_backtest(week, entries, BacktestConfig(contract="MES", commission=0.62, slippage_ticks=1))
    assert costly.equity.iloc[-1] < free.equity.iloc[-1]
    es = run_backtest(week, entries, BacktestConfig(contract="ES", commission=0.0))
    assert es.equity.iloc[-1] - 10_000 == pytest.approx(10 * (free.equity.iloc[-1] - 10_000))
    sized = run_backtest(week, entries, BacktestConfig(contract="MES", risk_fraction=0.02, commission=0.0))
    assert (sized.trades["contracts"] >= 1).all() and sized.trades["contracts"].max() > 1
    timed = run_backtest(week, entries, BacktestConfig(time_stop_minutes=3))
    assert (timed.trades["exit_reason"].isin(["time", "stop", "target", "open_at_end"])).all()
    assert "time" in set(timed.trades["exit_reason"])
    capped = run_backtest(week, entries, BacktestConfig(max_daily_loss=1.0))
    assert len(capped.trades) < len(free.trades)
    m = free.metrics
    for key in (
        "total_return",
        "cagr",
        "sharpe",
        "sortino",
        "max_drawdown",
        "win_rate",
        "profit_factor",
        "expectancy_r",
        "average_r",
        "exposure",
    ):
        assert key in m
    assert "trades" in free.summary()


def test_backtest_rejects_bad_input(week):
    entries = ema_cross_entries(week)
    with pytest.raises(ValueError, match=r"run_backtest: bars: 'time' must be strictly increasing.*row 1: time="):
        run_backtest(week.iloc[::-1].reset_index(drop=True), entries)
    with pytest.raises(ValueError, match=r"run_backtest: bars: NaN in prices/volume.*row 3: time=.*close=nan"):
        run_backtest(week.assign(close=week["close"].where(week.index != 3)), entries)
    with pytest.raises(ValueError, match=r"run_backtest: bars: values out of range \(price 1e\+300 in row 5"):
        run_backtest(week.assign(high=week["high"].where(week.index != 5, 1e300)), entries)
    with pytest.raises(ValueError, match=r"run_setups: df_1m: OHLC violated.*row 7"):
        run_setups(week.assign(low=week["low"].where(week.index != 7, week["high"] + 5)), None)
    moved = SetupEntry(entries[0].time + pd.Timedelta(seconds=30), "long", "x", 100.0, 99.0, 101.0)
    with pytest.raises(ValueError, match="is not the time of a bar"):
        run_backtest(week, [moved])
    with pytest.raises(ValueError, match="contract must be one of"):
        BacktestConfig(contract="NQ")


# ------------------------------------------------------------------ runner and CLI
def test_setups_cli_writes_the_scenario_folder(tmp_path):
    out = tmp_path / "scenario"
    result = runner.invoke(
        app,
        [
            "setups",
            "run",
            "--days",
            "3",
            "--seed",
            "3",
            "--out",
            str(out),
            "--config",
            str(ROOT / "configs/physics_calibrated.yaml"),
            "--inject-hesitation",
            "--inject-chase",
            "--max-variants-per-trade",
            "2",
        ],
    )
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text())
    assert {"entries", "outcomes", "misses", "features", "totals"} <= set(summary)
    variants = {f["variant"] for f in summary["features"]}
    assert variants == {"original", "hesitation", "chase"}
    assert len(pd.read_csv(out / "trades_features.csv")) == len(summary["outcomes"])
    assert len(pd.read_csv(out / "synthetic_5m.csv")) == 3 * 276  # three Globex sessions of 23 hours
    assert summary["source"] == "synthetic" and summary["bars_1m"] == "synthetic_1m.csv"
    result = runner.invoke(app, ["plot-trades", str(out)])
    assert result.exit_code == 0 and (out / "trade_plot.png").exists()


def test_setups_on_real_bars_are_not_called_synthetic(tmp_path):
    from fracfire.data import load_continuous_contract, write_bars

    real = load_continuous_contract(ROOT / "data/es_1min_2019-09.csv.gz")
    write_bars(real[real["session_id"] < 3], tmp_path / "real.csv")
    out = tmp_path / "scenario"
    result = runner.invoke(app, ["setups", "run", "--real", str(tmp_path / "real.csv"), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == [
        "real_1m.csv",
        "real_5m.csv",
        "summary.json",
        "trades_features.csv",
    ]
    assert json.loads((out / "summary.json").read_text())["source"] == "real"
    result = runner.invoke(app, ["plot-trades", str(out)])
    assert result.exit_code == 0 and (out / "trade_plot.png").exists()


def test_backtest_kernel_equals_python_twin(week):
    from fracfire.evaluation._kernels import backtest_loop, backtest_loop_python

    bars = week.iloc[:3000]
    entries = ema_cross_entries(bars)
    index = bars["time"].searchsorted(pd.DatetimeIndex([e.time for e in entries]))
    args = (
        *(bars[k].to_numpy(dtype=float) for k in ("open", "high", "low", "close")),
        np.zeros(len(bars), np.int64),
        np.asarray(index, dtype=np.int64),
        np.array([e.sign for e in entries], float),
        np.array([e.stop_price for e in entries]),
        np.array([e.target_price for e in entries]),
        1.0,
        0.01,
        5.0,
        0.62,
        0.25,
        10_000.0,
        2,
        30,
        50.0,
    )
    fast, slow = backtest_loop(*args), backtest_loop_python(*args)
    np.testing.assert_allclose(fast[0], slow[0])
    np.testing.assert_allclose(fast[1], slow[1])


def only(kind, **params):
    """A SetupConfig with one family enabled (with parameter overrides)."""
    off = SetupFamilyConfig(enabled=False)
    families = {k: off for k in ("orb", "level_scalp", "ema20_vwap_revert", "ema200_continuation")}
    families[kind] = SetupFamilyConfig(params=params)
    return SetupConfig(**families)


QUIET = (99.5, 99.75, 99.25, 99.5)  # a bar that touches no level near 100


def test_level_scalp_fades_a_rejected_round_number_with_its_cooldown():
    rejected = (99.25, 100.25, 99.0, 99.5)  # through 100 from below, closes back under it: short
    rows = [QUIET] * 5 + [rejected] + [QUIET] * 9 + [rejected] + [QUIET] * 24 + [rejected]
    rows += [(99.5, 99.5, 96.5, 97.0)]  # reaches the target of the last one
    bars = bars_from(rows)
    outcomes = run_setups(bars, None, only("level_scalp", cooldown_minutes=30, max_minutes=20))
    times = [o.entry.time.strftime("%H:%M") for o in outcomes]
    assert times == ["09:35", "10:10"], "the 09:45 rejection is inside the 30-minute cooldown"
    first = outcomes[0].entry
    assert (first.direction, first.entry_price, first.stop_price) == ("short", 99.5, 101.5), "6 ticks over 100"
    assert first.target_price == 96.5, "1.5 R below the entry (R = 2 points)"
    assert first.context["level"] == "round_100"
    assert outcomes[1].hit_target and outcomes[1].exit_time == bars["time"].iloc[-1]
    timed = outcomes[0]
    assert not timed.hit_target and not timed.hit_stop, "the first one runs into its 20-minute time stop"
    assert timed.exit_time.strftime("%H:%M") == "09:55" and timed.r_multiple == 0.0
    held = bars.assign(time=bars["time"] - pd.Timedelta(hours=2))  # 07:30-08:11: outside regular hours
    assert run_setups(held, None, only("level_scalp")) == []


def test_level_scalp_same_bar_stop_and_target_is_a_stop():
    rows = [QUIET] * 5 + [(99.25, 100.25, 99.0, 99.5), (99.5, 101.5, 96.5, 99.0)] + [QUIET] * 3
    outcome = run_setups(bars_from(rows), None, only("level_scalp"))[0]
    assert outcome.hit_stop and not outcome.hit_target and outcome.r_multiple == -1.0


def with_indicators(rows, vwap, ema_fast, ema_slow):
    return bars_from(rows).assign(vwap=vwap, ema_fast=ema_fast, ema_slow=ema_slow)


def test_vwap_revert_enters_on_a_stretched_up_bar_at_a_decision_anchor():
    stretched_up = (99.0, 99.75, 98.5, 99.5)  # closes up, 18 ticks under a VWAP of 104
    rows = [QUIET] * 3 + [stretched_up] * 2 + [QUIET] * 3 + [(99.5, 104.25, 99.5, 104.0)]
    bars = with_indicators(rows, vwap=104.0, ema_fast=100.0, ema_slow=100.0)
    outcomes = run_setups(bars, None, only("ema20_vwap_revert"))
    assert [o.entry.time.strftime("%H:%M") for o in outcomes] == ["09:34"], "09:33 is not a decision anchor"
    entry = outcomes[0].entry
    assert (entry.direction, entry.entry_price, entry.stop_price, entry.target_price) == ("long", 99.5, 97.5, 104.0)
    assert outcomes[0].hit_target and outcomes[0].r_multiple == pytest.approx(4.5 / 2.0)
    mirrored = with_indicators([(102.0, 102.5, 101.25, 101.5)] * 5, vwap=97.0, ema_fast=100.0, ema_slow=100.0)
    short = run_setups(mirrored, None, only("ema20_vwap_revert"))[0].entry
    assert (short.direction, short.entry_price, short.stop_price, short.target_price) == ("short", 101.5, 103.5, 97.0)
    not_stretched = with_indicators([stretched_up] * 5, vwap=102.0, ema_fast=100.0, ema_slow=100.0)
    assert run_setups(not_stretched, None, only("ema20_vwap_revert")) == [], "10 ticks is under the 16-tick stretch"


def test_ema_continuation_buys_a_pullback_to_the_fast_ema_in_an_uptrend():
    pullback = (101.0, 101.5, 99.75, 101.25)  # low through the fast EMA (100), closes above it
    rows = [(101.0, 101.25, 100.75, 101.0)] * 4 + [pullback] + [(101.25, 101.5, 101.0, 101.25)] * 3
    rows += [(101.25, 104.5, 101.25, 104.0)]
    bars = with_indicators(rows, vwap=101.0, ema_fast=100.0, ema_slow=95.0)
    outcomes = run_setups(bars, None, only("ema200_continuation"))
    assert len(outcomes) == 1
    entry = outcomes[0].entry
    assert entry.time.strftime("%H:%M") == "09:34"
    assert (entry.direction, entry.entry_price, entry.stop_price) == ("long", 101.25, 99.25), "2 ticks under the low"
    assert entry.target_price == 105.25 and not outcomes[0].hit_target, "2 R: 104.5 falls short"
    downtrend = with_indicators(rows, vwap=101.0, ema_fast=100.0, ema_slow=105.0)
    assert run_setups(downtrend, None, only("ema200_continuation")) == [], "no long against the slow EMA"


def test_a_setup_run_is_a_result_that_saves_what_it_holds(tmp_path, week):
    from fracfire.evaluation import evaluate_setups, run_scenario
    from fracfire.runs import SetupsFolder

    found = evaluate_setups(week, source="synthetic")
    assert found.outcomes and found.entries == [o.entry for o in found.outcomes]
    assert f"{len(found.outcomes)} trades on synthetic bars" in found.summary()
    assert sum(t["count"] for t in found.totals) == len(found.outcomes)
    paths = found.save(tmp_path / "a")
    files = SetupsFolder(tmp_path / "a")
    assert sorted(paths) == sorted(p.name for p in files.root.iterdir())
    assert json.loads(files.summary.read_text()) == json.loads(json.dumps(found.to_dict(), default=str))
    again = run_scenario(week, tmp_path / "b")  # the seed's runner writes the same folder
    assert all(again[name].read_bytes() == path.read_bytes() for name, path in paths.items())
    with pytest.raises(ValueError, match="source must be 'synthetic' or 'real'; got 'paper'"):
        evaluate_setups(week, source="paper")


def test_setup_trades_end_with_their_session():
    """A trade never runs through the 17:00 ET close (into the next session, or across a weekend)."""
    from fracfire.calendar import trading_day_number
    from fracfire.data import load_continuous_contract
    from fracfire.evaluation import run_setups
    from tests.test_real_data import SAMPLE

    real = load_continuous_contract(SAMPLE)
    outcomes = [o for o in run_setups(real, None) if o.exit_time is not None]
    entered = trading_day_number(pd.DatetimeIndex([o.entry.time for o in outcomes]))
    left = trading_day_number(pd.DatetimeIndex([o.exit_time for o in outcomes]))
    assert len(outcomes) > 100 and (entered == left).all()  # 12 of them crossed before
