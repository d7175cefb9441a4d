"""Regenerate fracfire/_data/globex_sessions.csv.gz, the shipped CME Globex session table.

Run from the repository root: ``python scripts/make_calendar.py``. It asks
``pandas_market_calendars`` (calendar ``CME_Equity``) for every session whose
trading date lies in the range :mod:`fracfire.calendar` covers, checks the
sessions are ordered and disjoint, and writes one line per session::

    trading_date,open,break_start,break_end,close
    2019-09-03,26124360,26125695,26125710,26125740

Times are UTC minutes since 1970-01-01; a blank break means the session has
none. The gzip header carries no timestamp, so re-running with the same library
version rewrites identical bytes. ``tests/test_calendar.py`` checks the table
still equals the library.
"""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import numpy as np
import pandas_market_calendars as pmc

from fracfire._atomic import atomic_path
from fracfire._globex_table import _TABLE_FILE, _TABLE_FIRST, _TABLE_LAST, GLOBEX_CALENDAR, _from_schedule, _Sessions

TARGET = Path(__file__).resolve().parent.parent / "fracfire" / "_data" / _TABLE_FILE


def build() -> _Sessions:
    """All sessions of the covered range, checked."""
    schedule = pmc.get_calendar(GLOBEX_CALENDAR).schedule(start_date=str(_TABLE_FIRST), end_date=str(_TABLE_LAST))
    table = _from_schedule(schedule)
    weekday = (table.day + 3) % 7  # 1970-01-01 was a Thursday; Monday = 0
    checks = {
        "trading dates increase": (np.diff(table.day) > 0).all(),
        "trading dates are weekdays": (weekday < 5).all(),
        "each session opens before it closes": (table.open < table.close).all(),
        "breaks lie inside their session": (
            (table.open <= table.break_start)
            & (table.break_start <= table.break_end)
            & (table.break_end <= table.close)
        ).all(),
        "sessions do not overlap": (table.open[1:] >= table.close[:-1]).all(),
    }
    failed = [name for name, ok in checks.items() if not ok]
    if failed:
        raise RuntimeError(f"pandas_market_calendars {pmc.__version__} schedule fails: {failed}")
    return table


def render(table: _Sessions) -> str:
    """The CSV text of ``table``."""
    lines = [
        f"# CME Globex equity-index sessions from pandas_market_calendars {pmc.__version__} "
        f"(calendar {GLOBEX_CALENDAR}), trading dates {_TABLE_FIRST} .. {_TABLE_LAST}.",
        "# Times are UTC minutes since 1970-01-01; a blank break means none. Regenerate with scripts/make_calendar.py.",
        "trading_date,open,break_start,break_end,close",
    ]
    dates = table.day.astype("datetime64[D]").astype(str)
    has_break = table.break_start < table.break_end
    for date, open_, start, end, close, brk in zip(
        dates, table.open, table.break_start, table.break_end, table.close, has_break, strict=True
    ):
        lines.append(f"{date},{open_},{start if brk else ''},{end if brk else ''},{close}")
    return "\n".join(lines) + "\n"


def main() -> None:
    table = build()
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0, compresslevel=9) as archive:
        archive.write(render(table).encode("ascii"))
    with atomic_path(TARGET) as tmp:
        tmp.write_bytes(buffer.getvalue())
    print(f"wrote {len(table.day)} sessions to {TARGET} ({TARGET.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
