"""The charge point page's heading: its status badge follows the station live (HTMX polling, like the tabs'
status), whichever tab is open, without a reload."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import pytest
from ocpp.v16 import call

from ocpp_cs.simulator import SimulatedStation
from tests.e2e.conftest import browser_login, screenshot
from tests.integration.ocpp.conftest import make_station
from tests.support import TenantCtx

pytestmark = pytest.mark.browser


async def test_the_heading_status_badge_updates_live(page: Any, live_server: str, cpo: TenantCtx, unique: str) -> None:
    station = await make_station(cpo, unique, points=1)
    sim = SimulatedStation(live_server.replace("http://", "ws://") + "/ocpp", station.charge_box_id, station.password)
    runner = asyncio.create_task(sim.run())
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    try:
        await asyncio.wait_for(sim.connected.wait(), 15)
        await browser_login(page, cpo.admin["email"], cpo.password)
        await page.click("[data-testid=lang-de]")
        await page.wait_for_selector("html[lang=de]")
        cp_id = station.charge_points[0]["id"]
        await page.goto(f"/infrastructure/charge-points/{cp_id}?tab=device")  # a tab that shows no status
        head = page.locator("[data-testid=cp-head]")
        await page.wait_for_selector("[data-testid=cp-head][data-status=AVAILABLE]", timeout=15000)
        assert "Verfügbar" in await head.locator("h1").inner_text()
        loads = len([url for url in requests if "/tab/device" in url])

        await sim.send(call.StatusNotification(connector_id=1, error_code="NoError", status="Unavailable"))
        await page.wait_for_selector("[data-testid=cp-head][data-status=INOPERATIVE]", timeout=15000)
        heading = await head.locator("h1").inner_text()
        assert "Verfügbar" not in heading and "Außer Betrieb" in heading, heading
        assert any(f"/infrastructure/charge-points/{cp_id}/head" in url for url in requests)
        assert len([url for url in requests if "/tab/device" in url]) == loads  # the page and its tab stayed
        await screenshot(page, "charge-point-head-live")
    finally:
        await sim.stop()
        runner.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await runner
