from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis.configuration import set_hypothesis_home_dir

# hypothesis keeps its files in the temp folder: a test run writes nothing into the checkout
set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "fracfire-hypothesis")
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
