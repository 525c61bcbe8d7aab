"""Contract groups (Vertragsgruppen (CPO), seed 000), the tenant's roaming hub switch, and a station's hub settings
(its "Roaming" tab: authorised globally, which contract groups are enabled).

Decisions:

* A contract group belongs to one CPO tenant and lists EMP tenants of csms; any EMP tenant may be chosen (the
  hub's EMPs are other tenants, so the list is not limited to the actor's scope). Names are unique per tenant.
* A group enabled on a station must be one of the station's tenant's groups.
* Every change that can change what a partner sees raises ``StationRoaming.last_updated`` of the stations
  concerned (a group's members: every station with the group enabled; the hub switch: every station of the
  tenant), so OCPI GETs with ``date_from`` and the pushes notice it (core.roaming.visibility).
* Every change is audited (entity ``contract_group``, ``roaming_settings`` and ``station``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from core.db import transaction
from core.errors import Message, NotFound, ValidationError
from core.infrastructure.changes import stations_changed
from core.infrastructure.stations import get_station
from core.roaming.marketing import ensure_station_roaming_row, station_roaming_row
from core.roaming.tables import (
    ContractGroup,
    ContractGroupMember,
    RoamingSettings,
    StationContractGroup,
    StationRoaming,
)
from core.tenancy import audit
from core.tenancy.actor import Actor
from core.tenancy.permissions import Permission
from core.tenancy.tables import Tenant
from core.tenancy.tenants import TenantKind
from core.validation import Field, FormSpec

GROUP_SPEC = FormSpec(
    "contract_group",
    (
        Field("name", required=True, max_length=120, label="Name"),
        Field("emp_tenant_ids", kind="list", label="EMP tenants"),
    ),
)
SETTINGS_SPEC = FormSpec("roaming_settings", (Field("hub_enabled", kind="bool", default=False),))
STATION_HUB_SPEC = FormSpec(
    "station_hub",
    (Field("hub_authorised", kind="bool", default=False), Field("group_ids", kind="list", label="Contract groups")),
)
MAX_MEMBERS = 1000


def _now() -> datetime:
    return datetime.now(UTC)


async def emp_tenants() -> list[dict[str, Any]]:
    """Every EMP tenant of csms, by name: the choices of a contract group."""
    return list(
        await Tenant.select(Tenant.id, Tenant.name, Tenant.country_code, Tenant.party_id)
        .where(Tenant.kind == TenantKind.EMP.value)
        .order_by(Tenant.name)
    )


async def _touch_stations(where: Any) -> None:
    now = _now()
    rows = (
        await StationRoaming.update({StationRoaming.last_updated: now}).where(where).returning(StationRoaming.station)
    )
    await stations_changed((row["station"] for row in rows), now)


# --- the tenant's hub switch --------------------------------------------------------------------------------------


async def get_settings(actor: Actor) -> dict[str, Any]:
    actor.require(Permission.ROAMING_VIEW)
    row = await RoamingSettings.select().where(RoamingSettings.tenant == actor.tenant_id).first()
    return dict(row) if row else {"tenant": actor.tenant_id, "hub_enabled": False, "updated_at": None}


async def set_hub_enabled(actor: Actor, enabled: bool) -> dict[str, Any]:
    actor.require(Permission.ROAMING_MANAGE)
    current = await get_settings(actor)
    if bool(current["hub_enabled"]) == enabled:
        return current
    now = _now()
    async with transaction():
        if current.get("id") is None:
            await RoamingSettings.insert(RoamingSettings(tenant=actor.tenant_id, hub_enabled=enabled, updated_at=now))
        else:
            await RoamingSettings.update({RoamingSettings.hub_enabled: enabled, RoamingSettings.updated_at: now}).where(
                RoamingSettings.tenant == actor.tenant_id
            )
        await _touch_stations(StationRoaming.tenant == actor.tenant_id)
        row = await RoamingSettings.select(RoamingSettings.id).where(RoamingSettings.tenant == actor.tenant_id).first()
        assert row is not None
        changes = {"hub_enabled": [bool(current["hub_enabled"]), enabled]}
        await audit.record(actor, actor.tenant_id, "roaming_settings", row["id"], "update", changes)
    return await get_settings(actor)


# --- contract groups ----------------------------------------------------------------------------------------------


async def list_groups(actor: Actor) -> list[dict[str, Any]]:
    actor.require(Permission.ROAMING_VIEW)
    groups = list(
        await ContractGroup.select().where(ContractGroup.tenant.is_in(actor.scope)).order_by(ContractGroup.name)
    )
    if not groups:
        return []
    members = await ContractGroupMember.select(
        ContractGroupMember.group,
        ContractGroupMember.emp_tenant,
        ContractGroupMember.emp_tenant.name.as_alias("name"),
    ).where(ContractGroupMember.group.is_in([g["id"] for g in groups]))
    for group in groups:
        mine = [m for m in members if m["group"] == group["id"]]
        group["members"] = sorted(m["name"] for m in mine)
        group["emp_tenant_ids"] = sorted(m["emp_tenant"] for m in mine)
    return groups


async def get_group(actor: Actor, group_id: int) -> dict[str, Any]:
    actor.require(Permission.ROAMING_VIEW)
    row = (
        await ContractGroup.select()
        .where((ContractGroup.id == group_id) & ContractGroup.tenant.is_in(actor.scope))
        .first()
    )
    if row is None:
        raise NotFound("contract group")
    members = await ContractGroupMember.select(ContractGroupMember.emp_tenant).where(
        ContractGroupMember.group == group_id
    )
    return {**row, "emp_tenant_ids": sorted(m["emp_tenant"] for m in members)}


async def _clean(actor: Actor, raw: dict[str, Any], exclude_id: int | None = None) -> tuple[str, list[int]]:
    """Name and members, or a ValidationError naming every wrong field at once."""
    errors: dict[str, Message] = {}
    name = ""
    try:
        name = GROUP_SPEC.parse(raw)["name"]
    except ValidationError as exc:
        errors.update(exc.errors)
    if name:
        taken = ContractGroup.exists().where((ContractGroup.tenant == actor.tenant_id) & (ContractGroup.name == name))
        if exclude_id is not None:
            taken = taken.where(ContractGroup.id != exclude_id)
        if await taken:
            errors["name"] = Message("A contract group with this name exists already.")
    values = raw.get("emp_tenant_ids") or []
    wanted = sorted({int(v) for v in values if str(v).isdigit() and len(str(v)) < 12})
    known = {t["id"] for t in await emp_tenants()}
    if len(wanted) != len(set(map(str, values))) or any(t not in known for t in wanted):
        errors["emp_tenant_ids"] = Message("Choose one of the offered values.")
    elif len(wanted) > MAX_MEMBERS:
        errors["emp_tenant_ids"] = Message("At most %(max)s EMP tenants.", {"max": MAX_MEMBERS})
    if errors:
        raise ValidationError(errors)
    return name, wanted


async def create_group(actor: Actor, raw: dict[str, Any]) -> dict[str, Any]:
    actor.require(Permission.ROAMING_MANAGE)
    name, members = await _clean(actor, raw)
    now = _now()
    async with transaction():
        rows = await ContractGroup.insert(
            ContractGroup(tenant=actor.tenant_id, name=name, created_at=now, updated_at=now)
        ).returning(ContractGroup.id)
        group_id = rows[0]["id"]
        if members:
            await ContractGroupMember.insert(*[ContractGroupMember(group=group_id, emp_tenant=t) for t in members])
        await audit.record(
            actor, actor.tenant_id, "contract_group", group_id, "create", {"name": [None, name],
                                                                          "emp_tenant_ids": [None, members]}
        )  # fmt: skip
    return await get_group(actor, group_id)


async def update_group(actor: Actor, group_id: int, raw: dict[str, Any]) -> dict[str, Any]:
    actor.require(Permission.ROAMING_MANAGE)
    current = await get_group(actor, group_id)
    name, members = await _clean(actor, raw, exclude_id=group_id)
    changes = audit.diff(current, {"name": name, "emp_tenant_ids": members})
    if not changes:
        return current
    async with transaction():
        await ContractGroup.update({ContractGroup.name: name, ContractGroup.updated_at: _now()}).where(
            ContractGroup.id == group_id
        )
        if "emp_tenant_ids" in changes:
            await ContractGroupMember.delete().where(ContractGroupMember.group == group_id)
            if members:
                await ContractGroupMember.insert(*[ContractGroupMember(group=group_id, emp_tenant=t) for t in members])
            enabled_on = StationContractGroup.select(StationContractGroup.station).where(
                StationContractGroup.group == group_id
            )
            station_ids = [row["station"] for row in await enabled_on]
            if station_ids:
                await _touch_stations(StationRoaming.station.is_in(station_ids))
        await audit.record(actor, current["tenant"], "contract_group", group_id, "update", changes)
    return await get_group(actor, group_id)


async def delete_group(actor: Actor, group_id: int) -> None:
    """Delete a group; stations that had it enabled lose it (and their partners the stations)."""
    actor.require(Permission.ROAMING_MANAGE)
    current = await get_group(actor, group_id)
    station_ids = [
        row["station"]
        for row in await StationContractGroup.select(StationContractGroup.station).where(
            StationContractGroup.group == group_id
        )
    ]
    async with transaction():
        if station_ids:
            await _touch_stations(StationRoaming.station.is_in(station_ids))
        await ContractGroup.delete().where(ContractGroup.id == group_id)
        changes = {"name": [current["name"], None]}
        await audit.record(actor, current["tenant"], "contract_group", group_id, "delete", changes)


# --- a station's "Roaming" tab ------------------------------------------------------------------------------------


async def station_hub(actor: Actor, station_id: int) -> dict[str, Any]:
    """The station's hub settings and the tenant's groups, each marked enabled or not."""
    station = await get_station(actor, station_id)
    row = await station_roaming_row(station_id)
    enabled = {
        r["group"]
        for r in await StationContractGroup.select(StationContractGroup.group).where(
            StationContractGroup.station == station_id
        )
    }
    groups = [g for g in await list_groups(actor) if g["tenant"] == station["tenant"]]
    hub = (
        await RoamingSettings.select(RoamingSettings.hub_enabled)
        .where(RoamingSettings.tenant == station["tenant"])
        .first()
    )
    return {
        "station": station,
        "hub_authorised": bool(row["hub_authorised"]),
        "roaming": bool(row["roaming"]),
        "hub_enabled": bool(hub and hub["hub_enabled"]),
        "groups": [{**g, "enabled": g["id"] in enabled} for g in groups],
        "last_updated": row["last_updated"],
    }


async def save_station_hub(actor: Actor, station_id: int, hub_authorised: bool, group_ids: list[int]) -> dict[str, Any]:
    actor.require(Permission.ROAMING_MANAGE)
    state = await station_hub(actor, station_id)
    own = {g["id"] for g in state["groups"]}
    wanted = sorted(set(group_ids))
    if any(g not in own for g in wanted):
        raise ValidationError({"group_ids": Message("Choose one of the offered values.")})
    before = {"hub_authorised": state["hub_authorised"],
              "contract_group_ids": sorted(g["id"] for g in state["groups"] if g["enabled"])}  # fmt: skip
    changes = audit.diff(before, {"hub_authorised": hub_authorised, "contract_group_ids": wanted})
    if not changes:
        return state
    async with transaction():
        await ensure_station_roaming_row(station_id, state["station"]["tenant"])
        now = _now()
        await StationRoaming.update(
            {StationRoaming.hub_authorised: hub_authorised, StationRoaming.last_updated: now}
        ).where(StationRoaming.station == station_id)
        await stations_changed([station_id], now)
        await StationContractGroup.delete().where(StationContractGroup.station == station_id)
        if wanted:
            await StationContractGroup.insert(*[StationContractGroup(station=station_id, group=g) for g in wanted])
        await audit.record(actor, state["station"]["tenant"], "station", station_id, "update", changes)
    return await station_hub(actor, station_id)
