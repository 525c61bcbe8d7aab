"""SMTP with the standard library: ``SMTP_URL`` parsed, a message built, sent in a thread, failures sorted into
"try again later" and "this mail will never go out".

``smtp://user:password@host:587?starttls=1`` (STARTTLS), ``smtps://user:password@host:465`` (implicit TLS),
``smtp://host:25`` (plain, e.g. a local relay). User and password are percent-decoded.
"""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from urllib.parse import parse_qs, unquote, urlsplit

TIMEOUT_SECONDS = 30.0
TRUE = {"1", "true", "yes", "on"}


class MailNotSent(Exception):
    """The SMTP server did not take the mail now (unreachable, 4xx, login refused): it is tried again later."""


class MailRefused(Exception):
    """The SMTP server refused the mail for good (5xx to sender, recipient or data): it is not tried again."""


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    implicit_tls: bool = False
    starttls: bool = False
    username: str = ""
    password: str = ""

    def __repr__(self) -> str:  # never the password in a log line
        return f"SmtpConfig({self.host}:{self.port}, tls={self.implicit_tls}, starttls={self.starttls})"


def parse_smtp_url(url: str) -> SmtpConfig:
    """``SMTP_URL`` as a SmtpConfig; ValueError saying what is wrong."""
    parts = urlsplit(url.strip())
    if parts.scheme not in {"smtp", "smtps"}:
        raise ValueError("SMTP_URL must start with smtp:// or smtps://")
    if not parts.hostname:
        raise ValueError("SMTP_URL names no host")
    try:
        port = parts.port
    except ValueError:
        raise ValueError("SMTP_URL has an invalid port") from None
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    implicit_tls = parts.scheme == "smtps"
    return SmtpConfig(
        host=parts.hostname,
        port=port or (465 if implicit_tls else 25),
        implicit_tls=implicit_tls,
        starttls=not implicit_tls and query.get("starttls", "").lower() in TRUE,
        username=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
    )


def build_message(*, sender: str, recipient: str, subject: str, text: str, html: str, message_id: str) -> EmailMessage:
    """A multipart/alternative mail: plain text first, HTML second (clients show the last part they can)."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = recipient
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = message_id
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies to csms
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message


def sender_address(mail_from: str) -> str:
    """The bare address of ``MAIL_FROM`` (``csms <noreply@example.com>`` -> ``noreply@example.com``)."""
    return parseaddr(mail_from)[1] or mail_from


def _refused_for_good(code: int) -> bool:
    return 500 <= code < 600


def _send(config: SmtpConfig, message: EmailMessage) -> None:
    context = ssl.create_default_context()
    smtp: smtplib.SMTP
    if config.implicit_tls:
        smtp = smtplib.SMTP_SSL(config.host, config.port, timeout=TIMEOUT_SECONDS, context=context)
    else:
        smtp = smtplib.SMTP(config.host, config.port, timeout=TIMEOUT_SECONDS)
    with smtp:
        if config.starttls:
            smtp.starttls(context=context)
        if config.username:
            smtp.login(config.username, config.password)
        smtp.send_message(message)


def send_now(config: SmtpConfig, message: EmailMessage) -> None:
    """Hand ``message`` to the server (blocking). MailRefused when it refuses for good, MailNotSent otherwise."""
    try:
        _send(config, message)
    except smtplib.SMTPRecipientsRefused as exc:
        reasons = "; ".join(f"{rcpt}: {code} {_text(reply)}" for rcpt, (code, reply) in exc.recipients.items())
        if all(_refused_for_good(code) for code, _ in exc.recipients.values()):
            raise MailRefused(reasons) from None
        raise MailNotSent(reasons) from None
    except smtplib.SMTPAuthenticationError as exc:
        # The login of SMTP_URL is wrong: the operator fixes the setting and the retries deliver.
        raise MailNotSent(f"login refused: {exc.smtp_code} {_text(exc.smtp_error)}") from None
    except smtplib.SMTPResponseException as exc:
        reason = f"{exc.smtp_code} {_text(exc.smtp_error)}"
        if _refused_for_good(exc.smtp_code):
            raise MailRefused(reason) from None
        raise MailNotSent(reason) from None
    except (OSError, smtplib.SMTPException) as exc:  # unreachable, TLS, timeout, disconnected
        raise MailNotSent(f"{type(exc).__name__}: {exc}") from None


async def send(config: SmtpConfig, message: EmailMessage) -> None:
    """``send_now`` in a thread, so the event loop keeps serving while the SMTP server talks."""
    await asyncio.to_thread(send_now, config, message)


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
