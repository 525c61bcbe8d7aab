"""The advanced overview of charge points ("Erweiterte Übersicht")."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from litestar import Controller, Request, Response, get, post
from litestar.response import Redirect

from core.infrastructure import overview, selection
from core.infrastructure.overview import OverviewQuery
from core.infrastructure.specs import CONNECTOR_STANDARDS, OCPP_VERSIONS, STATUS_GROUPS, EvseStatus
from core.tenancy.permissions import Permission
from portal.auth import actor_of, requires
from portal.controllers.infra_common import form_of
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
        selected = await selection.selected_ids(actor)
        pages = max(1, -(-total // q.per_page))
        rows = await overview.rows(actor, q) if q.page <= pages else []
        context = {
            "q": q,
            "rows": rows,
            "selected": set(selected),
            "selected_count": len(selected),
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

    @post("/selection", name="infra_overview_selection")
    async def change_selection(self, request: Request[Any, Any, Any]) -> Response[Any]:
        """A tick or untick (HTMX; answers the selection's new count), or "select all results" / "clear" (a form
        post; back to the overview, whose ticks then show the new selection)."""
        actor = actor_of(request)
        form = await form_of(request)
        action = str(form.get("selection_action", ""))
        if action in {"all", "clear"}:
            if action == "all":
                # The results on screen are those of the stored view: every overview load with filters saves it.
                await selection.select_all(actor, await overview.load_preference(actor) or OverviewQuery())
            else:
                await selection.clear(actor)
            return Redirect(URL, status_code=303)
        ids = [int(v) for v in form.getall("charge_point_id", []) if str(v).isdigit()]
        chosen = await selection.change(actor, ids, selected=form.get("enabled") == "on")
        if not is_htmx(request):
            return Redirect(URL, status_code=303)
        return render(request, "infrastructure/overview.html", {"selected_count": len(chosen)}, block="selection_count")
