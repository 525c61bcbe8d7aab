"""Tariff assignments (Tarifzuweisungen): which tariff is active on a charge point when, scheduled changes,
cancelling, and the 7 % rule checked against the charge point's real assignment history.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from core.db import transaction
from core.errors import Conflict, Message, NotFound, ValidationError
from core.infrastructure import overview
from core.infrastructure.changes import charge_points_changed, locations_changed
from core.infrastructure.overview import OverviewQuery
from core.infrastructure.tables import ChargePoint, ChargingStation, Location
from core.tariffs.price_increase import LOOKBACK, IncreaseCheck, check_price_increase
from core.tariffs.pricing import TariffSnapshot
from core.tariffs.tables import Tariff, TariffAssignment
from core.tariffs.tariffs import PORTAL_TIME_ZONE, create_tariff, get_tariff, snapshot_of, tenant_pricing
from core.tenancy import audit
from core.tenancy.actor import Actor
from core.tenancy.permissions import Permission
from core.tenancy.tables import Tenant


def _now() -> datetime:
    return datetime.now(UTC)


MAX_CHARGE_POINTS_PER_ASSIGNMENT = 5000


def _assignment_columns() -> tuple[Any, ...]:
    return (
        *TariffAssignment.all_columns(),
        TariffAssignment.tariff.name.as_alias("tariff_name"),
        TariffAssignment.tariff.code.as_alias("tariff_code"),
    )


def _active_intervals(
    assignments: list[dict[str, Any]],
) -> list[tuple[dict[str, Any], datetime, datetime | None]]:
    """Each non-cancelled assignment with the interval in which it is the active one (valid_from order;
    of two with the same valid_from the later row wins)."""
    live = sorted((a for a in assignments if a["cancelled_at"] is None), key=lambda a: (a["valid_from"], a["id"]))
    result = []
    for index, row in enumerate(live):
        until = live[index + 1]["valid_from"] if index + 1 < len(live) else None
        if until is None or until > row["valid_from"]:
            result.append((row, row["valid_from"], until))
    return result


async def _assignments_of(charge_point_ids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
    by_cp: dict[int, list[dict[str, Any]]] = {cp: [] for cp in charge_point_ids}
    if not charge_point_ids:
        return by_cp
    rows = await TariffAssignment.select(*_assignment_columns()).where(
        TariffAssignment.charge_point.is_in(list(charge_point_ids))
    )
    for row in rows:
        by_cp[row["charge_point"]].append(row)
    return by_cp


def _active_at(assignments: list[dict[str, Any]], at: datetime) -> dict[str, Any] | None:
    for row, start, until in _active_intervals(assignments):
        if start <= at and (until is None or at < until):
            return row
    return None


def _recent_tariff_ids(assignments: list[dict[str, Any]], now: datetime) -> set[int]:
    """Tariffs active at any moment of [now - 30 days, now]."""
    window_start = now - LOOKBACK
    return {
        row["tariff"]
        for row, start, until in _active_intervals(assignments)
        if start <= now and (until is None or until > window_start)
    }


async def current_and_future(tenant_id: int, now: datetime) -> list[dict[str, Any]]:
    rows = await TariffAssignment.select(*_assignment_columns()).where(TariffAssignment.tenant == tenant_id)
    by_cp: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        by_cp.setdefault(row["charge_point"], []).append(row)
    result = []
    for items in by_cp.values():
        for row, _start, until in _active_intervals(items):
            if until is None or until > now:
                result.append(row)
    return result


async def tariff_snapshot_for(charge_point_id: int, at: datetime) -> TariffSnapshot | None:
    """The tariff active on the charge point at ``at`` as a snapshot (VAT rate: the tenant's current rate);
    None when no tariff was assigned then. For the CDR step; no actor: the caller already owns the session."""
    assignments = (await _assignments_of([charge_point_id]))[charge_point_id]
    active = _active_at(assignments, at)
    if active is None:
        return None
    return await tariff_snapshot(active["tariff"])


async def tariff_snapshot(tariff_id: int) -> TariffSnapshot | None:
    """One tariff as a snapshot with its tenant's current VAT rate (also a driver group's tariff, core.cdrs)."""
    tariff = await Tariff.select().where(Tariff.id == tariff_id).first()
    if tariff is None:
        return None
    tenant = await Tenant.select(Tenant.vat_rate).where(Tenant.id == tariff["tenant"]).first()
    if tenant is None:
        return None
    return snapshot_of(tariff, Decimal(str(tenant["vat_rate"])))


async def charge_point_tariffs(actor: Actor, charge_point_id: int, *, now: datetime | None = None) -> dict[str, Any]:
    """Active and scheduled tariff and the full history (newest first) of one charge point."""
    actor.require(Permission.TARIFFS_VIEW)
    await _visible_charge_points(actor, [charge_point_id])
    now = now or _now()
    assignments = (await _assignments_of([charge_point_id]))[charge_point_id]
    active = _active_at(assignments, now)
    scheduled = [
        row for row, start, _ in _active_intervals(assignments) if start > now
    ]
    history = sorted(assignments, key=lambda a: (a["valid_from"], a["id"]), reverse=True)
    for row in history:
        row["is_active"] = active is not None and row["id"] == active["id"]
        row["is_scheduled"] = row in scheduled
        row["can_cancel"] = row["cancelled_at"] is None and row["valid_from"] > now
    return {"active": active, "scheduled": scheduled, "history": history}


async def active_tariffs(
    actor: Actor, charge_point_ids: Sequence[int], *, now: datetime | None = None
) -> dict[int, dict[str, dict[str, Any] | None]]:
    """For a page of charge points: {id: {"active": assignment or None, "scheduled": next scheduled or None}}."""
    actor.require(Permission.TARIFFS_VIEW)
    now = now or _now()
    visible = await ChargePoint.select(ChargePoint.id).where(
        ChargePoint.id.is_in(list(charge_point_ids) or [0]) & ChargePoint.tenant.is_in(actor.scope)
    )
    by_cp = await _assignments_of([row["id"] for row in visible])
    result: dict[int, dict[str, dict[str, Any] | None]] = {}
    for cp_id, items in by_cp.items():
        upcoming = [row for row, start, _ in _active_intervals(items) if start > now]
        result[cp_id] = {"active": _active_at(items, now), "scheduled": upcoming[0] if upcoming else None}
    return result


async def _visible_charge_points(actor: Actor, charge_point_ids: Sequence[int]) -> list[dict[str, Any]]:
    ids = sorted(set(charge_point_ids))
    if not ids:
        return []
    rows = await ChargePoint.select(
        ChargePoint.id, ChargePoint.tenant, ChargePoint.evse_id, ChargePoint.power_type,
        ChargePoint.station.charge_box_id.as_alias("charge_box_id"), ChargePoint.evse_number,
    ).where(ChargePoint.id.is_in(ids) & ChargePoint.tenant.is_in(actor.scope) & ChargePoint.decommissioned_at.is_null())
    if len(rows) != len(ids):
        raise NotFound("charge_point")
    return sorted(rows, key=lambda r: (r["evse_id"] or "", r["id"]))


async def charge_point_ids_for_filter(actor: Actor, query: OverviewQuery) -> list[int]:
    """Every charge point the advanced overview shows for ``query``; one more than may be assigned at once, so that
    the caller sees when there are too many."""
    return await overview.matching_ids(actor, query, MAX_CHARGE_POINTS_PER_ASSIGNMENT + 1)


@dataclass(frozen=True)
class AssignmentReview:
    charge_point: dict[str, Any]
    active: dict[str, Any] | None
    check: IncreaseCheck


def parse_valid_from(value: Any, *, tz: str = PORTAL_TIME_ZONE) -> datetime:
    """An ISO date-time; without an offset it is local time in ``tz`` (what a datetime-local input sends)."""
    if isinstance(value, datetime):
        parsed = value
    else:
        try:
            parsed = datetime.fromisoformat(str(value or "").strip())
        except ValueError:
            raise ValidationError({"valid_from": Message("Enter a date and time.")}) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=ZoneInfo(tz))
    return parsed.astimezone(UTC)


async def review_assignment(
    actor: Actor, tariff_id: int, charge_point_ids: Sequence[int], valid_from: datetime,
    *, now: datetime | None = None,
) -> list[AssignmentReview]:
    """What assigning would do, per charge point, with the 7 % rule's verdict."""
    actor.require(Permission.TARIFFS_MANAGE)
    now = now or _now()
    tariff = await get_tariff(actor, tariff_id)
    if valid_from < now - timedelta(minutes=5):
        raise ValidationError({"valid_from": Message("The valid-from time must not lie in the past.")})
    valid_from = max(valid_from, now)  # "now" typed a minute ago still means now
    if tariff["archived_at"] is not None:
        raise ValidationError({"tariff": Message("This tariff is archived.")})
    if not charge_point_ids:
        raise ValidationError({"charge_points": Message("Choose at least one charge point.")})
    if len(set(charge_point_ids)) > MAX_CHARGE_POINTS_PER_ASSIGNMENT:
        raise ValidationError({"charge_points": Message(
            "At most %(max)s charge points at once.", {"max": MAX_CHARGE_POINTS_PER_ASSIGNMENT})})
    charge_points = await _visible_charge_points(actor, charge_point_ids)
    if any(cp["tenant"] != tariff["tenant"] for cp in charge_points):
        raise ValidationError({"charge_points": Message("Tariff and charge points must belong to the same company.")})
    _, vat_rate, _ = await tenant_pricing(tariff["tenant"])
    new = snapshot_of(tariff, vat_rate)
    assignments = await _assignments_of([cp["id"] for cp in charge_points])
    recent_ids = set().union(*(_recent_tariff_ids(a, now) for a in assignments.values()))
    recent_rows = {r["id"]: r for r in await Tariff.select().where(Tariff.id.is_in(list(recent_ids)))} \
        if recent_ids else {}
    reviews = []
    for cp in charge_points:
        items = assignments[cp["id"]]
        recent = [snapshot_of(recent_rows[t], vat_rate) for t in _recent_tariff_ids(items, now)]
        check = check_price_increase(new, recent, valid_from, now)
        reviews.append(AssignmentReview(cp, _active_at(items, now), check))
    return reviews


async def assign_tariff(
    actor: Actor, tariff_id: int, charge_point_ids: Sequence[int], valid_from: datetime,
    *, only_allowed: bool = False, now: datetime | None = None,
) -> list[dict[str, Any]]:
    """Assign the tariff from ``valid_from``. Charge points where the 7 % rule refuses the date make the whole
    call fail (field ``valid_from``), unless ``only_allowed``: then they are skipped. Returns the new rows."""
    now = now or _now()
    reviews = await review_assignment(actor, tariff_id, charge_point_ids, valid_from, now=now)
    refused = [r for r in reviews if not r.check.allowed]
    if refused and not only_allowed:
        earliest = max(r.check.earliest_valid_from for r in refused)
        raise ValidationError({"valid_from": Message(
            "A price increase of more than 7 %% must be scheduled at least 30 days ahead: "
            "not before %(earliest)s on %(count)s charge points.",
            {"earliest": earliest.astimezone(ZoneInfo(PORTAL_TIME_ZONE)).strftime("%d.%m.%Y %H:%M"),
             "count": len(refused)},
        )})
    created = []
    async with transaction():
        for review in reviews:
            if not review.check.allowed:
                continue
            row = TariffAssignment(
                tenant=review.charge_point["tenant"], tariff=tariff_id, charge_point=review.charge_point["id"],
                valid_from=review.check.valid_from, created_by=actor.user_id, created_by_label=actor.label,
                created_at=now,
            )
            await row.save()
            await audit.record(actor, review.charge_point["tenant"], "charge_point", review.charge_point["id"],
                               "tariff_assign", {"tariff": [None, tariff_id],
                                                 "valid_from": [None, row.valid_from.isoformat()]})
            created.append(row.to_dict())
        # The connectors' OCPI tariff_ids list the scheduled tariff as well as the one in force.
        await charge_points_changed((row["charge_point"] for row in created), now)
    return created


async def list_assignments(actor: Actor, tariff_id: int) -> list[dict[str, Any]]:
    """Every assignment of a tariff (history included, each with its state), newest valid_from first."""
    tariff = await get_tariff(actor, tariff_id)
    return await find_assignments(actor, tariff_id=tariff["id"])


async def cancel_assignment(actor: Actor, assignment_id: int, *, now: datetime | None = None) -> int:
    """Cancel a scheduled assignment (valid_from still ahead); it stays in the history, marked cancelled.
    Returns the charge point's id."""
    actor.require(Permission.TARIFFS_MANAGE)
    now = now or _now()
    row = await TariffAssignment.select().where(
        (TariffAssignment.id == assignment_id) & TariffAssignment.tenant.is_in(actor.scope)
    ).first()
    if row is None:
        raise NotFound("tariff_assignment")
    if row["cancelled_at"] is not None or row["valid_from"] <= now:
        raise Conflict(Message("Only a scheduled tariff can be cancelled."))
    async with transaction():
        await TariffAssignment.update({TariffAssignment.cancelled_at: now}).where(
            TariffAssignment.id == assignment_id
        )
        await charge_points_changed([row["charge_point"]], now)
        await audit.record(actor, row["tenant"], "charge_point", row["charge_point"], "tariff_cancel",
                           {"tariff": [row["tariff"], None]})
    return int(row["charge_point"])


# How far back the periodic check looks for assignments that took effect: far longer than its period, so that a
# few missed runs (a restart, a database away for a while) lose nothing.
IN_FORCE_LOOKBACK = timedelta(days=2)


async def mark_assignments_in_force(*, now: datetime | None = None) -> list[int]:
    """Raises ``last_updated`` of each location where a scheduled assignment took effect after the location last
    changed: its connectors' tariff_ids changed with no writer involved. Periodic (core.periodic); idempotent, since
    a raised location is newer than the assignment and is not found again, so several processes may run it.
    Returns the raised locations' ids."""
    now = now or _now()
    t = {table: table._meta.tablename for table in (TariffAssignment, ChargePoint, ChargingStation, Location)}
    rows = await TariffAssignment.raw(
        f'SELECT DISTINCT l."id" AS location_id FROM "{t[TariffAssignment]}" a '  # noqa: S608 - bound values
        f'JOIN "{t[ChargePoint]}" cp ON cp."id" = a."charge_point" '
        f'JOIN "{t[ChargingStation]}" s ON s."id" = cp."station" '
        f'JOIN "{t[Location]}" l ON l."id" = s."location" '
        'WHERE a."cancelled_at" IS NULL AND a."valid_from" > {} AND a."valid_from" <= {} '
        'AND l."last_updated" < a."valid_from"',
        now - IN_FORCE_LOOKBACK,
        now,
    )
    ids = sorted(int(row["location_id"]) for row in rows)
    await locations_changed(ids, now)
    return ids


class AssignmentState(StrEnum):
    ACTIVE = "ACTIVE"  # the tariff in force on its charge point now
    SCHEDULED = "SCHEDULED"  # will be in force from valid_from
    PAST = "PAST"  # was in force, replaced since
    SUPERSEDED = "SUPERSEDED"  # never in force: another assignment took its place before it began
    CANCELLED = "CANCELLED"


def assignment_states(assignments: list[dict[str, Any]], now: datetime) -> dict[int, AssignmentState]:
    """The state of each assignment of ONE charge point at ``now``."""
    intervals = {row["id"]: (start, until) for row, start, until in _active_intervals(assignments)}
    states: dict[int, AssignmentState] = {}
    for row in assignments:
        if row["cancelled_at"] is not None:
            states[row["id"]] = AssignmentState.CANCELLED
        elif row["id"] not in intervals:
            states[row["id"]] = AssignmentState.SUPERSEDED
        else:
            start, until = intervals[row["id"]]
            if start > now:
                states[row["id"]] = AssignmentState.SCHEDULED
            elif until is None or until > now:
                states[row["id"]] = AssignmentState.ACTIVE
            else:
                states[row["id"]] = AssignmentState.PAST
    return states


async def find_assignments(
    actor: Actor, *, charge_point_id: int | None = None, tariff_id: int | None = None,
    state: AssignmentState | None = None, now: datetime | None = None,
) -> list[dict[str, Any]]:
    """Assignments of the actor's tenants, each with its ``state``, newest valid_from first.

    The state of an assignment depends on the other assignments of its charge point, so those are read along.
    """
    actor.require(Permission.TARIFFS_VIEW)
    now = now or _now()
    where: Any = TariffAssignment.tenant.is_in(actor.scope)
    if charge_point_id is not None:
        where &= TariffAssignment.charge_point == charge_point_id
    if tariff_id is not None:
        where &= TariffAssignment.tariff == tariff_id
    wanted = await TariffAssignment.select(*_assignment_columns()).where(where)
    by_cp = await _assignments_of(sorted({row["charge_point"] for row in wanted}))
    states: dict[int, AssignmentState] = {}
    for items in by_cp.values():
        states.update(assignment_states(items, now))
    result = []
    for row in wanted:
        row["state"] = states[row["id"]]
        if state is None or row["state"] == state:
            result.append(row)
    result.sort(key=lambda a: (a["valid_from"], a["id"]), reverse=True)
    return result


async def get_assignment(actor: Actor, assignment_id: int, *, now: datetime | None = None) -> dict[str, Any]:
    actor.require(Permission.TARIFFS_VIEW)
    row = await TariffAssignment.select(TariffAssignment.charge_point).where(
        (TariffAssignment.id == assignment_id) & TariffAssignment.tenant.is_in(actor.scope)
    ).first()
    if row is None:
        raise NotFound("tariff_assignment")
    rows = await find_assignments(actor, charge_point_id=row["charge_point"], now=now)
    return next(r for r in rows if r["id"] == assignment_id)


async def archive_tariff(actor: Actor, tariff_id: int) -> dict[str, Any]:
    """Hide a tariff from new assignments; refused while it is active or scheduled on a charge point."""
    actor.require(Permission.TARIFFS_MANAGE)
    row = await get_tariff(actor, tariff_id)
    now = _now()
    in_use = await current_and_future(row["tenant"], now)
    if any(a["tariff"] == tariff_id for a in in_use):
        raise Conflict(Message("The tariff is active or scheduled on charge points; assign another tariff first."))
    await Tariff.update({Tariff.archived_at: now, Tariff.updated_at: now}).where(Tariff.id == tariff_id)
    await audit.record(actor, row["tenant"], "tariff", tariff_id, "archive", {})
    return await get_tariff(actor, tariff_id)


DEMO_TARIFF = {
    "name": "Demo Tarif", "currency": "EUR",
    "ac_energy_per_kwh": "0.40", "ac_time_per_minute": "0.02", "ac_time_from_minute": 60,
    "dc_energy_per_kwh": "0.50", "dc_time_per_minute": "0.02", "dc_time_from_minute": 60,
}  # fmt: skip  # the seed's example (seed 003, "Tarif anlegen")


async def ensure_demo_tariff(actor: Actor) -> None:
    """The demo's tariff, active on every charge point of the tenant that has none; idempotent."""
    existing = await Tariff.select(Tariff.id).where(
        (Tariff.tenant == actor.tenant_id) & (Tariff.name == DEMO_TARIFF["name"])
    ).first()
    tariff_id = existing["id"] if existing else (await create_tariff(actor, dict(DEMO_TARIFF)))["id"]
    charge_points = await ChargePoint.select(ChargePoint.id).where(
        (ChargePoint.tenant == actor.tenant_id) & ChargePoint.decommissioned_at.is_null()
    )
    assigned = await TariffAssignment.select(TariffAssignment.charge_point).where(
        TariffAssignment.tenant == actor.tenant_id
    )
    missing = sorted({row["id"] for row in charge_points} - {row["charge_point"] for row in assigned})
    if missing:
        await assign_tariff(actor, tariff_id, missing, _now())
