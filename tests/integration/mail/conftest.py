"""Mail tests: a real SMTP server (aiosmtpd in its own thread) that keeps what arrived, and csms's outbox relay
driven pass by pass (``relay_pass``) so that a test decides when "later" is."""

from __future__ import annotations

import dataclasses
import email
import email.policy
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from core import jobs, outbox
from core.db import transaction
from core.mail import mails
from core.mail.tables import Mail
from core.outbox import OutboxMessage
from core.settings import get_settings
from tests.support import TenantCtx, free_port

# Far enough ahead that no other relay (a live server of the browser tests) takes the test's messages first.
LATER = timedelta(days=30)
TEST_JOB = "test.mail.handed"


class Inbox:
    """aiosmtpd's handler: recipients starting with ``refused`` get 550, ``busy`` get 451; the rest arrive."""

    def __init__(self) -> None:
        self.received: list[tuple[list[str], EmailMessage]] = []

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if address.startswith("refused"):
            return "550 5.1.1 mailbox unavailable"
        if address.startswith("busy"):
            return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        self.received.append((list(envelope.rcpt_tos), parsed))  # type: ignore[arg-type]
        return "250 Message accepted"

    def to(self, address: str) -> list[EmailMessage]:
        return [message for rcpts, message in self.received if address in rcpts]


class SmtpServer:
    def __init__(self, port: int) -> None:
        self.port = port
        self.inbox = Inbox()
        self._controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> None:
        self._controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A real SMTP server on a free port, in its own thread (not started: ``start()`` it)."""
    server = SmtpServer(free_port())
    yield server
    server.stop()


@pytest.fixture
def smtp_settings(monkeypatch: pytest.MonkeyPatch, smtp_server: SmtpServer) -> SmtpServer:
    """csms with SMTP_URL pointing at the test's server and MAIL_FROM set."""
    configured = dataclasses.replace(get_settings(), smtp_url=smtp_server.url, mail_from="Demo CPO <mail@cpo.example>")
    monkeypatch.setattr(mails, "get_settings", lambda: configured)
    return smtp_server


@pytest.fixture
async def handed() -> AsyncIterator[list[int]]:
    """The outbox message ids the relay passes of this test handed to the mail job (recorded, run by the test)."""
    ids: list[int] = []
    jobs.register(TEST_JOB, ids.append)
    yield ids


async def outbox_row(mail_id: int) -> dict[str, Any]:
    row = await OutboxMessage.select().where(OutboxMessage.dedupe_key == f"mail:{mail_id}").first()
    assert row is not None
    return row


async def outbox_message_of(mail_id: int) -> tuple[int, datetime]:
    """The mail's outbox message id and when it is due (``queued_mail`` moved it out of other relays' reach)."""
    row = await outbox_row(mail_id)
    return int(row["id"]), row["available_at"]


async def relay_pass(handed: list[int], at: datetime) -> None:
    """One pass of the outbox relay at the time ``at``, handing mail messages to the recording job."""
    handed.clear()
    await outbox.relay_once(at=at, routes={mails.TOPIC: TEST_JOB})


async def queued_mail(ctx: TenantCtx, recipient: str, key: str, language: str | None = "de") -> int | None:
    """The mail "test" queued for ``ctx``'s tenant as a caller does it (in its transaction); None: a repeated key.

    In the same transaction its outbox message is moved ``LATER``: no other relay (a live server of the browser
    tests, with its own settings) takes it before the test does."""
    async with transaction():
        mail_id = await mails.queue_mail(
            tenant_id=ctx.id, recipient=recipient, language=language, kind="test", dedupe_key=key,
            context={"name": "Erika Muster", "requested_by": "admin@cpo.example", "tenant_name": ctx.tenant["name"]},
        )  # fmt: skip
        if mail_id is not None:
            await OutboxMessage.update({OutboxMessage.available_at: outbox.now() + LATER}).where(
                OutboxMessage.dedupe_key == f"mail:{mail_id}"
            )
    return mail_id


async def send_queued(recipient: str, kind: str) -> None:
    """csms's mail job (as a worker runs it) for the mail ``kind`` queued to ``recipient``: with ``smtp_settings``
    it talks to the test's SMTP server."""
    mail = await Mail.select(Mail.id).where(
        (Mail.recipient == recipient) & (Mail.kind == kind)
    ).first()  # fmt: skip
    assert mail is not None, (recipient, kind)
    message = await outbox_row(int(mail["id"]))
    await mails.send(int(message["id"]))
