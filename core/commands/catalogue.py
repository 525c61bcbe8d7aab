"""CSMS->station commands (OCPP 1.6): the catalogue, input checks, payloads from our domain, the record.

Portal, REST API (and later OCPI and workers) call ``start_command`` / ``execute`` with an ``Actor``; the
command is checked (permission ``ocpp.commands``, tenant, input), written as a ``CommandRecord`` (pending),
sent through the registered ``StationCommands`` transport and its outcome stored on the record.

core knows nothing about websockets or Redis: ocpp_cs registers the transport (``register_transport``) at
start-up. It routes the call to the node holding the station's websocket and raises ``StationOffline``,
``CommandTimeout`` or ``StationCallError``; it also checks payloads against the OCPP JSON schemas.
"""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
import time
import uuid
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from core.authorization import AuthSource, authorize
from core.cards import normalize_uid
from core.charging import OPEN_STATUSES, SessionStatus, record_authorization
from core.context import Actor
from core.errors import Conflict, DomainError, Message, NotFound, ValidationError
from core.permissions import Permission
from core.settings import get_settings
from core.tables import ChargePoint, ChargingStation
from core.tables_charging import ChargingCard, ChargingSession
from core.tables_commands import CommandRecord
from core.validation import Field, FormSpec

log = logging.getLogger("csms.commands")

COMMAND_TIMEOUT = 30.0  # seconds a station has to answer
MAX_TIMEOUT = 120.0
UPLOAD_PATH = "/station-files/diagnostics/"


class CommandStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"  # the station answered Accepted (Unlocked, Scheduled, RebootRequired, or data)
    REJECTED = "rejected"  # the station answered, but said no (Rejected, NotSupported, UnlockFailed, ...)
    FAILED = "failed"  # the station answered with a CALLERROR, or the reply did not fit the schema
    TIMEOUT = "timeout"  # no answer in time
    OFFLINE = "offline"  # the station has no websocket on any node


FINAL_STATUSES = tuple(s for s in CommandStatus if s is not CommandStatus.PENDING)
# Reply "status" values that mean the station does what was asked.
_YES = {"Accepted", "Unlocked", "Scheduled", "RebootRequired"}


# --- the transport, filled in by ocpp_cs at start-up ----------------------------------------------------


class StationOffline(Exception):
    """No node holds a websocket of this station."""


class CommandTimeout(Exception):
    """The station did not answer in time."""


class StationCallError(Exception):
    """The station answered with a CALLERROR."""

    def __init__(self, code: str, description: str = "") -> None:
        super().__init__(f"{code}: {description}")
        self.code = code
        self.description = description


class StationCommands(Protocol):
    """Sends one OCPP call to a station wherever it is connected."""

    async def send(self, charge_box_id: str, action: str, payload: dict[str, Any], timeout: float) -> dict[str, Any]:
        """The reply payload; raises StationOffline, CommandTimeout or StationCallError."""
        ...

    def check_payload(self, action: str, payload: dict[str, Any]) -> str | None:
        """None when the request fits the OCPP schema, else what is wrong."""
        ...

    def check_reply(self, action: str, reply: dict[str, Any]) -> str | None:
        """None when the reply fits the OCPP schema, else what is wrong."""
        ...


_transport: StationCommands | None = None


def register_transport(transport: StationCommands | None) -> None:
    global _transport
    _transport = transport


def transport() -> StationCommands | None:
    return _transport


# --- the catalogue ------------------------------------------------------------------------------------


@dataclass
class CommandContext:
    actor: Actor
    station: dict[str, Any]
    charge_point: dict[str, Any] | None
    params: dict[str, Any]
    record_id: int
    upload_token: str = ""
    time_zone: str = "UTC"  # the station's location: a date and time without offset is local there
    # Set by a builder: run after the station answered (status, reply).
    after: Callable[[CommandStatus, dict[str, Any]], Awaitable[None]] | None = None

    @property
    def connector_id(self) -> int:
        return int(self.charge_point["evse_number"]) if self.charge_point else 0


Builder = Callable[[CommandContext], Awaitable[dict[str, Any]]]


@dataclass(frozen=True)
class Command:
    action: str  # OCPP action name
    label: str  # msgid
    spec: FormSpec
    build: Builder
    charge_point: str = "optional"  # "required" | "optional" (connector 0 = the whole station) | "none"
    slug: str = ""  # short name in URLs (start, stop, unlock, reset, ...)


def _ocpp_time(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _parse_when(value: str, time_zone: str = "UTC") -> datetime | None:
    """ISO date and time; without an offset it is local time at the station (its location's time zone)."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo:
        return parsed
    try:
        zone: Any = ZoneInfo(time_zone)
    except (ValueError, KeyError):
        zone = UTC
    return parsed.replace(tzinfo=zone)


def _check_when(value: str) -> Message | None:
    return None if _parse_when(value) else Message("Enter a date and time (YYYY-MM-DD HH:MM).")


def _check_url(value: str) -> Message | None:
    ok = re.match(r"^(https?|ftps?|sftp)://[^\s]+$", value or "")
    return None if ok else Message("Enter a URL (http, https, ftp or sftp).")


def _card_field(required: bool = True) -> Field:
    return Field("id_tag", required=required, max_length=40, label="Card uid (RFID, hex)")


def _limit_fields() -> tuple[Field, ...]:
    return (
        Field("retries", kind="int", min_value=0, max_value=10, label="Retries"),
        Field("retry_interval", kind="int", min_value=0, max_value=3600, label="Retry interval (s)"),
    )


def _optional(payload: dict[str, Any], **values: Any) -> dict[str, Any]:
    payload.update({k: v for k, v in values.items() if v not in (None, "", [])})
    return payload


async def _remote_start(ctx: CommandContext) -> dict[str, Any]:
    cp = ctx.charge_point
    assert cp is not None
    uid = normalize_uid(ctx.params["id_tag"])
    result = await authorize(ctx.station["tenant"], cp, uid, AuthSource.REMOTE)
    if not result.accepted:
        raise ValidationError(
            {"id_tag": Message("This card may not charge here (%(status)s).", {"status": result.status.value})}
        )
    authorization_id = await record_authorization(
        ctx.station["tenant"], ctx.station["id"], cp["id"], uid, AuthSource.REMOTE, result
    )

    async def expire_unless_accepted(status: CommandStatus, reply: dict[str, Any]) -> None:
        if status is not CommandStatus.ACCEPTED:  # the station will not start: no authorization left waiting
            await ChargingSession.update({ChargingSession.status: SessionStatus.EXPIRED.value}).where(
                (ChargingSession.id == authorization_id)
                & (ChargingSession.status == SessionStatus.AUTHORIZED.value)
            )

    ctx.after = expire_unless_accepted
    return {"connectorId": ctx.connector_id, "idTag": uid}


async def running_session(actor: Actor, charge_point_id: int) -> dict[str, Any] | None:
    """The open session on a charge point of the actor's tenants, if any."""
    return await (
        ChargingSession.select()
        .where(
            (ChargingSession.charge_point == charge_point_id)
            & ChargingSession.tenant.is_in(actor.scope)
            & ChargingSession.status.is_in([s.value for s in OPEN_STATUSES])
        )
        .order_by(ChargingSession.started_at, ascending=False)
        .first()
    )


async def _remote_stop(ctx: CommandContext) -> dict[str, Any]:
    session_id = ctx.params.get("session_id")
    if session_id:
        session = await (
            ChargingSession.select(ChargingSession.id, ChargingSession.status)
            .where((ChargingSession.id == session_id) & (ChargingSession.station == ctx.station["id"]))
            .first()
        )
        if session is None:
            raise ValidationError({"session_id": Message("No such session on this station.")})
    elif ctx.charge_point is not None:
        session = await running_session(ctx.actor, ctx.charge_point["id"])
    else:
        session = None
    if session is None or session["status"] not in [s.value for s in OPEN_STATUSES]:
        raise Conflict(Message("No session is running here."))
    return {"transactionId": int(session["id"])}


async def _connector_only(ctx: CommandContext) -> dict[str, Any]:
    return {"connectorId": ctx.connector_id}


async def _reset(ctx: CommandContext) -> dict[str, Any]:
    return {"type": ctx.params["type"]}


async def _change_availability(ctx: CommandContext) -> dict[str, Any]:
    return {"connectorId": ctx.connector_id, "type": ctx.params["type"]}


async def _change_configuration(ctx: CommandContext) -> dict[str, Any]:
    return {"key": ctx.params["key"], "value": ctx.params["value"]}


async def _get_configuration(ctx: CommandContext) -> dict[str, Any]:
    return _optional({}, key=ctx.params.get("keys"))


async def _empty(ctx: CommandContext) -> dict[str, Any]:
    return {}


async def _trigger_message(ctx: CommandContext) -> dict[str, Any]:
    payload: dict[str, Any] = {"requestedMessage": ctx.params["requested_message"]}
    if ctx.charge_point is not None:
        payload["connectorId"] = ctx.connector_id
    return payload


async def _update_firmware(ctx: CommandContext) -> dict[str, Any]:
    when = _parse_when(ctx.params.get("retrieve_date") or "", ctx.time_zone) or datetime.now(UTC)
    payload = {"location": ctx.params["location"], "retrieveDate": _ocpp_time(when)}
    return _optional(payload, retries=ctx.params.get("retries"), retryInterval=ctx.params.get("retry_interval"))


def upload_url(token: str) -> str:
    return f"{get_settings().public_url}{UPLOAD_PATH}{token}"


async def _get_diagnostics(ctx: CommandContext) -> dict[str, Any]:
    payload: dict[str, Any] = {"location": upload_url(ctx.upload_token)}
    for name, key in (("start_time", "startTime"), ("stop_time", "stopTime")):
        when = _parse_when(ctx.params.get(name) or "", ctx.time_zone)
        if when is not None:
            payload[key] = _ocpp_time(when)
    return _optional(payload, retries=ctx.params.get("retries"), retryInterval=ctx.params.get("retry_interval"))


def _id_tag_info(card: dict[str, Any], at: datetime) -> dict[str, Any]:
    valid_until = card.get("valid_until")
    if card["status"] != "ACTIVE":
        info: dict[str, Any] = {"status": "Blocked"}
    elif valid_until is not None and valid_until <= at:
        info = {"status": "Expired"}
    else:
        info = {"status": "Accepted"}
    if valid_until is not None:
        info["expiryDate"] = _ocpp_time(valid_until)
    return info


LOCAL_LIST_MAX = 1000


async def _send_local_list(ctx: CommandContext) -> dict[str, Any]:
    uids = [normalize_uid(t) for t in ctx.params.get("id_tags") or []]
    query = ChargingCard.select(ChargingCard.uid, ChargingCard.status, ChargingCard.valid_until).where(
        ChargingCard.tenant == ctx.station["tenant"]
    )
    if uids:
        query = query.where(ChargingCard.uid.is_in(uids))
    cards = {c["uid"]: c for c in await query.limit(LOCAL_LIST_MAX)}
    at = datetime.now(UTC)
    entries: list[dict[str, Any]] = []
    for uid in uids or sorted(cards):
        entry: dict[str, Any] = {"idTag": uid}
        if uid in cards:
            entry["idTagInfo"] = _id_tag_info(cards[uid], at)
        elif ctx.params["update_type"] == "Full":
            raise ValidationError({"id_tags": Message("Unknown card: %(value)s", {"value": uid})})
        entries.append(entry)  # a Differential entry without idTagInfo removes the tag from the list
    return {
        "listVersion": ctx.params["list_version"],
        "updateType": ctx.params["update_type"],
        "localAuthorizationList": entries,
    }


async def _reserve_now(ctx: CommandContext) -> dict[str, Any]:
    uid = normalize_uid(ctx.params["id_tag"])
    result = await authorize(ctx.station["tenant"], ctx.charge_point, uid, AuthSource.REMOTE)
    if result.status.value in ("Invalid", "Blocked", "Expired"):
        raise ValidationError(
            {"id_tag": Message("This card may not charge here (%(status)s).", {"status": result.status.value})}
        )
    expiry = datetime.now(UTC) + timedelta(minutes=int(ctx.params["expiry_minutes"]))
    # The reservation id comes from the database: it is this command's record id.
    return {"connectorId": ctx.connector_id, "expiryDate": _ocpp_time(expiry), "idTag": uid,
            "reservationId": ctx.record_id}  # fmt: skip


async def _cancel_reservation(ctx: CommandContext) -> dict[str, Any]:
    reservation_id = int(ctx.params["reservation_id"])
    exists = await CommandRecord.exists().where(
        (CommandRecord.id == reservation_id)
        & (CommandRecord.action == "ReserveNow")
        & (CommandRecord.station == ctx.station["id"])
    )
    if not exists:
        raise ValidationError({"reservation_id": Message("No such reservation on this station.")})
    return {"reservationId": reservation_id}


async def _set_charging_profile(ctx: CommandContext) -> dict[str, Any]:
    purpose = ctx.params["purpose"]
    connector = 0 if purpose == "ChargePointMaxProfile" else ctx.connector_id
    profile = {
        "chargingProfileId": ctx.params.get("profile_id") or ctx.record_id,
        "stackLevel": ctx.params.get("stack_level") or 0,
        "chargingProfilePurpose": purpose,
        "chargingProfileKind": "Absolute",
        "chargingSchedule": {
            "startSchedule": _ocpp_time(datetime.now(UTC)),
            "chargingRateUnit": ctx.params["unit"],
            "chargingSchedulePeriod": [{"startPeriod": 0, "limit": float(ctx.params["limit"])}],
        },
    }
    return {"connectorId": connector, "csChargingProfiles": profile}


async def _clear_charging_profile(ctx: CommandContext) -> dict[str, Any]:
    payload: dict[str, Any] = {}
    if ctx.charge_point is not None:
        payload["connectorId"] = ctx.connector_id
    return _optional(
        payload,
        id=ctx.params.get("profile_id"),
        chargingProfilePurpose=ctx.params.get("purpose"),
        stackLevel=ctx.params.get("stack_level"),
    )


async def _get_composite_schedule(ctx: CommandContext) -> dict[str, Any]:
    payload = {"connectorId": ctx.connector_id, "duration": ctx.params["duration"]}
    return _optional(payload, chargingRateUnit=ctx.params.get("unit"))


async def _data_transfer(ctx: CommandContext) -> dict[str, Any]:
    return _optional({"vendorId": ctx.params["vendor_id"]}, messageId=ctx.params.get("message_id"),
                     data=ctx.params.get("data"))  # fmt: skip


TRIGGERABLE = ("Heartbeat", "StatusNotification", "BootNotification", "MeterValues",
               "DiagnosticsStatusNotification", "FirmwareStatusNotification")  # fmt: skip
PURPOSES = ("TxDefaultProfile", "ChargePointMaxProfile")


def _spec(name: str, *fields: Field) -> FormSpec:
    return FormSpec(name, (Field("charge_point_id", kind="int", label="Charge point"), *fields))


_COMMANDS = (
    Command("RemoteStartTransaction", "Start charging", _spec("start", _card_field()), _remote_start,
            "required", "start"),
    Command("RemoteStopTransaction", "Stop charging",
            _spec("stop", Field("session_id", kind="int", label="Session")), _remote_stop, "optional", "stop"),
    Command("UnlockConnector", "Unlock", _spec("unlock"), _connector_only, "required", "unlock"),
    Command("Reset", "Restart", _spec("reset", Field("type", kind="choice", choices=("Soft", "Hard"),
            default="Soft", label="Type")), _reset, "none", "reset"),
    Command("ChangeAvailability", "Change availability",
            _spec("availability", Field("type", kind="choice", required=True, choices=("Operative", "Inoperative"),
                                        label="Availability")), _change_availability, "optional", "availability"),
    Command("ChangeConfiguration", "Change configuration",
            _spec("change_configuration", Field("key", required=True, max_length=50, label="Key"),
                  Field("value", required=True, max_length=500, label="Value")),
            _change_configuration, "none", "change-configuration"),
    Command("GetConfiguration", "Read configuration",
            _spec("get_configuration", Field("keys", kind="list", label="Keys")), _get_configuration, "none",
            "get-configuration"),
    Command("ClearCache", "Clear authorization cache", _spec("clear_cache"), _empty, "none", "clear-cache"),
    Command("TriggerMessage", "Trigger message",
            _spec("trigger", Field("requested_message", kind="choice", required=True, choices=TRIGGERABLE,
                                   label="Message")), _trigger_message, "optional", "trigger"),
    Command("UpdateFirmware", "Update firmware",
            _spec("firmware", Field("location", required=True, max_length=512, checks=(_check_url,),
                                    label="Firmware URL"),
                  Field("retrieve_date", max_length=40, checks=(_check_when,), label="Download from"),
                  *_limit_fields()), _update_firmware, "none", "update-firmware"),
    Command("GetDiagnostics", "Get diagnostics",
            _spec("diagnostics", Field("start_time", max_length=40, checks=(_check_when,), label="From"),
                  Field("stop_time", max_length=40, checks=(_check_when,), label="Until"), *_limit_fields()),
            _get_diagnostics, "none", "diagnostics"),
    Command("SendLocalList", "Send local list",
            _spec("local_list", Field("list_version", kind="int", required=True, min_value=1,
                                      max_value=2**31 - 1, label="List version"),
                  Field("update_type", kind="choice", choices=("Full", "Differential"), default="Full",
                        label="Update type"),
                  Field("id_tags", kind="list", label="Cards (empty: all cards)")),
            _send_local_list, "none", "send-local-list"),
    Command("GetLocalListVersion", "Read local list version", _spec("local_list_version"), _empty, "none",
            "local-list-version"),
    Command("ReserveNow", "Reserve",
            _spec("reserve", _card_field(), Field("expiry_minutes", kind="int", default=30, min_value=1,
                                                  max_value=1440, label="Reserved for (minutes)")),
            _reserve_now, "optional", "reserve"),
    Command("CancelReservation", "Cancel reservation",
            _spec("cancel_reservation", Field("reservation_id", kind="int", required=True, label="Reservation")),
            _cancel_reservation, "optional", "cancel-reservation"),
    Command("SetChargingProfile", "Set charging profile",
            _spec("set_profile", Field("limit", kind="decimal", required=True, min_value=0, max_value=1_000_000,
                                       label="Limit"),
                  Field("unit", kind="choice", choices=("A", "W"), default="A", label="Unit"),
                  Field("purpose", kind="choice", choices=PURPOSES, default="TxDefaultProfile", label="Purpose"),
                  Field("stack_level", kind="int", min_value=0, max_value=100, label="Stack level"),
                  Field("profile_id", kind="int", min_value=1, label="Profile id")),
            _set_charging_profile, "optional", "set-charging-profile"),
    Command("ClearChargingProfile", "Clear charging profile",
            _spec("clear_profile", Field("profile_id", kind="int", min_value=1, label="Profile id"),
                  Field("purpose", kind="choice", choices=(*PURPOSES, "TxProfile"), label="Purpose"),
                  Field("stack_level", kind="int", min_value=0, max_value=100, label="Stack level")),
            _clear_charging_profile, "optional", "clear-charging-profile"),
    Command("GetCompositeSchedule", "Composite schedule",
            _spec("composite", Field("duration", kind="int", required=True, min_value=1, max_value=7 * 86400,
                                     default=3600, label="Duration (s)"),
                  Field("unit", kind="choice", choices=("A", "W"), label="Unit")),
            _get_composite_schedule, "optional", "composite-schedule"),
    Command("DataTransfer", "Data transfer",
            _spec("data_transfer", Field("vendor_id", required=True, max_length=255, label="Vendor id"),
                  Field("message_id", max_length=50, label="Message id"),
                  Field("data", kind="text", max_length=10_000, label="Data")),
            _data_transfer, "none", "data-transfer"),
)  # fmt: skip
CATALOGUE: dict[str, Command] = {c.action: c for c in _COMMANDS}


def find_command(name: str) -> Command:
    """By OCPP action (``Reset``) or slug (``reset``, ``start``); unknown -> NotFound."""
    wanted = name.strip().lower().replace("_", "-")
    for command in _COMMANDS:
        if wanted in (command.action.lower(), command.slug):
            return command
    raise NotFound("command")


# --- running a command --------------------------------------------------------------------------------


def _now() -> datetime:
    return datetime.now(UTC)


async def stations_of_charge_points(actor: Actor, charge_point_ids: list[int]) -> list[int]:
    """The stations (of the actor's tenants) the given charge points belong to, each once."""
    if not charge_point_ids:
        return []
    rows = await ChargePoint.select(ChargePoint.station).where(
        ChargePoint.id.is_in(charge_point_ids[:5000]) & ChargePoint.tenant.is_in(actor.scope)
    )
    return sorted({int(row["station"]) for row in rows})


async def station_of(actor: Actor, station_id: int) -> dict[str, Any]:
    row = await (
        ChargingStation.select(ChargingStation.id, ChargingStation.tenant, ChargingStation.charge_box_id,
                               ChargingStation.connected,
                               ChargingStation.location.time_zone.as_alias("time_zone"))  # fmt: skip
        .where(
            (ChargingStation.id == station_id)
            & ChargingStation.tenant.is_in(actor.scope)
            & ChargingStation.decommissioned_at.is_null()
        )
        .first()
    )
    if row is None:
        raise NotFound("station")
    return row


async def _charge_point_of(actor: Actor, charge_point_id: int, station_id: int | None = None) -> dict[str, Any]:
    query = ChargePoint.select().where(
        (ChargePoint.id == charge_point_id)
        & ChargePoint.tenant.is_in(actor.scope)
        & ChargePoint.decommissioned_at.is_null()
    )
    if station_id is not None:
        query = query.where(ChargePoint.station == station_id)
    row = await query.first()
    if row is None:
        raise NotFound("charge_point")
    return row


@dataclass
class PreparedCommand:
    """A checked command with its pending record; ``run()`` sends it and stores the outcome."""

    record_id: int
    charge_box_id: str
    action: str
    payload: dict[str, Any]
    timeout: float
    after: Callable[[CommandStatus, dict[str, Any]], Awaitable[None]] | None = None
    _done: bool = field(default=False, repr=False)

    async def run(self) -> dict[str, Any]:
        if self._done:
            raise RuntimeError("a command runs once")
        self._done = True
        started = time.monotonic()
        status, result, message = await _send(self.charge_box_id, self.action, self.payload, self.timeout)
        if self.after is not None:
            try:
                await self.after(status, result)
            except Exception:
                log.exception("command %s: follow-up of %s failed", self.record_id, self.action)
        await CommandRecord.update(
            {
                CommandRecord.status: status.value,
                CommandRecord.result: result,
                CommandRecord.message: message,
                CommandRecord.duration_ms: int((time.monotonic() - started) * 1000),
                CommandRecord.finished_at: _now(),
            }
        ).where(CommandRecord.id == self.record_id)
        row = await _record(self.record_id)
        assert row is not None
        return row


async def _send(
    charge_box_id: str, action: str, payload: dict[str, Any], timeout: float
) -> tuple[CommandStatus, dict[str, Any], str]:
    bus = _transport
    if bus is None:
        return CommandStatus.OFFLINE, {}, Message("The OCPP central system is not running on this server.").msgid
    try:
        reply = await bus.send(charge_box_id, action, payload, timeout)
    except StationOffline:
        return CommandStatus.OFFLINE, {}, Message("The station is not connected.").msgid
    except (CommandTimeout, TimeoutError):
        return CommandStatus.TIMEOUT, {}, Message("The station did not answer in time.").msgid
    except StationCallError as exc:
        error = {"errorCode": exc.code, "description": exc.description}
        return CommandStatus.FAILED, error, Message("The station answered with an error.").msgid
    except Exception:
        log.exception("%s: sending %s failed", charge_box_id, action)
        return CommandStatus.FAILED, {}, Message("The command could not be sent.").msgid
    problem = bus.check_reply(action, reply)
    if problem is not None:
        return CommandStatus.FAILED, reply, f"The station's answer does not fit OCPP: {problem}"
    answer = reply.get("status")
    if answer is None or answer in _YES:
        return CommandStatus.ACCEPTED, reply, ""
    return CommandStatus.REJECTED, reply, ""


async def start_command(
    actor: Actor,
    name: str,
    raw: dict[str, Any],
    *,
    station_id: int | None = None,
    charge_point_id: int | None = None,
    timeout: float | None = None,
    job: str = "",
) -> PreparedCommand:
    """Check and record a command (status pending); the caller runs it now or in a task it keeps."""
    actor.require(Permission.OCPP_COMMANDS)
    command = find_command(name)
    raw = dict(raw)
    if charge_point_id is None and raw.get("charge_point_id") not in (None, ""):
        params_cp = command.spec.parse({"charge_point_id": raw["charge_point_id"]}, partial=True)
        charge_point_id = params_cp.get("charge_point_id")
    raw.pop("charge_point_id", None)
    charge_point: dict[str, Any] | None = None
    if charge_point_id is not None:
        if command.charge_point == "none":
            raise ValidationError({"charge_point_id": Message("This command applies to the whole station.")})
        charge_point = await _charge_point_of(actor, charge_point_id, station_id)
        station_id = int(charge_point["station"])
    if station_id is None:
        raise NotFound("station")
    station = await station_of(actor, station_id)
    params = command.spec.parse(raw)
    if command.charge_point == "required" and charge_point is None:
        raise ValidationError({"charge_point_id": Message("Choose a charge point.")})
    record = CommandRecord(
        tenant=station["tenant"],
        station=station["id"],
        charge_point=charge_point["id"] if charge_point else None,
        action=command.action,
        status=CommandStatus.PENDING.value,
        requested_by=actor.label[:200],
        user_id=actor.user_id,
        job=job,
        upload_token=secrets.token_urlsafe(24) if command.action == "GetDiagnostics" else "",
    )
    await record.save()
    ctx = CommandContext(actor, station, charge_point, params, int(record.id), upload_token=record.upload_token,
                         time_zone=station.get("time_zone") or "UTC")  # fmt: skip
    try:
        payload = await command.build(ctx)
        problem = _transport.check_payload(command.action, payload) if _transport is not None else None
        if problem is not None:
            raise ValidationError({"__all__": Message("The station would not accept this: %(detail)s",
                                                      {"detail": problem})})  # fmt: skip
    except BaseException:
        await CommandRecord.delete().where(CommandRecord.id == record.id)
        raise
    await CommandRecord.update({CommandRecord.payload: payload}).where(CommandRecord.id == record.id)
    wait = min(max(timeout or COMMAND_TIMEOUT, 0.1), MAX_TIMEOUT)
    return PreparedCommand(int(record.id), station["charge_box_id"], command.action, payload, wait, ctx.after)


async def execute(actor: Actor, name: str, raw: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """Check, record, send and wait for the outcome; returns the finished record."""
    prepared = await start_command(actor, name, raw, **kwargs)
    return await prepared.run()


async def expire_abandoned() -> None:
    """Commands left pending by a node that stopped mid-call: marked timeout once no node can still answer."""
    cutoff = _now() - timedelta(seconds=MAX_TIMEOUT + 60)
    await CommandRecord.update(
        {
            CommandRecord.status: CommandStatus.TIMEOUT.value,
            CommandRecord.message: Message("No result: the server stopped before the station answered.").msgid,
            CommandRecord.finished_at: _now(),
        }
    ).where((CommandRecord.status == CommandStatus.PENDING.value) & (CommandRecord.created_at < cutoff))


# Commands started by the portal run in tasks kept here (a task without a reference may be collected).
_background: set[asyncio.Task[Any]] = set()


def run_in_background(
    prepared: PreparedCommand, runner: Callable[[PreparedCommand], Coroutine[Any, Any, Any]] | None = None
) -> None:
    """Send without waiting; ``runner`` may wrap the run (a semaphore for bulk jobs)."""
    task: asyncio.Task[Any] = asyncio.get_running_loop().create_task(runner(prepared) if runner else prepared.run())
    _background.add(task)
    task.add_done_callback(_background.discard)


# What may be sent to many stations at once, and how many of them are called at the same time.
BULK_COMMANDS = ("Reset", "ClearCache", "TriggerMessage", "ChangeAvailability", "ChangeConfiguration", "UpdateFirmware")
BULK_PARALLEL = 10


async def start_bulk(actor: Actor, name: str, raw: dict[str, Any], station_ids: list[int]) -> str:
    """One command to many stations; returns the job id its records share.

    All or nothing: every station is checked (and its record made) before the first call goes out, so a
    foreign station or bad input refuses the whole job instead of leaving it half-sent.
    """
    errors: dict[str, Message] = {}
    if name not in BULK_COMMANDS:
        errors["command"] = Message("Choose a command.")
    if not station_ids:
        errors["station_id"] = Message("Choose at least one station.")
    if errors:
        raise ValidationError(errors)
    job = uuid.uuid4().hex[:16]
    prepared: list[PreparedCommand] = []
    try:
        for station_id in station_ids:
            prepared.append(await start_command(actor, name, raw, station_id=station_id, job=job))
    except DomainError:
        for item in prepared:
            await discard(actor, item.record_id)
        raise
    gate = asyncio.Semaphore(BULK_PARALLEL)

    async def run_one(item: PreparedCommand) -> None:
        async with gate:
            await item.run()

    for item in prepared:
        run_in_background(item, runner=run_one)
    return job


async def discard(actor: Actor, record_id: int) -> None:
    """Drop a prepared command that was never sent (its sibling in a bulk job failed the checks)."""
    actor.require(Permission.OCPP_COMMANDS)
    await CommandRecord.delete().where(
        (CommandRecord.id == record_id)
        & CommandRecord.tenant.is_in(actor.scope)
        & (CommandRecord.status == CommandStatus.PENDING.value)
    )


# --- reading records ----------------------------------------------------------------------------------

_RECORD_COLUMNS = (
    *CommandRecord.all_columns(),
    CommandRecord.station.charge_box_id.as_alias("charge_box_id"),
    CommandRecord.charge_point.evse_number.as_alias("evse_number"),
)


async def _record(record_id: int) -> dict[str, Any] | None:
    return await (
        CommandRecord.select(*_RECORD_COLUMNS).where(CommandRecord.id == record_id).output(load_json=True).first()
    )


def _can_read(actor: Actor) -> bool:
    return actor.can(Permission.OCPP_COMMANDS) or actor.can(Permission.OPERATIONS_TAB)


async def get_command(actor: Actor, record_id: int) -> dict[str, Any]:
    if not _can_read(actor):
        actor.require(Permission.OCPP_COMMANDS)
    row = await _record(record_id)
    if row is None or not actor.sees(row["tenant"]):
        raise NotFound("command")
    return row


async def list_commands(
    actor: Actor,
    *,
    station_id: int | None = None,
    charge_point_id: int | None = None,
    job: str | None = None,
    action: str | None = None,
    limit: int = 50,
) -> list[dict[str, Any]]:
    if not _can_read(actor):
        actor.require(Permission.OCPP_COMMANDS)
    query = CommandRecord.select(*_RECORD_COLUMNS).where(CommandRecord.tenant.is_in(actor.scope))
    if station_id is not None:
        query = query.where(CommandRecord.station == station_id)
    if charge_point_id is not None:
        query = query.where(CommandRecord.charge_point == charge_point_id)
    if job is not None:
        query = query.where(CommandRecord.job == job)
    if action is not None:
        query = query.where(CommandRecord.action == action)
    return await query.order_by(CommandRecord.id, ascending=False).limit(limit).output(load_json=True)


HEARTBEAT_WAIT = timedelta(seconds=10)


async def heartbeat_check(record: dict[str, Any]) -> dict[str, Any] | None:
    """The connectivity test (TriggerMessage Heartbeat) end to end: did the heartbeat arrive, and when.

    None for other commands; otherwise {"ms": milliseconds from sending until the heartbeat arrived or None,
    "waiting": True while it may still come}.
    """
    if record["action"] != "TriggerMessage" or (record["payload"] or {}).get("requestedMessage") != "Heartbeat":
        return None
    row = await ChargingStation.select(ChargingStation.last_heartbeat_at).where(
        ChargingStation.id == record["station"]
    ).first()
    arrived = row["last_heartbeat_at"] if row else None
    if arrived is not None and arrived >= record["created_at"]:
        return {"ms": int((arrived - record["created_at"]).total_seconds() * 1000), "waiting": False}
    finished = record["finished_at"]
    waiting = record["status"] == CommandStatus.PENDING.value or (
        record["status"] == CommandStatus.ACCEPTED.value and finished is not None and _now() - finished < HEARTBEAT_WAIT
    )
    return {"ms": None, "waiting": waiting}


async def active_reservations(actor: Actor, station_id: int) -> list[dict[str, Any]]:
    """Accepted ReserveNow commands of a station that have not expired or been cancelled."""
    reserved = await list_commands(actor, station_id=station_id, action="ReserveNow", limit=50)
    cancelled = {
        int(r["payload"].get("reservationId", 0))
        for r in await list_commands(actor, station_id=station_id, action="CancelReservation", limit=200)
        if r["status"] == CommandStatus.ACCEPTED.value
    }
    now = _now()
    active = []
    for row in reserved:
        expiry = _parse_when(str(row["payload"].get("expiryDate", "")))
        if row["status"] == CommandStatus.ACCEPTED.value and row["id"] not in cancelled and expiry and expiry > now:
            active.append({**row, "expiry": expiry})
    return active


# --- GetDiagnostics uploads ---------------------------------------------------------------------------

MAX_UPLOAD_BYTES = 100 * 1024 * 1024


def diagnostics_dir() -> Path:
    return get_settings().var_dir / "diagnostics"


def _safe_name(name: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9._-]", "_", Path(name or "").name)[:200].lstrip(".")
    return cleaned or "diagnostics"


async def store_diagnostics_upload(token: str, filename: str, data: bytes) -> bool:
    """A station uploads the file of a GetDiagnostics; False when the token belongs to no command."""
    if not token or len(token) > 64:
        return False
    row = await CommandRecord.select(CommandRecord.id, CommandRecord.result).where(
        (CommandRecord.upload_token == token) & (CommandRecord.action == "GetDiagnostics")
    ).output(load_json=True).first()
    if row is None:
        return False
    name = _safe_name(filename or (row["result"] or {}).get("fileName", ""))
    folder = diagnostics_dir()
    await asyncio.to_thread(folder.mkdir, parents=True, exist_ok=True)
    await asyncio.to_thread((folder / f"{row['id']}.bin").write_bytes, data)
    await CommandRecord.update(
        {CommandRecord.upload_name: name, CommandRecord.upload_size: len(data), CommandRecord.uploaded_at: _now()}
    ).where(CommandRecord.id == row["id"])
    return True


async def diagnostics_file(actor: Actor, record_id: int) -> tuple[Path, str]:
    """The uploaded diagnostics file of a command of the actor's tenants: (path, file name)."""
    actor.require(Permission.OPERATIONS_TAB)
    row = await get_command(actor, record_id)
    path = diagnostics_dir() / f"{record_id}.bin"
    if row["uploaded_at"] is None or not path.exists():
        raise NotFound("diagnostics")
    return path, row["upload_name"] or "diagnostics"

