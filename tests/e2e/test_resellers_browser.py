"""Resellers in a real browser (German): the reseller's administrator onboards a sub-CPO on the "Sub-CPOs" page, the
invitation arrives at a real SMTP server (aiosmtpd), the new administrator chooses a password through the link and is
logged in (and logs in with it later), and the reseller opens the usage export of a month. Screenshots in
test-artifacts/.

As in tests/e2e/test_community_browser.py the mail is sent by csms's own mail job in the test process with SMTP_URL
set to the test's server (the shared live server has none); embedded, the live server settles mails itself without
SMTP, so this test runs in the PostgreSQL run.
"""

from __future__ import annotations

import os
import re
from typing import Any

import pytest

from core.tenancy.tables import StaffUser, Tenant
from tests.e2e.conftest import browser_login, screenshot
from tests.integration.mail.conftest import SmtpServer, send_queued, smtp_server, smtp_settings  # noqa: F401 - fixtures
from tests.integration.resellers.test_usage import _sub_cpo_with_october
from tests.support import make_tenant

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        os.environ.get("CSMS_TEST_MODE") == "embedded",
        reason="the embedded live server settles mails itself without SMTP (see the module docstring)",
    ),
]


async def test_reseller_onboards_a_sub_cpo_whose_admin_sets_a_password(
    page: Any,
    browser: Any,
    live_server: str,
    unique: str,
    smtp_settings: SmtpServer,  # noqa: F811
) -> None:
    smtp_settings.start()
    reseller = await make_tenant(kind="RESELLER")
    await Tenant.update({Tenant.name: "Ladepartner Süd", Tenant.debtor_number: "R-1000"}).where(
        Tenant.id == reseller.id)  # fmt: skip
    with_data = await _sub_cpo_with_october(reseller, unique)
    await Tenant.update({Tenant.name: "Energie Ammersee", Tenant.debtor_number: "D-2001"}).where(
        Tenant.id == with_data.id)  # fmt: skip
    address = f"nora-{unique}@nord.example"
    slug = f"nord-{unique}"
    party = unique[:3].upper().replace("0", "N")

    await browser_login(page, reseller.admin["email"], reseller.password)
    await page.click("[data-testid=nav-sub-cpos]")
    await page.wait_for_selector("[data-testid=reseller-model]")
    assert "Resellermodell" in await page.inner_text("[data-testid=reseller-model]")
    await screenshot(page, "resellers-sub-cpos")
    await page.click("[data-testid=new-sub-cpo]")
    for name, value in {
        "name": "Stadtwerke Nord", "slug": slug, "party_id": party, "debtor_number": f"D-{unique}",
        "legal_name": "Stadtwerke Nord GmbH", "street": "Hafenstr. 2", "postal_code": "2045", "city": "Hamburg",
        "vat_id": "DE987654321", "support_email": "hilfe@nord.example", "hotline": "+49 40 1234",
        "admin_name": "Nora Nord", "admin_email": address,
    }.items():  # fmt: skip
        await page.fill(f"[name={name}]", value)
    await page.click("[data-testid=create-sub-cpo]")
    await page.wait_for_selector("#error-postal_code")  # the company data's checks, next to the field
    assert await page.input_value("[name=slug]") == slug  # what was typed stays
    await screenshot(page, "resellers-onboarding-error")
    await page.fill("[name=postal_code]", "20457")
    await page.click("[data-testid=create-sub-cpo]")
    await page.wait_for_selector("[data-testid=flash]")
    assert address in await page.inner_text("[data-testid=flash]")
    assert "eingeladen, noch kein Passwort gesetzt" in await page.inner_text("[data-testid=sub-cpo-account]")
    await screenshot(page, "resellers-sub-cpo-detail")

    await send_queued(address, "staff_invitation")
    [received] = smtp_settings.inbox.to(address)
    text = received.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert "Ladepartner Süd" in text and "Stadtwerke Nord" in text
    token = re.search(r"/invitation/([A-Za-z0-9_-]+)", text)
    assert token is not None

    invited = await browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900})
    tab = await invited.new_page()
    await tab.goto(f"/invitation/{token.group(1)}")
    await tab.wait_for_selector("[data-testid=invitation-form]")
    assert address in await tab.inner_text("[data-testid=invitation-form]")
    await screenshot(tab, "resellers-invitation")
    await tab.fill("[name=password]", "nord-admin-2026")
    await tab.fill("[name=repeat_password]", "nord-admin-2026")
    await tab.click("[data-testid=set-password]")
    await tab.wait_for_selector("[data-testid=logout]")  # logged in
    await screenshot(tab, "resellers-invited-admin-dashboard")
    await tab.click("[data-testid=logout]")
    await tab.goto(f"/invitation/{token.group(1)}")
    assert await tab.get_attribute("[data-testid=invitation-outcome]", "data-outcome") == "USED"
    await browser_login(tab, address, "nord-admin-2026")
    user = await StaffUser.select(StaffUser.last_login_at).where(StaffUser.email == address).first()
    assert user is not None and user["last_login_at"] is not None
    await invited.close()

    await page.goto("/resellers/usage?month=2026-10")
    await page.wait_for_selector("[data-testid=usage-product-row]")
    assert "Energie Ammersee" in await page.inner_text("main") and "Stadtwerke Nord" in await page.inner_text("main")
    await screenshot(page, "resellers-usage")
    await page.select_option("[data-testid=usage-filter-sub-cpo]", str(with_data.id))
    await page.click("[data-testid=usage-filters] button[type=submit]")
    await page.wait_for_selector("[data-testid=usage-sub-cpo] >> nth=0")
    href = await page.get_attribute("[data-testid=usage-export]", "href")
    assert href is not None and f"sub_cpo={with_data.id}" in href
    exported = await page.request.get(href)
    body = (await exported.body()).decode("utf-8-sig")
    assert exported.status == 200 and body.startswith("Monat;Sub-CPO;Debitorennummer") and "6,71" in body
