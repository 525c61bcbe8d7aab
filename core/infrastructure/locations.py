"""Locations (Standorte): list, read, create, edit, decommission within the actor's tenants.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from core.db import columns, transaction, window
from core.errors import NotFound
from core.infrastructure.changes import locations_changed
from core.infrastructure.specs import LOCATION_SPEC, EvseStatus, InstallationStatus
from core.infrastructure.tables import ChargePoint, ChargingStation, Location
from core.tenancy import audit
from core.tenancy.actor import Actor
from core.tenancy.permissions import Permission


def _now() -> datetime:
    return datetime.now(UTC)


def _locations_where(actor: Actor, include_decommissioned: bool) -> Any:
    actor.require(Permission.INFRASTRUCTURE_VIEW)
    where = Location.tenant.is_in(actor.scope)
    return where if include_decommissioned else where & Location.decommissioned_at.is_null()


async def list_locations(
    actor: Actor, *, include_decommissioned: bool = False, offset: int = 0, limit: int | None = None
) -> list[dict[str, Any]]:
    query = Location.select().where(_locations_where(actor, include_decommissioned))
    return await window(query.order_by(Location.name).order_by(Location.id), offset, limit)


async def count_locations(actor: Actor, *, include_decommissioned: bool = False) -> int:
    return await Location.count().where(_locations_where(actor, include_decommissioned))


async def get_location(actor: Actor, location_id: int) -> dict[str, Any]:
    actor.require(Permission.INFRASTRUCTURE_VIEW)
    row = (
        await Location.select()
        .where((Location.id == location_id) & Location.tenant.is_in(actor.scope))
        .output(load_json=True)  # JSON columns as lists, not text: clone and audit diffs compare values
        .first()
    )
    if row is None:
        raise NotFound("location")
    return row


async def create_location(actor: Actor, raw: dict[str, Any], tenant_id: int | None = None) -> dict[str, Any]:
    actor.require(Permission.INFRASTRUCTURE_MANAGE)
    data = LOCATION_SPEC.parse(raw)
    tenant_id = tenant_id or actor.tenant_id
    if not actor.sees(tenant_id):
        raise NotFound("tenant")
    data["opening_hours"] = data.get("opening_hours") or []
    location = Location(tenant=tenant_id, **data)
    async with transaction():
        await location.save()
        await audit.record(actor, tenant_id, "location", location.id, "create", audit.diff({}, data))
    return await get_location(actor, location.id)


async def update_location(actor: Actor, location_id: int, raw: dict[str, Any]) -> dict[str, Any]:
    actor.require(Permission.INFRASTRUCTURE_MANAGE)
    current = await get_location(actor, location_id)
    data = LOCATION_SPEC.parse(raw, partial=True)
    if "opening_hours" in data:  # cleared: no regular hours, as on create
        data["opening_hours"] = data["opening_hours"] or []
    changes = audit.diff(current, data)
    if changes:
        async with transaction():
            now = _now()
            await Location.update({**columns(Location, data), Location.updated_at: now}).where(
                Location.id == location_id
            )
            await locations_changed([location_id], now)
            await audit.record(actor, current["tenant"], "location", location_id, "update", changes)
    return await get_location(actor, location_id)


async def decommission_station_rows(station_id: int, now: datetime) -> None:
    await ChargingStation.update(
        {ChargingStation.decommissioned_at: now, ChargingStation.installation_status: InstallationStatus.DECOMMISSIONED}
    ).where(ChargingStation.id == station_id)
    await ChargePoint.update({ChargePoint.decommissioned_at: now, ChargePoint.status: EvseStatus.REMOVED}).where(
        (ChargePoint.station == station_id) & ChargePoint.decommissioned_at.is_null()
    )


async def decommission_location(actor: Actor, location_id: int) -> dict[str, Any]:
    """Takes the location and everything at it out of service; nothing is deleted."""
    actor.require(Permission.INFRASTRUCTURE_MANAGE)
    current = await get_location(actor, location_id)
    if current["decommissioned_at"] is None:
        async with transaction():
            now = _now()
            await Location.update({Location.decommissioned_at: now, Location.publish: False}).where(
                Location.id == location_id
            )
            stations = await ChargingStation.select(ChargingStation.id).where(
                (ChargingStation.location == location_id) & ChargingStation.decommissioned_at.is_null()
            )
            for station in stations:
                await decommission_station_rows(station["id"], now)
            await locations_changed([location_id], now)
            await audit.record(actor, current["tenant"], "location", location_id, "decommission", {})
    return await get_location(actor, location_id)
