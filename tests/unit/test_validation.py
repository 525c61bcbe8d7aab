from decimal import Decimal

import pytest

from core.errors import ValidationError
from core.validation import DB_INT_MAX, Field, FormSpec

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


def test_whole_numbers_fit_the_database_integer_columns() -> None:
    spec = FormSpec("n", (Field("count", kind="int"), Field("small", kind="int", min_value=0, max_value=10)))
    assert spec.parse({"count": str(DB_INT_MAX), "small": "10"}) == {"count": DB_INT_MAX, "small": 10}
    with pytest.raises(ValidationError) as info:
        spec.parse({"count": str(DB_INT_MAX + 1), "small": "-1"})
    assert info.value.errors["count"].render() == f"Must be at most {DB_INT_MAX}."
    assert info.value.errors["small"].render() == "Must be at least 0."
    with pytest.raises(ValidationError):
        spec.parse({"count": str(-DB_INT_MAX - 1)})
    assert spec["count"].schema_bounds() == {"ge": -DB_INT_MAX, "le": DB_INT_MAX}
    assert spec["small"].schema_bounds() == {"ge": 0, "le": 10}
