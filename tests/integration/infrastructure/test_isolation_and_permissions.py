"""Every infrastructure route: another tenant's ids behave like missing ones, and changes need the permission."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from core.infrastructure import charge_points, stations
from core.tenancy.permissions import Permission
from tests.integration.infrastructure.conftest import Site
from tests.support import TenantCtx, app_client, login, make_user, post_form

# (method, url template); {loc} {st} {cp} {con} are ids of a site.
VIEW_ROUTES = [
    ("GET", "/infrastructure/locations/{loc}"),
    ("GET", "/infrastructure/stations/{st}"),
    *[("GET", f"/infrastructure/stations/{{st}}/tab/{key}") for key in
      ("info", "address", "map", "assignments", "device", "attributes", "ocpp")],
    ("GET", "/roaming/stations/{st}/access"),  # the Zugang tab is served by the roaming area (Roaming: roaming.view)
    ("GET", "/infrastructure/charge-points/{cp}"),
    ("GET", "/infrastructure/charge-points/{cp}/head"),
    ("GET", "/infrastructure/charge-points/{cp}/tab/configuration"),
    ("GET", "/infrastructure/charge-points/{cp}/tab/device"),
]  # fmt: skip
MANAGE_ROUTES = [
    ("GET", "/infrastructure/locations/{loc}/edit"),
    ("POST", "/infrastructure/locations/{loc}"),
    ("GET", "/infrastructure/locations/{loc}/decommission"),
    ("POST", "/infrastructure/locations/{loc}/decommission"),
    ("GET", "/infrastructure/stations/{st}/edit"),
    ("POST", "/infrastructure/stations/{st}"),
    ("POST", "/infrastructure/stations/{st}/attributes"),
    ("POST", "/infrastructure/stations/{st}/password"),
    ("GET", "/infrastructure/stations/{st}/clone"),
    ("POST", "/infrastructure/stations/{st}/clone"),
    ("GET", "/infrastructure/stations/{st}/operator"),
    ("POST", "/infrastructure/stations/{st}/operator"),
    ("GET", "/infrastructure/stations/{st}/decommission"),
    ("POST", "/infrastructure/stations/{st}/decommission"),
    ("POST", "/infrastructure/charge-points/{cp}/configuration"),
    ("GET", "/infrastructure/charge-points/{cp}/decommission"),
    ("POST", "/infrastructure/charge-points/{cp}/decommission"),
    ("GET", "/infrastructure/charge-points/{cp}/connectors/new"),
    ("POST", "/infrastructure/charge-points/{cp}/connectors"),
    ("GET", "/infrastructure/connectors/{con}/edit"),
    ("POST", "/infrastructure/connectors/{con}"),
    ("POST", "/infrastructure/connectors/{con}/delete"),
]
CREATE_ROUTES = [
    ("GET", "/infrastructure/locations/new"),
    ("POST", "/infrastructure/locations"),
    ("GET", "/infrastructure/stations/new"),
    ("POST", "/infrastructure/stations"),
    ("GET", "/infrastructure/charge-points/new"),
    ("POST", "/infrastructure/charge-points"),
]


def _url(template: str, site: Site) -> str:
    return template.format(
        loc=site.location["id"], st=site.station["id"], cp=site.charge_point["id"], con=site.connector["id"]
    )


async def _call(client: httpx.AsyncClient, method: str, url: str, data: dict[str, str] | None = None) -> httpx.Response:
    if method == "GET":
        return await client.get(url)
    return await post_form(client, url, data or {"charge_box_id": "X-1", "tenant_id": "1", "evse_number": "1"})


async def test_another_tenants_ids_are_not_found_on_every_route(
    admin_client: httpx.AsyncClient, site: Site, foreign_site: Site, other_cpo: TenantCtx
) -> None:
    for method, template in VIEW_ROUTES + MANAGE_ROUTES:
        response = await _call(admin_client, method, _url(template, foreign_site))
        assert response.status_code == 404, (method, template, response.status_code)
        assert "Traceback" not in response.text
    # Nothing of the other tenant changed.
    station = await stations.get_station(other_cpo.actor, foreign_site.station["id"])
    assert station["decommissioned_at"] is None and station["tenant"] == other_cpo.id
    assert len(await charge_points.list_connectors(other_cpo.actor, foreign_site.charge_point["id"])) == 1


async def test_another_tenants_ids_in_form_fields_are_field_errors(
    admin_client: httpx.AsyncClient, site: Site, foreign_site: Site, unique: str
) -> None:
    station = await post_form(
        admin_client, "/infrastructure/stations",
        {"location_id": str(foreign_site.location["id"]), "charge_box_id": f"F-{unique}", "ocpp_version": "1.6",
         "installation_status": "PLANNED", "access_type": "PUBLIC_PAID"},
    )  # fmt: skip
    assert station.status_code == 400 and "Unknown location." in station.text
    edit = await post_form(
        admin_client, f"/infrastructure/stations/{site.station['id']}",
        {"location_id": str(foreign_site.location["id"]), "charge_box_id": site.station["charge_box_id"]},
    )  # fmt: skip
    assert edit.status_code == 400 and "Unknown location." in edit.text
    cp = await post_form(
        admin_client,
        "/infrastructure/charge-points",
        {"station_id": str(foreign_site.station["id"]), "evse_number": "5"},
    )
    assert cp.status_code == 400 and "Unknown station." in cp.text
    # The list pages show only the own tenant's rows.
    assert foreign_site.location["name"] not in (await admin_client.get("/infrastructure/locations")).text
    assert foreign_site.station["charge_box_id"] not in (await admin_client.get("/infrastructure/stations")).text
    options = await admin_client.get("/infrastructure/charge-points/new")
    assert foreign_site.station["charge_box_id"] not in options.text


@pytest.fixture
async def viewer_client(cpo: TenantCtx) -> AsyncIterator[httpx.AsyncClient]:
    viewer = await make_user(cpo.id, permissions=[Permission.INFRASTRUCTURE_VIEW.value])
    async with app_client() as client:
        await login(client, viewer["email"])
        yield client


async def test_without_manage_permission_every_change_is_forbidden(
    viewer_client: httpx.AsyncClient, site: Site, cpo: TenantCtx
) -> None:
    client = viewer_client
    if True:
        for method, template in MANAGE_ROUTES + CREATE_ROUTES:
            response = await _call(client, method, _url(template, site))
            assert response.status_code == 403, (method, template, response.status_code)
        for method, template in VIEW_ROUTES:
            response = await _call(client, method, _url(template, site))
            assert response.status_code == 200, (method, template)
            assert 'data-testid="edit"' not in response.text
            assert "/edit" not in response.text and "decommission" not in response.text
            assert 'method="post"' not in response.text.split("</header>")[-1]
        for url in ("/infrastructure/locations", "/infrastructure/stations"):
            listing = await client.get(url)
            assert listing.status_code == 200 and "/new" not in listing.text
    station = await stations.get_station(cpo.actor, site.station["id"])
    assert station["decommissioned_at"] is None


async def test_without_view_permission_the_pages_are_forbidden(cpo: TenantCtx, site: Site) -> None:
    nobody = await make_user(cpo.id, permissions=[])
    async with app_client() as client:
        await login(client, nobody["email"])
        for url in ("/infrastructure/locations", "/infrastructure/stations", _url(VIEW_ROUTES[1][1], site)):
            assert (await client.get(url)).status_code == 403
