"""Each PhysicsConfig knob measurably moves the output in its documented direction."""

import numpy as np
import pandas as pd
import pytest

from fracfire import MarketState, PhysicsConfig, PriceGenerator
from fracfire.calendar import trading_day_number
from fracfire.physics.sessions import Session
from fracfire.realism.facts import acf

BASE = dict(runner_prob=0.0)
FLAT_SEASON = dict(
    session_volatility={s.value: 1.0 for s in Session},
    intraday_volatility={},
    rth_open_boost=0.0,
    rth_close_boost=0.0,
)  # one volatility level all day: large moves are then jumps wherever they fall


def run(days=10, seed=1, state_sequence=None, initial_price=5000.0, **knobs):
    physics = PhysicsConfig(**{**BASE, **knobs})
    gen = PriceGenerator(initial_price=initial_price, seed=seed, physics=physics)
    return gen.generate_days("2025-01-06", days, state_sequence=state_sequence)


def per_day(df):
    days = df.groupby(trading_day_number(df["time"]))
    return days["high"].max() - days["low"].min(), days["close"].last() - days["open"].first()


def wick_ticks(df):
    return (df["upper_wick_ticks"] + df["lower_wick_ticks"]).mean()


def kurtosis(df):
    r = df["delta_ticks"].to_numpy(dtype=float)
    return ((r - r.mean()) ** 4).mean() / r.var() ** 2


def test_base_volatility_enlarges_bars_and_fattens_tails():
    small, large = run(base_volatility=0.5, jump_rate=20.0), run(base_volatility=6.0, jump_rate=20.0)
    assert small["range_ticks"].mean() < large["range_ticks"].mean()
    assert kurtosis(small) * 2 < kurtosis(large)


def test_jump_rate_fattens_tails_and_clustering_bunches_jumps():
    assert kurtosis(run(jump_rate=0.0, base_volatility=4.0)) * 1.5 < kurtosis(run(jump_rate=20.0, base_volatility=4.0))

    def jump_gaps(**knobs):
        df = run(days=20, jump_rate=10.0, base_volatility=8.0, vol_of_vol=0.0, **knobs)
        big = np.flatnonzero(np.abs(df["delta_ticks"].to_numpy()) > 30)
        return np.median(np.diff(big))

    assert jump_gaps(jump_clustering=0.8) < jump_gaps(jump_clustering=0.0)


def test_eta_sets_the_bounce():
    def lag1(**knobs):
        # At 2019 ES activity the minute bounce is mostly bid/ask prints and eta moves the
        # lag-1 ACF by only ~0.01; in a quiet, thin market (few tick changes a minute) by ~0.04.
        r = run(
            days=10,
            trend_strength=0.0,
            reversion_strength=0.0,
            avg_ticks_per_bar=20.0,
            trade_clock=0.0,
            daily_range_mean=15.0,
            **knobs,
        )["delta_ticks"].to_numpy(dtype=float)
        return acf(r, 1)[0]

    assert lag1(eta=0.05) < lag1(eta=0.6) - 0.02


def test_jump_vol_kick_makes_volatility_follow_jumps():
    """With a kick, the ten minutes after a large move are livelier, against the same ten
    minutes twenty minutes before it, than without one. (A flat intraday season, and a
    "before" window far enough back that it holds neither the jump, when the large move is a
    lively minute after it, nor its kick.)"""

    def after_over_before(kick):
        df = run(
            days=20,
            jump_rate=10.0,
            base_volatility=6.0,
            vol_of_vol=0.0,
            jump_clustering=0.0,
            jump_vol_kick=kick,
            **FLAT_SEASON,
        )
        r = df["delta_ticks"].abs().to_numpy(dtype=float)
        big = np.flatnonzero(r > np.quantile(r, 0.999))
        big = big[(big > 30) & (big < len(r) - 11)]
        after = np.mean([r[i + 1 : i + 11].mean() for i in big])
        before = np.mean([r[i - 30 : i - 20].mean() for i in big])
        return after / before

    assert after_over_before(0.0) + 0.3 < after_over_before(1.0)  # about 1.6 and 2.2 on seed 1


def test_clustered_jumps_do_not_compound_their_kicks():
    """Jumps are sized by the volatility without the kicks of earlier jumps: a strong kick
    makes the minutes after a jump livelier but does not make a burst of jumps grow."""

    def largest(kick):
        df = run(days=20, jump_rate=5.0, jump_clustering=0.8, jump_vol_kick=kick, vol_of_vol=0.0)
        return np.sort(df["delta_ticks"].abs().to_numpy())[-30:].mean()

    assert largest(1.0) < 2 * largest(0.0)  # about 1.3 times; 3.5 times when kicks compounded


def test_reversion_strength_makes_returns_revert():
    def lag1(strength):
        df = run(days=10, state_sequence=[(0, MarketState.RANGING)], reversion_strength=strength)
        return acf(df["delta_ticks"].to_numpy(dtype=float), 1)[0]

    assert lag1(3.0) < lag1(0.0) - 0.02


def test_vol_of_vol_clusters_volatility():
    def abs_acf(vov):
        r = run(days=10, vol_of_vol=vov, jump_rate=0.0, daily_range_std=0.0)["delta_ticks"].to_numpy(dtype=float)
        return acf(np.abs(r), 30)[9:].mean()

    assert abs_acf(0.0) + 0.03 < abs_acf(0.8)


def test_vol_memory_days_makes_calm_and_wild_stretches_last():
    def daily_rv_acf(days):
        # equal shares of the day-to-day variance (a positive tilt parks it in the slowest
        # component, which barely moves within 150 days)
        df = run(days=150, daily_range_std=25.0, vol_memory_days=days, vol_of_vol=0.2, vol_memory_tilt=0.0)
        rv = df.groupby(trading_day_number(df["time"]))["delta_ticks"].apply(lambda d: np.log((d**2).sum()))
        return acf(rv.to_numpy(), 5).mean()

    assert daily_rv_acf(2.0) + 0.1 < daily_rv_acf(200.0)


def test_vol_memory_tilt_moves_day_to_day_variance_to_the_slow_scales():
    """At the same total day-to-day dispersion, tilting it to the slow components makes each
    day's volatility resemble its neighbours' (higher ACF of log daily realised variance)."""

    def lag1(tilt):
        df = run(
            days=120, daily_range_std=25.0, vol_memory_days=40.0, vol_of_vol=0.2, jump_rate=0.0, vol_memory_tilt=tilt
        )
        rv = df.groupby(trading_day_number(df["time"]))["delta_ticks"].apply(lambda d: np.log((d**2).sum()))
        return acf(rv.to_numpy(), 1)[0]

    assert lag1(-4.0) + 0.15 < lag1(4.0)  # about 0.50 and 0.77


def test_activity_elasticity_ties_volume_to_volatility():
    def open_over_midday(e):
        df = run(days=5, activity_elasticity=e, rth_open_boost=2.0, volume_per_move=0.0)  # prints only
        hhmm = df["time"].dt.strftime("%H:%M")
        volume = df["volume"]
        return volume[hhmm.str.startswith("09:3")].mean() / volume[hhmm.str.startswith("12:")].mean()

    assert open_over_midday(0.5) * 1.5 < open_over_midday(3.0)


def test_avg_ticks_per_bar_adds_activity():
    low, high = run(avg_ticks_per_bar=2.0, volume_per_move=0.0), run(avg_ticks_per_bar=16.0, volume_per_move=0.0)
    assert low["volume"].mean() * 2 < high["volume"].mean()
    assert low["range_ticks"].mean() < high["range_ticks"].mean()
    assert (low["range_ticks"] == 0).mean() > (high["range_ticks"] == 0).mean() + 0.1


def test_daily_range_mean_scales_daily_ranges():
    small, _ = per_day(run(days=20, daily_range_mean=60.0, daily_range_std=30.0))
    large, _ = per_day(run(days=20, daily_range_mean=240.0, daily_range_std=120.0))
    assert small.mean() * 2 < large.mean()


def test_daily_range_std_spreads_daily_ranges():
    same, _ = per_day(run(days=40, daily_range_std=0.0))
    spread, _ = per_day(run(days=40, daily_range_std=120.0))
    assert (same / same.mean()).std() < (spread / spread.mean()).std()


def test_runner_prob_makes_directional_days():
    _, calm = per_day(run(days=30, runner_prob=0.0, runner_target_mult=2.5))
    _, trend = per_day(run(days=30, runner_prob=1.0, runner_target_mult=2.5))
    assert calm.abs().mean() * 1.5 < trend.abs().mean()


def test_runner_target_mult_lengthens_runner_days():
    _, short = per_day(run(days=20, runner_prob=1.0, runner_target_mult=1.5))
    _, long = per_day(run(days=20, runner_prob=1.0, runner_target_mult=6.0))
    assert short.abs().mean() * 1.5 < long.abs().mean()


def rally_excursion(**knobs):
    df = run(days=3, state_sequence=[(0, MarketState.RALLY)], **knobs)
    return (df["close"] - 5000.0).abs().max()


def test_macro_gravity_threshold_bounds_drift():
    assert rally_excursion(macro_gravity_threshold=20.0, macro_gravity_strength=0.5) < rally_excursion(
        macro_gravity_threshold=400.0, macro_gravity_strength=0.5
    )


def test_macro_gravity_strength_pulls_back():
    assert rally_excursion(macro_gravity_threshold=20.0, macro_gravity_strength=0.5) < rally_excursion(
        macro_gravity_threshold=20.0, macro_gravity_strength=0.0
    )


@pytest.mark.parametrize(
    "knob, low, high",
    [
        ("wick_probability", 0.05, 0.6),
        ("wick_extension_avg", 1.0, 5.0),
    ],
)
def test_wick_knobs_lengthen_wicks(knob, low, high):
    assert wick_ticks(run(days=2, **{knob: low})) < wick_ticks(run(days=2, **{knob: high}))


def test_flow_persistence_weakens_the_bounce_of_thin_minutes():
    """With remembered print sides a thin minute closes where the one before closed unless
    the price level moved, so the lag-1 autocorrelation of returns rises towards 0."""

    def lag1(persistence):
        r = run(
            days=5,
            seed=2,
            flow_persistence=persistence,
            trend_strength=0.0,
            reversion_strength=0.0,
            avg_ticks_per_bar=10.0,
            trade_clock=0.0,
            daily_range_mean=15.0,
        )["delta_ticks"].to_numpy(dtype=float)
        return acf(r, 1)[0]

    assert lag1(0.0) + 0.1 < lag1(0.95)  # about -0.32 and -0.09


def test_wicks_follow_activity():
    """Excursion prints arrive with the minute's prints: busy regular-hours bars carry more of
    them than thin overnight bars."""
    df = run(days=3, wick_probability=0.3, wick_extension_avg=1.0)
    wicks = (df["upper_wick_ticks"] + df["lower_wick_ticks"]) / df["range_ticks"].clip(lower=1)
    rth, night = df["session"] == "rth", df["session"] == "asian"
    assert wicks[night].mean() < wicks[rth].mean()


def test_volume_per_move_ties_volume_to_price_movement():
    def corr(vpm):
        df = run(days=3, volume_per_move=vpm, volume_per_tick=1.0, minute_volume={})  # no scheduled bursts
        return np.corrcoef(df["volume"], df["delta_ticks"].abs())[0, 1]

    assert corr(0.0) + 0.1 < corr(100.0)


def test_book_depth_follows_the_session_volume_multiplier():
    """The contracts a price move goes through scale with the minute's volume multiplier:
    with volume from moves only, tripling a session's volume multiplier triples its volume
    per tick of range."""

    def per_tick(**knobs):
        df = run(days=3, volume_per_tick=1e-6, volume_per_move=50.0, **knobs)
        asian = (df["session"] == "asian") & (df["range_ticks"] > 0)
        return (df.loc[asian, "volume"] / df.loc[asian, "range_ticks"]).mean()

    assert per_tick(session_volume={"asian": 3.0}) > 2.5 * per_tick(session_volume={"asian": 1.0})


def test_volume_per_tick_scales_volume():
    def volume(vpt):
        return run(days=2, volume_per_tick=vpt, volume_per_move=0.0)["volume"].mean()

    assert volume(5.0) * 3 < volume(20.0)


def test_session_overrides_reshape_the_day_around_its_mean_range():
    """A session's volatility multiplier moves that session against the others; the day's
    mean range stays ``daily_range_mean`` (the level is renormalised). Volume multipliers
    scale that session's prints and volume (without the volume of price moves, which follows
    the renormalised volatility)."""
    base = run(days=3, volume_per_move=0.0)
    defaults = PhysicsConfig()  # a partial dict falls back to SESSION_CONFIGS for the other sessions
    hot = run(
        days=3,
        session_volatility={**defaults.session_volatility, "asian": 2.0},
        session_volume={**defaults.session_volume, "asian": 3.0},
        volume_per_move=0.0,
    )
    asian, rth = base["session"] == "asian", base["session"] == "rth"

    def ratio(df):
        return df.loc[asian, "delta_ticks"].std() / df.loc[rth, "delta_ticks"].std()

    assert ratio(hot) > 2 * ratio(base)
    assert hot.loc[asian, "volume"].mean() > 3 * base.loc[asian, "volume"].mean()
    assert hot.loc[rth, "volume"].mean() == pytest.approx(base.loc[rth, "volume"].mean(), rel=0.5)


@pytest.mark.parametrize("knob, minute", [("rth_open_boost", "09:3"), ("rth_close_boost", "15:5")])
def test_rth_boosts_raise_volatility_at_the_open_and_close(knob, minute):
    flat = dict(rth_open_boost=0.0, rth_close_boost=0.0)
    base, boosted = run(days=5, **flat), run(days=5, **{**flat, knob: 3.0})
    at = base["time"].dt.strftime("%H:%M").str.startswith(minute).to_numpy()
    ratio = boosted.loc[at, "range_ticks"].mean() / base.loc[at, "range_ticks"].mean()
    midday = base["time"].dt.strftime("%H:%M").str.startswith("12:").to_numpy()
    assert ratio > 2.0
    assert boosted.loc[midday, "range_ticks"].mean() < 1.3 * base.loc[midday, "range_ticks"].mean()


def test_trend_strength_scales_state_drift():
    sequence = [(0, MarketState.RANGING), (600, MarketState.RALLY), (660, MarketState.RANGING)]
    _, weak = per_day(run(days=10, state_sequence=sequence, trend_strength=0.1))
    _, strong = per_day(run(days=10, state_sequence=sequence, trend_strength=1.0))
    assert weak.mean() * 2 < strong.mean()


def _hourly_volume_corr(df):
    a = df["delta_ticks"].abs().to_numpy(dtype=float)
    v = df["volume"].to_numpy(dtype=float)
    n = len(a) // 60
    a, v = a[: n * 60].reshape(n, 60), v[: n * 60].reshape(n, 60)
    return np.nanmean([np.corrcoef(x, y)[0, 1] for x, y in zip(a, v, strict=True)])


def test_trade_clock_ties_each_minutes_move_to_its_prints():
    """On trade time busy minutes move: within the hour, volume and |return| correlate more."""
    off = run(days=4, trade_clock=0.0, activity_dispersion=2.0, volume_per_move=0.0)
    on = run(days=4, trade_clock=1.0, activity_dispersion=2.0, volume_per_move=0.0)
    assert _hourly_volume_corr(off) + 0.1 < _hourly_volume_corr(on)


def volume_cv(df, hours=None):
    """Mean within-hour volume CV over consecutive 60-bar blocks (those starting in ``hours``
    of the New York clock, or all)."""
    v = df["volume"].to_numpy(dtype=float)
    n = len(v) // 60
    v = v[: n * 60].reshape(n, 60)
    if hours is not None:
        start = df["time"].dt.tz_convert("America/New_York").dt.hour.to_numpy()[: n * 60 : 60]
        v = v[np.isin(start, hours)]
    return float(np.mean(v.std(axis=1) / v.mean(axis=1)))


def test_activity_dispersion_spreads_volume_within_the_hour():
    assert volume_cv(run(days=2, activity_dispersion=0.5)) * 1.3 < volume_cv(run(days=2, activity_dispersion=2.5))


def test_activity_clustering_makes_thin_minutes_lumpier_than_busy_ones():
    """Clusters of prints: the volume CV of thin overnight hours rises much more than that of
    busy regular-hours hours, which the intensity-free dispersion cannot do."""
    late_night, midday = range(0, 6), range(10, 15)
    off, on = run(days=3, activity_dispersion=0.4), run(days=3, activity_dispersion=0.4, activity_clustering=20.0)
    night = volume_cv(on, late_night) - volume_cv(off, late_night)
    day = volume_cv(on, midday) - volume_cv(off, midday)
    assert night > 0.1 and night > 2 * day


def test_activity_thinning_makes_thin_hours_lumpier_and_keeps_busy_ones():
    """The intensity's dispersion grows as the seasonal activity falls: overnight hours (session
    volume multiplier ~0.2-0.3) get lumpier, regular hours (~1) hardly move, and the mean volume
    (a mean-one log-normal) stays where it was."""
    late_night, midday = range(0, 6), range(10, 15)
    off = run(days=3, activity_dispersion=0.4, activity_clustering=0.0)
    on = run(days=3, activity_dispersion=0.4, activity_clustering=0.0, activity_thinning=1.5)
    night = volume_cv(on, late_night) - volume_cv(off, late_night)
    day = volume_cv(on, midday) - volume_cv(off, midday)
    assert night > 0.15 and abs(day) < 0.5 * night
    assert on["volume"].mean() == pytest.approx(off["volume"].mean(), rel=0.1)


def test_volume_participation_moves_volume_level_alone_and_persistently():
    """Volume only: prices are the same bytes; the log hourly volume wanders beside the hourly
    range (its residual widens and persists from hour to hour), the mean volume stays, and a run
    split across calls gives the same volume as one call."""
    off = run(days=6)
    on = run(days=6, volume_participation=0.4)
    for column in ("open", "high", "low", "close"):
        np.testing.assert_array_equal(on[column].to_numpy(), off[column].to_numpy())

    def residual(df):
        n = len(df) // 60
        volume = np.log(df["volume"].to_numpy(dtype=float)[: n * 60].reshape(n, 60).mean(axis=1))
        rng = np.log(df["range_ticks"].to_numpy(dtype=float)[: n * 60].reshape(n, 60).mean(axis=1) + 1.0)
        hour = df["time"].dt.tz_convert("America/New_York").dt.hour.to_numpy()[: n * 60 : 60]
        frame = pd.DataFrame({"v": volume, "r": rng, "h": hour})
        centred = frame.groupby("h")[["v", "r"]].transform(lambda x: x - x.mean())
        slope = (centred.v * centred.r).sum() / (centred.r**2).sum()
        return centred.v - slope * centred.r

    quiet, loud = residual(off), residual(on)
    assert loud.std() > 1.5 * quiet.std()
    assert loud.autocorr(1) > quiet.autocorr(1) + 0.2
    assert on["volume"].mean() == pytest.approx(
        off["volume"].mean(), rel=0.25
    )  # mean one; six days of a day-scale level
    physics = PhysicsConfig(**{**BASE, "volume_participation": 0.4})
    whole = PriceGenerator(seed=5, physics=physics).generate_days("2025-01-06", 4)
    gen = PriceGenerator(seed=5, physics=physics)
    split = pd.concat([gen.generate_days("2025-01-06", 2), gen.generate_days(None, 2)], ignore_index=True)
    np.testing.assert_array_equal(whole["volume"].to_numpy(), split["volume"].to_numpy())


def test_volume_participation_gives_each_scenario_path_its_own_level():
    """Paths draw their own participation start (a shared one would not average out): the ratio
    of each path's volume to the same path without the knob varies from path to path and
    averages near one; prices and single bars are unaffected."""

    def paths(level):
        physics = PhysicsConfig(**{**BASE, "volume_participation": level})
        return PriceGenerator(seed=8, physics=physics).generate_paths("2025-01-08 09:30", 60, end="2025-01-08 16:00")

    off, on = paths(0.0), paths(0.5)
    np.testing.assert_array_equal(on["close"].to_numpy(), off["close"].to_numpy())
    ratio = on.groupby("scenario")["volume"].sum() / off.groupby("scenario")["volume"].sum()
    assert ratio.std() > 0.15 and ratio.mean() == pytest.approx(1.0, abs=0.15)
    gen = PriceGenerator(seed=8, physics=PhysicsConfig(**{**BASE, "volume_participation": 0.5}))
    bar = gen.generate_bar("2025-01-08 09:30")
    assert bar["volume"] >= 1


def test_half_hour_profile_raises_only_its_half_hour():
    flat, hot = run(days=4, intraday_volatility={}), run(days=4, intraday_volatility={"03:00": 3.0})
    minute = flat["time"].dt.tz_convert("America/New_York")
    half = ((minute.dt.hour == 3) & (minute.dt.minute < 30)).to_numpy()
    late = (minute.dt.hour == 5).to_numpy()

    def std(df, mask):
        return df["delta_ticks"].to_numpy(dtype=float)[mask].std()

    assert std(flat, half) * 1.8 < std(hot, half)
    assert std(hot, late) < std(flat, late) * 1.3  # elsewhere at most the renormalised level moves


def test_volatility_start_sets_the_first_days_level():
    def first_range(start):
        gen = PriceGenerator(seed=4, physics=PhysicsConfig(**BASE), volatility_start=start)
        return per_day(gen.generate_days("2025-01-06", 3))[0].mean()

    assert first_range(float(np.log(0.5))) * 1.3 < first_range("level") < first_range(float(np.log(2.0))) / 1.3
    with pytest.raises(ValueError, match="volatility_start"):
        PriceGenerator(volatility_start="calm")


def test_random_volatility_start_spreads_short_runs_more_than_the_level_start():
    def spread(start):
        ranges = [
            per_day(PriceGenerator(seed=s, volatility_start=start).generate_days("2025-01-06", 5))[0].mean()
            for s in range(12)
        ]
        return np.std(np.log(ranges))

    assert spread("level") < spread("random")


def test_trade_clock_scale_keeps_the_mean_variance_for_small_and_large_shapes():
    from scipy.special import gammaln

    from fracfire.physics import schedule

    rng = np.random.default_rng(0)
    for shape in (np.repeat([0.8, 2.5, 9.0], 40_000), rng.uniform(0.5, 400.0, 120_000)):
        ratio = rng.gamma(shape) / shape
        scale = schedule.trade_clock_scale(ratio, shape, 0.7)
        assert np.mean(scale**2) == pytest.approx(1.0, abs=0.01)  # E[G^c] divided out
    k = np.array([1e-3, 0.3, 1.0, 9.9, 10.0, 30.0, 1e5])
    for c in (0.0, 0.3, 0.7, 1.0):  # the series and gammaln agree on both sides of the switch
        exact = gammaln(k + c) - gammaln(k) - c * np.log(k)
        np.testing.assert_allclose(schedule.gamma_log_moment(k, c), exact, rtol=0, atol=2e-7)


def test_prints_are_log_normal_in_intensity_and_clustered_given_it():
    """draw_prints: mean prints kept, no busy minute goes dead without clustering, thin minutes
    lumpier than busy ones with it, and the trade clock's mean variance kept."""
    from fracfire.physics import schedule

    n = 200_000
    log_var = np.full(n, np.log1p(0.6**2))
    for clustering in (0.0, 5.0):
        for level in (20.0, 400.0):
            counts, scale = schedule.draw_prints(np.random.default_rng(1), np.full(n, level), log_var, clustering, 0.9)
            assert counts.mean() == pytest.approx(level, rel=0.01)
            assert np.mean(scale**2) == pytest.approx(1.0, abs=0.01)
            cv = counts.std() / counts.mean()
            assert cv == pytest.approx(np.sqrt(np.expm1(log_var[0]) + clustering / level), rel=0.03)
            if clustering == 0.0:
                assert np.quantile(counts / level, 0.001) > 0.1  # log-normal: no dead minute
    a, _ = schedule.draw_prints(np.random.default_rng(2), np.full(n, 30.0), log_var, 0.0, 0.9)
    b, _ = schedule.draw_prints(np.random.default_rng(2), np.full(n, 30.0), log_var, 0.0, 0.9)
    np.testing.assert_array_equal(a, b)


def test_minute_vol_mixing_fattens_one_minute_tails_and_keeps_the_variance():
    """An independent log-volatility shock per minute: fatter one-minute tails (higher kurtosis),
    about the same mean variance, and the same bytes for the same seed."""
    from scipy import stats

    def returns(m, seed=3):
        df = run(days=20, seed=seed, minute_vol_mixing=m, activity_dispersion=0.5, trade_clock=0.0, jump_rate=0.0)
        return df["delta_ticks"].to_numpy(dtype=float), df

    plain, plain_bars = returns(0.0)
    mixed, mixed_bars = returns(0.5)
    again, again_bars = returns(0.5)
    assert mixed_bars.equals(again_bars)  # same seed and knobs, same bytes
    assert not np.array_equal(plain, mixed)
    assert stats.kurtosis(mixed) > stats.kurtosis(plain) + 1.0
    assert np.mean(mixed**2) == pytest.approx(np.mean(plain**2), rel=0.2)
    with pytest.raises(ValueError, match="minute_vol_mixing"):
        PhysicsConfig(minute_vol_mixing=-0.1)


def test_jump_activity_moves_jumps_into_busy_minutes_and_keeps_the_rate():
    """``jump_timing`` has mean 1 over a mid-week session whatever the power, so ``jump_rate``
    keeps its meaning; with a flat volatility season, large moves (jumps) fall in regular hours
    about in proportion to minutes at power 0 and far more often at power 1."""
    from fracfire.physics.schedule import _reference_clock, jump_timing

    clock = _reference_clock()
    for power in (0.0, 0.5, 1.0, 2.0):
        weights = jump_timing(clock, PhysicsConfig(jump_activity=power))
        assert weights.mean() == pytest.approx(1.0)
    assert np.all(jump_timing(clock, PhysicsConfig(jump_activity=0.0)) == 1.0)
    flat = dict(FLAT_SEASON, vol_of_vol=0.0, jump_clustering=0.0, jump_rate=10.0, base_volatility=8.0)

    def rth_share_of_big_moves(power):
        df = run(days=20, jump_activity=power, **flat)
        big = np.abs(df["delta_ticks"].to_numpy()) > 25
        return (df["session"].to_numpy()[big] == "rth").mean(), big.sum()

    share0, n0 = rth_share_of_big_moves(0.0)
    share1, n1 = rth_share_of_big_moves(1.0)
    # RTH is 28 % of the minutes and about 60 % of the activity (0.23 and 0.44 on seed 1)
    assert share0 < 0.3 and share1 > 1.6 * share0
    assert 0.6 < n1 / n0 < 1.6  # the same number of jumps, placed elsewhere
