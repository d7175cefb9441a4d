import json
import warnings

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from fracfire import PhysicsConfig, PriceGenerator, check_bars
from fracfire.cli import app
from fracfire.data import resample_bars
from fracfire.realism import facts
from fracfire.realism.calendar import align_to_calendar, split_by_time, synthetic_like
from fracfire.realism.compare import REAL_REFERENCE, compare_generators
from fracfire.realism.discriminator import (
    WINDOW_FEATURES,
    day_features,
    discriminate,
    discriminate_days,
    feature_accuracies,
    window_features,
)
from fracfire.realism.peers import PEERS
from fracfire.realism.scorecard import METRICS, headline_facts, realism_report
from fracfire.viz.compare import compare_windows
from tests.test_real_data import SAMPLE

runner = CliRunner()


@pytest.fixture(scope="module")
def real():
    from fracfire.data.real import load_continuous_contract

    return load_continuous_contract(SAMPLE)


@pytest.fixture(scope="module")
def week_of_real(real):
    return real[real["time"] < pd.Timestamp("2019-09-10", tz="America/New_York")].reset_index(drop=True)


def test_iid_gaussian_returns_have_no_memory_and_no_excess_kurtosis():
    r = np.random.default_rng(0).standard_normal(200_000)
    assert np.abs(facts.acf(np.abs(r), 50)).max() < 0.01
    assert abs(facts.return_moments(r)["excess_kurtosis"]) < 0.05
    assert abs(facts.return_moments(r)["skew"]) < 0.02
    assert np.abs(facts.leverage(r, 10)).max() < 0.01


def test_acf_of_a_known_ar1_process():
    rng = np.random.default_rng(1)
    x = np.zeros(100_000)
    for i in range(1, len(x)):
        x[i] = 0.6 * x[i - 1] + rng.standard_normal()
    assert facts.acf(x, 3) == pytest.approx([0.6, 0.36, 0.216], abs=0.02)


def test_real_against_itself_scores_zero(week_of_real):
    report = realism_report(week_of_real, week_of_real, timeframes=("1min", "5min", "1h"), discriminator=False)
    assert report.summary_distance == pytest.approx(0.0, abs=1e-12)
    assert set(report.table.index.get_level_values("metric")) <= set(METRICS)


def test_discriminator_cannot_separate_real_from_itself(week_of_real):
    shuffled_halves = discriminate(week_of_real, week_of_real, seed=0)
    assert abs(shuffled_halves - 0.5) < 0.1
    assert window_features(week_of_real).shape[1] == 16


def test_discriminator_does_not_read_the_price_level(week_of_real):
    # The same bars 8 % higher on the tick grid move exactly alike; with log returns
    # the window's largest move (one multiple of log(0.25 / price)) gave the level away
    # and this scored ~1.0.
    higher = week_of_real.copy()
    for name in ("open", "high", "low", "close"):
        higher[f"{name}_ticks"] += 1000
        higher[name] = higher[f"{name}_ticks"] * 0.25
    assert discriminate(week_of_real, higher, seed=0) == pytest.approx(0.5)


def test_feature_accuracies_name_what_gives_a_fake_away(week_of_real):
    lumpy = week_of_real.copy()
    noise = np.random.default_rng(0).lognormal(0.0, 1.5, len(lumpy))  # same prices, very lumpy volume
    lumpy["volume"] = np.maximum(1, np.rint(lumpy["volume"] * noise)).astype(lumpy["volume"].dtype)
    scores = feature_accuracies(week_of_real, lumpy, seed=0)
    assert list(scores.index[:1]) == ["volume_cv"] and scores["volume_cv"] > 0.8
    assert scores.drop(["volume_cv", "log_mean_volume", "volume_abs_return_corr"]).max() < 0.6  # prices identical
    assert set(scores.index) == set(WINDOW_FEATURES[:-2])
    no_volume = week_of_real.assign(volume=1)
    no_volume.attrs["has_volume"] = False  # as the loader marks a file without volume
    assert "volume_cv" not in feature_accuracies(no_volume, week_of_real, seed=0)


def test_discriminator_separates_obvious_fakes(week_of_real):
    fake = synthetic_like(week_of_real, PhysicsConfig.seed(), seed=0)  # the seed's 4x too volatile knobs
    assert discriminate(week_of_real, fake, seed=0) > 0.9


def test_report_compares_timeframes_and_summarises(week_of_real):
    synthetic = synthetic_like(week_of_real, PhysicsConfig(daily_range_mean=30.0), seed=1)
    report = realism_report(week_of_real, synthetic, timeframes=("1min", "15min", "1D"))
    metrics = report.table.loc["1min"].index
    for name in (
        "std",
        "excess_kurtosis",
        "wasserstein",
        "ks",
        "acf_abs_1_30",
        "intraday_volume_corr",
        "body_fraction",
        "wick_fraction",
    ):
        assert name in metrics
    assert 0 < report.summary_distance <= 1
    assert 0 <= report.discriminative_score <= 0.5
    assert report.to_dict()["summary"]["summary_distance"] == report.summary_distance
    assert "summary distance" in report.summary()


def test_synthetic_like_uses_the_real_calendar(week_of_real):
    synthetic = synthetic_like(week_of_real, seed=3)
    check_bars(synthetic)
    np.testing.assert_array_equal(synthetic["time"].to_numpy(), week_of_real["time"].to_numpy())
    assert abs(synthetic["open"].iloc[0] - week_of_real["open"].iloc[0]) < 20


def test_align_and_split_errors(week_of_real):
    with pytest.raises(ValueError, match="no bar falls on the calendar"):
        align_to_calendar(PriceGenerator(seed=0).generate_day("2030-01-01"), week_of_real["time"])
    with pytest.raises(ValueError, match=r"train_fraction must be in \(0, 1\)"):
        split_by_time(week_of_real, 1.5)
    train, valid = split_by_time(week_of_real, 0.6)
    assert train["time"].iloc[-1] < valid["time"].iloc[0]
    assert train["session_id"].iloc[-1] != valid["session_id"].iloc[0]


@pytest.mark.parametrize("name", list(PEERS))
def test_peers_make_valid_bars_on_the_calendar(name, week_of_real):
    train, valid = split_by_time(week_of_real)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # arch's own convergence chatter
        bars = PEERS[name](train, valid["time"], float(valid["open"].iloc[0]), seed=0)
    check_bars(bars, require_labels=False)
    assert len(bars) == len(valid)
    again = PEERS[name](train, valid["time"], float(valid["open"].iloc[0]), seed=0)
    pd.testing.assert_frame_equal(bars, again)
    r = facts.log_returns(bars)
    real_r = facts.log_returns(valid)
    assert 0.3 < np.std(r) / np.std(real_r) < 3


def test_headline_facts_goals_and_skips(real):
    same = headline_facts(realism_report(real, real, discriminator=False, day_discriminator=False))
    assert same["met"].dropna().all()
    assert same.loc["lag-1 ACF of 1-min returns", "difference"] == 0.0
    assert same.loc["U-shape of volume (corr)", "synthetic"] == pytest.approx(1.0)
    five = resample_bars(real, "5min")
    five.attrs.update(bar_minutes=5, has_volume=False)
    table = realism_report(five, five, discriminator=False).headline
    assert "zero-range share of RTH 1-min bars (%)" not in table.index and "kurtosis, 5 min" not in table.index
    assert "U-shape of volume (corr)" not in table.index and "excess kurtosis, 5 min" in table.index


def test_day_discriminator_needs_days_and_scores_a_source_against_itself(real):
    with pytest.raises(ValueError, match=r"at least 20 trading days per source; got \d+"):
        discriminate_days(real.iloc[:5000], real.iloc[:5000])
    features = day_features(real)
    assert features.shape == (len(features), 10) and len(features) >= 19
    assert discriminate_days(real, real) == 0.5


def test_peers_need_enough_data(week_of_real):
    with pytest.raises(ValueError, match=r"at least 100 real returns \(within sessions\) to fit; got 49"):
        PEERS["GBM"](week_of_real.iloc[:50], week_of_real["time"], 3000.0)


def test_compare_generators_table(week_of_real, tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = compare_generators(week_of_real, timeframes=("1min", "1h"))
    assert list(result.summary.columns) == ["FracFire default", "GBM", "GARCH-t", "GARCH-t seasonal", "bootstrap"]
    assert list(result.summary.index) == [
        "summary_distance",
        "discriminative_score",
        "discriminator_accuracy",
        "self_discriminative_score",
    ]
    assert (
        (result.summary.loc["self_discriminative_score"] >= 0)
        & (result.summary.loc["self_discriminative_score"] <= 0.5)
    ).all()
    reference = result.to_dict()["real_reference_discriminative_score"]
    assert reference is None or 0 <= reference <= 0.5
    assert result.reference is not None  # the market's own earlier sessions, scored like a generator
    assert result.reference["discriminative_score"] == reference
    assert result.reference["summary_distance"] > 0
    assert {REAL_REFERENCE, f"{REAL_REFERENCE} met"} <= set(result.headline.columns)
    accuracy = result.summary.loc["discriminator_accuracy"]
    np.testing.assert_allclose(result.summary.loc["discriminative_score"], (accuracy - 0.5).abs(), atol=1e-12)
    assert "body fraction of RTH 1-min bars" in result.headline.index and "GBM met" in result.headline.columns
    assert "real" in result.values.columns
    assert "## Summary" in result.to_markdown()
    assert result.to_dict()["summary"]["GBM"]["summary_distance"] > 0
    written = result.save(tmp_path / "scores")
    assert sorted(written) == ["realism.json", "realism.md"]
    assert json.loads(written["realism.json"].read_text()) == json.loads(json.dumps(result.to_dict()))
    assert written["realism.md"].read_text() == result.to_markdown()


def test_compare_windows_writes_side_by_side_charts(real, tmp_path):
    stats = compare_windows(real, PhysicsConfig(), tmp_path, {"week": (7, 7, ("4h", "4min"))})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["week_4h.png", "week_4min.png"]
    assert set(stats["source"]) == {"real", "FracFire"}
    assert {"body", "upper_wick", "lower_wick", "wick_share"} <= set(stats.columns)


def test_cli_realism_compare_and_calibrate(week_of_real, tmp_path):
    from fracfire.data import write_bars

    path = write_bars(week_of_real, tmp_path / "real.parquet")
    result = runner.invoke(
        app,
        [
            "calibrate",
            "--real",
            str(path),
            "--out",
            str(tmp_path / "cal.yaml"),
            "--max-evaluations",
            "10",
            "--seeds",
            "0",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "held out" in result.output
    PhysicsConfig.from_yaml(tmp_path / "cal.yaml")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = runner.invoke(
            app,
            [
                "realism",
                "--real",
                str(path),
                "--config",
                str(tmp_path / "cal.yaml"),
                "--out",
                str(tmp_path / "realism"),
            ],
        )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "realism" / "realism.json").exists() and (tmp_path / "realism" / "realism.md").exists()
    assert "FracFire calibrated" in (tmp_path / "realism" / "realism.md").read_text()
    result = runner.invoke(
        app,
        [
            "compare",
            "--real",
            str(path),
            "--week-days",
            "3",
            "--quarter-days",
            "7",
            "--week-timeframes",
            "1h",
            "--quarter-timeframes",
            "1D",
            "--out-dir",
            str(tmp_path / "diag"),
            "--wick-probability",
            "0.1",
            "--daily-range-mean",
            "30",
        ],
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "diag" / "week_1h.png").exists() and (tmp_path / "diag" / "quarter_1D.png").exists()
    result = runner.invoke(app, ["compare", "--real", str(path), "--wick-probability", "3"])
    assert result.exit_code == 1
    assert "wick_probability: Input should be less than or equal to 1 (got 3.0)" in result.output


def test_discriminator_folds_are_stretches_of_time_so_a_days_level_cannot_leak():
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.model_selection import GroupKFold, cross_val_score

    from fracfire.realism.discriminator import _cross_validated, fold_blocks

    blocks = fold_blocks(23, 5)
    assert (np.diff(blocks) >= 0).all() and set(blocks) == set(range(5))
    assert np.bincount(blocks).max() - np.bincount(blocks).min() <= 1
    with pytest.raises(ValueError, match="at least 5 pairs"):
        fold_blocks(3, 5)
    # two draws of one law: each day has its own level, windows of a day share it
    rng = np.random.default_rng(0)
    days, per_day = 40, 20

    def draw():
        level = np.repeat(rng.normal(0, 1, days), per_day)
        return np.column_stack([level + rng.normal(0, 0.01, days * per_day), rng.normal(0, 1, days * per_day)])

    accuracies, leaky = [], []
    for seed in range(3):
        a, b = draw(), draw()
        accuracies.append(_cross_validated(a, b, seed, 5))
        pairs = np.random.default_rng(seed).permutation(len(a))  # the old folds: random pairs
        model = HistGradientBoostingClassifier(max_iter=150, random_state=seed)
        leaky.append(
            cross_val_score(
                model, np.vstack([a, b]), np.repeat([1, 0], len(a)), cv=GroupKFold(5), groups=np.tile(pairs, 2)
            ).mean()
        )
    assert min(leaky) > 0.7  # random pairs: the classifier learns each day's level from its other windows
    assert abs(np.mean(accuracies) - 0.5) < 0.1


def test_too_few_windows_are_not_measured_rather_than_scored_indistinguishable(week_of_real):
    """With fewer than MIN_WINDOWS windows per side no booster fold can split: the accuracy would be 0.5
    whatever the data, so the classifier refuses and the report says it was not run."""
    from fracfire.realism.discriminator import MIN_WINDOWS, WINDOW_BARS, discriminate

    short = week_of_real.iloc[: (MIN_WINDOWS - 1) * WINDOW_BARS]
    fake = synthetic_like(short, PhysicsConfig.seed(), 1)
    with pytest.raises(ValueError, match=f"needs at least {MIN_WINDOWS} windows of {WINDOW_BARS} bars per source"):
        discriminate(short, fake)
    report = realism_report(short, fake, timeframes=("1min",))
    assert report.discriminative_score is None and report.discriminator_accuracy is None
    assert any(note.startswith("window discriminator not run: ") for note in report.notes)
    enough = week_of_real.iloc[: MIN_WINDOWS * WINDOW_BARS]
    assert discriminate(enough, synthetic_like(enough, PhysicsConfig.seed(), 1)) > 0.6  # the seed preset is easy
    with pytest.raises(ValueError, match=f"{MIN_WINDOWS} 60-bar windows for the classifier"):
        compare_generators(enough, {"seed": PhysicsConfig.seed()}, seeds=(0,))
