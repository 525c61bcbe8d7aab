"""OCPP-J framing: envelope checks and schema failures mapped to OCPP 1.6 CallError codes."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ocpp_cs import framing
from ocpp_cs.v16.handlers import PROTOCOL


class _Conn:
    charge_box_id = "UNIT"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("{nope", "FormationViolation"),
        ("{}", "FormationViolation"),
        ("[2]", "FormationViolation"),
        ('[7, "id", "Heartbeat", {}]', "FormationViolation"),
        ('["2", "id", "Heartbeat", {}]', "FormationViolation"),
        ('[2, 5, "Heartbeat", {}]', "FormationViolation"),
        ('[2, "id", "Heartbeat"]', "FormationViolation"),
        ('[2, "id", "Heartbeat", []]', "TypeConstraintViolation"),
    ],
)
def test_parse_refuses_malformed_frames(text: str, code: str) -> None:
    with pytest.raises(framing.FrameError) as info:
        framing.parse(text, PROTOCOL)
    assert info.value.code == code


def test_parse_keeps_the_unique_id_for_the_error() -> None:
    with pytest.raises(framing.FrameError) as info:
        framing.parse('[9, "abc", "Heartbeat", {}]', PROTOCOL)
    assert info.value.unique_id == "abc"


def test_parse_accepts_call_result_and_error() -> None:
    assert framing.parse('[3, "a", {}]', PROTOCOL) == [3, "a", {}]
    assert framing.parse('[4, "a", "NotSupported", "", {}]', PROTOCOL)[2] == "NotSupported"


@pytest.mark.parametrize(
    ("action", "payload", "code"),
    [
        ("Nope", {}, "NotImplemented"),
        ("StatusNotification", {"connectorId": 1}, "OccurenceConstraintViolation"),
        (
            "StatusNotification",
            {"connectorId": "1", "errorCode": "NoError", "status": "Available"},
            "TypeConstraintViolation",
        ),
        (
            "StatusNotification",
            {"connectorId": 1, "errorCode": "NoError", "status": "Asleep"},
            "PropertyConstraintViolation",
        ),
        ("Authorize", {"idTag": "x" * 21}, "PropertyConstraintViolation"),
        ("Heartbeat", {"unexpected": True}, "FormationViolation"),
        (
            "StartTransaction",
            {"connectorId": 1, "idTag": "A", "meterStart": 0, "timestamp": "yesterday"},
            "PropertyConstraintViolation",
        ),
    ],
)
async def test_handle_call_maps_schema_failures(action: str, payload: dict[str, Any], code: str) -> None:
    reply = json.loads(await framing.handle_call(_Conn(), PROTOCOL, "u1", action, payload))  # type: ignore[arg-type]
    assert reply[:3] == [4, "u1", code]


async def test_handler_exception_is_an_internal_error() -> None:
    async def broken(conn: Any, payload: dict[str, Any]) -> dict[str, Any]:
        raise RuntimeError("boom")

    protocol = framing.Protocol("test", "ocpp.v16.schemas", framing.ERRORS_16, {"Heartbeat": broken})
    reply = json.loads(await framing.handle_call(_Conn(), protocol, "u2", "Heartbeat", {}))  # type: ignore[arg-type]
    assert reply[:3] == [4, "u2", "InternalError"]


def test_every_handled_action_has_a_compiled_schema() -> None:
    for action in PROTOCOL.handlers:
        assert PROTOCOL.validator(action) is not None
