"""Load management in the browser against a live `csms serve` with simulated stations: set it up on the location's
edit page (a field error first), then watch the location page's allocation follow the sessions live, with a station
that refuses its profile flagged "Profil nicht bestätigt"."""

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
from tests.integration.ocpp.test_load_management import limits, same_location_station
from tests.support import TenantCtx

pytestmark = pytest.mark.browser


async def until(predicate: Any, timeout: float = 20.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, "condition not reached"
        await asyncio.sleep(0.05)


async def test_load_management_settings_and_live_allocation(
    page: Any, live_server: str, cpo: TenantCtx, unique: str  # noqa: F811
) -> None:
    a = await make_station(cpo, f"{unique}a")
    b = await same_location_station(cpo, a, f"{unique}b")
    location_id = a.row["location"]
    uid = f"LB{unique[:8]}".upper()
    await ChargingCard(tenant=cpo.id, uid=uid, label="Poolfahrzeug").save()
    url = ws_url_of(live_server)
    async with simulated(url, a) as sim_a, simulated(url, b, refuse={"SetChargingProfile"}) as sim_b:
        await german_login(page, cpo.admin["email"], cpo.password)
        await page.goto(f"/infrastructure/locations/{location_id}")
        assert "ausgeschaltet" in await page.inner_text("[data-testid=load-allocation]")

        await page.goto(f"/infrastructure/locations/{location_id}/edit")
        form = "[data-testid=load-form]"
        await page.check(f"{form} input[name=enabled]")
        await page.fill(f"{form} input[name=limit_value]", "zwei")
        await page.click("[data-testid=save-load]")
        await page.wait_for_selector(f"{form} .has-error")
        await page.fill(f"{form} input[name=limit_value]", "32")
        await page.select_option(f"{form} select[name=limit_unit]", "A")
        await page.fill(f"{form} input[name=min_current_a]", "6")
        await page.click("[data-testid=save-load]")
        await page.wait_for_selector("[data-testid=load-allocation] [data-testid=load-points]")
        await until(lambda: limits(sim_a) == [0, 0])

        await sim_a.start_session(1, uid)
        await sim_a.start_session(2, uid)
        await sim_b.start_session(1, uid)
        # B refuses: its charge points count at 6 A each; A's two share the remaining 20 A.
        await until(lambda: limits(sim_a) == [10, 10])
        card = "[data-testid=load-allocation]"
        await page.wait_for_selector(f"{card} [data-testid=profile-unconfirmed]", timeout=15000)
        await page.wait_for_selector(f"{card} >> text=32,0 von 32,0 A pro Phase", timeout=15000)
        text = await page.inner_text(card)
        assert "Profil nicht bestätigt" in text and "Lastmanagement" in text and "Gleicher Anteil" in text
        await screenshot(page, "load-management-location")

        # Live: a session stops, the card follows without a reload.
        await sim_a.stop_session(2)
        await until(lambda: limits(sim_a) == [20, 0])
        await page.wait_for_selector(f"{card} >> text=Kein Ladevorgang", timeout=15000)
        assert sim_b.charging_profiles == {}
