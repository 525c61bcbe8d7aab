"""Keyboard, screen reader and small screens in a real browser: the skip link, focus on the first error of a form
(whole page and htmx), the top bar at 1,024 px and the menu on a 390 px phone."""

from __future__ import annotations

from typing import Any

import pytest
from axe_playwright_python.async_playwright import Axe

from tests.e2e.conftest import browser_login, screenshot
from tests.integration.ocpp.conftest import make_station
from tests.integration.overview.helpers import add_charge_point
from tests.support import TenantCtx

pytestmark = pytest.mark.browser

ACTIVE = "() => { const e = document.activeElement; return e && (e.getAttribute('data-testid') || e.name || e.id); }"
# What a person tabs to or taps in the top bar.
TOPBAR_CONTROLS = ".topbar a, .topbar button:not(.menu-toggle)"


async def described_by(page: Any, selector: str) -> str:
    """The text a screen reader reads as the field's description (its help and error messages)."""
    script = """field => (field.getAttribute('aria-describedby') || '').split(' ').filter(Boolean)
        .map(id => document.getElementById(id).textContent.trim()).join(' | ')"""
    return str(await page.eval_on_selector(selector, script))


async def test_skip_link_is_the_first_tab_stop_and_leads_past_the_menu(page: Any, cpo: TenantCtx) -> None:
    await browser_login(page, cpo.admin["email"], cpo.password)
    await page.goto("/infrastructure/locations/new")
    await page.keyboard.press("Tab")
    assert await page.evaluate(ACTIVE) == "skip-link"
    box = await page.locator("[data-testid=skip-link]").bounding_box()
    assert box is not None and box["y"] >= 0 and box["width"] > 0  # shown once it has the focus
    await screenshot(page, "a11y-skip-link")
    await page.keyboard.press("Enter")
    assert await page.evaluate(ACTIVE) == "main"
    await page.keyboard.press("Tab")  # the next stop is in the page, not in the menu
    assert await page.evaluate("() => document.activeElement.closest('main') !== null")


async def test_a_form_error_moves_the_focus_to_the_marked_field(page: Any, cpo: TenantCtx, unique: str) -> None:
    await browser_login(page, cpo.admin["email"], cpo.password)
    await page.goto("/infrastructure/locations/new")
    for name, value in (("name", f"Hof {unique}"), ("address", "Weg 1"), ("postal_code", "10115"), ("city", "Berlin"),
                        ("latitude", "north")):  # fmt: skip
        await page.fill(f"input[name={name}]", value)
    await page.click("[data-testid=save]")
    await page.wait_for_selector(".alert.error")
    assert await page.evaluate(ACTIVE) == "latitude"
    latitude = "input[name=latitude]"
    assert await page.get_attribute(latitude, "aria-invalid") == "true"
    description = await described_by(page, latitude)
    assert "48.137154" in description and "Zahl" in description  # the help text and the error message
    assert await page.get_attribute("input[name=name]", "aria-invalid") is None  # only the wrong field is marked
    results = await Axe().run(page)
    serious = [v["id"] for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert serious == []
    await screenshot(page, "a11y-form-error-focus")

    # A form that htmx posts into a tab: the focus follows the error there too.
    station = await make_station(cpo, "FE" + unique)
    await page.goto(f"/infrastructure/charge-points/{station.charge_points[0]['id']}?tab=configuration")
    await page.fill("[data-testid=configuration-form] input[name=evse_id]", "DE-ISE-12")
    await page.click("[data-testid=configuration-form] [data-testid=save]")
    await page.wait_for_selector("[data-testid=configuration-form] .has-error")
    await page.wait_for_function("() => document.activeElement && document.activeElement.name === 'evse_id'")
    assert await page.get_attribute("input[name=evse_id]", "aria-invalid") == "true"
    assert "EVSE" in await described_by(page, "input[name=evse_id]")


async def test_the_top_bar_fits_1024_px(page: Any, cpo: TenantCtx) -> None:
    await page.set_viewport_size({"width": 1024, "height": 768})
    await browser_login(page, cpo.admin["email"], cpo.password)  # German: the longest labels
    await page.goto("/infrastructure/overview")
    controls = page.locator(TOPBAR_CONTROLS)
    assert await controls.count() >= 12  # eight areas, profile, API keys, languages, log out
    for i in range(await controls.count()):
        control = controls.nth(i)
        box = await control.bounding_box()
        assert await control.is_visible() and box is not None, await control.inner_text()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 1024, f"{await control.inner_text()} is off screen: {box}"
    bar = await page.locator(".topbar").bounding_box()
    logout = await page.locator("[data-testid=logout]").bounding_box()
    assert bar and logout and logout["x"] + logout["width"] <= bar["x"] + bar["width"]  # light text on the dark bar
    assert logout["y"] + logout["height"] <= bar["y"] + bar["height"]
    await screenshot(page, "layout-topbar-1024")


async def test_a_phone_gets_a_menu_and_big_enough_check_boxes(page: Any, cpo: TenantCtx) -> None:
    await add_charge_point(cpo, city="Berlin")
    await page.set_viewport_size({"width": 390, "height": 844})
    await page.goto("/login")
    await page.fill("input[name=email]", cpo.admin["email"])
    await page.fill("input[name=password]", cpo.password)
    await page.click("button[type=submit]")
    toggle = page.locator("[data-testid=menu-toggle]")
    await toggle.wait_for()
    assert await toggle.get_attribute("aria-expanded") == "false"
    assert not await page.locator("[data-testid=logout]").is_visible()  # folded away
    await screenshot(page, "layout-phone-menu-closed")

    await toggle.click()
    assert await toggle.get_attribute("aria-expanded") == "true"
    controls = page.locator(TOPBAR_CONTROLS)
    for i in range(await controls.count()):
        box = await controls.nth(i).bounding_box()
        name = await controls.nth(i).inner_text()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390, name
        assert box["height"] >= 24, name  # a finger can hit it
    await screenshot(page, "layout-phone-menu-open")
    await page.keyboard.press("Escape")
    assert await toggle.get_attribute("aria-expanded") == "false"
    assert await page.evaluate(ACTIVE) == "menu-toggle"

    await toggle.click()
    await page.click("nav.mainnav >> text=Infrastruktur")
    await page.wait_for_selector("[data-testid=overview-table]")
    checkbox = await page.locator("[data-testid=overview-table] input[type=checkbox]").first.bounding_box()
    assert checkbox is not None and checkbox["width"] >= 24 and checkbox["height"] >= 24
    assert await page.evaluate("document.documentElement.scrollWidth") <= 390  # the table scrolls in its box
    await screenshot(page, "layout-phone-overview")
    await toggle.click()
    await page.click("[data-testid=logout]")
    await page.wait_for_selector("input[name=email]")
