"""The "Ladedaten" page: CDRs and running sessions with filters, sums, charts, CSV export and a detail page."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from litestar import Controller, Request, Response, get
from litestar.response import Stream

from core.cdrs import building, charging_data, export
from core.cdrs.charging_data import CdrQuery
from core.eichrecht.ocmf import SignatureStatus
from core.roaming import names
from core.tenancy import tenants
from core.tenancy.permissions import Permission
from portal import i18n
from portal.auth import actor_of, requires
from portal.csv_export import csv_download
from portal.templating import is_htmx, render

URL = "/charging-data"
VIEWS = ("list", "chart")


def charging_data_url(q: CdrQuery, path: str = URL, **changes: Any) -> str:
    params = {**q.to_params(), **({"page": q.page} if q.page > 1 else {}), **changes}
    return path + "?" + urlencode({k: v for k, v in params.items() if v not in (None, "")}, doseq=True)


def _query(request: Request[Any, Any, Any]) -> CdrQuery:
    params = {key: request.query_params.getall(key) for key in request.query_params}
    q = charging_data.parse_query(params)
    # Opened without any parameter: the last 30 days, like the seed's default period.
    return charging_data.default_period(q) if not params else q


class ChargingDataController(Controller):
    path = URL
    guards = [requires(Permission.SESSIONS_VIEW)]

    @get("/", name="charging_data")
    async def index(self, request: Request[Any, Any, Any], view: str = "list") -> Response[Any]:
        actor = actor_of(request)
        q = _query(request)
        view = view if view in VIEWS else "list"
        total = await charging_data.count(actor, q)
        pages = max(1, -(-total // q.per_page))
        context: dict[str, Any] = {
            "q": q,
            "view": view,
            "total": total,
            "pages": pages,
            "sums": await charging_data.sums(actor, q),
            "link": lambda **changes: charging_data_url(q, **{"view": view if view != "list" else None, **changes}),
            "export_url": charging_data_url(q, URL + "/export.csv"),
            "options": {} if is_htmx(request) else await charging_data.filter_options(actor),
            "auth_sources": building.AUTH_SOURCES,
            "statuses": list(building.CdrStatus),
            "signature_statuses": list(SignatureStatus),
            "page_sizes": charging_data.PAGE_SIZES,
        }
        partners = {} if is_htmx(request) else await names.partners_charged(actor)
        if view == "chart":
            context["charts"] = await charging_data.chart_data(actor, q)
        else:
            context["rows"] = await charging_data.list_rows(actor, q) if q.page <= pages else []
            partners |= await names.partner_names(row["roaming_partner_id"] for row in context["rows"])
        context["partners"] = partners
        return render(request, "charging_data/index.html", context, block="results", headers={"Vary": "HX-Request"})

    @get("/export.csv", name="charging_data_export")
    async def export(self, request: Request[Any, Any, Any]) -> Stream:
        actor = actor_of(request)
        q = _query(request)
        actor.require(Permission.SESSIONS_VIEW)
        stamp = datetime.now().strftime("%Y%m%d-%H%M")
        # UTF-8 with BOM, so that spreadsheets read the umlauts; separators, numbers, times and headers as
        # spreadsheets in the user's language expect them (core.cdrs.export).
        tenant = await tenants.get_tenant(actor.tenant_id)
        auth_sources = {code: label.render(i18n.gettext) for code, label in export.AUTH_SOURCE_LABELS.items()}
        style = export.csv_style(i18n.current_language.get(), tenants.tenant_time_zone(tenant), i18n.gettext("Yes"),
                                 i18n.gettext("No"), auth_sources)  # fmt: skip
        header = [export.EXPORT_HEADERS[column].render(i18n.gettext) for column in charging_data.EXPORT_COLUMNS]
        rows = export.localized_batches(charging_data.export_batches(actor, q), style)
        return csv_download(f"charging-data-{stamp}.csv", header, rows, delimiter=style.delimiter, bom=True)

    @get("/{cdr_id:int}", name="charging_data_detail")
    async def detail(self, request: Request[Any, Any, Any], cdr_id: int) -> Response[Any]:
        actor = actor_of(request)
        cdr = await charging_data.get_cdr(actor, cdr_id)
        meter_values = await charging_data.session_meter_values(actor, cdr["session"])
        partner_name = (await names.partner_names([cdr["roaming_partner_id"]])).get(cdr["roaming_partner_id"])
        return render(request, "charging_data/detail.html",
                      {"cdr": cdr, "meter_values": meter_values, "partner_name": partner_name})  # fmt: skip
