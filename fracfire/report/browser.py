"""Headless Chromium: screenshots of reports (and the report test's page checks)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

__all__ = [
    "CHROMIUM_FLAGS",
    "MAX_SCREENSHOT_HEIGHT",
    "check_page",
    "find_chromium",
    "page_height",
    "run_chromium",
    "screenshot",
]

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)
"""Flags for a sandboxed, offline headless run (no background network traffic)."""


def find_chromium() -> str | None:
    """Path of a Chromium/Chrome executable (``FRACFIRE_CHROMIUM`` first), or None."""
    candidates = [
        os.environ.get("FRACFIRE_CHROMIUM"),
        "chromium",
        "chromium-browser",
        "google-chrome",
        "google-chrome-stable",
    ]
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
        return subprocess.run(
            [binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )


MAX_SCREENSHOT_HEIGHT = 16_000
"""Tallest page captured in one PNG (Chromium's headless capture becomes unreliable beyond ~16k pixels)."""

_MEASURE = """<script>
window.addEventListener('load', () => setTimeout(() => {
  const pre = document.createElement('pre');
  pre.id = 'fracfire-height';
  pre.textContent = String(Math.ceil(document.documentElement.scrollHeight));
  document.body.appendChild(pre);
}, 500));
</script>"""


def _dump_with_script(html_path: Path, script: str, budget_ms: int, width: int, *args: str):
    """Load ``html_path`` with ``script`` added at the top of its ``<head>`` (in a throwaway copy) and dump
    the DOM once the virtual-time budget is spent; return Chromium's result and the wall time in seconds."""
    import time

    with tempfile.TemporaryDirectory(prefix="fracfire-probe-") as folder:
        probe = Path(folder) / html_path.name
        html = html_path.read_text(encoding="utf-8")
        head = html.find("<head>")
        probe.write_text(html[: head + 6] + script + html[head + 6 :] if head >= 0 else script + html, encoding="utf-8")
        started = time.perf_counter()
        done = run_chromium(
            "--dump-dom", f"--virtual-time-budget={budget_ms}", *args, f"--window-size={width},1000", probe.as_uri()
        )
        return done, time.perf_counter() - started


def _pre(done, element_id: str, what: str, html_path: Path) -> str:
    """The text of the ``<pre id=element_id>`` a probe script appended, unescaped."""
    import html

    found = re.search(rf'<pre id="{element_id}">(.*?)</pre>', done.stdout, re.S)
    if not found:
        raise RuntimeError(f"Chromium could not {what} {html_path}: {done.stderr.strip()[-800:]}")
    return html.unescape(found.group(1))


def page_height(html_path: str | os.PathLike, width: int = 1400) -> int:
    """Height in pixels of the page at ``width``, once loaded (charts drawn)."""
    html_path = Path(html_path).resolve()
    done, _ = _dump_with_script(html_path, _MEASURE, 15000, width)
    return int(_pre(done, "fracfire-height", "measure", html_path))


def screenshot(
    html_path: str | os.PathLike, png_path: str | os.PathLike, width: int = 1400, height: int | None = None
) -> Path:
    """Render ``html_path`` in headless Chromium and save a PNG of the whole page.

    Parameters
    ----------
    html_path, png_path : str or PathLike
    width : int
        Window width in pixels.
    height : int, optional
        Window height; default the page's full height (:func:`page_height`), so
        nothing is cropped.

    Raises
    ------
    ValueError
        The page is taller than :data:`MAX_SCREENSHOT_HEIGHT`: no screenshot
        rather than a cropped one.
    """
    html_path, png_path = Path(html_path).resolve(), Path(png_path).resolve()
    full = page_height(html_path, width) if height is None else int(height)
    if full > MAX_SCREENSHOT_HEIGHT:
        raise ValueError(
            f"{html_path.name} is {full:,} px tall, more than the {MAX_SCREENSHOT_HEIGHT:,} px a "
            "screenshot can hold; no screenshot rather than a cropped one (open the HTML file)"
        )
    png_path.parent.mkdir(parents=True, exist_ok=True)
    done = run_chromium(
        f"--screenshot={png_path}", f"--window-size={width},{full}", "--virtual-time-budget=15000", html_path.as_uri()
    )
    if not png_path.exists():
        raise RuntimeError(f"Chromium did not write {png_path}: {done.stderr.strip()[-500:]}")
    return png_path


_CHECK = """<script>
(() => {
  const errors = [];
  window.addEventListener('error', e => errors.push(String(e.message || e.type)), true);
  const original = console.error;
  console.error = (...a) => { errors.push(a.map(String).join(' ')); original(...a); };
  const figures = (view, out) => {
    if (view.model && view.model.type === 'Figure') out.push(view);
    for (const child of (view.child_views || [])) figures(child, out);
    return out;
  };
  const pixels = v => v.canvas_view.primary.canvas.toDataURL();
  const report = result => {
    result.errors = errors;
    result.height = Math.ceil(document.documentElement.scrollHeight);
    result.sections = Array.from(document.querySelectorAll('section[id]')).map(s => s.id);
    const images = Array.from(document.images);
    result.images = images.length;
    result.broken_images = images.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.alt);
    const pre = document.createElement('pre');
    pre.id = 'fracfire-check';
    pre.textContent = JSON.stringify(result);
    document.body.appendChild(pre);
  };
  const poll = tries => {
    const expected = document.querySelectorAll('div.chart').length;
    const index = window.Bokeh && window.Bokeh.index ? Object.values(window.Bokeh.index) : [];
    const charts = index.map(r => figures(r, [])).filter(v => v.length);
    const ready = charts.length >= expected && charts.every(vs => vs.every(v => v.has_finished()));
    if (!ready && tries < 300) return setTimeout(() => poll(tries + 1), 20);
    const result = {expected_charts: expected, charts: charts.length, ready_ms: Math.round(performance.now()),
                    figures: 0, unfinished: 0, blank: 0, zoomed: 0};
    const before = charts.map(vs => vs.map(pixels));
    for (const views of charts) {
      result.figures += views.length;
      for (const v of views) {
        if (!v.has_finished()) result.unfinished += 1;
        const c = v.canvas_view.primary.canvas;
        if (!(c.width > 0 && c.height > 0)) result.blank += 1;
      }
      const range = views[0].model.x_range;
      const s = range.start, e = range.end;
      range.setv({start: s + 0.25 * (e - s), end: s + 0.5 * (e - s)});
    }
    // Redraws are asynchronous (animation frames): poll until every figure has changed, or give up after ~10 s.
    const changed = () => charts.reduce((n, views, i) =>
      n + views.filter((v, j) => pixels(v) !== before[i][j]).length, 0);
    const settle = tries => {
      result.zoomed = changed();
      if (result.zoomed < result.figures && tries < 100) return setTimeout(() => settle(tries + 1), 100);
      report(result);
    };
    setTimeout(() => settle(0), 100);
  };
  window.addEventListener('load', () => poll(0));
})();
</script>"""


def check_page(html_path: str | os.PathLike, width: int = 1400) -> dict:
    """Open a report in headless Chromium and say how it behaved.

    Returns
    -------
    dict
        ``expected_charts`` (chart containers in the page), ``charts`` (Bokeh
        charts drawn), ``figures``, ``unfinished`` and ``blank`` figures,
        ``zoomed`` (figures whose pixels changed after each chart's time axis
        was zoomed to a quarter), ``ready_ms`` (page start to every chart
        drawn), ``errors`` (uncaught errors and ``console.error``), ``images``,
        ``broken_images``, ``height`` (px) and ``sections`` (ids), plus
        ``console`` (Chromium's console lines at error level) and ``wall_seconds``
        (the whole headless run, browser start included).
    """
    html_path = Path(html_path).resolve()
    done, wall = _dump_with_script(html_path, _CHECK, 30000, width, "--enable-logging=stderr", "--v=0")
    result = json.loads(_pre(done, "fracfire-check", "finish checking", html_path))
    result["console"] = [
        line
        for line in done.stderr.splitlines()
        if "CONSOLE" in line and ("ERROR" in line.upper() or "Uncaught" in line)
    ]
    result["wall_seconds"] = wall
    return result
