"""The HTML report of a run."""

from fracfire.report.browser import find_chromium, screenshot
from fracfire.report.html import build_report

__all__ = ["build_report", "find_chromium", "screenshot"]
