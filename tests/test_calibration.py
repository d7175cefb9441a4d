"""Calibration by simulated moments: moments, search space, the fit and its errors."""

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from fracfire import PhysicsConfig, PriceGenerator
from fracfire.cli import app
from fracfire.data import load_continuous_contract, resample_bars, write_bars
from fracfire.realism.calendar import synthetic_like
from fracfire.realism.calibration import (
    CHECK_RUNS,
    CHECK_SEED_OFFSET,
    DAILY_SPACE,
    SHAPE_SPACE,
    _from_unit,
    _to_unit,
    calibrate,
    moment_distance,
    parse_search,
)
from fracfire.realism.moments import INTRADAY_TOLERANCE, daily_moments, hill_index, intraday_moments
from tests.test_real_data import SAMPLE

NQ = SAMPLE.parent / "nq_5min_2019.csv.gz"
runner = CliRunner()


@pytest.fixture(scope="module")
def real():
    return load_continuous_contract(SAMPLE)


@pytest.fixture(scope="module")
def week(real):
    return real[real["session_id"] < 6].reset_index(drop=True)


def test_hill_index_recovers_a_pareto_tail():
    x = np.random.default_rng(0).pareto(3.0, 200_000) + 1.0
    assert hill_index(x, tail=0.01) == pytest.approx(3.0, rel=0.08)


def test_intraday_moments_of_real_one_and_five_minute_bars(real):
    one = intraday_moments(real)
    assert set(INTRADAY_TOLERANCE) <= set(one)
    assert one["acf1"] < 0  # real ES bounces
    assert 0.0 <= one["zero_rth"] < 1.0 and 0.4 < one["body_rth"] < 0.5
    five = resample_bars(real, "5min")
    moments = intraday_moments(five, bar_minutes=5, volume=False)
    assert "kurt_ratio" not in moments and "log_volume_rth" not in moments
    assert moments["zero_rth"] == 0.0


def test_zero_range_hour_dispersion_sees_unchanged_bars_in_the_wrong_hours(real):
    """``zero_eth_hour_sd``: the same overnight share of zero-range bars, once spread over the
    night hours as in real ES and once piled into one hour, gives a small and a large
    dispersion across hours."""
    moments = intraday_moments(real)
    assert 2.0 < moments["zero_eth_hour_sd"] < 10.0  # real ES: 1-17 % by hour
    bars = real.copy()
    hour = bars["time"].dt.hour.to_numpy()  # the bars' clock is US/Eastern
    night = ~((hour >= 9) & (hour < 16))
    zero = (bars["range_ticks"] == 0).to_numpy()
    piled = night & (hour == 19)
    share = zero[night].mean()
    # every 19:00 ET bar flat, no other night bar flat: the same order of overall share
    bars["range_ticks"] = np.where(piled, 0, np.maximum(bars["range_ticks"], 1))
    assert 0.5 * share < (bars["range_ticks"].to_numpy()[night] == 0).mean() < 2 * share
    assert intraday_moments(bars)["zero_eth_hour_sd"] > 3 * moments["zero_eth_hour_sd"]


def test_hourly_tail_and_wander_moments_separate_real_from_gaussian_bars(real):
    """Real ES hours have fat-tailed returns and a volatility that wanders from hour to hour;
    a constant-volatility Gaussian walk on the same calendar has neither."""
    from fracfire.realism.peers import PEERS

    ours = intraday_moments(real)
    gaussian = intraday_moments(PEERS["GBM"](real, real["time"], float(real["open"].iloc[0]), 0))
    assert ours["kurt_hour"] > 4.0 > 3.3 > gaussian["kurt_hour"]
    assert ours["hour_vol_sd"] > gaussian["hour_vol_sd"] + 0.05
    assert ours["skew_hour_sd"] > gaussian["skew_hour_sd"]


def test_hourly_range_dispersion_sees_minute_to_minute_volatility(real):
    """``range_cv_hour_rth``: real regular-hours hours are steady (about 0.45-0.5); the same bars
    with every other regular-hours bar's range tripled (volatility switching from minute to
    minute) are far lumpier, and the night hours are left alone."""
    moments = intraday_moments(real)
    assert 0.35 < moments["range_cv_hour_rth"] < 0.6 < moments["range_cv_hour_eth"] < 0.8
    bars = real.copy()
    hour = bars["time"].dt.hour.to_numpy()
    lumpy = (hour >= 10) & (hour < 16) & (np.arange(len(bars)) % 2 == 0)
    bars["range_ticks"] = np.where(lumpy, 3 * bars["range_ticks"], bars["range_ticks"])
    changed = intraday_moments(bars)
    assert changed["range_cv_hour_rth"] > moments["range_cv_hour_rth"] + 0.2
    assert changed["range_cv_hour_eth"] == moments["range_cv_hour_eth"]


def test_the_volume_profile_averages_runs_as_the_volume_level_does(week):
    """Runs whose volume differs only by a level factor: the half-hour profile over the runs
    must sit at the geometric mean of the factors, as the level's log average does, so level
    matching sees no profile change (an arithmetic mean read 6 % too much volume in every half
    hour of the bundled month and moved prints into volume per print, round after round)."""
    from fracfire.realism.levels import runs_bucket_volume
    from fracfire.realism.moments import bucket_volume

    factors = np.array([0.6, 1.0, 1.7])
    runs = [week.assign(volume=week["volume"] * f) for f in factors]
    expected = bucket_volume(week) * np.exp(np.log(factors).mean())
    assert np.allclose(runs_bucket_volume(runs), expected, rtol=1e-12)


def test_daily_moments_see_persistent_volatility():
    def days(memory):
        physics = PhysicsConfig(daily_range_std=20.0, vol_memory_days=memory, vol_of_vol=0.1, jump_rate=0.0)
        return daily_moments(PriceGenerator(seed=3, physics=physics).generate_days("2024-01-02", 120))

    short, long = days(1.0), days(300.0)
    assert long["lrv_acf5"] > short["lrv_acf5"] + 0.2
    assert 0 < short["range_cv"] < 1 and 0 <= short["trend_share"] <= 1


def test_moment_distance_counts_standardised_misses():
    assert moment_distance({"a": 1.0, "b": 2.0}, {"a": 1.5, "c": 9.0}, {"a": 0.5, "b": 1.0}) == 1.0
    assert moment_distance({"a": 1.0}, {"a": np.nan}, {"a": 0.5}) == 100.0


@pytest.mark.parametrize("space", [SHAPE_SPACE, DAILY_SPACE])
def test_search_space_round_trips(space):
    config = PhysicsConfig(
        eta=0.3, vol_of_vol=0.4, daily_range_mean=40.0, daily_range_std=20.0, vol_memory_days=30.0, runner_prob=0.2
    )
    back = _from_unit(_to_unit(config, space), space, config)
    for name in space:
        if name == "daily_range_cv":
            assert back.daily_range_std / back.daily_range_mean == pytest.approx(0.5)
        else:
            assert getattr(back, name) == pytest.approx(getattr(config, name))


def test_small_calibration_improves_the_fit_and_is_deterministic(week, tmp_path):
    a = calibrate(week, max_evaluations=16, seeds=(0,))
    b = calibrate(week, max_evaluations=16, seeds=(0,))
    assert a.config == b.config
    assert a.train_after <= a.train_before  # never worse than the start on the fitted slice
    assert "day-to-day knobs kept" in a.summary() and "held out" in a.summary()
    assert 0.3 < a.discriminator_start < 1.0 and 0.3 < a.discriminator_fitted < 1.0
    assert {"real", "start", "fitted", "tolerance", "held_out_real"} <= set(a.moments.columns)
    assert a.daily_moments is None
    written = a.save(tmp_path / "run")
    assert sorted(written) == ["calibration.json", "physics.yaml"]
    assert PhysicsConfig.from_yaml(written["physics.yaml"]) == a.config
    data = json.loads(written["calibration.json"].read_text())
    assert data["distance"]["train_after"] == a.train_after and data["daily_moments"] is None
    assert data["discriminator"] == {"start": a.discriminator_start, "fitted": a.discriminator_fitted}
    assert [row["moment"] for row in data["moments"]] == list(a.moments.index)


def test_the_classifier_keeps_the_start_when_the_fit_looks_less_real(week, monkeypatch):
    """Moments are a summary of the law: when the window classifier tells the fit's bars from the
    training slice more often than the start config's (its volume level matched), the start is kept."""
    from fracfire.realism import calibration as module

    scored = []

    def accuracy(self, config, seeds=None):  # the start is scored first: 0.6; the fit 0.9
        assert seeds == tuple(CHECK_SEED_OFFSET + i for i in range(CHECK_RUNS))  # runs of the check's own
        scored.append(config)
        return 0.6 if len(scored) == 1 else 0.9

    monkeypatch.setattr(module._Target, "window_accuracy", accuracy)
    result = calibrate(week, max_evaluations=12, seeds=(0,))
    assert scored[0] != scored[1] and result.config == scored[0]
    assert (result.discriminator_start, result.discriminator_fitted) == (0.6, 0.6)
    assert "a classifier told its bars from the training slice more often (0.900 against 0.600" in result.summary()


def test_fixed_knobs_stay_at_their_start_values(week):
    start = PhysicsConfig().replace(activity_clustering=7.0, eta=0.4)
    result = calibrate(week, start=start, max_evaluations=12, seeds=(0,), fixed=("activity_clustering", "eta"))
    assert result.config.activity_clustering == 7.0 and result.config.eta == 0.4
    with pytest.raises(ValueError, match=r"'etta' is not a calibrated knob; choose from .*eta"):
        calibrate(week, max_evaluations=12, fixed=("etta",))


def test_search_adds_knobs_to_the_intraday_search(week, monkeypatch):
    from fracfire.realism import calibration

    spaces = []
    real_search = calibration._search

    def spy(target, config, space, *args):
        spaces.append(dict(space))
        return real_search(target, config, space, *args)

    monkeypatch.setattr(calibration, "_search", spy)
    fixed = tuple(k for k in SHAPE_SPACE if k != "eta")
    calibrate(week, max_evaluations=12, seeds=(0,), fixed=fixed, search={"activity_thinning": (0.0, 2.0, False)})
    assert spaces and all(
        space == {"eta": SHAPE_SPACE["eta"], "activity_thinning": (0.0, 2.0, False)} for space in spaces
    )


@pytest.mark.parametrize(
    ("search", "message"),
    [
        ({"activity_thining": (0.0, 1.0, False)}, "'activity_thining' is not a numeric intraday knob"),
        ({"vol_memory_days": (2.0, 9.0, True)}, "'vol_memory_days' is not a numeric intraday knob"),
        ({"volume_per_tick": (1.0, 9.0, True)}, "'volume_per_tick' is set by the calibration itself"),
        ({"activity_thinning": (1.0, 0.5, False)}, "needs low < high"),
        ({"activity_thinning": (0.0, 1.0, True)}, r"and low > 0 on a log scale"),
        ({"activity_thinning": (0.0, 1.0)}, r"needs \(low, high, log scale\)"),
        ({"activity_thinning": (0.0, 3.0, False)}, "'activity_thinning' = 3 is not a valid value"),
    ],
)
def test_search_refuses_what_it_cannot_search(week, search, message):
    with pytest.raises(ValueError, match=message):
        calibrate(week, max_evaluations=12, seeds=(0,), search=search)


def test_calibration_on_five_minute_bars_without_volume():
    nq = load_continuous_contract(NQ)
    month = nq[nq["session_id"] < 10].reset_index(drop=True)
    month.attrs.update(nq.attrs)
    result = calibrate(month, max_evaluations=10, seeds=(0,))
    assert "no volume" in result.summary()
    assert result.config.volume_per_tick == PhysicsConfig().volume_per_tick  # volume knobs kept
    assert "zero_rth" in result.moments.index and "log_volume_rth" not in result.moments.index


def test_day_to_day_knobs_fit_on_a_long_file(week):
    nq = load_continuous_contract(NQ)
    long = nq[nq["session_id"] < 70].reset_index(drop=True)
    long.attrs.update(nq.attrs)
    result = calibrate(week, daily=long, max_evaluations=10, seeds=(0,))
    assert result.daily_moments is not None
    assert {"lrv_acf1", "lrv_acf5", "lrv_acf20", "range_cv", "trend_share"} <= set(result.daily_moments.index)
    assert "day-to-day knobs fitted on 42 sessions" in result.summary()


def test_day_to_day_tolerances_cover_the_sampling_error_of_a_short_history():
    """Over a few dozen days the ACF of log realised variance at lag 20 varies from one run to
    the next by more than its fixed tolerance: the search must not fit that noise."""
    from fracfire.realism.calibration import _Target
    from fracfire.realism.moments import DAILY_TOLERANCE

    nq = load_continuous_contract(NQ)
    long = nq[nq["session_id"] < 70].reset_index(drop=True)
    long.attrs.update(nq.attrs)
    target = _Target(long, (0, 1), daily=True)
    physics = PhysicsConfig.from_yaml(SAMPLE.parents[1] / "configs" / "physics_nq.yaml")
    target.widen_to_sampling_error(physics, (10, 11, 12, 13))
    assert all(target.tolerance[k] >= DAILY_TOLERANCE[k] for k in DAILY_TOLERANCE)
    assert target.tolerance["lrv_acf20"] > 1.5 * DAILY_TOLERANCE["lrv_acf20"]
    runs = [
        daily_moments(b)["lrv_acf20"] for b in _Target(long, (10, 11, 12, 13), daily=True, offset=0).simulate(physics)
    ]
    assert target.tolerance["lrv_acf20"] == pytest.approx(np.std(runs, ddof=1) * np.sqrt(1.5))


def test_calibration_refuses_too_little_data(real):
    one = real[real["session_id"] == 3].reset_index(drop=True)
    with pytest.raises(ValueError, match=r"calibration needs at least 5 trading sessions .*has 1 session"):
        calibrate(one)
    with pytest.raises(ValueError, match=r"day-to-day knobs needs at least 60 trading sessions.*has 21"):
        calibrate(real, daily=real)


def test_synthetic_like_matches_five_minute_calendars():
    nq = load_continuous_contract(NQ)
    week = nq[nq["session_id"] < 5].reset_index(drop=True)
    bars = synthetic_like(week, seed=1)
    np.testing.assert_array_equal(bars["time"].to_numpy(), week["time"].to_numpy())
    assert bars["open"].iloc[0] == week["open"].iloc[0]
    assert (bars["time"].diff().dropna() >= pd.Timedelta(minutes=5)).all()


def test_cli_calibrate_writes_nothing_on_bad_input(real, tmp_path):
    one = write_bars(real[real["session_id"] == 3].reset_index(drop=True), tmp_path / "one.parquet")
    out = tmp_path / "cal.yaml"
    result = runner.invoke(app, ["calibrate", "--real", str(one), "--out", str(out), "--max-evaluations", "10"])
    assert result.exit_code == 1
    assert "calibration needs at least 5 trading sessions" in result.output and "Traceback" not in result.output
    assert not out.exists() and list(tmp_path.iterdir()) == [one]


@pytest.mark.parametrize(
    ("search", "message"),
    [
        ("activity_thinning=0", "'activity_thinning=0' is not knob=low:high or knob=low:high:log"),
        ("activity_thinning=0:2:ln", "'activity_thinning=0:2:ln' is not knob=low:high"),
        ("activity_thinning=a:2", "'activity_thinning=a:2' is not knob=low:high"),
        ("bogus=0:1", "'bogus' is not a numeric intraday knob"),
        ("activity_thinning=0:2 --fix activity_thinning", "'activity_thinning' is both fixed and searched"),
        ("activity_thinning=0:2 --seeds 0,0", "--seeds must be distinct integers >= 0; got '0,0'"),
        ("activity_thinning=0:2 --seeds -1", "--seeds must be distinct integers >= 0; got '-1'"),
    ],
)
def test_cli_calibrate_refuses_a_bad_search(real, tmp_path, search, message):
    path = write_bars(real, tmp_path / "real.parquet")
    out = tmp_path / "cal.yaml"
    search, *more = search.split(" ")
    result = runner.invoke(
        app, ["calibrate", "--real", str(path), "--out", str(out), "--max-evaluations", "10", "--search", search, *more]
    )
    assert result.exit_code == 1 and message in " ".join(result.output.split()) and "Traceback" not in result.output
    assert not out.exists()


def test_parse_search_reads_the_option():
    assert parse_search(" activity_thinning=0:2, minute_vol_mixing=0.01:1:log ,") == {
        "activity_thinning": (0.0, 2.0, False),
        "minute_vol_mixing": (0.01, 1.0, True),
    }
    assert parse_search("") == {}
    with pytest.raises(ValueError, match="'activity_thinning' is given twice"):
        parse_search("activity_thinning=0:1,activity_thinning=0:2")


def test_half_hour_levels_split_into_session_levels_and_a_unit_profile():
    from fracfire.realism.levels import split_profile as _split_profile

    levels = {"asian": 0.5, "london": 1.0, "premarket": 1.0, "rth": 1.0, "afterhours": 1.0}
    ratio = pd.Series({19: 3.0, 20: 1.0, 21: 1.0})  # 09:30 three times as volatile; only three half hours seen
    new_levels, profile = _split_profile(levels, np.ones(48), ratio, 0.05, 20.0)
    seen = np.array([3.0, 1.0, 1.0])
    assert new_levels["rth"] == pytest.approx(np.sqrt(np.mean(seen**2)))
    assert new_levels["asian"] == 0.5  # no real bars there: kept
    values = np.array([profile["09:30"], profile["10:00"], profile["10:30"]])
    assert np.mean(values**2) == pytest.approx(1.0, abs=1e-3)  # mean square 1 over the seen half hours
    assert values[0] == pytest.approx(3 * values[1], rel=1e-3)
    assert "11:00" not in profile  # unseen half hours keep 1
    # The generator sees the same product: level x profile.
    config = PhysicsConfig(session_volatility=new_levels, intraday_volatility=profile)
    assert config.intraday_multipliers()[0][19] * new_levels["rth"] == pytest.approx(3.0, rel=1e-3)


def test_calibration_never_simulates_with_a_scorecard_seed(week):
    """The engine gives day i of a run the same draws whatever the calendar, so a fit tuned to
    seed 0 would flatter any held-out scorecard run with seed 0: the fit and its held-out
    report use seed families of their own."""
    from fracfire.realism.calibration import FIT_SEED_OFFSET, REPORT_SEED_OFFSET, _Target

    fit, report = _Target(week, (0, 1)), _Target(week, (0, 1), offset=REPORT_SEED_OFFSET)
    assert fit.seeds == (FIT_SEED_OFFSET, FIT_SEED_OFFSET + 1)
    assert not set(fit.seeds) & set(report.seeds) and min(fit.seeds + report.seeds) >= 1000
    check = range(CHECK_SEED_OFFSET, CHECK_SEED_OFFSET + CHECK_RUNS)  # the classifier's check: runs of its own
    assert not set(check) & set(range(FIT_SEED_OFFSET, REPORT_SEED_OFFSET + 1000)) and min(check) > REPORT_SEED_OFFSET


@pytest.mark.parametrize(
    ("name", "low", "high"),
    [
        ("physics_calibrated.yaml", 20.0, 80.0),  # ES 2019: ~35 points
        ("physics_nq.yaml", 60.0, 300.0),
    ],
)  # NQ 2019: ~120 points
def test_shipped_calibrations_load_at_their_markets_daily_range(name, low, high):
    from pathlib import Path

    physics = PhysicsConfig.from_yaml(Path(__file__).resolve().parents[1] / "configs" / name)
    assert low < physics.daily_range_mean < high
    assert 0.2 < physics.daily_range_std / physics.daily_range_mean < 1.0


def test_calibration_ends_with_the_real_volume_level(week):
    """The shape search moves the volume level without seeing it; the fit ends by matching it,
    with both volume knobs scaled together (prices unchanged)."""
    start = PhysicsConfig().replace(volume_per_tick=1.0, volume_per_move=30.0)
    result = calibrate(week, start=start, max_evaluations=8, seeds=(0,))
    table = result.moments
    assert table.loc["log_volume_rth", "fitted"] == pytest.approx(table.loc["log_volume_rth", "real"], abs=0.01)
    assert table.loc["log_volume_rth", "start"] < table.loc["log_volume_rth", "real"] - 0.5
    fitted = result.config
    ratio = fitted.volume_per_move / fitted.volume_per_tick
    shifted = fitted.replace(volume_per_tick=2 * fitted.volume_per_tick, volume_per_move=2 * fitted.volume_per_move)
    a, b = synthetic_like(week, fitted, 3), synthetic_like(week, shifted, 3)
    assert ratio > 0 and a[["open", "high", "low", "close"]].equals(b[["open", "high", "low", "close"]])


def test_intraday_tolerances_are_raised_to_the_sampling_error(week):
    """A week's tail moments vary from run to run far more than their fixed tolerances: the
    search must not chase that noise, and the held-out distance uses the same yardstick."""
    result = calibrate(week, max_evaluations=8, seeds=(0,))
    tolerance = result.moments["tolerance"].dropna()
    assert all(tolerance[k] >= INTRADAY_TOLERANCE[k] for k in tolerance.index)
    assert tolerance["hill"] > 1.5 * INTRADAY_TOLERANCE["hill"]
    assert tolerance["body_rth"] < 2 * INTRADAY_TOLERANCE["body_rth"]  # a precise moment keeps its weight


def test_the_api_and_the_command_share_one_evaluation_budget():
    """``fracfire calibrate`` keeps a literal default (importing calibration would slow every
    command's start); it must be :data:`MAX_EVALUATIONS`, the API's default."""
    import inspect

    from fracfire.cli._data import calibrate as calibrate_command
    from fracfire.realism.calibration import MAX_EVALUATIONS, calibrate

    assert inspect.signature(calibrate).parameters["max_evaluations"].default == MAX_EVALUATIONS
    assert inspect.signature(calibrate_command).parameters["max_evaluations"].default == MAX_EVALUATIONS


def test_a_file_whose_price_never_moves_is_refused(real):
    flat = real.copy()
    for column in ("open", "high", "low", "close"):
        flat[column] = 3000.0
    for column in ("open_ticks", "high_ticks", "low_ticks", "close_ticks"):
        flat[column] = 12000
    flat["delta_ticks"] = 0
    with pytest.raises(ValueError, match="calibration: every price in the .* bars is 3000; it needs bars whose prices"):
        calibrate(flat, max_evaluations=12, seeds=(0,))
    from fracfire.realism.compare import compare_generators

    with pytest.raises(ValueError, match="compare_generators: every price"):
        compare_generators(flat, {"defaults": PhysicsConfig()}, seeds=(0,))
