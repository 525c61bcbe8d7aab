"""REST API: firmware campaigns (``/api/v1/firmware-campaigns``): created for the tenant's own stations only, listed
and read with their stations, cancelled, failed stations retried; errors by attribute; another tenant's campaign
not found. (The campaigns' run against simulated stations: tests/integration/firmware/test_campaigns.py.)"""

from __future__ import annotations

from datetime import datetime

import httpx

from core.firmware.rules import StationState
from core.firmware.tables import FirmwareCampaignStation
from tests.integration.api.conftest import json_of
from tests.integration.infrastructure.conftest import Site, make_site
from tests.support import TenantCtx

URL = "/api/v1/firmware-campaigns"
FIRMWARE = {"name": "Terra 1.8.3", "location": "https://firmware.example.org/terra-1.8.3.bin",
            "expected_version": "1.8.3", "start_at": "2030-01-15T02:00:00+01:00", "max_parallel": 2}  # fmt: skip


async def test_a_campaign_of_the_own_stations_listed_read_cancelled(
    client: httpx.AsyncClient, auth: dict[str, str], cpo: TenantCtx, site: Site, foreign_site: Site, unique: str
) -> None:
    second = await make_site(cpo, f"{unique}b")
    ids = [site.station["id"], second.station["id"], foreign_site.station["id"]]
    created = json_of(await client.post(URL, json={**FIRMWARE, "station_ids": ids}, headers=auth), 201)
    assert (created["name"], created["location"], created["expected_version"]) == (
        "Terra 1.8.3", FIRMWARE["location"], "1.8.3"
    )  # fmt: skip
    assert datetime.fromisoformat(created["start_at"]) == datetime.fromisoformat(FIRMWARE["start_at"])
    assert (created["status"], created["max_parallel"], created["total"], created["counts"]) == (
        "active", 2, 2, {"waiting": 2}
    )  # fmt: skip
    stations = {s["station_id"]: s for s in created["stations"]}
    assert set(stations) == {site.station["id"], second.station["id"]}  # the other tenant's station is left out
    assert stations[site.station["id"]]["charge_box_id"] == site.station["charge_box_id"]
    assert stations[site.station["id"]]["state"] == "waiting" and stations[site.station["id"]]["reason"] is None

    listed = json_of(await client.get(URL, headers=auth))
    assert listed[0]["id"] == created["id"] and "stations" not in listed[0]
    assert json_of(await client.get(f"{URL}/{created['id']}", headers=auth)) == created

    # A station in a running campaign is left out of the next one.
    again = await client.post(URL, json={**FIRMWARE, "station_ids": [site.station["id"]]}, headers=auth)
    assert again.status_code == 400 and "station_ids" in again.json()["errors"], again.text

    cancelled = json_of(await client.post(f"{URL}/{created['id']}/cancel", headers=auth))
    assert cancelled["status"] == "cancelled" and cancelled["counts"] == {"cancelled": 2}
    assert cancelled["finished_at"] is not None
    refused = await client.post(f"{URL}/{created['id']}/retry", headers=auth)
    assert refused.status_code == 409, refused.text


async def test_failed_stations_go_back_in_the_queue(
    client: httpx.AsyncClient, auth: dict[str, str], site: Site
) -> None:
    created = json_of(await client.post(URL, json={**FIRMWARE, "station_ids": [site.station["id"]]}, headers=auth), 201)
    await FirmwareCampaignStation.update(  # the station's download failed
        {FirmwareCampaignStation.state: StationState.FAILED.value, FirmwareCampaignStation.reason: "download_failed"}
    ).where(FirmwareCampaignStation.campaign == created["id"])  # fmt: skip
    failed = json_of(await client.get(f"{URL}/{created['id']}", headers=auth))
    assert (failed["stations"][0]["state"], failed["stations"][0]["reason"]) == ("failed", "download_failed")
    retried = json_of(await client.post(f"{URL}/{created['id']}/retry", headers=auth))
    [station] = retried["stations"]
    assert (station["state"], station["reason"], station["retries"]) == ("waiting", None, 1)


async def test_invalid_input_answers_400_by_attribute(
    client: httpx.AsyncClient, auth: dict[str, str], site: Site, foreign_site: Site
) -> None:
    own = [site.station["id"]]
    cases = [
        ({**FIRMWARE, "station_ids": own, "location": "file:///etc/passwd"}, "location"),
        ({**FIRMWARE, "station_ids": own, "start_at": "next tuesday"}, "start_at"),
        ({**FIRMWARE, "station_ids": own, "max_parallel": 0}, "max_parallel"),
        ({**FIRMWARE, "station_ids": own, "name": ""}, "name"),
        ({**FIRMWARE, "station_ids": []}, "station_ids"),
        ({**FIRMWARE, "station_ids": [foreign_site.station["id"]]}, "station_ids"),  # none of the tenant's own
        ({**FIRMWARE, "station_ids": own, "firmware": "x"}, "firmware"),  # a typo is never ignored
    ]
    for body, attribute in cases:
        answer = await client.post(URL, json=body, headers=auth)
        assert answer.status_code == 400 and attribute in answer.json()["errors"], (body, answer.text)
    assert json_of(await client.get(URL, headers=auth)) == []


async def test_another_tenants_campaign_is_not_found(
    client: httpx.AsyncClient, auth: dict[str, str], other_auth: dict[str, str], site: Site
) -> None:
    created = json_of(await client.post(URL, json={**FIRMWARE, "station_ids": [site.station["id"]]}, headers=auth), 201)
    for method, path in (("GET", ""), ("POST", "/cancel"), ("POST", "/retry")):
        answer = await client.request(method, f"{URL}/{created['id']}{path}", headers=other_auth)
        assert answer.status_code == 404, (method, path, answer.text)
    assert json_of(await client.get(URL, headers=other_auth)) == []
    assert json_of(await client.get(f"{URL}/{created['id']}", headers=auth))["status"] == "active"
