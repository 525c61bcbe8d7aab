"""Settings: the company data (Unternehmensdaten) that receipts print as their issuer (core.tenancy.company), and
the Direct Payment settings (core.payments.direct_settings) in a section of the same page.

Reading needs ``company.view``; saving needs ``company.manage`` as well."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Response, get, post

from core.errors import Message, ValidationError
from core.payments import direct_settings
from core.tenancy import company
from core.tenancy.permissions import Permission
from portal.auth import actor_of, requires
from portal.controllers.infra_common import (
    AnyRequest,
    done,
    flash,
    form_error_status,
    form_of,
    form_values,
    history,
    page,
    raw_from_form,
)

PAGE = "/settings/company"
VIEW = [requires(Permission.COMPANY_VIEW)]
MANAGE = [requires(Permission.COMPANY_VIEW, Permission.COMPANY_MANAGE)]


async def _page(request: AnyRequest, values: dict[str, Any] | None = None,
                errors: dict[str, Message] | None = None, status_code: int = 200, *,
                payment_values: dict[str, Any] | None = None,
                payment_errors: dict[str, Message] | None = None) -> Response[str]:  # fmt: skip
    actor = actor_of(request)
    row = await company.get_company(actor)
    payment = await direct_settings.get_settings(actor)
    shown = {"hold_amount": f"{payment.hold_amount:.2f}", "start_confirm_seconds": payment.start_confirm_seconds}
    context = {
        "company": row,
        "values": values if values is not None else form_values(row, company.COMPANY_SPEC),
        "errors": errors or {},
        "payment": payment,
        "payment_values": payment_values if payment_values is not None else shown,
        "payment_errors": payment_errors or {},
        "bounds": {
            "hold_min": direct_settings.HOLD_MIN,
            "hold_max": direct_settings.HOLD_MAX,
            "confirm_min": direct_settings.CONFIRM_MIN,
            "confirm_max": direct_settings.CONFIRM_MAX,
        },
        "countries": [(code, company.COUNTRY_NAMES[code]) for code in company.COUNTRIES],
        # both sections' changes, newest first
        "history": sorted(
            await history(actor, "company", actor.tenant_id) + await history(actor, "direct_payment", actor.tenant_id),
            key=lambda e: (e["created_at"], e["id"]),
            reverse=True,
        ),  # fmt: skip
    }
    return page(request, "settings/company.html", context, status_code=status_code)


class CompanyController(Controller):
    path = PAGE

    @get("/", guards=VIEW, name="company_settings")
    async def index(self, request: AnyRequest) -> Response[str]:
        return await _page(request)

    @post("/", guards=MANAGE)
    async def save(self, request: AnyRequest) -> Response[Any]:
        raw = raw_from_form(company.COMPANY_SPEC, await form_of(request))
        try:
            await company.save_company(actor_of(request), raw)
        except ValidationError as exc:
            return await _page(request, raw, dict(exc.errors), form_error_status(request))
        flash(request, Message("The changes were saved."))
        return done(request, PAGE)

    @post("/direct-payment", guards=MANAGE)
    async def save_direct_payment(self, request: AnyRequest) -> Response[Any]:
        raw = raw_from_form(direct_settings.SETTINGS_SPEC, await form_of(request))
        try:
            await direct_settings.save_settings(actor_of(request), raw)
        except ValidationError as exc:
            return await _page(request, status_code=form_error_status(request), payment_values=raw,
                               payment_errors=dict(exc.errors))  # fmt: skip
        flash(request, Message("The changes were saved."))
        return done(request, PAGE + "#direct-payment")
