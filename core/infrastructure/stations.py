"""Charging stations (Ladestationen): create, edit, clone, change operator, decommission, the OCPP password.

Every function takes the acting ``Actor`` and only ever reads or writes rows of the tenants that actor sees; an
id of another tenant behaves exactly like a missing id (the same holds for locations and charge points).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from piccolo.query.functions.aggregate import Count

from core import outbox
from core.db import columns, transaction, window
from core.eichrecht import ocmf
from core.errors import Message, NotFound, ValidationError
from core.infrastructure.changes import locations_changed, stations_changed
from core.infrastructure.locations import decommission_station_rows, get_location
from core.infrastructure.specs import CONNECTOR_SPEC, LOCATION_SPEC, STATION_SPEC
from core.infrastructure.tables import ChargePoint, ChargingStation, Connector, Location
from core.tenancy import audit
from core.tenancy.actor import Actor
from core.tenancy.passwords import hash_password, new_secret
from core.tenancy.permissions import Permission
from core.tenancy.tables import Tenant

# Outbox topic: core.cdrs checks the station's signed meter data again (a new meter key, or the CPO asks).
SIGNATURE_CHECK_TOPIC = "station.check_signatures"


def _now() -> datetime:
    return datetime.now(UTC)


def _stations_where(actor: Actor, location_id: int | None, include_decommissioned: bool) -> Any:
    actor.require(Permission.INFRASTRUCTURE_VIEW)
    where: Any = ChargingStation.tenant.is_in(actor.scope)
    if location_id is not None:
        where &= ChargingStation.location == location_id
    return where if include_decommissioned else where & ChargingStation.decommissioned_at.is_null()


async def list_stations(
    actor: Actor,
    *,
    location_id: int | None = None,
    include_decommissioned: bool = False,
    offset: int = 0,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    query = ChargingStation.select(
        *ChargingStation.all_columns(exclude=[ChargingStation.ocpp_password_hash]),
        ChargingStation.location.name.as_alias("location_name"),
        ChargingStation.location.city.as_alias("city"),
    ).where(_stations_where(actor, location_id, include_decommissioned))
    rows: list[dict[str, Any]] = await window(query.order_by(ChargingStation.charge_box_id), offset, limit)
    with_password = {
        row["id"]
        for row in await ChargingStation.select(ChargingStation.id).where(
            ChargingStation.id.is_in([r["id"] for r in rows] or [0]) & (ChargingStation.ocpp_password_hash != "")
        )
    }
    for row in rows:
        row["has_password"] = row["id"] in with_password
    return rows


async def count_stations(actor: Actor, *, location_id: int | None = None, include_decommissioned: bool = False) -> int:
    return await ChargingStation.count().where(_stations_where(actor, location_id, include_decommissioned))


async def connection_counts(actor: Actor) -> dict[str, int]:
    """Stations in service, online and offline (the dashboard): the connected flags, which the OCPP nodes keep
    in step with their presence (ocpp_cs.bus)."""
    if not actor.can(Permission.INFRASTRUCTURE_VIEW):
        return {}
    rows = (
        await ChargingStation.select(ChargingStation.connected, Count(alias="n"))
        .where(_stations_where(actor, None, False))
        .group_by(ChargingStation.connected)
    )
    by_flag = {bool(row["connected"]): int(row["n"]) for row in rows}
    return {"online": by_flag.get(True, 0), "offline": by_flag.get(False, 0)}


async def get_station(actor: Actor, station_id: int) -> dict[str, Any]:
    actor.require(Permission.INFRASTRUCTURE_VIEW)
    row = (
        await ChargingStation.select(*ChargingStation.all_columns(exclude=[ChargingStation.ocpp_password_hash]))
        .where((ChargingStation.id == station_id) & ChargingStation.tenant.is_in(actor.scope))
        .output(load_json=True)
        .first()
    )
    if row is None:
        raise NotFound("station")
    row["has_password"] = bool(
        await ChargingStation.exists().where(
            (ChargingStation.id == station_id) & (ChargingStation.ocpp_password_hash != "")
        )
    )
    return row


async def _check_charge_box_id_free(charge_box_id: str, exclude_id: int | None = None) -> None:
    query = ChargingStation.exists().where(ChargingStation.charge_box_id == charge_box_id)
    if exclude_id is not None:
        query = query.where(ChargingStation.id != exclude_id)
    if await query:
        raise ValidationError({"charge_box_id": Message("A station with this charge box id exists.")})


async def create_station(actor: Actor, raw: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """Returns the station and the OCPP password, shown once (a new one is generated when none is given)."""
    actor.require(Permission.INFRASTRUCTURE_MANAGE)
    data = STATION_SPEC.parse(raw)
    location = await _visible_location(actor, data.pop("location_id"))
    await _check_charge_box_id_free(data["charge_box_id"])
    password = data.pop("ocpp_password") or new_secret(18)
    data["attributes"] = data.get("attributes") or {}
    data["meter_public_key"] = ocmf.normalise_public_key(data.get("meter_public_key") or "")
    station = ChargingStation(
        tenant=location["tenant"], location=location["id"], ocpp_password_hash=hash_password(password), **data
    )
    async with transaction():
        await station.save()
        await locations_changed([location["id"]])
        await audit.record(actor, location["tenant"], "station", station.id, "create", audit.diff({}, data))
    return await get_station(actor, station.id), password


async def _visible_location(actor: Actor, location_id: int) -> dict[str, Any]:
    try:
        return await get_location(actor, location_id)
    except NotFound:
        raise ValidationError({"location_id": Message("Unknown location.")}) from None


async def update_station(actor: Actor, station_id: int, raw: dict[str, Any]) -> dict[str, Any]:
    actor.require(Permission.INFRASTRUCTURE_MANAGE)
    current = await get_station(actor, station_id)
    data = STATION_SPEC.parse(raw, partial=True)
    if "attributes" in data:  # cleared: no attributes, as on create
        data["attributes"] = data["attributes"] or {}
    if "location_id" in data:
        location = await _visible_location(actor, data.pop("location_id"))
        if location["tenant"] != current["tenant"]:
            raise ValidationError({"location_id": Message("The location belongs to another operator.")})
        data["location"] = location["id"]
    if "charge_box_id" in data and data["charge_box_id"] != current["charge_box_id"]:
        await _check_charge_box_id_free(data["charge_box_id"], exclude_id=station_id)
    if "meter_public_key" in data:
        data["meter_public_key"] = ocmf.normalise_public_key(data["meter_public_key"] or "")
    key_changed = data.get("meter_public_key", current["meter_public_key"]) != current["meter_public_key"]
    password = data.pop("ocpp_password", None)
    values = columns(ChargingStation, data)
    if password:
        values[ChargingStation.ocpp_password_hash] = hash_password(password)
        data["ocpp_password"] = password  # audit.diff masks it
    changes = audit.diff(current, data)
    if changes:
        async with transaction():
            now = _now()
            await ChargingStation.update({**values, ChargingStation.updated_at: now}).where(
                ChargingStation.id == station_id
            )
            # A moved station leaves its old location too.
            await locations_changed([current["location"], data.get("location")], now)
            await audit.record(actor, current["tenant"], "station", station_id, "update", changes)
            if key_changed:
                await _publish_signature_check(current)
        if key_changed:
            outbox.kick()
    return await get_station(actor, station_id)


async def _publish_signature_check(station: dict[str, Any]) -> None:
    stamp = _now().isoformat()
    await outbox.publish(SIGNATURE_CHECK_TOPIC, f"check-signatures:{station['id']}:{stamp}",
                         {"station_id": station["id"], "tenant_id": station["tenant"]})  # fmt: skip


async def check_station_signatures(actor: Actor, station_id: int) -> None:
    """The CPO asks to check the station's signed meter data again (e.g. CDRs made before checks existed)."""
    actor.require(Permission.INFRASTRUCTURE_MANAGE)
    current = await get_station(actor, station_id)
    async with transaction():
        await _publish_signature_check(current)
        await audit.record(actor, current["tenant"], "station", station_id, "check_signatures", {})
    outbox.kick()


async def reset_station_password(actor: Actor, station_id: int) -> str:
    """A new OCPP password for the station; returned once, stored hashed."""
    actor.require(Permission.INFRASTRUCTURE_MANAGE)
    current = await get_station(actor, station_id)
    password = new_secret(18)
    async with transaction():
        await ChargingStation.update({ChargingStation.ocpp_password_hash: hash_password(password)}).where(
            ChargingStation.id == station_id
        )
        await audit.record(actor, current["tenant"], "station", station_id, "reset_password", {})
    return password


async def decommission_station(actor: Actor, station_id: int) -> dict[str, Any]:
    actor.require(Permission.INFRASTRUCTURE_MANAGE)
    current = await get_station(actor, station_id)
    if current["decommissioned_at"] is None:
        async with transaction():
            now = _now()
            await decommission_station_rows(station_id, now)
            await stations_changed([station_id], now)
            await audit.record(actor, current["tenant"], "station", station_id, "decommission", {})
    return await get_station(actor, station_id)


async def clone_station(actor: Actor, station_id: int, new_charge_box_id: str) -> tuple[dict[str, Any], str]:
    """A new station with the same settings, charge points and connectors (EVSE-IDs left empty)."""
    actor.require(Permission.INFRASTRUCTURE_MANAGE)
    source = await get_station(actor, station_id)
    raw = {key: source[key] for key in STATION_SPEC.names if key in source and key != "charge_box_id"}
    # a copy has its own meter: serial number and meter key are not copied
    raw.update(location_id=source["location"], charge_box_id=new_charge_box_id, serial_number="", meter_public_key="")
    async with transaction():
        station, password = await create_station(actor, raw)
        for cp in await ChargePoint.select().where(ChargePoint.station == station_id).order_by(ChargePoint.evse_number):
            if cp["decommissioned_at"] is not None:
                continue
            new_cp = ChargePoint(
                tenant=station["tenant"],
                station=station["id"],
                evse_number=cp["evse_number"],
                physical_reference=cp["physical_reference"],
                floor_level=cp["floor_level"],
                auth_local_rfid=cp["auth_local_rfid"],
                auth_remote=cp["auth_remote"],
                auth_direct_payment=cp["auth_direct_payment"],
                power_type=cp["power_type"],
                max_power_kw=cp["max_power_kw"],
                connector_standards=cp["connector_standards"],
            )
            await new_cp.save()
            for connector in await Connector.select().where(Connector.charge_point == cp["id"]):
                values = {k: connector[k] for k in CONNECTOR_SPEC.names if k in connector}
                await Connector(tenant=station["tenant"], charge_point=new_cp.id, **values).save()
        await audit.record(
            actor, station["tenant"], "station", station["id"], "clone", {"source": [None, source["charge_box_id"]]}
        )
    return station, password


async def change_operator(actor: Actor, station_id: int, target_tenant_id: int) -> dict[str, Any]:
    """Moves a station with its charge points to another CPO the actor manages (e.g. a sub-CPO).

    The location moves along when only this station uses it; otherwise a copy of it is made
    for the new operator, so the other stations keep theirs.
    """
    actor.require(Permission.INFRASTRUCTURE_MANAGE)
    current = await get_station(actor, station_id)
    target = await Tenant.select().where(Tenant.id == target_tenant_id).first()
    if target is None or not actor.sees(target_tenant_id) or target["kind"] == "EMP":
        raise ValidationError({"tenant_id": Message("Choose one of the offered values.")})
    if target_tenant_id == current["tenant"]:
        return current
    location = await Location.select().where(Location.id == current["location"]).first()
    assert location is not None
    async with transaction():
        others = await ChargingStation.count().where(
            (ChargingStation.location == location["id"]) & (ChargingStation.id != station_id)
        )
        if others:
            copy = {k: location[k] for k in LOCATION_SPEC.names}
            new_location = Location(tenant=target_tenant_id, **copy)
            await new_location.save()
            location_id = new_location.id
        else:
            await Location.update({Location.tenant: target_tenant_id}).where(Location.id == location["id"])
            location_id = location["id"]
        await ChargingStation.update(
            {ChargingStation.tenant: target_tenant_id, ChargingStation.location: location_id}
        ).where(ChargingStation.id == station_id)
        await locations_changed([location["id"], location_id])
        cp_ids = [r["id"] for r in await ChargePoint.select(ChargePoint.id).where(ChargePoint.station == station_id)]
        await ChargePoint.update({ChargePoint.tenant: target_tenant_id}).where(ChargePoint.station == station_id)
        if cp_ids:
            await Connector.update({Connector.tenant: target_tenant_id}).where(Connector.charge_point.is_in(cp_ids))
        change = {"tenant": [current["tenant"], target_tenant_id]}
        await audit.record(actor, current["tenant"], "station", station_id, "change_operator", change)
        await audit.record(actor, target_tenant_id, "station", station_id, "change_operator", change)
    return await get_station(actor, station_id)
