"""The start page in a real browser, in German and English: the tiles open the filtered overview (the "Nicht
verfügbar" tile lists the charge points of an offline station), the chart switches period and figure by HTMX without
reloading the page, and axe-core finds no serious or critical accessibility problem. Screenshots:
test-artifacts/dashboard-*.png."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from axe_playwright_python.async_playwright import Axe

from core.charging.tables import ChargingSession
from tests.e2e.conftest import browser_login, screenshot
from tests.e2e.test_every_page_browser import _axe
from tests.integration.cdrs.conftest import cdr_of, finished_session
from tests.integration.ocpp.conftest import make_station
from tests.support import TenantCtx

pytestmark = pytest.mark.browser
BERLIN = ZoneInfo("Europe/Berlin")  # the tenant is German


async def test_dashboard_in_german_and_english(page, cpo: TenantCtx, unique: str) -> None:  # type: ignore[no-untyped-def]
    station = await make_station(cpo, "B" + unique)  # never connected: its charge points are not available
    now = datetime.now(UTC)
    midnight = datetime.combine(now.astimezone(BERLIN).date(), time.min, tzinfo=BERLIN).astimezone(UTC)
    for seconds, energy in ((1, 22_400), (2, 8_200), (3, 3_300)):  # today in Berlin, whenever the test runs
        await cdr_of(await finished_session(cpo, station, start=midnight + timedelta(seconds=seconds), minutes=3,
                                            energy_wh=energy))  # fmt: skip
    await cdr_of(await finished_session(cpo, station, start=now - timedelta(days=3), energy_wh=41_000))
    await ChargingSession(tenant=cpo.id, station=station.id, charge_point=station.charge_points[1]["id"],
                          connector_id=2, id_tag="AABB03", started_at=now, status="CHARGING").save()  # fmt: skip

    await browser_login(page, cpo.admin["email"], cpo.password)
    await page.goto("/")
    assert await page.locator("html").get_attribute("lang") == "de"
    assert "Ladevorgänge heute" in await page.inner_text("[data-testid=session-tiles]")
    assert await page.inner_text("[data-testid=sessions-today] .count") == "4"
    assert "74,9 kWh" in await page.inner_text("[data-testid=chart-total]")  # 7 days, German number format
    await screenshot(page, "dashboard-de")
    problems: list[str] = []
    axe = Axe()
    await _axe(page, axe, "/", problems)

    # The chart by HTMX: the page stays (a marker set on it survives), the address changes, the bars are redrawn.
    await page.evaluate("() => { document.body.dataset.stayed = 'yes'; }")
    await page.click("[data-testid=period-1d]")
    await page.wait_for_selector("[data-testid=dashboard-chart][data-period='1d']")
    await page.click("[data-testid=metric-sessions]")
    await page.wait_for_selector("[data-testid=dashboard-chart][data-metric='sessions']")
    assert await page.evaluate("() => document.body.dataset.stayed") == "yes"
    assert page.url.endswith("/?period=1d&metric=sessions")
    assert await page.locator("[data-testid=chart-bar]").count() in (23, 24, 25)
    assert await page.inner_text("[data-testid=chart-total]") == "Summe: 3"
    await screenshot(page, "dashboard-de-1d-sessions")

    await page.click("[data-testid=lang-en]")
    await page.wait_for_selector("html[lang=en]")
    await page.goto("/?period=12m&metric=revenue")
    assert "Sessions today" in await page.inner_text("[data-testid=session-tiles]")
    assert "Net revenue in EUR" in (await page.text_content("[data-testid=chart-svg]") or "")
    await screenshot(page, "dashboard-en-12m-revenue")
    await _axe(page, axe, "/?period=12m&metric=revenue", problems)
    assert problems == []

    # The "Not available" tile opens the overview filtered by that group: the offline station's charge points.
    await page.click("[data-testid=tile-unavailable]")
    await page.wait_for_url("**/infrastructure/overview?status=unavailable")
    assert await page.locator("[data-testid=filter-status] option:checked").inner_text() == "Not available"
    assert await page.locator("tbody tr").count() >= 2
