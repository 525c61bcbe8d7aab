import pytest

from tests.e2e.conftest import browser_login, screenshot
from tests.support import TenantCtx

pytestmark = pytest.mark.browser


async def test_login_dashboard_and_language_switch(page, cpo: TenantCtx) -> None:
    await browser_login(page, cpo.admin["email"], cpo.password)
    assert await page.locator("html").get_attribute("lang") == "de"
    assert await page.locator("[data-testid=status-tiles] .tile").count() == 4
    assert "Verfügbar" in await page.inner_text("[data-testid=status-tiles]")
    await page.click("[data-testid=lang-en]")
    await page.wait_for_selector("html[lang=en]")
    assert "Available" in await page.inner_text("[data-testid=status-tiles]")
    await screenshot(page, "dashboard")
    await page.click("[data-testid=logout]")
    await page.wait_for_url("**/login")


async def test_wrong_password_shows_message(page, cpo: TenantCtx) -> None:
    await page.goto("/login")
    await page.fill("input[name=email]", cpo.admin["email"])
    await page.fill("input[name=password]", "wrong-password")
    await page.click("button[type=submit]")
    alert = page.locator("[role=alert]")
    assert "falsch" in await alert.inner_text() or "wrong" in await alert.inner_text()
