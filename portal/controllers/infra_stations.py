"""Charging stations: list, create, edit, data sheet with tabs, clone, change operator, password, decommission."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Response, get, post
from litestar.exceptions import NotFoundException

from core.errors import Message, ValidationError
from core.infrastructure import charge_points as infrastructure_charge_points
from core.infrastructure import locations as infrastructure_locations
from core.infrastructure import station_sheet
from core.infrastructure import stations as infrastructure_stations
from core.infrastructure.specs import OCPP_VERSIONS, STATION_SPEC, AccessType, InstallationStatus
from core.payments import qr
from core.tenancy import tenants
from core.tenancy.actor import Actor
from core.tenancy.permissions import Permission
from portal.auth import actor_of, requires
from portal.controllers.infra_common import (
    AnyRequest,
    confirm_decommission_page,
    done,
    flash,
    form_error_status,
    form_of,
    form_values,
    history,
    loaded,
    page,
    parse_id,
    raw_from_form,
)
from portal.tabs import STATION_TABS, visible_tabs
from portal.templating import is_htmx, render

MANAGE = [requires(Permission.INFRASTRUCTURE_MANAGE)]
STATION_FORM_SKIP = ("attributes",)


async def _station_form_context(actor: Actor, values: dict[str, Any], errors: Any, **extra: Any) -> dict[str, Any]:
    locations = await infrastructure_locations.list_locations(actor)
    return {
        "values": values,
        "errors": errors,
        "location_options": [(loc["id"], f"{loc['name']} ({loc['city']})") for loc in locations],
        "ocpp_versions": [(v, v) for v in OCPP_VERSIONS],
        "installation_statuses": list(InstallationStatus),
        "access_types": list(AccessType),
        **extra,
    }


async def operator_options(actor: Actor, station: dict[str, Any]) -> list[dict[str, Any]]:
    """Other CPOs the actor manages (a reseller's sub-CPOs) the station can move to."""
    return [t for t in await tenants.sub_tenants(actor) if t["kind"] == "CPO" and t["id"] != station["tenant"]]


def _secret(request: AnyRequest, station: dict[str, Any], password: str) -> dict[str, Any]:
    return {
        "station_id": station["id"],
        "password": password,
        "url": station_sheet.ocpp_address(station["charge_box_id"], str(request.base_url)).url,
        "username": station["charge_box_id"],
    }


OWN_TAB_KEYS = frozenset(t.key for t in STATION_TABS if t.url.startswith("/infrastructure/stations/"))


class StationController(Controller):
    path = "/infrastructure/stations"
    guards = [requires(Permission.INFRASTRUCTURE_VIEW)]

    @get("/", name="infra_stations")
    async def index(self, request: AnyRequest, all: bool = False) -> Response[str]:  # noqa: A002
        stations = await infrastructure_stations.list_stations(actor_of(request), include_decommissioned=all)
        return page(request, "infrastructure/stations.html", {"stations": stations, "all": all})

    @get("/new", guards=MANAGE)
    async def new(self, request: AnyRequest, location_id: int | None = None) -> Response[str]:
        defaults = {f.name: f.default for f in STATION_SPEC.fields if f.default is not None}
        values = form_values({**defaults, "location_id": location_id or ""}, STATION_SPEC)
        context = await _station_form_context(actor_of(request), values, {}, station=None)
        return page(request, "infrastructure/station_form.html", context)

    @post("/", guards=MANAGE)
    async def create(self, request: AnyRequest) -> Response[Any]:
        actor = actor_of(request)
        raw = raw_from_form(STATION_SPEC, await form_of(request), skip=STATION_FORM_SKIP)
        try:
            station, password = await infrastructure_stations.create_station(actor, raw)
        except ValidationError as exc:
            raw.pop("ocpp_password", None)  # a typed secret is never echoed back into the page
            context = await _station_form_context(actor, raw, exc.errors, station=None)
            return page(request, "infrastructure/station_form.html", context, status_code=form_error_status(request))
        flash(request, Message("The station was created."), _secret(request, station, password))
        return done(request, f"/infrastructure/stations/{station['id']}")

    @get("/{station_id:int}", name="infra_station")
    async def detail(self, request: AnyRequest, station_id: int, tab: str = "") -> Response[str]:
        actor = actor_of(request)
        station = loaded(await infrastructure_stations.get_station(actor, station_id))
        tabs = visible_tabs(STATION_TABS, actor)
        active = next((t for t in tabs if t.key == tab), tabs[0] if tabs else None)
        context = {
            "station": station,
            "location": loaded(await infrastructure_locations.get_location(actor, station["location"])),
            "tabs": tabs,
            "active_tab": active,
            "charge_points": await infrastructure_charge_points.list_charge_points(actor, station_id=station_id),
            "history": await history(actor, "station", station_id),
            "can_move": bool(await operator_options(actor, station)),
        }
        response = page(request, "infrastructure/station_detail.html", context)
        flash_item = context.get("flash")
        if isinstance(flash_item, dict) and flash_item.get("secret"):
            response.headers["Cache-Control"] = "no-store"
        return response

    @get("/{station_id:int}/tab/{key:str}")
    async def tab(self, request: AnyRequest, station_id: int, key: str) -> Response[str]:
        actor = actor_of(request)
        if key not in OWN_TAB_KEYS:  # other areas serve their tabs from their own controllers
            raise NotFoundException()
        station = loaded(await infrastructure_stations.get_station(actor, station_id))
        context = await self._tab_context(request, actor, station, key)
        return page(request, f"infrastructure/station_tab_{key}.html", context)

    async def _tab_context(
        self, request: AnyRequest, actor: Actor, station: dict[str, Any], key: str
    ) -> dict[str, Any]:
        context: dict[str, Any] = {"station": station}
        context["location"] = loaded(await infrastructure_locations.get_location(actor, station["location"]))
        if key == "assignments":
            context["charge_groups"] = await station_sheet.station_charge_groups(actor, station["id"])
        elif key == "attributes":
            context["pairs"] = list((station["attributes"] or {}).items())
        elif key == "ocpp":
            context["ocpp"] = station_sheet.ocpp_address(station["charge_box_id"], str(request.base_url))
            context["ocpp_versions"] = OCPP_VERSIONS
        return context

    @post("/{station_id:int}/attributes", guards=MANAGE)
    async def save_attributes(self, request: AnyRequest, station_id: int) -> Response[Any]:
        actor = actor_of(request)
        form = await form_of(request)
        keys = [str(k) for k in form.getall("attr_key", [])]
        values = [str(v) for v in form.getall("attr_value", [])]
        pairs = list(zip(keys, values, strict=False))
        try:
            await station_sheet.set_station_attributes(actor, station_id, pairs)
        except ValidationError as exc:
            station = loaded(await infrastructure_stations.get_station(actor, station_id))
            context = await self._tab_context(request, actor, station, "attributes")
            context.update(pairs=pairs, errors=exc.errors)
            return page(
                request, "infrastructure/station_tab_attributes.html", context, status_code=form_error_status(request)
            )
        flash(request, Message("The changes were saved."))
        return done(request, f"/infrastructure/stations/{station_id}?tab=attributes")

    @get("/{station_id:int}/stickers")
    async def stickers(self, request: AnyRequest, station_id: int) -> Response[str]:
        """The printable sheet of the station's Direct Payment stickers: QR code, EVSE-ID, hotline."""
        return render(
            request, "infrastructure/station_stickers.html", await qr.sticker_sheet(actor_of(request), station_id)
        )

    @get("/{station_id:int}/edit", guards=MANAGE)
    async def edit(self, request: AnyRequest, station_id: int) -> Response[str]:
        actor = actor_of(request)
        station = loaded(await infrastructure_stations.get_station(actor, station_id))
        values = form_values({**station, "location_id": station["location"]}, STATION_SPEC)
        context = await _station_form_context(actor, values, {}, station=station)
        return page(request, "infrastructure/station_form.html", context)

    @post("/{station_id:int}", guards=MANAGE)
    async def update(self, request: AnyRequest, station_id: int) -> Response[Any]:
        actor = actor_of(request)
        station = loaded(await infrastructure_stations.get_station(actor, station_id))
        raw = raw_from_form(STATION_SPEC, await form_of(request), skip=(*STATION_FORM_SKIP, "ocpp_password"))
        try:
            await infrastructure_stations.update_station(actor, station_id, raw)
        except ValidationError as exc:
            context = await _station_form_context(actor, raw, exc.errors, station=station)
            return page(request, "infrastructure/station_form.html", context, status_code=form_error_status(request))
        flash(request, Message("The changes were saved."))
        return done(request, f"/infrastructure/stations/{station_id}")

    @post("/{station_id:int}/check-signatures", guards=MANAGE)
    async def check_signatures(self, request: AnyRequest, station_id: int) -> Response[Any]:
        await infrastructure_stations.check_station_signatures(actor_of(request), station_id)
        flash(request, Message("The signed meter data of this station's charging sessions is being checked again."))
        return done(request, f"/infrastructure/stations/{station_id}?tab=device")

    @post("/{station_id:int}/password", guards=MANAGE)
    async def reset_password(self, request: AnyRequest, station_id: int) -> Response[Any]:
        actor = actor_of(request)
        password = await infrastructure_stations.reset_station_password(actor, station_id)
        station = loaded(await infrastructure_stations.get_station(actor, station_id))
        if is_htmx(request):
            context = await self._tab_context(request, actor, station, "ocpp")
            context["secret"] = _secret(request, station, password)
            response = render(request, "infrastructure/station_tab_ocpp.html", {**context, "errors": {}})
            response.headers["Cache-Control"] = "no-store"
            return response
        flash(request, Message("A new OCPP password was generated."), _secret(request, station, password))
        return done(request, f"/infrastructure/stations/{station_id}?tab=ocpp")

    @get("/{station_id:int}/clone", guards=MANAGE)
    async def clone_form(self, request: AnyRequest, station_id: int) -> Response[str]:
        station = loaded(await infrastructure_stations.get_station(actor_of(request), station_id))
        return page(request, "infrastructure/station_clone.html", {"station": station, "values": {}})

    @post("/{station_id:int}/clone", guards=MANAGE)
    async def clone(self, request: AnyRequest, station_id: int) -> Response[Any]:
        actor = actor_of(request)
        station = loaded(await infrastructure_stations.get_station(actor, station_id))
        new_id = str((await form_of(request)).get("charge_box_id", "")).strip()
        try:
            copy, password = await infrastructure_stations.clone_station(actor, station_id, new_id)
        except ValidationError as exc:
            context = {"station": station, "values": {"charge_box_id": new_id}, "errors": exc.errors}
            return page(request, "infrastructure/station_clone.html", context, status_code=form_error_status(request))
        flash(request, Message("The station was cloned."), _secret(request, copy, password))
        return done(request, f"/infrastructure/stations/{copy['id']}")

    @get("/{station_id:int}/operator", guards=MANAGE)
    async def operator_form(self, request: AnyRequest, station_id: int) -> Response[str]:
        actor = actor_of(request)
        station = loaded(await infrastructure_stations.get_station(actor, station_id))
        options = await operator_options(actor, station)
        return page(
            request, "infrastructure/station_operator.html", {"station": station, "options": options, "values": {}}
        )

    @post("/{station_id:int}/operator", guards=MANAGE)
    async def change_operator(self, request: AnyRequest, station_id: int) -> Response[Any]:
        actor = actor_of(request)
        station = loaded(await infrastructure_stations.get_station(actor, station_id))
        options = await operator_options(actor, station)
        chosen = str((await form_of(request)).get("tenant_id", ""))
        target = parse_id(chosen)
        try:
            if target is None or target not in {t["id"] for t in options}:
                raise ValidationError({"tenant_id": Message("Choose one of the offered values.")})
            await infrastructure_stations.change_operator(actor, station_id, target)
        except ValidationError as exc:
            context = {"station": station, "options": options, "values": {"tenant_id": chosen}, "errors": exc.errors}
            return page(
                request, "infrastructure/station_operator.html", context, status_code=form_error_status(request)
            )
        flash(request, Message("The station was moved to the other operator."))
        return done(request, f"/infrastructure/stations/{station_id}")

    @get("/{station_id:int}/decommission", guards=MANAGE)
    async def confirm_decommission(self, request: AnyRequest, station_id: int) -> Response[str]:
        actor = actor_of(request)
        station = loaded(await infrastructure_stations.get_station(actor, station_id))
        charge_points = await infrastructure_charge_points.list_charge_points(actor, station_id=station_id)
        return confirm_decommission_page(
            request,
            station["charge_box_id"],
            Message("Decommission this station and its charge points?"),
            Message("Nothing is deleted: the station and its charge points are taken out of service."),
            f"/infrastructure/stations/{station_id}",
            (Message("Charge points affected"), len(charge_points)),
        )

    @post("/{station_id:int}/decommission", guards=MANAGE)
    async def decommission(self, request: AnyRequest, station_id: int) -> Response[Any]:
        await infrastructure_stations.decommission_station(actor_of(request), station_id)
        flash(request, Message("The station was decommissioned."))
        return done(request, f"/infrastructure/stations/{station_id}")
