"""Browser walk through the command tabs against a live `csms serve` with a simulated station: start and stop on
the charge point's Steuerung tab, the connectivity test on Betriebsführung, and an inline edit on OCPP Parameter."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from core.access.tables import ChargingCard
from tests.e2e.conftest import (  # noqa: F401 - browser, live_server and page are fixtures
    browser,
    german_login,
    live_server,
    page,
    screenshot,
    ws_url_of,
)
from tests.integration.ocpp.conftest import make_station
from tests.integration.ocpp.test_commands import simulated
from tests.support import TenantCtx

pytestmark = pytest.mark.browser


async def test_control_operations_and_parameters_in_the_browser(
    page: Any, live_server: str, cpo: TenantCtx, unique: str  # noqa: F811
) -> None:
    station = await make_station(cpo, unique)
    tag = f"E3{unique[:6]}".upper()
    await ChargingCard(tenant=cpo.id, uid=tag, label="Poolfahrzeug").save()
    options = {"configuration": {"HeartbeatInterval": "300", "ChargePointModel": "Sim"},
               "readonly_keys": {"ChargePointModel"}}  # fmt: skip
    async with simulated(ws_url_of(live_server), station, **options) as sim:
        await german_login(page, cpo.admin["email"], cpo.password)

        cp_id = station.charge_points[0]["id"]
        await page.goto(f"/infrastructure/charge-points/{cp_id}?tab=control")
        await page.fill("[data-testid=form-start] input[name=id_tag]", tag)
        await page.click("[data-testid=start]")
        await page.wait_for_selector("[data-testid=command-result][data-status=accepted]", timeout=15000)
        assert "Angenommen" in await page.inner_text("[data-testid=command-result]")
        await screenshot(page, "commands-control-started")
        for _ in range(100):
            if 1 in sim.sessions and sim.sessions[1].transaction_id:
                break
            await asyncio.sleep(0.1)
        await page.goto(f"/infrastructure/charge-points/{cp_id}?tab=control")
        await page.wait_for_selector("[data-testid=running-session]")
        await page.click("[data-testid=stop]")
        await page.wait_for_selector("[data-testid=command-result][data-status=accepted]", timeout=15000)

        await page.goto(f"/infrastructure/stations/{station.id}?tab=operations")
        assert "Betriebsführung" in await page.inner_text("[data-testid=tabs]")
        await page.click("[data-testid=connectivity-test]")
        await page.wait_for_selector("[data-testid=round-trip]", timeout=15000)
        assert "Antwortzeit" in await page.inner_text("[data-testid=round-trip]")
        await page.wait_for_selector("[data-testid=heartbeat-received]", timeout=15000)
        assert "Heartbeat nach" in await page.inner_text("[data-testid=heartbeat-received]")
        await page.wait_for_selector("[data-testid=command-history] >> text=Nachricht anfordern")
        await screenshot(page, "commands-betriebsfuehrung-connectivity")

        await page.goto(f"/infrastructure/stations/{station.id}?tab=ocpp_parameters")
        row = "[data-testid=parameter-row][data-key=HeartbeatInterval]"
        await page.wait_for_selector(row)
        assert await page.locator("[data-key=ChargePointModel] [data-testid=readonly]").count() == 1
        await page.fill(f"{row} input[name=value]", "120")
        await page.click(f"{row} [data-testid=save-parameter]")
        await page.wait_for_selector(f"{row} [data-testid=command-status][data-status=accepted]", timeout=15000)
        assert sim.configuration["HeartbeatInterval"] == "120"
        await screenshot(page, "commands-ocpp-parameter")
