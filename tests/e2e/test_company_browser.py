"""Company data (Unternehmensdaten) in a browser: the admin enters them at /settings/company (a wrong postal code
is named next to its field first), and a driver's receipt then shows the CPO's legal name, address and VAT id;
axe-core on both pages, screenshots for a human to look at. The demo tenant is German: the portal speaks German."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from axe_playwright_python.async_playwright import Axe

from core.payments import receipts
from core.tariffs.tables import TariffAssignment
from tests.e2e.conftest import browser_login, screenshot
from tests.integration.cdrs.conftest import finished_session
from tests.integration.driver_pay.conftest import captured_payment, make_pay_site
from tests.support import TenantCtx

pytestmark = pytest.mark.browser


async def _no_serious_violations(page: Any, where: str) -> None:
    results = await Axe().run(page)
    serious = [(v["id"], v["help"]) for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert serious == [], f"{where}: {serious}"


async def test_company_data_entered_and_printed_on_the_receipt(page: Any, cpo: TenantCtx, unique: str) -> None:
    site = await make_pay_site(cpo, unique)
    await TariffAssignment.update({TariffAssignment.valid_from: datetime.now(UTC) - timedelta(hours=2)}).where(
        TariffAssignment.charge_point == site.charge_point["id"]
    )  # in force when the session below started: the receipt has a price
    start = datetime.now(UTC) - timedelta(minutes=45)
    session_id = await finished_session(cpo, site.station, energy_wh=10_000, minutes=30, start=start)
    payment = await receipts.ensure_token(await captured_payment(cpo, site, session_id))

    await browser_login(page, cpo.admin["email"], cpo.password)
    await page.click("[data-testid=company-link]")
    await page.wait_for_selector("[data-testid=company-form]")
    await page.fill("input[name=legal_name]", "Stadtwerke Muster GmbH")
    await page.fill("input[name=street]", "Hauptstr. 1")
    await page.fill("input[name=postal_code]", "8033")
    await page.fill("input[name=city]", "München")
    await page.select_option("select[name=address_country]", "DE")
    await page.fill("input[name=vat_id]", "DE 123 456 789")
    await page.fill("input[name=support_email]", "hilfe@sw.example")
    await page.fill("input[name=hotline]", "+49 89 1234")
    await page.click("[data-testid=save-company]")
    await page.wait_for_selector("#error-postal_code")
    assert "Geben Sie eine Postleitzahl des gewählten Landes ein." in await page.inner_text("#error-postal_code")
    assert await page.input_value("input[name=legal_name]") == "Stadtwerke Muster GmbH"
    await screenshot(page, "company-data-error")

    await page.fill("input[name=postal_code]", "80331")
    await page.click("[data-testid=save-company]")
    await page.wait_for_selector("[data-testid=flash]")
    assert await page.input_value("input[name=vat_id]") == "DE123456789"
    assert "Firmenname (rechtlich)" in await page.inner_text("[data-testid=audit-history]")
    await _no_serious_violations(page, "company data")
    await screenshot(page, "company-data")

    await page.goto(receipts.receipt_path(payment["receipt_token"]))
    operator = await page.inner_text("[data-testid=receipt-operator]")
    assert "Stadtwerke Muster GmbH" in operator and "Hauptstr. 1, 80331 München" in operator
    assert "DE123456789" in operator
    await _no_serious_violations(page, "receipt")
    await screenshot(page, "company-receipt")
