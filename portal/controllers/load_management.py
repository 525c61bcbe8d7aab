"""A location's load management: its settings (on the location's edit page) and the live allocation card on the
location page, polled while the page is open."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Response, get, post

from core.errors import Message, ValidationError
from core.infrastructure import locations as infrastructure_locations
from core.load_management import settings as load_settings
from core.tenancy.permissions import Permission
from portal.auth import actor_of, requires
from portal.controllers.infra_common import (
    AnyRequest,
    done,
    flash,
    form_error_status,
    form_of,
    loaded,
    page,
    raw_from_form,
)
from portal.controllers.infra_locations import location_form_context


class LoadManagementController(Controller):
    path = "/infrastructure/locations/{location_id:int}/load-management"
    guards = [requires(Permission.INFRASTRUCTURE_VIEW)]

    @get("/", name="location_load")
    async def allocation(self, request: AnyRequest, location_id: int) -> Response[str]:
        view = await load_settings.allocation_view(actor_of(request), location_id)
        return page(request, "infrastructure/_load_allocation.html", {"load": view, "location_id": location_id})

    @post("/", guards=[requires(Permission.INFRASTRUCTURE_MANAGE)])
    async def save(self, request: AnyRequest, location_id: int) -> Response[Any]:
        actor = actor_of(request)
        location = loaded(await infrastructure_locations.get_location(actor, location_id))
        raw = raw_from_form(load_settings.LOAD_SPEC, await form_of(request))
        try:
            await load_settings.save_settings(actor, location_id, raw)
        except ValidationError as exc:
            context = location_form_context(location, load_values=raw, load_errors=exc.errors)
            return page(request, "infrastructure/location_form.html", context, status_code=form_error_status(request))
        flash(request, Message("The load management settings were saved."))
        return done(request, f"/infrastructure/locations/{location_id}")
