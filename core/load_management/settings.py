"""A location's load management settings (portal form, REST-ready spec) and its live allocation for the page."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from core.db import transaction
from core.errors import Message, ValidationError
from core.infrastructure.locations import get_location
from core.infrastructure.tables import ChargePoint
from core.load_management import service
from core.load_management.tables import LoadAllocation, LoadLimit
from core.tenancy import audit
from core.tenancy.actor import Actor
from core.tenancy.permissions import Permission
from core.validation import Field, FormSpec

UNITS = ("A", "kW")
PHASES = ("1", "3")


def _amperes(name: str, low: str, high: str, label: str) -> Field:
    return Field(name, kind="decimal", required=True, min_value=Decimal(low), max_value=Decimal(high), label=label)


LOAD_SPEC = FormSpec(
    "load_management",
    (
        Field("enabled", kind="bool", default=False, label="Load management on"),
        _amperes("limit_value", "1", "10000", "Grid connection limit"),  # amperes per phase, or kW
        Field("limit_unit", kind="choice", choices=UNITS, default="A", label="Unit"),
        Field("phases", kind="choice", choices=PHASES, default="3", label="Phases of the grid connection"),
        _amperes("min_current_a", "0", "80", "Minimum current per charge point (A)"),
    ),
)

DEFAULTS: dict[str, Any] = {"enabled": False, "limit_value": Decimal("32"), "limit_unit": "A", "phases": 3,
                            "min_current_a": Decimal("6")}  # fmt: skip


async def get_settings(actor: Actor, location_id: int) -> dict[str, Any]:
    """The location's settings (the defaults while none were saved); 404 for another tenant's location."""
    location = await get_location(actor, location_id)
    row = await LoadLimit.select().where(LoadLimit.location == location["id"]).first()
    return {**DEFAULTS, **(row or {})}


def _check(data: dict[str, Any]) -> None:
    errors: dict[str, Message] = {}
    if data["limit_unit"] == "A" and data["limit_value"] > 2000:
        errors["limit_value"] = Message("Enter at most %(max)s A per phase.", {"max": 2000})
    if data["limit_value"] != data["limit_value"].quantize(Decimal("0.1")):
        errors["limit_value"] = Message("Enter at most one decimal place.")
    if data["min_current_a"] != data["min_current_a"].quantize(Decimal("0.1")):
        errors["min_current_a"] = Message("Enter at most one decimal place.")
    if not errors:
        limit = service.grid_limits({**data, "phases": int(data["phases"])})[1]
        if data["enabled"] and limit < data["min_current_a"]:
            errors["limit_value"] = Message("The limit does not hold even one charge point at its minimum current.")
    if errors:
        raise ValidationError(errors)


async def save_settings(actor: Actor, location_id: int, raw: dict[str, Any]) -> dict[str, Any]:
    actor.require(Permission.INFRASTRUCTURE_MANAGE)
    location = await get_location(actor, location_id)
    data = LOAD_SPEC.parse(raw)
    _check(data)
    data["phases"] = int(data["phases"])
    current = await LoadLimit.select().where(LoadLimit.location == location["id"]).first()
    changes = audit.diff(current or DEFAULTS, data)
    async with transaction():
        if current is None:
            await LoadLimit(tenant=location["tenant"], location=location["id"], **data).save()
        else:
            values = {getattr(LoadLimit, key): value for key, value in data.items()}
            await LoadLimit.update({**values, LoadLimit.updated_at: datetime.now(UTC)}).where(
                LoadLimit.id == current["id"]
            )
        if changes:
            await audit.record(actor, location["tenant"], "location", location["id"], "load_management", changes)
    service.forget_locations()
    if data["enabled"]:
        service.request(location["id"])
    elif current is not None and current["enabled"]:
        service.switch_off(location["id"])
    return await get_settings(actor, location_id)


async def allocation_view(actor: Actor, location_id: int) -> dict[str, Any]:
    """The live allocation for the location page: the limit, the sum per phase and each charge point's share."""
    settings = await get_settings(actor, location_id)
    points = await ChargePoint.select(
        ChargePoint.id, ChargePoint.evse_id, ChargePoint.evse_number, ChargePoint.power_type,
        ChargePoint.station.as_alias("station_id"), ChargePoint.station.name.as_alias("station_name"),
        ChargePoint.station.charge_box_id.as_alias("charge_box_id"),
        ChargePoint.station.connected.as_alias("connected"),
    ).where(
        (ChargePoint.station.location == location_id)
        & ChargePoint.tenant.is_in(actor.scope)
        & ChargePoint.decommissioned_at.is_null()
        & ChargePoint.station.decommissioned_at.is_null()
    ).order_by(ChargePoint.station.charge_box_id).order_by(ChargePoint.evse_number)  # fmt: skip
    rows = {
        row["charge_point"]: row
        for row in await LoadAllocation.select().where(
            (LoadAllocation.location == location_id) & LoadAllocation.tenant.is_in(actor.scope)
        )
    }
    limit_a = service.grid_limits(settings)[1]
    counted = sum((Decimal(rows[p["id"]]["counted_a"]) for p in points if p["id"] in rows), Decimal(0))
    unconfirmed = sum(1 for row in rows.values() if row["state"] == service.ProfileState.UNCONFIRMED)
    return {"settings": settings, "limit_a": limit_a, "counted_a": counted, "unconfirmed": unconfirmed,
            "points": [{**point, "allocation": rows.get(point["id"])} for point in points],
            "share": min(Decimal(100), counted * 100 / limit_a) if limit_a else Decimal(0)}  # fmt: skip
