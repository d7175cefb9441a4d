"""The scorecard's stylized facts on bars with a known answer, and its skips
(five-minute bars, bars without volume, regular-hours-only files)."""

import warnings

import numpy as np
import pandas as pd
import pytest

from fracfire.data import load_continuous_contract, resample_bars
from fracfire.realism import facts
from fracfire.realism.compare import compare_generators
from fracfire.realism.discriminator import discriminate, discriminate_days, window_features
from fracfire.realism.peers import PEERS, bars_from_returns, garch_t_deseasonalised_bars, gbm_bars
from fracfire.realism.scorecard import GOALS, METRICS, compute_facts, headline_facts, realism_report
from fracfire.schema import TIMEZONE, bars_frame, check_bars
from tests.test_real_data import NQ_SAMPLE, SAMPLE


@pytest.fixture(scope="module")
def real():
    return load_continuous_contract(SAMPLE)


@pytest.fixture(scope="module")
def split(real):
    from fracfire.realism.calendar import split_by_time

    return split_by_time(real, 0.6)


@pytest.fixture(scope="module")
def nq():
    return load_continuous_contract(NQ_SAMPLE)


def _bars(times, o, h, lo, c) -> pd.DataFrame:
    n = len(times)
    empty = pd.Categorical([None] * n)
    labels = {
        "state": empty,
        "session": empty,
        "session_id": np.zeros(n, dtype=np.int64),
        "segment_id": np.zeros(n, dtype=np.int64),
        "macro_regime": empty,
    }
    return bars_frame(pd.DatetimeIndex(times), o, h, lo, c, np.full(n, 10), int(o[0]), labels)


def _from_returns(times, returns, seed=0, price=3000.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    sigma = np.full(len(returns), float(np.std(returns)))
    return bars_from_returns(pd.Series(times), np.asarray(returns), sigma, price, np.full(48, 100.0), rng)


def _rth_days(days: int, minutes: int = 5) -> pd.DatetimeIndex:
    """Bar start times 09:30-16:00 ET of ``days`` weekdays from 2019-01-07."""
    out = [
        pd.date_range(f"{d:%Y-%m-%d} 09:30", f"{d:%Y-%m-%d} 15:59", freq=f"{minutes}min", tz=TIMEZONE)
        for d in pd.bdate_range("2019-01-07", periods=days)
    ]
    return out[0].append(out[1:])


def _shaped_day(zero_every: int = 10) -> pd.DataFrame:
    """08:00-16:59 ET one-minute bars; every overnight bar and every ``zero_every``-th RTH bar
    has no range; the other RTH bars are 3 of 9 with body 1 / range 2, 6 of 9 body 3 / range 4."""
    times = pd.date_range("2019-09-03 08:00", "2019-09-03 16:59", freq="1min", tz=TIMEZONE)
    minute = times.hour * 60 + times.minute
    o, h, lo, c = (np.empty(len(times), dtype=np.int64) for _ in range(4))
    base = 12_000
    for i, m in enumerate(minute):
        k = (m - 570) % zero_every
        up = 1 if i % 2 else -1
        if m < 570 or m >= 960 or k == 0:
            o[i] = h[i] = lo[i] = c[i] = base
        elif k <= 3:
            o[i], c[i] = base, base + up
            h[i], lo[i] = max(o[i], c[i]) + 1, min(o[i], c[i])
        else:
            o[i], c[i] = base, base + 3 * up
            h[i], lo[i] = max(o[i], c[i]) + 1, min(o[i], c[i])
    return _bars(times, o, h, lo, c)


def test_zero_range_share_and_body_fraction_of_hand_built_bars():
    rth = compute_facts(_shaped_day(), ("1min",))["timeframes"]["1min"]["rth"]
    assert rth["zero_range_share"] == pytest.approx(10.0)  # overnight zero-range bars do not count
    assert rth["body_fraction"] == pytest.approx((3 * 0.5 + 6 * 0.75) / 9)
    table = realism_report(
        _shaped_day(10), _shaped_day(5), ("1min",), discriminator=False, day_discriminator=False
    ).table.loc["1min"]
    assert table.loc["zero_range_share_rth", "synthetic"] == pytest.approx(20.0)
    assert table.loc["zero_range_share_rth", "distance"] == pytest.approx(10.0)  # percentage points


def test_hill_index_of_a_pareto_sample_is_its_alpha():
    rng = np.random.default_rng(0)
    for alpha in (2.0, 3.0, 4.0):
        x = (rng.pareto(alpha, 200_000) + 1.0) * rng.choice([-1, 1], 200_000)
        assert facts.hill_index(x) == pytest.approx(alpha, rel=0.05)
    assert facts.hill_index(rng.standard_normal(200_000)) > 6  # thin tails: a large index
    assert np.isnan(facts.hill_index(np.ones(5)))
    with pytest.raises(ValueError, match=r"tail must be in \(0, 1\); got 1.5"):
        facts.hill_index(np.ones(100), tail=1.5)


def test_hill_index_row_on_bars_with_pareto_returns():
    rng = np.random.default_rng(1)
    n = 40_000
    returns = 4e-4 * (rng.pareto(3.0, n) + 1.0) * rng.choice([-1, 1], n)
    times = pd.date_range("2019-09-02 00:00", periods=n, freq="1min", tz=TIMEZONE)
    entry = compute_facts(_from_returns(times, returns), ("1min",))["timeframes"]["1min"]
    assert entry["hill"] == pytest.approx(3.0, abs=0.3)


def test_lag1_acf_of_an_ma1_series():
    rng = np.random.default_rng(2)
    e = rng.standard_normal(40_001)
    x = e[1:] - 0.5 * e[:-1]  # rho_1 = -0.5 / 1.25 = -0.4
    assert facts.acf(x, 2) == pytest.approx([-0.4, 0.0], abs=0.015)
    times = pd.date_range("2019-09-02 00:00", periods=len(x), freq="1min", tz=TIMEZONE)
    entry = compute_facts(_from_returns(times, 1e-3 * x), ("1min",))["timeframes"]["1min"]
    assert entry["acf_ret"][0] == pytest.approx(-0.4, abs=0.015)


def test_log_rv_acf_of_alternating_calm_and_wild_days():
    days = 60
    times = _rth_days(days)
    per_day = len(times) // days
    rng = np.random.default_rng(3)
    sd = np.repeat(np.where(np.arange(days) % 2, 4e-3, 1e-3), per_day)
    bars = _from_returns(times, sd * rng.standard_normal(len(times)))
    daily = facts.daily_facts(bars, bar_minutes=5)
    # reference: sum of squared within-day returns (the first return of a day spans the night)
    r = pd.Series(np.diff(np.log(bars["close"].to_numpy())), index=bars["time"].iloc[1:].dt.date.to_numpy())
    same_day = bars["time"].dt.date.to_numpy()[1:] == bars["time"].dt.date.to_numpy()[:-1]
    want = np.log((r[same_day] ** 2).groupby(level=0).sum().to_numpy())
    np.testing.assert_allclose(daily["log_rv"], want, rtol=1e-12)
    # alternating log RV: ACF (biased) = (-1)^k (n - k) / n, shrunk a little by RV noise
    for lag in (1, 5, 20):
        expected = (-1) ** lag * (days - lag) / days
        assert daily["log_rv_acf"][lag] == pytest.approx(expected, abs=0.04)
    spans = bars.groupby(bars["time"].dt.date).agg(h=("high", "max"), lo=("low", "min"))
    span = (spans["h"] - spans["lo"]).to_numpy()
    assert daily["range_cv"] == pytest.approx(span.std() / span.mean())
    assert daily["days"] == days


def test_log_rv_acf_needs_enough_days():
    bars = _from_returns(_rth_days(30), 1e-3 * np.random.default_rng(4).standard_normal(30 * 78))
    assert set(facts.daily_facts(bars, bar_minutes=5)["log_rv_acf"]) == {1, 5}  # lag 20 needs 40 days


def test_five_minute_bars_skip_one_minute_facts(real):
    five = resample_bars(real, "5min")
    assert compute_facts(five)["skipped"] == ["1min"]
    report = realism_report(five, five, discriminator=False)
    assert "1min" not in report.table.index.get_level_values("timeframe")
    assert not any("1 min" in fact for fact in report.headline.index)
    assert "Hill index, 5 min" in report.headline.index and "U-shape of volatility (corr)" in report.headline.index
    assert any("1min" in note for note in report.notes)


def test_bars_without_volume_skip_every_volume_row(real):
    silent = real.copy()
    silent.attrs["has_volume"] = False
    report = realism_report(real, silent, ("1min", "5min"), discriminator=False, day_discriminator=False)
    metrics = set(report.table.index.get_level_values("metric"))
    assert not metrics & {"volume_mean", "intraday_volume_shape", "intraday_volume_corr"}
    assert "U-shape of volume (corr)" not in report.headline.index
    assert "volume rows skipped: the synthetic bars have no volume" in report.notes
    assert window_features(real, volume=False).shape[1] == 13
    assert discriminate(real, silent, seed=0) == 0.5  # same bars: volume features would not matter either


def test_real_against_itself_has_zero_distance_and_meets_every_goal(real):
    report = realism_report(real, real)
    assert set(report.table.index.get_level_values("metric")) <= set(METRICS)
    np.testing.assert_allclose(report.table["distance"], 0.0, atol=1e-12)
    goals = report.headline["met"].dropna()
    assert len(goals) >= 12 and goals.all()
    assert set(report.headline.index) <= set(GOALS)
    assert report.discriminator_accuracy == 0.5 and report.discriminative_score == 0.0
    assert report.day_discriminator_accuracy == 0.5  # 21 trading days in the month
    summary = report.summary()
    assert "(60-bar windows) 0.000, classifier accuracy 0.500" in summary
    assert "(trading days) 0.000, classifier accuracy 0.500" in summary
    assert "Hill index, 1 min: real" in summary and "MISSED" not in summary
    np.testing.assert_array_equal(report.acf_abs.loc["1min", "real"], report.acf_abs.loc["1min", "synthetic"])
    assert len(report.acf_abs.loc["1min"]) == 50


def test_day_discriminator_on_the_nq_year(nq):
    assert discriminate_days(nq, nq, seed=0) == 0.5
    half = len(nq) // 2
    shuffled = nq.iloc[:half].reset_index(drop=True)
    fake = gbm_bars(nq.iloc[half:].reset_index(drop=True), shuffled["time"], float(shuffled["open"].iloc[0]), seed=0)
    assert discriminate_days(shuffled, fake, seed=0) > 0.8  # GBM days have no intraday shape


def test_report_checks_its_inputs(real):
    with pytest.raises(TypeError, match="realism_report: real must be a pandas DataFrame; got list"):
        realism_report([], real)
    with pytest.raises(ValueError, match=r"synthetic bars miss columns \['body_ticks'\]"):
        realism_report(real, real.drop(columns="body_ticks"))
    with pytest.raises(ValueError, match="real bars are empty"):
        realism_report(real.iloc[:0], real)
    with pytest.raises(ValueError, match="synthetic bars must be sorted by time"):
        realism_report(real, real.iloc[::-1].reset_index(drop=True))


def test_report_says_why_the_day_discriminator_did_not_run(split):
    _, validation = split
    report = realism_report(validation, validation, ("1min",))
    assert report.day_discriminative_score is None and report.day_discriminator_accuracy is None
    assert any(
        note.startswith("day-level discriminator not run") and "needs 20 per side" in note for note in report.notes
    )
    assert "day-level discriminator not run" in report.summary()


def test_regular_hours_only_bars(real):
    rth = real[facts.rth_mask(real)].reset_index(drop=True)  # delta_ticks now spans nights: not checked
    peer = gbm_bars(rth, rth["time"], float(rth["open"].iloc[0]), seed=0)
    report = realism_report(rth, peer, discriminator=False)
    table = report.table
    assert ("1min", "zero_range_share_rth") in table.index and ("1D", "overnight_gap_std") in table.index
    assert report.headline.loc["U-shape of volatility (corr)", "synthetic"] < 0.9  # GBM is flat


def test_headline_goals_read_off_the_table(split):
    train, validation = split
    peer = gbm_bars(train, validation["time"], float(validation["open"].iloc[0]), seed=0)
    report = realism_report(validation, peer, discriminator=False)
    headline = headline_facts(report)
    assert list(headline.columns) == ["real", "synthetic", "difference", "goal", "met"]
    row = headline.loc["zero-range share of RTH 1-min bars (%)"]
    assert row["difference"] == pytest.approx(row["synthetic"] - row["real"])
    assert row["met"] == (abs(row["difference"]) <= 1.0)
    ratio = headline.loc["kurtosis ratio 5 min / 1 min"]
    assert ratio["difference"] == pytest.approx(ratio["synthetic"] / ratio["real"] - 1)
    assert headline.loc["|r| ACF of 1-min returns, lags 1-30", "met"] is False  # GBM has no clustering
    assert headline.loc["excess kurtosis, 1 min", "met"] is None
    assert "headline goals met" in report.summary()
    with pytest.raises(TypeError, match=r"must be a RealismReport or its table \(or a list of them\); got str"):
        headline_facts("report")
    with pytest.raises(ValueError, match="empty list of reports"):
        headline_facts([])


def test_headline_over_seeds_judges_the_mean(split):
    train, validation = split
    start = float(validation["open"].iloc[0])
    reports = [
        realism_report(
            validation,
            gbm_bars(train, validation["time"], start, seed=seed),
            ("1min", "5min"),
            discriminator=False,
            day_discriminator=False,
        )
        for seed in (0, 1)
    ]
    pd.testing.assert_frame_equal(headline_facts([reports[0]]), reports[0].headline)
    mean = headline_facts(reports)
    fact = "lag-1 ACF of 1-min returns"
    values = [r.headline.loc[fact, "synthetic"] for r in reports]
    assert mean.loc[fact, "synthetic"] == pytest.approx(np.mean(values))
    assert mean.loc[fact, "synthetic_sd"] == pytest.approx(np.std(values, ddof=1))
    assert list(mean.columns) == ["real", "synthetic", "synthetic_sd", "difference", "goal", "met"]
    assert "synthetic_sd" not in headline_facts([reports[0]])
    assert mean.loc[fact, "difference"] == pytest.approx(np.mean(values) - mean.loc[fact, "real"])
    assert mean.loc[fact, "met"] == (abs(mean.loc[fact, "difference"]) <= 0.03)


def test_deseasonalised_garch_peer_has_the_intraday_volatility_shape(real, split):
    train, _ = split  # fitted on the first 60 % of sessions, generated on the whole month
    start = float(real["open"].iloc[0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # arch's own convergence chatter
        seasonal = garch_t_deseasonalised_bars(train, real["time"], start, seed=1)
        flat = PEERS["GARCH-t"](train, real["time"], start, seed=1)
        again = garch_t_deseasonalised_bars(train, real["time"], start, seed=1)
    check_bars(seasonal, require_labels=False)
    pd.testing.assert_frame_equal(seasonal, again)
    assert PEERS["GARCH-t seasonal"] is garch_t_deseasonalised_bars
    shape = {
        name: realism_report(real, bars, ("1min",), discriminator=False, day_discriminator=False).table.loc[
            ("1min", "intraday_abs_return_corr"), "synthetic"
        ]
        for name, bars in (("seasonal", seasonal), ("flat", flat))
    }
    assert shape["seasonal"] > 0.8 and shape["flat"] < 0.5


def test_peers_without_training_volume_give_volume_one(nq):
    train, calendar = nq.iloc[:6000].reset_index(drop=True), nq["time"].iloc[6000:7000]
    bars = gbm_bars(train, calendar, float(nq["open"].iloc[6000]), seed=0)
    assert (bars["volume"] == 1).all() and bars.attrs["has_volume"] is False
    with_volume = train.copy()
    with_volume.attrs["has_volume"] = True
    assert gbm_bars(with_volume, calendar, 15000.0).attrs["has_volume"] is True


def test_compare_generators_peers_only_reports_accuracy(real):
    real = real[real["time"] < pd.Timestamp("2019-09-10", tz=TIMEZONE)].reset_index(drop=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = compare_generators(real, configs={}, timeframes=("1min", "1h"))
    assert list(result.summary.columns) == list(PEERS)
    assert {"discriminative_score", "discriminator_accuracy"} <= set(result.summary.index)
    markdown = result.to_markdown()
    assert "discriminator_accuracy" in markdown and "discriminative_score" in markdown
    assert "| \\|r\\| ACF of 1-min returns, lags 1-30 |" in markdown  # pipes escaped in cells
    with pytest.raises(ValueError, match="nothing to score"):
        compare_generators(real, configs={}, peers=False)
