"""Headless Chromium: screenshots of reports (and the report test's page checks)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

__all__ = ["CHROMIUM_FLAGS", "find_chromium", "run_chromium", "screenshot"]

CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--hide-scrollbars",
)
"""Flags for a sandboxed, offline headless run (no background network traffic)."""


def find_chromium() -> str | None:
    """Path of a Chromium/Chrome executable (``FRACFIRE_CHROMIUM`` first), or None."""
    candidates = [os.environ.get("FRACFIRE_CHROMIUM"), "chromium", "chromium-browser",
                  "google-chrome", "google-chrome-stable"]
    for name in filter(None, candidates):
        found = shutil.which(name)
        if found:
            return found
    return None


def run_chromium(*args: str, timeout: float = 60.0) -> subprocess.CompletedProcess:
    """Run headless Chromium with :data:`CHROMIUM_FLAGS` and a throwaway profile."""
    binary = find_chromium()
    if binary is None:
        raise FileNotFoundError("Chromium not found (install Debian's 'chromium' or set FRACFIRE_CHROMIUM)")
    with tempfile.TemporaryDirectory(prefix="fracfire-chromium-") as profile:
        return subprocess.run([binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
                              capture_output=True, text=True, timeout=timeout, check=False)


def screenshot(html_path: str | os.PathLike, png_path: str | os.PathLike,
               width: int = 1400, height: int = 3000) -> Path:
    """Render ``html_path`` in headless Chromium and save a PNG screenshot."""
    html_path, png_path = Path(html_path).resolve(), Path(png_path).resolve()
    png_path.parent.mkdir(parents=True, exist_ok=True)
    done = run_chromium(f"--screenshot={png_path}", f"--window-size={width},{height}",
                        html_path.as_uri())
    if not png_path.exists():
        raise RuntimeError(f"Chromium did not write {png_path}: {done.stderr.strip()[-500:]}")
    return png_path
