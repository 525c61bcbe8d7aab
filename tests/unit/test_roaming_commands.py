"""The pure rules of partners' OCPI commands (core.roaming.commands): what a station's OCPP answer means as a
CommandResult, the OCPP idTag of a token uid, and the validation of a command's body."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from core.access.cards import normalize_uid
from core.commands.catalogue import CommandStatus
from core.errors import ValidationError
from core.roaming.commands import CommandType, Response, ResponseType, ResultType, ocpp_id_tag, parse, result_of


@pytest.mark.parametrize(
    ("action", "status", "reply", "expected"),
    [
        ("RemoteStartTransaction", CommandStatus.ACCEPTED, {"status": "Accepted"}, ResultType.ACCEPTED),
        ("RemoteStartTransaction", CommandStatus.REJECTED, {"status": "Rejected"}, ResultType.REJECTED),
        ("RemoteStartTransaction", CommandStatus.TIMEOUT, {}, ResultType.TIMEOUT),
        ("RemoteStartTransaction", CommandStatus.OFFLINE, {}, ResultType.FAILED),
        ("RemoteStopTransaction", CommandStatus.FAILED, {"errorCode": "InternalError"}, ResultType.FAILED),
        ("RemoteStopTransaction", CommandStatus.FAILED, {"errorCode": "NotImplemented"}, ResultType.NOT_SUPPORTED),
        ("UnlockConnector", CommandStatus.ACCEPTED, {"status": "Unlocked"}, ResultType.ACCEPTED),
        ("UnlockConnector", CommandStatus.REJECTED, {"status": "UnlockFailed"}, ResultType.FAILED),
        ("UnlockConnector", CommandStatus.REJECTED, {"status": "NotSupported"}, ResultType.NOT_SUPPORTED),
        ("ReserveNow", CommandStatus.REJECTED, {"status": "Occupied"}, ResultType.EVSE_OCCUPIED),
        ("ReserveNow", CommandStatus.REJECTED, {"status": "Faulted"}, ResultType.EVSE_INOPERATIVE),
        ("ReserveNow", CommandStatus.REJECTED, {"status": "Unavailable"}, ResultType.EVSE_INOPERATIVE),
        ("ReserveNow", CommandStatus.REJECTED, {"status": "Rejected"}, ResultType.REJECTED),
        ("CancelReservation", CommandStatus.REJECTED, {"status": "Rejected"}, ResultType.UNKNOWN_RESERVATION),
    ],
)
def test_result_of_the_station_answer(
    action: str, status: CommandStatus, reply: dict[str, Any], expected: ResultType
) -> None:
    assert result_of(action, status, reply) is expected


def test_short_uids_are_the_id_tag_long_ones_a_stable_derived_tag() -> None:
    assert ocpp_id_tag("04a2b3c4") == "04A2B3C4"
    long_uid = "DE-EXW-APP-0123456789-ABCDEF"
    tag = ocpp_id_tag(long_uid)
    assert len(tag) == 20 and tag == ocpp_id_tag(long_uid) and tag != ocpp_id_tag(long_uid + "0")
    assert normalize_uid(tag) == tag  # the station sends it back unchanged and csms matches it as stored
    # A uid that normalizing would change (separators, lower case kept apart) is derived too, not mangled.
    assert ocpp_id_tag("04:a2:b3") != "04A2B3"
    assert len(ocpp_id_tag("x" * 21)) == 20


def _start(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "response_url": "https://emsp.example/ocpi/commands/START_SESSION/1",
        "token": {"country_code": "DE", "party_id": "EXW", "uid": "C0FFEE", "type": "RFID", "contract_id": "DE-EXW-1"},
        "location_id": "12",
        "evse_uid": "34",
    }
    body.update(changes)
    return body


def test_parse_keeps_what_csms_uses() -> None:
    fields = parse(CommandType.START_SESSION, _start(authorization_reference="REF1"))
    assert fields["location_id"] == "12" and fields["evse_uid"] == "34" and fields["authorization_reference"] == "REF1"
    assert parse(CommandType.START_SESSION, _start())["authorization_reference"] == ""
    stop = parse(CommandType.STOP_SESSION, {"response_url": "http://emsp/r", "session_id": "77"})
    assert stop == {"response_url": "http://emsp/r", "session_id": "77"}


@pytest.mark.parametrize(
    ("command", "body", "field"),
    [
        (CommandType.START_SESSION, _start(response_url="ftp://emsp/x"), "response_url"),
        (CommandType.START_SESSION, _start(response_url=None), "response_url"),
        (CommandType.START_SESSION, _start(token="C0FFEE"), "token"),
        (CommandType.START_SESSION, _start(token={"uid": "C0FFEE"}), "token.country_code"),
        (CommandType.START_SESSION, _start(location_id=12), "location_id"),
        (CommandType.START_SESSION, _start(authorization_reference="R" * 37), "authorization_reference"),
        (CommandType.STOP_SESSION, {"response_url": "http://emsp/r"}, "session_id"),
        (CommandType.UNLOCK_CONNECTOR, {"response_url": "http://emsp/r", "location_id": "1"}, "evse_uid"),
        (CommandType.UNLOCK_CONNECTOR, {"response_url": "http://emsp/r", "location_id": "1", "evse_uid": "2"},
         "connector_id"),
    ],
)  # fmt: skip
def test_parse_names_each_bad_field(command: CommandType, body: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as raised:
        parse(command, body)
    assert field in raised.value.errors


def test_a_body_that_is_no_object_is_refused() -> None:
    with pytest.raises(ValidationError):
        parse(CommandType.STOP_SESSION, ["STOP"])


def test_the_command_response_shape() -> None:
    assert Response(ResponseType.ACCEPTED, timeout=30).as_ocpi() == {"result": "ACCEPTED", "timeout": 30}
    refused = Response(ResponseType.REJECTED, "Unknown EVSE.", 30).as_ocpi()
    assert refused["message"] == [{"language": "en", "text": "Unknown EVSE."}]


def test_reservations_parse_their_expiry_and_id() -> None:
    body = _start(reservation_id="R1", expiry_date="2026-12-06T12:00:00Z")
    fields = parse(CommandType.RESERVE_NOW, body)
    assert fields["expiry_date"] == datetime(2026, 12, 6, 12, tzinfo=UTC) and fields["reservation_id"] == "R1"
    naive = parse(CommandType.RESERVE_NOW, {**body, "expiry_date": "2026-12-06T12:00:00"})
    assert naive["expiry_date"] == datetime(2026, 12, 6, 12, tzinfo=UTC)  # OCPI DateTimes are UTC
    with pytest.raises(ValidationError) as raised:
        parse(CommandType.RESERVE_NOW, {**body, "expiry_date": "noon", "reservation_id": ""})
    assert set(raised.value.errors) == {"expiry_date", "reservation_id"}
    cancel = parse(CommandType.CANCEL_RESERVATION, {"response_url": "http://emsp/r", "reservation_id": "R1"})
    assert cancel == {"response_url": "http://emsp/r", "reservation_id": "R1"}
