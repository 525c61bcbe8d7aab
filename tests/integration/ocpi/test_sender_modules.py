"""The locations and tariffs sender modules on the app (ASGI, in-process): envelope and routing headers on every
path, only what the partner may see (contract group, switches), scoping by the OCPI-to party also on single-object
GETs, and pagination (limit cut to the cap, date_to exclusive, the Link keeping limit and dates, a crawl while
objects change neither skipping nor repeating an unchanged object)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from core.infrastructure import locations
from core.infrastructure.tables import ChargePoint, ChargingStation
from core.roaming import contract_groups, marketing, partners
from core.tariffs import assignments, tariffs
from tests.integration.infrastructure.conftest import Site
from tests.integration.ocpi.conftest import tenant_with_party
from tests.integration.ocpi.test_transport import assert_envelope, b64, registered
from tests.integration.roaming.conftest import ready_site
from tests.ocpi_peer.crawl import next_url
from tests.support import TenantCtx

SWITCHES_ON = {"access_type": "PUBLIC_PAID", "show_as_poi": "on", "marketing": "on", "roaming": "on",
               "auth_local_rfid": "on", "auth_remote": "on"}  # fmt: skip
LOCATIONS = "/ocpi/2.2.1/locations"


def party() -> str:
    return uuid.uuid4().hex[:3].upper()


@pytest.fixture
async def emp(hub_operator: TenantCtx) -> TenantCtx:
    """This module's EMP has a party of its own (instead of conftest's DE/EMQ): its tests open stations to it."""
    return await tenant_with_party("EMP", party())


async def roaming_cpo() -> TenantCtx:
    return await tenant_with_party("CPO", party())


async def open_to(cpo: TenantCtx, emp: TenantCtx) -> dict[str, Any]:
    """The CPO's hub switch on and a contract group with the EMP."""
    await contract_groups.set_hub_enabled(cpo.actor, True)
    return await contract_groups.create_group(cpo.actor, {"name": "Gruppe", "emp_tenant_ids": [emp.id]})


async def roaming_site(cpo: TenantCtx, group: dict[str, Any], suffix: str | None = None) -> Site:
    site = await ready_site(cpo, suffix or uuid.uuid4().hex[:10])
    await contract_groups.save_station_hub(cpo.actor, site.station["id"], True, [group["id"]])
    await marketing.save_marketing(cpo.actor, site.station["id"], SWITCHES_ON)
    return site


def auth(token: str, to: TenantCtx | None = None) -> dict[str, str]:
    headers = {"Authorization": b64(token)}
    if to is not None:
        headers |= {"OCPI-to-country-code": to.tenant["country_code"], "OCPI-to-party-id": to.tenant["party_id"]}
    return headers


async def crawl(client: httpx.AsyncClient, url: str, headers: dict[str, str]) -> tuple[list[dict], list]:
    """Every page by Link; returns the objects and the responses."""
    items: list[dict] = []
    responses = []
    next_: str | None = url
    while next_:
        response = await client.get(next_, headers=headers)
        assert_envelope(response, 1000)
        responses.append(response)
        items += response.json()["data"]
        next_ = next_url(response.headers.get("link"))
    return items, responses


def single(cpo: TenantCtx, site: Site) -> str:
    return f"{LOCATIONS}/{cpo.tenant['country_code']}/{cpo.tenant['party_id']}/{site.location['id']}"


async def test_visible_locations_with_evse_connector_and_tariff(client: httpx.AsyncClient, emp: TenantCtx) -> None:
    cpo = await roaming_cpo()
    group = await open_to(cpo, emp)
    site = await roaming_site(cpo, group)
    hidden = await ready_site(cpo, uuid.uuid4().hex[:10])  # no contract group, roaming off
    tariff = await tariffs.create_tariff(
        cpo.actor, {"name": "Standard", "currency": "EUR", "ac_energy_per_kwh": "0.40"}
    )
    await assignments.assign_tariff(cpo.actor, tariff["id"], [site.charge_point["id"]], datetime.now(UTC))
    _, token = await registered(emp)

    response = await client.get(LOCATIONS, headers=auth(token, cpo))
    assert_envelope(response, 1000)
    assert response.headers["x-total-count"] == "1" and response.headers["x-limit"] == "50"
    assert "link" not in response.headers
    assert (response.headers["ocpi-from-country-code"], response.headers["ocpi-from-party-id"]) == (
        cpo.tenant["country_code"], cpo.tenant["party_id"])  # fmt: skip
    [location] = response.json()["data"]
    assert (location["country_code"], location["party_id"], location["id"]) == (
        cpo.tenant["country_code"], cpo.tenant["party_id"], str(site.location["id"]))  # fmt: skip
    [evse] = location["evses"]
    assert evse["uid"] == str(site.charge_point["id"]) and evse["evse_id"] == site.charge_point["evse_id"]
    # The station never connected: its effective status is UNKNOWN whatever the charge point last reported.
    assert evse["status"] == "UNKNOWN"
    [connector] = evse["connectors"]
    tariff_id = f"{tariff['code']}-AC"
    assert connector["tariff_ids"] == [tariff_id]

    one = await client.get(single(cpo, site), headers=auth(token))
    assert_envelope(one, 1000)
    assert one.json()["data"]["id"] == str(site.location["id"])
    evse_one = await client.get(f"{single(cpo, site)}/{evse['uid']}", headers=auth(token))
    assert evse_one.json()["data"]["uid"] == evse["uid"]
    connector_one = await client.get(f"{single(cpo, site)}/{evse['uid']}/{connector['id']}", headers=auth(token))
    assert connector_one.json()["data"]["tariff_ids"] == [tariff_id]

    listed = await client.get("/ocpi/2.2.1/tariffs", headers=auth(token))
    assert_envelope(listed, 1000)
    ids = [t["id"] for t in listed.json()["data"] if t["party_id"] == cpo.tenant["party_id"]]
    assert ids == [tariff_id]

    # Unknown or invisible: 2003 with HTTP 404, on every level, and routing headers on the error too.
    for path in (
        single(cpo, hidden),
        f"{single(cpo, site)}/999999999",
        f"{single(cpo, site)}/{evse['uid']}/9",
        f"{LOCATIONS}/{cpo.tenant['country_code']}/ZZZ/{site.location['id']}",
        f"{LOCATIONS}/DE/XYZ/abc",
    ):
        missing = await client.get(path, headers=auth(token))
        assert missing.status_code == 404, path
        assert_envelope(missing, 2003)
        assert missing.headers["ocpi-to-party-id"] == emp.tenant["party_id"]


async def test_opening_hours_and_parking_restrictions_reach_the_partner(
    client: httpx.AsyncClient, emp: TenantCtx
) -> None:
    # JSON columns: read as text by both databases, published as lists (a list page and a single location alike).
    cpo = await roaming_cpo()
    site = await roaming_site(cpo, await open_to(cpo, emp))
    hours = [{"weekday": 1, "period_begin": "08:00", "period_end": "18:00"},
             {"weekday": 6, "period_begin": "09:00", "period_end": "13:00"}]  # fmt: skip
    changed = {"twentyfourseven": False, "opening_hours": hours, "parking_restrictions": ["EV_ONLY", "CUSTOMERS"]}
    await locations.update_location(cpo.actor, site.location["id"], changed)
    _, token = await registered(emp)

    listed = await client.get(LOCATIONS, headers=auth(token, cpo))
    assert_envelope(listed, 1000)
    one = await client.get(single(cpo, site), headers=auth(token))
    assert_envelope(one, 1000)
    for location in (*listed.json()["data"], one.json()["data"]):
        assert location["opening_times"] == {"twentyfourseven": False, "regular_hours": hours}
        [evse] = location["evses"]
        assert evse["parking_restrictions"] == ["EV_ONLY", "CUSTOMERS"]


async def test_switching_roaming_off_or_leaving_the_group_hides_the_location(
    client: httpx.AsyncClient, emp: TenantCtx
) -> None:
    cpo = await roaming_cpo()
    group = await open_to(cpo, emp)
    site = await roaming_site(cpo, group)
    _, token = await registered(emp)

    async def listed() -> list[str]:
        response = await client.get(LOCATIONS, headers=auth(token, cpo))
        assert_envelope(response, 1000)
        return [loc["id"] for loc in response.json()["data"]]

    async def single_status() -> int:
        return (await client.get(single(cpo, site), headers=auth(token))).status_code

    assert await listed() == [str(site.location["id"])] and await single_status() == 200
    await marketing.save_marketing(cpo.actor, site.station["id"], {**SWITCHES_ON, "roaming": ""})
    assert await listed() == [] and await single_status() == 404
    await marketing.save_marketing(cpo.actor, site.station["id"], SWITCHES_ON)
    assert await listed() == [str(site.location["id"])]
    await contract_groups.update_group(cpo.actor, group["id"], {"name": "Gruppe", "emp_tenant_ids": []})
    assert await listed() == [] and await single_status() == 404
    # Another EMP never sees it.
    await contract_groups.update_group(cpo.actor, group["id"], {"name": "Gruppe", "emp_tenant_ids": [emp.id]})
    stranger = await tenant_with_party("EMP", party())
    _, stranger_token = await registered(stranger)
    assert (await client.get(single(cpo, site), headers=auth(stranger_token))).status_code == 404
    response = await client.get(LOCATIONS, headers=auth(stranger_token, cpo))
    assert response.json()["data"] == []


async def test_routing_headers_scope_to_one_cpo_party(client: httpx.AsyncClient, emp: TenantCtx) -> None:
    first, second = await roaming_cpo(), await roaming_cpo()
    first_site = await roaming_site(first, await open_to(first, emp))
    second_site = await roaming_site(second, await open_to(second, emp))
    _, token = await registered(emp)

    async def parties(headers: dict[str, str]) -> set[tuple[str, str]]:
        items, _ = await crawl(client, LOCATIONS + "?limit=100", headers)
        return {(loc["party_id"], loc["id"]) for loc in items}

    first_key = (first.tenant["party_id"], str(first_site.location["id"]))
    second_key = (second.tenant["party_id"], str(second_site.location["id"]))
    assert await parties(auth(token, first)) == {first_key}
    assert await parties(auth(token, second)) == {second_key}
    # Without routing headers (or addressed to the hub): every CPO party the partner may see.
    assert {first_key, second_key} <= await parties(auth(token))
    hub = await partners.hub_operator()
    to_hub = auth(token) | {"OCPI-to-country-code": hub["country_code"], "OCPI-to-party-id": hub["party_id"]}
    assert {first_key, second_key} <= await parties(to_hub)
    # A single GET of another party's location while addressed to the first: unknown.
    crossed = await client.get(single(second, second_site), headers=auth(token, first))
    assert crossed.status_code == 404
    assert_envelope(crossed, 2003)
    # A party that is neither the hub nor a CPO tenant: unknown receiver.
    nobody = await client.get(LOCATIONS, headers=auth(token) | {"OCPI-to-country-code": "NL",
                                                               "OCPI-to-party-id": "Q" + party()[:2]})  # fmt: skip
    assert_envelope(nobody, 4001)


async def test_paging_limit_dates_and_a_crawl_while_objects_change(client: httpx.AsyncClient, emp: TenantCtx) -> None:
    cpo = await roaming_cpo()
    group = await open_to(cpo, emp)
    sites = [await roaming_site(cpo, group) for _ in range(7)]
    _, token = await registered(emp)
    headers = auth(token, cpo)

    everything, _ = await crawl(client, LOCATIONS + "?limit=100", headers)
    assert sorted(loc["id"] for loc in everything) == sorted(str(s.location["id"]) for s in sites)
    order = [(loc["last_updated"], int(loc["id"])) for loc in everything]
    assert order == sorted(order)

    # The cap: a limit above the module's maximum is cut to it.
    capped = await client.get(LOCATIONS + "?limit=100000", headers=headers)
    assert capped.headers["x-limit"] == "1000"

    # Link keeps limit and date filters; date_from inclusive, date_to exclusive.
    stamps = sorted({loc["last_updated"] for loc in everything})
    date_from, date_to = stamps[0], stamps[-1]
    expected = sorted(loc["id"] for loc in everything if date_from <= loc["last_updated"] < date_to)
    url = f"{LOCATIONS}?limit=2&date_from={date_from}&date_to={date_to}"
    windowed, responses = await crawl(client, url, headers)
    assert sorted(loc["id"] for loc in windowed) == expected
    for response in responses[:-1]:
        link = next_url(response.headers["link"])
        assert link is not None and "limit=2" in link and "date_from=" in link and "date_to=" in link
        assert response.headers["x-total-count"] == str(len(expected))

    # A crawl while objects change: after the first page, an object already read and one not yet read change
    # (they move to the end of the order). No unchanged object is skipped or repeated; the changed ones end in
    # their new state.
    first = await client.get(LOCATIONS + "?limit=3", headers=headers)
    page_one = first.json()["data"]
    assert [o["id"] for o in page_one] == [o["id"] for o in everything[:3]]
    seen_id, unseen_id = everything[0]["id"], everything[4]["id"]
    await asyncio.sleep(1.1)  # last_updated has whole seconds: the changes must land in a later one
    for location_id in (seen_id, unseen_id):
        await locations.update_location(cpo.actor, int(location_id), {"name": f"Neu {location_id}"})
    rest, _ = await crawl(client, next_url(first.headers["link"]) or "", headers)
    read = [o["id"] for o in page_one + rest]
    unchanged = {str(s.location["id"]) for s in sites} - {seen_id, unseen_id}
    assert sorted(i for i in read if i in unchanged) == sorted(unchanged)
    assert read.count(unseen_id) == 1
    final = {o["id"]: o for o in page_one + rest}
    assert final[unseen_id]["name"] == f"Neu {unseen_id}"
    assert final[unseen_id]["last_updated"] > everything[-1]["last_updated"]  # it did move to the end

    # Bad paging input is 2001 in the envelope.
    bad = await client.get(LOCATIONS + "?limit=x", headers=headers)
    assert_envelope(bad, 2001)


async def test_evse_status_is_the_effective_status_and_dates_the_evse(
    client: httpx.AsyncClient, emp: TenantCtx
) -> None:
    cpo = await roaming_cpo()
    site = await roaming_site(cpo, await open_to(cpo, emp))
    _, token = await registered(emp)

    async def evse() -> dict[str, Any]:
        response = await client.get(single(cpo, site), headers=auth(token))
        assert_envelope(response, 1000)
        return response.json()["data"]["evses"][0]

    reported = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=5)
    await ChargePoint.update({ChargePoint.status: "AVAILABLE", ChargePoint.status_updated_at: reported}).where(
        ChargePoint.id == site.charge_point["id"]
    )
    assert (await evse())["status"] == "UNKNOWN"  # the station is not connected
    await ChargingStation.update({ChargingStation.connected: True}).where(ChargingStation.id == site.station["id"])
    assert (await evse())["status"] == "AVAILABLE"
    # The station reports itself Faulted later: every EVSE is OUTOFORDER, and dated by that report.
    faulted = reported + timedelta(minutes=1)
    await ChargingStation.update(
        {ChargingStation.status: "OUTOFORDER", ChargingStation.status_updated_at: faulted}
    ).where(ChargingStation.id == site.station["id"])
    current = await evse()
    assert current["status"] == "OUTOFORDER"
    assert current["last_updated"] == faulted.strftime("%Y-%m-%dT%H:%M:%SZ")
