"""Make a calibrated PhysicsConfig the package defaults.

Usage: ``python -m scripts.set_defaults FILE [--write-yaml]``

Rewrites the default values of :class:`fracfire.physics.PhysicsConfig` in
``fracfire/physics/config.py`` (scalars and the session / half-hour profiles)
from ``FILE``, rounded to four significant digits, and with ``--write-yaml``
writes the rounded config to ``configs/physics_calibrated.yaml`` so the shipped
file and the defaults are the same knobs. Nothing else in ``config.py`` changes.
``FILE`` must name every knob (``PhysicsConfig.to_yaml`` and ``fracfire calibrate``
write them all): a missing one would silently keep today's default.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import yaml

from fracfire._atomic import write_text_atomic
from fracfire.physics import PhysicsConfig

ROOT = Path(__file__).resolve().parents[1]
CONFIG_PY = ROOT / "fracfire" / "physics" / "config.py"
SHIPPED = ROOT / "configs" / "physics_calibrated.yaml"
DIGITS = 4


def rounded(value: float) -> float:
    """``value`` to :data:`DIGITS` significant digits."""
    return float(f"{value:.{DIGITS}g}")


def rewrite(source: str, config: PhysicsConfig) -> str:
    """``source`` (the text of config.py) with the field defaults of ``config``."""
    body = source[source.index("class PhysicsConfig") :]
    start = len(source) - len(body)
    for name, value in config.to_dict().items():
        if isinstance(value, dict):
            head = rf"(\n    {name}: dict\[str, \w+\] = field\(\n        default_factory=lambda: \{{\n)"
            pattern = re.compile(head + r"(.*?)(\n        \})", re.S)
            text = "\n".join(f'            "{k}": {rounded(v)!r},' for k, v in sorted(value.items()))
        else:
            pattern = re.compile(rf"(\n    {name}: Real = real\()([^,]+)(,)")
            text = repr(rounded(value))
        body, count = pattern.subn(lambda m, text=text: m.group(1) + text + m.group(3), body, count=1)
        if count != 1:
            raise SystemExit(f"set_defaults: no default for {name!r} found in {CONFIG_PY}")
    return source[:start] + body


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path, help="calibrated PhysicsConfig YAML")
    parser.add_argument("--write-yaml", action="store_true", help=f"also write the rounded config to {SHIPPED}")
    args = parser.parse_args(argv)
    given = (yaml.safe_load(args.file.read_text()) or {}).get("physics", {})
    missing = sorted(set(PhysicsConfig().to_dict()) - set(given))
    if missing:
        raise SystemExit(f"set_defaults: {args.file} does not name {', '.join(missing)}; write the full config")
    config = PhysicsConfig.from_yaml(args.file)
    plain = {
        k: ({n: rounded(x) for n, x in v.items()} if isinstance(v, dict) else rounded(v))
        for k, v in config.to_dict().items()
    }
    config = PhysicsConfig.from_dict(plain)
    write_text_atomic(CONFIG_PY, rewrite(CONFIG_PY.read_text(), config))
    if args.write_yaml:  # one atomic write of the kept provenance comments (edit them by hand) and the knobs
        old = SHIPPED.read_text() if SHIPPED.exists() else ""
        header = "".join(line for line in old.splitlines(keepends=True) if line.startswith("#"))
        config.to_yaml(SHIPPED, header=header)
    print(f"defaults set from {args.file}" + (f"; wrote {SHIPPED}" if args.write_yaml else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
