import re
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text()


def test_readme_starts_with_the_two_commands():
    block = re.search(r"```bash\n(.*?)```", README, re.S).group(1)
    commands = [line.split("#")[0].strip() for line in block.strip().splitlines()]
    assert commands == ["make demo", "make test"]
    assert README.index("make demo") < README.index("## ")


def test_docs_exist_and_cover_every_command():
    for page in ("architecture", "generator", "setups", "realism", "cli"):
        assert (ROOT / "docs" / f"{page}.md").stat().st_size > 1000
    cli = (ROOT / "docs" / "cli.md").read_text()
    from scripts.make_docs import COMMANDS

    for command in COMMANDS:
        assert f"## `{' '.join(['fracfire', *command])}`" in cli
    assert "mermaid" in (ROOT / "docs" / "architecture.md").read_text()
    assert (ROOT / "docs" / "images" / "synthetic_day.png").exists()


@pytest.mark.slow
def test_the_five_minute_tour_runs(monkeypatch):
    tour = re.search(r"## Five-minute tour\n\n```python\n(.*?)```", README, re.S).group(1)
    monkeypatch.chdir(ROOT)
    exec(compile(tour, "README five-minute tour", "exec"), {})
