"""Every writer of what an OCPI Location shows raises the stored ``Location.last_updated`` in its own transaction
(core.infrastructure.changes): locations, stations, charge points, connectors, the bulk import, tariff assignments
and the periodic check for scheduled assignments that took effect."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from core.infrastructure import bulk_import, charge_points, locations, stations
from core.infrastructure.bulk_import import ImportMode
from core.infrastructure.tables import Location
from core.tariffs import assignments, tariffs
from core.tenancy import logins
from tests.integration.infrastructure.conftest import Site, make_site
from tests.integration.tariffs.conftest import prices
from tests.support import TenantCtx, make_tenant

LONG_AGO = datetime(2020, 1, 1, tzinfo=UTC)


async def _stamp(location_id: int) -> datetime:
    row = await Location.select(Location.last_updated).where(Location.id == location_id).first()
    assert row is not None
    return row["last_updated"]


async def _age(*location_ids: int) -> None:
    await Location.update({Location.last_updated: LONG_AGO}).where(Location.id.is_in(list(location_ids)))


Writer = Callable[[TenantCtx, Site, Site], Awaitable[Any]]


async def _connector_delete(ctx: TenantCtx, site: Site, _: Site) -> None:
    extra = await charge_points.create_connector(ctx.actor, {"charge_point_id": site.charge_point["id"],
                                                              "connector_number": 2})  # fmt: skip
    await _age(site.location["id"])
    await charge_points.delete_connector(ctx.actor, extra["id"])


async def _bulk_import(ctx: TenantCtx, site: Site, _: Site) -> None:
    loc = site.location
    line = (f"{loc['name']};{loc['address']};{loc['postal_code']};{loc['city']};DEU;{site.station['charge_box_id']};"
            "ABB;Terra;7;;IEC_62196_T2;AC_3_PHASE;22000")  # fmt: skip
    header = ("location_name;address;postal_code;city;country;charge_box_id;vendor;model;evse_number;evse_id;"
              "standard;power_type;max_electric_power")  # fmt: skip
    parsed = await bulk_import.validate(ctx.actor, f"{header}\n{line}\n")
    assert parsed.rows[0].errors == {} and parsed.rows[0].existing_station == site.station["id"]
    await bulk_import.import_rows(ctx.actor, parsed, ImportMode.ALL)


async def _assign(ctx: TenantCtx, site: Site, _: Site) -> None:
    tariff = await tariffs.create_tariff(ctx.actor, prices())
    later = datetime.now(UTC) + timedelta(days=1)  # a scheduled tariff is in tariff_ids too
    await assignments.assign_tariff(ctx.actor, tariff["id"], [site.charge_point["id"]], later)


async def _cancel(ctx: TenantCtx, site: Site, _: Site) -> None:
    await _assign(ctx, site, _)
    info = await assignments.charge_point_tariffs(ctx.actor, site.charge_point["id"])
    await _age(site.location["id"])
    await assignments.cancel_assignment(ctx.actor, info["scheduled"][0]["id"])


def _cp(site: Site) -> int:
    return int(site.charge_point["id"])


WRITERS: dict[str, Writer] = {
    "location edited": lambda c, s, _: locations.update_location(c.actor, s.location["id"], {"name": "Neu"}),
    "location unpublished": lambda c, s, _: locations.update_location(c.actor, s.location["id"], {"publish": False}),
    "location decommissioned": lambda c, s, _: locations.decommission_location(c.actor, s.location["id"]),
    "station created": lambda c, s, _: stations.create_station(
        c.actor, {"location_id": s.location["id"], "charge_box_id": f"N-{s.station['charge_box_id']}"}
    ),
    "station edited": lambda c, s, _: stations.update_station(c.actor, s.station["id"], {"vendor": "Alpitronic"}),
    "station access": lambda c, s, _: stations.update_station(c.actor, s.station["id"], {"access_type": "PRIVATE"}),
    "station decommissioned": lambda c, s, _: stations.decommission_station(c.actor, s.station["id"]),
    "station cloned": lambda c, s, _: stations.clone_station(c.actor, s.station["id"], f"C{s.station['id']}"),
    "charge point created": lambda c, s, _: charge_points.create_charge_point(
        c.actor, {"station_id": s.station["id"], "evse_number": 2}
    ),
    "charge point edited": lambda c, s, _: charge_points.update_charge_point(c.actor, _cp(s), {"floor_level": "-1"}),
    "charge point auth types": lambda c, s, _: charge_points.update_charge_point(
        c.actor, _cp(s), {"auth_remote": False}
    ),
    "charge point decommissioned": lambda c, s, _: charge_points.decommission_charge_point(c.actor, _cp(s)),
    "connector added": lambda c, s, _: charge_points.create_connector(
        c.actor, {"charge_point_id": _cp(s), "connector_number": 2}
    ),
    "connector edited": lambda c, s, _: charge_points.update_connector(
        c.actor, s.connector["id"], {"max_amperage": 16}
    ),
    "connector deleted": _connector_delete,
    "bulk import into an existing station": _bulk_import,
    "tariff assigned": _assign,
    "tariff assignment cancelled": _cancel,
}  # fmt: skip


@pytest.mark.parametrize("writer", WRITERS.values(), ids=WRITERS.keys())
async def test_each_writer_raises_its_location_and_no_other(cpo: TenantCtx, unique: str, writer: Writer) -> None:
    site, bystander = await make_site(cpo, unique), await make_site(cpo, f"B{unique}")
    await _age(site.location["id"], bystander.location["id"])
    before = datetime.now(UTC)
    await writer(cpo, site, bystander)
    assert await _stamp(site.location["id"]) >= before - timedelta(seconds=1)
    assert await _stamp(bystander.location["id"]) == LONG_AGO


async def test_a_moved_station_raises_both_locations(cpo: TenantCtx, unique: str) -> None:
    site, target = await make_site(cpo, unique), await make_site(cpo, f"T{unique}")
    await _age(site.location["id"], target.location["id"])
    await stations.update_station(cpo.actor, site.station["id"], {"location_id": target.location["id"]})
    assert await _stamp(site.location["id"]) > LONG_AGO
    assert await _stamp(target.location["id"]) > LONG_AGO


async def test_a_change_of_operator_raises_the_old_and_the_new_location(unique: str) -> None:
    reseller = await make_tenant(kind="RESELLER")
    sub = await make_tenant(parent_id=reseller.id)
    actor = await logins.actor_for_user(reseller.admin)  # its scope includes the new sub-CPO
    site = await make_site(reseller, unique)
    await stations.create_station(actor, {"location_id": site.location["id"], "charge_box_id": f"S-{unique}"})
    await _age(site.location["id"])
    await stations.change_operator(actor, site.station["id"], sub.id)
    moved = await stations.get_station(actor, site.station["id"])
    assert moved["location"] != site.location["id"]  # the location was shared: the station got a copy of it
    assert await _stamp(site.location["id"]) > LONG_AGO
    assert await _stamp(moved["location"]) > LONG_AGO


async def test_a_scheduled_assignment_taking_effect_raises_its_location_once(cpo: TenantCtx, unique: str) -> None:
    site, bystander = await make_site(cpo, unique), await make_site(cpo, f"B{unique}")
    tariff = await tariffs.create_tariff(cpo.actor, prices())
    now = datetime.now(UTC)
    starts = now + timedelta(hours=1)
    await assignments.assign_tariff(cpo.actor, tariff["id"], [site.charge_point["id"]], starts, now=now)
    await assignments.assign_tariff(cpo.actor, tariff["id"], [bystander.charge_point["id"]], now, now=now)
    assigned, untouched = await _stamp(site.location["id"]), await _stamp(bystander.location["id"])

    # Before it takes effect nothing happens; once it has, the location rises once: a second run (another worker
    # process) finds it newer than the assignment. The bystander's tariff took effect when it was assigned, which
    # raised its location then.
    assert site.location["id"] not in await assignments.mark_assignments_in_force(now=starts - timedelta(seconds=1))
    assert await _stamp(site.location["id"]) == assigned
    first = await assignments.mark_assignments_in_force(now=starts + timedelta(seconds=30))
    assert site.location["id"] in first and bystander.location["id"] not in first
    assert await _stamp(site.location["id"]) == starts + timedelta(seconds=30)
    assert site.location["id"] not in await assignments.mark_assignments_in_force(now=starts + timedelta(seconds=60))
    assert await _stamp(site.location["id"]) == starts + timedelta(seconds=30)
    assert await _stamp(bystander.location["id"]) == untouched


async def test_a_cancelled_scheduled_assignment_raises_nothing_when_its_time_comes(cpo: TenantCtx, unique: str) -> None:
    site = await make_site(cpo, unique)
    tariff = await tariffs.create_tariff(cpo.actor, prices())
    now = datetime.now(UTC)
    starts = now + timedelta(hours=1)
    await assignments.assign_tariff(cpo.actor, tariff["id"], [site.charge_point["id"]], starts, now=now)
    info = await assignments.charge_point_tariffs(cpo.actor, site.charge_point["id"])
    await assignments.cancel_assignment(cpo.actor, info["scheduled"][0]["id"], now=now)
    await _age(site.location["id"])
    assert site.location["id"] not in await assignments.mark_assignments_in_force(now=starts + timedelta(seconds=1))
    assert await _stamp(site.location["id"]) == LONG_AGO
