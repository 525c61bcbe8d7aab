"""Charging sessions as the REST API shows them (OCPI Session names), whichever door started them.

A list of sessions is the "Ladedaten" list keyed by session: running sessions and finished ones whose CDR
exists, with the same filters (``core.cdrs.charging_data.CdrQuery``). One session is read from the session table
itself, so that it is found at once, also while its CDR is still being made.
"""

from __future__ import annotations

from dataclasses import replace
from enum import StrEnum
from typing import Any

from core.cdrs import charging_data
from core.charging.sessions import OPEN_STATUSES, SessionStatus
from core.charging.tables import ChargingSession
from core.errors import NotFound
from core.tenancy.actor import Actor
from core.tenancy.permissions import Permission


class OcpiSessionStatus(StrEnum):
    PENDING = "PENDING"
    ACTIVE = "ACTIVE"
    COMPLETED = "COMPLETED"
    INVALID = "INVALID"


def ocpi_status(status: str) -> OcpiSessionStatus:
    """Our session status as OCPI 2.2.1 SessionStatus (an authorisation without transaction is PENDING)."""
    if status == SessionStatus.AUTHORIZED:
        return OcpiSessionStatus.PENDING
    if status in OPEN_STATUSES:
        return OcpiSessionStatus.ACTIVE
    if status == SessionStatus.EXPIRED:
        return OcpiSessionStatus.INVALID
    return OcpiSessionStatus.COMPLETED


def _listed(row: dict[str, Any]) -> dict[str, Any]:
    item = {"id": row.pop("session_id"), **row}
    item.pop("tenant", None)
    item["status"] = OcpiSessionStatus.ACTIVE if row["cdr_id"] is None else OcpiSessionStatus.COMPLETED
    item["cdr_status"] = None if row["cdr_id"] is None else row["status"]
    return item


async def list_sessions(actor: Actor, q: charging_data.CdrQuery) -> dict[str, Any]:
    """One page of sessions with the charging data filters, their total and sums; a corrected session is listed once,
    with its current CDR."""
    q = replace(q, current_only=True)
    rows = await charging_data.list_rows(actor, q)
    return {"page": q.page, "per_page": q.per_page, "total": await charging_data.count(actor, q),
            "sums": await charging_data.sums(actor, q), "items": [_listed(row) for row in rows]}  # fmt: skip


async def get_session(actor: Actor, session_id: int) -> dict[str, Any]:
    """One session of the actor's tenants, with its charge point, station and current CDR id (if made yet)."""
    actor.require(Permission.SESSIONS_VIEW)
    row = (
        await ChargingSession.select(
            *ChargingSession.all_columns(exclude=[ChargingSession.tenant]),
            ChargingSession.charge_point.evse_id.as_alias("evse_id"),
            ChargingSession.station.charge_box_id.as_alias("charge_box_id"),
        )
        .where((ChargingSession.id == session_id) & ChargingSession.tenant.is_in(actor.scope))
        .output(load_json=True)
        .first()
    )
    if row is None:
        raise NotFound("session")
    kwh = row["energy_wh"] / 1000
    return {
        **row,
        "charge_point_id": row.pop("charge_point"),
        "station_id": row.pop("station"),
        "card_id": row.pop("card"),
        "session_status": row["status"],
        "status": ocpi_status(row["status"]),
        "kwh": kwh,
        "evse_id": row["evse_id"] or "",
        "cdr_id": row["cdr_id"],  # the current CDR (after a correction: the new one)
    }
