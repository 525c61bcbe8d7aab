"""Products on stations: assigning (with Kostenfreigabe), ending, the history, the one feature check, and what a
tenant's products cost in a month (core.products.rules).

A station holds a product from ``starts_at`` until ``ends_at``; a station that already holds a product open is
skipped when it is assigned again (not an error: a wizard's selection often contains it), so assigning twice
bills once. Only stations of the actor's tenants, not decommissioned, of the product's power type.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from core.errors import Conflict, Message, NotFound
from core.infrastructure.changes import stations_changed
from core.infrastructure.tables import ChargePoint, ChargingStation
from core.months import Month
from core.products.catalogue import Feature
from core.products.rules import Interval, MonthCharge, month_charge
from core.products.tables import Product, ProductAssignment
from core.tenancy import audit
from core.tenancy.actor import Actor
from core.tenancy.permissions import Permission


def _now() -> datetime:
    return datetime.now(UTC)


def _require_cost_approval(actor: Actor) -> None:
    """Assigning or ending a product changes what the tenant pays: infrastructure management and Kostenfreigabe."""
    actor.require(Permission.INFRASTRUCTURE_MANAGE)
    actor.require(Permission.COST_APPROVAL)


@dataclass(frozen=True)
class Skipped:
    station_id: int
    reason: Message


@dataclass(frozen=True)
class Assigned:
    created: list[dict[str, Any]]  # the new assignments
    skipped: list[Skipped]


async def station_power_types(station_ids: list[int]) -> dict[int, set[str]]:
    """ "AC" and/or "DC" per station, from its charge points (a station without charge points has none)."""
    kinds: dict[int, set[str]] = defaultdict(set)
    if station_ids:
        rows = await ChargePoint.select(ChargePoint.station, ChargePoint.power_type).where(
            ChargePoint.station.is_in(station_ids)
        )
        for row in rows:
            kinds[row["station"]].add("DC" if row["power_type"] == "DC" else "AC")
    return kinds


async def _product(product_id: int) -> dict[str, Any]:
    row = await Product.select().where(Product.id == product_id).output(load_json=True).first()
    if row is None:
        raise NotFound("product")
    return row


async def check_assignable(actor: Actor, product_id: int, station_ids: list[int]) -> tuple[dict[str, Any],
                                                                                          list[dict[str, Any]],
                                                                                          list[Skipped]]:  # fmt: skip
    """The product, the stations it would be assigned to, and the stations skipped with the reason; for the
    wizard's review page as for ``assign``."""
    actor.require(Permission.INFRASTRUCTURE_VIEW)
    product = await _product(product_id)
    if not product["active"]:
        raise Conflict(Message("This product is no longer offered."))
    wanted = sorted(set(station_ids))
    stations = await ChargingStation.select(ChargingStation.id, ChargingStation.tenant, ChargingStation.name,
                                            ChargingStation.charge_box_id, ChargingStation.decommissioned_at).where(
        ChargingStation.id.is_in(wanted or [0]) & ChargingStation.tenant.is_in(actor.scope)
    )  # fmt: skip
    found = {row["id"]: row for row in stations}
    holding = {row["station"] for row in await ProductAssignment.select(ProductAssignment.station).where(
        ProductAssignment.station.is_in(wanted or [0]) & (ProductAssignment.product == product_id)
        & ProductAssignment.ends_at.is_null()
    )}  # fmt: skip
    kinds = await station_power_types(list(found))
    ok: list[dict[str, Any]] = []
    skipped: list[Skipped] = []
    for station_id in wanted:
        station = found.get(station_id)
        if station is None:
            skipped.append(Skipped(station_id, Message("Station not found.")))
        elif station["decommissioned_at"] is not None:
            skipped.append(Skipped(station_id, Message("The station is decommissioned.")))
        elif station_id in holding:
            skipped.append(Skipped(station_id, Message("The station already has this product.")))
        elif product["power_type"] and product["power_type"] not in kinds.get(station_id, set()):
            skipped.append(Skipped(station_id, Message("The product is for %(kind)s stations.",
                                                       {"kind": product["power_type"]})))  # fmt: skip
        else:
            ok.append(station)
    return product, ok, skipped


async def assign(actor: Actor, product_id: int, station_ids: list[int], *, at: datetime | None = None) -> Assigned:
    """Assigns the product from ``at`` (now) at the price the catalogue has now; audited on each station."""
    _require_cost_approval(actor)
    return await assign_approved(actor, product_id, station_ids, at=at)


async def assign_approved(
    actor: Actor, product_id: int, station_ids: list[int], *, at: datetime | None = None
) -> Assigned:
    """``assign`` for a caller that has checked the actor's right to approve the cost itself (360.SUPPORT asks for
    the Betriebsführung tab and Kostenfreigabe: core.products.support)."""
    product, stations, skipped = await check_assignable(actor, product_id, station_ids)
    starts = at or _now()
    created: list[dict[str, Any]] = []
    for station in stations:
        rows = await ProductAssignment.insert(ProductAssignment(
            tenant=station["tenant"], station=station["id"], product=product_id, starts_at=starts,
            monthly_net_cents=product["monthly_net_cents"], assigned_by=actor.user_id,
        )).returning(*ProductAssignment.all_columns())  # fmt: skip
        created.append(rows[0])
        await audit.record(actor, station["tenant"], "station", station["id"], "product_assigned",
                           {"products": [None, product["name"]]})  # fmt: skip
    await mirror_products([station["id"] for station in stations])
    return Assigned(created, skipped)


async def end(actor: Actor, assignment_id: int, *, at: datetime | None = None) -> dict[str, Any]:
    """Ends an open assignment at ``at`` (now); ending one that has ended already is a conflict."""
    _require_cost_approval(actor)
    return await end_approved(actor, assignment_id, at=at)


async def end_approved(actor: Actor, assignment_id: int, *, at: datetime | None = None) -> dict[str, Any]:
    """``end`` for a caller that has checked the actor's right to approve the cost itself (``assign_approved``)."""
    row = (
        await ProductAssignment.select()
        .where((ProductAssignment.id == assignment_id) & ProductAssignment.tenant.is_in(actor.scope))
        .first()
    )
    if row is None:
        raise NotFound("product assignment")
    ends = at or _now()
    values: dict[Any, Any] = {ProductAssignment.ends_at: ends, ProductAssignment.ended_by: actor.user_id}
    changed = await ProductAssignment.update(values).where(
        (ProductAssignment.id == assignment_id) & ProductAssignment.ends_at.is_null()
    ).returning(ProductAssignment.id)  # fmt: skip
    if not changed:
        raise Conflict(Message("This product has already ended on the station."))
    product = await _product(row["product"])
    await audit.record(actor, row["tenant"], "station", row["station"], "product_ended",
                       {"products": [product["name"], None]})  # fmt: skip
    await mirror_products([row["station"]])
    return {**row, "ends_at": ends, "ended_by": actor.user_id}


async def mirror_products(station_ids: list[int]) -> None:
    """``ChargingStation.products``: the names of the products each station holds open, a read-only copy for the
    REST API's ``products`` (it was the station form's tick boxes before assignments existed). What roaming
    partners see depends on the products (Feature.ROAMING): the stations' locations count as changed."""
    if not station_ids:
        return
    await stations_changed(station_ids)
    rows = await ProductAssignment.select(
        ProductAssignment.station, ProductAssignment.product.name.as_alias("name")
    ).where(ProductAssignment.station.is_in(station_ids) & ProductAssignment.ends_at.is_null())
    names: dict[int, set[str]] = defaultdict(set)
    for row in rows:
        names[row["station"]].add(row["name"])
    for station_id in sorted(set(station_ids)):
        await ChargingStation.update({ChargingStation.products: sorted(names.get(station_id, set()))}).where(
            ChargingStation.id == station_id
        )


def _with_product() -> tuple[Any, ...]:
    return (*ProductAssignment.all_columns(), ProductAssignment.product.name.as_alias("product_name"),
            ProductAssignment.product.code.as_alias("product_code"),
            ProductAssignment.product.billing_rule.as_alias("billing_rule"),
            ProductAssignment.product.currency.as_alias("currency"))  # fmt: skip


async def get_assignment(actor: Actor, assignment_id: int) -> dict[str, Any]:
    """One assignment of the actor's tenants with its product's name (the confirmation before ending it)."""
    actor.require(Permission.INFRASTRUCTURE_VIEW)
    row = await ProductAssignment.select(*_with_product()).where(
        (ProductAssignment.id == assignment_id) & ProductAssignment.tenant.is_in(actor.scope)
    ).first()  # fmt: skip
    if row is None:
        raise NotFound("product assignment")
    return row


async def station_assignments(actor: Actor, station_id: int) -> list[dict[str, Any]]:
    """The station's product history, newest first, each with its product's name, code and billing rule."""
    actor.require(Permission.INFRASTRUCTURE_VIEW)
    return await ProductAssignment.select(*_with_product()).where(
        (ProductAssignment.station == station_id) & ProductAssignment.tenant.is_in(actor.scope)
    ).order_by(ProductAssignment.starts_at, ProductAssignment.id, ascending=False)  # fmt: skip


def _open_at(at: datetime) -> Any:
    return (ProductAssignment.starts_at <= at) & (
        ProductAssignment.ends_at.is_null() | (ProductAssignment.ends_at > at)
    )


async def has_feature(station_id: int, feature: Feature, *, at: datetime | None = None) -> bool:
    """The one check every feature asks: does a product the station holds now unlock ``feature``?"""
    return station_id in await stations_with_feature([station_id], feature, at=at)


def feature_sql(feature: Feature, station: str) -> tuple[str, list[Any]]:
    """The same check as ``has_feature``, as an SQL condition for queries that decide over many stations at once
    (which stations roaming partners see): ``station`` is the SQL column of the station id; the arguments fill the
    ``{}`` placeholders. PostgreSQL and SQLite alike (the features are compared as the JSON text)."""
    sql = (
        f'EXISTS (SELECT 1 FROM "{ProductAssignment._meta.tablename}" pa '  # noqa: S608 - our names, values bound
        f'JOIN "{Product._meta.tablename}" p ON p."id" = pa."product" WHERE pa."station" = {station} '
        'AND pa."starts_at" <= {} AND (pa."ends_at" IS NULL OR pa."ends_at" > {}) '
        'AND CAST(p."features" AS TEXT) LIKE {})'
    )
    now = _now()
    return sql, [now, now, f'%"{feature}"%']


async def products_with_feature(feature: Feature, power_types: set[str]) -> list[str]:
    """The names of the offered products that unlock ``feature`` and fit a station of ``power_types``: what a
    message tells the user to assign."""
    rows = await Product.select(Product.name, Product.features, Product.power_type).where(
        Product.active == True  # noqa: E712
    ).order_by(Product.name).output(load_json=True)  # fmt: skip
    return [
        row["name"] for row in rows
        if str(feature) in (row["features"] or []) and (not row["power_type"] or row["power_type"] in power_types)
    ]  # fmt: skip


async def missing_feature(station_id: int, feature: Feature) -> Message | None:
    """None when the station holds a product that unlocks ``feature``; else the message that names the products
    (of the station's kind) to assign, for the form that wanted the feature."""
    if await has_feature(station_id, feature):
        return None
    kinds = (await station_power_types([station_id])).get(station_id) or {"AC", "DC"}
    names = await products_with_feature(feature, kinds)
    return Message("This needs the product %(products)s on the station: assign it on the station's Products tab.",
                   {"products": " / ".join(names) or "-"})  # fmt: skip


async def stations_with_feature(station_ids: list[int], feature: Feature, *, at: datetime | None = None) -> set[int]:
    if not station_ids:
        return set()
    rows = await ProductAssignment.select(ProductAssignment.station, ProductAssignment.product.features).where(
        ProductAssignment.station.is_in(list(station_ids)) & _open_at(at or _now())
    ).output(load_json=True)  # fmt: skip
    return {row["station"] for row in rows if str(feature) in (row["product.features"] or [])}


@dataclass(frozen=True)
class ProductLine:
    """What one product on one station costs the tenant in one month (net, in the product's currency)."""

    station_id: int
    station_name: str
    product_code: str
    product_name: str
    billing_rule: str
    monthly_net_cents: int
    currency: str
    charge: MonthCharge


async def month_lines(tenant_id: int, month: Month, zone: ZoneInfo) -> list[ProductLine]:
    """The tenant's product charges for ``month``: one line per station and product that costs something, by
    station then product. The price is the one approved at assignment (the newest assignment's, if several)."""
    return (await tenants_month_lines({tenant_id: zone}, month)).get(tenant_id, [])


def _until(span: dict[str, Any]) -> datetime | None:
    """Where an assignment ends for billing: its end, or the station's decommissioning if that came first (a
    decommissioned station is billed nothing after, whether or not somebody ended its products)."""
    ends, gone = span["ends_at"], span["decommissioned_at"]
    if gone is None:
        return ends
    return gone if ends is None else min(ends, gone)


async def tenants_month_lines(zones: dict[int, ZoneInfo], month: Month) -> dict[int, list[ProductLine]]:
    """``month_lines`` of many tenants at once (each in its own time zone), in one query: what the monthly billing
    run (core.billing) reads. Tenants without a charge are missing from the result."""
    if not zones:
        return {}
    bounds = [month.bounds(zone) for zone in zones.values()]
    start, end = min(b[0] for b in bounds), max(b[1] for b in bounds)  # each tenant's own month lies within
    rows = await ProductAssignment.select(
        ProductAssignment.tenant, ProductAssignment.station,
        ProductAssignment.station.name.as_alias("station_name"),
        ProductAssignment.station.charge_box_id.as_alias("charge_box_id"), ProductAssignment.starts_at,
        ProductAssignment.ends_at, ProductAssignment.monthly_net_cents, ProductAssignment.product.code.as_alias("code"),
        ProductAssignment.product.name.as_alias("name"), ProductAssignment.product.billing_rule.as_alias("rule"),
        ProductAssignment.product.currency.as_alias("currency"),
        ProductAssignment.station.decommissioned_at.as_alias("decommissioned_at"),
    ).where(
        ProductAssignment.tenant.is_in(list(zones)) & (ProductAssignment.starts_at < end)
        & (ProductAssignment.ends_at.is_null() | (ProductAssignment.ends_at >= start))
    ).order_by(ProductAssignment.starts_at)  # fmt: skip
    grouped: dict[int, dict[tuple[int, str], list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    for row in rows:
        grouped[row["tenant"]][(row["station"], row["code"])].append(row)
    result: dict[int, list[ProductLine]] = {}
    for tenant_id, spans_of in grouped.items():
        zone = zones[tenant_id]
        lines: list[ProductLine] = []
        for (station_id, code), spans in sorted(
            spans_of.items(), key=lambda item: (item[1][0]["station_name"] or item[1][0]["charge_box_id"], item[0])
        ):
            last = spans[-1]
            intervals: list[Interval] = [(span["starts_at"], _until(span)) for span in spans]
            charge = month_charge(last["rule"], last["monthly_net_cents"], intervals, month, zone)
            if charge.net_cents or charge.days:
                name = last["station_name"] or last["charge_box_id"]
                lines.append(ProductLine(station_id, name, code, last["name"], last["rule"], last["monthly_net_cents"],
                                         last["currency"], charge))  # fmt: skip
        if lines:
            result[tenant_id] = lines
    return result
