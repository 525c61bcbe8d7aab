"""360.SUPPORT on the station's "Betriebsführung" tab (seed 001): the confirm step, activating, ending and the
sticker sheet. The rules (permissions, what activation needs, mails) are core.products.support's."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Response, get, post

from core.errors import Conflict, Message, ValidationError
from core.infrastructure import stations as infrastructure_stations
from core.products import support
from core.tenancy.actor import Actor
from core.tenancy.permissions import Permission
from core.tenancy.tenants import get_tenant, tenant_time_zone
from portal.auth import actor_of, requires
from portal.controllers.infra_common import AnyRequest, done, flash, form_error_status, form_of, page
from portal.templating import render

CHANGE = [requires(Permission.OPERATIONS_TAB, Permission.COST_APPROVAL)]
TEMPLATES = "operations/support360/"


def _tab_url(station_id: int) -> str:
    return f"/infrastructure/stations/{station_id}?tab=operations"


async def tab_context(actor: Actor, station: dict[str, Any]) -> dict[str, Any]:
    """What the 360.SUPPORT block at the top of the Betriebsführung tab shows."""
    status = await support.status(station)
    return {
        "support": status,
        "support_missing": [] if status.active else await support.requirements(actor, station["id"]),
        "support_may_change": support.may_change(actor),
        "tz": tenant_time_zone(await get_tenant(station["tenant"])),
    }


async def _confirm_page(
    request: AnyRequest, station_id: int, values: dict[str, Any], errors: dict[str, Any], status_code: int = 200
) -> Response[str]:
    actor = actor_of(request)
    station = await infrastructure_stations.get_station(actor, station_id)
    context = {"station": station, "support": await support.status(station), "values": values, "errors": errors,
               "missing": await support.requirements(actor, station_id)}  # fmt: skip
    return page(request, TEMPLATES + "confirm.html", context, status_code=status_code)


class Support360Controller(Controller):
    path = "/operations/stations/{station_id:int}/support360"
    guards = [requires(Permission.INFRASTRUCTURE_VIEW)]

    @get("/activate", guards=CHANGE)
    async def confirm(self, request: AnyRequest, station_id: int) -> Response[str]:
        """The confirm step: the monthly cost, what the station still lacks, an explicit confirmation."""
        return await _confirm_page(request, station_id, {}, {})

    @post("/activate", guards=CHANGE)
    async def activate(self, request: AnyRequest, station_id: int) -> Response[Any]:
        form = await form_of(request)
        confirmed = form.get("cost_confirmed") == "on"
        try:
            await support.activate(actor_of(request), station_id, cost_confirmed=confirmed)
        except support.NotReady:
            return await _confirm_page(request, station_id, {}, {}, status_code=409)
        except ValidationError as exc:
            return await _confirm_page(request, station_id, {}, exc.errors, form_error_status(request))
        flash(request, Message("360.SUPPORT is active on the station. A confirmation e-mail is on its way."))
        return done(request, _tab_url(station_id))

    @post("/deactivate", guards=CHANGE)
    async def deactivate(self, request: AnyRequest, station_id: int) -> Response[Any]:
        try:
            await support.deactivate(actor_of(request), station_id)
        except Conflict as exc:  # not active (any more): a second click, another tab
            flash(request, exc.message, kind="error")
            return done(request, _tab_url(station_id))
        flash(request, Message("360.SUPPORT has ended on the station. A confirmation e-mail is on its way."))
        return done(request, _tab_url(station_id))

    @get("/stickers", guards=[requires(Permission.OPERATIONS_TAB)])
    async def stickers(self, request: AnyRequest, station_id: int) -> Response[str]:
        """The printable 360.SUPPORT sticker sheet of an activated station."""
        return render(request, TEMPLATES + "stickers.html", await support.sticker_sheet(actor_of(request), station_id))
