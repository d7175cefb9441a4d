"""Markdown tables from DataFrames (one definition; pandas' ``to_markdown`` needs the optional ``tabulate``)."""

from __future__ import annotations

import pandas as pd

__all__ = ["markdown_table"]


def markdown_table(frame: pd.DataFrame, index: bool = True, digits: int = 4) -> str:
    """A GitHub-flavoured Markdown table; floats to ``digits`` significant digits, ``|`` escaped.

    With ``index`` the index becomes the first column(s).
    """
    if index:
        frame = frame.reset_index()

    def cell(value) -> str:
        if isinstance(value, float):
            return "" if value != value else f"{value:.{digits}g}"
        return str(value).replace("|", "\\|")

    head = "| " + " | ".join(cell(c) for c in frame.columns) + " |"
    rule = "|" + "---|" * len(frame.columns)
    body = ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([head, rule, *body])
