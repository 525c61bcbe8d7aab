"""Resellers (seed 003): the "Sub-CPOs" pages of a reseller tenant (list, onboarding, master data, the first
administrator's invitation), the usage export per sub-CPO and month, and the public set-password page behind the
invitation link. Rules in core.resellers and core.tenancy.invitations; every page needs ``resellers.sub_cpos`` and a
reseller tenant (core refuses other tenants)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.response import Redirect, Stream

from core.errors import Message, Throttled, ValidationError
from core.months import Month
from core.resellers import sub_cpos, usage
from core.tenancy import company, invitations, staff_sessions, tenants
from core.tenancy.invitations import InvitationOutcome
from core.tenancy.permissions import Permission
from portal import i18n
from portal.auth import SESSION_KEY, actor_of, client_address, requires
from portal.controllers.infra_common import (
    AnyRequest,
    done,
    flash,
    form_error_status,
    form_of,
    history,
    page,
)
from portal.csv_export import csv_download
from portal.templating import render

LIST = "/resellers/sub-cpos"
USAGE = "/resellers/usage"
GUARD = [requires(Permission.SUB_CPOS_MANAGE)]


def _countries() -> list[tuple[str, str]]:
    return [(code, company.COUNTRY_NAMES[code]) for code in company.COUNTRIES]


def _raw(form: Any, names: tuple[str, ...]) -> dict[str, Any]:
    return {name: str(form.get(name, "")).strip() for name in names}


async def _form_page(request: AnyRequest, values: dict[str, Any], errors: dict[str, Message] | None = None,
                     status_code: int = 200) -> Response[str]:  # fmt: skip
    context = {"values": values, "errors": errors or {}, "countries": _countries()}
    return page(request, "resellers/new.html", context, status_code=status_code)


async def _detail_page(request: AnyRequest, sub_cpo_id: int, values: dict[str, Any] | None = None,
                       errors: dict[str, Message] | None = None, status_code: int = 200) -> Response[str]:  # fmt: skip
    actor = actor_of(request)
    sub = await sub_cpos.get_sub_cpo(actor, sub_cpo_id)
    pending = [a for a in sub["admins"] if a["password_changed_at"] is None and a["last_login_at"] is None]
    context = {
        "sub": sub, "pending": pending, "countries": _countries(), "errors": errors or {},
        "values": values if values is not None else {k: sub.get(k) or "" for k in sub_cpos.MASTER_FIELDS},
        "history": await history(actor, "sub_cpo", sub_cpo_id),
    }  # fmt: skip
    return page(request, "resellers/detail.html", context, status_code=status_code)


async def _month(request: AnyRequest) -> Month:
    chosen = Month.parse(request.query_params.get("month", ""))
    if chosen is not None:
        return chosen
    today = datetime.now(await usage.reseller_zone(actor_of(request)))
    return Month(today.year, today.month).previous()


def _sub_id(request: AnyRequest) -> int | None:
    text = str(request.query_params.get("sub_cpo", "")).strip()
    return int(text) if text.isdigit() and len(text) < 12 else None


class ResellerController(Controller):
    path = "/resellers"
    guards = GUARD

    @get("/sub-cpos", name="sub_cpos")
    async def index(self, request: AnyRequest) -> Response[str]:
        actor = actor_of(request)
        context = {"subs": await sub_cpos.list_sub_cpos(actor), "model": await sub_cpos.reseller_model(actor)}
        return page(request, "resellers/index.html", context)

    @get("/sub-cpos/new")
    async def new(self, request: AnyRequest) -> Response[str]:
        sub_cpos.require_reseller(actor_of(request))
        return await _form_page(request, {"country_code": "DE", "address_country": "DE"})

    @post("/sub-cpos")
    async def create(self, request: AnyRequest) -> Response[Any]:
        raw = _raw(await form_of(request), sub_cpos.FORM_FIELDS)
        try:
            sub = await sub_cpos.onboard(actor_of(request), raw)
        except ValidationError as exc:
            return await _form_page(request, raw, dict(exc.errors), form_error_status(request))
        flash(request, Message("The sub-CPO was created and its administrator invited by e-mail (%(email)s).",
                               {"email": raw["admin_email"].lower()}))  # fmt: skip
        return done(request, f"{LIST}/{sub['id']}")

    @get("/sub-cpos/{sub_cpo_id:int}")
    async def detail(self, request: AnyRequest, sub_cpo_id: int) -> Response[str]:
        return await _detail_page(request, sub_cpo_id)

    @post("/sub-cpos/{sub_cpo_id:int}")
    async def save(self, request: AnyRequest, sub_cpo_id: int) -> Response[Any]:
        raw = _raw(await form_of(request), sub_cpos.MASTER_FIELDS)
        try:
            await sub_cpos.update_sub_cpo(actor_of(request), sub_cpo_id, raw)
        except ValidationError as exc:
            return await _detail_page(request, sub_cpo_id, raw, dict(exc.errors), form_error_status(request))
        flash(request, Message("The changes were saved."))
        return done(request, f"{LIST}/{sub_cpo_id}")

    @post("/sub-cpos/{sub_cpo_id:int}/invitation")
    async def resend(self, request: AnyRequest, sub_cpo_id: int) -> Response[Any]:
        email = await sub_cpos.resend_invitation(actor_of(request), sub_cpo_id)
        flash(request, Message("A new invitation was sent to %(email)s.", {"email": email}))
        return done(request, f"{LIST}/{sub_cpo_id}")

    @get("/usage", name="sub_cpo_usage")
    async def usage_page(self, request: AnyRequest) -> Response[str]:
        actor = actor_of(request)
        month, chosen = await _month(request), _sub_id(request)
        context = {
            "month": month, "usages": await usage.usage(actor, month, chosen), "chosen": chosen,
            "subs": await sub_cpos.list_sub_cpos(actor), "cents": usage.cents,
        }  # fmt: skip
        return page(request, "resellers/usage.html", context)

    @get("/usage.csv")
    async def usage_csv(self, request: AnyRequest) -> Stream:
        month, chosen = await _month(request), _sub_id(request)
        usages = await usage.usage(actor_of(request), month, chosen)
        _ = i18n.gettext
        rows = usage.export_rows(month, usages, _)

        async def batches() -> AsyncIterator[list[list[Any]]]:
            yield rows

        header = [message.render(_) for message in usage.HEADER]
        name = f"usage-{month.period}" + (f"-{usages[0].debtor_number or chosen}" if chosen and usages else "")
        return csv_download(f"{name}.csv", header, batches(), delimiter=";", bom=True)


# --- the invited user's set-password page (public: the link's token is the credential) --------------------------

OUTCOME_STATUS = {InvitationOutcome.USED: 410, InvitationOutcome.EXPIRED: 410, InvitationOutcome.INVALID: 404}


def _outcome_page(request: AnyRequest, outcome: InvitationOutcome) -> Response[str]:
    return render(request, "resellers/invitation_outcome.html", {"outcome": outcome.value},
                  status_code=OUTCOME_STATUS[outcome])  # fmt: skip


def _too_many(request: AnyRequest, exc: Throttled) -> Response[str]:
    return render(request, "resellers/invitation_outcome.html", {"outcome": "THROTTLED"}, status_code=429,
                  headers={"Retry-After": str(exc.retry_after)})  # fmt: skip


class InvitationController(Controller):
    path = "/invitation"
    include_in_schema = False

    @get("/{invitation_token:str}")
    async def show(self, request: Request[Any, Any, Any], invitation_token: str) -> Response[str]:
        try:
            found = await invitations.peek(invitation_token[:100], client_address(request))
        except Throttled as exc:
            return _too_many(request, exc)
        if found.outcome is not InvitationOutcome.OK:
            return _outcome_page(request, found.outcome)
        context = {"token": invitation_token, "email": found.email, "errors": {}}
        return render(request, "resellers/invitation.html", context)

    @post("/{invitation_token:str}")
    async def accept(self, request: Request[Any, Any, Any], invitation_token: str) -> Response[Any]:
        form = await request.form()
        address = client_address(request)
        try:
            found = await invitations.accept(invitation_token[:100], address, str(form.get("password", "")),
                                             str(form.get("repeat_password", "")))  # fmt: skip
        except Throttled as exc:
            return _too_many(request, exc)
        except ValidationError as exc:
            peeked = await invitations.peek(invitation_token[:100], address)
            context = {"token": invitation_token, "email": peeked.email, "errors": dict(exc.errors)}
            return render(request, "resellers/invitation.html", context, status_code=400)
        if found.outcome is not InvitationOutcome.OK or found.user is None:
            return _outcome_page(request, found.outcome)
        user = found.user
        # Logged in at once, with a new session (and CSRF token), as the login does.
        tenant = await tenants.get_tenant(user["tenant"])
        token = await staff_sessions.start(user["id"], address, request.headers.get("user-agent", ""))
        chosen = request.session.get("lang") if request.session else None
        request.clear_session()
        request.set_session({SESSION_KEY: token, "lang": chosen, "tenant_lang": tenants.tenant_language(tenant)})
        return Redirect("/", status_code=303)
