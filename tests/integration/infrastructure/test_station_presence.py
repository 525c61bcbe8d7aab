"""Where the portal and the REST API show a station's presence: the connected flag the OCPP nodes keep."""

from __future__ import annotations

import httpx

from core.infrastructure import stations
from core.infrastructure.tables import ChargingStation
from core.tenancy import api_keys
from tests.integration.infrastructure.conftest import Site, make_site
from tests.support import TenantCtx, app_client, dashboard_count


async def test_dashboard_and_api_show_the_connected_flag(
    admin_client: httpx.AsyncClient, cpo: TenantCtx, other_cpo: TenantCtx, site: Site, unique: str
) -> None:
    second = await make_site(cpo, f"{unique}b")
    await make_site(other_cpo, f"{unique}x")  # another tenant's stations are not counted
    await ChargingStation.update({ChargingStation.connected: True}).where(ChargingStation.id == site.station["id"])
    assert await stations.connection_counts(cpo.actor) == {"online": 1, "offline": 1}
    dashboard = (await admin_client.get("/")).text
    assert (dashboard_count(dashboard, "stations-online"), dashboard_count(dashboard, "stations-offline")) == (1, 1)

    key, _ = await api_keys.create_api_key(cpo.id, "presence")
    async with app_client() as api:
        auth = {"Authorization": f"Bearer {key}"}
        one = (await api.get(f"/api/v1/stations/{site.station['id']}", headers=auth)).json()
        listed = (await api.get("/api/v1/stations", headers=auth)).json()["items"]
    assert one["connected"] is True and "connected_node" not in one
    assert {s["id"]: s["connected"] for s in listed} == {site.station["id"]: True, second.station["id"]: False}

    page = await admin_client.get(f"/infrastructure/stations/{second.station['id']}")
    assert "Offline" in page.text
