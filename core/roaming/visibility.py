"""Who sees what: the one rule that decides whether a roaming partner may see a charge point (and, in the second
OCPI issue, whether the partner's tokens may charge there), and the query that lists what a partner sees.

The rule (seed 000 "Vertragsgruppen (CPO)", seed 003 "Roaming" / "Roaming+"):

* An EMP tenant of csms (partner over the roaming hub) sees a charge point when the CPO tenant's roaming hub is
  on, the station is authorised for the hub globally, one of the contract groups enabled on the station contains
  the EMP tenant, the station's Roaming switch is on, and the charge point is published (its location published,
  neither location, station nor charge point decommissioned).
* An external roaming platform (a Roaming+ target) sees a charge point when the station's Roaming+ switch is on
  and the charge point is published. Contract groups do not apply: the platform passes the station on to all
  of its EMPs.
* Either way the station holds a product that unlocks roaming now (eOperate professional, issue 16: "marketing
  and roaming need an eOperate product"), asked through core.products (``has_feature`` / ``feature_sql``). A
  station whose product ended disappears from its partners even with its switches still on.

``is_visible`` is the rule over a small facts object; ``visible_charge_points`` asks the database the same
question for many charge points at once (one indexed query). ``tests/unit/test_roaming_visibility.py`` holds every
combination, ``tests/integration/roaming/test_visibility_query.py`` checks that both agree.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from core.db import id_list, together
from core.infrastructure.tables import ChargePoint, ChargingStation, Connector, Location
from core.products.assignments import feature_sql, has_feature
from core.products.catalogue import Feature
from core.roaming.paging import Window
from core.roaming.tables import ContractGroupMember, RoamingSettings, StationContractGroup, StationRoaming


class PartnerKind(StrEnum):
    EMP_TENANT = "EMP_TENANT"  # an EMP tenant of csms, connected over OCPI
    PLATFORM = "PLATFORM"  # an external roaming platform that Roaming+ stations are published to


@dataclass(frozen=True)
class PartnerRef:
    """The side of a partner the rule needs; a row of the partner table (core.roaming.tables) maps onto it. Not
    called ``Partner`` so that it never shadows that table."""

    kind: PartnerKind
    emp_tenant_id: int | None = None  # set for EMP_TENANT

    def __post_init__(self) -> None:
        if (self.kind == PartnerKind.EMP_TENANT) != (self.emp_tenant_id is not None):
            raise ValueError("An EMP tenant partner names its tenant; a platform names none.")


@dataclass(frozen=True)
class VisibilityFacts:
    """What is known about one charge point from the point of view of one partner."""

    partner_kind: PartnerKind
    hub_enabled: bool  # the CPO tenant's "Roaming-Hub aktiviert"
    hub_authorised: bool  # the station is authorised for the roaming hub globally
    in_enabled_contract_group: bool  # an enabled contract group of the station contains the EMP tenant
    roaming: bool  # the station's Roaming switch
    roaming_plus: bool  # the station's Roaming+ switch
    published: bool  # location published, nothing decommissioned
    roaming_product: bool  # the station holds a product unlocking Feature.ROAMING now


def is_visible(facts: VisibilityFacts) -> bool:
    if not (facts.published and facts.roaming_product):
        return False
    if facts.partner_kind == PartnerKind.PLATFORM:
        return facts.roaming_plus
    return facts.hub_enabled and facts.hub_authorised and facts.in_enabled_contract_group and facts.roaming


def _name(table: Any) -> str:
    return f'"{table._meta.tablename}"'


def _product() -> tuple[str, list[Any]]:
    """The station ``s`` holds a product unlocking roaming now (core.products)."""
    return feature_sql(Feature.ROAMING, 's."id"')


def _emp_access(emp_tenant: str) -> str:
    """An EMP tenant's part of the rule over station_roaming ``r`` and the station ``s``: the station's switches, the
    CPO's hub switch and a contract group of the station with the EMP tenant (``emp_tenant``: SQL, a placeholder or
    a column). Three boolean placeholders come first."""
    return (
        f'r."roaming" = {{}} AND r."hub_authorised" = {{}} '
        f'AND EXISTS (SELECT 1 FROM {_name(RoamingSettings)} h WHERE h."tenant" = s."tenant" '
        f'AND h."hub_enabled" = {{}}) '
        f"AND EXISTS (SELECT 1 FROM {_name(StationContractGroup)} sg JOIN {_name(ContractGroupMember)} m "
        f'ON m."group" = sg."group" WHERE sg."station" = s."id" AND m."emp_tenant" = {emp_tenant})'
    )


_PLATFORM_ACCESS = 'r."roaming_plus" = {}'
# Published: the location, and neither location, station nor charge point ``cp`` decommissioned.
_PUBLISHED = (
    'l."publish" = {} AND l."decommissioned_at" IS NULL AND s."decommissioned_at" IS NULL '
    'AND cp."decommissioned_at" IS NULL'
)


def _access(partner: PartnerRef) -> tuple[str, list[Any]]:
    """The rule's switches, contract groups and product as SQL over station_roaming ``r`` and the station ``s``."""
    product, product_args = _product()
    if partner.kind == PartnerKind.PLATFORM:
        return f"{_PLATFORM_ACCESS} AND {product}", [True, *product_args]
    return f"{_emp_access('{}')} AND {product}", [True, True, True, partner.emp_tenant_id, *product_args]


def visible_sql_by_columns(kind: str, tenant: str) -> tuple[str, list[Any]]:
    """The whole rule as one SQL condition over station_roaming ``r``, station ``s``, location ``l`` and charge
    point ``cp``, for the partner whose row's kind and tenant are the SQL columns ``kind`` and ``tenant`` (as
    core.roaming.offer.partner_ref maps a row: kind EMP is its EMP tenant, any other kind a platform). For a query
    that finds the partner and decides in one go (a partner's token at a station, core.roaming.token_auth)."""
    product, product_args = _product()
    sql = (
        f"(({kind} = {{}} AND {_emp_access(tenant)}) OR ({kind} <> {{}} AND {_PLATFORM_ACCESS})) AND {_PUBLISHED} "
        f"AND {product}"
    )
    return sql, ["EMP", True, True, True, "EMP", True, True, *product_args]


# What an offer needs of a visible charge point's station (core.roaming.offer), over the station ``s`` and its
# station_roaming ``r``: read with the charge point's ids, not by another query.
STATION_FACTS = (
    's."status" AS station_status, s."connected" AS connected, s."status_updated_at" AS station_status_at, '
    'r."platform_name" AS platform_name'
)


def _visible_sql(
    partner: PartnerRef,
    cpo_tenant_id: int | None,
    since: datetime | None,
    location_ids: list[int] | None,
    station_facts: bool = False,
) -> tuple[str, list[Any]]:
    """The SELECT of (location, station, charge point) ids the partner sees (and STATION_FACTS); PostgreSQL and
    SQLite alike.

    Driven from station_roaming (only stations with switches on), then the charge points by their station index;
    the contract group test is an EXISTS over two indexed link tables.
    """
    access, args = _access(partner)
    facts = f", {STATION_FACTS}" if station_facts else ""
    sql = (
        f'SELECT l."id" AS location_id, s."id" AS station_id, cp."id" AS charge_point_id{facts} '  # noqa: S608
        f"FROM {_name(StationRoaming)} r "
        f'JOIN {_name(ChargingStation)} s ON s."id" = r."station" '
        f'JOIN {_name(Location)} l ON l."id" = s."location" '
        f'JOIN {_name(ChargePoint)} cp ON cp."station" = s."id" '
        f"WHERE {access} AND {_PUBLISHED}"
    )
    args.append(True)
    if location_ids is not None:
        # A page's locations drive the query (the station's location index); the unary plus keeps SQLite's planner,
        # which has no statistics, from starting at the tenant's index, which would visit every station.
        listed = id_list(location_ids)
        sql += f' AND s."location" IN ({listed}) AND l."id" IN ({listed})'
    if cpo_tenant_id is not None:
        sql += ' AND +s."tenant" = {}' if location_ids is not None else ' AND s."tenant" = {}'
        args.append(cpo_tenant_id)
    if since is not None:
        sql += ' AND r."last_updated" >= {}'
        args.append(since)
    return sql + ' ORDER BY l."id", cp."id"', args


async def visible_charge_points(
    partner: PartnerRef,
    *,
    cpo_tenant_id: int | None = None,
    since: datetime | None = None,
    location_ids: list[int] | None = None,
    station_facts: bool = False,
) -> list[dict[str, Any]]:
    """``{"location_id", "station_id", "charge_point_id"}`` of every charge point the partner sees, with
    STATION_FACTS when ``station_facts``.

    ``cpo_tenant_id`` narrows to one CPO party (the OCPI-to routing header); ``since`` to stations whose roaming
    settings changed since then (inclusive); ``location_ids`` to the locations of one page of an OCPI GET, so a page
    costs what its locations cost, not what the partner sees in all.
    """
    sql, args = _visible_sql(partner, cpo_tenant_id, since, location_ids, station_facts)
    rows: list[dict[str, Any]] = await StationRoaming.raw(sql, *args)  # of just those keys: no copy
    return rows


async def may_see(partner: PartnerRef, charge_point_id: int) -> bool:
    """The rule for one charge point, from the database (single-object GETs, token authorisation)."""
    facts = await facts_for(partner, charge_point_id)
    return facts is not None and is_visible(facts)


async def facts_for(partner: PartnerRef, charge_point_id: int) -> VisibilityFacts | None:
    """The facts of one charge point for one partner; None when the charge point does not exist."""
    cp = (
        await ChargePoint.select(
            ChargePoint.station.as_alias("station_id"),
            ChargePoint.tenant.as_alias("tenant_id"),
            ChargePoint.decommissioned_at.as_alias("cp_gone"),
            ChargePoint.station.decommissioned_at.as_alias("station_gone"),
            ChargePoint.station.location.as_alias("location_id"),
        )
        .where(ChargePoint.id == charge_point_id)
        .first()
    )
    if cp is None:
        return None
    station_id = cp["station_id"]
    location = (
        await Location.select(Location.publish, Location.decommissioned_at)
        .where(Location.id == cp["location_id"])
        .first()
    )
    assert location is not None
    roaming = await StationRoaming.select().where(StationRoaming.station == station_id).first() or {}
    hub = (
        await RoamingSettings.select(RoamingSettings.hub_enabled)
        .where(RoamingSettings.tenant == cp["tenant_id"])
        .first()
    )
    in_group = False
    if partner.emp_tenant_id is not None:
        enabled = await StationContractGroup.select(StationContractGroup.group).where(
            StationContractGroup.station == station_id
        )
        if enabled:
            in_group = await ContractGroupMember.exists().where(
                (ContractGroupMember.emp_tenant == partner.emp_tenant_id)
                & ContractGroupMember.group.is_in([row["group"] for row in enabled])
            )
    return VisibilityFacts(
        partner_kind=partner.kind,
        hub_enabled=bool(hub and hub["hub_enabled"]),
        hub_authorised=bool(roaming.get("hub_authorised")),
        in_enabled_contract_group=in_group,
        roaming=bool(roaming.get("roaming")),
        roaming_plus=bool(roaming.get("roaming_plus")),
        published=bool(location["publish"])
        and not (cp["cp_gone"] or cp["station_gone"] or location["decommissioned_at"]),
        roaming_product=await has_feature(station_id, Feature.ROAMING),
    )


@dataclass(frozen=True)
class VisibleLocations:
    """One window of the locations a partner sees, in the OCPI lists' order (last_updated, then id)."""

    rows: list[tuple[int, datetime]]  # (location id, last_updated)
    total: int  # every visible location matching the window's dates (X-Total-Count)
    more: bool  # locations follow after this window


def _location_sql(
    partner: PartnerRef, cpo_tenant_ids: list[int] | None, window: Window, *, per_location: bool = False
) -> tuple[str, list[Any]]:
    """FROM and WHERE of the visible locations matching the window's dates: a published location with at least one
    charge point the partner sees that has a connector (what makes an OCPI EVSE).

    ``per_location`` (a page): driven from the location's (last_updated, id) index, the rule an EXISTS per location
    over the station, charge point and connector indexes, so that a page reads about as many rows as it returns.
    PostgreSQL underestimates how many locations pass the rule (one in twelve where all did) and, without a cursor,
    chose to evaluate it for every location by hash joins and sort them (0.3 s at 50,000 instead of 0.02 s);
    ``LIMIT 1 OFFSET 0`` keeps the EXISTS a subplan per location (an OFFSET stops the planner from turning it into a
    join). The count reads the whole view and is left to the planner."""
    access, args = _access(partner)
    each = " LIMIT 1 OFFSET 0" if per_location else ""
    sql = (
        f"FROM {_name(Location)} l "  # noqa: S608 - table names are ours, values bound
        f'WHERE l."publish" = {{}} AND l."decommissioned_at" IS NULL '
        f"AND EXISTS (SELECT 1 FROM {_name(ChargingStation)} s "
        f'JOIN {_name(StationRoaming)} r ON r."station" = s."id" '
        f'JOIN {_name(ChargePoint)} cp ON cp."station" = s."id" '
        f'WHERE s."location" = l."id" AND s."decommissioned_at" IS NULL AND cp."decommissioned_at" IS NULL '
        f"AND {access} "
        f'AND EXISTS (SELECT 1 FROM {_name(Connector)} c WHERE c."charge_point" = cp."id"){each})'
    )
    args = [True, *args]
    if cpo_tenant_ids is not None:
        sql += f' AND l."tenant" IN ({", ".join("{}" for _ in cpo_tenant_ids) or "NULL"})'
        args.extend(cpo_tenant_ids)
    if window.date_from is not None:
        sql += ' AND l."last_updated" >= {}'
        args.append(window.date_from)
    if window.date_to is not None:
        sql += ' AND l."last_updated" < {}'
        args.append(window.date_to)
    return sql, args


# X-Total-Count is the one part of a page that costs what the partner's whole view costs (an EXISTS per location
# it sees): counted at most every COUNT_SECONDS per view and dates, so that a crawl counts a few times, not per page;
# a large view's count (a third of a second at 50,000 locations, as much database time as several pages) is kept
# LARGE_COUNT_SECONDS, so that a crawl of it counts about once.
COUNT_SECONDS = 5.0
LARGE_COUNT = 10_000
LARGE_COUNT_SECONDS = 30.0
_COUNTS_KEPT = 256
_counts: OrderedDict[tuple[Any, ...], tuple[float, int]] = OrderedDict()


async def _count(partner: PartnerRef, cpo_tenant_ids: list[int] | None, window: Window) -> int:
    key = (partner, None if cpo_tenant_ids is None else tuple(cpo_tenant_ids), window.date_from, window.date_to)
    now = time.monotonic()
    known = _counts.get(key)
    if known is not None and known[0] > now:
        return known[1]
    where, args = _location_sql(partner, cpo_tenant_ids, window)
    rows = await Location.raw(f"SELECT COUNT(*) AS n {where}", *args)
    counted = int(rows[0]["n"])
    _counts[key] = (now + (LARGE_COUNT_SECONDS if counted >= LARGE_COUNT else COUNT_SECONDS), counted)
    _counts.move_to_end(key)
    while len(_counts) > _COUNTS_KEPT:
        _counts.popitem(last=False)
    return counted


async def visible_location_page(
    partner: PartnerRef, window: Window, *, cpo_tenant_ids: list[int] | None = None
) -> VisibleLocations:
    """The ids of one window of the locations the partner sees (of the CPO tenants ``cpo_tenant_ids``, None: of
    every tenant), and how many match the window's dates in all. The keyset cursor ``window.after`` (last_updated,
    location id) replaces the offset; its id must be a location id (digits)."""
    each, page_args = _location_sql(partner, cpo_tenant_ids, window, per_location=True)
    sql = f'SELECT l."id" AS id, l."last_updated" AS last_updated {each}'
    if window.after is not None:
        # A row value comparison: both databases read it as a range of the (last_updated, id) index.
        sql += ' AND (l."last_updated", l."id") > ({}, {})'
        page_args.extend([window.after[0], int(window.after[1])])
    sql += ' ORDER BY l."last_updated", l."id" LIMIT {}'
    page_args.append(window.limit + 1)
    if window.after is None and window.offset:
        sql += " OFFSET {}"
        page_args.append(window.offset)
    # The count (on a crawl's first page: the partner's whole view) and the page are independent reads.
    total, rows = await together(
        _count(partner, cpo_tenant_ids, window), Location.raw(sql, *page_args)
    )
    chosen = [(int(row["id"]), row["last_updated"]) for row in rows[: window.limit]]
    return VisibleLocations(rows=chosen, total=total, more=len(rows) > window.limit)
