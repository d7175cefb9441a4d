"""Tilts, scenario paths, the scenario policy and its scoring."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

ROOT = Path(__file__).parent.parent
SAMPLE = ROOT / "data" / "es_1min_2019-09.csv.gz"
CUT = "2019-09-24 12:00"


@pytest.fixture(scope="module")
def real():
    from fracfire.data import load_continuous_contract

    return load_continuous_contract(SAMPLE)


@pytest.fixture(scope="module")
def policy(real):
    from fracfire.realism.calendar import split_by_time
    from fracfire.scenarios import ScenarioPolicy

    fit, _ = split_by_time(real, 0.6)
    return ScenarioPolicy(library_sessions=6).fit(fit)


# ---------------------------------------------------------------- the policy
def test_scenarios_from_a_real_history(policy, real, tmp_path):
    from fracfire.scenarios import ScenarioResult

    history = real[real["time"] < pd.Timestamp(CUT, tz="America/New_York")]
    result = policy.simulate(history, 40, seed=5)
    again = policy.simulate(history, 40, seed=5)
    assert isinstance(result, ScenarioResult)
    pd.testing.assert_frame_equal(result.bars, again.bars)
    assert result.cut == pd.Timestamp(CUT, tz="America/New_York") and result.method == "policy"
    first = result.bars.groupby("scenario").head(1)
    assert (first["open"] - history["close"].iloc[-1]).abs().max() <= 2.0
    q = result.quantiles()
    assert list(q.columns) == ["close", "high", "low", "range"] and q["close"].is_monotonic_increasing
    assert all(0.0 <= p <= 1.0 for p in result.probabilities.values())
    assert result.probability_touch(history["close"].iloc[-1] + 1000) == 0.0
    assert result.probability_touch(history["close"].iloc[-1]) == 1.0
    text = result.summary()
    assert "40 scenarios (policy)" in text and "P(range expansion)" in text
    paths = result.save(tmp_path)
    assert pd.read_parquet(paths["bars"])["scenario"].nunique() == 40
    assert json.loads(paths["summary"].read_text())["scenarios"] == 40
    assert paths["chart"].read_bytes()[:4] == b"\x89PNG"
    # the state now is uncertain: each path starts in a state drawn from the probabilities read at the cut
    from fracfire.physics import MarketState

    p = policy.state_probabilities(history)
    assert list(p.index) == [s.value for s in MarketState] and p.sum() == pytest.approx(1.0)
    assert policy.state_at(history) == MarketState(p.idxmax())
    started = result.bars.groupby("scenario")["state"].first().astype(str)
    assert set(started) <= set(p[p > 0].index)
    # read by the tilt model (pre-trained on the library's true states) or by the discriminant
    assert len(policy.level_model_.state_classes_) >= 2 and set(p[p > 0].index) <= set(policy.fitted_states_)
    discriminant = copy.copy(policy)
    discriminant.state_model = "discriminant"
    q = discriminant.state_probabilities(history)
    assert list(q.index) == list(p.index) and q.sum() == pytest.approx(1.0) and not np.allclose(p, q)
    with pytest.raises(ValueError, match="state_model must be"):
        type(policy)(state_model="hmm").fit(real)


def test_a_level_model_without_a_state_output_reads_states_with_the_discriminant(real):
    from sklearn.linear_model import Ridge

    from fracfire.realism.calendar import split_by_time
    from fracfire.scenarios import ScenarioPolicy

    fit, _ = split_by_time(real, 0.6)
    ridge = ScenarioPolicy(level_model=Ridge(), library_sessions=4).fit(fit)
    history = real[real["time"] < pd.Timestamp(CUT, tz="America/New_York")]
    p = ridge.state_probabilities(history)  # state_model="tilt", but a Ridge has no state output
    assert p.sum() == pytest.approx(1.0) and set(p[p > 0].index) <= set(ridge.fitted_states_)
    assert ridge.simulate(history, 5, seed=1).bars["scenario"].nunique() == 5


def test_cuts_at_the_session_open_and_after_a_close(policy, real):
    friday = real[real["time"] < pd.Timestamp("2019-09-20 17:00", tz="America/New_York")]
    result = policy.simulate(friday, 10, seed=1)  # the history ends at a close: the paths start at the next open
    assert result.cut == pd.Timestamp("2019-09-22 18:00", tz="America/New_York")
    assert result.bars["time"].min() == result.cut
    evening = real[real["time"] < pd.Timestamp("2019-09-23 18:00", tz="America/New_York")]
    bars = policy.simulate(evening, 10, cut="2019-09-23 18:00", seed=1).bars  # a whole session from its open
    assert bars["scenario"].nunique() == 10 and bars["time"].max() == pd.Timestamp(
        "2019-09-24 16:59", tz="America/New_York"
    )


def test_the_level_forecast_follows_the_history(policy, real):
    """A quieter history (its bars' moves halved) gets a lower forecast level."""
    history = real[real["time"] < pd.Timestamp(CUT, tz="America/New_York")].copy()
    cut = pd.Timestamp(CUT, tz="America/New_York")
    quiet = history.copy()
    today = quiet["time"] >= pd.Timestamp("2019-09-23 18:00", tz="America/New_York")
    for col in ("open", "high", "low", "close"):
        quiet.loc[today, f"{col}_ticks"] = (
            quiet.loc[today, f"{col}_ticks"].iloc[0]
            + (quiet.loc[today, f"{col}_ticks"] - quiet.loc[today, f"{col}_ticks"].iloc[0]) // 3
        )
    assert policy.forecast_level(quiet, cut) < policy.forecast_level(history, cut) - 0.1


def test_the_drift_spread_gives_the_paths_the_markets_close_dispersion():
    from fracfire.physics.tilt import MAX_TILT_DRIFT
    from fracfire.scenarios.windows import MAX_DRIFT_SPREAD, _drift_spread

    # mean squares of move / range: the market's, the plain probe's, the drifting probe's (spread 0.1)
    spread = _drift_spread(0.5, 0.4, 0.6, 0.1)
    assert spread == pytest.approx(np.sqrt((0.5 - 0.4) / ((0.6 - 0.4) / 0.1**2)))  # linear in the variance
    assert _drift_spread(0.3, 0.4, 0.6, 0.1) == 0.0  # the paths already stray further: the market reverts
    assert _drift_spread(0.5, 0.4, 0.39, 0.1) == 0.0  # the probe showed no effect
    assert _drift_spread(float("nan"), 0.4, 0.6, 0.1) == 0.0
    assert _drift_spread(5.0, 0.4, 0.6, 0.1) == pytest.approx(MAX_DRIFT_SPREAD * 0.1)  # no extrapolation
    assert _drift_spread(50.0, 0.4, 0.6, 0.4) == MAX_TILT_DRIFT  # a short window: the engine's limit


def test_the_policy_spreads_its_closes_like_the_market_over_a_window(policy, real, monkeypatch):
    from fracfire.physics import PriceGenerator
    from fracfire.scenarios.conditioning import wall_offset
    from fracfire.scenarios.windows import path_minutes

    cut = pd.Timestamp("2019-09-24 10:30", tz="America/New_York")
    end = path_minutes(cut, "rest-of-session")
    window = policy.window(cut, end, True)
    log_ranges, moves = policy.index_.window_spans(wall_offset(cut), wall_offset(cut) + (end - cut))
    assert len(log_ranges) == len(moves) >= 3 and np.isfinite(moves).all()
    market = np.mean((moves / np.exp(log_ranges)) ** 2)  # how far closes stray, in units of the range
    history = real[real["time"] < cut]
    asked = []
    original = PriceGenerator.generate_paths

    def recording(self, *args, **kwargs):
        asked.append(kwargs.get("drift_spread", 0.0))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(PriceGenerator, "generate_paths", recording)
    result = policy.simulate(history, 300, seed=2, cut=cut)
    policy.simulate(history, 5, seed=2, cut=cut, conditioned=False)
    assert asked == [window.drift_spread, 0.0]  # the engine-alone peers get no drift
    o = result.outcomes
    strays = np.mean(((o["close"] - history["close"].iloc[-1]) / o["range"]) ** 2)
    if window.drift_spread > 0:
        assert strays == pytest.approx(market, rel=0.3)
    else:  # the market reverted more than the engine's paths: nothing to add
        assert strays >= 0.8 * market
    tilt_plain = policy.tilt(cut, end, 0.0, True)
    tilt_drift = policy.tilt(cut, end, 0.0, True, drift=True)
    # the drift's extra range is taken out of the policy's tilt, not out of the engine-alone peers'
    assert np.allclose(tilt_drift.volatility, tilt_plain.volatility * np.exp(-window.drift_bias / window.elasticity))


def test_scenario_inputs_are_checked(policy, real):
    from fracfire.scenarios import ScenarioPolicy, scenarios
    from fracfire.scenarios.windows import split_at

    history = real[real["time"] < pd.Timestamp(CUT, tz="America/New_York")]
    with pytest.raises(ValueError, match="must come after the history's last bar"):
        policy.simulate(history, 5, cut="2019-09-20 12:00")
    with pytest.raises(ValueError, match="not a CME Globex trading minute"):
        policy.simulate(history, 5, cut="2019-09-28 12:00")
    with pytest.raises(ValueError, match="horizon must be one of"):
        policy.simulate(history, 5, horizon="tomorrow")
    with pytest.raises(ValueError, match="outside the history"):
        split_at(real, "2018-01-02 10:00", "rest-of-session")
    with pytest.raises(RuntimeError, match="not fitted"):
        ScenarioPolicy().simulate(history, 5)
    with pytest.raises(ValueError, match="bars run to the Globex close .*: 0 of the 1 sessions given do"):
        ScenarioPolicy().fit(real[real["time"] < pd.Timestamp("2019-09-02 10:00", tz="America/New_York")])
    rth = real[(real["time"].dt.hour >= 10) & (real["time"].dt.hour < 16)]
    with pytest.raises(ValueError, match="0 of the 21 sessions given do; need at least 3 \\(a regular-hours-only"):
        ScenarioPolicy().fit(rth)
    with pytest.raises(ValueError, match="non-empty"):
        scenarios(real.iloc[:0])
    today = history[history["time"] >= pd.Timestamp("2019-09-23 18:00", tz="America/New_York")]
    with pytest.raises(ValueError, match="at least one full session before the cut"):
        policy.simulate(today, 5)
    with pytest.raises(ValueError, match="1 bar"):
        policy.simulate(history.iloc[-1:], 5)
    with pytest.raises(ValueError, match="more than a session before the cut"):
        policy.simulate(history[history["time"] < pd.Timestamp("2019-09-19 12:00", tz="America/New_York")], 5, cut=CUT)
    evening = history[history["time"] < pd.Timestamp("2019-09-23 17:00", tz="America/New_York")]
    with pytest.raises(ValueError, match="opened at 2019-09-23 18:00: the bars from then up to the cut"):
        policy.simulate(evening, 5, cut=CUT)  # ends at the previous close: only the next open may be the cut
    assert len(policy.simulate(evening, 2, cut="2019-09-23 18:00", horizon=5).bars) == 10
    morning = history[history["time"] < pd.Timestamp("2019-09-24 10:00", tz="America/New_York")]
    with pytest.raises(ValueError, match="120 minutes before the cut.*at most 60"):
        policy.simulate(morning, 5, cut=CUT)
    with pytest.raises(ValueError, match="needs 1-minute bars.*5-minute"):
        from fracfire.data import resample_bars

        policy.simulate(resample_bars(history, "5min"), 5, cut=CUT)
    from fracfire.scenarios.windows import path_minutes

    assert path_minutes(pd.Timestamp("2019-09-24 15:00", tz="America/New_York"), 240) == pd.Timestamp(
        "2019-09-24 17:00", tz="America/New_York"
    )  # a number of minutes stops at the session's close
    five = policy.__class__.__new__(policy.__class__)
    five.__dict__.update({**policy.__dict__, "bar_minutes_": 5})
    with pytest.raises(ValueError, match="not on a 5-minute bar boundary.*12:00 or 12:05"):
        five.simulate(history, 5, cut="2019-09-24 12:02")
    scaled = history.copy()  # prices quoted in cents: another price scale
    for col in ("open", "high", "low", "close"):
        scaled[f"{col}_ticks"] = scaled[f"{col}_ticks"] * 100
        scaled[col] = scaled[f"{col}_ticks"] * 0.25
    with pytest.raises(ValueError, match="another instrument or price scale"):
        policy.simulate(scaled, 5)


def test_scenarios_checks_its_arguments_before_fitting(real, monkeypatch):
    """Bad bars, counts, horizons and seeds fail at once (before the slow policy fit), naming
    the argument, the rule and the row; a history too short for a profile says so."""
    from fracfire.exceptions import BarsValidationError
    from fracfire.scenarios import ScenarioPolicy, activity_profile, scenarios

    def no_fit(*args, **kwargs):
        raise AssertionError("the policy was fitted before the arguments were checked")

    monkeypatch.setattr(ScenarioPolicy, "fit", no_fit)
    history = real[real["time"] < pd.Timestamp(CUT, tz="America/New_York")].reset_index(drop=True)
    with pytest.raises(BarsValidationError, match=r"scenarios: history must have columns .*missing \['close'\]"):
        scenarios(history.drop(columns=["close"]), n=5)
    with pytest.raises(BarsValidationError, match="scenarios: history: NaN in prices.*row 100"):
        scenarios(history.assign(close=history["close"].where(history.index != 100)), n=5)
    with pytest.raises(BarsValidationError, match="fit_bars: .*OHLC violated"):
        scenarios(history, n=5, fit_bars=history.assign(low=history["high"] + 1.0))
    with pytest.raises(ValueError, match="n must be in"):
        scenarios(history, n=0)
    with pytest.raises(ValueError, match="horizon must be one of"):
        scenarios(history, n=5, horizon="forever")
    with pytest.raises(ValueError, match=r"horizon must be in \[1, 1440\]; got 0"):
        scenarios(history, n=5, horizon="0")
    with pytest.raises(BarsValidationError, match=r"scenarios: history must have columns .*missing \['close_ticks'\]"):
        scenarios(history.drop(columns=["close_ticks"]), n=5)
    with pytest.raises(BarsValidationError, match=r"scenarios: history: \*_ticks columns differ from prices.*row 7"):
        scenarios(history.assign(close_ticks=history["close_ticks"].where(history.index != 7, 1)), n=5)
    gapped = history.drop(index=range(200, 260))  # rows missing in between are fine (no delta check)
    with pytest.raises(ValueError, match="seed must be in"):
        scenarios(gapped, n=5, seed=-1)
    with pytest.raises(ValueError, match="not a CME Globex trading minute"):
        scenarios(history, n=5, cut="2019-09-28 12:00")
    with pytest.raises(ValueError, match="seed must be in"):
        scenarios(history, n=5, seed=-1)
    with pytest.raises(ValueError, match="no 30-minute ET bucket has"):
        activity_profile(history.iloc[:5])


# ---------------------------------------------------------------- scoring
@given(st.lists(st.floats(-50, 50), min_size=1, max_size=30), st.floats(-60, 60))
def test_crps_equals_its_definition(samples, y):
    from fracfire.scenarios.evaluate import crps

    x = np.array(samples)
    brute = np.mean(np.abs(x - y)) - 0.5 * np.mean(np.abs(x[:, None] - x[None, :]))
    assert crps(x, y) == pytest.approx(brute, abs=1e-9)


def test_pinball_and_a_perfect_forecast():
    from fracfire.scenarios.evaluate import crps, pinball

    assert crps(np.full(10, 3.0), 3.0) == 0.0
    assert pinball(np.full(5, 1.0), 3.0, 0.9) == pytest.approx(1.8)
    assert pinball(np.full(5, 1.0), 3.0, 0.1) == pytest.approx(0.2)


def test_the_ridge_level_model_reads_the_share_of_the_session_left(real):
    """``level_model("ridge")``: ridge regression on the cut features and their products with the
    share of the session left, its penalty chosen by contiguous cross-validation."""
    from fracfire.realism.calendar import split_by_time
    from fracfire.scenarios import FEATURE_NAMES, ScenarioPolicy
    from fracfire.scenarios.level_models import level_model, time_left_interactions

    x = (
        np.arange(len(FEATURE_NAMES), dtype=float)[None, :] + 1.0
    )  # so_far 1, hour 2, previous 3, week 4, move 5, left 6
    wide = time_left_interactions(x)[0]
    assert wide.shape == (15,) and list(wide[:8]) == list(x[0])
    np.testing.assert_allclose(wide[8:11], np.array([-3.0, -2.0, -1.0]) * 6)  # (ratio - week) x left
    np.testing.assert_allclose(wide[11:14], np.array([-3.0, -2.0, -1.0]) * 36)
    assert wide[14] == 5 * 6
    with pytest.raises(ValueError, match="needs the 8 cut features"):
        time_left_interactions(np.ones((2, 3)))
    assert level_model("tilt") is None
    with pytest.raises(ValueError, match="level model must be one of tilt, ridge; got 'lasso'"):
        level_model("lasso")
    fit, _ = split_by_time(real, 0.6)
    policy = ScenarioPolicy(level_model=level_model("ridge"), library_sessions=4).fit(fit)
    assert policy.level_model_.named_steps["ridgecv"].alpha_ > 0 and policy.level_error_ > 0
    from sklearn.linear_model import Ridge

    from fracfire.scenarios.level_models import describe_level_model

    assert describe_level_model(policy.level_model_).startswith("ridge with time-left interactions (penalty ")
    assert describe_level_model(Ridge()) == "Ridge"
    history = real[real["time"] < pd.Timestamp(CUT, tz="America/New_York")]
    assert np.isfinite(policy.forecast_level(history, pd.Timestamp(CUT, tz="America/New_York")))


def test_scenario_experiment_scores_every_method(real, tmp_path):
    from fracfire.scenarios import ScenarioPolicy
    from fracfire.scenarios.evaluate import METHODS, scenario_experiment

    # the file stops at 12:30 on its last day: that day's 12:00 cut has half an hour of its window
    short = real[real["time"] < pd.Timestamp("2019-09-30 12:30", tz="America/New_York")]
    result = scenario_experiment(
        short, cuts=("12:00",), samples=20, policy=ScenarioPolicy(library_sessions=4), file="es"
    )
    assert result.config["uncovered_cuts"] == ["2019-09-30 12:00"]
    assert "2019-09-30" not in set(result.scores["session"]) and "Not scored" in result.summary()
    assert set(result.scores["method"]) == set(METHODS)
    assert result.config["test_sessions"] == result.scores["session"].nunique() >= 5
    assert result.table.loc["policy", "covered_close"] <= 1.0
    comparison = result.comparison("range")
    assert set(comparison.index) == set(METHODS) - {"policy"}
    assert (comparison["low"] <= comparison["difference"]).all()
    text = result.summary()
    assert "Goal (policy lowest" in text and "80 % interval coverage" in text
    paths = result.save(tmp_path)
    assert json.loads(paths["json"].read_text())["verdict"]["close"]["best_peer"] in METHODS
    with pytest.raises(ValueError, match="methods must include 'policy'"):
        scenario_experiment(real, methods=("garch",))
    with pytest.raises(ValueError, match="at least one peer"):
        scenario_experiment(real, methods=("policy",))


def test_early_closes_and_short_sessions_give_no_full_session_outcomes(real):
    from fracfire.scenarios.conditioning import SessionIndex, activity_profile
    from fracfire.scenarios.peers import analog_outcomes
    from fracfire.scenarios.windows import cut_on, path_minutes, training_examples

    profile = activity_profile(real)
    index = SessionIndex(real, profile)
    close, full = index.calendar_hours()
    dates = [f"{d:%Y-%m-%d}" for d in pd.to_datetime(index.days.astype("datetime64[D]"))]
    assert [d for d, f in zip(dates, full, strict=True) if not f] == ["2019-09-02"]  # Labor Day closes at 13:00
    labor = dates.index("2019-09-02")
    assert pd.Timestamp(close[labor], tz="UTC").tz_convert("America/New_York").strftime("%H:%M") == "13:00"
    at, until = cut_on("2019-09-02", "10:30"), cut_on("2019-09-02", "16:00")
    assert np.isnan(index.log_range(int(at.value), int(until.value)))  # past its close
    assert np.isfinite(index.log_range(int(at.value), int(cut_on("2019-09-02", "12:30").value)))
    assert np.isfinite(
        index.log_range(int(cut_on("2019-09-03", "10:30").value), int(cut_on("2019-09-03", "16:00").value))
    )
    _, _, cuts = training_examples(index)
    sessions = {
        f"{pd.Timestamp(c, tz='UTC').tz_convert('America/New_York') + pd.Timedelta(hours=6):%Y-%m-%d}" for c in cuts
    }
    assert "2019-09-02" not in sessions and "2019-09-03" in sessions
    # a session whose bars stop mid-day gives no outcome for the rest of it
    short = SessionIndex(real[real["time"] < pd.Timestamp("2019-09-30 11:00", tz="America/New_York")], profile)
    assert np.isnan(short.log_range(int(cut_on("2019-09-30", "10:30").value)))
    # the analog bootstrap draws only from sessions that trade over the whole window (not Labor Day's
    # 10:30-13:00 as a 10:30-17:00 move)
    cut = cut_on("2019-09-05", "10:30")
    end = int(cut_on("2019-09-05", "17:00").value)
    out = analog_outcomes(index, int(cut.value), end, 2950.0, 200, np.random.default_rng(0), analogs=5)
    earlier = [d for d in dates if d < "2019-09-05" and d != "2019-09-02"]
    assert len(earlier) >= 1 and len(np.unique(out["close"])) == len(earlier)
    rth = path_minutes(pd.Timestamp("2019-12-24 10:30", tz="America/New_York"), "rth")
    assert rth == path_minutes(pd.Timestamp("2019-12-24 10:30", tz="America/New_York"), "rest-of-session")
    assert rth.hour < 16
    with pytest.raises(ValueError, match="horizon 'rth' ends at"):
        path_minutes(rth, "rth")


def test_cli_scenarios_writes_paths_summary_and_fan(tmp_path):
    from typer.testing import CliRunner

    from fracfire.cli import app

    runner = CliRunner()
    out = tmp_path / "scen"
    args = ["scenarios", "--real", str(SAMPLE), "--at", "2019-09-27 11:00", "--n", "15", "--out", str(out)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "15 scenarios (policy) from 2019-09-27 11:00" in result.output and "P(range expansion)" in result.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["scenarios"] == 15 and (out / "fan.png").exists()
    bars = pd.read_parquet(out / "scenarios.parquet")
    assert bars["time"].min() == pd.Timestamp("2019-09-27 11:00", tz="America/New_York")
    bad = runner.invoke(app, [*args[:4], "2019-09-28 11:00", *args[5:]])
    assert bad.exit_code == 1 and "not a CME Globex trading minute" in bad.output
    bad = runner.invoke(app, [*args[:4], "2017-01-03 11:00", *args[5:]])
    assert bad.exit_code == 1 and "outside the history" in bad.output
    bad = runner.invoke(app, [*args, "--level-model", "lasso"])
    assert bad.exit_code == 1 and "level model must be one of tilt, ridge" in bad.output


def test_cli_experiment_on_an_inner_split_never_reads_the_later_sessions(tmp_path):
    """``--only-first 0.7``: the experiment fits on 60 % of the first 70 % of the sessions and scores
    the rest of those; the file's last 30 % are never read."""
    from typer.testing import CliRunner

    from fracfire.cli import app
    from fracfire.data import load_continuous_contract
    from fracfire.realism.calendar import split_by_time

    out = tmp_path / "inner"
    args = ["experiment", "scenarios", "--real", str(SAMPLE), "--only-first", "0.7", "--cuts", "12:00"]
    result = CliRunner().invoke(app, [*args, "--samples", "10", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "first 70% of the sessions" in result.output
    scores = pd.read_csv(out / "scenarios_scores.csv")
    _, later = split_by_time(load_continuous_contract(SAMPLE), 0.7)
    first_unread = later["time"].iloc[0].tz_convert("America/New_York").strftime("%Y-%m-%d")
    assert scores["session"].max() < first_unread and scores["session"].nunique() >= 4
    bad = CliRunner().invoke(app, [*args, "--only-first", "1.5"])
    assert bad.exit_code == 2 and "less than or equal to 1" in bad.output


def test_the_difference_to_a_peer_weighs_every_forecast_once():
    from fracfire.scenarios.evaluate import ScenarioExperiment

    # session a has one cut (an early close), b and c three: the policy is 1 worse at a's cut, 0.5 better elsewhere
    rows = []
    for session, cuts, gap in (("a", 1, 1.0), ("b", 3, -0.5), ("c", 3, -0.5)):
        for k in range(cuts):
            rows += [
                {"session": session, "cut": f"1{k}:00", "method": "policy", "crps_close": 5.0 + gap},
                {"session": session, "cut": f"1{k}:00", "method": "garch", "crps_close": 5.0},
            ]
    comparison = ScenarioExperiment(pd.DataFrame(rows), {}).comparison("close", n_resamples=500)
    assert comparison.loc["garch", "difference"] == pytest.approx((1.0 - 6 * 0.5) / 7)  # not the mean of sessions
    assert comparison.loc["garch", "low"] <= comparison.loc["garch", "difference"] <= comparison.loc["garch", "high"]
    # the per-session t-interval weighs sessions equally: mean of (1, -0.5, -0.5), 2 degrees of freedom
    assert comparison.loc["garch", "session_mean"] == pytest.approx(0.0)
    half = 4.302653 * np.std([1.0, -0.5, -0.5], ddof=1) / np.sqrt(3)
    assert comparison.loc["garch", "session_high"] == pytest.approx(half, rel=1e-5)


def test_the_verdict_needs_the_per_session_interval_below_zero_too():
    """Eight sessions, the policy better in six: the percentile bootstrap over sessions excludes
    zero while the t-interval over sessions (too few of them for the bootstrap) does not."""
    from fracfire.scenarios.evaluate import ScenarioExperiment

    rows = []
    for i, gap in enumerate([-1.2, -0.1, -1.0, 0.2, -0.8, -0.6, -1.3, 0.5]):
        for method, value in (("policy", 5.0 + gap), ("garch", 5.0), ("markov", 9.0)):
            rows.append({"session": f"s{i}", "cut": "12:00", "method": method, "crps_close": value})
    frame = pd.DataFrame(rows)
    frame["crps_range"], frame["covered_close"], frame["covered_range"] = frame["crps_close"], 1.0, 1.0
    experiment = ScenarioExperiment(frame, {})
    row = experiment.comparison("close").loc["garch"]
    assert row["high"] < 0 < row["session_high"]
    assert experiment.verdict["close"]["lowest_and_significant"] is False
    assert (
        "per session ["
        in ScenarioExperiment(
            frame,
            {
                "file": "f",
                "test_sessions": 8,
                "fit_sessions": 5,
                "cuts": ["12:00"],
                "horizon": "rth",
                "samples": 1,
                "seed": 0,
            },
        ).summary()
    )


def test_the_scoring_harness_skips_a_cut_just_after_an_outage():
    """A cut whose history stops more than ``MAX_CUT_GAP`` before it (an outage in the file) is
    not scored, as the policy would refuse it: the NQ year has no bars from 19:40 to 22:45 ET on
    2019-02-26 (its 22:30 cut skipped; 23:00, with bars up to it, scored)."""
    from fracfire.data import load_continuous_contract
    from fracfire.scenarios.conditioning import SessionIndex, activity_profile
    from fracfire.scenarios.evaluate import _covered
    from fracfire.scenarios.windows import cut_on, path_minutes

    nq = load_continuous_contract(ROOT / "data" / "nq_5min_2019.csv.gz")
    bars = nq[(nq["time"] > "2019-02-20") & (nq["time"] < "2019-03-01")].reset_index(drop=True)
    index = SessionIndex(bars, activity_profile(bars))
    date = pd.Timestamp("2019-02-27")
    covered = {}
    for hhmm in ("22:30", "23:00"):
        cut = cut_on(date, hhmm)
        a = index.row_at(int(cut.value))
        covered[hhmm] = _covered(index, index.day[a], a, cut, path_minutes(cut, 60), 5)
    assert covered == {"22:30": False, "23:00": True}


@pytest.mark.parametrize(
    ("cuts", "message"),
    [
        (("12:00", "12:00"), "cut times must differ .* got \\['12:00'\\]"),
        (("25:00",), "00:00 to 23:59\\); got '25:00'"),
        (("noon",), "got 'noon'"),
        (("7:30",), "got '7:30'"),  # two digits each: '10:5' and '10:05' would be one cut twice
        (("10:30", "16:20"), "minutes the market trades .* got \\['16:20'\\]"),
        ((), "at least one ET time"),
    ],
)
def test_the_experiment_checks_its_cut_times_before_any_work(real, cuts, message):
    from fracfire.scenarios.evaluate import scenario_experiment

    with pytest.raises(ValueError, match=message):
        scenario_experiment(real, cuts=cuts, samples=20)


def test_saving_into_a_used_folder_never_mixes_two_runs(policy, real, tmp_path, monkeypatch):
    history = real[real["time"] < pd.Timestamp(CUT, tz="America/New_York")]
    first = policy.simulate(history, 5, seed=1)
    first.save(tmp_path)
    assert (tmp_path / "fan.png").exists()

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    import fracfire._atomic

    monkeypatch.setattr(fracfire._atomic, "write_text_atomic", interrupted)
    with pytest.raises(KeyboardInterrupt):
        policy.simulate(history, 5, seed=2).save(tmp_path)
    assert not (tmp_path / "fan.png").exists() and not (tmp_path / "summary.json").exists()  # the old run's are gone
    saved = pd.read_parquet(tmp_path / "scenarios.parquet")  # the new run's bars alone
    assert not saved["close"].reset_index(drop=True).equals(first.bars["close"].reset_index(drop=True))


def test_a_history_of_one_bar_gets_a_plain_refusal(real):
    from fracfire.scenarios import ScenarioPolicy

    with pytest.raises(ValueError, match="learns from whole sessions of bars; got 1 bar"):
        ScenarioPolicy().fit(real.iloc[:1])
