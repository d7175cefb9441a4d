import numpy as np
import pandas as pd
import pytest

from fracfire import DOW_CONFIGS, SESSION_CONFIGS, PriceGenerator, Session
from fracfire.physics.sessions import session_codes

SESSIONS = tuple(Session)


@pytest.mark.parametrize(
    "hhmm, session",
    [
        ("00:00", Session.ASIAN),
        ("02:59", Session.ASIAN),
        ("03:00", Session.LONDON),
        ("08:29", Session.LONDON),
        ("08:30", Session.PREMARKET),
        ("09:29", Session.PREMARKET),
        ("09:30", Session.RTH),
        ("15:59", Session.RTH),
        ("16:00", Session.AFTERHOURS),
        ("17:59", Session.AFTERHOURS),
        ("18:00", Session.ASIAN),
        ("23:59", Session.ASIAN),
    ],
)
def test_session_clock_is_eastern(hhmm, session):
    minute = int(hhmm[:2]) * 60 + int(hhmm[3:])
    assert SESSIONS[session_codes(np.array([minute]))[0]] is session


def test_multipliers_match_the_spec():
    volume = {s: c.volume_multiplier for s, c in SESSION_CONFIGS.items()}
    volatility = {s: c.volatility_multiplier for s, c in SESSION_CONFIGS.items()}
    assert volume == {
        Session.ASIAN: 0.4,
        Session.LONDON: 0.8,
        Session.PREMARKET: 0.6,
        Session.RTH: 1.5,
        Session.AFTERHOURS: 0.5,
    }
    assert volatility == {
        Session.ASIAN: 0.6,
        Session.LONDON: 1.1,
        Session.PREMARKET: 0.9,
        Session.RTH: 1.3,
        Session.AFTERHOURS: 0.7,
    }
    assert DOW_CONFIGS[0].volatility_multiplier == 1.2
    assert DOW_CONFIGS[4].volume_multiplier == 1.2
    assert 0.3 <= DOW_CONFIGS[5].volume_multiplier <= 0.4
    assert 0.3 <= DOW_CONFIGS[6].volume_multiplier <= 0.4


def test_generated_session_labels_follow_the_wall_clock_across_dst():
    # 2025-03-09 is the spring-forward Sunday in New York.
    df = PriceGenerator(seed=1).generate_days("2025-03-08", 3, calendar=None)
    assert df["time"].is_monotonic_increasing and df["time"].is_unique
    assert (df["time"].diff().dropna() == pd.Timedelta(minutes=1)).all()
    assert len(df) == 3 * 1440 - 60
    local = df["time"].dt.hour * 60 + df["time"].dt.minute
    expected = [SESSIONS[i].value for i in session_codes(local.to_numpy())]
    assert df["session"].astype(str).tolist() == expected
