"""Firmware campaigns (Betrieb / Operations): the wizard from the overview's selection (stations and firmware,
review, start), the list of campaigns, a campaign's progress per station (polled while it runs), cancel and
"retry failed"; and the station's "Diagnostics" tab, the history of its GetDiagnostics uploads.

Every rule is core.firmware's (and core.commands' for the diagnostics); this only shows and asks.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from litestar import Controller, Response, get, post

from core.commands import running
from core.errors import Conflict, Message, ValidationError
from core.firmware import campaigns, rules
from core.infrastructure import selection
from core.infrastructure import stations as infrastructure_stations
from core.tenancy.permissions import Permission
from portal.auth import actor_of, requires
from portal.controllers.infra_common import (
    AnyRequest,
    done,
    field_errors,
    flash,
    form_error_status,
    form_of,
    history,
    page,
)
from portal.templating import is_htmx

URL = "/operations/firmware"
TEMPLATES = "operations/firmware/"
COMMAND = [requires(Permission.OCPP_COMMANDS)]
LABELS = {"states": rules.STATE_LABELS, "reasons": rules.REASON_LABELS, "campaigns": rules.CAMPAIGN_LABELS}


def _ids(values: list[Any]) -> list[int]:
    return sorted({int(v) for v in values if str(v).isdigit() and len(str(v)) < 12})


def _fields(values: Any) -> dict[str, str]:
    """The campaign's fields as typed (a query string or a form), nothing else."""
    return {name: str(values.get(name, "")).strip() for name in campaigns.CAMPAIGN_SPEC.names if values.get(name)}


def _query(values: dict[str, str], station_ids: list[int]) -> str:
    return urlencode([*values.items(), *(("station_id", i) for i in station_ids)])


class FirmwareController(Controller):
    path = URL
    guards = [requires(Permission.INFRASTRUCTURE_VIEW, Permission.OCPP_COMMANDS)]

    @get("/", name="firmware_campaigns")
    async def campaigns_list(self, request: AnyRequest) -> Response[str]:
        rows = await campaigns.list_campaigns(actor_of(request))
        return page(request, TEMPLATES + "list.html", {"campaigns": rows, "labels": LABELS})

    # -- the wizard ----------------------------------------------------------------------------------------------

    @post("/select")
    async def from_overview(self, request: AnyRequest) -> Response[Any]:
        """The overview's selection (charge points, kept on the server) -> the wizard with their stations."""
        actor = actor_of(request)
        station_ids = await running.stations_of_charge_points(actor, await selection.selected_ids(actor))
        query = _query({}, station_ids)
        return done(request, f"{URL}/new" + (f"?{query}" if query else ""))

    async def _form(
        self, request: AnyRequest, values: dict[str, str], station_ids: list[int], errors: Any = None, status: int = 200
    ) -> Response[str]:
        context = {"stations": await infrastructure_stations.list_stations(actor_of(request)),
                   "selected": set(station_ids), "values": values, "errors": errors or {}, "step": 1}  # fmt: skip
        return page(request, TEMPLATES + "new.html", context, status_code=status)

    @get("/new")
    async def new(self, request: AnyRequest) -> Response[str]:
        """Step 1: the firmware, the start and the pace; the stations, preselected from the overview's selection."""
        query = request.query_params
        values = _fields(query) or {"max_parallel": "5", "timeout_minutes": "60"}
        return await self._form(request, values, _ids(query.getall("station_id", [])))

    @get("/review")
    async def review(self, request: AnyRequest) -> Response[str]:
        """Step 2: what the campaign will do, which stations are in it and which are left out; then start it."""
        actor = actor_of(request)
        query = request.query_params
        values, station_ids = _fields(query), _ids(query.getall("station_id", []))
        try:
            clean = campaigns.parse_campaign(values)
            plan = await campaigns.plan(actor, station_ids)
            if not plan.stations:
                raise ValidationError({"station_id": Message("Choose at least one station.")})
        except ValidationError as exc:  # back to step 1 with the errors next to the fields (a GET: no error status)
            return await self._form(request, values, station_ids, field_errors(exc))
        back = f"{URL}/new?{_query(values, station_ids)}"
        context = {"values": values, "clean": clean, "plan": plan, "back": back, "step": 2}
        return page(request, TEMPLATES + "review.html", context)

    @post("/")
    async def create(self, request: AnyRequest) -> Response[Any]:
        form = await form_of(request)
        values, station_ids = _fields(form), _ids(form.getall("station_id", []))
        try:
            campaign = await campaigns.create_campaign(actor_of(request), values, station_ids)
        except ValidationError as exc:
            return await self._form(request, values, station_ids, field_errors(exc), status=form_error_status(request))
        flash(request, Message("The firmware campaign was created."))
        return done(request, f"{URL}/{campaign['id']}")

    # -- one campaign ---------------------------------------------------------------------------------------------

    @get("/{campaign_id:int}")
    async def detail(self, request: AnyRequest, campaign_id: int) -> Response[str]:
        actor = actor_of(request)
        campaign = await campaigns.get_campaign(actor, campaign_id)
        rows = await campaigns.campaign_stations(actor, campaign_id)
        context = {"campaign": campaign, "rows": rows, "labels": LABELS, "order": rules.STATE_ORDER,
                   "running": campaign["status"] == rules.CampaignStatus.ACTIVE}  # fmt: skip
        if not is_htmx(request):
            context["history"] = await history(actor, "firmware_campaign", campaign_id)
        return page(request, TEMPLATES + "detail.html", context, block="progress")

    @post("/{campaign_id:int}/cancel")
    async def cancel(self, request: AnyRequest, campaign_id: int) -> Response[Any]:
        await campaigns.cancel(actor_of(request), campaign_id)
        flash(request, Message("The campaign was cancelled: no further station starts."))
        return done(request, f"{URL}/{campaign_id}")

    @post("/{campaign_id:int}/retry")
    async def retry(self, request: AnyRequest, campaign_id: int) -> Response[Any]:
        try:
            count = await campaigns.retry_failed(actor_of(request), campaign_id)
        except Conflict as exc:
            flash(request, exc.message, kind="error")
        else:
            flash(request, Message("Failed stations waiting for their turn again: %(count)s", {"count": count}))
        return done(request, f"{URL}/{campaign_id}")


class DiagnosticsTabController(Controller):
    """The station's "Diagnostics" tab: every GetDiagnostics request with its upload."""

    path = "/operations/stations"
    guards = [requires(Permission.INFRASTRUCTURE_VIEW, Permission.OPERATIONS_TAB)]

    @get("/{station_id:int}/diagnostics")
    async def diagnostics_tab(self, request: AnyRequest, station_id: int) -> Response[str]:
        actor = actor_of(request)
        station = await running.station_of(actor, station_id)
        rows = await running.list_commands(actor, station_id=station_id, action="GetDiagnostics", limit=200)
        context = {"station": station, "rows": rows, "can_request": actor.can(Permission.OCPP_COMMANDS)}
        return page(request, TEMPLATES + "diagnostics_tab.html", context)
