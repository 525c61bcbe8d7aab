"""The catalogue of CSMS->station commands (OCPP 1.6): each command's input fields and checks, and the payload
it sends, built from csms's own data.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from core.access.cards import normalize_uid
from core.access.tables import ChargingCard
from core.charging.authorization import AuthSource, authorize
from core.charging.sessions import OPEN_STATUSES, SessionStatus
from core.charging.tables import ChargingSession
from core.charging.transactions import record_authorization
from core.commands.tables import CommandRecord
from core.errors import Conflict, Message, NotFound, ValidationError
from core.settings import get_settings
from core.tenancy.actor import Actor
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


def parse_when(value: str, time_zone: str = "UTC") -> datetime | None:
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
    return None if parse_when(value) else Message("Enter a date and time (YYYY-MM-DD HH:MM).")


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
    when = parse_when(ctx.params.get("retrieve_date") or "", ctx.time_zone) or datetime.now(UTC)
    payload = {"location": ctx.params["location"], "retrieveDate": _ocpp_time(when)}
    return _optional(payload, retries=ctx.params.get("retries"), retryInterval=ctx.params.get("retry_interval"))


def upload_url(token: str) -> str:
    return f"{get_settings().public_url}{UPLOAD_PATH}{token}"


async def _get_diagnostics(ctx: CommandContext) -> dict[str, Any]:
    payload: dict[str, Any] = {"location": upload_url(ctx.upload_token)}
    for name, key in (("start_time", "startTime"), ("stop_time", "stopTime")):
        when = parse_when(ctx.params.get(name) or "", ctx.time_zone)
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


def charging_profile_payload(
    connector_id: int, profile_id: int, purpose: str, limit: Decimal | float, unit: str = "A", stack_level: int = 0
) -> dict[str, Any]:
    """SetChargingProfile.req: one constant limit from now on (the portal's command and load management)."""
    profile = {
        "chargingProfileId": profile_id,
        "stackLevel": stack_level,
        "chargingProfilePurpose": purpose,
        "chargingProfileKind": "Absolute",
        "chargingSchedule": {
            "startSchedule": _ocpp_time(datetime.now(UTC)),
            "chargingRateUnit": unit,
            "chargingSchedulePeriod": [{"startPeriod": 0, "limit": float(limit)}],
        },
    }
    return {"connectorId": connector_id, "csChargingProfiles": profile}


async def _set_charging_profile(ctx: CommandContext) -> dict[str, Any]:
    purpose = ctx.params["purpose"]
    connector = 0 if purpose == "ChargePointMaxProfile" else ctx.connector_id
    profile_id = ctx.params.get("profile_id") or ctx.record_id
    stack_level = ctx.params.get("stack_level") or 0
    return charging_profile_payload(
        connector, profile_id, purpose, ctx.params["limit"], ctx.params["unit"], stack_level
    )


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
