"""Every /api/v1 route: keys (missing, wrong, revoked, too weak) and tenant isolation, from the OpenAPI document."""

from __future__ import annotations

import re
from typing import Any

import httpx

from core.infrastructure import charge_points, locations, stations
from core.tenancy import api_keys
from tests.integration.api.conftest import bearer, json_of
from tests.integration.infrastructure.conftest import Site
from tests.support import TenantCtx, app_client

RESOURCES = ("locations", "stations", "evses", "connectors")
OWN_ROUTE = re.compile(r"/api/v1/(locations|stations|evses|connectors)(/\{item_id\}(/decommission)?)?")
PATCHES: dict[str, dict[str, Any]] = {
    "locations": {"name": "stolen"},
    "stations": {"name": "stolen", "ocpp_password": "stolen-password-0123"},
    "evses": {"floor_level": "9"},
    "connectors": {"max_amperage": 1},
}


async def api_routes(client: httpx.AsyncClient) -> list[tuple[str, str]]:
    """(method, path) of every route of these resources the OpenAPI document describes (other areas may add
    their own routes below /api/v1/evses; they test them themselves)."""
    paths = json_of(await client.get("/api/docs/openapi.json"))["paths"]
    return [
        (method.upper(), path)
        for path, operations in paths.items()
        if OWN_ROUTE.fullmatch(path)
        for method in operations
        if method in {"get", "post", "patch", "delete"}
    ]


def foreign_ids(site: Site) -> dict[str, int]:
    return {
        "locations": site.location["id"],
        "stations": site.station["id"],
        "evses": site.charge_point["id"],
        "connectors": site.connector["id"],
    }


async def test_openapi_lists_every_resource_with_schemas(client: httpx.AsyncClient) -> None:
    doc = json_of(await client.get("/api/docs/openapi.json"))
    for resource in RESOURCES:
        assert {"get", "post"} <= set(doc["paths"][f"/api/v1/{resource}"])
        assert {"get", "patch"} <= set(doc["paths"][f"/api/v1/{resource}/{{item_id}}"])
    for resource in ("locations", "stations", "evses"):
        assert "post" in doc["paths"][f"/api/v1/{resource}/{{item_id}}/decommission"]
    assert "delete" in doc["paths"]["/api/v1/connectors/{item_id}"]
    schemas = doc["components"]["schemas"]
    assert {"LocationCreate", "LocationUpdate", "StationCreate", "EvseCreate", "ConnectorCreate"} <= set(schemas)
    location = schemas["LocationCreate"]
    assert {"name", "address", "city", "postal_code", "country"} <= set(location["required"])
    assert {"coordinates", "opening_times", "time_zone"} <= set(location["properties"])
    assert "ocpp_password" in schemas["StationCreate"]["properties"]
    assert "ocpp_password" not in schemas["Station"]["properties"]  # write-only
    assert {"has_password", "ocpp_url"} <= set(schemas["Station"]["properties"])
    assert {"items", "total", "offset", "limit"} <= set(schemas["EvsePage"]["properties"])
    assert schemas["Evse"]["properties"]["connectors"]["oneOf"][0]["items"]["$ref"].endswith("/Connector")
    listing = doc["paths"]["/api/v1/locations"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert listing["$ref"].endswith("/LocationPage")
    assert "400" in doc["paths"]["/api/v1/locations"]["post"]["responses"]
    assert not any(path.startswith(("/infrastructure", "/login")) for path in doc["paths"])  # the API only
    assert (await client.get("/api/docs")).status_code == 200


async def test_every_route_needs_a_valid_key(client: httpx.AsyncClient, cpo: TenantCtx, site: Site, key: str) -> None:
    routes = await api_routes(client)
    assert len(routes) >= 19
    revoked_key, revoked_row = await api_keys.create_api_key(cpo.id, "old")
    await api_keys.revoke_api_key(cpo.actor, revoked_row["id"])
    wrong = [{}, {"Authorization": key}, {"Authorization": f"Basic {key}"}, bearer("csms_nope"), bearer(key + "x"),
             bearer(revoked_key)]  # fmt: skip
    ids = foreign_ids(site)
    for method, path in routes:
        url = path.replace("{item_id}", str(ids[path.split("/")[3]]))
        # Each route from its own address: one address trying this many wrong keys is throttled (test_api_throttle).
        async with app_client() as caller:
            for headers in wrong:
                response = await caller.request(method, url, headers=headers, json={})
                assert response.status_code == 401, (method, url, headers, response.text)
                assert response.json()["detail"]
    assert (await client.get("/api/v1/locations", headers=bearer(key))).status_code == 200


async def test_another_tenants_ids_are_not_found_on_every_route(
    client: httpx.AsyncClient, auth: dict[str, str], site: Site, foreign_site: Site
) -> None:
    ids = foreign_ids(foreign_site)
    item_routes = [(m, p) for m, p in await api_routes(client) if "{item_id}" in p]
    assert len(item_routes) >= 11
    for method, path in item_routes:
        url = path.replace("{item_id}", str(ids[path.split("/")[3]]))
        response = await client.request(
            method, url, headers=auth, json=PATCHES[path.split("/")[3]] if method == "PATCH" else None
        )
        assert response.status_code == 404, (method, url, response.text)
        assert response.json()["detail"] == "Not found"
    # Nothing of the foreign site changed.
    other = await locations.get_location(_actor_of(foreign_site), foreign_site.location["id"])
    assert other["name"] == foreign_site.location["name"] and other["decommissioned_at"] is None
    assert len(await charge_points.list_connectors(_actor_of(foreign_site), foreign_site.charge_point["id"])) == 1


def _actor_of(site: Site) -> Any:
    from core.tenancy.actor import system_actor

    return system_actor(site.location["tenant"])


async def test_lists_show_only_own_rows(
    client: httpx.AsyncClient, auth: dict[str, str], other_auth: dict[str, str], site: Site, foreign_site: Site
) -> None:
    for headers, own in ((auth, site), (other_auth, foreign_site)):
        for resource in RESOURCES:
            listed = json_of(await client.get(f"/api/v1/{resource}?include_decommissioned=true", headers=headers))
            assert [item["id"] for item in listed["items"]] == [foreign_ids(own)[resource]], resource
            assert listed["total"] == 1
    # Filtering by another tenant's parent finds nothing (or the parent is not found).
    by_location = json_of(await client.get(f"/api/v1/stations?location_id={foreign_site.location['id']}", headers=auth))
    assert by_location["items"] == [] and by_location["total"] == 0
    by_station = json_of(await client.get(f"/api/v1/evses?station_id={foreign_site.station['id']}", headers=auth))
    assert by_station["items"] == [] and by_station["total"] == 0
    by_evse = await client.get(f"/api/v1/connectors?charge_point_id={foreign_site.charge_point['id']}", headers=auth)
    assert by_evse.status_code == 404


async def test_cannot_create_under_another_tenants_parent(
    client: httpx.AsyncClient, auth: dict[str, str], site: Site, foreign_site: Site, unique: str
) -> None:
    cases = [
        ("/api/v1/stations", {"location_id": foreign_site.location["id"], "charge_box_id": f"F-{unique}"},
         "location_id"),
        ("/api/v1/evses", {"station_id": foreign_site.station["id"], "evse_number": 7}, "station_id"),
        ("/api/v1/connectors", {"charge_point_id": foreign_site.charge_point["id"], "connector_number": 4},
         "charge_point_id"),
    ]  # fmt: skip
    for url, body, field in cases:
        response = await client.post(url, json=body, headers=auth)
        assert response.status_code == 400 and field in response.json()["errors"], response.text
    moved = await client.patch(
        f"/api/v1/stations/{site.station['id']}", json={"location_id": foreign_site.location["id"]}, headers=auth
    )
    assert moved.status_code == 400 and "location_id" in moved.json()["errors"]
    actor = _actor_of(foreign_site)
    assert len(await stations.list_stations(actor)) == 1
    assert len(await charge_points.list_charge_points(actor)) == 1
    assert len(await charge_points.list_connectors(actor)) == 1


async def test_key_permissions_limit_what_it_may_do(client: httpx.AsyncClient, cpo: TenantCtx, site: Site) -> None:
    read_key, _ = await api_keys.create_api_key(cpo.id, "reader", ["infrastructure.view"])
    no_key, _ = await api_keys.create_api_key(cpo.id, "nothing", [])
    ids = foreign_ids(site)
    for method, path in await api_routes(client):
        url = path.replace("{item_id}", str(ids[path.split("/")[3]]))
        body: dict[str, Any] | None = {} if method in {"POST", "PATCH"} else None
        as_reader = await client.request(method, url, headers=bearer(read_key), json=body)
        if method == "GET":
            assert as_reader.status_code == 200, (method, url, as_reader.text)
        else:
            assert as_reader.status_code == 403, (method, url, as_reader.text)
        as_nobody = await client.request(method, url, headers=bearer(no_key), json=body)
        assert as_nobody.status_code == 403, (method, url, as_nobody.text)
    # Nothing was changed or removed by the refused calls.
    assert (await locations.get_location(cpo.actor, site.location["id"]))["decommissioned_at"] is None
    assert len(await charge_points.list_connectors(cpo.actor, site.charge_point["id"])) == 1


async def test_reseller_key_sees_its_sub_cpos_and_not_the_other_way(client: httpx.AsyncClient, unique: str) -> None:
    from tests.integration.infrastructure.conftest import make_site
    from tests.support import make_tenant

    reseller = await make_tenant(kind="RESELLER")
    sub, sibling = await make_tenant(parent_id=reseller.id), await make_tenant(parent_id=reseller.id)
    sub_site, sibling_site = await make_site(sub, "S" + unique), await make_site(sibling, "T" + unique)
    reseller_key, _ = await api_keys.create_api_key(reseller.id)
    sub_key, _ = await api_keys.create_api_key(sub.id)
    seen = json_of(await client.get("/api/v1/stations", headers=bearer(reseller_key)))
    assert {s["id"] for s in seen["items"]} == {sub_site.station["id"], sibling_site.station["id"]}
    own = json_of(await client.get("/api/v1/stations", headers=bearer(sub_key)))
    assert [s["id"] for s in own["items"]] == [sub_site.station["id"]]
    sibling_station = await client.get(f"/api/v1/stations/{sibling_site.station['id']}", headers=bearer(sub_key))
    assert sibling_station.status_code == 404


async def test_reseller_key_creates_a_location_for_a_sub_cpo(client: httpx.AsyncClient) -> None:
    from tests.integration.api.test_infrastructure_api import LOCATION
    from tests.support import make_tenant

    reseller = await make_tenant(kind="RESELLER")
    sub, stranger = await make_tenant(parent_id=reseller.id), await make_tenant()
    reseller_key, _ = await api_keys.create_api_key(reseller.id)
    sub_key, _ = await api_keys.create_api_key(sub.id)
    made = json_of(await client.post("/api/v1/locations", json={**LOCATION, "tenant_id": sub.id},
                                     headers=bearer(reseller_key)), 201)  # fmt: skip
    assert made["tenant_id"] == sub.id
    assert json_of(await client.get(f"/api/v1/locations/{made['id']}", headers=bearer(sub_key)))["tenant_id"] == sub.id
    own = json_of(await client.post("/api/v1/locations", json=LOCATION, headers=bearer(reseller_key)), 201)
    assert own["tenant_id"] == reseller.id
    for foreign in (stranger.id, reseller.id):  # neither a stranger nor its own reseller is a sub-CPO's to choose
        refused = await client.post(
            "/api/v1/locations", json={**LOCATION, "tenant_id": foreign}, headers=bearer(sub_key)
        )
        assert refused.status_code == 400 and "tenant_id" in refused.json()["errors"], refused.text
