"""/api/v1 locations, stations, evses and connectors: CRUD, paging, validation and the write-only password."""

from __future__ import annotations

from typing import Any

import httpx

from core.charging.connections import StationLookup, authenticate_station
from core.infrastructure import locations
from core.infrastructure.specs import InstallationStatus
from core.tenancy import audit
from tests.integration.api.conftest import json_of
from tests.integration.infrastructure.conftest import Site
from tests.support import TenantCtx

LOCATION: dict[str, Any] = {
    "name": "Depot Nord",
    "address": "Hafenstr. 5",
    "city": "Hamburg",
    "postal_code": "20457",
    "country": "DEU",
    "coordinates": {"latitude": "53.5459", "longitude": 9.9666},
    "time_zone": "Europe/Berlin",
    "opening_times": {
        "twentyfourseven": False,
        "regular_hours": [{"weekday": 1, "period_begin": "07:00", "period_end": "19:00"}],
    },
    "parking_restrictions": ["EV_ONLY"],
    "operator": {"name": "Stadtwerke", "website": "https://example.test", "email": "ops@example.test"},
}


async def test_location_crud(client: httpx.AsyncClient, auth: dict[str, str], cpo: TenantCtx) -> None:
    created = json_of(await client.post("/api/v1/locations", json=LOCATION, headers=auth), 201)
    assert created["coordinates"] == {"latitude": "53.5459000", "longitude": "9.9666000"}  # OCPI: 5-7 decimals
    assert created["opening_times"] == LOCATION["opening_times"]
    assert created["operator"] == LOCATION["operator"] and created["publish"] is True
    assert created["decommissioned_at"] is None and created["last_updated"]
    location_id = created["id"]

    assert json_of(await client.get(f"/api/v1/locations/{location_id}", headers=auth)) == created

    patched = json_of(
        await client.patch(
            f"/api/v1/locations/{location_id}",
            json={"city": "Altona", "coordinates": {"latitude": "53.55"}, "operator": {"website": None}},
            headers=auth,
        )
    )
    assert patched["city"] == "Altona" and patched["name"] == "Depot Nord"  # only what was sent changes
    assert patched["coordinates"] == {"latitude": "53.5500000", "longitude": "9.9666000"}
    assert patched["operator"] == {**LOCATION["operator"], "website": ""}  # null clears
    stored = await locations.get_location(cpo.actor, location_id)
    assert stored["city"] == "Altona" and stored["operator_website"] == ""
    entries = await audit.history(cpo.actor, "location", location_id)
    assert {e["action"] for e in entries} >= {"create", "update"}  # the same audit as the portal

    gone = json_of(await client.post(f"/api/v1/locations/{location_id}/decommission", headers=auth))
    assert gone["decommissioned_at"] is not None and gone["publish"] is False
    listed = json_of(await client.get("/api/v1/locations", headers=auth))
    assert location_id not in [item["id"] for item in listed["items"]]
    listed = json_of(await client.get("/api/v1/locations?include_decommissioned=true", headers=auth))
    assert location_id in [item["id"] for item in listed["items"]]


async def test_station_crud_and_write_only_password(
    client: httpx.AsyncClient, auth: dict[str, str], site: Site, unique: str
) -> None:
    password = "station-secret-0123456789"
    body = {"location_id": site.location["id"], "charge_box_id": f"API-{unique}", "vendor": "Alfen",
            "ocpp_password": password, "attributes": {"bay": "3"}}  # fmt: skip
    response = await client.post("/api/v1/stations", json=body, headers=auth)
    created = json_of(response, 201)
    assert created["has_password"] is True and created["ocpp_url"].endswith(f"/ocpp/API-{unique}")
    assert created["location_id"] == site.location["id"] and created["attributes"] == {"bay": "3"}
    station_id = created["id"]
    assert created["products"] == []  # read-only: products are assigned with their cost approval (core.products)
    refused = await client.patch(f"/api/v1/stations/{station_id}", json={"products": ["360.SUPPORT"]}, headers=auth)
    assert refused.status_code == 400, refused.text
    lookup, _ = await authenticate_station(f"API-{unique}", f"API-{unique}", password)
    assert lookup is StationLookup.OK

    new_password = "another-secret-9876543210"
    patched = json_of(
        await client.patch(
            f"/api/v1/stations/{station_id}", json={"ocpp_password": new_password, "model": "Eve"}, headers=auth
        )
    )
    assert patched["model"] == "Eve" and patched["vendor"] == "Alfen"
    assert (await authenticate_station(f"API-{unique}", f"API-{unique}", new_password))[0] is StationLookup.OK
    assert (await authenticate_station(f"API-{unique}", f"API-{unique}", password))[0] is StationLookup.UNAUTHORIZED

    got = await client.get(f"/api/v1/stations/{station_id}", headers=auth)
    listed = await client.get("/api/v1/stations", headers=auth)
    for answer in (response, got, listed):
        assert "ocpp_password" not in answer.text and "password_hash" not in answer.text
        assert password not in answer.text and new_password not in answer.text
    assert [s["has_password"] for s in listed.json()["items"]] == [True, True]

    short = await client.patch(f"/api/v1/stations/{station_id}", json={"ocpp_password": "short"}, headers=auth)
    assert short.status_code == 400 and "ocpp_password" in short.json()["errors"]

    gone = json_of(await client.post(f"/api/v1/stations/{station_id}/decommission", headers=auth))
    assert gone["installation_status"] == InstallationStatus.DECOMMISSIONED and gone["decommissioned_at"]


async def test_station_without_password_gets_a_hidden_one(
    client: httpx.AsyncClient, auth: dict[str, str], site: Site, unique: str
) -> None:
    body = {"location_id": site.location["id"], "charge_box_id": f"NOPW-{unique}"}
    created = json_of(await client.post("/api/v1/stations", json=body, headers=auth), 201)
    assert created["has_password"] is True and "ocpp_password" not in created


async def test_evse_crud_with_capabilities_and_first_connector(
    client: httpx.AsyncClient, auth: dict[str, str], site: Site
) -> None:
    body = {"station_id": site.station["id"], "evse_number": 2, "evse_id": "de*ise*e777*2",
            "capabilities": ["RFID_READER"], "floor_level": "-1",
            "connector": {"standard": "IEC_62196_T2_COMBO", "format": "CABLE", "power_type": "DC",
                          "max_voltage": 920, "max_amperage": 200, "max_electric_power": 150000}}  # fmt: skip
    created = json_of(await client.post("/api/v1/evses", json=body, headers=auth), 201)
    assert created["evse_id"] == "DE*ISE*E777*2" and created["capabilities"] == ["RFID_READER"]
    assert created["status"] == "UNKNOWN" and created["station_id"] == site.station["id"]
    evse_id = created["id"]
    connectors = json_of(await client.get(f"/api/v1/connectors?charge_point_id={evse_id}", headers=auth))
    assert connectors["total"] == 1
    assert connectors["items"][0]["standard"] == "IEC_62196_T2_COMBO"
    assert connectors["items"][0]["max_electric_power"] == 150000
    assert created["connectors"] == connectors["items"]  # nested as in OCPI's EVSE

    patched = json_of(
        await client.patch(
            f"/api/v1/evses/{evse_id}", json={"capabilities": ["REMOTE_START_STOP_CAPABLE"]}, headers=auth
        )
    )
    assert patched["capabilities"] == ["REMOTE_START_STOP_CAPABLE"] and patched["floor_level"] == "-1"
    assert created["eichrecht_compliant"] is False
    flagged = await client.patch(f"/api/v1/evses/{evse_id}", json={"eichrecht_compliant": True}, headers=auth)
    eichrecht = json_of(flagged)
    assert eichrecht["eichrecht_compliant"] is True and eichrecht["capabilities"] == ["REMOTE_START_STOP_CAPABLE"]
    unknown = await client.patch(f"/api/v1/evses/{evse_id}", json={"capabilities": ["TELEPORT"]}, headers=auth)
    assert unknown.status_code == 400 and list(unknown.json()["errors"]) == ["capabilities[0]"]
    status_is_read_only = await client.patch(f"/api/v1/evses/{evse_id}", json={"status": "AVAILABLE"}, headers=auth)
    assert status_is_read_only.status_code == 400 and "status" in status_is_read_only.json()["errors"]
    assert created["grid_phase"] == ""  # load management: the grid phase a single-phase charge point is wired to
    wired = json_of(await client.patch(f"/api/v1/evses/{evse_id}", json={"grid_phase": "L2"}, headers=auth))
    assert wired["grid_phase"] == "L2"
    no_such_phase = await client.patch(f"/api/v1/evses/{evse_id}", json={"grid_phase": "L4"}, headers=auth)
    assert no_such_phase.status_code == 400 and "grid_phase" in no_such_phase.json()["errors"]

    bad_connector = await client.post(
        "/api/v1/evses",
        json={"station_id": site.station["id"], "evse_number": 3, "connector": {"max_voltage": 5000}},
        headers=auth,
    )
    assert bad_connector.status_code == 400 and "connector.max_voltage" in bad_connector.json()["errors"]

    gone = json_of(await client.post(f"/api/v1/evses/{evse_id}/decommission", headers=auth))
    assert gone["status"] == "REMOVED" and gone["decommissioned_at"]


async def test_connector_crud(client: httpx.AsyncClient, auth: dict[str, str], site: Site) -> None:
    cp_id = site.charge_point["id"]
    body = {"charge_point_id": cp_id, "connector_number": 2, "standard": "CHADEMO", "power_type": "DC",
            "max_electric_power": 50000}  # fmt: skip
    created = json_of(await client.post("/api/v1/connectors", json=body, headers=auth), 201)
    assert created["charge_point_id"] == cp_id and created["format"] == "SOCKET"  # default applies
    connector_id = created["id"]
    assert json_of(await client.get(f"/api/v1/connectors/{connector_id}", headers=auth))["standard"] == "CHADEMO"
    patched = json_of(
        await client.patch(f"/api/v1/connectors/{connector_id}", json={"max_amperage": 125}, headers=auth)
    )
    assert patched["max_amperage"] == 125 and patched["standard"] == "CHADEMO"
    duplicate = await client.post("/api/v1/connectors", json={**body, "connector_number": 1}, headers=auth)
    assert duplicate.status_code == 400 and "connector_number" in duplicate.json()["errors"]

    deleted = await client.delete(f"/api/v1/connectors/{connector_id}", headers=auth)
    assert deleted.status_code == 204
    assert (await client.get(f"/api/v1/connectors/{connector_id}", headers=auth)).status_code == 404
    last = await client.delete(f"/api/v1/connectors/{site.connector['id']}", headers=auth)
    assert last.status_code == 400 and last.json()["errors"]  # a charge point keeps one connector


async def test_pagination(client: httpx.AsyncClient, auth: dict[str, str], cpo: TenantCtx) -> None:
    for n in range(5):
        await locations.create_location(
            cpo.actor, {"name": f"Site {n}", "address": "A 1", "postal_code": "1", "city": "B", "country": "DEU"}
        )
    first = json_of(await client.get("/api/v1/locations?limit=2", headers=auth))
    assert first["total"] == 5 and first["offset"] == 0 and first["limit"] == 2
    assert [item["name"] for item in first["items"]] == ["Site 0", "Site 1"]
    last = json_of(await client.get("/api/v1/locations?limit=2&offset=4", headers=auth))
    assert [item["name"] for item in last["items"]] == ["Site 4"] and last["total"] == 5
    assert json_of(await client.get("/api/v1/locations", headers=auth))["limit"] == 50
    for bad in ("limit=0", "limit=201", "offset=-1", "limit=abc"):
        response = await client.get(f"/api/v1/locations?{bad}", headers=auth)
        assert response.status_code == 400, bad
        assert response.json()["errors"] and "Traceback" not in response.text


async def test_validation_errors_are_clear_json(client: httpx.AsyncClient, auth: dict[str, str], site: Site) -> None:
    cases = [
        ("/api/v1/locations", {**LOCATION, "coordinates": {"latitude": "91", "longitude": "9"}},
         "coordinates.latitude"),
        ("/api/v1/locations", {**LOCATION, "time_zone": "Mars/Olympus"}, "time_zone"),
        ("/api/v1/locations", {**LOCATION, "opening_times": {"regular_hours": [{"weekday": 9}]}},
         "opening_times.regular_hours[0].weekday"),
        ("/api/v1/locations", {k: v for k, v in LOCATION.items() if k != "name"}, "name"),
        ("/api/v1/locations", {**LOCATION, "nickname": "x"}, "nickname"),
        ("/api/v1/locations", {**LOCATION, "name": 5}, "name"),
        ("/api/v1/stations", {"location_id": site.location["id"], "charge_box_id": "bad id!"}, "charge_box_id"),
        ("/api/v1/stations", {"location_id": 0, "charge_box_id": "OK-1"}, "location_id"),
        ("/api/v1/evses", {"station_id": site.station["id"], "evse_number": 1}, "evse_number"),
        ("/api/v1/evses", {"station_id": site.station["id"], "evse_number": 5, "evse_id": "nope"}, "evse_id"),
        ("/api/v1/connectors", {"charge_point_id": site.charge_point["id"], "standard": "SCHUKO"}, "standard"),
    ]  # fmt: skip
    for url, body, field in cases:
        response = await client.post(url, json=body, headers=auth)
        assert response.status_code == 400, (url, field, response.text)
        answer = response.json()
        assert field in answer["errors"], (field, answer)
        assert answer["detail"] and "Traceback" not in response.text
    not_json = await client.post("/api/v1/locations", content=b"{oops", headers=auth)
    assert not_json.status_code == 400 and "Traceback" not in not_json.text


async def test_lists_filter_by_parent(
    client: httpx.AsyncClient, auth: dict[str, str], cpo: TenantCtx, unique: str
) -> None:
    from tests.integration.infrastructure.conftest import make_site

    one, two = await make_site(cpo, "A" + unique), await make_site(cpo, "B" + unique)
    stations = json_of(await client.get(f"/api/v1/stations?location_id={one.location['id']}", headers=auth))
    assert [s["id"] for s in stations["items"]] == [one.station["id"]] and stations["total"] == 1
    evses = json_of(await client.get(f"/api/v1/evses?station_id={two.station['id']}", headers=auth))
    assert [e["id"] for e in evses["items"]] == [two.charge_point["id"]]
    assert [c["id"] for c in evses["items"][0]["connectors"]] == [two.connector["id"]]
    connectors = json_of(await client.get("/api/v1/connectors", headers=auth))
    assert {c["id"] for c in connectors["items"]} == {one.connector["id"], two.connector["id"]}


async def test_null_in_patch_clears_or_is_refused(client: httpx.AsyncClient, auth: dict[str, str], site: Site) -> None:
    location_url = f"/api/v1/locations/{site.location['id']}"
    cleared = json_of(
        await client.patch(
            location_url, json={"opening_times": None, "coordinates": None, "parking_restrictions": None}, headers=auth
        )
    )
    assert cleared["opening_times"] == {"twentyfourseven": True, "regular_hours": []}
    assert cleared["coordinates"] == {"latitude": None, "longitude": None} and cleared["parking_restrictions"] == []
    required = await client.patch(location_url, json={"name": None}, headers=auth)
    assert required.status_code == 400 and required.json()["errors"] == {"name": "This field is required."}
    station = json_of(
        await client.patch(
            f"/api/v1/stations/{site.station['id']}",
            json={"attributes": None, "ocpp_password": None},
            headers=auth,
        )
    )
    assert station["attributes"] == {} and station["products"] == [] and station["has_password"] is True
    evse = json_of(
        await client.patch(
            f"/api/v1/evses/{site.charge_point['id']}", json={"evse_id": None, "capabilities": None}, headers=auth
        )
    )
    assert evse["evse_id"] is None and evse["capabilities"] == []
