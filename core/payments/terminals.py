"""Payment terminals (Bezahlterminals): card terminals at a site, like the vaylensPay iM30, that serve up to 100
stations of their operator.

How a terminal start reaches csms: the terminal (or its payment backend) authorises the driver's card itself, then
asks csms over the REST API (``POST /api/v1/terminals/{id}/start`` with the charge point) to start the charge point.
csms gives that payment its own idTag, ``TRM`` + the terminal's tag code + a per-payment part, records the
authorization with the auth source ``TERMINAL`` and sends RemoteStartTransaction. When the station sends
StartTransaction with that idTag, core.charging.authorization asks this module's check (``authorize_terminal_tag``,
wired by csms like the Direct Payment check): the idTag is accepted at the stations the active terminal serves and
nowhere else, before any card is looked for. The session keeps the auth source, so charging data and the CDR show
it; the terminal's sessions are those whose idTag carries its tag code.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from core.charging.authorization import OPEN_SESSION_STATUSES, AuthResult, AuthSource, AuthStatus, authorize
from core.charging.sessions import SessionStatus
from core.charging.tables import ChargingSession
from core.charging.transactions import record_authorization
from core.commands.catalogue import COMMAND_TIMEOUT, CommandStatus
from core.commands.running import prepare_call
from core.db import columns, transaction
from core.errors import Message, NotFound, ValidationError
from core.infrastructure.tables import ChargePoint, ChargingStation
from core.payments.tables import PaymentTerminal, TerminalStation
from core.tenancy import audit
from core.tenancy.actor import Actor
from core.tenancy.permissions import Permission
from core.validation import Field, FormSpec

MAX_STATIONS = 100  # what the iM30 can serve (15 to 20 are its sweet spot)
ID_TAG_PREFIX = "TRM"
MODELS = ("vaylensPay iM30",)

TERMINAL_SPEC = FormSpec(
    "terminal",
    (
        Field("name", required=True, max_length=255, label="Name"),
        Field("serial_number", required=True, max_length=64, label="Serial number"),
        Field("model", required=True, max_length=64, default=MODELS[0], label="Model"),
        Field("notes", kind="text", max_length=500, label="Location / notes"),
        Field("active", kind="bool", default=True, label="Active"),
    ),
)


def now() -> datetime:
    return datetime.now(UTC)


# --- pure rules -------------------------------------------------------------------------------------------------


def attach_problems(station_ids: Iterable[int], known_ids: Iterable[int]) -> dict[str, Message]:
    """Why a terminal may not serve exactly these stations: one that is not the terminal's operator's (or does not
    exist: the two look the same, so no other operator's station is revealed), or more than MAX_STATIONS."""
    wanted, known = set(station_ids), set(known_ids)
    if wanted - known:
        return {"stations": Message("Unknown station.")}
    if len(wanted) > MAX_STATIONS:
        return {
            "stations": Message(
                "A terminal serves at most %(max)s stations (%(count)s chosen).",
                {"max": MAX_STATIONS, "count": len(wanted)},
            )
        }
    return {}


def id_tag_for(tag_code: str, payment_part: str) -> str:
    """The OCPP idTag of one terminal payment (at most 20 characters, uppercase like every normalised idTag)."""
    return f"{ID_TAG_PREFIX}{tag_code}{payment_part}".upper()[:20]


def tag_code_of(id_tag: str) -> str | None:
    """The terminal's tag code in an idTag, None for an idTag that is no terminal's."""
    if not id_tag.startswith(ID_TAG_PREFIX) or len(id_tag) < len(ID_TAG_PREFIX) + 6:
        return None
    return id_tag[len(ID_TAG_PREFIX) : len(ID_TAG_PREFIX) + 6]


# --- terminals ----------------------------------------------------------------------------------------------------


async def list_terminals(actor: Actor) -> list[dict[str, Any]]:
    actor.require(Permission.INFRASTRUCTURE_VIEW)
    rows = await (
        PaymentTerminal.select()
        .where(PaymentTerminal.tenant.is_in(actor.scope))
        .order_by(PaymentTerminal.name)
        .order_by(PaymentTerminal.id)
    )
    counts: dict[int, int] = {}
    if rows:
        links = await TerminalStation.select(TerminalStation.terminal).where(
            TerminalStation.terminal.is_in([r["id"] for r in rows])
        )
        for link in links:
            counts[link["terminal"]] = counts.get(link["terminal"], 0) + 1
    return [{**row, "station_count": counts.get(row["id"], 0)} for row in rows]


async def _terminal_in_scope(actor: Actor, terminal_id: int) -> dict[str, Any]:
    row = await (
        PaymentTerminal.select()
        .where((PaymentTerminal.id == terminal_id) & PaymentTerminal.tenant.is_in(actor.scope))
        .first()
    )
    if row is None:
        raise NotFound("terminal")
    return row


async def get_terminal(actor: Actor, terminal_id: int) -> dict[str, Any]:
    actor.require(Permission.INFRASTRUCTURE_VIEW)
    return await _terminal_in_scope(actor, terminal_id)


async def _unique_tag_code() -> str:
    while True:
        code = secrets.token_hex(3).upper()
        if not await PaymentTerminal.exists().where(PaymentTerminal.tag_code == code):
            return code


async def create_terminal(actor: Actor, raw: dict[str, Any]) -> dict[str, Any]:
    actor.require(Permission.INFRASTRUCTURE_MANAGE)
    data = TERMINAL_SPEC.parse(raw)
    terminal = PaymentTerminal(tenant=actor.tenant_id, tag_code=await _unique_tag_code(), **data)
    async with transaction():
        await terminal.save()
        await audit.record(actor, actor.tenant_id, "terminal", terminal.id, "create", audit.diff({}, data))
    return await get_terminal(actor, int(terminal.id))


async def update_terminal(actor: Actor, terminal_id: int, raw: dict[str, Any]) -> dict[str, Any]:
    actor.require(Permission.INFRASTRUCTURE_MANAGE)
    current = await get_terminal(actor, terminal_id)
    data = TERMINAL_SPEC.parse(raw, partial=True)
    changes = audit.diff(current, data)
    if changes:
        async with transaction():
            await PaymentTerminal.update({**columns(PaymentTerminal, data), PaymentTerminal.updated_at: now()}).where(
                PaymentTerminal.id == terminal_id
            )
            await audit.record(actor, current["tenant"], "terminal", terminal_id, "update", changes)
    return await get_terminal(actor, terminal_id)


async def has_sessions(terminal: dict[str, Any]) -> bool:
    """Whether any session (started or only authorised) carries the terminal's tag code."""
    return bool(await ChargingSession.exists().where(
        (ChargingSession.tenant == terminal["tenant"])
        & ChargingSession.id_tag.like(f"{ID_TAG_PREFIX}{terminal['tag_code']}%")
    ))  # fmt: skip


async def remove_terminal(actor: Actor, terminal_id: int) -> str:
    """Take a terminal out of service: deleted when it never started a session, else deactivated (its sessions,
    their receipts and charging data keep naming it). Returns ``"deleted"`` or ``"deactivated"``."""
    actor.require(Permission.INFRASTRUCTURE_MANAGE)
    terminal = await get_terminal(actor, terminal_id)
    if await has_sessions(terminal):
        await update_terminal(actor, terminal_id, {"active": False})
        return "deactivated"
    async with transaction():
        await PaymentTerminal.delete().where(PaymentTerminal.id == terminal_id)  # its station links go with it
        await audit.record(actor, terminal["tenant"], "terminal", terminal_id, "delete",
                           audit.diff({k: terminal[k] for k in ("name", "serial_number")},
                                      {"name": None, "serial_number": None}))  # fmt: skip
    return "deleted"


# --- the stations a terminal serves -----------------------------------------------------------------------------


async def stations_of(actor: Actor, terminal_id: int) -> list[dict[str, Any]]:
    await get_terminal(actor, terminal_id)
    return await (
        TerminalStation.select(
            TerminalStation.station.id.as_alias("id"),
            TerminalStation.station.charge_box_id.as_alias("charge_box_id"),
            TerminalStation.station.name.as_alias("name"),
            TerminalStation.station._.location._.name.as_alias("location_name"),
        )
        .where(TerminalStation.terminal == terminal_id)
        .order_by(TerminalStation.station.name)
    )


async def candidate_stations(actor: Actor, terminal: dict[str, Any]) -> list[dict[str, Any]]:
    """The stations of the terminal's operator in service: what it may serve."""
    actor.require(Permission.INFRASTRUCTURE_VIEW)
    return await (
        ChargingStation.select(
            ChargingStation.id, ChargingStation.charge_box_id, ChargingStation.name,
            ChargingStation.location.name.as_alias("location_name"),
        )
        .where((ChargingStation.tenant == terminal["tenant"]) & ChargingStation.decommissioned_at.is_null())
        .order_by(ChargingStation.location.name)
        .order_by(ChargingStation.name)
    )  # fmt: skip


async def set_stations(actor: Actor, terminal_id: int, station_ids: Iterable[int]) -> list[dict[str, Any]]:
    """The terminal serves exactly these stations of its operator; raises ValidationError (unknown station, more
    than MAX_STATIONS)."""
    actor.require(Permission.INFRASTRUCTURE_MANAGE)
    terminal = await get_terminal(actor, terminal_id)
    wanted = sorted(set(station_ids))
    candidates = await candidate_stations(actor, terminal)
    problems = attach_problems(wanted, [s["id"] for s in candidates])
    if problems:
        raise ValidationError(problems)
    served = await stations_of(actor, terminal_id)
    before = sorted(s["id"] for s in served)
    if before != wanted:
        # the history names the stations by their charge box ids, as staff know them
        names = {s["id"]: s["charge_box_id"] for s in [*served, *candidates]}
        async with transaction():
            await TerminalStation.delete().where(
                (TerminalStation.terminal == terminal_id) & TerminalStation.station.not_in(wanted or [-1])
            )
            added = [i for i in wanted if i not in before]
            if added:
                await TerminalStation.insert(*[TerminalStation(terminal=terminal_id, station=i) for i in added])
            await audit.record(actor, terminal["tenant"], "terminal", terminal_id, "update",
                               audit.diff({"stations": [names[i] for i in before]},
                                          {"stations": [names[i] for i in wanted]}))  # fmt: skip
    return await stations_of(actor, terminal_id)


async def attach(actor: Actor, terminal_id: int, station_ids: Iterable[int]) -> list[dict[str, Any]]:
    current = [s["id"] for s in await stations_of(actor, terminal_id)]
    return await set_stations(actor, terminal_id, [*current, *station_ids])


async def detach(actor: Actor, terminal_id: int, station_id: int) -> list[dict[str, Any]]:
    current = [s["id"] for s in await stations_of(actor, terminal_id)]
    return await set_stations(actor, terminal_id, [i for i in current if i != station_id])


# --- sessions ---------------------------------------------------------------------------------------------------


def _sessions_where(terminal: dict[str, Any]) -> Any:
    return (
        (ChargingSession.tenant == terminal["tenant"])
        & ChargingSession.id_tag.like(f"{ID_TAG_PREFIX}{terminal['tag_code']}%")
        & ChargingSession.started_at.is_not_null()
    )


async def sessions_of(actor: Actor, terminal_id: int, *, offset: int = 0, limit: int = 25) -> list[dict[str, Any]]:
    """The terminal's sessions, newest first."""
    terminal = await get_terminal(actor, terminal_id)
    return await (
        ChargingSession.select(
            ChargingSession.id, ChargingSession.id_tag, ChargingSession.status, ChargingSession.auth_source,
            ChargingSession.started_at, ChargingSession.stopped_at, ChargingSession.meter_start_wh,
            ChargingSession.last_meter_wh, ChargingSession.station.charge_box_id.as_alias("charge_box_id"),
            ChargingSession.charge_point.evse_id.as_alias("evse_id"),
        )
        .where(_sessions_where(terminal))
        .order_by(ChargingSession.started_at, ascending=False)
        .order_by(ChargingSession.id, ascending=False)
        .limit(limit)
        .offset(offset)
    )  # fmt: skip


async def count_sessions(actor: Actor, terminal_id: int) -> int:
    terminal = await get_terminal(actor, terminal_id)
    return await ChargingSession.count().where(_sessions_where(terminal))


# --- a start at the terminal --------------------------------------------------------------------------------------


async def start_at_terminal(
    actor: Actor, terminal_id: int, charge_point_id: int, timeout: float = COMMAND_TIMEOUT
) -> dict[str, Any]:
    """The terminal took the payment: start the charge point with the payment's idTag; returns the command record.
    Raises NotFound (another operator's terminal or charge point) or ValidationError (inactive terminal, a station
    the terminal does not serve)."""
    actor.require(Permission.OCPP_COMMANDS)  # like a remote start through the API: the terminal's backend holds a key
    terminal = await _terminal_in_scope(actor, terminal_id)
    cp = await (
        ChargePoint.select(
            ChargePoint.id, ChargePoint.evse_number, ChargePoint.tenant, ChargePoint.station.as_alias("station_id"),
            ChargePoint.station.charge_box_id.as_alias("charge_box_id"),
        )
        .where((ChargePoint.id == charge_point_id) & (ChargePoint.tenant == terminal["tenant"])
               & ChargePoint.decommissioned_at.is_null())
        .first()
    )  # fmt: skip
    if cp is None:
        raise NotFound("charge_point")
    id_tag = id_tag_for(terminal["tag_code"], secrets.token_hex(4))
    result = await authorize(terminal["tenant"], cp, id_tag, AuthSource.TERMINAL)
    if not result.accepted:
        reason = (
            Message("The terminal is not active.")
            if result.reason == "terminal_inactive"
            else Message("The terminal does not serve this station.")
        )
        raise ValidationError({"charge_point_id": reason})
    pending = await record_authorization(cp["tenant"], cp["station_id"], cp["id"], id_tag, AuthSource.TERMINAL, result)

    async def expire_unless_accepted(status: CommandStatus, reply: dict[str, Any]) -> None:
        if status is not CommandStatus.ACCEPTED:
            await ChargingSession.update({ChargingSession.status: SessionStatus.EXPIRED.value}).where(
                (ChargingSession.id == pending) & (ChargingSession.status == SessionStatus.AUTHORIZED.value)
            )

    station = {"id": cp["station_id"], "tenant": cp["tenant"], "charge_box_id": cp["charge_box_id"]}
    call = await prepare_call(station, cp["id"], "RemoteStartTransaction",
                              {"connectorId": int(cp["evse_number"]), "idTag": id_tag},
                              f"{terminal['name']} ({terminal['serial_number']})", timeout,
                              after=expire_unless_accepted)  # fmt: skip
    return await call.run()


async def authorize_terminal_tag(
    tenant_id: int, charge_point: dict[str, Any] | None, id_tag: str, ignore_session_id: int | None
) -> AuthResult | None:
    """core.charging.authorization's check for a terminal payment's idTag: accepted at the charge points of the
    stations the active terminal serves; None for an idTag that is no terminal's."""
    code = tag_code_of(id_tag)
    if code is None:
        return None
    terminal = await (
        PaymentTerminal.select(PaymentTerminal.id, PaymentTerminal.active)
        .where((PaymentTerminal.tenant == tenant_id) & (PaymentTerminal.tag_code == code))
        .first()
    )
    if terminal is None:
        return None
    if not terminal["active"]:
        return AuthResult(AuthStatus.INVALID, "terminal_inactive")
    if charge_point is None:  # a station-wide Authorize: the station is checked at StartTransaction
        return AuthResult(AuthStatus.ACCEPTED, "terminal")
    at = await ChargePoint.select(ChargePoint.station).where(ChargePoint.id == charge_point["id"]).first()
    served = at is not None and await TerminalStation.exists().where(
        (TerminalStation.terminal == terminal["id"]) & (TerminalStation.station == at["station"])
    )
    if not served:
        return AuthResult(AuthStatus.INVALID, "terminal_other_station")
    open_query = ChargingSession.exists().where(
        (ChargingSession.tenant == tenant_id)
        & (ChargingSession.id_tag == id_tag)
        & ChargingSession.status.is_in(list(OPEN_SESSION_STATUSES))
    )
    if ignore_session_id is not None:
        open_query = open_query.where(ChargingSession.id != ignore_session_id)
    if await open_query:
        return AuthResult(AuthStatus.CONCURRENT_TX, "concurrent_transaction")
    return AuthResult(AuthStatus.ACCEPTED, "terminal")
