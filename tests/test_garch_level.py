"""GARCH-t's level forecast for the scenario policy (fracfire.scenarios.garch_level)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

SAMPLE = Path(__file__).parent.parent / "data" / "es_1min_2019-09.csv.gz"
CUT = pd.Timestamp("2019-09-24 12:00", tz="America/New_York")


@pytest.fixture(scope="module")
def fit():
    from fracfire.data import load_continuous_contract
    from fracfire.realism.calendar import split_by_time

    return split_by_time(load_continuous_contract(SAMPLE), 0.6)[0]


@pytest.fixture(scope="module")
def real():
    from fracfire.data import load_continuous_contract

    return load_continuous_contract(SAMPLE)


@pytest.fixture(scope="module")
def garch(fit):
    from fracfire.scenarios.garch_level import GarchLevel

    return GarchLevel(fit)


def test_the_filter_is_arch_s_own(garch, fit):
    from arch.univariate import GARCH, StudentsT, ZeroMean

    from fracfire.realism.peers import BASIS_POINTS, _returns_and_mask

    r, keep = _returns_and_mask(fit)
    z = r[keep] / garch.forecaster._season(fit["time"])[keep] * BASIS_POINTS
    theirs = ZeroMean(z, volatility=GARCH(1, 0, 1), distribution=StudentsT()).fix(garch.forecaster.params)
    ours, _ = garch._filtered(fit)
    # the two start differently (arch backcasts); the start is forgotten at rate beta
    np.testing.assert_allclose(ours[2000 : len(z)], np.asarray(theirs.conditional_volatility)[2000:] ** 2, rtol=1e-6)


def test_next_variances_are_what_a_history_up_to_each_bar_gives(garch, fit):
    variances = garch.next_variances(fit)
    for row in (500, 1234, 5000, len(fit) - 1):
        assert variances[row] == pytest.approx(garch._filtered(fit.iloc[:row])[0][-1], rel=1e-9)


def test_relative_level_is_zero_at_the_unconditional_variance_and_grows_with_it(garch):
    times = pd.date_range("2019-09-24 12:00", periods=300, freq="1min", tz="America/New_York")
    assert garch.relative(garch.unconditional, times) == pytest.approx(0.0, abs=1e-12)
    one = garch.relative(4 * garch.unconditional, times[:1])
    assert one == pytest.approx(0.5 * np.log(4.0))  # one bar: its own variance
    assert 0 < garch.relative(4 * garch.unconditional, times) < one  # later bars revert towards the mean
    assert garch.relative(garch.unconditional / 4, times) < 0
    assert garch.relative(garch.unconditional, times[:0]) == 0.0


def test_the_policy_averages_the_two_level_forecasts(fit, real):
    from sklearn.linear_model import Ridge

    from fracfire.scenarios import ScenarioPolicy

    history = real[real["time"] < CUT]
    plain = ScenarioPolicy(level_model=Ridge(), library_sessions=4, garch_weight=0.0).fit(fit)
    assert plain.garch_ is None
    blended = ScenarioPolicy(level_model=Ridge(), library_sessions=4, garch_weight=0.5).fit(fit)
    intercept, slope = blended.garch_coef_
    assert slope > 0  # a louder GARCH forecast means a wider range to come
    garch_level = blended._garch_level(history, CUT)
    assert blended.forecast(history, CUT)[0] == pytest.approx(0.5 * plain.forecast(history, CUT)[0] + 0.5 * garch_level)
    assert blended.forecast(history, CUT)[1] == plain.forecast(history, CUT)[1]  # the spread stays the model's
    assert blended._garch_level(real, CUT) == pytest.approx(garch_level)  # bars after the cut are not read
    assert blended.simulate(history, 5, cut=CUT, seed=1).bars["scenario"].nunique() == 5


@pytest.mark.parametrize("weight", [-0.1, 1.5, float("nan")])
def test_garch_weight_outside_zero_one_is_refused(fit, weight):
    from sklearn.linear_model import Ridge

    from fracfire.scenarios import ScenarioPolicy

    with pytest.raises(ValueError, match="garch_weight must be in \\[0, 1\\]"):
        ScenarioPolicy(level_model=Ridge(), library_sessions=4, garch_weight=weight).fit(fit)


def test_the_commands_default_weight_is_the_policy_s():
    from fracfire.cli._workflows import GARCH_WEIGHT_DEFAULT
    from fracfire.scenarios.policy import GARCH_WEIGHT

    assert GARCH_WEIGHT_DEFAULT == GARCH_WEIGHT


def test_the_experiment_report_names_the_blend(fit, real, tmp_path):
    from sklearn.linear_model import Ridge

    from fracfire.scenarios import ScenarioPolicy
    from fracfire.scenarios.evaluate import scenario_experiment

    short = real[real["time"] < pd.Timestamp("2019-09-11", tz="America/New_York")]
    policy = ScenarioPolicy(level_model=Ridge(), library_sessions=4, garch_weight=0.5)
    result = scenario_experiment(short, cuts=("12:00",), samples=20, policy=policy, methods=("policy", "garch"))
    assert result.config["level_model"] == "Ridge, averaged with GARCH-t's level (weight 0.5)"
