"""Cell parsers, header matching and the JSON stream: the shared parsing of every importer."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from dtc_tui.services.importers.columns import Columns, field, normalise
from dtc_tui.services.importers.errors import ImportFailed, ValueProblem
from dtc_tui.services.importers.jsonstream import iter_records
from dtc_tui.services.importers.values import parse_bool, parse_date, parse_datetime, parse_int, parse_number

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12", 12.0),
        ("-3.5", -3.5),
        ("25,881", 25881.0),
        ("1,234,567.89", 1234567.89),
        ("$1,234.50", 1234.5),
        ("€ 1.234,50", 1234.5),
        ("1.234,50 EUR", 1234.5),
        ("USD 12.00", 12.0),
        ("£0.80", 0.8),
        ("US$5", 5.0),
        ("(12.00)", -12.0),
        ("77.77%", 77.77),
        ("1 234,5", 1234.5),
        ("1\u00a0234", 1234.0),
        ("12,5", 12.5),
        ("1.234.567", 1234567.0),
        ("−4", -4.0),
        ("3.65275E+11", 365275000000.0),
    ],
)
def test_numbers_with_separators_and_currency(text: str, expected: float) -> None:
    assert parse_number(text) == pytest.approx(expected)


@pytest.mark.parametrize("text", ["", " --", "-", "n/a", "N/A", "  "])
def test_placeholders_are_none(text: str) -> None:
    assert parse_number(text) is None


def test_semicolon_files_read_a_lone_comma_as_decimal() -> None:
    assert parse_number("25,881", decimal_comma=True) == pytest.approx(25.881)
    assert parse_number("25,881") == 25881.0


@pytest.mark.parametrize("text", ["abc", "1,2,3", "nan", "inf", "12..5"])
def test_not_numbers(text: str) -> None:
    with pytest.raises(ValueProblem):
        parse_number(text)


def test_integers() -> None:
    assert parse_int('"20,127"'.strip('"')) == 20127
    assert parse_int("12.345") == 12345  # a German thousands dot in a count column
    assert parse_int("12.0") == 12
    with pytest.raises(ValueProblem, match="whole number"):
        parse_int("12.5")


def test_booleans() -> None:
    assert parse_bool("TRUE") is True
    assert parse_bool("no") is False
    assert parse_bool("") is None
    with pytest.raises(ValueProblem):
        parse_bool("maybe")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-07-08", date(2025, 7, 8)),
        ("July 8, 2025", date(2025, 7, 8)),
        ("Jul 8, 2025", date(2025, 7, 8)),
        ("8 Jul 2025", date(2025, 7, 8)),
        ("2025/07/08", date(2025, 7, 8)),
        ("08.07.2025", date(2025, 7, 8)),
        ("07/08/2025", date(2025, 7, 8)),
        ("13/07/2025", date(2025, 7, 13)),
        ("2025-07-08 00:00:00", date(2025, 7, 8)),
    ],
)
def test_dates(text: str, expected: date) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize("text", ["2025-13-01", "31/31/2025", "yesterday"])
def test_bad_dates(text: str) -> None:
    with pytest.raises(ValueProblem):
        parse_date(text)


def test_times_without_offset_use_the_given_zone() -> None:
    # 12:30 in Berlin in November (UTC+1) is 11:30 UTC; in July (UTC+2) 10:30 UTC.
    assert parse_datetime("2026-11-20 12:30:00", BERLIN) == datetime(2026, 11, 20, 11, 30, tzinfo=UTC)
    assert parse_datetime("2026-07-20 12:30", BERLIN) == datetime(2026, 7, 20, 10, 30, tzinfo=UTC)
    assert parse_datetime("11/20/2026 1:05 PM", UTC) == datetime(2026, 11, 20, 13, 5, tzinfo=UTC)
    assert parse_datetime("2026-11-20", BERLIN) == datetime(2026, 11, 19, 23, 0, tzinfo=UTC)


def test_times_with_an_offset_keep_it() -> None:
    expected = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
    for text in (
        "2026-11-20T10:00:00Z",
        "2026-11-20 11:00:00 +0100",
        "2026-11-20T05:00:00-05:00",
        "Fri, 20 Nov 2026 10:00:00 +0000",
    ):
        assert parse_datetime(text, BERLIN) == expected, text


def test_header_matching_ignores_case_spaces_bom_and_suffix() -> None:
    assert normalise("\ufeff  Committed  (not editable) ") == "committed"
    columns = Columns(
        (
            field("sku", "Variant SKU", "SKU", required=True),
            field("spend", re.compile(r"amount spent \((?P<currency>[a-z]{3})\)")),
            field("clicks", "Link clicks", "Clicks (all)"),
        )
    )
    header = columns.match(["variant  sku", "Clicks (all)", "Amount spent (GBP)", "Link Clicks", "Other"], 1)
    assert header.index == {"sku": 0, "spend": 2, "clicks": 3}  # the preferred alias wins over column order
    assert header.captures == {"currency": "gbp"}
    assert header.unknown == ["Clicks (all)", "Other"]
    assert columns.match(["Title"], 1).missing[0].name == "sku"


def _records(tmp_path: Path, text: str) -> list:
    path = tmp_path / "data.json"
    path.write_text(text, encoding="utf-8")
    return list(iter_records(path, "data.json"))


def test_json_stream_shapes_and_lines(tmp_path: Path) -> None:
    assert _records(tmp_path, '[{"a": 1},\n {"a": 2}]') == [(1, {"a": 1}), (2, {"a": 2})]
    wrapped = '{"count": 2,\n "tickets": [\n  {"id": 1},\n  {"id": 2}\n ], "next_page": null}'
    assert _records(tmp_path, wrapped) == [(3, {"id": 1}), (4, {"id": 2})]
    assert _records(tmp_path, '{"id": 1}\n{"id": 2}\n') == [(1, {"id": 1}), (2, {"id": 2})]
    assert _records(tmp_path, "[]") == []


def test_json_stream_reads_records_larger_than_its_buffer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from dtc_tui.services.importers import jsonstream

    monkeypatch.setattr(jsonstream, "CHUNK", 7)
    records = _records(tmp_path, '{"rows": [{"body": "' + "x" * 50 + '", "n": 12345},\n{"n": 678}]}')
    assert [r["n"] for _line, r in records] == [12345, 678]
    assert [line for line, _r in records] == [1, 2]


def test_json_stream_reports_where_it_broke(tmp_path: Path) -> None:
    with pytest.raises(ImportFailed) as failed:
        _records(tmp_path, '[{"id": 1},\n{"id": 2,\n "x": }]')
    assert str(failed.value).startswith("data.json:3: file: broken JSON")


def test_grouped_errors_say_a_repeated_problem_once_and_count_rows() -> None:
    from dtc_tui.services.importers.base import grouped_errors
    from dtc_tui.services.importers.errors import RowError

    header = RowError("x.csv", 1, "header", "missing column 'Name'")
    assert grouped_errors([header] * 5) == ["x.csv:1: header: missing column 'Name'"]
    rows = [RowError("x.csv", n, "Total", f"'{n}x' is not a number") for n in (2, 3, 3)]
    assert grouped_errors(rows) == ["x.csv: Total: '2x' is not a number (2 rows: lines 2, 3)"]
    # Several columns missing from one header: each named, not one folded as "2 rows: lines 1, 1".
    missing = [RowError("x.csv", 1, "header", f"missing column '{name}'") for name in ("Name", "Email")]
    assert grouped_errors(missing) == [
        "x.csv:1: header: missing column 'Name'",
        "x.csv:1: header: missing column 'Email'",
    ]


# RowCheck.number / integer try float() / int() first (one C call for a plain cell) and fall back to
# parse_number / parse_int: the same value, or the same problem, for every kind of cell.
CELLS = [
    "12",
    " 7 ",
    "-3.5",
    "1e3",
    "12.0",
    "1_000",
    "-0",
    "+4",
    "0012",
    "",
    "   ",
    "-",
    "n/a",
    "nan",
    "inf",
    "-inf",
    "25,881",
    "1.234,50",
    "(12)",
    "$1,234.50",
    "12.345",
    "1.5",
    "abc",
    "12 units",
    "\u221212",
]


class _OneCell:
    line = 2

    def __init__(self, cell: str) -> None:
        self.cell = cell

    def get(self, name: str) -> str:
        return self.cell

    def has(self, name: str) -> bool:
        return True

    def label(self, name: str) -> str:
        return "Amount"


@pytest.mark.parametrize("decimal_comma", [False, True])
@pytest.mark.parametrize("cell", CELLS)
def test_row_check_numbers_read_as_the_parsers_do(cell: str, decimal_comma: bool) -> None:
    from dtc_tui.services.importers.base import RowCheck

    for method, parser in (("number", parse_number), ("integer", parse_int)):
        check = RowCheck(_OneCell(cell), UTC, decimal_comma=decimal_comma)
        try:
            expected, problems = parser(cell, decimal_comma=decimal_comma), []
        except ValueProblem as exc:
            expected, problems = None, [("Amount", str(exc))]
        value = getattr(check, method)("amount")
        assert (value, type(value), check.problems) == (expected, type(expected), problems), (method, cell)


def test_row_check_reads_a_long_integer_exactly() -> None:
    """Past 2**53 a float cannot hold every integer: int() keeps the cell's digits (parse_int,
    which goes through float, would store 12345678901234568)."""
    from dtc_tui.services.importers.base import RowCheck

    assert RowCheck(_OneCell("12345678901234567"), UTC).integer("amount") == 12345678901234567
