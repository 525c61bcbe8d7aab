"""Browser walk through "Produkt zuweisen" (seed 003): the catalogue, the overview's selection into the wizard
(product, stations, review with a skipped DC station and the monthly cost, Kostenfreigabe), the result, and the
station's "Produkte" tab with "Beenden"."""

from __future__ import annotations

from typing import Any

import pytest

from core.infrastructure import charge_points
from core.products import assignments
from tests.e2e.conftest import browser_login, screenshot
from tests.integration.infrastructure.conftest import make_site
from tests.support import TenantCtx

pytestmark = pytest.mark.browser


async def test_assign_a_product_from_the_overview_selection_and_end_it_on_the_station(
    page: Any, cpo: TenantCtx, unique: str
) -> None:
    ac = await make_site(cpo, "A" + unique)
    dc = await make_site(cpo, "D" + unique)
    await charge_points.update_connector(
        cpo.actor, dc.connector["id"], {"power_type": "DC", "standard": "IEC_62196_T2_COMBO"}
    )
    await browser_login(page, cpo.admin["email"], cpo.password)
    await page.click("[data-testid=lang-de]")
    await page.wait_for_selector("html[lang=de]")

    await page.goto("/infrastructure/products")
    row = await page.inner_text("[data-testid=product-EOPERATE_AC]")
    assert "9,90 EUR" in row and "11,78 EUR" in row and "Roaming" in row
    await screenshot(page, "products-catalogue")

    # Erweiterte Übersicht: tick both stations' charge points, then "Produkt zuweisen".
    await page.goto(f"/infrastructure/overview?q={ac.station['charge_box_id']},{dc.station['charge_box_id']}")
    for site, count in ((ac, 1), (dc, 2)):
        await page.check(f"[data-testid=select-{site.charge_point['id']}]")
        await page.wait_for_selector(f"[data-testid=selection-count]:has-text('{count} Ladepunkt')")
    await page.click("[data-testid=bulk-assign-product]")
    await page.wait_for_selector("[data-testid=choose-product]")
    assert "2 Ladestationen sind vorausgewählt." in await page.inner_text("[data-testid=choose-product]")
    await page.check("[data-testid=product-choice-EOPERATE_AC]")
    await screenshot(page, "products-wizard-1-product")
    await page.click("[data-testid=next]")

    await page.wait_for_selector("[data-testid=wizard-stations]")
    for site in (ac, dc):
        assert await page.is_checked(f"[data-testid=wizard-stations] input[value='{site.station['id']}']")
    await screenshot(page, "products-wizard-2-stations")
    await page.click("[data-testid=next]")

    await page.wait_for_selector("[data-testid=review]")
    review = await page.inner_text("[data-testid=review]")
    assert "1 Ladestation erhält das Produkt" in review and "Das Produkt ist für AC-Ladestationen." in review
    assert "9,90 EUR" in await page.inner_text("[data-testid=review-total]")
    await page.click("[data-testid=confirm-assign]")  # without the Kostenfreigabe tick: refused next to it
    await page.wait_for_selector("#error-approve_costs")
    assert "Kostenfreigabe" in await page.inner_text("#error-approve_costs")
    await page.check("[data-testid=approve-costs]")
    await screenshot(page, "products-wizard-3-review")
    await page.click("[data-testid=confirm-assign]")

    await page.wait_for_selector("[data-testid=assign-result]")
    assert ac.station["charge_box_id"] in await page.inner_text("[data-testid=result-assigned]")
    assert dc.station["charge_box_id"] in await page.inner_text("[data-testid=result-skipped]")
    await screenshot(page, "products-wizard-result")

    # The station's Produkte tab: the assignment, then "Beenden" with its confirmation.
    await page.click("[data-testid=result-assigned] a")
    await page.wait_for_selector("[data-testid=tab-products]")
    tab = await page.inner_text("[data-testid=station-products]")
    assert "eOperate professional AC" in tab and "Aktiv" in tab
    await screenshot(page, "products-station-tab")
    await page.click("[data-testid=end-product]")
    await page.wait_for_selector("[data-testid=confirm-end-product]")
    await screenshot(page, "products-end-confirm")
    await page.click("[data-testid=confirm-end-product]")
    await page.wait_for_selector("[data-testid=flash]")
    await page.wait_for_selector("[data-testid=tab-products]")
    assert await page.locator("[data-testid=end-product]").count() == 0
    (ended,) = await assignments.station_assignments(cpo.actor, ac.station["id"])
    assert ended["ends_at"] is not None
