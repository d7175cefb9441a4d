import subprocess
import sys
from pathlib import Path

import pytest

SCRIPTS = sorted((Path(__file__).parent.parent / "scripts").glob("demo_*.py"))


@pytest.mark.parametrize("script", SCRIPTS, ids=[s.name for s in SCRIPTS])
def test_demo_scripts_run_and_write_charts(script, tmp_path):
    done = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    charts = list((tmp_path / "out" / "charts").glob("*.png"))
    assert charts and all(c.stat().st_size > 20_000 for c in charts)


def test_the_three_seed_demos_exist():
    assert {s.name for s in SCRIPTS} >= {
        "demo_price_generation.py",
        "demo_enhanced_features.py",
        "demo_custom_states.py",
    }


def test_set_defaults_rewrites_the_physics_defaults_in_place():
    """scripts/set_defaults.py: the shipped defaults round-trip unchanged, and another config's
    knobs (scalars and profiles) replace the default values and nothing else."""
    from fracfire.physics import PhysicsConfig
    from scripts.set_defaults import CONFIG_PY, rewrite

    source = CONFIG_PY.read_text()
    assert rewrite(source, PhysicsConfig()) == source
    other = PhysicsConfig().replace(
        eta=0.123456, session_volatility={**PhysicsConfig().session_volatility, "rth": 0.777777}
    )
    text = rewrite(source, other)
    assert "\n    eta: Real = real(0.1235, " in text
    assert '\n            "rth": 0.7778,\n' in text
    assert text.count("\n") == source.count("\n")  # nothing but values changed
    assert rewrite(text, PhysicsConfig()) == source
