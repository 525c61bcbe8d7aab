"""The advanced overview of charge points ("Erweiterte Übersicht")."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from litestar import Controller, Request, Response, get
from litestar.response import Redirect

from core.infrastructure import overview
from core.infrastructure.overview import OverviewQuery
from core.infrastructure.specs import CONNECTOR_STANDARDS, OCPP_VERSIONS, STATUS_GROUPS, EvseStatus
from core.tenancy.permissions import Permission
from portal.auth import actor_of, requires
from portal.templating import is_htmx, render

URL = "/infrastructure/overview"


def overview_url(q: OverviewQuery, **changes: Any) -> str:
    """A link to the overview with ``q`` changed; every page of it is a shareable address."""
    params = {**q.to_params(), **({"page": q.page} if q.page > 1 else {}), **changes}
    return URL + "?" + urlencode({k: v for k, v in params.items() if v not in (None, "")}, doseq=True)


class OverviewController(Controller):
    path = URL
    guards = [requires(Permission.INFRASTRUCTURE_VIEW)]

    @get("/", name="infra_overview")
    async def overview(self, request: Request[Any, Any, Any]) -> Response[Any]:
        actor = actor_of(request)
        params = {key: request.query_params.getall(key) for key in request.query_params}
        reset = params.pop("reset", [""])[0]
        if reset in {"filters", "columns"}:
            current = await overview.load_preference(actor) or OverviewQuery()
            q = overview.reset_filters(current) if reset == "filters" else overview.reset_columns(current)
            await overview.save_preference(actor, q)
            return Redirect(overview_url(q), status_code=303)
        if params:
            q = overview.parse_query(params)
            await overview.save_preference(actor, q)
        else:
            # Coming back without parameters restores what the user looked at last.
            q = await overview.load_preference(actor) or OverviewQuery()
        total = await overview.count(actor, q)
        pages = max(1, -(-total // q.per_page))
        rows = await overview.rows(actor, q) if q.page <= pages else []
        context = {
            "q": q,
            "rows": rows,
            "total": total,
            "pages": pages,
            "link": lambda **changes: overview_url(q, **changes),
            "columns": [overview.COLUMNS_BY_KEY[key] for key in q.columns],
            "all_columns": overview.COLUMNS,
            # The select boxes are outside the results block: a fragment does not need their options.
            "options": {} if is_htmx(request) else await overview.filter_options(actor),
            "status_groups": STATUS_GROUPS,
            "statuses": list(EvseStatus),
            "standards": CONNECTOR_STANDARDS,
            "protocols": OCPP_VERSIONS,
            "auth_types": overview.AUTH_TYPES,
            "page_sizes": overview.PAGE_SIZES,
        }
        headers = {"Vary": "HX-Request"}
        return render(request, "infrastructure/overview.html", context, block="results", headers=headers)
