"""Imports flow one way through the layers (docs/architecture.md): no module reaches up or across."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "fracfire"

BASE = "base"
"""``schema``, ``calendar``, ``exceptions``, the private helpers and the two bar utilities of ``data`` that
import nothing but them (``data.checks``, ``data.resample``): what every layer may use."""
_BASE_MODULES = {
    "fracfire",
    "fracfire.schema",
    "fracfire.calendar",
    "fracfire.exceptions",
    "fracfire.runs",
    "fracfire.data.checks",
    "fracfire.data.resample",
}

ALLOWED = {
    "physics": set(),
    "data": {"physics"},
    "evaluation": {"physics", "data"},
    "realism": {"physics", "data"},
    "models": {"physics", "data", "evaluation"},
    "training": {"physics", "data", "evaluation", "models"},
    "inference": {"physics", "data", "evaluation", "models"},
    "viz": {"physics", "data", "evaluation", "realism"},
    "scenarios": {"physics", "data", "evaluation", "realism", "models", "viz"},
    "report": {"physics", "data", "evaluation", "realism", "models", "viz", "scenarios"},
}
"""Layer -> the layers above the base it may import. The glue (``cli``, ``pipeline``, ``benchmark``) may import
anything; nothing but the glue imports it."""
GLUE = {"cli", "pipeline", "benchmark", "__main__"}


def _module(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _layer(module: str) -> str:
    if module == "fracfire":
        return BASE
    if module.split(".")[1] in GLUE:
        return module.split(".")[1]
    if module in _BASE_MODULES or module.split(".")[1].startswith("_"):
        return BASE
    return module.split(".")[1]


def _imports(path: Path) -> set[str]:
    """Every fracfire module ``path`` imports, at any depth (function-level imports included)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "fracfire":
            if node.module == "fracfire":  # from fracfire import calendar, __version__, ...
                found |= {
                    f"fracfire.{a.name}" if (PACKAGE / f"{a.name}.py").exists() else "fracfire" for a in node.names
                }
            else:
                found.add(node.module)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "fracfire"}
    return found


def test_imports_flow_down_the_layers():
    wrong = []
    for path in sorted(PACKAGE.rglob("*.py")):
        source = _module(path)
        layer = _layer(source)
        if layer in GLUE or source == "fracfire":  # the glue and the package's own lazy exports
            continue
        for target in _imports(path):
            to = _layer(target)
            if to == BASE or to == layer:
                continue
            if to in GLUE or layer == BASE or to not in ALLOWED.get(layer, set()):
                wrong.append(f"{source} ({layer}) imports {target} ({to})")
    assert not wrong, "imports against the layers:\n" + "\n".join(wrong)


def test_the_base_bar_utilities_import_only_the_base():
    for module in ("data/checks.py", "data/resample.py", "calendar.py", "schema.py"):
        above = {t for t in _imports(PACKAGE / module) if _layer(t) != BASE}
        assert not above, f"{module} is imported by every layer, so it may import only the base; imports {above}"


def test_the_checker_sees_an_import_against_the_layers(tmp_path):
    fake = tmp_path / "fracfire" / "physics" / "bad.py"
    fake.parent.mkdir(parents=True)
    fake.write_text("def f():\n    from fracfire.realism.facts import acf\n")
    assert _imports(fake) == {"fracfire.realism.facts"}
    assert _layer("fracfire.realism.facts") not in ALLOWED["physics"]


MAX_MODULE_LINES = 600
"""Modules do one job and stay small (STYLE.md); a module that outgrows this is split by concern."""


def test_no_module_is_over_600_lines():
    sizes = {
        p.relative_to(PACKAGE).as_posix(): len(p.read_text(encoding="utf-8").splitlines())
        for p in PACKAGE.rglob("*.py")
    }
    assert len(sizes) > 50
    assert {name: n for name, n in sizes.items() if n > MAX_MODULE_LINES} == {}
