"""Running commands: checked, recorded and sent, one at a time or in bulk, and the records read back.

Portal, REST API (and later OCPI and workers) call ``start_command`` / ``execute`` with an ``Actor``; the
command is checked (permission ``ocpp.commands``, tenant, input), written as a ``CommandRecord`` (pending),
sent through the registered transport (core.commands.transport) and its outcome stored on the record.
"""

from __future__ import annotations

import asyncio
import secrets
import time
import uuid
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from core.commands.catalogue import (
    COMMAND_TIMEOUT,
    MAX_TIMEOUT,
    CommandContext,
    CommandStatus,
    find_command,
    log,
    parse_when,
)
from core.commands.tables import CommandRecord
from core.commands.transport import CommandTimeout, StationCallError, StationOffline, transport
from core.errors import DomainError, Message, NotFound, ValidationError
from core.infrastructure.tables import ChargePoint, ChargingStation
from core.tenancy.actor import Actor
from core.tenancy.permissions import Permission

# Reply "status" values that mean the station does what was asked.
_YES = {"Accepted", "Unlocked", "Scheduled", "RebootRequired"}


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
    bus = transport()
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
        bus = transport()
        problem = bus.check_payload(command.action, payload) if bus is not None else None
        if problem is not None:
            raise ValidationError({"__all__": Message("The station would not accept this: %(detail)s",
                                                      {"detail": problem})})  # fmt: skip
    except BaseException:
        await CommandRecord.delete().where(CommandRecord.id == record.id)
        raise
    await CommandRecord.update({CommandRecord.payload: payload}).where(CommandRecord.id == record.id)
    wait = min(max(timeout or COMMAND_TIMEOUT, 0.1), MAX_TIMEOUT)
    return PreparedCommand(int(record.id), station["charge_box_id"], command.action, payload, wait, ctx.after)


async def prepare_call(
    station: dict[str, Any],
    charge_point_id: int | None,
    action: str,
    payload: dict[str, Any] | Callable[[int], dict[str, Any]],
    requested_by: str,
    timeout: float,
    after: Callable[[CommandStatus, dict[str, Any]], Awaitable[None]] | None = None,
) -> PreparedCommand:
    """A command built by another domain (a roaming partner's OCPI command) with its pending record, checked against
    the OCPP schema like the catalogue's; ``station``: id, tenant, charge_box_id. ``payload`` may be built from the
    record's id (an OCPP reservationId comes from the database). Raises ValidationError."""
    record = CommandRecord(
        tenant=station["tenant"], station=station["id"], charge_point=charge_point_id, action=action,
        status=CommandStatus.PENDING.value, requested_by=requested_by[:200],
    )  # fmt: skip
    await record.save()
    built = payload(int(record.id)) if callable(payload) else payload
    bus = transport()
    problem = bus.check_payload(action, built) if bus is not None else None
    if problem is not None:
        await CommandRecord.delete().where(CommandRecord.id == record.id)
        raise ValidationError({"__all__": Message("The station would not accept this: %(detail)s",
                                                  {"detail": problem})})  # fmt: skip
    await CommandRecord.update({CommandRecord.payload: built}).where(CommandRecord.id == record.id)
    wait = min(max(timeout, 0.1), MAX_TIMEOUT)
    return PreparedCommand(int(record.id), station["charge_box_id"], action, built, wait, after)


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
        expiry = parse_when(str(row["payload"].get("expiryDate", "")))
        if row["status"] == CommandStatus.ACCEPTED.value and row["id"] not in cancelled and expiry and expiry > now:
            active.append({**row, "expiry": expiry})
    return active
