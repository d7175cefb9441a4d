import subprocess
import sys

import fracfire


def test_every_public_name_resolves():
    for name in fracfire.__all__:
        assert getattr(fracfire, name) is not None, name
    assert fracfire.__all__ == sorted(fracfire.__all__)


def test_import_is_light():
    code = "import sys, fracfire; print(any(m in sys.modules for m in ('numba', 'matplotlib', 'pandas')))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_unknown_name():
    import pytest

    with pytest.raises(AttributeError, match="has no attribute 'nope'"):
        fracfire.nope  # noqa: B018
