"""Billing ("Abrechnung", issue 16): for the platform operator (the HUB tenant) the monthly billing runs with their
invoice lines per billed tenant, preview and finalise, and the CSV; for any other tenant its own lines of final
months (and a reseller's commission report). One URL for both: what a page shows depends on whose staff ask, so a
CPO never reaches the operator's runs (its preview or finalise is not found). Rules in core.billing."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from decimal import Decimal
from typing import Any

from litestar import Controller, Response, get, post
from litestar.response import Stream

from core.billing import reading, runs
from core.billing.rules import LineKind
from core.errors import Conflict, Message, ValidationError
from core.months import Month
from core.tenancy.actor import Actor
from core.tenancy.permissions import Permission
from portal import i18n
from portal.auth import actor_of, requires
from portal.controllers.infra_common import AnyRequest, done, field_errors, flash, form_error_status, form_of, page
from portal.csv_export import csv_download

URL = "/billing"
MANAGE = [requires(Permission.BILLING_VIEW, Permission.BILLING_MANAGE)]


def _back(month: str) -> str:
    parsed = Month.parse(month)
    return f"{URL}?month={parsed.period}" if parsed else URL


def _page(request: AnyRequest) -> int:
    text = str(request.query_params.get("page", "")).strip()
    return int(text) if text.isdigit() and len(text) < 7 else 1


def _period(request: AnyRequest, fallback: str) -> str:
    month = Month.parse(request.query_params.get("month") or "")
    return month.period if month else fallback


async def _operator_page(
    request: AnyRequest,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, Message] | None = None,
    status_code: int = 200,
) -> Response[str]:
    actor = actor_of(request)
    months = await reading.runs(actor)
    period = _period(request, reading.default_month(months, await runs.completed_month()))
    listing = await reading.month_debtors(actor, period, _page(request))
    context = {
        "months": months, "period": period, "run": await reading.run_of(actor, period),
        "listing": listing, "debtors": [debtor for debtor in listing.debtors if _described(debtor.lines)],
        "values": {"month": (await runs.completed_month()).period, **(values or {})}, "errors": errors or {},
    }  # fmt: skip
    return page(request, "billing/runs.html", context, status_code=status_code)


async def _own_page(request: AnyRequest) -> Response[str]:
    actor = actor_of(request)
    months = await reading.own_months(actor)
    period = _period(request, reading.default_month(months, await runs.completed_month()))
    lines = _described(await reading.own_lines(actor, period))
    context = {"months": months, "period": period, "lines": lines, "totals": reading.totals(lines),
               "is_reseller": await reading.tenant_kind(actor.tenant_id) == "RESELLER"}  # fmt: skip
    return page(request, "billing/own.html", context)


def _money(cents: int) -> str:
    """German number format for the CSV: decimal comma, no thousands separator (spreadsheets read it as a number)."""
    return f"{reading.cents_decimal(cents):.2f}".replace(".", ",")


def _described(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for line in lines:
        line["description"] = line_text(line)
    return lines


def _rate(value: Any) -> str:
    return f"{Decimal(str(value)):.2f}".replace(".", ",")


def line_text(line: dict[str, Any]) -> str:
    """What a line says, in the reader's language."""
    _ = i18n.gettext
    if line["kind"] == LineKind.COMMISSION:
        return _("Commission %(rate)s %% on the roaming revenue of %(name)s (net %(amount)s %(currency)s)") % {
            "rate": i18n.number(reading.COMMISSION_PERCENT, 0), "name": line["concerns_name"],
            "amount": i18n.number(reading.cents_decimal(line["basis_cents"]), 2), "currency": line["currency"],
        }  # fmt: skip
    return f"{line['text']}, {line['station_name']}"


async def _operator_action(request: AnyRequest, action: Callable[[Actor, str], Awaitable[Message]]) -> Response[Any]:
    """Preview or finalise the posted month: back to the month with what happened, or the form with its error."""
    month = str((await form_of(request)).get("month", "")).strip()[:20]
    try:
        flash(request, await action(actor_of(request), month))
    except ValidationError as exc:
        return await _operator_page(request, values={"month": month}, errors=field_errors(exc),
                                    status_code=form_error_status(request))  # fmt: skip
    except Conflict as exc:
        flash(request, exc.message, kind="error")
    return done(request, _back(month))


class BillingController(Controller):
    path = URL
    guards = [requires(Permission.BILLING_VIEW)]

    @get("/", name="billing")
    async def index(self, request: AnyRequest) -> Response[str]:
        if runs.is_operator(actor_of(request)):
            return await _operator_page(request)
        return await _own_page(request)

    @get("/export.csv", name="billing_export")
    async def export_csv(self, request: AnyRequest) -> Stream:
        """The month's lines the caller sees (the operator: all of them; a tenant: its own final ones)."""
        actor = actor_of(request)
        period = _period(request, (await runs.completed_month()).period)
        if runs.is_operator(actor):
            lines = [line for debtor in await reading.month_lines(actor, period) for line in debtor.lines]
        else:
            lines = await reading.own_lines(actor, period)
        _ = i18n.gettext
        header = [_("Month"), _("Debtor number"), _("Billed tenant"), _("Sub-CPO"), _("Kind"), _("Station"),
                  _("Product"), _("Description"), _("Days"), _("Net"), _("VAT rate (%)"), _("VAT"), _("Gross"),
                  _("Currency")]  # fmt: skip
        kinds = {LineKind.PRODUCT: _("Product"), LineKind.COMMISSION: _("Commission")}

        async def batches() -> AsyncIterator[list[list[Any]]]:
            yield [[period, line["debtor_number"], line["tenant_name"],
                    line["concerns_name"] if line["concerns"] != line["tenant"] else "", kinds[line["kind"]],
                    line["station_name"], line["product_code"], line_text(line), line["quantity_days"] or "",
                    _money(line["net_cents"]), _rate(line["vat_rate"]), _money(line["vat_cents"]),
                    _money(line["gross_cents"]), line["currency"]] for line in lines]  # fmt: skip

        return csv_download(f"billing-{period}.csv", header, batches(), delimiter=";", bom=True)

    @get("/commission", name="billing_commission")
    async def commission(self, request: AnyRequest) -> Response[str]:
        """A reseller's monthly commission report (its sub-CPOs in the affiliate model)."""
        actor = actor_of(request)
        months = await reading.own_months(actor)
        period = _period(request, reading.default_month(months, await runs.completed_month()))
        rows = await reading.commission_report(actor, period)
        context = {"months": months, "period": period, "rows": rows, "totals": reading.commission_totals(rows),
                   "rate": reading.COMMISSION_PERCENT}  # fmt: skip
        return page(request, "billing/commission.html", context)

    @post("/preview", guards=MANAGE)
    async def preview(self, request: AnyRequest) -> Response[Any]:
        async def compute(actor: Actor, month: str) -> Message:
            count = await runs.preview(actor, month)
            return Message("Preview of %(month)s computed: %(count)s invoice lines.", {"month": month, "count": count})

        return await _operator_action(request, compute)

    @post("/finalise", guards=MANAGE)
    async def finalise(self, request: AnyRequest) -> Response[Any]:
        async def finalise(actor: Actor, month: str) -> Message:
            await runs.finalise(actor, month)
            return Message("%(month)s is final: its tenants see their invoice lines.", {"month": month})

        return await _operator_action(request, finalise)
