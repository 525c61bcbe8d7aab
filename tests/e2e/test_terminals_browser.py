"""Payment terminals in the browser (German): register a vaylensPay iM30, choose the stations it serves, see a
session started at the terminal on its page and as "Bezahlterminal" in charging data; at desktop width and 390 px."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import httpx
import pytest

from core.charging.tables import ChargingSession
from core.payments import terminals
from core.tenancy import api_keys
from ocpp_cs.simulator import SimulatedStation
from tests.e2e.conftest import german_login, screenshot, ws_url_of
from tests.integration.ocpp.conftest import STATION_PASSWORD, make_station
from tests.support import TenantCtx

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}


async def _until(predicate: Any, timeout: float = 20.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await predicate():
        assert asyncio.get_running_loop().time() < deadline, "condition not reached"
        await asyncio.sleep(0.1)


async def test_register_attach_and_see_a_terminal_session(
    page: Any, browser: Any, live_server: str, cpo: TenantCtx, unique: str
) -> None:
    st = await make_station(cpo, "BT" + unique, points=1)
    await german_login(page, cpo.admin["email"], cpo.password)
    await page.goto("/infrastructure/terminals")
    assert "Bezahlterminals" in await page.inner_text("h1")
    await page.click("[data-testid=new-terminal]")
    await page.fill("input[name=name]", "Terminal Einfahrt")
    await page.fill("input[name=serial_number]", "PAX-IM30-4711")
    await page.fill("textarea[name=notes]", "Neben der Schranke")
    await screenshot(page, "terminal-form")
    await page.click("[data-testid=save-terminal]")
    await page.wait_for_selector("[data-testid=terminal-facts]")
    terminal_id = int(page.url.rstrip("/").rsplit("/", 1)[1])
    await page.click("[data-testid=terminal-stations]")
    await page.check(f"input[name=station][value='{st.id}']")
    await screenshot(page, "terminal-stations")
    await page.click("[data-testid=save-stations]")
    await page.wait_for_selector("[data-testid=terminal-station-list]")

    # the terminal took a card payment: its backend asks csms to start the charge point
    key, _ = await api_keys.create_api_key(cpo.id, "Terminal-Backend")
    sim = SimulatedStation(ws_url_of(live_server), st.charge_box_id, STATION_PASSWORD, reconnect_delay=0.3)
    runner = asyncio.create_task(sim.run())
    try:
        await asyncio.wait_for(sim.connected.wait(), 10)
        async with httpx.AsyncClient(base_url=live_server, timeout=40) as api:
            started = await api.post(
                f"/api/v1/terminals/{terminal_id}/start",
                json={"charge_point_id": st.charge_points[0]["id"]},
                headers={"Authorization": f"Bearer {key}"},
            )
        assert started.status_code == 200 and started.json()["status"] == "accepted", started.text
        terminal = await terminals.get_terminal(cpo.actor, terminal_id)

        async def running() -> bool:
            return await ChargingSession.exists().where(
                ChargingSession.id_tag.like(f"TRM{terminal['tag_code']}%") & ChargingSession.started_at.is_not_null()
            )

        await _until(running)
        await sim.meter_tick(1, 4000)
    finally:
        await sim.stop()
        runner.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await runner
    await page.goto(f"/infrastructure/terminals/{terminal_id}")
    assert "Bezahlterminal" in await page.inner_text("[data-testid=terminal-sessions]")
    await screenshot(page, "terminal-detail")
    await page.goto("/charging-data?auth=TERMINAL")
    assert "Bezahlterminal" in await page.inner_text("[data-testid=cd-row]")
    await screenshot(page, "terminal-charging-data")

    phone = await browser.new_context(
        base_url=live_server, viewport=PHONE, storage_state=await page.context.storage_state()
    )
    tab = await phone.new_page()
    try:
        for name, path in (
            ("list", "/infrastructure/terminals"),
            ("detail", f"/infrastructure/terminals/{terminal_id}"),
        ):
            response = await tab.goto(path)
            assert response is not None and response.status == 200
            width = await tab.evaluate("() => document.documentElement.scrollWidth")
            assert width <= PHONE["width"], f"{path} scrolls sideways ({width} px)"
            await screenshot(tab, f"terminal-phone-{name}")
    finally:
        await phone.close()
