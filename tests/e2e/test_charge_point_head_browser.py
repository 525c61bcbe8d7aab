"""The charge point page's heading: its status badge follows the station live (HTMX polling, like the tabs'
status), whichever tab is open, without a reload."""

from __future__ import annotations

from typing import Any

import pytest
from ocpp.v16 import call

from tests.e2e.conftest import german_login, screenshot, ws_url_of
from tests.integration.ocpp.conftest import make_station
from tests.integration.ocpp.test_commands import simulated
from tests.support import TenantCtx

pytestmark = pytest.mark.browser


async def test_the_heading_status_badge_updates_live(page: Any, live_server: str, cpo: TenantCtx, unique: str) -> None:
    station = await make_station(cpo, unique, points=1)
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    async with simulated(ws_url_of(live_server), station) as sim:
        await german_login(page, cpo.admin["email"], cpo.password)
        cp_id = station.charge_points[0]["id"]
        await page.goto(f"/infrastructure/charge-points/{cp_id}?tab=device")  # a tab that shows no status
        head = page.locator("[data-testid=cp-head]")
        await page.wait_for_selector("[data-testid=cp-head][data-status=AVAILABLE]", timeout=15000)
        assert "Verfügbar" in await head.locator("h1").inner_text()
        loads = len([url for url in requests if "/tab/device" in url])

        await sim.send(call.StatusNotification(connector_id=1, error_code="NoError", status="Unavailable"))
        await page.wait_for_selector("[data-testid=cp-head][data-status=INOPERATIVE]", timeout=15000)
        heading = await head.locator("h1").inner_text()
        assert "Verfügbar" not in heading and "Nicht verfügbar" in heading, heading  # OCPP Unavailable
        assert any(f"/infrastructure/charge-points/{cp_id}/head" in url for url in requests)
        assert len([url for url in requests if "/tab/device" in url]) == loads  # the page and its tab stayed
        await screenshot(page, "charge-point-head-live")
