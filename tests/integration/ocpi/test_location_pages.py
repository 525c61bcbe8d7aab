"""The locations list chosen in SQL by the stored Location.last_updated: the order and the objects' field agree,
the Link's cursor keeps locations of one second apart, a location without a visible EVSE is neither listed nor
counted, and a scheduled tariff taking effect moves its location to the end of the order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from core.infrastructure.tables import Connector, Location
from core.tariffs import assignments, tariffs
from tests.integration.ocpi import test_sender_modules
from tests.integration.ocpi.test_sender_modules import auth, crawl, open_to, roaming_cpo, roaming_site
from tests.integration.ocpi.test_transport import registered
from tests.support import TenantCtx

LOCATIONS = "/ocpi/2.2.1/locations"

emp = test_sender_modules.emp  # the fixture: an EMP with a party of its own


async def test_locations_of_one_second_are_each_read_once_in_the_stored_order(
    client: httpx.AsyncClient, emp: TenantCtx
) -> None:
    cpo = await roaming_cpo()
    group = await open_to(cpo, emp)
    sites = [await roaming_site(cpo, group) for _ in range(4)]
    _, token = await registered(emp)
    # Four changes within one second, the higher ids first: the field shows the same second for all of them, the
    # order is the stored microseconds, and a page of one carries its cursor to the microsecond.
    second = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=10)
    for n, site in enumerate(reversed(sites)):
        at = second + timedelta(microseconds=100 * (n + 1))
        await Location.update({Location.last_updated: at}).where(Location.id == site.location["id"])

    read, responses = await crawl(client, f"{LOCATIONS}?limit=1&date_from={second.isoformat()}", auth(token, cpo))
    assert [loc["id"] for loc in read] == [str(s.location["id"]) for s in reversed(sites)]
    assert {loc["last_updated"] for loc in read} == {second.strftime("%Y-%m-%dT%H:%M:%SZ")}
    assert len(responses) == 4 and all(r.headers["x-total-count"] == "4" for r in responses)
    assert ".000100Z~" in responses[0].headers["link"]
    for cursor in ("2026-01-01T00:00:00Z~x", "2026-01-01T00:00:00Z~²", f"2026-01-01T00:00:00Z~{'9' * 30}"):
        bad = await client.get(f"{LOCATIONS}?after={cursor}", headers=auth(token, cpo))
        assert bad.status_code == 200 and bad.json()["status_code"] == 2001, cursor


async def test_a_location_without_a_visible_evse_is_neither_listed_nor_counted(
    client: httpx.AsyncClient, emp: TenantCtx
) -> None:
    cpo = await roaming_cpo()
    group = await open_to(cpo, emp)
    kept, emptied = await roaming_site(cpo, group), await roaming_site(cpo, group)
    # A charge point without connectors is no OCPI EVSE (the portal keeps one; an import or the database may not).
    await Connector.delete().where(Connector.charge_point == emptied.charge_point["id"])
    _, token = await registered(emp)
    response = await client.get(f"{LOCATIONS}?limit=10", headers=auth(token, cpo))
    assert [loc["id"] for loc in response.json()["data"]] == [str(kept.location["id"])]
    assert response.headers["x-total-count"] == "1"


async def test_a_scheduled_tariff_taking_effect_moves_its_location_to_the_end(
    client: httpx.AsyncClient, emp: TenantCtx
) -> None:
    cpo = await roaming_cpo()
    group = await open_to(cpo, emp)
    site, other = await roaming_site(cpo, group), await roaming_site(cpo, group)
    tariff = await tariffs.create_tariff(cpo.actor, {"name": "Abend", "currency": "EUR", "ac_energy_per_kwh": "0.4"})
    now = datetime.now(UTC)
    starts = now + timedelta(hours=2)
    await assignments.assign_tariff(cpo.actor, tariff["id"], [site.charge_point["id"]], starts, now=now)
    _, token = await registered(emp)
    before, _ = await crawl(client, f"{LOCATIONS}?limit=10", auth(token, cpo))
    assert [loc["id"] for loc in before] == [str(other.location["id"]), str(site.location["id"])]

    # The check runs after valid_from (its clock: "now" in two hours and a bit); the location is dated then.
    await assignments.mark_assignments_in_force(now=starts + timedelta(seconds=30))
    since = (starts + timedelta(seconds=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    changed, _ = await crawl(client, f"{LOCATIONS}?limit=10&date_from={since}", auth(token, cpo))
    assert [(loc["id"], loc["last_updated"]) for loc in changed] == [(str(site.location["id"]), since)]
    assert [t.split("-")[0] for t in changed[0]["evses"][0]["connectors"][0]["tariff_ids"]] == [tariff["code"]]
