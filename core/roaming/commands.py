"""A partner's OCPI commands at csms's charge points (OCPI 2.2.1 mod_commands, CPO receiver), carried out with the
OCPP command machinery (core.commands).

The partner gets a CommandResponse at once: REJECTED for a charge point it may not use (core.roaming.visibility),
a Token of a party it does not speak for (core.roaming.tokens.may_push_for) or a station that is not connected;
UNKNOWN_SESSION for a session that is not one of its drivers'. An ACCEPTED command is sent to the station in a
task of the node that received it (the command bus reaches the station on any node); once the station answered, or
the OCPP wait ran out, the CommandResult is POSTed to the partner's ``response_url``. Reservations are kept per
partner (PartnerReservation) to map its ``reservation_id`` to the OCPP ``reservationId``.

START_SESSION records a pending AUTHORIZED session with the partner's terms (CdrToken of the command's Token, its
``authorization_reference``) before the RemoteStartTransaction: the station's StartTransaction picks it up
(core.charging.transactions) and is attributed to the partner, also after csms reported TIMEOUT (the pending
session waits core.charging.sessions.AUTHORIZATION_TTL). OCPP 1.6 idTags have 20 characters: a longer token uid is
sent as a tag derived from it (``ocpp_id_tag``); the pending session keeps the uid in its CdrToken.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Protocol
from urllib.parse import urlparse

from core.access.cards import normalize_uid
from core.charging.authorization import AuthResult, AuthSource, AuthStatus
from core.charging.sessions import OPEN_STATUSES, SessionStatus
from core.charging.tables import ChargingSession
from core.charging.transactions import record_authorization
from core.commands.catalogue import CommandStatus
from core.commands.running import PreparedCommand, prepare_call, run_in_background
from core.errors import Message, ValidationError
from core.infrastructure.tables import ChargePoint
from core.roaming.offer import partner_ref
from core.roaming.tables import PartnerReservation
from core.roaming.token_auth import cdr_token
from core.roaming.tokens import may_push_for
from core.roaming.visibility import may_see
from core.settings import get_settings


class CommandType(StrEnum):
    START_SESSION = "START_SESSION"
    STOP_SESSION = "STOP_SESSION"
    UNLOCK_CONNECTOR = "UNLOCK_CONNECTOR"
    RESERVE_NOW = "RESERVE_NOW"
    CANCEL_RESERVATION = "CANCEL_RESERVATION"


class ResponseType(StrEnum):
    """OCPI CommandResponseType: csms's immediate answer."""

    ACCEPTED = "ACCEPTED"
    REJECTED = "REJECTED"
    UNKNOWN_SESSION = "UNKNOWN_SESSION"
    NOT_SUPPORTED = "NOT_SUPPORTED"


class ResultType(StrEnum):
    """OCPI CommandResultType: what the station did."""

    ACCEPTED = "ACCEPTED"
    CANCELED_RESERVATION = "CANCELED_RESERVATION"
    EVSE_OCCUPIED = "EVSE_OCCUPIED"
    EVSE_INOPERATIVE = "EVSE_INOPERATIVE"
    FAILED = "FAILED"
    NOT_SUPPORTED = "NOT_SUPPORTED"
    REJECTED = "REJECTED"
    TIMEOUT = "TIMEOUT"
    UNKNOWN_RESERVATION = "UNKNOWN_RESERVATION"


# A station's refusal, by OCPP action and reply status, when it means more than REJECTED.
_REFUSALS: dict[tuple[str, str], ResultType] = {
    ("UnlockConnector", "UnlockFailed"): ResultType.FAILED,
    ("UnlockConnector", "NotSupported"): ResultType.NOT_SUPPORTED,
    ("ReserveNow", "Occupied"): ResultType.EVSE_OCCUPIED,
    ("ReserveNow", "Faulted"): ResultType.EVSE_INOPERATIVE,
    ("ReserveNow", "Unavailable"): ResultType.EVSE_INOPERATIVE,
    ("CancelReservation", "Rejected"): ResultType.UNKNOWN_RESERVATION,
}


def result_of(action: str, status: CommandStatus, reply: dict[str, Any]) -> ResultType:
    """The CommandResult of an OCPP command's outcome (core.commands: status and the station's reply)."""
    if status is CommandStatus.ACCEPTED:
        return ResultType.ACCEPTED
    if status is CommandStatus.TIMEOUT:
        return ResultType.TIMEOUT
    if status is CommandStatus.REJECTED:
        return _REFUSALS.get((action, str(reply.get("status"))), ResultType.REJECTED)
    if status is CommandStatus.FAILED and reply.get("errorCode") in ("NotImplemented", "NotSupported"):
        return ResultType.NOT_SUPPORTED
    return ResultType.FAILED  # a CALLERROR, a reply that does not fit OCPP, or the station went offline


OCPP_ID_TAG_LENGTH = 20


def ocpp_id_tag(uid: str) -> str:
    """The OCPP 1.6 idTag a token uid is sent as: the uid itself when the station can carry it unchanged (csms
    compares id tags normalized, core.access.cards.normalize_uid), else 20 hex digits derived from it."""
    stripped = uid.strip()
    if normalize_uid(stripped) == stripped.upper() and 0 < len(stripped) <= OCPP_ID_TAG_LENGTH:
        return stripped.upper()
    return hashlib.sha256(stripped.encode()).hexdigest()[:OCPP_ID_TAG_LENGTH].upper()


@dataclass(frozen=True)
class Response:
    result: ResponseType
    message: str = ""  # English, for the partner's log
    timeout: int = 0

    def as_ocpi(self) -> dict[str, Any]:
        data: dict[str, Any] = {"result": self.result.value, "timeout": self.timeout}
        if self.message:
            data["message"] = [{"language": "en", "text": self.message}]
        return data


# --- validation: the body of each command (OCPI 2.2.1 mod_commands objects) --------------------------------------


def _text(body: dict[str, Any], name: str, max_length: int, errors: dict[str, Message], required: bool = True) -> str:
    value = body.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or not value.strip() or len(value) > max_length:
        errors[name] = Message("A string of at most %(n)s characters is required.", {"n": max_length})
        return ""
    return value.strip()


def _url(body: dict[str, Any], errors: dict[str, Message]) -> str:
    url = _text(body, "response_url", 255, errors)
    if url and (urlparse(url).scheme not in ("http", "https") or not urlparse(url).netloc):
        errors["response_url"] = Message("An http(s) URL is required.")
    return url


def _token(body: dict[str, Any], errors: dict[str, Message]) -> dict[str, Any]:
    token = body.get("token")
    if not isinstance(token, dict):
        errors["token"] = Message("A Token object is required.")
        return {}
    inner: dict[str, Message] = {}
    for name, length in (("country_code", 2), ("party_id", 3), ("uid", 36), ("type", 20), ("contract_id", 36)):
        _text(token, name, length, inner)
    errors.update({f"token.{name}": message for name, message in inner.items()})
    return token


def _when(body: dict[str, Any], name: str, errors: dict[str, Message]) -> datetime | None:
    value = body.get(name)
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00")) if isinstance(value, str) else None
    except ValueError:
        parsed = None
    if parsed is None:
        errors[name] = Message("A date and time (RFC 3339, UTC) is required.")
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)  # OCPI DateTimes are UTC


def parse(command: CommandType, body: Any) -> dict[str, Any]:
    """The fields of a command csms uses, checked; ValidationError names each bad one."""
    if not isinstance(body, dict):
        raise ValidationError({"__all__": Message("The body must be a JSON object.")})
    errors: dict[str, Message] = {}
    fields: dict[str, Any] = {"response_url": _url(body, errors)}
    if command in (CommandType.RESERVE_NOW, CommandType.CANCEL_RESERVATION):
        fields["reservation_id"] = _text(body, "reservation_id", 36, errors)
    if command is CommandType.RESERVE_NOW:
        fields["expiry_date"] = _when(body, "expiry_date", errors)
    if command is CommandType.STOP_SESSION:
        fields["session_id"] = _text(body, "session_id", 36, errors)
    elif command is not CommandType.CANCEL_RESERVATION:
        fields["location_id"] = _text(body, "location_id", 36, errors)
        fields["evse_uid"] = _text(body, "evse_uid", 36, errors, required=command is CommandType.UNLOCK_CONNECTOR)
        fields["connector_id"] = _text(body, "connector_id", 36, errors,
                                       required=command is CommandType.UNLOCK_CONNECTOR)  # fmt: skip
    if command in (CommandType.START_SESSION, CommandType.RESERVE_NOW):
        fields["token"] = _token(body, errors)
        fields["authorization_reference"] = _text(body, "authorization_reference", 36, errors, required=False)
    if errors:
        raise ValidationError(errors)
    return fields


# --- carrying a command out ---------------------------------------------------------------------------------------


class ResultLink(Protocol):
    async def post_command_result(
        self, partner: dict[str, Any], url: str, result: dict[str, Any], routing: dict[str, str]
    ) -> bool:
        """POST the CommandResult to the partner's response_url; False when it did not take it."""
        ...


_link: ResultLink | None = None


def register_link(link: ResultLink | None) -> None:
    """csms wires hub.client's CommandResult POST here at start-up."""
    global _link
    _link = link


def _timeout() -> int:
    return get_settings().ocpi_command_timeout


# What the partner is told to wait beyond the station's time: the command bus's way back from another node and the
# POST of the CommandResult.
RESULT_MARGIN_SECONDS = 10


def _promised() -> int:
    return _timeout() + RESULT_MARGIN_SECONDS


def _refused(result: ResponseType, message: str) -> Response:
    return Response(result, message, _promised())


_STATION_COLUMNS = (
    ChargePoint.id,
    ChargePoint.evse_number,
    ChargePoint.station.as_alias("station_id"),
    ChargePoint.station.tenant.as_alias("tenant"),
    ChargePoint.station.charge_box_id.as_alias("charge_box_id"),
    ChargePoint.station.connected.as_alias("connected"),
    ChargePoint.station.location.as_alias("location_id"),
)


async def _charge_point(partner: dict[str, Any], location_id: str, evse_uid: str) -> dict[str, Any] | None:
    """The charge point (EVSE uid = its id) at the location, when the partner may use it."""
    if not evse_uid.isdigit() or not location_id.isdigit():
        return None
    row = await (
        ChargePoint.select(*_STATION_COLUMNS)
        .where(
            (ChargePoint.id == int(evse_uid))
            & ChargePoint.decommissioned_at.is_null()
            & ChargePoint.station.decommissioned_at.is_null()
        )
        .first()
    )
    if row is None or str(row["location_id"]) != location_id or not await may_see(partner_ref(partner), row["id"]):
        return None
    return row


def _station(row: dict[str, Any]) -> dict[str, Any]:
    return {"id": row["station_id"], "tenant": row["tenant"], "charge_box_id": row["charge_box_id"]}


async def receive(partner: dict[str, Any], name: str, body: Any, routing: dict[str, str]) -> Response:
    """A partner's command: the CommandResponse; an accepted one runs on in a task that POSTs its CommandResult.
    ``routing``: the OCPI routing headers of the CommandResult (from csms's party to the partner's)."""
    try:
        command = CommandType(name.upper())
    except ValueError:
        return _refused(ResponseType.NOT_SUPPORTED, "Unknown command.")
    fields = parse(command, body)
    starter = _STARTERS[command]
    outcome = await starter(partner, fields)
    if isinstance(outcome, Response):
        return outcome
    run_in_background(outcome, runner=lambda prepared: _report(prepared, partner, fields["response_url"], routing))
    return Response(ResponseType.ACCEPTED, timeout=_promised())


async def _report(prepared: PreparedCommand, partner: dict[str, Any], url: str, routing: dict[str, str]) -> None:
    record = await prepared.run()
    result = result_of(prepared.action, CommandStatus(record["status"]), record["result"] or {})
    if _link is not None:
        await _link.post_command_result(partner, url, {"result": result.value}, routing)


Starter = Callable[[dict[str, Any], dict[str, Any]], Awaitable["PreparedCommand | Response"]]


def _requested_by(partner: dict[str, Any]) -> str:
    return f"OCPI: {partner['name']}"


async def _token_and_evse(partner: dict[str, Any], fields: dict[str, Any]) -> dict[str, Any] | Response:
    """The charge point a START_SESSION or RESERVE_NOW is for, or why it is refused."""
    token = fields["token"]
    if not may_push_for(partner, token["country_code"], token["party_id"]):
        return _refused(ResponseType.REJECTED, "The token belongs to a party this connection does not speak for.")
    if token.get("valid") is False:
        return _refused(ResponseType.REJECTED, "The token is not valid.")
    if not fields["evse_uid"]:
        return _refused(ResponseType.REJECTED, "Name the EVSE (evse_uid).")
    row = await _charge_point(partner, fields["location_id"], fields["evse_uid"])
    if row is None:
        return _refused(ResponseType.REJECTED, "Unknown EVSE.")
    if not row["connected"]:
        return _refused(ResponseType.REJECTED, "The station is not connected.")
    return row


async def _start_session(partner: dict[str, Any], fields: dict[str, Any]) -> PreparedCommand | Response:
    row = await _token_and_evse(partner, fields)
    if isinstance(row, Response):
        return row
    token = fields["token"]
    id_tag = ocpp_id_tag(token["uid"])
    held = cdr_token(token)
    terms = AuthResult(AuthStatus.ACCEPTED, "roaming_remote_start", roaming_partner_id=partner["id"],
                       roaming_contract_id=str(token["contract_id"])[:36],
                       authorization_reference=fields["authorization_reference"], roaming_token=held)  # fmt: skip
    pending = await record_authorization(row["tenant"], row["station_id"], row["id"], id_tag, AuthSource.REMOTE, terms)

    async def expire_if_refused(status: CommandStatus, reply: dict[str, Any]) -> None:
        # After a TIMEOUT the station may still start: the pending session stays to attribute that start.
        if status not in (CommandStatus.ACCEPTED, CommandStatus.TIMEOUT):
            await ChargingSession.update({ChargingSession.status: SessionStatus.EXPIRED.value}).where(
                (ChargingSession.id == pending) & (ChargingSession.status == SessionStatus.AUTHORIZED.value)
            )

    payload = {"connectorId": int(row["evse_number"]), "idTag": id_tag}
    return await prepare_call(_station(row), row["id"], "RemoteStartTransaction", payload, _requested_by(partner),
                              _timeout(), expire_if_refused)  # fmt: skip


async def _stop_session(partner: dict[str, Any], fields: dict[str, Any]) -> PreparedCommand | Response:
    session_id = fields["session_id"]
    session = None
    if session_id.isdigit():
        session = await (
            ChargingSession.select(
                ChargingSession.id,
                ChargingSession.status,
                ChargingSession.charge_point,
                ChargingSession.station.as_alias("station_id"),
                ChargingSession.tenant,
                ChargingSession.station.charge_box_id.as_alias("charge_box_id"),
                ChargingSession.station.connected.as_alias("connected"),
            )  # fmt: skip
            .where((ChargingSession.id == int(session_id)) & (ChargingSession.roaming_partner_id == partner["id"]))
            .first()
        )
    if session is None:
        return _refused(ResponseType.UNKNOWN_SESSION, "Unknown session.")
    if session["status"] not in [s.value for s in OPEN_STATUSES]:
        return _refused(ResponseType.REJECTED, "The session has ended.")
    if not session["connected"]:
        return _refused(ResponseType.REJECTED, "The station is not connected.")
    return await prepare_call(_station(session), session["charge_point"], "RemoteStopTransaction",
                              {"transactionId": int(session["id"])}, _requested_by(partner), _timeout())  # fmt: skip


async def _unlock_connector(partner: dict[str, Any], fields: dict[str, Any]) -> PreparedCommand | Response:
    row = await _charge_point(partner, fields["location_id"], fields["evse_uid"])
    if row is None:
        return _refused(ResponseType.REJECTED, "Unknown EVSE.")
    if not row["connected"]:
        return _refused(ResponseType.REJECTED, "The station is not connected.")
    return await prepare_call(_station(row), row["id"], "UnlockConnector", {"connectorId": int(row["evse_number"])},
                              _requested_by(partner), _timeout())  # fmt: skip


def _ocpp_time(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _reservation_key(partner: dict[str, Any], reservation_id: str) -> str:
    return f"{partner['id']}|{reservation_id.upper()}"  # reservation_id is a CiString


async def _reserve_now(partner: dict[str, Any], fields: dict[str, Any]) -> PreparedCommand | Response:
    row = await _token_and_evse(partner, fields)
    if isinstance(row, Response):
        return row
    expiry: datetime = fields["expiry_date"]
    if expiry <= datetime.now(UTC):
        return _refused(ResponseType.REJECTED, "The expiry date has passed.")
    key = _reservation_key(partner, fields["reservation_id"])
    earlier = await PartnerReservation.select().where(PartnerReservation.key == key).first()
    token = fields["token"]
    chosen: dict[str, int] = {}

    def payload(record_id: int) -> dict[str, Any]:
        # The same reservation_id again replaces the reservation (OCPI); the station replaces it by its OCPP id.
        same = earlier is not None and earlier["station"] == row["station_id"]
        chosen["id"] = int(earlier["ocpp_reservation_id"]) if same and earlier else record_id
        return {"connectorId": int(row["evse_number"]), "expiryDate": _ocpp_time(expiry),
                "idTag": ocpp_id_tag(token["uid"]), "reservationId": chosen["id"]}  # fmt: skip

    async def keep_if_accepted(status: CommandStatus, reply: dict[str, Any]) -> None:
        if status is not CommandStatus.ACCEPTED:
            return
        await PartnerReservation.delete().where(PartnerReservation.key == key)
        await PartnerReservation(partner=partner["id"], key=key, reservation_id=fields["reservation_id"],
                                 ocpp_reservation_id=chosen["id"], station=row["station_id"],
                                 evse_number=int(row["evse_number"]), token=cdr_token(token),
                                 expiry_date=expiry).save()  # fmt: skip

    return await prepare_call(_station(row), row["id"], "ReserveNow", payload, _requested_by(partner), _timeout(),
                              keep_if_accepted)  # fmt: skip


async def _cancel_reservation(partner: dict[str, Any], fields: dict[str, Any]) -> PreparedCommand | Response:
    key = _reservation_key(partner, fields["reservation_id"])
    reservation = await (
        PartnerReservation.select(
            PartnerReservation.ocpp_reservation_id,
            PartnerReservation.station.as_alias("station_id"),
            PartnerReservation.station.tenant.as_alias("tenant"),
            PartnerReservation.station.charge_box_id.as_alias("charge_box_id"),
            PartnerReservation.station.connected.as_alias("connected"),
        )  # fmt: skip
        .where(PartnerReservation.key == key)
        .first()
    )
    if reservation is None:
        return _refused(ResponseType.REJECTED, "Unknown reservation.")
    if not reservation["connected"]:
        return _refused(ResponseType.REJECTED, "The station is not connected.")

    async def forget_if_cancelled(status: CommandStatus, reply: dict[str, Any]) -> None:
        if status is CommandStatus.ACCEPTED:
            await PartnerReservation.delete().where(PartnerReservation.key == key)

    payload = {"reservationId": int(reservation["ocpp_reservation_id"])}
    return await prepare_call(_station(reservation), None, "CancelReservation", payload, _requested_by(partner),
                              _timeout(), forget_if_cancelled)  # fmt: skip


async def prune_reservations(at: datetime | None = None) -> int:
    """Forgets the reservations that are over (hourly housekeeping, workers/schedules.py): expired, or used by a
    session the station started with their OCPP ``reservationId`` since they were made. A CANCEL_RESERVATION for
    one is then refused as unknown, and a RESERVE_NOW with its ``reservation_id`` makes a new one. Safe to run in
    several processes at once; returns how many it removed."""
    at = at or datetime.now(UTC)
    over = {row["id"] for row in await PartnerReservation.select(PartnerReservation.id).where(
        PartnerReservation.expiry_date < at)}  # fmt: skip
    running = await PartnerReservation.select(
        PartnerReservation.id, PartnerReservation.station, PartnerReservation.ocpp_reservation_id,
        PartnerReservation.created_at,
    ).where(PartnerReservation.expiry_date >= at)  # fmt: skip
    if running:
        used = await ChargingSession.select(
            ChargingSession.station, ChargingSession.reservation_id, ChargingSession.created_at
        ).where(
            ChargingSession.station.is_in(list({r["station"] for r in running}))
            & ChargingSession.reservation_id.is_in(list({r["ocpp_reservation_id"] for r in running}))
        )
        for reservation in running:
            if any((s["station"], s["reservation_id"]) == (reservation["station"], reservation["ocpp_reservation_id"])
                   and s["created_at"] >= reservation["created_at"] for s in used):  # fmt: skip
                over.add(reservation["id"])
    if over:
        await PartnerReservation.delete().where(PartnerReservation.id.is_in(sorted(over)))
    return len(over)


_STARTERS: dict[CommandType, Starter] = {
    CommandType.START_SESSION: _start_session,
    CommandType.STOP_SESSION: _stop_session,
    CommandType.UNLOCK_CONNECTOR: _unlock_connector,
    CommandType.RESERVE_NOW: _reserve_now,
    CommandType.CANCEL_RESERVATION: _cancel_reservation,
}
