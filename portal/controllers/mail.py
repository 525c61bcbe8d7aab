"""Settings: the e-mail outbox ("E-Mail-Ausgang"): the tenant's mails with their status, one mail's bodies, and a
test mail to oneself that proves the SMTP set-up (core.mail)."""

from __future__ import annotations

import secrets
from typing import Any

from litestar import Controller, Response, get, post

from core.errors import Message
from core.mail import mails
from core.settings import get_settings
from core.tenancy.permissions import Permission
from portal.auth import actor_of, requires
from portal.controllers.infra_common import AnyRequest, done, flash, form_of, page

PAGE = "/settings/mail"


class MailController(Controller):
    path = PAGE
    guards = [requires(Permission.MAIL_VIEW)]

    @get("/", name="mail_outbox")
    async def index(self, request: AnyRequest) -> Response[str]:
        context = {
            "mails": await mails.list_mails(actor_of(request)),
            "limit": mails.LIST_LIMIT,
            "smtp_configured": bool(get_settings().smtp_url),
            "token": secrets.token_urlsafe(12),  # one test mail per rendered form, however often it is posted
        }
        return page(request, "settings/mail.html", context)

    @get("/{mail_id:int}", name="mail_detail")
    async def detail(self, request: AnyRequest, mail_id: int) -> Response[str]:
        return page(request, "settings/mail_detail.html", {"mail": await mails.get_mail(actor_of(request), mail_id)})

    @post("/test")
    async def test_mail(self, request: AnyRequest) -> Response[Any]:
        token = str((await form_of(request)).get("token", "")).strip()[:40]
        if not token:  # not posted by the page's form: nothing to tell apart from a repeated post
            flash(request, Message("The form was incomplete; please try again."), kind="error")
            return done(request, PAGE)
        await mails.queue_test_mail(actor_of(request), token)
        flash(request, Message("Test mail queued. Its status is shown below."))
        return done(request, PAGE)
