"""Locations, charging stations, charge points (EVSEs) and connectors.

Every function takes the acting ``Actor`` and only ever reads or writes rows of the
tenants that actor sees; an id of another tenant behaves exactly like a missing id.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any
from zoneinfo import available_timezones

from piccolo.query.functions.aggregate import Count

from core import audit, ocmf, outbox
from core.context import Actor
from core.db import transaction
from core.errors import Message, NotFound, ValidationError
from core.evse_id import InvalidEvseId, normalize_evse_id
from core.passwords import hash_password, new_secret
from core.permissions import Permission
from core.settings import get_settings
from core.tables import ChargeGroupMember, ChargePoint, ChargingStation, Connector, Location, Tenant
from core.validation import Field, FormSpec


class InstallationStatus(StrEnum):
    PLANNED = "PLANNED"
    INSTALLED = "INSTALLED"
    COMMISSIONED = "COMMISSIONED"
    DECOMMISSIONED = "DECOMMISSIONED"


class AccessType(StrEnum):
    PUBLIC_FREE = "PUBLIC_FREE"
    PUBLIC_PAID = "PUBLIC_PAID"
    PRIVATE = "PRIVATE"
    COMMUNITY = "COMMUNITY"


class EvseStatus(StrEnum):
    """OCPI 2.2.1 EvseStatus."""

    AVAILABLE = "AVAILABLE"
    BLOCKED = "BLOCKED"
    CHARGING = "CHARGING"
    INOPERATIVE = "INOPERATIVE"
    OUTOFORDER = "OUTOFORDER"
    PLANNED = "PLANNED"
    REMOVED = "REMOVED"
    RESERVED = "RESERVED"
    UNKNOWN = "UNKNOWN"


# Dashboard tiles (vaylens): each opens the overview filtered by its group.
STATUS_GROUPS: dict[str, tuple[str, tuple[str, ...]]] = {
    "available": ("Available", ("AVAILABLE",)),
    "occupied": ("Occupied", ("CHARGING", "BLOCKED", "RESERVED")),
    "unavailable": ("Not available", ("UNKNOWN", "PLANNED")),
    "inoperative": ("Inoperative", ("INOPERATIVE", "OUTOFORDER")),
}

CONNECTOR_STANDARDS = (
    "IEC_62196_T2",
    "IEC_62196_T2_COMBO",
    "CHADEMO",
    "IEC_62196_T1",
    "IEC_62196_T1_COMBO",
    "DOMESTIC_F",
    "IEC_60309_2_single_16",
    "IEC_60309_2_three_16",
    "IEC_60309_2_three_32",
    "TESLA_S",
    "GBT_AC",
    "GBT_DC",
)
CONNECTOR_FORMATS = ("SOCKET", "CABLE")
POWER_TYPES = ("AC_1_PHASE", "AC_2_PHASE", "AC_3_PHASE", "DC")
PARKING_TYPES = ("ALONG_MOTORWAY", "PARKING_GARAGE", "PARKING_LOT", "ON_DRIVEWAY", "ON_STREET", "UNDERGROUND_GARAGE")
PARKING_RESTRICTIONS = ("EV_ONLY", "PLUGGED", "DISABLED", "CUSTOMERS", "MOTORCYCLES")
OCPP_VERSIONS = ("1.6", "2.0.1")
PRODUCTS = ("eOperate professional AC", "eOperate professional DC", "360.SUPPORT")
CHARGE_BOX_ID_PATTERN = r"[A-Za-z0-9][A-Za-z0-9._:+\-]{0,47}"
MIN_STATION_PASSWORD = 16  # OCPP security profile 1 (BasicAuthPassword 16..40)
# Outbox topic: core.cdrs checks the station's signed meter data again (a new meter key, or the CPO asks).
SIGNATURE_CHECK_TOPIC = "station.check_signatures"
_TIMEZONES = frozenset(available_timezones())


def _check_timezone(value: str) -> Message | None:
    return None if value in _TIMEZONES else Message("Unknown time zone.")


def _check_evse_id(value: str) -> Message | None:
    try:
        normalize_evse_id(value)
    except InvalidEvseId:
        return Message("Not a valid EVSE-ID (e.g. DE*ISE*E12345*1).")
    return None


def _check_station_password(value: str) -> Message | None:
    if not 16 <= len(value) <= 40:
        return Message("The station password must have 16 to 40 characters.")
    return None


def _check_opening_hours(value: Any) -> Message | None:
    if not isinstance(value, list):
        return Message("The format is not valid.")
    for item in value:
        if (
            not isinstance(item, dict)
            or item.get("weekday") not in range(1, 8)
            or not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", str(item.get("period_begin", "")))
            or not re.fullmatch(r"([01]\d|2[0-4]):[0-5]\d", str(item.get("period_end", "")))
        ):
            return Message("Opening hours need weekday 1-7 and times as HH:MM.")
    return None


LOCATION_SPEC = FormSpec(
    "location",
    (
        Field("name", required=True, max_length=255, label="Name"),
        Field("address", required=True, max_length=45, label="Street and number"),
        Field("postal_code", required=True, max_length=10),
        Field("city", required=True, max_length=45),
        Field("state", max_length=20),
        Field("country", required=True, max_length=3, pattern=r"[A-Z]{3}", default="DEU", label="ISO 3166 alpha-3"),
        Field("latitude", kind="decimal", min_value=Decimal(-90), max_value=Decimal(90)),
        Field("longitude", kind="decimal", min_value=Decimal(-180), max_value=Decimal(180)),
        Field("time_zone", max_length=64, default="Europe/Berlin", checks=(_check_timezone,)),
        Field("twentyfourseven", kind="bool", default=True),
        Field("opening_hours", kind="json", checks=(_check_opening_hours,)),
        Field("parking_type", kind="choice", choices=("", *PARKING_TYPES), default=""),
        Field("parking_restrictions", kind="list", choices=PARKING_RESTRICTIONS),
        Field("directions", kind="text", max_length=2000),
        Field("hotline", max_length=40, pattern=r"\+?[0-9 ()/\-]{3,40}"),
        Field("operator_name", max_length=100),
        Field("operator_website", max_length=255, pattern=r"https?://\S+"),
        Field("operator_email", kind="email", max_length=254),
        Field("publish", kind="bool", default=True),
    ),
)

STATION_SPEC = FormSpec(
    "station",
    (
        Field("location_id", kind="int", required=True),
        Field("charge_box_id", required=True, max_length=48, pattern=CHARGE_BOX_ID_PATTERN),
        Field("name", max_length=120),
        Field("vendor", max_length=50),
        Field("model", max_length=50),
        Field("serial_number", max_length=50),
        Field("firmware_version", max_length=50),
        Field("ocpp_version", kind="choice", choices=OCPP_VERSIONS, default="1.6"),
        Field("ocpp_password", max_length=40, checks=(_check_station_password,)),
        Field("technician_name", max_length=120),
        Field("technician_phone", max_length=40),
        Field("technician_email", kind="email", max_length=254),
        Field("installation_status", kind="choice", choices=tuple(InstallationStatus), default="PLANNED"),
        Field("access_type", kind="choice", choices=tuple(AccessType), default="PUBLIC_PAID"),
        Field("show_as_poi", kind="bool", default=True),
        Field("products", kind="list", choices=PRODUCTS),
        Field("attributes", kind="json"),
        # Eichrecht: the meter's public key as on the station's label (hex of the DER key, or PEM)
        Field("meter_public_key", kind="text", max_length=2000, checks=(ocmf.check_public_key,),
              label="Public key of the calibrated meter (hex of the DER SubjectPublicKeyInfo, or PEM)"),
    ),
)

CHARGE_POINT_SPEC = FormSpec(
    "charge_point",
    (
        Field("station_id", kind="int", required=True),
        Field("evse_number", kind="int", required=True, min_value=1, max_value=999),
        Field("evse_id", max_length=48, checks=(_check_evse_id,)),
        Field("physical_reference", max_length=16),
        Field("floor_level", max_length=4),
        Field("auth_local_rfid", kind="bool", default=True),
        Field("auth_remote", kind="bool", default=True),
        Field("auth_direct_payment", kind="bool", default=False),
        # Calibration law (Eichrecht): the meter signs its readings; CDRs and charging data show it.
        Field("eichrecht_compliant", kind="bool", default=False),
    ),
)

CONNECTOR_SPEC = FormSpec(
    "connector",
    (
        Field("charge_point_id", kind="int", required=True),
        Field("connector_number", kind="int", min_value=1, max_value=99, default=1),
        Field("standard", kind="choice", choices=CONNECTOR_STANDARDS, default="IEC_62196_T2"),
        Field("format", kind="choice", choices=CONNECTOR_FORMATS, default="SOCKET"),
        Field("power_type", kind="choice", choices=POWER_TYPES, default="AC_3_PHASE"),
        Field("max_voltage", kind="int", min_value=1, max_value=2000, default=400),
        Field("max_amperage", kind="int", min_value=1, max_value=1000, default=32),
        Field("max_electric_power", kind="int", min_value=1, max_value=1_000_000, default=22000),
    ),
)


def _now() -> datetime:
    return datetime.now(UTC)


def _columns(table: Any, data: dict[str, Any]) -> dict[Any, Any]:
    return {getattr(table, key): value for key, value in data.items()}


def _window(query: Any, offset: int, limit: int | None) -> Any:
    """``limit`` rows from ``offset`` (the REST API's pages); no limit: every row."""
    return query if limit is None else query.limit(limit).offset(offset)


# --- locations -----------------------------------------------------------------------------------


def _locations_where(actor: Actor, include_decommissioned: bool) -> Any:
    actor.require(Permission.INFRASTRUCTURE_VIEW)
    where = Location.tenant.is_in(actor.scope)
    return where if include_decommissioned else where & Location.decommissioned_at.is_null()


async def list_locations(
    actor: Actor, *, include_decommissioned: bool = False, offset: int = 0, limit: int | None = None
) -> list[dict[str, Any]]:
    query = Location.select().where(_locations_where(actor, include_decommissioned))
    return await _window(query.order_by(Location.name).order_by(Location.id), offset, limit)


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
            await Location.update({**_columns(Location, data), Location.updated_at: _now()}).where(
                Location.id == location_id
            )
            await audit.record(actor, current["tenant"], "location", location_id, "update", changes)
    return await get_location(actor, location_id)


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
                await _decommission_station_rows(station["id"], now)
            await audit.record(actor, current["tenant"], "location", location_id, "decommission", {})
    return await get_location(actor, location_id)


# --- stations ------------------------------------------------------------------------------------


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
    rows: list[dict[str, Any]] = await _window(query.order_by(ChargingStation.charge_box_id), offset, limit)
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
    values = _columns(ChargingStation, data)
    if password:
        values[ChargingStation.ocpp_password_hash] = hash_password(password)
        data["ocpp_password"] = password  # audit.diff masks it
    changes = audit.diff(current, data)
    if changes:
        async with transaction():
            await ChargingStation.update({**values, ChargingStation.updated_at: _now()}).where(
                ChargingStation.id == station_id
            )
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


async def _decommission_station_rows(station_id: int, now: datetime) -> None:
    await ChargingStation.update(
        {ChargingStation.decommissioned_at: now, ChargingStation.installation_status: InstallationStatus.DECOMMISSIONED}
    ).where(ChargingStation.id == station_id)
    await ChargePoint.update({ChargePoint.decommissioned_at: now, ChargePoint.status: EvseStatus.REMOVED}).where(
        (ChargePoint.station == station_id) & ChargePoint.decommissioned_at.is_null()
    )


async def decommission_station(actor: Actor, station_id: int) -> dict[str, Any]:
    actor.require(Permission.INFRASTRUCTURE_MANAGE)
    current = await get_station(actor, station_id)
    if current["decommissioned_at"] is None:
        async with transaction():
            await _decommission_station_rows(station_id, _now())
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
        cp_ids = [r["id"] for r in await ChargePoint.select(ChargePoint.id).where(ChargePoint.station == station_id)]
        await ChargePoint.update({ChargePoint.tenant: target_tenant_id}).where(ChargePoint.station == station_id)
        if cp_ids:
            await Connector.update({Connector.tenant: target_tenant_id}).where(Connector.charge_point.is_in(cp_ids))
        change = {"tenant": [current["tenant"], target_tenant_id]}
        await audit.record(actor, current["tenant"], "station", station_id, "change_operator", change)
        await audit.record(actor, target_tenant_id, "station", station_id, "change_operator", change)
    return await get_station(actor, station_id)


# --- charge points -------------------------------------------------------------------------------


def _charge_points_where(actor: Actor, station_id: int | None, include_decommissioned: bool) -> Any:
    actor.require(Permission.INFRASTRUCTURE_VIEW)
    where: Any = ChargePoint.tenant.is_in(actor.scope)
    if station_id is not None:
        where &= ChargePoint.station == station_id
    return where if include_decommissioned else where & ChargePoint.decommissioned_at.is_null()


async def list_charge_points(
    actor: Actor,
    *,
    station_id: int | None = None,
    include_decommissioned: bool = True,
    offset: int = 0,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    query = ChargePoint.select(
        *ChargePoint.all_columns(), ChargePoint.station.charge_box_id.as_alias("charge_box_id")
    ).where(_charge_points_where(actor, station_id, include_decommissioned))
    query = query.order_by(ChargePoint.station).order_by(ChargePoint.evse_number)
    return await _window(query, offset, limit)


async def count_charge_points(
    actor: Actor, *, station_id: int | None = None, include_decommissioned: bool = True
) -> int:
    return await ChargePoint.count().where(_charge_points_where(actor, station_id, include_decommissioned))


async def get_charge_point(actor: Actor, charge_point_id: int) -> dict[str, Any]:
    actor.require(Permission.INFRASTRUCTURE_VIEW)
    row = (
        await ChargePoint.select(
            *ChargePoint.all_columns(),
            ChargePoint.station.charge_box_id.as_alias("charge_box_id"),
            ChargePoint.station.location.as_alias("location_id"),
        )
        .where((ChargePoint.id == charge_point_id) & ChargePoint.tenant.is_in(actor.scope))
        .first()
    )
    if row is None:
        raise NotFound("charge_point")
    return row


async def _check_charge_point_unique(data: dict[str, Any], station_id: int, exclude_id: int | None = None) -> None:
    errors: dict[str, Message] = {}
    if "evse_number" in data:
        query = ChargePoint.exists().where(
            (ChargePoint.station == station_id) & (ChargePoint.evse_number == data["evse_number"])
        )
        if exclude_id is not None:
            query = query.where(ChargePoint.id != exclude_id)
        if await query:
            errors["evse_number"] = Message("The station already has a charge point with this number.")
    if data.get("evse_id"):
        query = ChargePoint.exists().where(ChargePoint.evse_id == data["evse_id"])
        if exclude_id is not None:
            query = query.where(ChargePoint.id != exclude_id)
        if await query:
            errors["evse_id"] = Message("This EVSE-ID is already in use.")
    if errors:
        raise ValidationError(errors)


def _normalise_evse(data: dict[str, Any]) -> None:
    if "evse_id" in data:
        data["evse_id"] = normalize_evse_id(data["evse_id"]) if data["evse_id"] else None


async def create_charge_point(
    actor: Actor, raw: dict[str, Any], connector: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A charge point with its first connector (defaults: Type 2 socket, 22 kW AC)."""
    actor.require(Permission.INFRASTRUCTURE_MANAGE)
    data = CHARGE_POINT_SPEC.parse(raw)
    try:
        station = await get_station(actor, data.pop("station_id"))
    except NotFound:
        raise ValidationError({"station_id": Message("Unknown station.")}) from None
    _normalise_evse(data)
    connector_data = CONNECTOR_SPEC.parse({**(connector or {}), "charge_point_id": 0})
    connector_data.pop("charge_point_id")
    await _check_charge_point_unique(data, station["id"])
    cp = ChargePoint(tenant=station["tenant"], station=station["id"], **data)
    async with transaction():
        await cp.save()
        await Connector(tenant=station["tenant"], charge_point=cp.id, **connector_data).save()
        await refresh_charge_point_summary(cp.id)
        await audit.record(actor, station["tenant"], "charge_point", cp.id, "create", audit.diff({}, data))
    return await get_charge_point(actor, cp.id)


async def update_charge_point(actor: Actor, charge_point_id: int, raw: dict[str, Any]) -> dict[str, Any]:
    actor.require(Permission.INFRASTRUCTURE_MANAGE)
    current = await get_charge_point(actor, charge_point_id)
    data = CHARGE_POINT_SPEC.parse(raw, partial=True)
    if "station_id" in data and data.pop("station_id") != current["station"]:
        raise ValidationError({"station_id": Message("A charge point cannot move to another station.")})
    _normalise_evse(data)
    await _check_charge_point_unique(data, current["station"], exclude_id=charge_point_id)
    changes = audit.diff(current, data)
    if changes:
        async with transaction():
            await ChargePoint.update({**_columns(ChargePoint, data), ChargePoint.updated_at: _now()}).where(
                ChargePoint.id == charge_point_id
            )
            await audit.record(actor, current["tenant"], "charge_point", charge_point_id, "update", changes)
    return await get_charge_point(actor, charge_point_id)


async def decommission_charge_point(actor: Actor, charge_point_id: int) -> dict[str, Any]:
    actor.require(Permission.INFRASTRUCTURE_MANAGE)
    current = await get_charge_point(actor, charge_point_id)
    if current["decommissioned_at"] is None:
        async with transaction():
            await ChargePoint.update(
                {ChargePoint.decommissioned_at: _now(), ChargePoint.status: EvseStatus.REMOVED}
            ).where(ChargePoint.id == charge_point_id)
            await audit.record(actor, current["tenant"], "charge_point", charge_point_id, "decommission", {})
    return await get_charge_point(actor, charge_point_id)


async def refresh_charge_point_summary(charge_point_id: int) -> None:
    """Keeps the overview columns (power type, max power, standards) in step with the connectors."""
    connectors = await Connector.select().where(Connector.charge_point == charge_point_id)
    if not connectors:
        return
    power_type = "DC" if any(c["power_type"] == "DC" for c in connectors) else connectors[0]["power_type"]
    max_power = max(Decimal(c["max_electric_power"]) for c in connectors) / 1000
    standards = "|".join(sorted({c["standard"] for c in connectors}))
    await ChargePoint.update(
        {
            ChargePoint.power_type: power_type,
            ChargePoint.max_power_kw: max_power.quantize(Decimal("0.01")),
            ChargePoint.connector_standards: standards,
        }
    ).where(ChargePoint.id == charge_point_id)


# --- connectors ----------------------------------------------------------------------------------


async def _connectors_where(actor: Actor, charge_point_id: int | None) -> Any:
    actor.require(Permission.INFRASTRUCTURE_VIEW)
    if charge_point_id is None:
        return Connector.tenant.is_in(actor.scope)
    await get_charge_point(actor, charge_point_id)  # another tenant's charge point is NotFound
    return Connector.charge_point == charge_point_id


async def list_connectors(
    actor: Actor, charge_point_id: int | None = None, *, offset: int = 0, limit: int | None = None
) -> list[dict[str, Any]]:
    """The connectors of one charge point, or (no id) of every charge point the actor sees."""
    query = Connector.select().where(await _connectors_where(actor, charge_point_id))
    query = query.order_by(Connector.charge_point).order_by(Connector.connector_number)
    return await _window(query, offset, limit)


async def count_connectors(actor: Actor, charge_point_id: int | None = None) -> int:
    return await Connector.count().where(await _connectors_where(actor, charge_point_id))


async def connectors_of(actor: Actor, charge_point_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """The connectors of several charge points in one query, by charge point id (another tenant's: none)."""
    actor.require(Permission.INFRASTRUCTURE_VIEW)
    rows = (
        await Connector.select()
        .where(Connector.charge_point.is_in(charge_point_ids or [0]) & Connector.tenant.is_in(actor.scope))
        .order_by(Connector.charge_point)
        .order_by(Connector.connector_number)
    )
    grouped: dict[int, list[dict[str, Any]]] = {cp_id: [] for cp_id in charge_point_ids}
    for row in rows:
        grouped[row["charge_point"]].append(row)
    return grouped


async def get_connector(actor: Actor, connector_id: int) -> dict[str, Any]:
    actor.require(Permission.INFRASTRUCTURE_VIEW)
    row = await Connector.select().where((Connector.id == connector_id) & Connector.tenant.is_in(actor.scope)).first()
    if row is None:
        raise NotFound("connector")
    return row


async def _check_connector_number(charge_point_id: int, number: int, exclude_id: int | None = None) -> None:
    query = Connector.exists().where(
        (Connector.charge_point == charge_point_id) & (Connector.connector_number == number)
    )
    if exclude_id is not None:
        query = query.where(Connector.id != exclude_id)
    if await query:
        raise ValidationError(
            {"connector_number": Message("The charge point already has a connector with this number.")}
        )


async def create_connector(actor: Actor, raw: dict[str, Any]) -> dict[str, Any]:
    actor.require(Permission.INFRASTRUCTURE_MANAGE)
    data = CONNECTOR_SPEC.parse(raw)
    try:
        cp = await get_charge_point(actor, data.pop("charge_point_id"))
    except NotFound:
        raise ValidationError({"charge_point_id": Message("Unknown charge point.")}) from None
    await _check_connector_number(cp["id"], data["connector_number"])
    connector = Connector(tenant=cp["tenant"], charge_point=cp["id"], **data)
    async with transaction():
        await connector.save()
        await refresh_charge_point_summary(cp["id"])
        await audit.record(actor, cp["tenant"], "connector", connector.id, "create", audit.diff({}, data))
    return await get_connector(actor, connector.id)


async def update_connector(actor: Actor, connector_id: int, raw: dict[str, Any]) -> dict[str, Any]:
    actor.require(Permission.INFRASTRUCTURE_MANAGE)
    current = await get_connector(actor, connector_id)
    data = CONNECTOR_SPEC.parse(raw, partial=True)
    if "charge_point_id" in data and data.pop("charge_point_id") != current["charge_point"]:
        raise ValidationError({"charge_point_id": Message("A connector cannot move to another charge point.")})
    if "connector_number" in data:
        await _check_connector_number(current["charge_point"], data["connector_number"], exclude_id=connector_id)
    changes = audit.diff(current, data)
    if changes:
        async with transaction():
            await Connector.update({**_columns(Connector, data), Connector.updated_at: _now()}).where(
                Connector.id == connector_id
            )
            await refresh_charge_point_summary(current["charge_point"])
            await audit.record(actor, current["tenant"], "connector", connector_id, "update", changes)
    return await get_connector(actor, connector_id)


async def delete_connector(actor: Actor, connector_id: int) -> None:
    actor.require(Permission.INFRASTRUCTURE_MANAGE)
    current = await get_connector(actor, connector_id)
    if await Connector.count().where(Connector.charge_point == current["charge_point"]) <= 1:
        raise ValidationError({"__all__": Message("A charge point keeps at least one connector.")})
    async with transaction():
        await Connector.delete().where(Connector.id == connector_id)
        await refresh_charge_point_summary(current["charge_point"])
        await audit.record(actor, current["tenant"], "connector", connector_id, "delete", {})


# --- dashboard -----------------------------------------------------------------------------------


async def status_counts(actor: Actor) -> list[dict[str, Any]]:
    """Tiles by status group, counting charge points in service."""
    if not actor.can(Permission.INFRASTRUCTURE_VIEW):
        return []
    rows = (
        await ChargePoint.select(ChargePoint.status, Count(alias="n"))
        .where(ChargePoint.tenant.is_in(actor.scope) & ChargePoint.decommissioned_at.is_null())
        .group_by(ChargePoint.status)
    )
    by_status = {row["status"]: row["n"] for row in rows}
    return [
        {"group": key, "status": key, "label": label, "count": sum(by_status.get(s, 0) for s in statuses)}
        for key, (label, statuses) in STATUS_GROUPS.items()
    ]


# --- station data sheet: attributes, marketing readiness, charge groups ----------------------------

MAX_ATTRIBUTES = 50
MAX_ATTRIBUTE_KEY = 64
MAX_ATTRIBUTE_VALUE = 255

# The readiness checklist of the "Access" tab (vaylens): what roaming and POI listings need.
MARKETING_CHECKS: tuple[tuple[str, str], ...] = (
    ("evse_id", "EVSE-ID"),
    ("address", "Address"),
    ("city", "City"),
    ("postal_code", "Postal code"),
    ("country", "Country"),
    ("coordinates", "Coordinates"),
    ("hotline", "Hotline"),
    ("auth_type", "Authorisation type"),
    ("connectors", "Connectors"),
)


def clean_attributes(pairs: list[tuple[str, str]]) -> dict[str, str]:
    """Free key/value pairs of a station: blank rows are dropped, keys are unique and bounded."""
    result: dict[str, str] = {}
    for raw_key, raw_value in pairs:
        key, value = raw_key.strip(), raw_value.strip()
        if not key and not value:
            continue
        if not key:
            raise ValidationError({"attributes": Message("Every value needs a key.")})
        if len(key) > MAX_ATTRIBUTE_KEY or len(value) > MAX_ATTRIBUTE_VALUE:
            raise ValidationError(
                {
                    "attributes": Message(
                        "Keys have at most %(key)s characters, values at most %(value)s.",
                        {"key": MAX_ATTRIBUTE_KEY, "value": MAX_ATTRIBUTE_VALUE},
                    )
                }
            )
        if key in result:
            raise ValidationError({"attributes": Message("The key %(key)s appears twice.", {"key": key})})
        result[key] = value
    if len(result) > MAX_ATTRIBUTES:
        raise ValidationError({"attributes": Message("At most %(max)s attributes.", {"max": MAX_ATTRIBUTES})})
    return result


async def set_station_attributes(actor: Actor, station_id: int, pairs: list[tuple[str, str]]) -> dict[str, Any]:
    return await update_station(actor, station_id, {"attributes": clean_attributes(pairs)})


def marketing_checklist(
    location: dict[str, Any], charge_points: list[dict[str, Any]], connector_counts: dict[int, int]
) -> list[tuple[str, str, bool]]:
    """(key, label msgid, fulfilled) for each readiness check; decommissioned charge points do not count."""
    active = [cp for cp in charge_points if cp.get("decommissioned_at") is None]
    done = {
        "evse_id": bool(active) and all(cp.get("evse_id") for cp in active),
        "address": bool(location.get("address")),
        "city": bool(location.get("city")),
        "postal_code": bool(location.get("postal_code")),
        "country": bool(location.get("country")),
        "coordinates": location.get("latitude") is not None and location.get("longitude") is not None,
        "hotline": bool(location.get("hotline")),
        "auth_type": bool(active)
        and all(cp.get("auth_local_rfid") or cp.get("auth_remote") or cp.get("auth_direct_payment") for cp in active),
        "connectors": bool(active) and all(connector_counts.get(cp["id"], 0) > 0 for cp in active),
    }
    return [(key, label, done[key]) for key, label in MARKETING_CHECKS]


async def station_marketing(actor: Actor, station_id: int) -> list[tuple[str, str, bool]]:
    station = await get_station(actor, station_id)
    location = await get_location(actor, station["location"])
    charge_points = await list_charge_points(actor, station_id=station_id)
    counts: dict[int, int] = {}
    if charge_points:
        rows = (
            await Connector.select(Connector.charge_point, Count(alias="n"))
            .where(Connector.charge_point.is_in([cp["id"] for cp in charge_points]))
            .group_by(Connector.charge_point)
        )
        counts = {row["charge_point"]: row["n"] for row in rows}
    return marketing_checklist(location, charge_points, counts)


async def station_charge_groups(actor: Actor, station_id: int) -> list[dict[str, Any]]:
    """The charge groups any charge point of the station belongs to."""
    await get_station(actor, station_id)
    rows = (
        await ChargeGroupMember.select(
            ChargeGroupMember.group.id.as_alias("id"),
            ChargeGroupMember.group.name.as_alias("name"),
            ChargeGroupMember.group.access_control.as_alias("access_control"),
        )
        .where(
            (ChargeGroupMember.charge_point.station == station_id) & ChargeGroupMember.group.tenant.is_in(actor.scope)
        )
        .order_by(ChargeGroupMember.group.name)
    )
    unique: dict[int, dict[str, Any]] = {row["id"]: row for row in rows}
    return list(unique.values())


def ocpp_url(charge_box_id: str) -> str:
    """The websocket address a station must use: ws:// or wss:// like the public address, then /ocpp/<id>."""
    base = get_settings().public_url
    scheme, _, rest = base.partition("://")
    return f"{'wss' if scheme == 'https' else 'ws'}://{rest}/ocpp/{charge_box_id}"
