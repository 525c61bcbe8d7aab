from decimal import Decimal

import pytest

from core.errors import ValidationError
from core.validation import INT32_MAX, INT32_MIN, Field, FormSpec

SPEC = FormSpec(
    "sample",
    (
        Field("name", required=True, max_length=5),
        Field("count", kind="int", min_value=1, max_value=10),
        Field("price", kind="decimal"),
        Field("flag", kind="bool"),
        Field("kind", kind="choice", choices=("A", "B"), default="A"),
        Field("tags", kind="list", choices=("x", "y")),
    ),
)


def test_parse_cleans_form_strings() -> None:
    data = SPEC.parse({"name": " ab ", "count": "3", "price": "0,40", "flag": "on", "kind": "B", "tags": "x, y"})
    assert data == {"name": "ab", "count": 3, "price": Decimal("0.40"), "flag": True, "kind": "B", "tags": ["x", "y"]}


def test_every_field_error_is_reported_at_once() -> None:
    with pytest.raises(ValidationError) as info:
        SPEC.parse({"name": "too long", "count": "11", "price": "abc", "kind": "C", "tags": ["z"], "bogus": 1})
    assert set(info.value.errors) == {"name", "count", "price", "kind", "tags", "bogus"}
    assert info.value.errors["count"].render() == "Must be at most 10."


def test_required_and_defaults() -> None:
    with pytest.raises(ValidationError) as info:
        SPEC.parse({})
    assert info.value.errors["name"].msgid == "This field is required."
    assert SPEC.parse({"name": "a"})["kind"] == "A"
    assert SPEC.parse({"name": "a"})["flag"] is False


def test_partial_only_touches_given_fields() -> None:
    assert SPEC.parse({"count": 2}, partial=True) == {"count": 2}


def test_struct_documents_the_same_fields() -> None:
    struct = SPEC.struct("SampleCreate")
    assert set(struct.__struct_fields__) == set(SPEC.names)


LINES = FormSpec(
    "lines",
    (
        Field("label", max_length=40),
        Field("note", kind="text", max_length=200),
        Field("tags", kind="list"),
        Field("station_id", kind="int"),
    ),
)


@pytest.mark.parametrize(
    "value",
    ["CP\x00001", "CP\x1b[31m", "A\x7fB", "A\x85B", "REAL\u200bID", "\u202eDI-LAER", "A\u2028B", "A\ufeffB"],
)
def test_one_line_fields_refuse_control_and_invisible_characters(value: str) -> None:
    with pytest.raises(ValidationError) as info:
        LINES.parse({"label": value})
    assert info.value.errors["label"].msgid == "Remove control characters and invisible characters."
    with pytest.raises(ValidationError) as info:
        LINES.parse({"tags": ["ok", value]})
    assert info.value.errors["tags"].msgid == "Remove control characters and invisible characters."


def test_multi_line_text_keeps_line_breaks_and_emoji_but_not_controls() -> None:
    note = "Line one\r\n\tLine two 👨\u200d👩\u200d👧 Straße\u00a01"
    assert LINES.parse({"note": note, "label": "Straße\u00a01 – ok"})["note"] == note
    with pytest.raises(ValidationError) as info:
        LINES.parse({"note": "a\x00b"})
    assert set(info.value.errors) == {"note"}


def test_whole_numbers_fit_the_database_integer_columns() -> None:
    spec = FormSpec("n", (Field("count", kind="int"), Field("small", kind="int", min_value=0, max_value=10)))
    assert spec.parse({"count": str(INT32_MAX), "small": "10"}) == {"count": INT32_MAX, "small": 10}
    with pytest.raises(ValidationError) as info:
        spec.parse({"count": str(INT32_MAX + 1), "small": "-1"})
    assert info.value.errors["count"].render() == f"Must be at most {INT32_MAX}."
    assert info.value.errors["small"].render() == "Must be at least 0."
    with pytest.raises(ValidationError):
        spec.parse({"count": str(INT32_MIN - 1)})
    with pytest.raises(ValidationError):
        spec.parse({"count": 2**70})
    assert spec["count"].schema_bounds() == {"ge": INT32_MIN, "le": INT32_MAX}
    assert spec["small"].schema_bounds() == {"ge": 0, "le": 10}
