"""Browser walk through the operations views while a simulated station charges on the live server:
the authorization monitor (Freischaltmonitor) refreshes by itself, the station's OCPP log tab shows new
frames live, and the charge point page shows the last session."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from core.access.tables import ChargingCard
from ocpp_cs.simulator import SimulatedStation
from tests.e2e.conftest import browser_login, screenshot
from tests.integration.ocpp.conftest import make_station
from tests.support import TenantCtx

pytestmark = pytest.mark.browser


async def test_monitor_and_live_log_while_a_station_charges(
    page: Any, live_server: str, cpo: TenantCtx, unique: str
) -> None:
    station = await make_station(cpo, unique)
    tag = f"E2{unique[:6]}".upper()
    await ChargingCard(tenant=cpo.id, uid=tag, label="Flottenwagen").save()
    sim = SimulatedStation(live_server.replace("http://", "ws://") + "/ocpp", station.charge_box_id, station.password)
    runner = asyncio.create_task(sim.run())
    try:
        await asyncio.wait_for(sim.connected.wait(), 15)
        session = await sim.start_session(1, tag)
        assert session.transaction_id is not None

        await browser_login(page, cpo.admin["email"], cpo.password)
        await page.click("[data-testid=lang-de]")
        await page.wait_for_selector("html[lang=de]")
        await page.goto("/operations/authorizations")
        row = f"[data-testid=monitor-row][data-session='{session.transaction_id}']"
        await page.wait_for_selector(f"{row}[data-stage=CHARGING]")
        assert "Lädt" in await page.inner_text(row)
        assert "Freischaltmonitor" in await page.inner_text("h1")
        await screenshot(page, "ops-freischaltmonitor-charging")

        # The station's OCPP log tab: new frames appear without a reload.
        await page.goto(f"/infrastructure/stations/{station.id}?tab=ocpp_log")
        await page.wait_for_selector("[data-testid=log-row][data-action=StartTransaction]")
        before = await page.locator("[data-testid=log-row][data-action=MeterValues]").count()
        await sim.meter_tick(1, wh=1500)
        await page.locator("[data-testid=log-row][data-action=MeterValues]").nth(before + 1).wait_for(timeout=15000)
        frame = page.locator("[data-testid=log-row][data-action=MeterValues][data-direction=in]").first
        await frame.locator("summary").click()
        assert "Energy.Active.Import.Register" in await frame.locator("pre").inner_text()
        await screenshot(page, "ops-station-ocpp-log-live")

        # Stopping: the monitor refreshes by itself to the stopped stage.
        await page.goto("/operations/authorizations")
        await page.wait_for_selector(f"{row}[data-stage=CHARGING]")
        await sim.stop_session(1)
        await page.wait_for_selector(f"{row}[data-stage=STOPPED]", timeout=20000)
        await screenshot(page, "ops-freischaltmonitor-stopped")

        await page.goto(f"/infrastructure/charge-points/{station.charge_points[0]['id']}")
        await page.wait_for_selector("[data-testid=cp-last-session]")
        assert tag in await page.inner_text("[data-testid=cp-last-session]")
        await screenshot(page, "ops-charge-point-last-session")

        await page.goto("/operations/anomalies")
        await page.wait_for_selector("[data-testid=flagged-sessions]")
        assert "Auffälligkeiten" in await page.inner_text("h1")
        await screenshot(page, "ops-anomalies")
        await page.goto("/operations/unknown-stations")
        await page.wait_for_selector("[data-testid=unknown-settings]")
        await screenshot(page, "ops-unknown-stations")
    finally:
        await sim.stop()
        runner.cancel()
