"""The charge point's Control tab against a live `csms serve` and a simulated station: a remote start's result
is shown in words, and the charge point's status turns to "Lädt" without a reload (HTMX polling that stops
when the answer is final, and while the page is hidden)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from core.access.tables import ChargingCard
from tests.e2e.conftest import german_login, screenshot, ws_url_of
from tests.integration.ocpp.conftest import make_station
from tests.integration.ocpp.test_commands import simulated
from tests.support import TenantCtx

pytestmark = pytest.mark.browser


async def test_remote_start_result_in_words_and_live_status(
    page: Any, live_server: str, cpo: TenantCtx, unique: str
) -> None:
    station = await make_station(cpo, unique, points=1)
    tag = f"LV{unique[:6]}".upper()
    await ChargingCard(tenant=cpo.id, uid=tag, label="Poolfahrzeug").save()
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    async with simulated(ws_url_of(live_server), station):
        await german_login(page, cpo.admin["email"], cpo.password)
        cp_id = station.charge_points[0]["id"]
        await page.goto(f"/infrastructure/charge-points/{cp_id}?tab=control")
        status = page.locator("[data-testid=cp-control-status]")
        await page.wait_for_selector("[data-testid=cp-control-status][data-status=AVAILABLE]", timeout=15000)
        assert "Verfügbar" in await status.inner_text()

        await page.fill("[data-testid=form-start] input[name=id_tag]", tag)
        await page.click("[data-testid=start]")
        await page.wait_for_selector("[data-testid=command-result][data-status=accepted]", timeout=15000)
        result = await page.inner_text("[data-testid=command-result]")
        assert "Die Ladestation hat den Fernstart angenommen" in result
        assert "{" not in result and await page.locator("[data-testid=command-reply]").count() == 0
        # No reload: the status block polls until the station's StatusNotification (Charging) shows.
        await page.wait_for_selector("[data-testid=cp-control-status][data-status=CHARGING]", timeout=15000)
        assert "Lädt" in await status.inner_text()
        await page.wait_for_selector("[data-testid=running-session]", timeout=15000)
        await screenshot(page, "commands-live-status")

        # The answer is final: its fragment no longer polls.
        assert await page.locator("[data-testid=command-result][data-poll]").count() == 0
        record = await page.get_attribute("[data-testid=command-result]", "data-id")
        before = sum(f"/operations/commands/{record}" in url for url in requests)
        # A hidden page asks nothing: the live status stops polling while the tab is in the background.
        await page.evaluate("Object.defineProperty(document, 'hidden', {value: true, configurable: true})")
        await asyncio.sleep(0.5)
        hidden_from = len(requests)
        await asyncio.sleep(4.5)
        assert [url for url in requests[hidden_from:] if "/status" in url] == []
        assert sum(f"/operations/commands/{record}" in url for url in requests) == before
        await page.evaluate("Object.defineProperty(document, 'hidden', {value: false, configurable: true})")
        await asyncio.sleep(3)
        assert any(f"/operations/charge-points/{cp_id}/status" in url for url in requests[hidden_from:])
