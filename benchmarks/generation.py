"""Generation throughput vs the random-number floor.

Usage: ``python -m benchmarks.generation [--json FILE]`` (same as ``fracfire bench``).
"""

from __future__ import annotations

import sys

from fracfire.cli import main

if __name__ == "__main__":
    sys.exit(main(["bench", *sys.argv[1:]]))
