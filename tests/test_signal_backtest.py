"""Signal-series backtests (vectorbt style), dropped-entry accounting, and the `fracfire backtest` command."""

import warnings

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from fracfire import PriceGenerator, run_signal_backtest
from fracfire.cli import app
from fracfire.data import to_backtesting_py, write_bars
from fracfire.evaluation import BacktestConfig, ema_cross_entries, read_signals, run_backtest
from fracfire.evaluation._kernels import signal_loop, signal_loop_python
from fracfire.evaluation.metrics import block_bootstrap_ci, kind_statistics, period_returns

runner = CliRunner()
FREE = BacktestConfig(contract=1.0, commission=0.0, initial_cash=1e6)


@pytest.fixture(scope="module")
def bars():
    return PriceGenerator(seed=3).generate_days("2025-01-06", 2)


@pytest.fixture(scope="module")
def position(bars):
    fast, slow = bars["close"].ewm(span=10).mean(), bars["close"].ewm(span=40).mean()
    return np.sign(fast - slow).to_numpy()


def test_kernel_equals_python_twin(bars):
    rng = np.random.default_rng(0)
    flags = [rng.random(len(bars)) < 0.02 for _ in range(4)]
    args = (bars["open"].to_numpy(float), bars["close"].to_numpy(float), *flags, 2.0, 5.0, 0.62, 0.25, 10_000.0)
    for fast, slow in zip(signal_loop(*args), signal_loop_python(*args), strict=True):
        np.testing.assert_allclose(fast, slow)


def test_matches_backtesting_py_trade_by_trade(bars, position):
    from backtesting import Backtest, Strategy

    class Follow(Strategy):
        def init(self):
            pass

        def next(self):
            target = position[len(self.data) - 1]
            if target > 0 and not self.position.is_long:
                self.buy(size=1)
            elif target < 0 and not self.position.is_short:
                self.sell(size=1)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        stats = Backtest(
            to_backtesting_py(bars), Follow, cash=1e6, commission=0, exclusive_orders=True, finalize_trades=True
        ).run()
    theirs = stats._trades
    ours = run_signal_backtest(bars, position=position, config=FREE).trades
    assert len(ours) == len(theirs) > 50
    np.testing.assert_array_equal(ours["entry_time"].dt.tz_localize(None).to_numpy(), theirs["EntryTime"].to_numpy())
    np.testing.assert_allclose(ours["entry_price"], theirs["EntryPrice"])
    # every exit but the last: backtesting.py closes the open trade at the last open, we mark it at the last close
    np.testing.assert_allclose(ours["exit_price"].iloc[:-1], theirs["ExitPrice"].iloc[:-1])
    np.testing.assert_allclose(ours["pnl"].iloc[:-1], theirs["PnL"].iloc[:-1])
    assert ours["direction"].tolist() == np.where(theirs["Size"] > 0, "long", "short").tolist()


def test_booleans_reverse_exit_and_count_dropped_entries(bars):
    n = len(bars)
    entries, exits, shorts = (np.zeros(n, bool) for _ in range(3))
    entries[[10, 20]] = True  # the second entry is dropped: already long
    shorts[30] = True  # reverses the long
    exits[40] = True  # a long exit while short: nothing
    entries[50] = True  # reverses the short
    entries[n - 1] = True  # on the last bar: no bar to fill at
    result = run_signal_backtest(bars, entries=entries, exits=exits, short_entries=shorts, config=FREE)
    t = result.trades
    assert t["direction"].tolist() == ["long", "short", "long"]
    assert t["entry_time"].tolist() == bars["time"].iloc[[11, 31, 51]].tolist()
    assert t["exit_time"].tolist() == bars["time"].iloc[[31, 51, n - 1]].tolist()
    assert t["exit_reason"].tolist() == ["signal", "signal", "open_at_end"]
    np.testing.assert_allclose(t["entry_price"], bars["open"].iloc[[11, 31, 51]])
    assert result.dropped_entries == {"position_limit": 1, "no_bar_to_fill": 1}
    assert "entries dropped: 1 (position limit), 1 (no bar to fill)" in result.summary()
    assert result.equity.iloc[-1] == pytest.approx(1e6 + t["pnl"].sum())


def test_position_series_equals_its_booleans_and_may_skip_times(bars, position):
    by_position = run_signal_backtest(bars, position=position, config=FREE)
    changes = pd.Series(position, index=pd.DatetimeIndex(bars["time"]))
    sparse = changes[changes.ne(changes.shift())]  # only the bars where the target changes; held in between
    by_sparse = run_signal_backtest(bars, position=sparse, config=FREE)
    pd.testing.assert_frame_equal(by_position.trades, by_sparse.trades)
    assert by_position.dropped_entries == {}


def test_bad_signals_are_named(bars):
    with pytest.raises(ValueError, match=r"position must be -1, 0 or 1.*got 2 at bar 5"):
        run_signal_backtest(bars, position=np.where(np.arange(len(bars)) == 5, 2, 0))
    with pytest.raises(ValueError, match="entries must be true/false.*'maybe' at bar 0"):
        run_signal_backtest(bars, entries=np.array(["maybe"] + ["false"] * (len(bars) - 1), dtype=object))
    with pytest.raises(ValueError, match="one value per bar"):
        run_signal_backtest(bars, entries=np.zeros(3, bool))
    stray = pd.Series([True], index=pd.DatetimeIndex([pd.Timestamp("2030-01-02 10:00", tz="America/New_York")]))
    with pytest.raises(ValueError, match="1 time.* match no bar, first 2030-01-02 10:00"):
        run_signal_backtest(bars, entries=stray)
    with pytest.raises(ValueError, match="either position or entry/exit"):
        run_signal_backtest(bars, entries=np.zeros(len(bars), bool), position=np.zeros(len(bars)))
    with pytest.raises(ValueError, match="no signals"):
        run_signal_backtest(bars)
    with pytest.raises(ValueError, match="time_stop_minutes applies to entry backtests"):
        run_signal_backtest(bars, position=np.zeros(len(bars)), config=BacktestConfig(time_stop_minutes=5))


def test_entry_backtest_reports_dropped_entries(bars):
    entries = ema_cross_entries(bars, fast=5, slow=20)
    result = run_backtest(bars, entries, BacktestConfig(max_open_positions=1))
    dropped = sum(result.dropped_entries.values())
    assert dropped == len(entries) - len(result.trades) > 0
    assert result.dropped_entries.get("position_limit", 0) > 0


def test_backtest_command(bars, position, tmp_path):
    write_bars(bars, tmp_path / "bars.parquet")
    pd.DataFrame({"Time": bars["time"], "Signal": position.astype(int)}).to_csv(tmp_path / "sig.csv", index=False)
    result = runner.invoke(
        app,
        [
            "backtest",
            "--bars",
            str(tmp_path / "bars.parquet"),
            "--signals",
            str(tmp_path / "sig.csv"),
            "--out",
            str(tmp_path / "run"),
        ],
    )
    assert result.exit_code == 0, result.output
    folder = tmp_path / "run" / "backtest"
    for name in ("equity.csv", "trades.csv", "metrics.json", "config.json"):
        assert (folder / name).exists()
    assert len(pd.read_csv(folder / "trades.csv")) == len(run_signal_backtest(bars, position=position).trades)
    assert runner.invoke(app, ["report", str(tmp_path / "run")]).exit_code == 0
    html = (tmp_path / "run" / "report.html").read_text()
    assert 'data-chart="candles_bars"' in html  # the trades drawn on the bars the backtest read
    (tmp_path / "bad.csv").write_text("time,position\n2025-01-06 10:00,up\n")
    bad = runner.invoke(
        app, ["backtest", "--bars", str(tmp_path / "bars.parquet"), "--signals", str(tmp_path / "bad.csv")]
    )
    assert bad.exit_code == 1 and "row 2: position 'up' is not a number" in bad.output
    (tmp_path / "none.csv").write_text("time,foo\n2025-01-06 10:00,1\n")
    assert (
        "no signal column"
        in runner.invoke(
            app, ["backtest", "--bars", str(tmp_path / "bars.parquet"), "--signals", str(tmp_path / "none.csv")]
        ).output
    )


@pytest.mark.parametrize(("yes", "no"), [("true", "false"), ("True", "False"), ("1", "0"), ("TRUE", "")])
def test_entries_and_exits_files_backtest_as_the_help_says(bars, position, tmp_path, yes, no):
    """pandas 3 reads text columns as the `str` dtype, not `object`: the words must still be read."""
    entries = np.diff(position, prepend=0) > 0
    exits = np.diff(position, prepend=0) < 0
    pd.DataFrame(
        {"time": bars["time"], "entries": np.where(entries, yes, no), "exits": np.where(exits, yes, no)}
    ).to_csv(tmp_path / "sig.csv", index=False)
    frame = read_signals(tmp_path / "sig.csv")
    expected = run_signal_backtest(bars, entries=entries, exits=exits, config=FREE)
    ours = run_signal_backtest(bars, entries=frame["entries"], exits=frame["exits"], config=FREE)
    assert len(ours.trades) == len(expected.trades) > 0
    (tmp_path / "bad.csv").write_text("time,entries\n2025-01-06 10:00,maybe\n")
    with pytest.raises(ValueError, match="entries must be true/false \\(or 1/0\\); got 'maybe'"):
        run_signal_backtest(bars, entries=read_signals(tmp_path / "bad.csv")["entries"])


def test_read_signals_aliases(tmp_path):
    (tmp_path / "s.csv").write_text("Datetime,Buy,Sell\n2025-01-06 10:00,1,0\n2025-01-06 10:01,0,true\n")
    frame = read_signals(tmp_path / "s.csv")
    assert list(frame.columns) == ["entries", "exits"] and str(frame.index.tz) == "America/New_York"


def test_block_bootstrap_ci_brackets_and_pairs():
    rng = np.random.default_rng(0)
    y = rng.normal(size=3000)
    good, bad = y + 0.5 * rng.normal(size=3000), y + rng.normal(size=3000)
    ci = block_bootstrap_ci(y, {"good": good, "bad": bad}, reference="good")
    assert ci["good"]["low"] < ci["good"]["value"] < ci["good"]["high"]
    assert ci["bad"]["difference_low"] > 0  # clearly worse than the reference
    assert "difference" not in ci["good"]
    acc = block_bootstrap_ci(y, {"good": good}, metric="directional_accuracy")["good"]
    assert 0.5 < acc["low"] < acc["value"] < acc["high"] < 1
    with pytest.raises(ValueError, match="two blocks"):
        block_bootstrap_ci(y[:50], {"a": y[:50]})


def test_period_returns_and_kind_statistics(bars):
    result = run_backtest(bars, ema_cross_entries(bars), BacktestConfig())
    daily = period_returns(result.equity)
    assert daily["pnl"].sum() == pytest.approx(result.equity.iloc[-1] - result.equity.iloc[0])
    assert period_returns(result.equity, "month").index.tolist() == ["2025-01"]
    stats = kind_statistics(result.trades)
    assert stats.loc["all", "trades"] == len(result.trades)
    assert stats.loc["all", "total_pnl"] == pytest.approx(result.trades["pnl"].sum())
