"""Alerts and notification groups as CPO staff see and change them: the list (open or past, per station),
acknowledging, and the groups (recipients, cases, charge points). Reading needs ``alerts.view``; acknowledging and
changing groups ``alerts.manage``. Every query is limited to the actor's tenants."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from core.alerts.cases import Case
from core.alerts.rules import Source
from core.alerts.tables import Alert, NotificationGroup, NotificationGroupMember
from core.db import transaction
from core.errors import Message, NotFound, ValidationError
from core.infrastructure.tables import ChargingStation, Location
from core.tenancy import audit
from core.tenancy.actor import Actor
from core.tenancy.permissions import Permission
from core.validation import Field, FormSpec, is_email

LIST_LIMIT = 200
MAX_RECIPIENTS = 20

GROUP_SPEC = FormSpec(
    "notification_group",
    (
        Field("name", required=True, max_length=120),
        Field("recipients", kind="list", required=True),
        Field("cases", kind="list", required=True, choices=tuple(Case)),
        Field("all_charge_points", kind="bool", default=False),
        Field("location_ids", kind="list"),
        Field("station_ids", kind="list"),
        Field("language", kind="choice", choices=("", "de", "en"), default=""),
    ),
)


def _now() -> datetime:
    return datetime.now(UTC)


async def list_alerts(actor: Actor, *, past: bool = False, station_id: int | None = None,
                      limit: int = LIST_LIMIT) -> list[dict[str, Any]]:  # fmt: skip
    """Open alerts (newest first), or past ones (closed, newest closed first), with what identifies the place."""
    actor.require(Permission.ALERTS_VIEW)
    query = Alert.select(
        *Alert.all_columns(), Alert.station.name.as_alias("station_name"),
        Alert.station.charge_box_id.as_alias("charge_box_id"), Alert.charge_point.evse_id.as_alias("evse_id"),
        Alert.station._.location._.name.as_alias("location_name"), Alert.station._.location._.city.as_alias("city"),
    ).where(Alert.tenant.is_in(actor.scope)).output(load_json=True)  # fmt: skip
    query = query.where(Alert.closed_at.is_not_null() if past else Alert.closed_at.is_null())
    if station_id is not None:
        query = query.where(Alert.station == station_id)
    order = Alert.closed_at if past else Alert.opened_at
    return await query.order_by(order, Alert.id, ascending=False).limit(limit)


async def count_open(actor: Actor) -> int:
    if not actor.can(Permission.ALERTS_VIEW):
        return 0
    return await Alert.count().where(Alert.tenant.is_in(actor.scope) & Alert.closed_at.is_null())


async def acknowledge(actor: Actor, alert_id: int) -> dict[str, Any]:
    """Somebody is on it. An anomaly (an event, not a state that recovers) is closed by acknowledging it."""
    actor.require(Permission.ALERTS_VIEW)
    actor.require(Permission.ALERTS_MANAGE)
    row = await Alert.select().where((Alert.id == alert_id) & Alert.tenant.is_in(actor.scope)).first()
    if row is None:
        raise NotFound("alert")
    now = _now()
    values: dict[Any, Any] = {
        Alert.acknowledged_at: row["acknowledged_at"] or now,
        Alert.acknowledged_by: actor.user_id,
    }
    if row["source"] == Source.ANOMALY and row["closed_at"] is None:
        values.update({Alert.closed_at: now, Alert.open_key: None, Alert.recovery_notified_at: now})
    await Alert.update(values).where(Alert.id == alert_id)
    return {**row, "acknowledged_at": values[Alert.acknowledged_at]}


# --- notification groups ----------------------------------------------------------------------------------------


async def list_groups(actor: Actor) -> list[dict[str, Any]]:
    actor.require(Permission.ALERTS_VIEW)
    groups = await NotificationGroup.select().where(NotificationGroup.tenant.is_in(actor.scope)).order_by(
        NotificationGroup.name).output(load_json=True)  # fmt: skip
    counts: dict[int, int] = {}
    if groups:
        for row in await NotificationGroupMember.select(NotificationGroupMember.group).where(
            NotificationGroupMember.group.is_in([g["id"] for g in groups])
        ):
            counts[row["group"]] = counts.get(row["group"], 0) + 1
    return [{**group, "member_count": counts.get(group["id"], 0)} for group in groups]


async def get_group(actor: Actor, group_id: int) -> dict[str, Any]:
    actor.require(Permission.ALERTS_VIEW)
    group = await NotificationGroup.select().where(
        (NotificationGroup.id == group_id) & NotificationGroup.tenant.is_in(actor.scope)
    ).output(load_json=True).first()  # fmt: skip
    if group is None:
        raise NotFound("notification group")
    members = await NotificationGroupMember.select().where(NotificationGroupMember.group == group_id)
    group["location_ids"] = [m["location"] for m in members if m["location"]]
    group["station_ids"] = [m["station"] for m in members if m["station"]]
    return group


async def _ids(raw: list[str], table: Any, tenant_id: int, field: str) -> list[int]:
    try:
        wanted = sorted({int(item) for item in raw})
    except ValueError:
        raise ValidationError({field: Message("Choose from the list.")}) from None
    if not wanted:
        return []
    found = {
        row["id"] for row in await table.select(table.id).where(table.id.is_in(wanted) & (table.tenant == tenant_id))
    }
    if found != set(wanted):
        raise ValidationError({field: Message("Choose from the list.")})
    return wanted


async def save_group(actor: Actor, raw: dict[str, Any], group_id: int | None = None) -> dict[str, Any]:
    """Creates or changes a group: at least one valid recipient (at most 20), one case, and either every charge
    point or the chosen locations and stations (of the group's tenant)."""
    actor.require(Permission.ALERTS_VIEW)
    actor.require(Permission.ALERTS_MANAGE)
    current = await get_group(actor, group_id) if group_id is not None else None
    tenant_id = current["tenant"] if current else actor.tenant_id
    data = GROUP_SPEC.parse(raw)
    recipients = sorted({address.lower() for address in data["recipients"]})
    bad = [address for address in recipients if not is_email(address)]
    if bad:
        raise ValidationError({"recipients": Message("Not an e-mail address: %(value)s", {"value": ", ".join(bad)})})
    if len(recipients) > MAX_RECIPIENTS:
        raise ValidationError({"recipients": Message("At most %(count)s addresses.", {"count": MAX_RECIPIENTS})})
    locations = await _ids(data.get("location_ids") or [], Location, tenant_id, "location_ids")
    stations = await _ids(data.get("station_ids") or [], ChargingStation, tenant_id, "station_ids")
    if not data["all_charge_points"] and not locations and not stations:
        raise ValidationError({"station_ids": Message("Choose locations or stations, or all charge points.")})
    values = {"name": data["name"], "recipients": recipients, "cases": data["cases"],
              "all_charge_points": data["all_charge_points"], "language": data.get("language") or ""}  # fmt: skip
    async with transaction():
        if current is None:
            rows = await NotificationGroup.insert(NotificationGroup(tenant=tenant_id, **values)).returning(
                NotificationGroup.id)  # fmt: skip
            group_id = int(rows[0]["id"])
        else:
            await NotificationGroup.update({getattr(NotificationGroup, k): v for k, v in values.items()}).where(
                NotificationGroup.id == group_id)  # fmt: skip
            await NotificationGroupMember.delete().where(NotificationGroupMember.group == group_id)
        members = [NotificationGroupMember(group=group_id, location=i) for i in locations] + [
            NotificationGroupMember(group=group_id, station=i) for i in stations
        ]
        if members and not data["all_charge_points"]:
            await NotificationGroupMember.insert(*members)
        assert group_id is not None
        await audit.record(actor, tenant_id, "notification_group", group_id, "update" if current else "create",
                           audit.diff(current or {}, values))  # fmt: skip
    return await get_group(actor, group_id)


async def delete_group(actor: Actor, group_id: int) -> None:
    actor.require(Permission.ALERTS_VIEW)
    actor.require(Permission.ALERTS_MANAGE)
    group = await get_group(actor, group_id)
    await NotificationGroup.delete().where(NotificationGroup.id == group_id)
    await audit.record(actor, group["tenant"], "notification_group", group_id, "delete", {})


async def choices(actor: Actor) -> dict[str, list[dict[str, Any]]]:
    """The locations and stations a group may hold (not decommissioned), by name."""
    actor.require(Permission.ALERTS_VIEW)
    locations = await Location.select(Location.id, Location.name, Location.city).where(
        Location.tenant.is_in(actor.scope) & Location.decommissioned_at.is_null()).order_by(Location.name)  # fmt: skip
    columns = (ChargingStation.id, ChargingStation.name, ChargingStation.charge_box_id)
    stations = await ChargingStation.select(*columns).where(
        ChargingStation.tenant.is_in(actor.scope) & ChargingStation.decommissioned_at.is_null()
    ).order_by(ChargingStation.charge_box_id)  # fmt: skip
    return {"locations": locations, "stations": stations}
