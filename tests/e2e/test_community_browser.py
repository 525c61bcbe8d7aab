"""Community charging in a real browser: the CPO invites a driver on the community's page, the invitation arrives
at a real SMTP server (aiosmtpd), the driver opens the link, continues, and sees its sessions and last month's
statement; the same link a second time gives the "used" page. Screenshots in test-artifacts/.

The mail is sent by csms's own mail job (core.mail.mails.send) in the test process with SMTP_URL set to the test's
server: the shared live server has no SMTP_URL. In the PostgreSQL run the live server only hands mails to the Redis
queue, which no worker drains during the browser tests, so the mail job here is the one that sends it; embedded,
the live server would mark it "no SMTP" at once, so this test runs in the PostgreSQL run (like the page scan).
"""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from core.community import communities, months, statements
from core.community.demo import card_session
from core.payments.receipts import local_zone
from tests.e2e.conftest import browser_login, screenshot
from tests.integration.community.helpers import LINK, community_with_point
from tests.integration.mail.conftest import SmtpServer, send_queued, smtp_server, smtp_settings  # noqa: F401 - fixtures
from tests.support import TenantCtx

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        os.environ.get("CSMS_TEST_MODE") == "embedded",
        reason="the embedded live server settles mails itself without SMTP (see the module docstring)",
    ),
]


async def _send_invitation(address: str) -> None:
    """csms's mail job for the invitation to ``address``: it talks to the test's SMTP server."""
    await send_queued(address, "community_invite")


async def test_invite_mail_link_and_driver_page(
    page: Any,
    live_server: str,
    cpo: TenantCtx,
    unique: str,
    smtp_settings: SmtpServer,  # noqa: F811
) -> None:
    smtp_settings.start()
    setup = await community_with_point(cpo, name="Wohnanlage Lindenhof")
    address = f"lena-{unique}@mieter.example"

    await browser_login(page, cpo.admin["email"], cpo.password)
    await page.goto("/communities")
    await screenshot(page, "community-list")
    await page.click("text=Wohnanlage Lindenhof")
    await page.fill("[data-testid=invite-emails]", f"Lena Roth <{address}>")
    await page.select_option("[data-testid=invite-language]", "de")
    await page.click("[data-testid=invite-submit]")
    await page.wait_for_selector("[data-testid=flash]")
    assert "1 eingeladen" in await page.inner_text("[data-testid=flash]")
    assert address in await page.inner_text("[data-testid=members]")

    # a card for Lena and a session last month, and the month's statements written as the monthly job does
    rows = await communities.list_members(cpo.actor, setup.community["id"])
    lena = next(row for row in rows if row["email"] == address)
    from core.access import cards

    card = await cards.create_card(cpo.actor, {"uid": f"1E{unique[:6].upper()}"})
    await communities.assign_card(cpo.actor, setup.community["id"], lena["id"], card["id"])
    zone = local_zone(setup.community["time_zone"])
    last = months.completed_month(datetime.now(UTC), zone)
    await card_session(cpo.id, setup.charge_point_id, card["id"], last.bounds(zone)[0] + timedelta(days=2), 2, 15_000)
    await statements.write_month(setup.community["id"], last.period)
    await page.reload()
    await screenshot(page, "community-detail")

    await _send_invitation(address)
    received = smtp_settings.inbox.to(address)
    assert len(received) == 1
    message = received[0]
    assert "Einladung zum Community-Laden" in str(message["Subject"])
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    found = LINK.search(body.get_content())
    assert found, body.get_content()
    link = f"/driver/link/{found.group(1)}"

    driver = await page.context.browser.new_context(base_url=live_server, viewport={"width": 390, "height": 844})
    phone = await driver.new_page()
    try:
        await phone.goto(link)
        await phone.wait_for_selector("[data-testid=open-page]")
        await screenshot(phone, "community-driver-link")
        await phone.click("[data-testid=open-page]")
        await phone.wait_for_selector("[data-testid=driver-home]")
        assert "Wohnanlage Lindenhof" in await phone.inner_text("[data-testid=driver-community]")
        sessions = await phone.inner_text("[data-testid=driver-sessions]")
        assert "15,00 kWh" in sessions and "5,36 EUR" in sessions  # 15 kWh x 0.30 = 4.50 net + 0.86 VAT
        assert last.period in await phone.inner_text("[data-testid=driver-statements]")
        await screenshot(phone, "community-driver-page")
        await phone.click("[data-testid=driver-statement-link]")
        await phone.wait_for_selector("[data-testid=statement-gross]")
        assert "5,36 EUR" in await phone.inner_text("[data-testid=statement-gross]")
        await screenshot(phone, "community-driver-statement")
        # the same link again: the "used" page, in German
        response = await phone.goto(link)
        assert response is not None and response.status == 410
        assert "Dieser Link wurde bereits verwendet" in await phone.inner_text("h1")
        await screenshot(phone, "community-driver-link-used")
    finally:
        await driver.close()
    assert re.search(r"Lena Roth", await page.inner_text("[data-testid=members]"))
