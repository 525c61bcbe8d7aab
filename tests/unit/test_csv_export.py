"""CSV injection: what portal.csv_export.spreadsheet_safe makes of each kind of cell."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from core.cdrs.charging_data import EXPORT_COLUMNS
from core.cdrs.export import csv_style, localized_row
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


def _exported(**values: object) -> list[object]:
    return [values.get(column) for column in EXPORT_COLUMNS]


def test_german_and_english_rows_of_the_charging_data_export() -> None:
    row = _exported(start_date_time="2026-10-01T08:00:00Z", end_date_time="2026-12-01T23:30:00Z",
                    total_energy="30.000", total_cost_incl_vat="-1.50", billable="true", signed="false",
                    city="München")  # fmt: skip
    at = {column: i for i, column in enumerate(EXPORT_COLUMNS)}
    german = localized_row(row, csv_style("de", "Europe/Berlin", "Ja", "Nein"), ZoneInfo("Europe/Berlin"))
    # Summer and winter time: UTC+2 on 1 October, UTC+1 on 1 December (the next day, local).
    assert german[at["start_date_time"]] == "01.10.2026 10:00:00"
    assert german[at["end_date_time"]] == "02.12.2026 00:30:00"
    assert (german[at["total_energy"]], german[at["total_cost_incl_vat"]]) == ("30,000", "-1,50")
    assert (german[at["billable"]], german[at["signed"]], german[at["city"]]) == ("Ja", "Nein", "München")
    assert german[at["total_vat"]] is None and german[at["cdr_id"]] is None  # empty stays empty
    assert spreadsheet_safe(german[at["total_cost_incl_vat"]]) == "-1,50"  # a credit stays a number
    english = localized_row(row, csv_style("en", "Europe/Berlin", "Yes", "No"), ZoneInfo("Europe/Berlin"))
    assert english[at["start_date_time"]] == "2026-10-01 10:00:00"
    assert (english[at["total_energy"]], english[at["billable"]]) == ("30.000", "Yes")
    assert csv_style("de", "UTC", "", "").delimiter == ";" and csv_style("en", "UTC", "", "").delimiter == ","


def test_the_export_names_the_auth_source_by_its_label() -> None:
    at = {column: i for i, column in enumerate(EXPORT_COLUMNS)}
    labels = {"TERMINAL": "Bezahlterminal", "RFID": "RFID-Karte"}
    style = csv_style("de", "UTC", "Ja", "Nein", labels)
    assert (
        localized_row(_exported(auth_source="TERMINAL"), style, ZoneInfo("UTC"))[at["auth_source"]] == "Bezahlterminal"
    )
    assert localized_row(_exported(auth_source="RFID"), style, ZoneInfo("UTC"))[at["auth_source"]] == "RFID-Karte"
    assert localized_row(_exported(auth_source=None), style, ZoneInfo("UTC"))[at["auth_source"]] is None
