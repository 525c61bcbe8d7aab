"""Roaming settlement ("Roaming-Abrechnung"): per partner and month what its drivers charged at the tenant's stations,
as a page and a CSV for invoicing the EMP. Rules in core.roaming.settlement."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from litestar import Controller, Response, get
from litestar.response import Stream

from core.cdrs import export
from core.roaming import settlement
from core.tenancy import tenants
from core.tenancy.permissions import Permission
from portal import i18n
from portal.auth import actor_of, requires
from portal.controllers.infra_common import AnyRequest, page
from portal.csv_export import csv_download

URL = "/roaming/settlement"


async def _month(request: AnyRequest) -> tuple[Any, str]:
    tenant = await tenants.get_tenant(actor_of(request).tenant_id)
    zone = tenants.tenant_time_zone(tenant)
    today = datetime.now(ZoneInfo(zone)).date()
    return settlement.parse_month(request.query_params.get("month"), today), zone


class RoamingSettlementController(Controller):
    path = URL
    guards = [requires(Permission.SESSIONS_VIEW)]

    @get("/", name="roaming_settlement")
    async def index(self, request: AnyRequest) -> Response[str]:
        month, _ = await _month(request)
        rows = await settlement.settlement(actor_of(request), month)
        totals = settlement.currency_totals(rows)
        context = {"month": month, "rows": rows, "totals": totals, "month_value": month.strftime("%Y-%m")}
        return page(request, "roaming/settlement.html", context)

    @get("/export.csv", name="roaming_settlement_export")
    async def export_csv(self, request: AnyRequest) -> Stream:
        month, zone = await _month(request)
        rows = await settlement.settlement(actor_of(request), month)
        _ = i18n.gettext
        style = export.csv_style(i18n.current_language.get(), zone, _("Yes"), _("No"))

        def number(value: Any) -> str:
            return str(value).replace(".", ",") if style.decimal_comma else str(value)

        header = [_("Month"), _("Roaming partner"), _("Currency"), _("Sessions"), _("Energy (kWh)"),
                  _("Net"), _("VAT"), _("Gross")]  # fmt: skip
        label = month.strftime("%Y-%m")

        async def batches() -> AsyncIterator[list[list[Any]]]:
            yield [[label, r.partner, r.currency, r.sessions, number(r.energy_kwh), number(r.net), number(r.vat),
                    number(r.gross)] for r in rows]  # fmt: skip

        return csv_download(f"roaming-settlement-{label}.csv", header, batches(), delimiter=style.delimiter, bom=True)
