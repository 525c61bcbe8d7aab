"""Seed 001's 360.SUPPORT walk in the browser, in German, against a live csms that mails to a local SMTP server
(aiosmtpd): a user without the switch "Tab Betriebsführung" does not see the tab; one with it but without
"Kostenfreigabe" sees 360.SUPPORT explained and no buttons, and a POST is refused; the administrator is blocked
until the EVSE-ID and the technician exist, follows the links to fix them, confirms the monthly cost, activates
(the confirmation mail arrives), prints the sticker sheet, ends it (the deactivation mail arrives)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from email.message import EmailMessage
from typing import Any

import pytest

from core.tenancy.permissions import Permission
from tests.e2e.conftest import browser_login, screenshot
from tests.e2e.test_driver_pay_browser import mail_site  # noqa: F401 - a live csms of this module's own with SMTP
from tests.integration.infrastructure.conftest import make_site
from tests.integration.mail.conftest import SmtpServer
from tests.support import TenantCtx, make_user

pytestmark = pytest.mark.browser


@pytest.fixture
async def context_factory(browser: Any, mail_site: tuple[str, SmtpServer]) -> AsyncIterator[Any]:  # noqa: F811
    contexts: list[Any] = []

    async def new_page() -> Any:
        context = await browser.new_context(base_url=mail_site[0], viewport={"width": 1400, "height": 900})
        contexts.append(context)
        return await context.new_page()

    yield new_page
    for context in contexts:
        await context.close()


async def german(page: Any, email: str, password: str) -> None:
    await browser_login(page, email, password)
    await page.click("[data-testid=lang-de]")
    await page.wait_for_selector("html[lang=de]")


async def arrived(smtp: SmtpServer, address: str, subject: str) -> EmailMessage:
    for _ in range(150):
        found = [m for m in smtp.inbox.to(address) if m["Subject"] == subject]
        if found:
            return found[0]
        await asyncio.sleep(0.2)
    raise AssertionError(f"no mail {subject!r} to {address}: {[m['Subject'] for m in smtp.inbox.to(address)]}")


async def test_seed_360_support_walk(
    context_factory: Any,
    mail_site: tuple[str, SmtpServer],  # noqa: F811
    cpo: TenantCtx,
    unique: str,
) -> None:
    smtp = mail_site[1]
    site = await make_site(cpo, unique)
    station_id, cp_id = site.station["id"], site.charge_point["id"]
    tab_url = f"/infrastructure/stations/{station_id}?tab=operations"
    view = [Permission.INFRASTRUCTURE_VIEW.value]

    # Without "Tab Betriebsführung": the station data sheet has no such tab.
    page = await context_factory()
    await german(page, (await make_user(cpo.id, permissions=view))["email"], cpo.password)
    await page.goto(f"/infrastructure/stations/{station_id}")
    await page.wait_for_selector("[data-testid=tabs]")
    assert await page.locator("[data-tab=operations]").count() == 0
    await screenshot(page, "support360-1-no-tab")

    # With the tab but without "Kostenfreigabe": explained, no buttons, and a POST is refused.
    page = await context_factory()
    await german(page, (await make_user(cpo.id, permissions=[*view, Permission.OPERATIONS_TAB.value]))["email"],
                 cpo.password)  # fmt: skip
    await page.goto(tab_url)
    await page.wait_for_selector("[data-testid=support360-no-right]")
    assert "Kostenfreigabe aktivieren" in await page.inner_text("[data-testid=support360-no-right]")
    assert await page.locator("[data-testid=support360-activate-start]").count() == 0
    await screenshot(page, "support360-2-without-cost-approval")
    csrf = next(c["value"] for c in await page.context.cookies() if c["name"] == "csms_csrf")
    for action in ("activate", "deactivate"):
        refused = await page.request.post(f"/operations/stations/{station_id}/support360/{action}",
                                          form={"cost_confirmed": "on"}, headers={"x-csrftoken": csrf})  # fmt: skip
        assert refused.status == 403

    # The administrator (both switches): blocked until EVSE-ID and technician exist.
    page = await context_factory()
    await german(page, cpo.admin["email"], cpo.password)
    await page.goto(tab_url)
    await page.wait_for_selector("[data-testid=support360-missing]")
    missing = await page.inner_text("[data-testid=support360-missing]")
    assert "Ladepunkt 1 hat keine EVSE-ID." in missing and "Der Name des Technikers fehlt." in missing
    assert await page.locator("[data-testid=support360-activate-start]").count() == 0
    assert "Nicht aktiv" in await page.inner_text("[data-testid=support360-status]")
    await screenshot(page, "support360-3-blocked")

    await page.click(f"[data-testid='missing-evse_id:{cp_id}'] a")
    await page.wait_for_selector("[data-testid=configuration-form]")
    await page.fill("[data-testid=configuration-form] input[name=evse_id]", f"DE*ISE*E{unique}*1")
    await page.click("[data-testid=configuration-form] [data-testid=save]")
    await page.wait_for_selector("[data-testid=flash]")

    await page.goto(tab_url)
    await page.click("[data-testid=missing-technician_name] a")
    await page.wait_for_selector("[data-testid=station-form]")
    await page.fill("input[name=technician_name]", "Max Techniker")
    await page.fill("input[name=technician_phone]", "+49 89 555123")
    await page.fill("input[name=technician_email]", "technik@service.example")
    await page.click("[data-testid=station-form] [data-testid=save]")
    await page.wait_for_selector("[data-testid=flash]")

    # Ready: "Jetzt aktivieren" -> the confirm step with the cost; without the tick it is refused.
    await page.goto(tab_url)
    await page.click("[data-testid=support360-activate-start]")
    await page.wait_for_selector("[data-testid=support360-confirm]")
    price = await page.inner_text("[data-testid=support360-price]")
    assert "14,90 EUR netto" in price and "17,73 EUR brutto" in price
    await screenshot(page, "support360-4-confirm")
    await page.click("[data-testid=support360-activate]")
    await page.wait_for_selector(".has-error")
    assert "Bestätigen Sie die monatlichen Kosten" in await page.inner_text("[data-testid=support360-confirm]")
    await page.check("[data-testid=confirm-cost]")
    await page.click("[data-testid=support360-activate]")
    await page.wait_for_selector("[data-testid=support360-deactivate]")
    assert "Aktivierungsbestätigung" in await page.inner_text("[data-testid=flash]")
    assert "Aktiv" in await page.inner_text("[data-testid=support360-status]")
    await screenshot(page, "support360-5-active")
    mail = await arrived(smtp, cpo.admin["email"], f"360.SUPPORT aktiviert: CB-{unique}")
    body = mail.get_body(("plain",))
    assert body is not None and "Es wird immer ein ganzer Monat verrechnet" in body.get_content()

    # The sticker sheet: 360.SUPPORT, the hotline, the EVSE-ID in several sizes.
    await page.click("[data-testid=support360-stickers]")
    await page.wait_for_selector("[data-testid=support-sticker]")
    stickers = page.locator("[data-testid=support-sticker]")
    assert await stickers.count() == 7
    assert f"DE*ISE*E{unique.upper()}*1" in await stickers.first.inner_text()
    assert site.location["hotline"] in await stickers.first.inner_text()
    await screenshot(page, "support360-6-stickers")
    await page.emulate_media(media="print")
    await screenshot(page, "support360-6-stickers-print")
    await page.emulate_media(media="screen")

    # "Betriebsführung für Ladestation beenden": ended, the mail arrives.
    await page.goto(tab_url)
    await page.click("[data-testid=support360-deactivate]")
    await page.wait_for_selector("[data-testid=support360-activate-start]")
    assert "Deaktivierungsbestätigung" in await page.inner_text("[data-testid=flash]")
    await screenshot(page, "support360-7-ended")
    await arrived(smtp, cpo.admin["email"], f"360.SUPPORT beendet: CB-{unique}")
