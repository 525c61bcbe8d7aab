"""Charge points (EVSEs, Ladepunkte) and their connectors, and the status tiles of the dashboard."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from core.db import columns, transaction, window
from core.errors import Message, NotFound, ValidationError
from core.infrastructure.changes import charge_points_changed
from core.infrastructure.evse_id import evse_id_is_own, foreign_operator_warning, normalize_evse_id
from core.infrastructure.evse_status import effective_status_of, effective_status_sql
from core.infrastructure.specs import CHARGE_POINT_SPEC, CONNECTOR_SPEC, STATUS_GROUPS, EvseStatus
from core.infrastructure.stations import get_station
from core.infrastructure.tables import ChargePoint, Connector
from core.tenancy import audit
from core.tenancy.actor import Actor
from core.tenancy.permissions import Permission


def _now() -> datetime:
    return datetime.now(UTC)


# --- charge points -------------------------------------------------------------------------------

# What the effective status and the EVSE-ID check need besides the charge point's own columns.
_STATION_FACTS = (
    ChargePoint.station.charge_box_id.as_alias("charge_box_id"),
    ChargePoint.station.status.as_alias("station_status"),
    ChargePoint.station.connected.as_alias("connected"),
    ChargePoint.tenant.country_code.as_alias("tenant_country_code"),
    ChargePoint.tenant.party_id.as_alias("tenant_party_id"),
)


def _with_derived(row: dict[str, Any]) -> dict[str, Any]:
    """``status`` becomes what the charge point really is (what its connector reported stays as
    ``connector_status``); ``evse_id_is_own`` and ``evse_id_warning`` say whether roaming may publish it."""
    row["connector_status"] = row["status"]
    row["status"] = effective_status_of(row).value
    row["connected"] = bool(row["connected"])
    operator = {"country_code": row.pop("tenant_country_code"), "party_id": row.pop("tenant_party_id")}
    row["evse_id_is_own"] = evse_id_is_own(row["evse_id"], operator)
    row["evse_id_warning"] = foreign_operator_warning(row["evse_id"], operator)
    return row


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
    query = ChargePoint.select(*ChargePoint.all_columns(), *_STATION_FACTS).where(
        _charge_points_where(actor, station_id, include_decommissioned)
    )
    query = query.order_by(ChargePoint.station).order_by(ChargePoint.evse_number)
    return [_with_derived(row) for row in await window(query, offset, limit)]


async def count_charge_points(
    actor: Actor, *, station_id: int | None = None, include_decommissioned: bool = True
) -> int:
    return await ChargePoint.count().where(_charge_points_where(actor, station_id, include_decommissioned))


async def get_charge_point(actor: Actor, charge_point_id: int) -> dict[str, Any]:
    actor.require(Permission.INFRASTRUCTURE_VIEW)
    row = (
        await ChargePoint.select(
            *ChargePoint.all_columns(), *_STATION_FACTS, ChargePoint.station.location.as_alias("location_id")
        )
        .where((ChargePoint.id == charge_point_id) & ChargePoint.tenant.is_in(actor.scope))
        .first()
    )
    if row is None:
        raise NotFound("charge_point")
    return _with_derived(row)


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
        await charge_points_changed([cp.id])
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
            now = _now()
            await ChargePoint.update({**columns(ChargePoint, data), ChargePoint.updated_at: now}).where(
                ChargePoint.id == charge_point_id
            )
            await charge_points_changed([charge_point_id], now)
            await audit.record(actor, current["tenant"], "charge_point", charge_point_id, "update", changes)
    return await get_charge_point(actor, charge_point_id)


async def decommission_charge_point(actor: Actor, charge_point_id: int) -> dict[str, Any]:
    actor.require(Permission.INFRASTRUCTURE_MANAGE)
    current = await get_charge_point(actor, charge_point_id)
    if current["decommissioned_at"] is None:
        async with transaction():
            now = _now()
            await ChargePoint.update(
                {ChargePoint.decommissioned_at: now, ChargePoint.status: EvseStatus.REMOVED}
            ).where(ChargePoint.id == charge_point_id)
            await charge_points_changed([charge_point_id], now)
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
    return await window(query, offset, limit)


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
        await charge_points_changed([cp["id"]])
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
            now = _now()
            await Connector.update({**columns(Connector, data), Connector.updated_at: now}).where(
                Connector.id == connector_id
            )
            await refresh_charge_point_summary(current["charge_point"])
            await charge_points_changed([current["charge_point"]], now)
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
        await charge_points_changed([current["charge_point"]])
        await audit.record(actor, current["tenant"], "connector", connector_id, "delete", {})


# --- dashboard -----------------------------------------------------------------------------------


async def status_counts(actor: Actor) -> list[dict[str, Any]]:
    """Tiles by status group, counting charge points in service by their effective status."""
    if not actor.can(Permission.INFRASTRUCTURE_VIEW):
        return []
    marks = ", ".join("{}" for _ in actor.scope)
    rows = await ChargePoint.raw(
        f"SELECT {effective_status_sql()} AS status, COUNT(*) AS n "  # noqa: S608 - fixed SQL, bound values
        "FROM charge_point cp JOIN charging_station s ON s.id = cp.station "
        f"WHERE cp.tenant IN ({marks}) AND cp.decommissioned_at IS NULL GROUP BY 1",
        *actor.scope,
    )
    by_status = {row["status"]: row["n"] for row in rows}
    return [
        {"group": key, "status": key, "label": label, "count": sum(by_status.get(s, 0) for s in statuses)}
        for key, (label, statuses) in STATUS_GROUPS.items()
    ]
