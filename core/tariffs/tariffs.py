"""Tariffs (CPO Tarife): create, edit, assign to charge points, and the 7 % price-increase rule.

Decisions (see docs/tariffs.md):

* Prices are net; VAT comes from the tenant's VAT rate and is added on top (``core.pricing``).
* The tenant's first tariff fixes its currency; every later tariff uses it ("The currency cannot be changed later
  and is your default currency for all subsequent tariffs", seed 003).
* Each tariff gets a stable code ``CPO`` + UTC creation time (``CPO20240723073331``), unique per tenant.
* Editing: the name can always change. Prices can change only while the tariff has never been assigned. Once a
  tariff is (or was, or will be) active on a charge point, or is (was) a driver group's tariff, its prices are
  frozen, so assignment history is price history and every CDR's tariff snapshot matches what the portal shows.
  New prices = a new tariff ("Copy") assigned with a valid-from date, which is where the 7 % rule is checked per
  charge point.
* Assignments are never overwritten: a new row with a later ``valid_from`` supersedes the previous one; a
  scheduled (future) assignment can be cancelled, which marks it and keeps it in the history.
* The 7 % rule (``check_price_increase``, pure): compared per price component (AC energy, AC per minute, AC
  session fee, the same for DC, and the parking price per minute), each against the highest value of the same
  component among the tariffs active on the charge point at any moment of the last 30 days. An increase of a
  component by more than 7 % (a fee where there was none counts as more than 7 %; fewer free minutes before a
  per-minute fee also counts) needs ``valid_from`` at least 30 days after now. Exactly 7 % is allowed. A charge
  point without any tariff in the last 30 days has nothing to compare with: no lead time needed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from core import audit
from core.context import Actor
from core.db import is_postgres, transaction
from core.errors import Conflict, Message, NotFound, ValidationError
from core.overview import OverviewQuery, build_where
from core.permissions import Permission
from core.pricing import Price, PriceSet, SessionFacts, TariffSnapshot, gross_unit_price, price_session
from core.tables import ChargePoint, Tenant
from core.tables_charging import ChargingSession
from core.tables_driver_groups import DriverGroup
from core.tables_tariffs import Tariff, TariffAssignment
from core.validation import Field, FormSpec

CURRENCIES = ("EUR", "CHF", "GBP", "DKK", "SEK", "NOK", "PLN", "CZK", "HUF", "USD")
INCREASE_LIMIT_PERCENT = Decimal("7")
LEAD_TIME = timedelta(days=30)
LOOKBACK = timedelta(days=30)
MAX_CHARGE_POINTS_PER_ASSIGNMENT = 5000
PORTAL_TIME_ZONE = "Europe/Berlin"  # the portal shows and reads local times in this zone
MAX_PRICE = Decimal("1000")
MAX_FREE_MINUTES = 7 * 24 * 60


def _four_places(value: Decimal) -> Message | None:
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -4:
        return Message("At most 4 decimal places.")
    return None


def _price(name: str, label: str, *, required: bool = False) -> Field:
    return Field(name, kind="decimal", required=required, min_value=Decimal(0), max_value=MAX_PRICE,
                 default=Decimal(0), checks=(_four_places,), label=label)


def _minutes(name: str, label: str) -> Field:
    return Field(name, kind="int", min_value=0, max_value=MAX_FREE_MINUTES, default=0, label=label)


PRICE_FIELDS = tuple(
    f
    for power in ("ac", "dc")
    for f in (
        _price(f"{power}_energy_per_kwh", "Price per kWh", required=True),
        _price(f"{power}_time_per_minute", "Price per minute"),
        _minutes(f"{power}_time_from_minute", "Valid from minute"),
        _price(f"{power}_session_fee", "Session fee"),
    )
) + (
    _price("parking_per_minute", "Parking price per minute"),
    _minutes("parking_from_minute", "Parking free minutes"),
)
PRICE_NAMES = tuple(f.name for f in PRICE_FIELDS)

TARIFF_SPEC = FormSpec(
    "tariff",
    (
        Field("name", required=True, max_length=120, label="Name"),
        Field("currency", kind="choice", choices=CURRENCIES, label="Currency (fixed by the first tariff)"),
        *PRICE_FIELDS,
    ),
)


# --- the 7 % rule (pure) -------------------------------------------------------------------------------------

COMPONENT_LABELS = {
    "ac_energy_per_kwh": "AC price per kWh",
    "ac_time_per_minute": "AC price per minute",
    "ac_time_from_minute": "AC free minutes",
    "ac_session_fee": "AC session fee",
    "dc_energy_per_kwh": "DC price per kWh",
    "dc_time_per_minute": "DC price per minute",
    "dc_time_from_minute": "DC free minutes",
    "dc_session_fee": "DC session fee",
    "parking_per_minute": "Parking price per minute",
    "parking_from_minute": "Parking free minutes",
}


@dataclass(frozen=True)
class ComponentIncrease:
    component: str  # a key of COMPONENT_LABELS
    previous: Decimal  # the highest value of the last 30 days (for free minutes: the fewest)
    new: Decimal
    percent: Decimal | None  # None: a fee where there was none, or fewer free minutes


@dataclass(frozen=True)
class IncreaseCheck:
    increases: tuple[ComponentIncrease, ...]  # components raised by more than the limit
    valid_from: datetime
    earliest_valid_from: datetime  # the earliest valid_from the rule permits for this tariff

    @property
    def needs_lead_time(self) -> bool:
        return bool(self.increases)

    @property
    def allowed(self) -> bool:
        return self.valid_from >= self.earliest_valid_from


def _minute_prices(prices: PriceSet) -> Iterable[tuple[str, Decimal, Decimal, int]]:
    yield "energy_per_kwh", prices.energy_per_kwh, Decimal(0), 0
    yield "time_per_minute", prices.time_per_minute, prices.time_per_minute, prices.time_from_minute
    yield "session_fee", prices.session_fee, Decimal(0), 0


def _components(t: TariffSnapshot) -> dict[str, tuple[Decimal, Decimal, int]]:
    """component -> (price, per-minute price the free minutes belong to, free minutes)."""
    result: dict[str, tuple[Decimal, Decimal, int]] = {}
    for power, prices in (("ac", t.ac), ("dc", t.dc)):
        for name, value, per_minute, free in _minute_prices(prices):
            result[f"{power}_{name}"] = (Decimal(value), Decimal(per_minute), free)
    result["parking_per_minute"] = (Decimal(t.parking_per_minute), Decimal(t.parking_per_minute),
                                    t.parking_from_minute)
    return result


def _percent(previous: Decimal, new: Decimal) -> Decimal:
    return (new - previous) * 100 / previous


def check_price_increase(
    new: TariffSnapshot, recent: Sequence[TariffSnapshot], valid_from: datetime, now: datetime
) -> IncreaseCheck:
    """Decide the seed's rule for one charge point (see the module docstring); ``recent``: tariffs active there
    at any moment of the 30 days before ``now``. AC is compared with AC, DC with DC."""
    increases: list[ComponentIncrease] = []
    if recent:
        new_parts = _components(new)
        old_parts = [_components(t) for t in recent]
        for key, (value, per_minute, free) in new_parts.items():
            highest = max(parts[key][0] for parts in old_parts)
            if value > highest and (highest == 0 or _percent(highest, value) > INCREASE_LIMIT_PERCENT):
                percent = None if highest == 0 else _percent(highest, value).quantize(Decimal("0.01"), ROUND_HALF_UP)
                increases.append(ComponentIncrease(key, highest, value, percent))
            if per_minute > 0:
                # Free minutes belong to a per-minute price; fewer of them is an increase of that fee.
                frees = [parts[key][2] for parts in old_parts if parts[key][1] > 0]
                fewest = min(frees) if frees else None
                if fewest is not None and free < fewest:
                    label = key.replace("time_per_minute", "time_from_minute").replace(
                        "parking_per_minute", "parking_from_minute")
                    increases.append(ComponentIncrease(label, Decimal(fewest), Decimal(free), None))
    earliest = now + LEAD_TIME if increases else now
    return IncreaseCheck(tuple(increases), valid_from, earliest)


# --- tariffs ---------------------------------------------------------------------------------------------------


def _now() -> datetime:
    return datetime.now(UTC)


def new_code(at: datetime) -> str:
    return "CPO" + at.astimezone(UTC).strftime("%Y%m%d%H%M%S")


def snapshot_of(row: dict[str, Any], vat_rate: Decimal) -> TariffSnapshot:
    """A tariff row (and the VAT rate in force) as the pricing engine's snapshot."""

    def price_set(power: str) -> PriceSet:
        return PriceSet(
            energy_per_kwh=Decimal(str(row[f"{power}_energy_per_kwh"])),
            time_per_minute=Decimal(str(row[f"{power}_time_per_minute"])),
            time_from_minute=int(row[f"{power}_time_from_minute"]),
            session_fee=Decimal(str(row[f"{power}_session_fee"])),
        )

    return TariffSnapshot(
        tariff_id=int(row.get("id") or 0),
        code=str(row.get("code") or ""),
        name=str(row.get("name") or ""),
        currency=str(row["currency"]),
        vat_rate=Decimal(str(vat_rate)),
        ac=price_set("ac"),
        dc=price_set("dc"),
        parking_per_minute=Decimal(str(row["parking_per_minute"])),
        parking_from_minute=int(row["parking_from_minute"]),
    )


def gross_prices(row: dict[str, Any], vat_rate: Decimal) -> dict[str, Decimal]:
    """Gross (VAT included) values of every price field, for display next to the net prices."""
    return {name: gross_unit_price(Decimal(str(row[name])), vat_rate) for name in PRICE_NAMES
            if not name.endswith("_from_minute")}


@dataclass(frozen=True)
class PreviewSession:
    energy_kwh: Decimal = Decimal(22)
    minutes: int = 90
    power_type: str = "AC"


def preview(snapshot: TariffSnapshot, session: PreviewSession = PreviewSession()) -> Price:
    """The price dialog's example: "a 22 kWh AC session of 90 minutes costs ..."."""
    start = datetime(2026, 1, 1, 10, 0, tzinfo=UTC)  # any instant: prices do not depend on the time of day
    facts = SessionFacts(
        energy_wh=int(session.energy_kwh * 1000),
        started_at=start,
        stopped_at=start + timedelta(minutes=session.minutes),
        power_type=session.power_type,
    )
    return price_session(snapshot, facts)


async def tenant_pricing(tenant_id: int) -> tuple[str | None, Decimal, str]:
    """(currency fixed by the first tariff or None, VAT rate, the tenant's default currency)."""
    tenant = await Tenant.select(Tenant.currency, Tenant.vat_rate).where(Tenant.id == tenant_id).first()
    if tenant is None:
        raise NotFound("tenant")
    first = (
        await Tariff.select(Tariff.currency).where(Tariff.tenant == tenant_id).order_by(Tariff.id).first()
    )
    fixed = first["currency"] if first else None
    vat_rate = Decimal(str(tenant["vat_rate"])).quantize(Decimal("0.01"))  # the same on SQLite and PostgreSQL
    return fixed, vat_rate, str(tenant["currency"] or "EUR")


async def list_tariffs(actor: Actor, *, include_archived: bool = False) -> list[dict[str, Any]]:
    actor.require(Permission.TARIFFS_VIEW)
    query = Tariff.select().where(Tariff.tenant.is_in(actor.scope))
    if not include_archived:
        query = query.where(Tariff.archived_at.is_null())
    rows = [_normalised(row) for row in await query.order_by(Tariff.name)]
    if rows:
        counts = await TariffAssignment.raw(
            "SELECT tariff, COUNT(DISTINCT charge_point) AS n FROM tariff_assignment "
            f"WHERE cancelled_at IS NULL AND tariff IN ({', '.join('{}' for _ in rows)}) GROUP BY tariff",
            *[r["id"] for r in rows],
        )
        by_tariff = {int(c["tariff"]): int(c["n"]) for c in counts}
        for row in rows:
            row["charge_point_count"] = by_tariff.get(row["id"], 0)
    return rows


async def get_tariff(actor: Actor, tariff_id: int) -> dict[str, Any]:
    actor.require(Permission.TARIFFS_VIEW)
    row = await Tariff.select().where((Tariff.id == tariff_id) & Tariff.tenant.is_in(actor.scope)).first()
    if row is None:
        raise NotFound("tariff")
    row = _normalised(row)
    row["assigned"] = await _is_assigned(row["id"])
    return row


async def _is_assigned(tariff_id: int) -> bool:
    """Assigned to charge points, or used by a driver group or a session that charged under one: a CDR built
    later must find the prices of the session's start."""
    if await TariffAssignment.exists().where(
        (TariffAssignment.tariff == tariff_id) & TariffAssignment.cancelled_at.is_null()
    ):
        return True
    return bool(
        await DriverGroup.exists().where(DriverGroup.tariff == tariff_id)
        or await ChargingSession.exists().where(ChargingSession.driver_group_tariff == tariff_id)
    )


async def _free_code(tenant_id: int, at: datetime) -> str:
    for offset in range(120):
        code = new_code(at + timedelta(seconds=offset))
        if not await Tariff.exists().where((Tariff.tenant == tenant_id) & (Tariff.code == code)):
            return code
    raise Conflict(Message("Too many tariffs created at once; try again in a minute."))


def _currency_error(fixed: str) -> ValidationError:
    return ValidationError(
        {"currency": Message("The currency is fixed to %(currency)s by the first tariff.", {"currency": fixed})}
    )


async def create_tariff(actor: Actor, raw: dict[str, Any]) -> dict[str, Any]:
    actor.require(Permission.TARIFFS_MANAGE)
    data = _normalised(TARIFF_SPEC.parse(raw))
    tenant_id = actor.tenant_id
    async with transaction():
        fixed, _, default_currency = await tenant_pricing(tenant_id)
        currency = data.get("currency") or fixed or default_currency
        if fixed and currency != fixed:
            raise _currency_error(fixed)
        data["currency"] = currency
        now = _now()
        tariff = Tariff(tenant=tenant_id, code=await _free_code(tenant_id, now), created_at=now, updated_at=now,
                        **data)
        await tariff.save()
        if not fixed:
            # The first tariff's currency becomes the tenant's currency for everything priced later.
            await Tenant.update({Tenant.currency: currency}).where(Tenant.id == tenant_id)
        await audit.record(actor, tenant_id, "tariff", tariff.id, "create", audit.diff({}, data))
    return await get_tariff(actor, tariff.id)


def _normalised(data: dict[str, Any]) -> dict[str, Any]:
    """Prices at the stored precision (4 places) on both databases, so that 0.4 and 0.4000 are one price."""
    return {key: Decimal(str(value)).quantize(Decimal("0.0001")) if key in PRICE_NAMES and
            not key.endswith("_from_minute") else value for key, value in data.items()}


async def update_tariff(actor: Actor, tariff_id: int, raw: dict[str, Any], *, partial: bool = False) -> dict[str, Any]:
    actor.require(Permission.TARIFFS_MANAGE)
    old = await get_tariff(actor, tariff_id)
    data = TARIFF_SPEC.parse(raw, partial=partial)
    if not data.get("currency"):
        data.pop("currency", None)
    if "currency" in data and data["currency"] != old["currency"]:
        raise _currency_error(old["currency"])
    data = _normalised(data)
    changes = audit.diff(old, data)
    price_changes = [name for name in changes if name in PRICE_NAMES]
    if price_changes and old["assigned"]:
        raise ValidationError(
            {
                name: Message(
                    "This tariff is assigned to charge points, so its prices cannot change. "
                    "Copy it as a new tariff with the new prices and assign that one."
                )
                for name in price_changes
            }
        )
    if changes:
        async with transaction():
            values = {getattr(Tariff, key): data[key] for key in changes}
            values[Tariff.updated_at] = _now()
            await Tariff.update(values).where(Tariff.id == tariff_id)
            await audit.record(actor, old["tenant"], "tariff", tariff_id, "update", changes)
    return await get_tariff(actor, tariff_id)


async def archive_tariff(actor: Actor, tariff_id: int) -> dict[str, Any]:
    """Hide a tariff from new assignments; refused while it is active or scheduled on a charge point."""
    actor.require(Permission.TARIFFS_MANAGE)
    row = await get_tariff(actor, tariff_id)
    now = _now()
    in_use = await _current_and_future(row["tenant"], now)
    if any(a["tariff"] == tariff_id for a in in_use):
        raise Conflict(Message("The tariff is active or scheduled on charge points; assign another tariff first."))
    await Tariff.update({Tariff.archived_at: now, Tariff.updated_at: now}).where(Tariff.id == tariff_id)
    await audit.record(actor, row["tenant"], "tariff", tariff_id, "archive", {})
    return await get_tariff(actor, tariff_id)


# --- assignments ---------------------------------------------------------------------------------------------


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


async def _current_and_future(tenant_id: int, now: datetime) -> list[dict[str, Any]]:
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
    """Every charge point the advanced overview shows for ``query`` (the same filter code, no paging)."""
    actor.require(Permission.INFRASTRUCTURE_VIEW)
    where = build_where(actor, query, postgres=is_postgres())
    sql = (
        "SELECT cp.id FROM charge_point cp JOIN charging_station s ON s.id = cp.station "
        f"JOIN location l ON l.id = s.location WHERE {where.sql()} ORDER BY cp.id "
        f"LIMIT {MAX_CHARGE_POINTS_PER_ASSIGNMENT + 1}"
    )
    rows = await ChargePoint.raw(sql, *where.args)
    return [int(r["id"]) for r in rows]


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
    await TariffAssignment.update({TariffAssignment.cancelled_at: now}).where(TariffAssignment.id == assignment_id)
    await audit.record(actor, row["tenant"], "charge_point", row["charge_point"], "tariff_cancel",
                       {"tariff": [row["tariff"], None]})
    return int(row["charge_point"])



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
