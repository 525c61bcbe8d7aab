"""The partners of one push tick share one load of a changed location (core.roaming.pushes): each still gets only
the charge points it sees, and the name of a station it sees, exactly what its own load would give; a location in
a newer state is loaded again."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from core.charging import connections, status
from core.infrastructure.tables import ChargingStation, Location
from core.roaming import contract_groups, offer, pushes
from core.roaming.tables import StationRoaming
from tests.integration.ocpi.conftest import tenant_with_party
from tests.integration.ocpi.test_sender_modules import party, roaming_cpo, roaming_site
from tests.integration.roaming.test_pushed_changes import notification


async def stamp_of(location_id: int) -> datetime:
    row = await Location.select(Location.last_updated).where(Location.id == location_id).first()
    assert row is not None
    return row["last_updated"]  # type: ignore[no-any-return]


def ids(offered: offer.OfferedLocation) -> list[int]:
    return [cp.charge_point["id"] for cp in offered.charge_points]


async def test_partners_of_a_tick_share_one_load_and_each_gets_only_what_it_sees() -> None:
    cpo = await roaming_cpo()
    emp_a, emp_b = await tenant_with_party("EMP", party()), await tenant_with_party("EMP", party())
    await contract_groups.set_hub_enabled(cpo.actor, True)
    both = await contract_groups.create_group(cpo.actor, {"name": "Alle", "emp_tenant_ids": [emp_a.id, emp_b.id]})
    only_b = await contract_groups.create_group(cpo.actor, {"name": "Nur B", "emp_tenant_ids": [emp_b.id]})
    seen_by_both = await roaming_site(cpo, both)
    seen_by_b = await roaming_site(cpo, only_b)
    location_id = seen_by_both.location["id"]
    # Two stations at one location; only the one partner A does not see has a name on the roaming platform.
    await ChargingStation.update({ChargingStation.location: location_id}).where(
        ChargingStation.id == seen_by_b.station["id"]
    )
    await StationRoaming.update({StationRoaming.platform_name: "Ladepark Süd"}).where(
        StationRoaming.station == seen_by_b.station["id"]
    )
    partner_a: dict[str, Any] = {"kind": "EMP", "tenant": emp_a.id}
    partner_b: dict[str, Any] = {"kind": "EMP", "tenant": emp_b.id}
    stamps = {location_id: await stamp_of(location_id)}

    got_a, got_b = await asyncio.gather(
        pushes._offered(partner_a, [location_id], stamps), pushes._offered(partner_b, [location_id], stamps)
    )
    assert [ids(o) for o in got_a] == [[seen_by_both.charge_point["id"]]] and got_a[0].name == ""
    assert [ids(o) for o in got_b] == [sorted([seen_by_both.charge_point["id"], seen_by_b.charge_point["id"]])]
    assert got_b[0].name == "Ladepark Süd"
    assert got_a[0].charge_points[0] is got_b[0].charge_points[0]  # one load for both partners
    for partner, got in ((partner_a, got_a), (partner_b, got_b)):
        assert got == await offer.offered_locations(offer.partner_ref(partner), location_ids=[location_id])

    # A newer state of the location is loaded again, not served from the tick's load.
    await asyncio.sleep(0.01)  # a new clock reading, also on SQLite's text timestamps
    await connections.station_connected(seen_by_both.station["id"])
    await status.status_notification(seen_by_both.station, notification(1, "Charging"))
    again = await pushes._offered(partner_a, [location_id], {location_id: await stamp_of(location_id)})
    assert again[0].charge_points[0] is not got_a[0].charge_points[0]
    assert again[0].charge_points[0].status == "CHARGING"
