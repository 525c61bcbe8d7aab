"""csms pushes locations to the extrawest-ocpi peer (its own process): `csms serve` (embedded: its own scheduler and
jobs; production: plus a `csms worker` process on Redis) finds the changes by ``Location.last_updated`` and sends
PUT, PATCH and REMOVED, while a station talks OCPP to it over a real websocket."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar

import pytest

from core.infrastructure import stations
from core.infrastructure.tables import ChargingStation
from core.roaming import connections, contract_groups, marketing, partners, pushes
from core.roaming.tables import OcpiExchange, Partner
from core.tariffs import assignments, tariffs
from tests.integration.ocpi.test_sender_modules import SWITCHES_ON, open_to, roaming_cpo, roaming_site
from tests.integration.roaming.conftest import Site
from tests.ocpi_peer.peer import OcpiPeer
from tests.support import RawStation, TenantCtx, csms_serve, free_port, stop_process

T = TypeVar("T")


@contextmanager
def serve_with_worker(tmp_path_factory: pytest.TempPathFactory, **settings: str) -> Iterator[str]:
    """csms serve on the test database with ``settings`` in its environment; in production mode with a `csms
    worker` that runs the jobs."""
    port = free_port()
    env = {**os.environ, "PUBLIC_URL": f"http://127.0.0.1:{port}", **settings}
    worker = None
    if env.get("REDIS_URL"):
        log = (tmp_path_factory.mktemp("push-worker") / "worker.log").open("w")
        worker = subprocess.Popen(
            [sys.executable, "-m", "csms.cli", "worker", "--processes", "1", "--threads", "2"],
            env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    serve_log = (tmp_path_factory.mktemp("push-serve") / "serve.log").open("w")  # kept for a failure's post-mortem
    try:
        with csms_serve(env, serve_log, port=port) as base:
            yield base
    finally:
        if worker is not None:
            stop_process(worker)


@pytest.fixture(scope="module")
def csms_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """csms serve on the test database; in production mode with a `csms worker` that runs the pushes."""
    with serve_with_worker(tmp_path_factory) as base:
        yield base


@pytest.fixture(autouse=True)
async def partners_end() -> AsyncIterator[None]:
    """The test's partners end with it: the peer forgets them at its reset, and csms should not go on pushing. Earlier
    tests' partners (other modules register the peer too) are ended first, so that this module's csms pushes only to
    the partner under test, whatever ran before it."""
    await Partner.update({Partner.state: "ENDED"}).where(Partner.state == "REGISTERED")
    started = datetime.now(UTC)
    yield
    await Partner.update({Partner.state: "ENDED"}).where(Partner.created_at >= started)


async def eventually(check: Callable[[], Awaitable[T]], what: str, timeout: float = 20) -> T:
    deadline = time.monotonic() + timeout
    while not (result := await check()):
        assert time.monotonic() < deadline, f"{what} not within {timeout} s"
        await asyncio.sleep(0.25)
    return result


def ws_url(csms_url: str) -> str:
    return csms_url.replace("http://", "ws://") + "/ocpp"


async def registered_peer(peer: OcpiPeer, csms_url: str, emp: TenantCtx) -> dict[str, Any]:
    created = await partners.create_partner(emp.actor, {"name": "extrawest"})
    registration = await peer.register(f"{csms_url}/ocpi/versions", created.token_a)
    assert registration["ok"], registration["steps"]
    return await partners.partner_by_id(created.partner["id"])


def location_path(cpo: TenantCtx, site: Site) -> str:
    return f"/{cpo.tenant['country_code']}/{cpo.tenant['party_id']}/{site.location['id']}".lower()


async def pushed(peer: OcpiPeer, method: str, path: str) -> list[dict[str, Any]]:
    """The peer's received pushes of ``method`` whose path ends with ``path`` (lower-cased, as the peer has it)."""
    return [r for r in await peer.received("locations", method) if r["path"].lower().rstrip("/").endswith(path)]


async def held(peer: OcpiPeer, site: Site) -> dict[str, Any] | None:
    for location in await peer.objects("locations"):
        if str(location["id"]).lower() == str(site.location["id"]):
            return location
    return None


async def evse_status(peer: OcpiPeer, site: Site) -> str | None:
    location = await held(peer, site)
    evses = [e for e in (location or {}).get("evses") or [] if str(e["uid"]) == str(site.charge_point["id"])]
    return str(evses[0]["status"]).upper() if evses else None


@asynccontextmanager
async def connected(csms_url: str, cpo: TenantCtx, site: Site) -> AsyncIterator[RawStation]:
    password = await stations.reset_station_password(cpo.actor, site.station["id"])
    # Commissioned (Inbetriebnahme): the station is Accepted at its boot.
    await ChargingStation.update({ChargingStation.installation_status: "COMMISSIONED"}).where(
        ChargingStation.id == site.station["id"]
    )
    async with RawStation.connect(ws_url(csms_url), site.station["charge_box_id"], password) as station:
        boot = await station.call("BootNotification", {"chargePointVendor": "ABB", "chargePointModel": "Terra"})
        assert boot["status"] == "Accepted"
        yield station


async def notify(station: RawStation, status: str, connector: int = 1) -> None:
    await station.call("StatusNotification", {"connectorId": connector, "status": status, "errorCode": "NoError",
                                              "timestamp": datetime.now(UTC).isoformat()})  # fmt: skip


async def test_a_new_location_is_put_status_changes_are_patched_in_order_and_revocation_removes(
    ocpi_emsp: OcpiPeer, csms_url: str, emp_exw: TenantCtx
) -> None:
    cpo = await roaming_cpo()
    group = await open_to(cpo, emp_exw)
    first = await roaming_site(cpo, group)
    partner = await registered_peer(ocpi_emsp, csms_url, emp_exw)
    # Registered: everything the partner sees is PUT once.
    await eventually(lambda: pushed(ocpi_emsp, "PUT", location_path(cpo, first)), "the first PUT")
    assert await evse_status(ocpi_emsp, first) == "UNKNOWN"  # the station has never connected

    # A station switched onto roaming later: a PUT of its location, with the routing headers of a push.
    second = await roaming_site(cpo, group)
    put = (await eventually(lambda: pushed(ocpi_emsp, "PUT", location_path(cpo, second)), "the second PUT"))[0]
    assert put["body"]["evses"][0]["uid"] == str(second.charge_point["id"])
    assert put["headers"]["ocpi-from-party-id"] == cpo.tenant["party_id"]
    assert put["headers"]["ocpi-to-party-id"] == "EXW"
    assert put["headers"]["authorization"].startswith("Token ")

    # OCPP: the station connects and reports; each change reaches the partner as a PATCH of the EVSE's status.
    evse_path = f"{location_path(cpo, first)}/{first.charge_point['id']}"
    sequence = ["Available", "Charging", "Reserved", "Unavailable", "Faulted"]
    expected = ["AVAILABLE", "CHARGING", "RESERVED", "INOPERATIVE", "OUTOFORDER"]
    async with connected(csms_url, cpo, first) as station:
        await notify(station, "Available")
        await eventually(lambda: _status_is(ocpi_emsp, first, "AVAILABLE"), "AVAILABLE")
        for status in sequence[1:]:  # quicker than the pushes: coalesced, never out of order
            await notify(station, status)
        await eventually(lambda: _status_is(ocpi_emsp, first, "OUTOFORDER"), "the last status")
        await asyncio.sleep(2)
        patches = [r["body"] for r in await pushed(ocpi_emsp, "PATCH", evse_path)]
        statuses = [p["status"] for p in patches]
        assert statuses[-1] == "OUTOFORDER"
        positions = [expected.index(s) for s in statuses]
        assert positions == sorted(set(positions)), statuses  # each state at most once, never an older after
        assert all(set(p) == {"status", "last_updated"} for p in patches)
        assert await pushed(ocpi_emsp, "PUT", evse_path) == []  # a status change is no PUT

    # Revoking the contract group's member: every EVSE REMOVED, the location unpublished, gone from the GETs.
    await contract_groups.update_group(cpo.actor, group["id"], {"name": "Gruppe", "emp_tenant_ids": []})
    for site in (first, second):
        removed_at = f"{location_path(cpo, site)}/{site.charge_point['id']}"
        await eventually(lambda p=removed_at: _removed(ocpi_emsp, p), f"REMOVED of {removed_at}")  # type: ignore[misc]
        await eventually(lambda s=site: _unpublished(ocpi_emsp, cpo, s), "publish false")  # type: ignore[misc]
    crawl = await ocpi_emsp.crawl("locations")
    assert crawl["error"] is None, crawl
    assert {str(loc["id"]) for loc in crawl["items"]}.isdisjoint(
        {str(first.location["id"]), str(second.location["id"])}
    )
    assert (await pushes.overview(emp_exw.actor, partner["id"])).objects == 0


async def _status_is(peer: OcpiPeer, site: Site, status: str) -> bool:
    return await evse_status(peer, site) == status


async def _removed(peer: OcpiPeer, path: str) -> bool:
    return any(r["body"].get("status") == "REMOVED" for r in await pushed(peer, "PATCH", path))


async def _unpublished(peer: OcpiPeer, cpo: TenantCtx, site: Site) -> bool:
    return any(r["body"].get("publish") is False for r in await pushed(peer, "PATCH", location_path(cpo, site)))


def client_info(status: str) -> dict[str, str]:
    return {"country_code": "DE", "party_id": "EXW", "role": "EMSP", "status": status,
            "last_updated": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}  # fmt: skip


async def test_a_partner_that_is_not_connected_gets_nothing(
    ocpi_emsp: OcpiPeer, csms_url: str, emp_exw: TenantCtx
) -> None:
    cpo = await roaming_cpo()
    group = await open_to(cpo, emp_exw)
    site = await roaming_site(cpo, group)
    partner = await registered_peer(ocpi_emsp, csms_url, emp_exw)
    await eventually(lambda: pushed(ocpi_emsp, "PUT", location_path(cpo, site)), "the first PUT")
    # The partner reports itself SUSPENDED (hubclientinfo, as a hub would).
    await partners.store_client_info(partner, "DE", "EXW", client_info("SUSPENDED"))
    other = await roaming_site(cpo, group)
    await marketing.save_marketing(cpo.actor, site.station["id"], {**SWITCHES_ON, "roaming": ""})
    # Past the window in which a run looks back for late commits (changes older than it are never sent later).
    await asyncio.sleep(pushes.LAG.total_seconds() + 1.5)
    assert await pushed(ocpi_emsp, "PUT", location_path(cpo, other)) == []
    assert await pushed(ocpi_emsp, "PATCH", location_path(cpo, site)) == []
    # Nothing kept for later: CONNECTED again, only what changes from then on is pushed.
    await partners.store_client_info(partner, "DE", "EXW", client_info("CONNECTED"))
    third = await roaming_site(cpo, group)
    await eventually(lambda: pushed(ocpi_emsp, "PUT", location_path(cpo, third)), "the PUT after reconnecting")
    assert await pushed(ocpi_emsp, "PUT", location_path(cpo, other)) == []


async def test_a_peer_that_is_down_gets_brief_retries_then_nothing_replayed_and_its_crawl_matches(
    ocpi_emsp: OcpiPeer, csms_url: str, emp_exw: TenantCtx
) -> None:
    cpo = await roaming_cpo()
    group = await open_to(cpo, emp_exw)
    site = await roaming_site(cpo, group)
    partner = await registered_peer(ocpi_emsp, csms_url, emp_exw)
    await eventually(lambda: pushed(ocpi_emsp, "PUT", location_path(cpo, site)), "the first PUT")
    endpoints = partner["endpoints"]
    async with connected(csms_url, cpo, site) as station:
        await asyncio.sleep(pushes.LAG.total_seconds() + 1)  # the station's connection is pushed and done with
        # The peer's locations receiver stops answering: its address now leads nowhere.
        dead = f"http://127.0.0.1:{free_port()}/ocpi/emsp/2.2.1/locations/"
        down = [{**e, "url": dead} if e["identifier"] == "locations" else e for e in endpoints]
        await Partner.update({Partner.endpoints: down}).where(Partner.id == partner["id"])
        await notify(station, "Charging")

        async def attempts() -> list[dict[str, Any]]:
            rows = await OcpiExchange.select().where(
                (OcpiExchange.partner == partner["id"]) & OcpiExchange.url.like(f"{dead}%")
            )
            return rows if len(rows) >= 3 else []

        failed = await eventually(attempts, "the retries", timeout=40)
        await asyncio.sleep(3)
        failed = await attempts()
        assert {r["http_status"] for r in failed} == {0} and all(r["error"] for r in failed)
        assert len(failed) == 3  # one request, retried twice, then given up
        overview = await pushes.overview(emp_exw.actor, partner["id"])
        assert dead in overview.last_error and overview.last_error_at is not None

        # The peer is back: the missed status is not replayed; the partner resyncs by GET and sees csms's state.
        await Partner.update({Partner.endpoints: endpoints}).where(Partner.id == partner["id"])
        await asyncio.sleep(3)
        evse_path = f"{location_path(cpo, site)}/{site.charge_point['id']}"
        assert "CHARGING" not in [r["body"]["status"] for r in await pushed(ocpi_emsp, "PATCH", evse_path)]
        crawl = await ocpi_emsp.crawl("locations")
        assert crawl["error"] is None, crawl
        mine = [loc for loc in crawl["items"] if str(loc["id"]) == str(site.location["id"])]
        assert [e["status"].upper() for e in mine[0]["evses"]] == ["CHARGING"]

        # The next change goes out as usual, with the state of now.
        await notify(station, "Available")
        await eventually(lambda: _status_is(ocpi_emsp, site, "AVAILABLE"), "the push after the outage")


async def test_send_everything_again_puts_every_location_once_more(
    ocpi_emsp: OcpiPeer, csms_url: str, emp_exw: TenantCtx
) -> None:
    cpo = await roaming_cpo()
    group = await open_to(cpo, emp_exw)
    sites = [await roaming_site(cpo, group) for _ in range(2)]
    partner = await registered_peer(ocpi_emsp, csms_url, emp_exw)
    for site in sites:
        await eventually(lambda s=site: pushed(ocpi_emsp, "PUT", location_path(cpo, s)), "the first PUT")  # type: ignore[misc]
    await asyncio.sleep(2)
    assert all([len(await pushed(ocpi_emsp, "PUT", location_path(cpo, s))) == 1 for s in sites])
    await pushes.send_everything_again(emp_exw.actor, partner["id"])
    for site in sites:
        await eventually(
            lambda s=site: _count_is(ocpi_emsp, location_path(cpo, s), 2),
            "the PUT of everything",  # type: ignore[misc]
        )


async def _count_is(peer: OcpiPeer, path: str, count: int) -> bool:
    return len(await pushed(peer, "PUT", path)) == count


async def test_roaming_plus_stations_are_pushed_to_a_platform_csms_registered_with(
    ocpi_emsp: OcpiPeer, csms_public_url: str, hub_operator: TenantCtx, emp_exw: TenantCtx
) -> None:
    cpo = await roaming_cpo()
    group = await open_to(cpo, emp_exw)  # the EMP tenant has no connection: only the platform is pushed to
    plus = await roaming_site(cpo, group)
    await marketing.save_marketing(
        cpo.actor, plus.station["id"], {**SWITCHES_ON, "roaming_plus": "on", "platform_name": "Markt Süd"}
    )
    only_roaming = await roaming_site(cpo, group)
    # The users of a HUB tenant manage the external platforms.
    platform = await connections.connect_to(hub_operator.actor, {
        "name": f"Plattform {uuid.uuid4().hex[:6]}", "versions_url": ocpi_emsp.versions_url,
        "token_a": await ocpi_emsp.token_a(),
    })  # fmt: skip
    assert platform["kind"] == "PLATFORM" and platform["state"] == "REGISTERED"
    put = (await eventually(lambda: pushed(ocpi_emsp, "PUT", location_path(cpo, plus)), "the Roaming+ PUT"))[0]
    assert put["headers"]["ocpi-from-party-id"] == cpo.tenant["party_id"]
    assert put["body"]["name"] == "Markt Süd"  # the name on the roaming platform
    await asyncio.sleep(2)
    assert await pushed(ocpi_emsp, "PUT", location_path(cpo, only_roaming)) == []
    # Roaming+ off: the platform is told the station is gone.
    await marketing.save_marketing(cpo.actor, plus.station["id"], SWITCHES_ON)
    await eventually(
        lambda: _removed(ocpi_emsp, f"{location_path(cpo, plus)}/{plus.charge_point['id']}"), "REMOVED on the platform"
    )


async def test_a_tariff_is_put_before_the_location_naming_it_and_deleted_when_no_longer_offered(
    ocpi_emsp: OcpiPeer, csms_url: str, emp_exw: TenantCtx
) -> None:
    cpo = await roaming_cpo()
    group = await open_to(cpo, emp_exw)
    site = await roaming_site(cpo, group)
    tariff = await tariffs.create_tariff(cpo.actor, {"name": "Standard", "currency": "EUR", "ac_energy_per_kwh": "0.4"})
    await assignments.assign_tariff(cpo.actor, tariff["id"], [site.charge_point["id"]], datetime.now(UTC))
    await registered_peer(ocpi_emsp, csms_url, emp_exw)
    tariff_path = f"/{cpo.tenant['country_code']}/{cpo.tenant['party_id']}/{tariff['code']}-AC".lower()

    async def tariff_requests(method: str) -> list[dict[str, Any]]:
        return [r for r in await ocpi_emsp.received("tariffs", method) if r["path"].lower().endswith(tariff_path)]

    put = (await eventually(lambda: tariff_requests("PUT"), "the tariff's PUT"))[0]
    assert put["body"]["elements"][0]["price_components"][0]["price"] == 0.4  # a JSON number, net of VAT
    location = (await eventually(lambda: pushed(ocpi_emsp, "PUT", location_path(cpo, site)), "the location"))[0]
    assert location["body"]["evses"][0]["connectors"][0]["tariff_ids"] == [f"{tariff['code']}-AC"]
    assert location["at"] > put["at"]  # the partner knows the tariff the connector names

    # The station leaves roaming: its EVSE is REMOVED, then the tariff nobody is offered any more is DELETEd.
    await marketing.save_marketing(cpo.actor, site.station["id"], {**SWITCHES_ON, "roaming": ""})
    deleted = (await eventually(lambda: tariff_requests("DELETE"), "the tariff's DELETE"))[0]
    evse_path = f"{location_path(cpo, site)}/{site.charge_point['id']}"
    assert deleted["at"] > (await pushed(ocpi_emsp, "PATCH", evse_path))[0]["at"]
    assert all(str(t["id"]).lower() != f"{tariff['code']}-ac".lower() for t in await ocpi_emsp.objects("tariffs"))
