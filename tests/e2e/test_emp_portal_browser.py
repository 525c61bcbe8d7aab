"""The demo EMP's user in the browser (issue 14, Portal): the start page with its connection; the connection with
state, endpoints, roles and health, the tokens count, the sessions and CDRs csms made for its drivers and its OCPI
log, at desktop width and on a 390 px phone; each page passes the page walk's checks (axe-core, three widths, no raw
codes). Screenshots: test-artifacts/emp-*.png and test-artifacts/pages/demo-emp-*.png."""

from __future__ import annotations

import os
from typing import Any

import pytest
from axe_playwright_python.async_playwright import Axe

from core.demo import DEMO_EMP_EMAIL, DEMO_PASSWORD, load_demo
from core.roaming.tables import Partner
from core.tenancy.tables import Tenant
from tests.e2e.conftest import ARTIFACTS, browser_login, screenshot
from tests.e2e.test_every_page_browser import _check

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        os.environ.get("CSMS_TEST_MODE") == "embedded",
        reason="the pages are the same on both databases: scripts/test.sh scans them in its PostgreSQL run",
    ),
]


async def _demo_connection() -> int:
    await load_demo()
    emp = await Tenant.select(Tenant.id).where(Tenant.slug == "demo-emp").first()
    assert emp is not None
    partner = await Partner.select(Partner.id).where(Partner.tenant == emp["id"]).order_by(Partner.id).first()
    assert partner is not None
    return int(partner["id"])


async def test_the_demo_emp_sees_its_connection_drivers_and_log(page: Any, browser: Any, live_server: str) -> None:
    partner_id = await _demo_connection()
    base = f"/roaming/partners/{partner_id}"
    (ARTIFACTS / "pages").mkdir(parents=True, exist_ok=True)
    await browser_login(page, DEMO_EMP_EMAIL, DEMO_PASSWORD)
    await page.click("[data-testid=lang-de]")
    await page.wait_for_selector("html[lang=de]")
    await page.wait_for_selector("[data-testid=emp-connection]")  # the start page shows the connection
    assert await page.inner_text("[data-testid=emp-tokens]") == "3"
    await screenshot(page, "emp-dashboard")
    await page.click("[data-testid=nav-roaming]")
    await page.wait_for_url("**/roaming/partners")
    await page.click(f"[data-testid=partner-row][data-partner-id='{partner_id}'] a")
    await page.wait_for_selector("[data-testid=partner-facts]")
    facts = await page.inner_text("[data-testid=partner-facts]")
    assert "Beendet" in facts and "2.2.1" in facts  # the demo's platform is made up: its connection is ended
    assert await page.inner_text("[data-testid=partner-tokens]") == "3"
    assert await page.locator("[data-testid=partner-endpoints] tbody tr").count() == 3
    assert "E-Mobility-Anbieter" in await page.inner_text("[data-testid=partner-roles]")
    await page.wait_for_selector("[data-testid=partner-health]")
    await screenshot(page, "emp-connection")

    await page.click("[data-testid=partner-tab-sessions]")
    await page.wait_for_selector("[data-testid=partner-session-list]")
    rows = page.locator("[data-testid=partner-session-row]")
    assert await rows.count() == 4
    assert await rows.first.get_attribute("data-status") == "CHARGING"  # the newest first: the running one
    assert "Lädt" in await rows.first.inner_text() and "EUR" in await rows.nth(1).inner_text()
    await screenshot(page, "emp-sessions")

    await page.click("[data-testid=partner-tab-cdrs]")
    await page.wait_for_selector("[data-testid=partner-cdr-list]")
    assert await page.locator("[data-testid=partner-cdr-row]").count() == 3
    await screenshot(page, "emp-cdrs")

    await page.click("[data-testid=partner-log-link]")
    await page.wait_for_selector("[data-testid=log-table]")
    await page.select_option("select[name=period]", "all")
    await page.click("[data-testid=log-filter]")
    await page.wait_for_selector("[data-testid=exchange-row]")
    await screenshot(page, "emp-log")

    phone = await browser.new_context(base_url=live_server, viewport={"width": 390, "height": 844})
    tab = await phone.new_page()
    try:
        await tab.goto("/login")
        await tab.fill("input[name=email]", DEMO_EMP_EMAIL)
        await tab.fill("input[name=password]", DEMO_PASSWORD)
        await tab.click("button[type=submit]")
        await tab.wait_for_selector("[data-testid=logout]", state="attached")
        for name in ("", "/sessions", "/cdrs", "/log"):
            response = await tab.goto(base + name)
            assert response is not None and response.status == 200
            await tab.wait_for_selector("[data-testid=partner-tabs]")
            await screenshot(tab, f"emp-phone{name.replace('/', '-') or '-connection'}")
    finally:
        await phone.close()

    axe = Axe()
    problems: list[str] = []
    for name, path in (("dashboard", "/"), ("partner", base), ("sessions", f"{base}/sessions"),
                       ("cdrs", f"{base}/cdrs"), ("log", f"{base}/log?period=all")):  # fmt: skip
        response = await page.goto(path)
        assert response is not None and response.status == 200, path
        await _check(page, axe, f"demo-emp-{name}", path, problems)
    assert not problems, "\n".join(problems)
