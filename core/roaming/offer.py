"""What a roaming partner is offered over OCPI as a sender (locations and tariffs GET): the rows of every location
and tariff the partner may see (core.roaming.visibility), loaded in a few bulk queries, with each charge point's
effective status (core.infrastructure.evse_status) and its tariffs now and scheduled. No OCPI framing: hub/ maps
the bundles to OCPI objects (hub.mapping) and pages them.
"""

from __future__ import annotations

import asyncio
import json
import time
import weakref
from collections import OrderedDict, defaultdict
from collections.abc import Awaitable, Callable, Collection, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from piccolo.query import WhereRaw

from core.db import id_list, ids_in, together
from core.infrastructure.evse_status import effective_status_of
from core.infrastructure.tables import ChargePoint, ChargingStation, Connector, Location
from core.roaming.paging import Window
from core.roaming.tables import StationRoaming
from core.roaming.visibility import (
    STATION_FACTS,
    PartnerKind,
    PartnerRef,
    visible_charge_points,
    visible_location_page,
)
from core.tariffs.tables import Tariff, TariffAssignment
from core.tenancy.tables import Tenant
from core.tenancy.tenants import TenantKind


def partner_ref(partner: dict[str, Any]) -> PartnerRef:
    """The visibility rule's view of a partner row: an EMP partner is its EMP tenant, anything else a platform."""
    if partner["kind"] == "EMP":
        return PartnerRef(PartnerKind.EMP_TENANT, emp_tenant_id=int(partner["tenant"]))
    return PartnerRef(PartnerKind.PLATFORM)


Party = tuple[str, str]  # (country_code, party_id) of a CPO tenant


def _cpo_party(party: Party) -> Any:
    return (Tenant.kind == TenantKind.CPO) & (Tenant.country_code == party[0]) & (Tenant.party_id == party[1])


async def is_cpo_party(party: Party) -> bool:
    """Whether a CPO tenant is the OCPI party ``(country_code, party_id)``."""
    return await Tenant.exists().where(_cpo_party(party))


@dataclass
class OfferedChargePoint:
    charge_point: dict[str, Any]
    connectors: list[dict[str, Any]]
    status: str  # the effective EvseStatus
    current_tariff: str | None  # code of the tariff in force
    scheduled: list[tuple[str, datetime]]  # (code, valid from) of tariffs that take effect later
    tariffs_changed_at: datetime | None
    # What an adapter derives from this charge point, kept with it: pushes share one load among many partners, and
    # the OCPI EVSE mapped for the first is the EVSE of the others (hub.locations).
    derived: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass
class OfferedLocation:
    location: dict[str, Any]
    country_code: str
    party_id: str
    name: str  # the name on the roaming platform, else ""
    charge_points: list[OfferedChargePoint] = field(default_factory=list)


@dataclass(frozen=True)
class OfferedTariff:
    tariff: dict[str, Any]
    vat_rate: Decimal
    country_code: str
    party_id: str
    power: str  # "AC" | "DC"
    start: datetime | None  # a scheduled assignment's valid from
    changed_at: datetime


def _now() -> datetime:
    return datetime.now(UTC)


def _latest(*values: datetime | None) -> datetime | None:
    known = [v for v in values if v is not None]
    return max(known) if known else None


async def visible_by_location(partner: PartnerRef, location_ids: list[int] | None = None) -> dict[int, list[int]]:
    return _by_location(await visible_charge_points(partner, location_ids=location_ids))


def _tariff_plan(assignments: list[dict[str, Any]], now: datetime) -> tuple[Any, list[tuple[Any, datetime]], Any]:
    """(assignment in force, [(assignment, valid from)] scheduled, when this plan last changed)."""
    if not assignments:
        return None, [], None
    live = sorted((a for a in assignments if a["cancelled_at"] is None), key=lambda a: (a["valid_from"], a["id"]))
    current = None
    scheduled = []
    for row in live:
        if row["valid_from"] <= now:
            current = row
        else:
            scheduled.append((row, row["valid_from"]))
    times = [a["created_at"] for a in assignments] + [a["cancelled_at"] for a in assignments if a["cancelled_at"]]
    if current is not None:
        times.append(current["valid_from"])
    return current, scheduled, _latest(*times)


# Built once: spelling the join per call makes Piccolo copy the columns, which costs more than the query.
_ASSIGNMENT_COLUMNS = (*TariffAssignment.all_columns(), TariffAssignment.tariff.code.as_alias("tariff_code"))


def _assignments_where(condition: Any) -> Any:
    return TariffAssignment.select(*_ASSIGNMENT_COLUMNS).where(condition)


async def _assignments(charge_point_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    by_cp: dict[int, list[dict[str, Any]]] = defaultdict(list)
    if charge_point_ids:
        for row in await _assignments_where(ids_in(TariffAssignment.charge_point, charge_point_ids)):
            by_cp[row["charge_point"]].append(row)
    return by_cp


def _of_party(tenant: dict[str, Any], party: Party | None) -> bool:
    return party is None or (tenant["country_code"].upper(), tenant["party_id"].upper()) == party


@dataclass(frozen=True)
class LocationPage:
    locations: list[OfferedLocation]  # in the lists' order: last_updated, then id
    total: int  # every location the partner sees that matches the window's dates
    last: tuple[datetime, str] | None  # the cursor of the page's last location
    more: bool  # locations follow after this page
    prepared: Any = field(default=None, compare=False)  # what the caller's ``prepare`` made of the locations
    rows: int = 0  # locations chosen for the page (``locations`` leaves out those changed while it was read)


Prepare = Callable[[list[OfferedLocation]], Awaitable[Any]]
AheadKey = tuple[Any, ...]


@dataclass(frozen=True)
class _Reading:
    """What reading one page takes."""

    partner: PartnerRef
    window: Window
    party: Party | None
    prepare: Prepare | None

    @property
    def key(self) -> AheadKey:
        # The Link's offset only informs when a cursor is given: equal cursors are the same page.
        window = self.window
        offset = window.offset if window.after is None else None
        return (self.partner, self.party, window.limit, window.date_from, window.date_to, window.after, offset,
                self.prepare)  # fmt: skip

    def following(self, rows: int, last: tuple[datetime, str]) -> _Reading:
        return replace(self, window=replace(self.window, offset=self.window.offset + rows, after=last))


async def offered_location_page(
    partner: PartnerRef,
    window: Window,
    party: Party | None = None,
    *,
    read_ahead: bool = False,
    prepare: Prepare | None = None,
) -> LocationPage:
    """One page of the locations the partner sees of the CPO ``party`` (None: of every CPO tenant): the page's ids
    are chosen in SQL, then only its locations are loaded, so a page costs what its own locations cost.

    ``read_ahead``: when more follow, the next page is read meanwhile (a partner crawling by Link asks for it as soon
    as it has read this one), and the one after it too (while the next is mapped) when the partner asked for this
    page within READ_AHEAD_SECONDS / READ_AHEAD_PAGES of its reading, so that it will ask for that one in time. A page
    read ahead is served if asked for within READ_AHEAD_SECONDS and none of its locations changed since it was read;
    otherwise it is read again. A page read a moment early is what a request of that moment would have got:
    every later change raises the location's last_updated past the crawl's cursor, so the crawl meets it again
    further on.

    ``prepare``: what the caller makes of a page's locations (an adapter's encoded answer), in ``prepared``; a page
    read ahead is prepared ahead too, so that a crawl's next request finds its answer made."""
    reading = _Reading(partner, window, party, prepare)
    page, depth = await _read_ahead_page(reading.key)
    if page is None:
        page = await _location_page(reading)
    if read_ahead and page.more and page.last is not None:
        _want(reading.following(page.rows, page.last), depth)
        await asyncio.sleep(0)  # the next page's first query goes out before this page is prepared
    if prepare is not None and page.prepared is None:
        page = replace(page, prepared=await prepare(page.locations))
    return page


async def _location_page(reading: _Reading, chosen: Callable[[_Reading], None] | None = None) -> LocationPage:
    """``chosen``: told the next page's reading as soon as this page's ids are chosen (when more follow)."""
    partner, window, party = reading.partner, reading.window, reading.party
    tenant_ids = None
    if party is not None:
        tenant_ids = [row["id"] for row in await Tenant.select(Tenant.id).where(_cpo_party(party))]
    page = await visible_location_page(partner, window, cpo_tenant_ids=tenant_ids)
    last = (page.rows[-1][1], str(page.rows[-1][0])) if page.rows else None
    if chosen is not None and page.more and last is not None:
        chosen(reading.following(len(page.rows), last))
    loaded = {o.location["id"]: o for o in await offered_locations(partner, party, [i for i, _ in page.rows])}
    # A location that changed between the two queries is left to the next crawl; the order stays the page's.
    located = [loaded[i] for i, _ in page.rows if i in loaded]
    return LocationPage(located, page.total, last, page.more, rows=len(page.rows))


READ_AHEAD_PAGES = 2
READ_AHEAD_SECONDS = 5.0
_READ_AHEAD_KEPT = 8  # pages of all partners at once; each about a page's worth of rows


@dataclass(eq=False)
class _Ahead:
    """A page read ahead."""

    reading: _Reading
    expires: float  # time.monotonic()
    started: datetime  # changes to its locations from then on make it stale
    depth: int  # pages read ahead from here on, this one included
    task: asyncio.Task[LocationPage] | None = None
    following: _Reading | None = None  # the next page's, once this page's ids are chosen and more follow

    def usable(self) -> bool:
        # Only a task of this loop: another loop (another thread's server in a test) finishes its own.
        return (
            self.task is not None
            and self.task.get_loop() is asyncio.get_running_loop()
            and self.expires >= time.monotonic()
        )


_ahead: OrderedDict[AheadKey, _Ahead] = OrderedDict()


def _ahead_key(partner: PartnerRef, window: Window, party: Party | None, prepare: Prepare | None = None) -> AheadKey:
    return _Reading(partner, window, party, prepare).key


def _want(reading: _Reading, depth: int) -> None:
    """Have ``reading``'s page and the ``depth - 1`` after it read ahead (those not being read already)."""
    key = reading.key
    entry = _ahead.get(key)
    if entry is not None and entry.usable():
        entry.depth = max(entry.depth, depth)
        if entry.following is not None and depth > 1:
            _want(entry.following, depth - 1)
        return
    _cancel(_ahead.pop(key, None))
    loop = asyncio.get_running_loop()
    entry = _Ahead(reading, time.monotonic() + READ_AHEAD_SECONDS, _now(), depth)
    entry.task = loop.create_task(_read_ahead(entry))
    entry.task.add_done_callback(_settled)
    _ahead[key] = entry
    # A page nobody asked for lets go of its rows; the timer holds no page (a crawl makes several pages a second).
    loop.call_later(READ_AHEAD_SECONDS, _expire, key, weakref.ref(entry))
    while len(_ahead) > _READ_AHEAD_KEPT:
        _cancel(_ahead.pop(next(iter(_ahead))))


def _expire(key: AheadKey, entry: weakref.ref[_Ahead]) -> None:
    held = entry()
    if held is not None and _ahead.get(key) is held:
        _cancel(_ahead.pop(key))


async def _read_ahead(entry: _Ahead) -> LocationPage:
    def chosen(following: _Reading) -> None:
        entry.following = following
        if entry.depth > 1:
            _want(following, entry.depth - 1)

    page = await _location_page(entry.reading, chosen)
    prepare = entry.reading.prepare
    return page if prepare is None else replace(page, prepared=await prepare(page.locations))


def _settled(task: asyncio.Task[LocationPage]) -> None:
    # A page nobody asks for again keeps its failure to itself: a request that wants the page reads it again and
    # meets the error, if any, there.
    if not task.cancelled():
        task.exception()


def _cancel(entry: _Ahead | None) -> None:
    if entry is not None and entry.task is not None and entry.task.get_loop() is asyncio.get_running_loop():
        entry.task.cancel()


async def _read_ahead_page(key: AheadKey) -> tuple[LocationPage | None, int]:
    """The page read ahead for ``key``, taken out, if it is still what a read now would give for its locations; and
    how many pages to read ahead of it (READ_AHEAD_PAGES when it was asked for quickly, else one)."""
    entry = _ahead.pop(key, None)
    if entry is None or not entry.usable():
        _cancel(entry)
        return None, 1
    quick = entry.expires - time.monotonic() >= READ_AHEAD_SECONDS * (1 - 1 / READ_AHEAD_PAGES)
    depth = READ_AHEAD_PAGES if quick else 1
    assert entry.task is not None
    try:
        page = await entry.task
    except Exception:  # noqa: BLE001 - the request reads the page itself and meets the error, if any, there
        return None, depth
    ids = [o.location["id"] for o in page.locations]
    if ids and await Location.exists().where(ids_in(Location.id, ids) & (Location.last_updated >= entry.started)):
        return None, depth
    return page, depth


async def offered_locations(
    partner: PartnerRef, party: Party | None = None, location_ids: Collection[int] | None = None
) -> list[OfferedLocation]:
    """The locations the partner sees (with only the charge points it sees) of the CPO ``party`` (None: of every
    CPO tenant): those of ``location_ids``, or (None) every one, in id order."""
    listed = None if location_ids is None else list(location_ids)
    rows = await visible_charge_points(partner, location_ids=listed, station_facts=True)
    if not rows:
        return []
    return offered_of((await load_locations(rows)).values(), _by_location(rows), party)


@dataclass
class LoadedLocation:
    """A location with every charge point loaded for it, before a partner's view is cut out (``offered_of``)."""

    offered: OfferedLocation  # every loaded charge point with connectors, in id order
    names: list[tuple[int, str]]  # (station, name on the roaming platform), in station id order
    stations: dict[int, int]  # charge point -> station, of every loaded charge point

    @property
    def stamp(self) -> datetime:
        return self.offered.location["last_updated"]


def offered_of(
    loaded: Iterable[LoadedLocation], visible: dict[int, list[int]], party: Party | None = None
) -> list[OfferedLocation]:
    """What a partner that sees the charge points ``visible`` (location -> charge point ids) is offered of the
    ``loaded`` locations (of the CPO ``party``, None: of every one), in location id order."""
    result = []
    for entry in sorted(loaded, key=lambda e: e.offered.location["id"]):
        base = entry.offered
        seen = set(visible.get(base.location["id"], ()))
        if not seen or not _of_party({"country_code": base.country_code, "party_id": base.party_id}, party):
            continue
        points = [cp for cp in base.charge_points if cp.charge_point["id"] in seen]
        if not points:
            continue
        stations = {entry.stations[cp] for cp in seen if cp in entry.stations}
        name = next((name for station, name in entry.names if station in stations and name), "")
        result.append(OfferedLocation(base.location, base.country_code, base.party_id, name, points))
    return result


# {"location_id", "station_id", "charge_point_id"} of a charge point, and its station's facts (STATION_FACTS)
Placed = dict[str, Any]


def _by_location(rows: Iterable[Placed]) -> dict[int, list[int]]:
    by_location: dict[int, list[int]] = defaultdict(list)
    for row in rows:
        by_location[row["location_id"]].append(row["charge_point_id"])
    return by_location


async def all_charge_points(location_ids: Collection[int]) -> list[Placed]:
    """Every charge point of the locations, whoever sees it: a load shared by several partners."""
    return await ChargePoint.raw(
        f'SELECT s."location" AS location_id, s."id" AS station_id, cp."id" AS charge_point_id, {STATION_FACTS} '  # noqa: S608
        f'FROM "{ChargingStation._meta.tablename}" s JOIN "{ChargePoint._meta.tablename}" cp ON cp."station" = s."id" '
        f'LEFT JOIN "{StationRoaming._meta.tablename}" r ON r."station" = s."id" '
        f'WHERE s."location" IN ({id_list(location_ids)})'
    )


# What an offer is made of (the OCPI objects' fields, hub.mapping.locations), not every column: a page has thousands
# of rows, and each column costs in both databases and in the row dicts.
_LOCATION_COLUMNS = (
    Location.id, Location.tenant, Location.name, Location.address, Location.city, Location.postal_code,
    Location.state, Location.country, Location.latitude, Location.longitude, Location.time_zone,
    Location.twentyfourseven, Location.opening_hours, Location.parking_restrictions, Location.parking_type,
    Location.directions, Location.operator_name, Location.operator_website, Location.last_updated,
)
_CHARGE_POINT_COLUMNS = (
    ChargePoint.id, ChargePoint.station, ChargePoint.status, ChargePoint.status_updated_at, ChargePoint.updated_at,
    ChargePoint.decommissioned_at, ChargePoint.evse_id, ChargePoint.floor_level, ChargePoint.physical_reference,
    ChargePoint.auth_remote, ChargePoint.auth_local_rfid,
)
_CONNECTOR_COLUMNS = (
    Connector.charge_point, Connector.connector_number, Connector.standard, Connector.format, Connector.power_type,
    Connector.max_voltage, Connector.max_amperage, Connector.max_electric_power, Connector.updated_at,
)  # fmt: skip


def _json_list(value: Any) -> list[Any]:
    """A JSON list column as both databases give it without Piccolo's ``load_json`` (which copies every row): text."""
    if isinstance(value, str):
        return [] if value == "[]" else list(json.loads(value))
    return list(value or [])


async def load_locations(placed: list[Placed]) -> dict[int, LoadedLocation]:
    """The locations of the charge points ``placed`` with those charge points, in a few bulk queries made at once
    (every one by a list of ids); each charge point with its effective status and its tariffs now and scheduled."""
    location_ids = list({row["location_id"] for row in placed})
    cp_ids = [row["charge_point_id"] for row in placed]
    if not location_ids:
        return {}
    # The stations' facts came with the charge points' ids (one row per charge point; a station's are alike).
    stations = {row["station_id"]: row for row in placed}
    locations, rows, connector_rows, tenants, assignment_rows = await together(
        Location.select(*_LOCATION_COLUMNS).where(ids_in(Location.id, location_ids)),
        ChargePoint.select(*_CHARGE_POINT_COLUMNS).where(ids_in(ChargePoint.id, cp_ids)).order_by(ChargePoint.id),
        Connector.select(*_CONNECTOR_COLUMNS)
        .where(ids_in(Connector.charge_point, cp_ids))
        .order_by(Connector.connector_number),
        Tenant.select(Tenant.id, Tenant.country_code, Tenant.party_id).where(
            WhereRaw(
                f'"{Tenant._meta.tablename}"."id" IN (SELECT "tenant" FROM "{Location._meta.tablename}" '  # noqa: S608
                f'WHERE "id" IN ({id_list(location_ids)}))'
            )
        ),
        _assignments_where(ids_in(TariffAssignment.charge_point, cp_ids)),
    )
    connectors: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in connector_rows:
        connectors[row["charge_point"]].append(row)
    parties = {t["id"]: t for t in tenants}
    assignments: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in assignment_rows:
        assignments[row["charge_point"]].append(row)
    now = _now()

    result: dict[int, LoadedLocation] = {}
    for loc in locations:
        loc["opening_hours"] = _json_list(loc["opening_hours"])
        loc["parking_restrictions"] = _json_list(loc["parking_restrictions"])
        owner = parties[loc["tenant"]]
        result[loc["id"]] = LoadedLocation(OfferedLocation(loc, owner["country_code"], owner["party_id"], ""), [], {})
    for station_id, facts in sorted(stations.items()):
        entry = result.get(facts["location_id"])
        if entry is not None and facts["platform_name"] is not None:
            entry.names.append((station_id, facts["platform_name"]))
    for cp in rows:  # in id order
        cp_id = cp["id"]
        station = stations.get(cp["station"])
        entry = result.get(station["location_id"]) if station is not None else None
        if station is None or entry is None:
            continue  # moved between the queries: the next load sees it where it is
        entry.stations[cp_id] = cp["station"]
        cp_connectors = connectors.get(cp_id)
        if not cp_connectors:
            continue  # not a valid EVSE; the readiness checklist keeps such stations off roaming
        current, scheduled, changed = _tariff_plan(assignments.get(cp_id, []), now)
        # The station's own status is part of the EVSE's effective status: its change dates the EVSE too.
        cp["status_updated_at"] = _latest(cp["status_updated_at"], station["station_status_at"])
        entry.offered.charge_points.append(
            OfferedChargePoint(
                charge_point=cp,
                connectors=cp_connectors,
                status=effective_status_of(station, cp["status"]).value,
                current_tariff=current["tariff_code"] if current else None,
                scheduled=[(a["tariff_code"], at) for a, at in scheduled],
                tariffs_changed_at=changed,
            )
        )
    return result


POWER_OF_CONNECTOR = {"AC_1_PHASE": "AC", "AC_2_PHASE": "AC", "AC_2_PHASE_SPLIT": "AC", "AC_3_PHASE": "AC", "DC": "DC"}


async def offered_tariffs(partner: PartnerRef, party: Party | None = None) -> list[OfferedTariff]:
    """The tariffs in force or scheduled on the charge points the partner sees (of the CPO ``party``, None: of
    every CPO tenant), one per power type a connector of those charge points uses (the OCPI tariff ids the
    locations' connectors list)."""
    cp_ids = [cp for ids in (await visible_by_location(partner)).values() for cp in ids]
    if not cp_ids:
        return []
    powers: dict[int, set[str]] = defaultdict(set)
    for row in await Connector.select(Connector.charge_point, Connector.power_type).where(
        ids_in(Connector.charge_point, cp_ids)
    ):
        powers[row["charge_point"]].add(POWER_OF_CONNECTOR.get(row["power_type"], "AC"))
    now = _now()
    wanted: dict[tuple[int, str, datetime | None], datetime] = {}
    for cp, assignments in (await _assignments(cp_ids)).items():
        current, scheduled, _ = _tariff_plan(assignments, now)
        uses = ([(current, None)] if current else []) + [(a, at) for a, at in scheduled]
        for assignment, start in uses:
            for power in powers[cp]:
                key = (assignment["tariff"], power, start)
                wanted[key] = max(wanted.get(key, assignment["created_at"]), assignment["created_at"])
    if not wanted:
        return []
    tariffs = {t["id"]: t for t in await Tariff.select().where(Tariff.id.is_in(list({k[0] for k in wanted})))}
    tenants = {
        t["id"]: t for t in await Tenant.select(Tenant.id, Tenant.country_code, Tenant.party_id, Tenant.vat_rate).where(
            Tenant.id.is_in(list({t["tenant"] for t in tariffs.values()}))
        )
    }  # fmt: skip
    result = []
    for (tariff_id, power, start), assigned_at in wanted.items():
        tariff = tariffs[tariff_id]
        tenant = tenants[tariff["tenant"]]
        if not _of_party(tenant, party):
            continue
        result.append(
            OfferedTariff(
                tariff=tariff, vat_rate=Decimal(str(tenant["vat_rate"])).quantize(Decimal("0.01")),
                country_code=tenant["country_code"], party_id=tenant["party_id"], power=power, start=start,
                changed_at=max(tariff["updated_at"], assigned_at),
            )
        )  # fmt: skip
    return result
