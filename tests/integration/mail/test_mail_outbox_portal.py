"""The portal's e-mail outbox: a tenant's mails with status and bodies, only its own, only with the switch
"mail.view"; the test mail to oneself in one's language, once per form."""

from __future__ import annotations

import httpx

from core.errors import NotFound, PermissionDenied
from core.mail import mails
from core.mail.tables import Mail
from core.tenancy import logins
from core.tenancy.permissions import Permission
from tests.integration.mail.conftest import outbox_message_of, queued_mail
from tests.support import TenantCtx, app_client, login, make_user, post_form


async def queued(ctx: TenantCtx, recipient: str, key: str) -> int:
    mail_id = await queued_mail(ctx, recipient, key, "en")
    assert mail_id is not None
    return mail_id


async def test_the_outbox_lists_the_tenants_mails_and_shows_one(
    admin_client: httpx.AsyncClient, cpo: TenantCtx, other_cpo: TenantCtx, unique: str
) -> None:
    own = await queued(cpo, f"own-{unique}@driver.example", f"portal-own-{unique}")
    foreign = await queued(other_cpo, f"foreign-{unique}@driver.example", f"portal-foreign-{unique}")
    message_id, _ = await outbox_message_of(own)
    await mails.send(message_id)  # no SMTP_URL in the tests: kept as not sent

    listing = await admin_client.get("/settings/mail")
    assert listing.status_code == 200
    assert f"own-{unique}@driver.example" in listing.text and "Not sent: no SMTP configured" in listing.text
    assert f"foreign-{unique}" not in listing.text
    assert 'data-testid="no-smtp"' in listing.text

    shown = await admin_client.get(f"/settings/mail/{own}")
    assert shown.status_code == 200
    assert f"Test message from csms for {cpo.tenant['name']}" in shown.text
    assert "asked for this test message" in shown.text and "srcdoc=" in shown.text
    assert (await admin_client.get(f"/settings/mail/{foreign}")).status_code == 404
    assert (await admin_client.get("/settings/mail/999999999")).status_code == 404
    assert [m["id"] for m in await mails.list_mails(other_cpo.actor)] == [foreign]
    try:
        await mails.get_mail(other_cpo.actor, own)
        raise AssertionError("another tenant's mail was shown")
    except NotFound:
        pass


async def test_the_outbox_needs_its_own_switch(cpo: TenantCtx, unique: str) -> None:
    manager = await make_user(cpo.id, permissions=[Permission.USERS_MANAGE.value, Permission.SESSIONS_VIEW.value])
    reader = await make_user(cpo.id, permissions=[Permission.MAIL_VIEW.value])
    async with app_client() as client:
        await login(client, manager["email"])
        assert (await client.get("/settings/mail")).status_code == 403
        assert 'data-testid="mail-link"' not in (await client.get("/")).text
    async with app_client() as client:
        await login(client, reader["email"])
        assert (await client.get("/settings/mail")).status_code == 200
        assert 'data-testid="mail-link"' in (await client.get("/")).text
    try:
        await mails.list_mails(await logins.actor_for_user(manager))
        raise AssertionError("listed without the switch")
    except PermissionDenied:
        pass


async def test_a_test_mail_goes_to_oneself_in_ones_language_once_per_form(cpo: TenantCtx, unique: str) -> None:
    german = await make_user(cpo.id, permissions=[Permission.MAIL_VIEW.value], language="de")
    async with app_client() as client:
        await login(client, german["email"])
        form = {"token": f"form-{unique}"}
        first = await post_form(client, "/settings/mail/test", form)
        again = await post_form(client, "/settings/mail/test", form)  # the same form posted twice
        assert first.status_code == 303 and again.status_code == 303
        listing = await client.get("/settings/mail")
        assert german["email"] in listing.text
    rows = await Mail.select().where(Mail.recipient == german["email"])
    assert len(rows) == 1
    assert rows[0]["language"] == "de" and rows[0]["subject"] == f"Testnachricht von csms für {cpo.tenant['name']}"
    assert rows[0]["tenant"] == cpo.id and rows[0]["kind"] == "test"
