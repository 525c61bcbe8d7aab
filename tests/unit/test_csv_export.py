"""CSV injection: what portal.csv_export.spreadsheet_safe makes of each kind of cell."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from portal.csv_export import _chunks, spreadsheet_safe


@pytest.mark.parametrize(
    "text",
    [
        '=HYPERLINK("http://evil.example","click")',
        "=cmd|' /C calc'!A0",
        "+49 89 1234567",  # a phone number: Excel would compute 49 + 89 ...
        "-2+3",
        "-",
        "@SUM(A1:A9)",
        "\t=1+1",
        "\r=1+1",
        "\n=1+1",
        "\uff1d1+1",  # full-width equals sign
        "-1.5e3",  # not a plain number
        "+1.",
    ],
)
def test_text_that_starts_like_a_formula_gets_an_apostrophe(text: str) -> None:
    assert spreadsheet_safe(text) == "'" + text


@pytest.mark.parametrize("text", ["München", "", "1+1", "DE*ISE*E1000*1", "2026-10-01T08:00:00Z", "'=already"])
def test_other_text_is_unchanged(text: str) -> None:
    assert spreadsheet_safe(text) == text


@pytest.mark.parametrize("value", [-1.5, -3, Decimal("-1.50"), 0, None, True])
def test_numbers_and_empty_cells_stay_as_they_are(value: object) -> None:
    assert spreadsheet_safe(value) is value


@pytest.mark.parametrize("text", ["-1.50", "+3", "-2,5", "-0", "10.000"])
def test_signed_plain_numbers_in_text_form_stay_numbers(text: str) -> None:
    """The charging-data export gets amounts as text from the database: a credit of -1.50 is data."""
    assert spreadsheet_safe(text) == text


def test_other_objects_are_written_as_their_text_and_checked_too() -> None:
    class Odd:
        def __str__(self) -> str:
            return "=1+1"

    assert spreadsheet_safe(Odd()) == "'=1+1"
    assert spreadsheet_safe(datetime(2026, 1, 2, tzinfo=UTC)) == "2026-01-02 00:00:00+00:00"


async def test_every_cell_of_a_download_is_made_safe() -> None:
    async def batches():  # type: ignore[no-untyped-def]
        yield [("=1+1", "-1.50", Decimal("-2")), ("ok", "@x", None)]

    body = b"".join([chunk async for chunk in _chunks(["id", "=head"], batches(), ";", True)])
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))
    assert rows == [["id", "'=head"], ["'=1+1", "-1.50", "-2"], ["ok", "'@x", ""]]
