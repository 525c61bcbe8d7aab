"""Reading CSV files for the bulk import: separators, BOM, header checks, field rules per row."""

from __future__ import annotations

import pytest

from core.errors import ValidationError
from core.infrastructure.bulk_import import check_fields, decode, read_rows, template_csv

HEADER = "location_name;address;postal_code;city;charge_box_id;evse_number;standard;power_type"


def test_semicolon_and_comma_files_and_bom_are_read() -> None:
    semi, errors = read_rows(HEADER + "\nMitte;Hauptstr. 1;10115;Berlin;CB-1;1;IEC_62196_T2;AC_3_PHASE\n")
    assert errors == [] and semi[0].values["city"] == "Berlin" and semi[0].line == 2
    data = ("\ufeff" + HEADER.replace(";", ",") + '\n"Mitte, Hof",A 1,1,B,CB,1,,\n').encode()
    comma, errors = read_rows(decode(data))
    assert errors == [] and comma[0].values["location_name"] == "Mitte, Hof"


def test_mixed_separators_mark_the_row_not_the_file() -> None:
    text = HEADER + "\nMitte;Hauptstr. 1;10115;Berlin;CB-1;1;;\nMitte,Hauptstr. 1,10115,Berlin,CB-2,1,,\n"
    rows, errors = read_rows(text)
    assert errors == []
    assert rows[0].errors == {}
    assert "__row__" in rows[1].errors and "separator" in rows[1].errors["__row__"].msgid


def test_empty_file_and_wrong_header_are_file_errors() -> None:
    assert read_rows("")[1][0].msgid == "The file is empty."
    assert read_rows("\n\n")[1][0].msgid == "The file is empty."
    assert read_rows(HEADER + "\n")[1][0].msgid == "The file has no data rows."
    _, errors = read_rows("name;street\nx;y\n")
    assert [e.msgid for e in errors] == ["Unknown columns: %(columns)s", "Missing columns: %(columns)s"]
    assert "street" in errors[0].params["columns"] and "charge_box_id" in errors[1].params["columns"]


def test_non_utf8_is_refused() -> None:
    with pytest.raises(ValidationError):
        decode("Straße".encode("latin-1"))


def test_field_rules_are_the_forms_rules_keyed_by_column() -> None:
    rows, _ = read_rows(
        HEADER
        + ";evse_id;country\n"
        + "Mitte;Hauptstr. 1;10115;Berlin;bad id!;0;NOPE;AC_3_PHASE;DE*ISE*E1*1;Deutschland\n"
        + "Mitte;Hauptstr. 1;10115;Berlin;CB-1;2;CHADEMO;DC;de*ise*e77*2;AUT\n"
    )
    check_fields(rows[0])
    assert set(rows[0].errors) == {"charge_box_id", "evse_number", "standard", "country"}
    check_fields(rows[1])
    assert rows[1].errors == {}
    assert rows[1].charge_point["evse_id"] == "DE*ISE*E77*2"
    assert rows[1].connector["power_type"] == "DC" and rows[1].location["country"] == "AUT"
    assert rows[1].charge_point["auth_local_rfid"] is True  # form default when the column is absent


def test_template_is_a_valid_file() -> None:
    rows, errors = read_rows(template_csv())
    assert errors == [] and len(rows) == 1
    check_fields(rows[0])
    assert rows[0].errors == {}


def test_country_defaults_to_germany_when_the_column_is_missing() -> None:
    rows, _ = read_rows(HEADER + "\nMitte;Hauptstr. 1;10115;Berlin;CB-1;1;;\n")
    check_fields(rows[0])
    assert rows[0].errors == {} and rows[0].location["country"] == "DEU"
