"""Mails queued through core.mail arrive at a real SMTP server (aiosmtpd): German and English, plain text and HTML,
the headers a mail client needs; a server that is down is tried again after the outbox's backoff; a 550 fails the
mail for good; a dedupe key mails once; without SMTP_URL the mail stays in the outbox as not sent."""

from __future__ import annotations

from datetime import timedelta
from email.utils import parsedate_to_datetime

import pytest

from core import outbox
from core.errors import ValidationError
from core.mail import mails
from core.mail.tables import Mail
from core.outbox import OutboxMessage
from tests.integration.mail.conftest import SmtpServer, outbox_message_of, outbox_row, queued_mail, relay_pass
from tests.support import TenantCtx


async def queue(ctx: TenantCtx, recipient: str, language: str | None, key: str) -> int | None:
    return await queued_mail(ctx, recipient, key, language)


def unix(text: str) -> str:
    return text.replace("\r\n", "\n")  # SMTP carries CRLF line ends


async def mail_row(mail_id: int) -> dict:
    row = await Mail.select().where(Mail.id == mail_id).first()
    assert row is not None
    return row


async def test_german_and_english_mails_arrive_with_both_parts_and_headers(
    cpo: TenantCtx, smtp_settings: SmtpServer, unique: str
) -> None:
    smtp_settings.start()
    cpo.tenant["name"] = "Stadtwerke <Nord>"  # what the caller passes on: markup in a value
    german = await queue(cpo, f"erika-{unique}@driver.example", "de", f"t-de-{unique}")
    english = await queue(cpo, f"john-{unique}@driver.example", "en-GB", f"t-en-{unique}")
    assert german and english
    for mail_id in (german, english):
        message_id, _ = await outbox_message_of(mail_id)
        await mails.send(message_id)  # the job's body (workers.mail_actors.send_mail)

    [de] = smtp_settings.inbox.to(f"erika-{unique}@driver.example")
    [en] = smtp_settings.inbox.to(f"john-{unique}@driver.example")
    assert de["Subject"] == "Testnachricht von csms für Stadtwerke <Nord>"
    assert en["Subject"] == "Test message from csms for Stadtwerke <Nord>"
    for message, mail_id in ((de, german), (en, english)):
        row = await mail_row(mail_id)
        assert message["From"] == "Demo CPO <mail@cpo.example>"
        assert message["To"] == row["recipient"]
        assert message["Message-ID"] == row["message_id"] and row["message_id"].endswith("@cpo.example>")
        assert abs(parsedate_to_datetime(message["Date"]) - outbox.now()) < timedelta(minutes=5)
        assert message.get_content_type() == "multipart/alternative"
        text, html = message.get_body(("plain",)), message.get_body(("html",))
        assert text is not None and html is not None
        assert unix(text.get_content()) == row["body_text"] and unix(html.get_content()) == row["body_html"]
        assert "Stadtwerke <Nord>" in text.get_content()
        assert "Stadtwerke &lt;Nord&gt;" in html.get_content()  # escaped in HTML
        assert row["status"] == mails.MailStatus.SENT and row["sent_at"] is not None and row["last_error"] == ""
        assert (await outbox_row(mail_id))["delivered_at"] is not None
    assert "Hallo Erika Muster" in de.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert '<html lang="en">' in en.get_body(("html",)).get_content()  # type: ignore[union-attr]


async def test_a_server_that_is_down_is_tried_again_after_the_backoff(
    cpo: TenantCtx, smtp_settings: SmtpServer, handed: list[int], unique: str
) -> None:
    recipient = f"later-{unique}@driver.example"
    mail_id = await queue(cpo, recipient, "de", f"t-down-{unique}")
    assert mail_id
    message_id, due = await outbox_message_of(mail_id)

    await relay_pass(handed, due)  # the server is not running
    assert message_id in handed
    with pytest.raises(mails.MailNotSent):
        await mails.send(message_id)
    row = await mail_row(mail_id)
    assert row["status"] == mails.MailStatus.QUEUED and row["attempts"] == 1
    assert "ConnectionRefusedError" in row["last_error"]
    waiting = await outbox_row(mail_id)
    assert waiting["delivered_at"] is None and waiting["attempts"] == 1 and waiting["last_error"] == row["last_error"]

    await relay_pass(handed, due + outbox.backoff(1) - timedelta(seconds=1))
    assert message_id not in handed  # not before its backoff has passed

    smtp_settings.start()
    await relay_pass(handed, due + outbox.backoff(1))
    assert message_id in handed
    await mails.send(message_id)
    assert len(smtp_settings.inbox.to(recipient)) == 1
    row = await mail_row(mail_id)
    assert row["status"] == mails.MailStatus.SENT and row["attempts"] == 2 and row["last_error"] == ""
    assert (await outbox_row(mail_id))["delivered_at"] is not None


async def test_after_the_last_attempt_the_mail_is_failed(
    cpo: TenantCtx, smtp_settings: SmtpServer, unique: str
) -> None:
    mail_id = await queue(cpo, f"never-{unique}@driver.example", "de", f"t-last-{unique}")
    assert mail_id
    message_id, _ = await outbox_message_of(mail_id)
    await OutboxMessage.update({OutboxMessage.attempts: outbox.MAX_ATTEMPTS}).where(OutboxMessage.id == message_id)
    await mails.send(message_id)  # the server is still down at the relay's last hand-over
    row = await mail_row(mail_id)
    assert row["status"] == mails.MailStatus.FAILED and row["last_error"].startswith("gave up after")
    assert "ConnectionRefusedError" in row["last_error"]
    assert (await outbox_row(mail_id))["delivered_at"] is not None


async def test_a_temporary_refusal_is_retried(cpo: TenantCtx, smtp_settings: SmtpServer, unique: str) -> None:
    smtp_settings.start()
    mail_id = await queue(cpo, f"busy-{unique}@driver.example", "en", f"t-busy-{unique}")
    assert mail_id
    message_id, _ = await outbox_message_of(mail_id)
    with pytest.raises(mails.MailNotSent):
        await mails.send(message_id)
    row = await mail_row(mail_id)
    assert row["status"] == mails.MailStatus.QUEUED and "451" in row["last_error"]
    assert (await outbox_row(mail_id))["delivered_at"] is None
    assert smtp_settings.inbox.received == []


async def test_a_550_fails_the_mail_for_good(
    cpo: TenantCtx, smtp_settings: SmtpServer, handed: list[int], unique: str
) -> None:
    smtp_settings.start()
    mail_id = await queue(cpo, f"refused-{unique}@driver.example", "de", f"t-550-{unique}")
    assert mail_id
    message_id, due = await outbox_message_of(mail_id)
    await relay_pass(handed, due)
    assert message_id in handed
    await mails.send(message_id)  # no exception: nothing to try again
    row = await mail_row(mail_id)
    assert row["status"] == mails.MailStatus.FAILED
    assert "550" in row["last_error"] and "mailbox unavailable" in row["last_error"]
    assert (await outbox_row(mail_id))["delivered_at"] is not None
    await relay_pass(handed, due + timedelta(days=2))
    assert message_id not in handed  # never handed over again
    assert smtp_settings.inbox.received == []


async def test_one_business_event_mails_once(cpo: TenantCtx, smtp_settings: SmtpServer, unique: str) -> None:
    smtp_settings.start()
    recipient = f"once-{unique}@driver.example"
    first = await queue(cpo, recipient, "de", f"receipt:{unique}")
    again = await queue(cpo, recipient, "en", f"receipt:{unique}")  # a repeated event (a retried request)
    assert first is not None and again is None
    assert await Mail.count().where(Mail.dedupe_key == f"receipt:{unique}") == 1
    message_id, _ = await outbox_message_of(first)
    await mails.send(message_id)
    await mails.send(message_id)  # handed over twice: sent once
    assert len(smtp_settings.inbox.to(recipient)) == 1


async def test_without_smtp_the_mail_stays_in_the_outbox_as_not_sent(cpo: TenantCtx, unique: str) -> None:
    mail_id = await queue(cpo, f"nosmtp-{unique}@driver.example", "de", f"t-nosmtp-{unique}")
    assert mail_id
    message_id, _ = await outbox_message_of(mail_id)
    await mails.send(message_id)  # the test environment sets no SMTP_URL
    row = await mail_row(mail_id)
    assert row["status"] == mails.MailStatus.UNSENT and row["last_error"] == mails.NO_SMTP
    assert (await outbox_row(mail_id))["delivered_at"] is not None


async def test_bad_input_is_refused_before_anything_is_stored(cpo: TenantCtx, unique: str) -> None:
    with pytest.raises(ValidationError) as refused:
        await queue(cpo, "not an address", "de", f"t-bad-{unique}")
    assert "recipient" in refused.value.errors
    with pytest.raises(RuntimeError):  # outside the caller's transaction
        await mails.queue_mail(tenant_id=cpo.id, recipient="a@b.example", language="de", kind="test",
                               context={}, dedupe_key=f"t-notx-{unique}")  # fmt: skip
    assert await Mail.count().where(Mail.dedupe_key.like(f"t-%-{unique}")) == 0


def test_the_mail_job_is_wired_to_its_actor() -> None:
    from workers.actors import JOBS
    from workers.mail_actors import send_mail

    assert outbox.routes()[mails.TOPIC] == mails.JOB
    assert JOBS[mails.JOB] is send_mail and send_mail.options["max_retries"] == 0
