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


def test_set_defaults_write_yaml_keeps_the_provenance_header(tmp_path, monkeypatch):
    import scripts.set_defaults as set_defaults
    from fracfire.physics import PhysicsConfig

    config_py, shipped, given = tmp_path / "config.py", tmp_path / "shipped.yaml", tmp_path / "given.yaml"
    config_py.write_text(set_defaults.CONFIG_PY.read_text())
    shipped.write_text("# fitted by X\n# on slice Y\nphysics:\n  eta: 0.5\n")
    PhysicsConfig().replace(eta=0.3).to_yaml(given)
    monkeypatch.setattr(set_defaults, "CONFIG_PY", config_py)
    monkeypatch.setattr(set_defaults, "SHIPPED", shipped)
    assert set_defaults.main([str(given), "--write-yaml"]) == 0
    assert shipped.read_text().startswith("# fitted by X\n# on slice Y\nphysics:\n")
    assert PhysicsConfig.from_yaml(shipped) == PhysicsConfig().replace(eta=0.3)
    assert "\n    eta: Real = real(0.3, " in config_py.read_text()
