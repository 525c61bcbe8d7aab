"""Browser walk: create a tariff (gross prices and preview update while typing), assign it with the wizard and see
it on the charge point's "Tariffs" tab."""

from __future__ import annotations

from typing import Any

import pytest

from core.infrastructure import charge_points
from tests.e2e.conftest import browser_login, screenshot
from tests.integration.infrastructure.conftest import make_site
from tests.support import TenantCtx

pytestmark = pytest.mark.browser


async def test_create_assign_and_see_tariff(page: Any, cpo: TenantCtx, unique: str) -> None:
    site = await make_site(cpo, unique)
    await charge_points.update_charge_point(cpo.actor, site.charge_point["id"], {"evse_id": f"DE*ISE*E{unique[:6]}*1"})
    await browser_login(page, cpo.admin["email"], cpo.password)
    await page.click("[data-testid=lang-en]")
    await page.wait_for_selector("html[lang=en]")

    await page.goto("/tariffs")
    await page.click("[data-testid=new-tariff]")
    assert "cannot be changed later" in await page.inner_text("[data-testid=currency-warning]")
    await page.fill("input[name=name]", "Demo Tarif")
    await page.fill("input[name=ac_energy_per_kwh]", "0,4000")
    await page.fill("input[name=ac_time_per_minute]", "0,0200")
    await page.fill("input[name=ac_time_from_minute]", "60")
    await page.fill("input[name=dc_energy_per_kwh]", "0,5000")
    # The preview is rendered by the server while typing (HTMX), with the seed's example numbers.
    preview = page.locator("[data-testid=preview-ac]")
    await preview.wait_for()
    await page.wait_for_selector("[data-testid=preview-ac]:has-text('11.19')")
    assert "9.40 EUR net + 1.79 EUR VAT = 11.19 EUR" in await preview.inner_text()
    assert "0.4760" in await page.inner_text("[data-testid=gross-ac-kwh]")
    await screenshot(page, "tariffs-form")
    await page.click("[data-testid=save-tariff]")
    await page.wait_for_selector("[data-testid=tariffs]")
    assert "Demo Tarif" in await page.inner_text("[data-testid=tariffs]")

    # Wizard: choose the charge point, the tariff and the time, review, confirm.
    await page.click("[data-testid=assign-tariff]")
    await page.check(f"[data-testid=select-cp][value='{site.charge_point['id']}']")
    await page.click("[data-testid=wizard-next]")
    await page.select_option(
        "[data-testid=tariff-select]",
        label=await page.locator("[data-testid=tariff-select] option", has_text="Demo Tarif").inner_text(),
    )
    await page.click("[data-testid=wizard-next]")
    await page.wait_for_selector("[data-testid=review-ok]")
    await screenshot(page, "tariffs-review")
    await page.click("[data-testid=confirm-assign]")

    # The charge point page opens on its Tariffs tab.
    await page.wait_for_selector("[data-testid=tab-cp-tariffs]")
    assert "Demo Tarif" in await page.inner_text("[data-testid=active-tariff]")
    assert "Demo Tarif" in await page.inner_text("[data-testid=tariff-history]")
    await screenshot(page, "tariffs-charge-point-tab")

    # In German the seed's terms appear, and the currency is now fixed by the first tariff.
    await page.click("[data-testid=lang-de]")
    await page.wait_for_selector("html[lang=de]")
    await page.goto("/tariffs/new")
    form = await page.inner_text("[data-testid=tariff-form]")
    assert "Preis pro kWh" in form and "gültig ab (min)" in form and "Blockiergebühr" in form
    assert "Nettopreise" in await page.inner_text("[data-testid=net-notice]")
    assert await page.locator("[data-testid=currency-warning]").count() == 0
    await screenshot(page, "tariffs-form-de")


async def test_wizard_keeps_ticks_while_filtering(page: Any, cpo: TenantCtx, unique: str) -> None:
    first, second = await make_site(cpo, "A" + unique), await make_site(cpo, "B" + unique)
    await browser_login(page, cpo.admin["email"], cpo.password)
    await page.click("[data-testid=lang-en]")
    await page.wait_for_selector("html[lang=en]")

    await page.goto("/tariffs/assign")
    await page.check(f"[data-testid=select-cp][value='{first.charge_point['id']}']")
    # Filtering hides the ticked charge point; the tick travels along instead of being lost.
    await page.fill("[data-testid=filter-search]", f"CB-B{unique}")
    await page.press("[data-testid=filter-search]", "Enter")
    await page.wait_for_selector(f"[data-testid=carried-cp][value='{first.charge_point['id']}']", state="attached")
    assert await page.locator("[data-testid=select-cp]").count() == 1
    assert "not shown here" in await page.inner_text("[data-testid=selected-count]")
    await page.check(f"[data-testid=select-cp][value='{second.charge_point['id']}']")
    await page.click("[data-testid=wizard-next]")
    assert "2 charge points chosen" in await page.inner_text("[data-testid=chosen-count]")

    # Unticking a visible charge point does drop it.
    await page.go_back()
    await page.goto(
        f"/tariffs/assign?charge_point_ids={first.charge_point['id']}&charge_point_ids={second.charge_point['id']}"
    )
    await page.uncheck(f"[data-testid=select-cp][value='{first.charge_point['id']}']")
    await page.click("[data-testid=wizard-next]")
    assert "1 charge point chosen" in await page.inner_text("[data-testid=chosen-count]")
