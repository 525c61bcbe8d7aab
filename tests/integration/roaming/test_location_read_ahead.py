"""A partner crawling locations by Link gets the next pages read ahead (core.roaming.offer.offered_location_page with
``read_ahead``): one page ahead, two once it asks quickly, prepared ahead when the caller prepares its answers, served
as read when none of their locations changed since, read again when one did, let go when nobody asks; and the count
of a large view is kept longer (core.roaming.visibility)."""

from __future__ import annotations

import asyncio
import gc
import weakref
from dataclasses import dataclass
from typing import Any

from core.infrastructure import changes
from core.roaming import offer, visibility
from core.roaming.paging import Window
from tests.integration.infrastructure.conftest import Site
from tests.integration.ocpi.conftest import tenant_with_party
from tests.integration.ocpi.test_sender_modules import open_to, party, roaming_cpo, roaming_site
from tests.support import TenantCtx


@dataclass
class View:
    """An EMP partner's view of sites of one CPO party."""

    ref: offer.PartnerRef
    party: offer.Party
    sites: list[Site]
    cpo: TenantCtx
    group: dict[str, Any]

    async def add_site(self) -> Site:
        self.sites.append(await roaming_site(self.cpo, self.group))
        return self.sites[-1]


async def _crawlable(count: int) -> View:
    cpo = await roaming_cpo()
    emp = await tenant_with_party("EMP", party())
    cpo_party = (cpo.tenant["country_code"].upper(), cpo.tenant["party_id"].upper())
    view = View(offer.partner_ref({"kind": "EMP", "tenant": emp.id}), cpo_party, [], cpo, await open_to(cpo, emp))
    for _ in range(count):
        await view.add_site()
    return view


async def test_the_next_pages_are_read_ahead_and_read_again_when_one_of_their_locations_changed() -> None:
    view = await _crawlable(4)
    ref, cpo_party, sites = view.ref, view.party, view.sites
    ids = [site.location["id"] for site in sites]
    prepared: list[list[int]] = []

    async def prepare(locations: list[offer.OfferedLocation]) -> list[int]:
        prepared.append([o.location["id"] for o in locations])
        return prepared[-1]

    def entry(window: Window) -> Any:
        return offer._ahead.get(offer._ahead_key(ref, window, cpo_party, prepare))

    async def page(window: Window) -> offer.LocationPage:
        return await offer.offered_location_page(ref, window, cpo_party, read_ahead=True, prepare=prepare)

    first = await page(Window(limit=1))
    assert first.prepared == [ids[0]]
    second_window = Window(offset=1, limit=1, after=first.last)
    ahead = await entry(second_window).task
    assert ahead.prepared == [ids[1]]
    third_window = Window(offset=2, limit=1, after=ahead.last)
    assert entry(third_window) is None  # one page ahead until the partner shows it crawls quickly

    calls = len(prepared)
    second = await page(second_window)
    assert second is ahead and len(prepared) == calls  # nothing changed: served as read and prepared ahead
    assert second == await offer._location_page(offer._Reading(ref, second_window, cpo_party, None))
    # Asked for at once: two pages ahead, the fourth read as soon as the third's ids are chosen.
    third_ahead = await entry(third_window).task
    fourth_window = Window(offset=3, limit=1, after=third_ahead.last)
    assert entry(fourth_window) is not None

    stale = await entry(third_window).task
    assert [o.location["id"] for o in stale.locations] == [ids[2]]
    await asyncio.sleep(0.01)  # a new clock reading, also on SQLite's text timestamps
    await changes.charge_points_changed([sites[2].charge_point["id"]])
    third = await page(third_window)
    # Read again: the changed location moved behind the crawl's cursor, so the third page holds the fourth location
    # and the last page the changed one, with its new last_updated.
    assert third is not stale and third.prepared == [ids[3]] and third.more
    last = await page(Window(offset=3, limit=1, after=third.last))
    assert last.prepared == [ids[2]] and not last.more
    assert last.locations[0].location["last_updated"] > stale.locations[0].location["last_updated"]
    assert entry(Window(offset=4, limit=1, after=last.last)) is None  # nothing read beyond the last page


async def test_a_partner_that_crawls_slowly_gets_one_page_read_ahead(monkeypatch: Any) -> None:
    # Asked for later than READ_AHEAD_SECONDS / READ_AHEAD_PAGES after its reading: a page two ahead would grow stale
    # before the partner got to it, so only the next one is read.
    monkeypatch.setattr(offer, "READ_AHEAD_SECONDS", 0.4)
    view = await _crawlable(4)
    ref, cpo_party = view.ref, view.party

    first = await offer.offered_location_page(ref, Window(limit=1), cpo_party, read_ahead=True)
    second_window = Window(offset=1, limit=1, after=first.last)
    await asyncio.sleep(0.3)
    second = await offer.offered_location_page(ref, second_window, cpo_party, read_ahead=True)
    third_window = Window(offset=2, limit=1, after=second.last)
    third = await offer._ahead[offer._ahead_key(ref, third_window, cpo_party)].task
    assert third.more and third.last is not None
    fourth_window = Window(offset=3, limit=1, after=third.last)
    assert offer._ahead_key(ref, fourth_window, cpo_party) not in offer._ahead  # the next page only
    await asyncio.sleep(0.5)
    assert offer._ahead_key(ref, third_window, cpo_party) not in offer._ahead  # not asked for in time: let go


async def test_a_page_served_from_read_ahead_is_not_kept() -> None:
    # A crawl makes several pages a second: a served page held on to until its read-ahead time ran out would pile up.
    view = await _crawlable(3)
    ref, cpo_party = view.ref, view.party

    first = await offer.offered_location_page(ref, Window(limit=1), cpo_party, read_ahead=True)
    second_window = Window(offset=1, limit=1, after=first.last)
    await offer._ahead[offer._ahead_key(ref, second_window, cpo_party)].task
    second = await offer.offered_location_page(ref, second_window, cpo_party, read_ahead=True)
    served = weakref.ref(second.locations[0])
    del second
    gc.collect()
    assert served() is None


async def test_x_total_count_of_a_large_view_is_kept_longer(monkeypatch: Any) -> None:
    # Counting a large view costs the whole view: it is counted every LARGE_COUNT_SECONDS, a small one every
    # COUNT_SECONDS (here at once).
    monkeypatch.setattr(visibility, "COUNT_SECONDS", 0.0)
    monkeypatch.setattr(visibility, "LARGE_COUNT", 3)
    view = await _crawlable(2)

    async def total() -> int:
        page = await visibility.visible_location_page(view.ref, Window(limit=10), cpo_tenant_ids=[view.cpo.id])
        return page.total

    assert await total() == 2
    await view.add_site()
    assert await total() == 3  # small: counted again
    await view.add_site()
    assert await total() == 3  # large now: kept
