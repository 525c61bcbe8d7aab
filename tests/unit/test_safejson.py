"""JSON from outside is decoded only within MAX_DEPTH levels: deep documents are a ValueError, not a
RecursionError, however deep, and strings that merely contain brackets are not nesting."""

from __future__ import annotations

import json
import time

import pytest

from core import safejson
from core.charging import payload_values


def nested(depth: int, opener: str = "[", closer: str = "]") -> str:
    return opener * depth + closer * depth


@pytest.mark.parametrize("depth", [safejson.MAX_DEPTH + 1, 1_000, 100_000])
def test_deep_documents_are_a_value_error(depth: int) -> None:
    for text in (nested(depth), '{"a":' * depth + "1" + "}" * depth):
        with pytest.raises(ValueError):
            safejson.loads(text)
        with pytest.raises(ValueError):
            safejson.loads(text.encode())


def test_documents_at_the_limit_decode() -> None:
    assert safejson.loads(nested(safejson.MAX_DEPTH)) is not None
    mixed = '[{"a":' * (safejson.MAX_DEPTH // 2) + "1" + "}]" * (safejson.MAX_DEPTH // 2)
    assert safejson.loads(mixed) is not None


def test_brackets_inside_strings_do_not_nest() -> None:
    text = json.dumps(["[" * 500, {"k": "{" * 500 + '\\"' + "]" * 40}])
    assert safejson.loads(text)[0] == "[" * 500
    assert not safejson.too_deep(text.encode())


def test_unbalanced_brackets_are_refused() -> None:
    with pytest.raises(ValueError):
        safejson.loads("[" * 40 + "}" * 40)


def test_malformed_json_is_a_value_error() -> None:
    for text in ("{nope", "", "[1,]", '"\\ud800"', b"\xff\xfe"):
        with pytest.raises(ValueError):
            safejson.loads(text)


def test_depth_check_is_linear() -> None:
    """A 60 KB frame of sibling arrays just under the limit costs milliseconds, not seconds."""
    text = "[" * 31 + ",".join(["[[]]"] * 12_000) + "]" * 31
    start = time.perf_counter()
    assert safejson.too_deep(text)
    assert time.perf_counter() - start < 0.5


@pytest.mark.parametrize(
    ("payload", "problem"),
    [
        ({"connectorId": 1, "meterStart": 2**70}, "meterStart: 1180591620717411303424 is outside"),
        ({"meterValue": [{"sampledValue": [{"value": "1"}]}], "transactionId": -(2**31) - 1}, "transactionId"),
        ({"idTag": "AB\x00CD"}, "idTag: contains a NUL character"),
        ({"a": [1, {"b": [2**31]}]}, "a[1].b[0]"),
    ],
)
def test_station_values_beyond_the_columns_are_named(payload: dict[str, object], problem: str) -> None:
    found = payload_values.bad_value(payload)
    assert found is not None and problem in found
    assert payload_values.may_hold_bad_value(json.dumps(payload))


def test_station_values_within_bounds_pass() -> None:
    payload = {"connectorId": 1, "meterStart": 2**31 - 1, "ok": True, "idTag": "04A2", "x": [-(2**31), 1.5e300]}
    assert payload_values.bad_value(payload) is None
    assert not payload_values.may_hold_bad_value('[2,"1","Heartbeat",{}]')


def test_the_ocpp_log_shows_a_refused_deep_frame_as_it_came() -> None:
    from core.charging.monitoring import pretty_payload

    deep = "[" * 5_000 + "]" * 5_000
    assert pretty_payload(deep) == deep
    assert pretty_payload('[2,"a","Heartbeat",{}]') == '[\n  2,\n  "a",\n  "Heartbeat",\n  {}\n]'
