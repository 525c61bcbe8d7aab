"""Queue a mail in the caller's transaction; the job ``mail.send`` sends it; the portal lists a tenant's mails.

Sending (``send``, the job's body) runs outside any transaction: it claims the mail for the SMTP talk
(``sending_until``, so a second hand-over of the same outbox message during a slow server does not send it twice),
talks to the server in a thread, then records the outcome:

- sent: status SENT, the outbox message delivered;
- no ``SMTP_URL``: status UNSENT ("not sent: no SMTP configured"), delivered: nothing will send it later;
- refused for good (5xx to sender, recipient or data): status FAILED with the server's reason, delivered;
- anything else (server down, 4xx, login refused): the error on the mail and the outbox message, which hands it
  over again after its backoff (core.outbox), up to ``outbox.MAX_ATTEMPTS``; then FAILED.

A crash between the server's 250 and the status update sends the mail once more on the next attempt, with the same
Message-ID (at least once: a mail lost silently is worse than a duplicate the recipient's client can fold).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import timedelta
from email.utils import make_msgid
from enum import StrEnum
from typing import Any

from core import jobs, outbox
from core.db import engine, transaction
from core.errors import Message, NotFound, ValidationError
from core.mail import transport
from core.mail.rendering import mail_language, render
from core.mail.tables import Mail
from core.outbox import OutboxMessage
from core.settings import get_settings
from core.tenancy.actor import Actor
from core.tenancy.permissions import Permission
from core.tenancy.tables import StaffUser, Tenant
from core.tenancy.tenants import tenant_language
from core.validation import is_email

log = logging.getLogger("csms.mail")

TOPIC = "mail.send"
JOB = "mail.send"
outbox.route(TOPIC, JOB)
NO_SMTP = "not sent: no SMTP configured"
LIST_LIMIT = 200
CLAIM_SECONDS = 4 * transport.TIMEOUT_SECONDS  # connect, TLS, login, data: each may take the socket timeout


class MailStatus(StrEnum):
    QUEUED = "QUEUED"  # waiting for the worker, or for its next attempt (last_error says why the last one failed)
    SENT = "SENT"
    FAILED = "FAILED"  # refused for good, or given up after the outbox's attempts
    UNSENT = "UNSENT"  # no SMTP_URL when the worker took it


class MailNotSent(transport.MailNotSent, jobs.RetryLater):
    """Raised by the job so that the outbox hands the message over again after its backoff."""


async def queue_mail(
    *,
    tenant_id: int,
    recipient: str,
    language: str | None,
    kind: str,
    context: Mapping[str, Any],
    dedupe_key: str,
) -> int | None:
    """Render the mail ``kind`` for ``recipient`` in ``language`` (de or en; anything else: the default language)
    and store it with its outbox message, inside the caller's transaction. Returns the mail's id, or None when a
    mail with this ``dedupe_key`` (the business event, e.g. ``receipt:<session id>``) exists already.

    ValidationError for a recipient that is not an e-mail address. Call ``core.outbox.kick()`` after the commit.
    """
    if engine().current_transaction.get() is None:
        raise RuntimeError("queue_mail must run inside the transaction of the change (core.db.transaction)")
    address = recipient.strip()
    if not is_email(address):
        raise ValidationError({"recipient": Message("Enter a valid e-mail address.")})
    settings = get_settings()
    language = mail_language(language, default=settings.default_language)
    rendered = render(kind, language, {"recipient": address, **context})
    domain = transport.sender_address(settings.mail_from).rpartition("@")[2] or "localhost"
    inserted = (
        await Mail.insert(
            Mail(
                tenant=tenant_id, kind=kind, recipient=address, language=language, subject=rendered.subject,
                body_text=rendered.text, body_html=rendered.html, dedupe_key=dedupe_key[:200],
                message_id=make_msgid(domain=domain), status=MailStatus.QUEUED.value,
            )
        )
        .on_conflict(target=Mail.dedupe_key, action="DO NOTHING")
        .returning(Mail.id)
    )  # fmt: skip
    if not inserted:
        return None
    mail_id = int(inserted[0]["id"])
    await outbox.publish(TOPIC, f"mail:{mail_id}", {"mail_id": mail_id})
    return mail_id


async def queue_test_mail(actor: Actor, token: str) -> int:
    """A test mail to the acting user, in the user's language (else the tenant's): proves the SMTP set-up.
    ``token`` makes each request its own event (a repeated form post with the same token mails once)."""
    actor.require(Permission.MAIL_VIEW)
    user = await StaffUser.select().where(StaffUser.id == (actor.user_id or 0)).first()
    if user is None:
        raise NotFound("user")
    tenant = await Tenant.select().where(Tenant.id == actor.tenant_id).first()
    if tenant is None:
        raise NotFound("tenant")
    async with transaction():
        mail_id = await queue_mail(
            tenant_id=actor.tenant_id, recipient=user["email"], kind="test",
            language=mail_language(user["language"], tenant_language(tenant)),
            context={"name": user["name"], "requested_by": actor.label, "tenant_name": tenant["name"]},
            dedupe_key=f"test:{actor.user_id}:{token}",
        )  # fmt: skip
    outbox.kick()
    if mail_id is None:  # the same request once more: show the mail it made
        row = await Mail.select(Mail.id).where(Mail.dedupe_key == f"test:{actor.user_id}:{token}").first()
        mail_id = int(row["id"]) if row else 0
    return mail_id


# --- the job -------------------------------------------------------------------------------------------------


async def _finish(mail_id: int, message_id: int, status: MailStatus, error: str = "") -> None:
    values: dict[Any, Any] = {Mail.status: status.value, Mail.last_error: error[:2000], Mail.sending_until: None}
    if status is MailStatus.SENT:
        values[Mail.sent_at] = outbox.now()
    await Mail.update(values).where(Mail.id == mail_id)
    await outbox.settle(message_id)


async def _claim(mail_id: int) -> dict[str, Any] | None:
    """The queued mail, now reserved for this worker's SMTP talk; None when it is sent, failed or being sent."""
    at = outbox.now()
    claimed = (
        await Mail.update({Mail.sending_until: at + timedelta(seconds=CLAIM_SECONDS), Mail.attempts: Mail.attempts + 1})
        .where(
            (Mail.id == mail_id)
            & (Mail.status == MailStatus.QUEUED.value)
            & (Mail.sending_until.is_null() | (Mail.sending_until < at))
        )
        .returning(*Mail.all_columns())
    )
    return claimed[0] if claimed else None


async def send(message_id: int) -> None:
    """The job ``mail.send``: send the mail of the outbox message ``message_id`` (see the module's docstring)."""
    rows = await OutboxMessage.select(OutboxMessage.payload, OutboxMessage.attempts, OutboxMessage.delivered_at).where(
        (OutboxMessage.id == message_id) & (OutboxMessage.topic == TOPIC)
    )
    if not rows or rows[0]["delivered_at"] is not None:
        return
    mail_id = int(outbox._payload(rows[0]["payload"]).get("mail_id", 0))
    status = await Mail.select(Mail.status).where(Mail.id == mail_id).first()
    if status is None or status["status"] != MailStatus.QUEUED.value:
        await outbox.settle(message_id)  # gone with its tenant, or settled by an earlier run
        return
    settings = get_settings()
    if not settings.smtp_url:
        await _finish(mail_id, message_id, MailStatus.UNSENT, NO_SMTP)
        return
    mail = await _claim(mail_id)
    if mail is None:
        return  # another worker is talking to the server about it; it settles the message
    try:
        config = transport.parse_smtp_url(settings.smtp_url)
        message = transport.build_message(
            sender=settings.mail_from, recipient=mail["recipient"], subject=mail["subject"],
            text=mail["body_text"], html=mail["body_html"], message_id=mail["message_id"],
        )  # fmt: skip
        await transport.send(config, message)
    except transport.MailRefused as exc:
        log.warning("mail %s to %s refused: %s", mail_id, mail["recipient"], exc)
        await _finish(mail_id, message_id, MailStatus.FAILED, str(exc))
        return
    except (transport.MailNotSent, ValueError) as exc:  # ValueError: SMTP_URL is malformed, fixed by the operator
        error = str(exc) if isinstance(exc, transport.MailNotSent) else f"SMTP_URL: {exc}"
        if int(rows[0]["attempts"]) >= outbox.MAX_ATTEMPTS:
            await _finish(mail_id, message_id, MailStatus.FAILED, f"gave up after {mail['attempts']} attempts: {error}")
            return
        await Mail.update({Mail.last_error: error[:2000], Mail.sending_until: None}).where(Mail.id == mail_id)
        await outbox.settle(message_id, error)
        raise MailNotSent(f"mail {mail_id}: {error}") from None
    await _finish(mail_id, message_id, MailStatus.SENT)


# --- the portal's e-mail outbox ----------------------------------------------------------------------------------

LIST_COLUMNS = (Mail.id, Mail.tenant, Mail.kind, Mail.recipient, Mail.language, Mail.subject, Mail.status,
                Mail.attempts, Mail.last_error, Mail.created_at, Mail.sent_at)  # fmt: skip


async def list_mails(actor: Actor, limit: int = LIST_LIMIT) -> list[dict[str, Any]]:
    """The newest mails of the actor's tenants, newest first (without their bodies)."""
    actor.require(Permission.MAIL_VIEW)
    return list(
        await Mail.select(*LIST_COLUMNS)
        .where(Mail.tenant.is_in(actor.scope))
        .order_by(Mail.created_at, ascending=False)
        .order_by(Mail.id, ascending=False)
        .limit(limit)
    )


async def get_mail(actor: Actor, mail_id: int) -> dict[str, Any]:
    """One mail of the actor's tenants with its bodies; NotFound for another tenant's."""
    actor.require(Permission.MAIL_VIEW)
    row = await Mail.select().where((Mail.id == mail_id) & Mail.tenant.is_in(actor.scope)).first()
    if row is None:
        raise NotFound("mail")
    return row
