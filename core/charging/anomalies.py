"""What went wrong as staff see it: anomalies, sessions flagged for review, open sessions that contradict the
connector's status, and unknown stations waiting to be adopted.

Every function takes the acting staff member first and reads only that actor's tenants; another tenant's ids
raise NotFound. Seeing these needs ``VIEW`` (core.charging.monitoring); adopting an unknown station also needs
infrastructure.manage because it creates a station.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from piccolo.query import WhereRaw

from core.charging import connections, sessions
from core.charging.monitoring import DEFAULT_OPEN_MINUTES, VIEW
from core.charging.tables import (
    Anomaly,
    ChargingSession,
    SessionReview,
    UnknownStation,
)
from core.db import transaction
from core.errors import Message, NotFound, ValidationError
from core.infrastructure import stations
from core.tenancy import audit
from core.tenancy.actor import Actor
from core.tenancy.permissions import Permission
from core.tenancy.tables import Tenant

# --- Anomalies ---------------------------------------------------------------------------------------------


class OpenSessionIssue(StrEnum):
    CONNECTOR_AVAILABLE = "connector_available"  # the session is open, the connector says Available
    STATION_OFFLINE = "station_offline"  # the session is open, the station is not online


async def open_anomalies(actor: Actor) -> list[dict[str, Any]]:
    """Unresolved anomalies the stations caused: unknown transactions, stale sessions, unknown connectors."""
    actor.require(VIEW)
    return await (
        Anomaly.select(*Anomaly.all_columns(), Anomaly.station.charge_box_id.as_alias("charge_box_id"))
        .where(Anomaly.tenant.is_in(actor.scope) & (Anomaly.resolved == False))  # noqa: E712
        .order_by(Anomaly.id, ascending=False)
        .limit(500)
        .output(load_json=True)
    )


async def open_sessions_against_status(
    actor: Actor, minutes: int = DEFAULT_OPEN_MINUTES, at: datetime | None = None
) -> list[dict[str, Any]]:
    """Open sessions the live status contradicts: connector Available for ``minutes`` or station offline."""
    actor.require(VIEW)
    at = at or sessions.now()
    rows = await (
        ChargingSession.select(
            ChargingSession.id, ChargingSession.station, ChargingSession.connector_id, ChargingSession.id_tag,
            ChargingSession.started_at, ChargingSession.status,
            ChargingSession.station.charge_box_id.as_alias("charge_box_id"),
            ChargingSession.station.connected.as_alias("connected"),
            ChargingSession.station.last_heartbeat_at.as_alias("last_heartbeat_at"),
            ChargingSession.station.last_message_at.as_alias("last_message_at"),
            ChargingSession.charge_point.evse_id.as_alias("evse_id"),
            ChargingSession.charge_point.status_detail.as_alias("status_detail"),
            ChargingSession.charge_point.status_updated_at.as_alias("status_updated_at"),
        )
        .where(
            ChargingSession.tenant.is_in(actor.scope)
            & ChargingSession.status.is_in([s.value for s in sessions.OPEN_STATUSES])
        )
        .order_by(ChargingSession.started_at, ascending=False)
        .limit(2000)
    )  # fmt: skip
    found = []
    for row in rows:
        issues = []
        updated = row["status_updated_at"]
        if row["status_detail"] == "Available" and updated is not None and at - updated >= timedelta(minutes=minutes):
            issues.append(OpenSessionIssue.CONNECTOR_AVAILABLE)
        if not connections.is_online(row, at):
            issues.append(OpenSessionIssue.STATION_OFFLINE)
        if issues:
            found.append({**row, "issues": issues})
    return found


async def flagged_sessions(actor: Actor, limit: int = 500) -> list[dict[str, Any]]:
    """Sessions with integrity flags (meter backwards, timestamps out of order, negative energy, ...)
    that nobody has resolved yet."""
    actor.require(VIEW)
    reviewed = set(
        await SessionReview.select(SessionReview.session)
        .where(SessionReview.tenant.is_in(actor.scope))
        .output(as_list=True)
    )
    rows = await (
        ChargingSession.select(
            ChargingSession.id, ChargingSession.id_tag, ChargingSession.started_at, ChargingSession.stopped_at,
            ChargingSession.status, ChargingSession.flags, ChargingSession.energy_wh,
            ChargingSession.station.charge_box_id.as_alias("charge_box_id"),
            ChargingSession.charge_point.evse_id.as_alias("evse_id"),
        )
        .where(
            ChargingSession.tenant.is_in(actor.scope)
            & WhereRaw("CAST(charging_session.flags AS TEXT) NOT IN ('[]', '')")
        )
        .order_by(ChargingSession.id, ascending=False)
        .limit(limit + len(reviewed))
        .output(load_json=True)
    )  # fmt: skip
    return [r for r in rows if r["id"] not in reviewed and r["flags"]][:limit]


async def resolve_anomaly(actor: Actor, anomaly_id: int, note: str = "") -> None:
    actor.require(VIEW)
    row = (
        await Anomaly.select(Anomaly.id, Anomaly.tenant, Anomaly.kind, Anomaly.resolved)
        .where((Anomaly.id == anomaly_id) & Anomaly.tenant.is_in(actor.scope))
        .first()
    )
    if row is None:
        raise NotFound("anomaly")
    if row["resolved"]:
        return
    async with transaction():
        await Anomaly.update({Anomaly.resolved: True}).where(Anomaly.id == anomaly_id)
        await audit.record(actor, row["tenant"], "anomaly", anomaly_id, "resolve",
                           {"kind": [row["kind"], row["kind"]], "note": ["", note[:500]]})  # fmt: skip


async def _session_in_scope(actor: Actor, session_id: int) -> dict[str, Any]:
    row = (
        await ChargingSession.select(ChargingSession.id, ChargingSession.tenant, ChargingSession.status)
        .where((ChargingSession.id == session_id) & ChargingSession.tenant.is_in(actor.scope))
        .first()
    )
    if row is None:
        raise NotFound("session")
    return row


async def resolve_flagged_session(actor: Actor, session_id: int, note: str = "") -> None:
    actor.require(VIEW)
    session = await _session_in_scope(actor, session_id)
    if await SessionReview.exists().where(SessionReview.session == session_id):
        return
    async with transaction():
        await SessionReview.insert(
            SessionReview(tenant=session["tenant"], session=session_id, reviewed_by=actor.user_id, note=note[:500])
        )
        await audit.record(actor, session["tenant"], "session", session_id, "resolve_flags",
                           {"note": ["", note[:500]]})  # fmt: skip


CLOSED_BY_STAFF = "CLOSED_BY_STAFF"


async def close_open_session(actor: Actor, session_id: int, note: str = "") -> None:
    """Resolve an open session the station forgot: closed by staff (no meter stop, energy as last read)."""
    actor.require(VIEW)
    session = await _session_in_scope(actor, session_id)
    if session["status"] not in {s.value for s in sessions.OPEN_STATUSES}:
        return
    stamp = sessions.now()
    async with transaction():
        await ChargingSession.update(
            {
                ChargingSession.status: sessions.SessionStatus.CLOSED_STALE.value,
                ChargingSession.stop_reason: CLOSED_BY_STAFF,
                ChargingSession.stopped_at: stamp,
                ChargingSession.updated_at: stamp,
            }
        ).where(ChargingSession.id == session_id)
        await audit.record(actor, session["tenant"], "session", session_id, "close",
                           {"status": [session["status"], sessions.SessionStatus.CLOSED_STALE.value],
                            "note": ["", note[:500]]})  # fmt: skip


# --- Unknown stations --------------------------------------------------------------------------------------


async def allows_unknown_stations(actor: Actor) -> bool:
    row = await Tenant.select(Tenant.allow_unknown_stations).where(Tenant.id == actor.tenant_id).first()
    return bool(row and row["allow_unknown_stations"])


async def set_allow_unknown_stations(actor: Actor, allowed: bool) -> None:
    actor.require(Permission.INFRASTRUCTURE_MANAGE)
    before = await allows_unknown_stations(actor)
    if before == allowed:
        return
    async with transaction():
        await Tenant.update({Tenant.allow_unknown_stations: allowed}).where(Tenant.id == actor.tenant_id)
        await audit.record(actor, actor.tenant_id, "tenant", actor.tenant_id, "update",
                           {"allow_unknown_stations": [before, allowed]})  # fmt: skip


async def _unknown_where(actor: Actor) -> Any:
    where: Any = UnknownStation.tenant.is_in(actor.scope)
    if await allows_unknown_stations(actor):
        # Unassigned entries (several tenants allow unknown stations) may be adopted by any of them.
        where |= UnknownStation.tenant.is_null()
    return (UnknownStation.adopted == False) & where  # noqa: E712


async def list_unknown_stations(actor: Actor) -> list[dict[str, Any]]:
    actor.require(VIEW)
    return await (
        UnknownStation.select()
        .where(await _unknown_where(actor))
        .order_by(UnknownStation.last_seen_at, ascending=False)
        .limit(500)
        .output(load_json=True)
    )


async def get_unknown_station(actor: Actor, unknown_id: int) -> dict[str, Any]:
    actor.require(VIEW)
    row = await (
        UnknownStation.select()
        .where((UnknownStation.id == unknown_id) & await _unknown_where(actor))
        .output(load_json=True)
        .first()
    )
    if row is None:
        raise NotFound("unknown_station")
    return row


async def adopt_unknown_station(actor: Actor, unknown_id: int, raw: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """Create the station for an unknown charge box id at a chosen location; returns it and its new OCPP
    password (shown once). The station's next connection attempt with that password succeeds."""
    actor.require(Permission.INFRASTRUCTURE_MANAGE)
    unknown = await get_unknown_station(actor, unknown_id)
    if not str(raw.get("location_id", "")).strip():
        raise ValidationError({"location_id": Message("Choose one of the offered values.")})
    data = {
        "location_id": raw.get("location_id"),
        "name": raw.get("name", ""),
        "installation_status": raw.get("installation_status") or "INSTALLED",
        "charge_box_id": unknown["charge_box_id"],
        "ocpp_password": "",  # a new one is generated and shown once
    }
    async with transaction():
        station, password = await stations.create_station(actor, data)
        await UnknownStation.update({UnknownStation.adopted: True}).where(UnknownStation.id == unknown_id)
        await audit.record(actor, station["tenant"], "station", station["id"], "adopt",
                           {"charge_box_id": [None, unknown["charge_box_id"]]})  # fmt: skip
    return station, password


async def dismiss_unknown_station(actor: Actor, unknown_id: int) -> None:
    """Forget the entry; a further attempt of the same charge box id lists it again."""
    actor.require(VIEW)
    unknown = await get_unknown_station(actor, unknown_id)
    async with transaction():
        await UnknownStation.delete().where(UnknownStation.id == unknown_id)
        await audit.record(actor, actor.tenant_id, "unknown_station", unknown_id, "dismiss",
                           {"charge_box_id": [unknown["charge_box_id"], None]})  # fmt: skip
