"""The e-mail outbox in the browser (German): a mail csms kept because no SMTP server is configured, its bodies,
and the test mail to oneself."""

import pytest

from core.mail import mails
from tests.e2e.conftest import german_login, screenshot
from tests.integration.mail.conftest import outbox_message_of, queued_mail
from tests.support import TenantCtx

pytestmark = pytest.mark.browser


async def test_the_outbox_shows_a_kept_mail_and_sends_a_test_mail(page, cpo: TenantCtx, unique: str) -> None:
    recipient = f"erika-{unique}@driver.example"
    mail_id = await queued_mail(cpo, recipient, f"browser:{unique}")
    assert mail_id
    message_id, _ = await outbox_message_of(mail_id)
    await mails.send(message_id)  # the worker's job; the tests configure no SMTP_URL

    await german_login(page, cpo.admin["email"], cpo.password)
    await page.click("[data-testid=mail-link]")
    await page.wait_for_url("**/settings/mail")
    assert "E-Mail-Ausgang" in await page.inner_text("h1")
    assert "kein SMTP-Server eingerichtet" in await page.inner_text("[data-testid=no-smtp]")
    row = page.locator(f"[data-testid=mail-row][data-mail-id='{mail_id}']")
    assert recipient in await row.inner_text()
    assert "Nicht gesendet: kein SMTP eingerichtet" in await row.inner_text()
    await screenshot(page, "mail-outbox")

    await row.locator("a").click()
    await page.wait_for_url(f"**/settings/mail/{mail_id}")
    assert f"Testnachricht von csms für {cpo.tenant['name']}" in await page.inner_text("[data-testid=mail-subject]")
    assert "Hallo Erika Muster" in await page.inner_text("[data-testid=mail-text]")
    frame = page.frame_locator("[data-testid=mail-html]")
    assert "Testnachricht von csms" in await frame.locator("h1").inner_text()
    await screenshot(page, "mail-detail")

    await page.click("[data-testid=back-to-outbox]")
    await page.click("[data-testid=send-test-mail]")
    await page.wait_for_selector("[data-testid=flash]")
    assert "Testmail ist in der Warteschlange" in await page.inner_text("[data-testid=flash]")
    assert cpo.admin["email"] in await page.inner_text("[data-testid=mails]")
