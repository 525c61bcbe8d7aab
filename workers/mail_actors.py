"""E-mail: each ``mail.send`` outbox message handed to ``send_mail``, which talks to the SMTP server (core.mail)."""

from __future__ import annotations

import dramatiq

from core.mail import mails
from workers import broker  # noqa: F401 - binds the actor to the configured broker


# The outbox owns retries (attempts, backoff, the error on the row), so Dramatiq does not retry on its own.
@dramatiq.actor(queue_name="mail", max_retries=0, time_limit=300_000)
async def send_mail(message_id: int) -> None:
    await mails.send(message_id)
