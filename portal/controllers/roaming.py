"""Roaming: contract groups (Vertragsgruppen (CPO)), the tenant's roaming hub switch (Einstellungen), and the
station data sheet's "Zugang" (marketing switches) and "Roaming" (roaming hub) tabs. Rules live in core.roaming."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Response, get, post

from core.errors import Message, ValidationError
from core.infrastructure.locations import get_location
from core.infrastructure.specs import AccessType
from core.roaming import contract_groups, marketing
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
    parse_id,
    raw_from_form,
)

VIEW = [requires(Permission.ROAMING_VIEW)]
MANAGE = [requires(Permission.ROAMING_VIEW, Permission.ROAMING_MANAGE)]
# The station tabs sit on the station data sheet: reading needs the infrastructure view (the Roaming tab also the
# roaming view), saving the roaming switches too.
TAB_VIEW = [requires(Permission.INFRASTRUCTURE_VIEW, Permission.ROAMING_VIEW)]
TAB_MANAGE = [requires(Permission.INFRASTRUCTURE_VIEW, Permission.ROAMING_VIEW, Permission.ROAMING_MANAGE)]
GROUPS = "/roaming/contract-groups"
# The checklist items the CPO fixes elsewhere: where (formatted with the location and the first charge point).
FIX_AT = {
    "address": "/infrastructure/locations/{location}/edit",
    "city": "/infrastructure/locations/{location}/edit",
    "postal_code": "/infrastructure/locations/{location}/edit",
    "country": "/infrastructure/locations/{location}/edit",
    "coordinates": "/infrastructure/locations/{location}/edit",
    "hotline": "/infrastructure/locations/{location}/edit",
    "evse_id": "/infrastructure/stations/{station}",
    "evse_own_operator": "/infrastructure/stations/{station}",
    "connectors": "/infrastructure/stations/{station}",
}
# Why an item matters, shown next to a missing one.
WHY = {
    "evse_id": Message("Every charge point needs an EVSE-ID: partners identify charge points by it."),
    "evse_own_operator": Message("EVSE-IDs must carry your own operator id (%(operator)s)."),
    "address": Message("Partners show the address to drivers."),
    "city": Message("Partners show the city to drivers."),
    "postal_code": Message("Partners show the postal code to drivers."),
    "country": Message("Partners need the country of the location."),
    "coordinates": Message("Partners place the station on their maps by its coordinates."),
    "hotline": Message("Drivers call the hotline when charging fails."),
    "auth_type": Message("Choose at least one authorisation type below."),
    "remote_auth": Message("Roaming and Direct Payment start charging remotely: tick remote authorisation below."),
    "connectors": Message("Every charge point needs at least one connector."),
}


def _group_values(group: dict[str, Any] | None) -> dict[str, Any]:
    if group is None:
        return {"name": "", "emp_tenant_ids": []}
    return {"name": group["name"], "emp_tenant_ids": [str(t) for t in group["emp_tenant_ids"]]}


class RoamingController(Controller):
    path = "/roaming"

    # -- contract groups -------------------------------------------------------------------------------------

    @get("/contract-groups", guards=VIEW, name="roaming_contract_groups")
    async def groups(self, request: AnyRequest) -> Response[str]:
        actor = actor_of(request)
        context = {"groups": await contract_groups.list_groups(actor),
                   "settings": await contract_groups.get_settings(actor)}  # fmt: skip
        return page(request, "roaming/contract_groups.html", context)

    async def _form(self, request: AnyRequest, group: dict[str, Any] | None, values: dict[str, Any],
                    errors: dict[str, Message] | None = None, status_code: int = 200) -> Response[str]:  # fmt: skip
        actor = actor_of(request)
        context: dict[str, Any] = {
            "group": group,
            "values": values,
            "errors": errors or {},
            "emp_tenants": await contract_groups.emp_tenants(),
        }
        if group is not None:
            context["history"] = await history(actor, "contract_group", group["id"])
        return page(request, "roaming/contract_group_form.html", context, status_code=status_code)

    @get("/contract-groups/new", guards=MANAGE)
    async def new_group(self, request: AnyRequest) -> Response[str]:
        return await self._form(request, None, _group_values(None))

    @post("/contract-groups", guards=MANAGE)
    async def create_group(self, request: AnyRequest) -> Response[Any]:
        raw = raw_from_form(contract_groups.GROUP_SPEC, await form_of(request))
        try:
            group = await contract_groups.create_group(actor_of(request), raw)
        except ValidationError as exc:
            return await self._form(request, None, raw, field_errors(exc), form_error_status(request))
        flash(request, Message("Contract group %(name)s created.", {"name": group["name"]}))
        return done(request, GROUPS)

    @get("/contract-groups/{contract_group_id:int}", guards=MANAGE)
    async def edit_group(self, request: AnyRequest, contract_group_id: int) -> Response[str]:
        group = await contract_groups.get_group(actor_of(request), contract_group_id)
        return await self._form(request, group, _group_values(group))

    @post("/contract-groups/{contract_group_id:int}", guards=MANAGE)
    async def update_group(self, request: AnyRequest, contract_group_id: int) -> Response[Any]:
        actor = actor_of(request)
        group = await contract_groups.get_group(actor, contract_group_id)
        raw = raw_from_form(contract_groups.GROUP_SPEC, await form_of(request))
        try:
            await contract_groups.update_group(actor, contract_group_id, raw)
        except ValidationError as exc:
            return await self._form(request, group, raw, field_errors(exc), form_error_status(request))
        flash(request, Message("The changes were saved."))
        return done(request, GROUPS)

    @post("/contract-groups/{contract_group_id:int}/delete", guards=MANAGE)
    async def delete_group(self, request: AnyRequest, contract_group_id: int) -> Response[Any]:
        await contract_groups.delete_group(actor_of(request), contract_group_id)
        flash(request, Message("The contract group was deleted."))
        return done(request, GROUPS)

    # -- settings --------------------------------------------------------------------------------------------

    @get("/settings", guards=VIEW, name="roaming_settings")
    async def settings(self, request: AnyRequest) -> Response[str]:
        actor = actor_of(request)
        settings = await contract_groups.get_settings(actor)
        entries = await history(actor, "roaming_settings", settings["id"]) if settings.get("id") else []
        return page(request, "roaming/settings.html", {"settings": settings, "history": entries})

    @post("/settings", guards=MANAGE)
    async def save_settings(self, request: AnyRequest) -> Response[Any]:
        raw = raw_from_form(contract_groups.SETTINGS_SPEC, await form_of(request))
        await contract_groups.set_hub_enabled(
            actor_of(request), contract_groups.SETTINGS_SPEC.parse(raw)["hub_enabled"]
        )
        flash(request, Message("The changes were saved."))
        return done(request, "/roaming/settings")

    # -- station tabs ----------------------------------------------------------------------------------------

    async def _access_tab(
        self,
        request: AnyRequest,
        station_id: int,
        values: dict[str, Any] | None = None,
        errors: dict[str, Message] | None = None,
        status_code: int = 200,
    ) -> Response[str]:
        actor = actor_of(request)
        state = await marketing.station_marketing(actor, station_id)
        current = state["marketing"]
        station = state["station"]
        location = await get_location(actor, station["location"])
        first_cp = state["charge_points"][0]["id"] if state["charge_points"] else None
        fix = {
            key: url.format(location=station["location"], station=station["id"], cp=first_cp)
            for key, url in FIX_AT.items()
        }
        context = {
            **state,
            "values": values if values is not None else {k: v for k, v in current.__dict__.items()},
            "errors": errors or {},
            "access_types": list(AccessType),
            "fix": fix,
            "why": WHY,
            "platform_name_max": marketing.PLATFORM_NAME_MAX,
            "published": bool(location["publish"])
            and not (location["decommissioned_at"] or station["decommissioned_at"]),
        }
        return page(request, "roaming/station_access.html", context, status_code=status_code)

    @get("/stations/{station_id:int}/access", guards=[requires(Permission.INFRASTRUCTURE_VIEW)])
    async def access_tab(self, request: AnyRequest, station_id: int) -> Response[str]:
        return await self._access_tab(request, station_id)

    @post("/stations/{station_id:int}/access", guards=TAB_MANAGE)
    async def save_access(self, request: AnyRequest, station_id: int) -> Response[Any]:
        raw = raw_from_form(marketing.MARKETING_SPEC, await form_of(request))
        try:
            await marketing.save_marketing(actor_of(request), station_id, raw)
        except ValidationError as exc:
            values = {key: (value == "on" if key in marketing.SWITCH_FIELDS else value) for key, value in raw.items()}
            return await self._access_tab(request, station_id, values, field_errors(exc), form_error_status(request))
        flash(request, Message("The changes were saved."))
        return done(request, f"/infrastructure/stations/{station_id}?tab=access")

    @get("/stations/{station_id:int}/hub", guards=TAB_VIEW)
    async def hub_tab(self, request: AnyRequest, station_id: int) -> Response[str]:
        state = await contract_groups.station_hub(actor_of(request), station_id)
        return page(request, "roaming/station_hub.html", state)

    @post("/stations/{station_id:int}/hub", guards=TAB_MANAGE)
    async def save_hub(self, request: AnyRequest, station_id: int) -> Response[Any]:
        actor = actor_of(request)
        data = contract_groups.STATION_HUB_SPEC.parse(
            raw_from_form(contract_groups.STATION_HUB_SPEC, await form_of(request))
        )
        ids = [parse_id(v) for v in data["group_ids"] or []]
        try:
            await contract_groups.save_station_hub(actor, station_id, data["hub_authorised"], [i or -1 for i in ids])
        except ValidationError as exc:
            state = await contract_groups.station_hub(actor, station_id)
            return page(request, "roaming/station_hub.html", {**state, "errors": field_errors(exc)},
                        status_code=form_error_status(request))  # fmt: skip
        flash(request, Message("The changes were saved."))
        return done(request, f"/infrastructure/stations/{station_id}?tab=roaming")
