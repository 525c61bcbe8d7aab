"""The mails csms wrote: rendered once when queued, so what the portal shows is what was (or will be) sent."""

from __future__ import annotations

from piccolo.columns import ForeignKey, Integer, OnDelete, Serial, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from core.tenancy.tables import Tenant


class Mail(Table):
    """One mail to one recipient; ``dedupe_key`` names the business event it tells about (one mail per event)."""

    id: Serial
    tenant = ForeignKey(references=Tenant, on_delete=OnDelete.cascade, index=True)
    kind = Varchar(length=60)  # the template's name, e.g. "test"
    recipient = Varchar(length=254)
    language = Varchar(length=5)
    subject = Varchar(length=300)
    body_text = Text()
    body_html = Text()
    dedupe_key = Varchar(length=200, unique=True)
    message_id = Varchar(length=250)  # the Message-ID header, the same on every attempt
    status = Varchar(length=10, default="QUEUED", index=True)  # core.mail.mails.MailStatus
    attempts = Integer(default=0)
    last_error = Text(default="")
    sending_until = Timestamptz(null=True, default=None)  # a worker is talking to the SMTP server until then
    created_at = Timestamptz(default=TimestamptzNow(), index=True)
    sent_at = Timestamptz(null=True, default=None)
