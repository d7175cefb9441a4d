"""The worked examples (jupytext percent scripts) run as written, writing only into their own folder."""

import re
import runpy
from pathlib import Path

import pytest

from tests.test_docs import ROOT, sandbox

EXAMPLES = sorted((ROOT / "examples").glob("[0-9][0-9]_*.py"))


def test_there_are_three_examples_in_percent_format():
    assert [p.name[:2] for p in EXAMPLES] == ["01", "02", "03"]
    for path in EXAMPLES:
        text = path.read_text()
        assert "format_name: percent" in text and text.count("# %%") >= 4
        assert re.search(r"# %% \[markdown\]\n# # \d\. ", text), f"{path.name} opens with a titled markdown cell"


@pytest.mark.slow
@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_runs(path: Path, tmp_path, monkeypatch):
    monkeypatch.chdir(sandbox(tmp_path))
    before = sorted(p.name for p in ROOT.iterdir())
    runpy.run_path(str(path), run_name="__main__")
    assert sorted(p.name for p in ROOT.iterdir()) == before, "nothing written into the repository"
    assert any((tmp_path / "out" / "examples").iterdir())
