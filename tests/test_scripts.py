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
