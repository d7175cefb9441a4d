"""Regenerate tests/data/bad/, the corpus of malformed bar files the loader must refuse clearly.

Run from the repository root: ``python scripts/make_bad_corpus.py``. Every file
is derived from the first 30 bars of ``data/es_1min_2019-09.csv.gz`` by one
mutation, and ``cases.json`` records, per file, the exception the strict loader
must raise and a regular expression its one-line message must match (naming the
row or field). ``tests/test_bad_inputs.py`` re-runs this script into a
temporary folder and checks the committed corpus equals its output, so the
files are never edited by hand.
"""

from __future__ import annotations

import gzip
import io
import json
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "data" / "es_1min_2019-09.csv.gz"
TARGET = ROOT / "tests" / "data" / "bad"
ROWS = 30
ROW = 10
"""The row each single-row mutation changes (0-based, data rows)."""


def _clean_lines() -> list[str]:
    with gzip.open(SOURCE, "rt", encoding="utf-8") as handle:
        return [next(handle).rstrip("\n") for _ in range(ROWS + 1)]


def _set(field: str, value: str) -> Callable[[list[str]], list[str]]:
    def mutate(lines: list[str]) -> list[str]:
        header = lines[0].split(",")
        cells = lines[ROW + 1].split(",")
        cells[header.index(field)] = value
        return [*lines[: ROW + 1], ",".join(cells), *lines[ROW + 2 :]]

    return mutate


def _drop_column(field: str) -> Callable[[list[str]], list[str]]:
    def mutate(lines: list[str]) -> list[str]:
        index = lines[0].split(",").index(field)
        return [",".join(c for i, c in enumerate(line.split(",")) if i != index) for line in lines]

    return mutate


def _duplicate(lines: list[str]) -> list[str]:
    return [*lines[: ROW + 2], lines[ROW + 1], *lines[ROW + 2 :]]


def _strip_offset(lines: list[str]) -> list[str]:
    cells = lines[ROW + 1].split(",")
    cells[0] = cells[0][:19]
    return [*lines[: ROW + 1], ",".join(cells), *lines[ROW + 2 :]]


def _naive_on(prefix: str) -> Callable[[list[str]], list[str]]:
    """Every time rewritten as naive ``prefix + MM:SS`` (keeping each row's minute)."""

    def mutate(lines: list[str]) -> list[str]:
        return [lines[0], *(prefix + line[14:19] + line[25:] for line in lines[1:])]

    return mutate


def _epochs(first: str) -> Callable[[list[str]], list[str]]:
    """Every time replaced by an epoch number counting up from ``first`` (a misread unit or a row index)."""

    def mutate(lines: list[str]) -> list[str]:
        return [lines[0], *(f"{float(first) + i:.17g}" + line[25:] for i, line in enumerate(lines[1:]))]

    return mutate


TEXT_CASES: dict[str, tuple[Callable[[list[str]], list[str]], str, str]] = {
    "high_inf.csv": (_set("high", "inf"), "BarsValidationError", r"values 1 \(first: row 10, high=inf"),
    "high_1e300.csv": (_set("high", "1e300"), "BarsValidationError", r"row 10, high=1e\+300"),
    "open_1e19.csv": (_set("open", "1e19"), "BarsValidationError", r"row 10, open=1e\+19"),
    "volume_1e25.csv": (_set("volume", "1e25"), "BarsValidationError", r"row 10, volume=1e\+25"),
    "volume_fraction.csv": (_set("volume", "0.4"), "BarsValidationError", r"row 10, volume=0\.4"),
    "low_negative.csv": (_set("low", "-5.0"), "BarsValidationError", r"row 10, low=-5\.0"),
    "low_zero.csv": (_set("low", "0"), "BarsValidationError", r"row 10, low=0\.0"),
    "close_nan.csv": (_set("close", "nan"), "BarsValidationError", r"errors: nan 1 \(first: row 10\)"),
    "close_text.csv": (_set("close", "abc"), "BarsValidationError", r"errors: nan 1 \(first: row 10\)"),
    "high_below_low.csv": (_set("high", "1000.0"), "BarsValidationError", r"errors: ohlc 1 \(first: row 10\)"),
    "off_grid.csv": (_set("close", "2980.1"), "BarsValidationError", r"off_grid 1 \(first: row 10\)"),
    "volume_zero.csv": (_set("volume", "0"), "BarsValidationError", r"errors: volume 1 \(first: row 10\)"),
    "duplicate_row.csv": (_duplicate, "BarsValidationError", r"errors: duplicates 2 \(first: row 10\)"),
    "time_garbage.csv": (_set("time", "not-a-time"), "ValueError", r"unparsable timestamp 'not-a-time' in row 10"),
    "time_year_2300.csv": (
        _set("time", "2300-09-01T18:10:00-04:00"),
        "ValueError",
        r"'2300-09-01T18:10:00-04:00' in row 10 is 2300-.*expected times from 1980 to 2100",
    ),
    "time_year_1600.csv": (
        _set("time", "1600-09-01T18:10:00-04:00"),
        "ValueError",
        r"'1600-09-01T18:10:00-04:00' in row 10 .*expected times from 1980 to 2100",
    ),
    "epoch_row_index.csv": (
        _epochs("0"),
        "ValueError",
        r"timestamp 0 in row 0 is 1970-01-01 .*\(read as epoch s\); expected times from 1980",
    ),
    "epoch_huge.csv": (_epochs("1e30"), "ValueError", r"impossible epoch timestamp 1e\+30 in row 0"),
    "time_offset_missing.csv": (_strip_offset, "ValueError", r"row 10 has no UTC offset"),
    "no_close_column.csv": (_drop_column("close"), "ValueError", r"missing column\(s\) \['close'\]"),
    "no_time_column.csv": (_drop_column("time"), "ValueError", r"missing column\(s\) \['time'\]"),
    "header_only.csv": (lambda lines: lines[:1], "ValueError", r"no bars in the file"),
    "date_only.csv": (
        lambda lines: [lines[0], *(line[:10] + line[25:] for line in lines[1:])],
        "ValueError",
        r"dates without a time of day",
    ),
    "dates_ambiguous.csv": (
        lambda lines: [lines[0], *("09/01/2019 " + line[11:19] + line[25:] for line in lines[1:])],
        "ValueError",
        r"cannot tell whether dates like '09/01/2019 18:00:00' \(row 0\)",
    ),
    "dst_spring_gap.csv": (_naive_on("2019-03-10 02:"), "ValueError", r"'2019-03-10 02:00:00' in row 0 does not exist"),
    "dst_fall_single.csv": (
        _naive_on("2019-11-03 01:"),
        "ValueError",
        r"'2019-11-03 01:00:00' in row 0 falls in the hour the autumn DST",
    ),
}

BINARY_CASES: dict[str, tuple[Callable[[bytes], bytes], str, str]] = {
    "empty.csv": (lambda data: b"", "ValueError", r"the file is empty"),
    "truncated.csv.gz": (
        lambda data: gzip.compress(data, mtime=0)[:200],
        "ValueError",
        r"cannot read the file \(EOFError",
    ),
    "not_gzip.csv.gz": (lambda data: data, "ValueError", r"cannot read the file \(BadGzipFile"),
    "junk.parquet": (lambda data: b"PAR1" + bytes(range(64)), "ValueError", r"cannot read the file \(Arrow"),
    "broken.json": (lambda data: b'[{"time": "2019-09-03T09:30:00-04:00", "open": 1', "ValueError", r"not valid JSON"),
    "wrong_kind.xlsx": (lambda data: data, "ValueError", r"unsupported file type"),
}


def build(target: Path = TARGET) -> dict:
    """Write every case into ``target`` and return the expectations written to ``cases.json``."""
    target.mkdir(parents=True, exist_ok=True)
    lines = _clean_lines()
    expected = {}
    for name, (mutate, error, pattern) in TEXT_CASES.items():
        (target / name).write_text("\n".join(mutate(list(lines))) + "\n", encoding="utf-8")
        expected[name] = {"error": error, "match": pattern}
    clean = ("\n".join(lines) + "\n").encode()
    for name, (make, error, pattern) in BINARY_CASES.items():
        (target / name).write_bytes(make(clean))
        expected[name] = {"error": error, "match": pattern}
    buffer = io.StringIO()
    json.dump(expected, buffer, indent=2, sort_keys=True)
    (target / "cases.json").write_text(buffer.getvalue() + "\n", encoding="utf-8")
    return expected


if __name__ == "__main__":
    cases = build(Path(sys.argv[1]) if len(sys.argv) > 1 else TARGET)
    print(f"wrote {len(cases)} malformed files and cases.json")
