"""A partner crawling locations by Link gets the next page read ahead (core.roaming.offer.offered_location_page with
``read_ahead``): served as read when none of its locations changed since, read again when one did."""

from __future__ import annotations

import asyncio

from core.infrastructure import changes
from core.roaming import offer
from core.roaming.paging import Window
from tests.integration.ocpi.conftest import tenant_with_party
from tests.integration.ocpi.test_sender_modules import open_to, party, roaming_cpo, roaming_site


async def test_the_next_page_is_read_ahead_and_read_again_when_one_of_its_locations_changed() -> None:
    cpo = await roaming_cpo()
    emp = await tenant_with_party("EMP", party())
    group = await open_to(cpo, emp)
    sites = [await roaming_site(cpo, group) for _ in range(3)]
    ref = offer.partner_ref({"kind": "EMP", "tenant": emp.id})
    cpo_party = (cpo.tenant["country_code"].upper(), cpo.tenant["party_id"].upper())

    first = await offer.offered_location_page(ref, Window(limit=1), cpo_party, read_ahead=True)
    second_window = Window(offset=1, limit=1, after=first.last)
    ahead = offer._ahead[offer._ahead_key(ref, second_window, cpo_party)][2]
    second = await offer.offered_location_page(ref, second_window, cpo_party, read_ahead=True)
    assert second is await ahead  # nothing changed: the page as it was read ahead
    assert second == await offer._location_page(ref, second_window, cpo_party)

    third_window = Window(offset=2, limit=1, after=second.last)
    stale = await offer._ahead[offer._ahead_key(ref, third_window, cpo_party)][2]
    assert [o.location["id"] for o in stale.locations] == [sites[2].location["id"]]
    await asyncio.sleep(0.01)  # a new clock reading, also on SQLite's text timestamps
    await changes.charge_points_changed([sites[2].charge_point["id"]])
    third = await offer.offered_location_page(ref, third_window, cpo_party)
    assert third is not stale
    assert [o.location["id"] for o in third.locations] == [sites[2].location["id"]]
    assert third.locations[0].location["last_updated"] > stale.locations[0].location["last_updated"]
    assert not third.more and not offer._ahead.get(offer._ahead_key(ref, third_window, cpo_party))
