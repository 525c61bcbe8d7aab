"""Browser walk through the infrastructure pages: location, station and charge point created through the forms."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import browser_login, screenshot
from tests.support import TenantCtx

pytestmark = pytest.mark.browser


async def test_create_location_station_charge_point_and_switch_tabs(page: Any, cpo: TenantCtx, unique: str) -> None:
    await browser_login(page, cpo.admin["email"], cpo.password)
    await page.click("[data-testid=lang-en]")
    await page.wait_for_selector("html[lang=en]")

    # Location, with one opening hours row added by the editor.
    await page.goto("/infrastructure/locations")
    await page.click("[data-testid=new-location]")
    await page.fill("input[name=name]", f"Parkhaus {unique}")
    await page.fill("input[name=address]", "Marienplatz 8")
    await page.fill("input[name=postal_code]", "80331")
    await page.fill("input[name=city]", "München")
    await page.fill("input[name=latitude]", "48.1374")
    await page.fill("input[name=longitude]", "11.5755")
    await page.fill("input[name=hotline]", "+49 89 123456")
    await page.uncheck("input[name=twentyfourseven]")
    await page.click("[data-testid=add-hours]")
    await page.select_option("select[name=oh_weekday]", "1")
    await page.fill("input[name=oh_from]", "07:00")
    await page.fill("input[name=oh_to]", "22:00")
    await page.check("input[value=EV_ONLY]")
    await screenshot(page, "infra-location-form")
    await page.click("[data-testid=save]")
    await page.wait_for_selector("[data-testid=location-facts]")
    assert "Monday: 07:00–22:00" in await page.inner_text("[data-testid=location-facts]")
    assert "48.137400, 11.575500" in await page.inner_text("[data-testid=map]")
    await screenshot(page, "infra-location-detail")

    # Station: the password is shown once together with the OCPP URL.
    await page.click("[data-testid=add-station]")
    await page.fill("input[name=charge_box_id]", f"BR-{unique}")
    await page.fill("input[name=name]", "Wallbox Nord")
    await page.fill("input[name=vendor]", "Alfen")
    await page.fill("input[name=model]", "Eve Double")
    await page.click("[data-testid=save]")
    await page.wait_for_selector("[data-testid=station-secret]")
    assert f"/ocpp/BR-{unique}" in await page.inner_text("[data-testid=secret-url]")
    assert len(await page.inner_text("[data-testid=station-password]")) >= 16
    await page.wait_for_selector("[data-testid=tab-info]")
    await screenshot(page, "infra-station-created")

    # Charge point with a bad EVSE-ID first: the error sits next to the field, the input is kept.
    await page.click("[data-testid=add-charge-point]")
    await page.fill("input[name=evse_id]", "DE-ISE-12")
    await page.fill("input[name=physical_reference]", "Links")
    await page.click("[data-testid=save]")
    error = page.locator("label.has-error:has(input[name=evse_id]) .error")
    assert "Not a valid EVSE-ID" in await error.inner_text()
    assert await page.input_value("input[name=physical_reference]") == "Links"
    await screenshot(page, "infra-charge-point-error")
    await page.fill("input[name=evse_id]", f"DE*ISE*E{unique[:6].upper()}*1")
    await page.select_option("select[name=standard]", "IEC_62196_T2_COMBO")
    await page.select_option("select[name=power_type]", "DC")
    await page.fill("input[name=max_electric_power]", "150000")
    await page.click("[data-testid=save]")
    await page.wait_for_selector("[data-testid=cp-title]")
    assert "DE*ISE*E" in await page.inner_text("[data-testid=cp-title]")
    # The control tab belongs to another area; whatever it answers, the other tabs work.
    await page.wait_for_selector("#tab-content:not(:has(.muted:only-child))")
    await screenshot(page, "infra-charge-point-first-tab")
    await page.click("[data-tab=device]")
    await page.wait_for_selector("[data-testid=connectors]")
    assert "150.0 kW" in await page.inner_text("[data-testid=connectors]")
    await screenshot(page, "infra-charge-point-device")

    # Station data sheet: tabs switch by htmx and the URL follows the tab.
    await page.click("[data-testid=station-link]")
    await page.wait_for_selector("[data-testid=tab-info]")
    await page.click("[data-tab=ocpp]")
    await page.wait_for_selector("[data-testid=tab-ocpp]")
    assert page.url.endswith("?tab=ocpp")
    assert f"/ocpp/BR-{unique}" in await page.inner_text("[data-testid=ocpp-url]")
    await page.click("[data-tab=access]")
    await page.wait_for_selector("[data-testid=marketing-checklist]")
    # The nine items of the infrastructure, then the roaming ones: own operator id, remote authorisation.
    assert await page.locator("[data-testid=marketing-checklist] li[data-ok=yes]").count() == 11
    assert await page.locator("[data-tab=access].active").count() == 1
    await screenshot(page, "infra-station-access")
    await page.reload()
    await page.wait_for_selector("[data-testid=marketing-checklist]")  # the deep link opens the same tab
    await page.click("[data-tab=map]")
    await page.wait_for_selector("[data-testid=tab-map] svg")
    await screenshot(page, "infra-station-map")

    # The same data sheet in German.
    await page.click("[data-testid=lang-de]")
    await page.wait_for_selector("html[lang=de]")
    await page.click("[data-tab=ocpp]")
    await page.wait_for_selector("[data-testid=tab-ocpp]")
    assert "OCPP Kommunikation" in await page.inner_text("[data-testid=tabs]")
    assert "Zuweisungen" in await page.inner_text("[data-testid=tabs]")
    await screenshot(page, "infra-station-ocpp-de")
    await page.goto("/infrastructure/stations")
    assert f"BR-{unique}" in await page.inner_text("[data-testid=stations]")
    await screenshot(page, "infra-stations-de")
    await page.goto("/infrastructure/stations/new")
    await screenshot(page, "infra-station-form-de")
