from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "fracfire",
    deadline=None,
    max_examples=int(os.environ.get("FRACFIRE_HYPOTHESIS_EXAMPLES", "25")),
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=True,
)
settings.load_profile("fracfire")


@pytest.fixture(scope="session")
def week():
    """Five auto-transition days from a fixed seed (Mon 2025-01-06 .. Fri)."""
    from fracfire import PriceGenerator

    return PriceGenerator(seed=7).generate_days("2025-01-06", 5)
