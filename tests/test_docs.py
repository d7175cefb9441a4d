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
    for page in ("architecture", "generator", "setups", "realism", "scenarios", "cli", "api"):
        text = (ROOT / "docs" / f"{page}.md").read_text()
        assert text.startswith("# "), f"docs/{page}.md has no title"
        assert f"](docs/{page}.md)" in README, f"README does not link docs/{page}.md"
        for target in re.findall(r"\]\(((?!https?:|#|mailto:)[^)#\s]+)", text):
            assert (ROOT / "docs" / target).resolve().exists(), f"docs/{page}.md links {target}, which does not exist"
    cli = (ROOT / "docs" / "cli.md").read_text()
    from scripts.make_docs import cli_reference, commands

    for command in commands():
        assert f"## `{' '.join(['fracfire', *command])}`" in cli
    assert cli == cli_reference(), "docs/cli.md is stale: run python -m scripts.make_docs"
    assert "mermaid" in (ROOT / "docs" / "architecture.md").read_text()
    assert (ROOT / "docs" / "images" / "synthetic_day.png").exists()


def python_blocks(text: str) -> list[tuple[int, str]]:
    """(line number, code) of every ```python block."""
    return [(text[: m.start()].count("\n") + 2, m.group(1)) for m in re.finditer(r"```python\n(.*?)```", text, re.S)]


def sandbox(tmp_path: Path) -> Path:
    """A working folder that sees the repository's data and configs but writes only into itself."""
    for name in ("data", "configs"):
        (tmp_path / name).symlink_to(ROOT / name, target_is_directory=True)
    return tmp_path


@pytest.mark.slow
def test_every_readme_python_block_runs_as_written_in_order(tmp_path, monkeypatch):
    import time

    blocks = python_blocks(README)
    assert len(blocks) >= 9
    monkeypatch.chdir(sandbox(tmp_path))
    namespace: dict = {}
    before = sorted(p.name for p in ROOT.iterdir())
    timings = []
    for line, code in blocks:
        assert not re.search(r"(?<![\"'.])\.\.\.(?![\"'])", code), f"README line {line}: a literal ... placeholder"
        started = time.perf_counter()
        exec(compile(code, f"README.md block at line {line}", "exec"), namespace)
        timings.append(time.perf_counter() - started)
    assert sorted(p.name for p in ROOT.iterdir()) == before, "nothing written into the repository root"
    assert (tmp_path / "out" / "charts" / "day.png").exists() and (tmp_path / "out" / "models" / "zones.skops").exists()
    assert timings[0] < 60, f"the five-minute tour took {timings[0]:.0f} s"


@pytest.mark.slow
def test_every_docs_python_block_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(sandbox(tmp_path))
    generated = {"api.md", "cli.md"}  # references: their blocks are signatures and --help text, not examples
    for page in sorted(p for p in (ROOT / "docs").glob("*.md") if p.name not in generated):
        namespace: dict = {}
        for line, code in python_blocks(page.read_text()):
            exec(compile(code, f"{page.name} block at line {line}", "exec"), namespace)


def test_api_reference_is_current_and_every_public_name_is_documented():
    import importlib
    import inspect

    from scripts.make_api import LAYERS, api_reference

    assert (ROOT / "docs" / "api.md").read_text() == api_reference(), "docs/api.md is stale: run make docs"
    undocumented = [
        f"{module}.{name}"
        for module, _ in LAYERS
        for name, obj in (
            (n, getattr(importlib.import_module(module), n)) for n in importlib.import_module(module).__all__
        )
        if (inspect.isclass(obj) or callable(obj)) and not (obj.__doc__ or "").strip()
    ]
    assert undocumented == []
