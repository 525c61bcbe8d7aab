"""Charge points (Ladepunkte) with their tabs, and their connectors (Stecker)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Response, get, post

from core.errors import Message, ValidationError
from core.infrastructure import charge_points
from core.infrastructure import stations as infrastructure_stations
from core.infrastructure.specs import (
    CHARGE_POINT_SPEC,
    CONNECTOR_FORMATS,
    CONNECTOR_SPEC,
    CONNECTOR_STANDARDS,
    POWER_TYPES,
)
from core.payments import qr
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
    raw_from_form,
)
from portal.tabs import CHARGE_POINT_TABS, visible_tabs

MANAGE = [requires(Permission.INFRASTRUCTURE_MANAGE)]
CONNECTOR_CHOICES = {
    "standards": [(s, s) for s in CONNECTOR_STANDARDS],
    "formats": [(f, f) for f in CONNECTOR_FORMATS],
    "power_types": [(p, p) for p in POWER_TYPES],
}


def _defaults(*specs: Any) -> dict[str, Any]:
    return {f.name: f.default for spec in specs for f in spec.fields if f.default is not None}


async def _new_form_context(actor: Actor, values: dict[str, Any], errors: Any) -> dict[str, Any]:
    stations = await infrastructure_stations.list_stations(actor)
    return {
        "values": values,
        "errors": errors,
        "station_options": [(s["id"], f"{s['charge_box_id']} · {s['location_name']}") for s in stations],
        **CONNECTOR_CHOICES,
    }


def _qr_response(body: bytes, media_type: str, cp: dict[str, Any], ext: str, download: bool) -> Response[bytes]:
    name = "qr-" + "".join(c if c.isalnum() else "-" for c in cp["evse_id"]) + "." + ext
    disposition = "attachment" if download else "inline"
    return Response(body, media_type=media_type, headers={"Content-Disposition": f'{disposition}; filename="{name}"'})


def _cp_url(charge_point_id: int, tab: str = "") -> str:
    return f"/infrastructure/charge-points/{charge_point_id}" + (f"?tab={tab}" if tab else "")


class ChargePointController(Controller):
    path = "/infrastructure/charge-points"
    guards = [requires(Permission.INFRASTRUCTURE_VIEW)]

    @get("/new", guards=MANAGE)
    async def new(self, request: AnyRequest, station_id: int | None = None) -> Response[str]:
        actor = actor_of(request)
        values = form_values(_defaults(CHARGE_POINT_SPEC, CONNECTOR_SPEC), CHARGE_POINT_SPEC)
        values.update({k: v for k, v in _defaults(CONNECTOR_SPEC).items()})
        if station_id is not None:
            values["station_id"] = station_id
            existing = await charge_points.list_charge_points(actor, station_id=station_id)
            values["evse_number"] = max((cp["evse_number"] for cp in existing), default=0) + 1
        return page(request, "infrastructure/charge_point_new.html", await _new_form_context(actor, values, {}))

    @post("/", guards=MANAGE)
    async def create(self, request: AnyRequest) -> Response[Any]:
        actor = actor_of(request)
        form = await form_of(request)
        raw = raw_from_form(CHARGE_POINT_SPEC, form)
        connector = raw_from_form(CONNECTOR_SPEC, form, skip=("charge_point_id", "connector_number"))
        try:
            cp = await charge_points.create_charge_point(actor, raw, connector=connector)
        except ValidationError as exc:
            context = await _new_form_context(actor, {**raw, **connector}, exc.errors)
            return page(
                request, "infrastructure/charge_point_new.html", context, status_code=form_error_status(request)
            )
        flash(request, Message("The charge point was created."))
        return done(request, _cp_url(cp["id"]))

    async def _detail(self, request: AnyRequest, charge_point_id: int, tab: str, block: str | None) -> Response[str]:
        actor = actor_of(request)
        cp = await charge_points.get_charge_point(actor, charge_point_id)
        tabs = visible_tabs(CHARGE_POINT_TABS, actor)
        active = next((t for t in tabs if t.key == tab), tabs[0] if tabs else None)
        return page(
            request,
            "infrastructure/charge_point_detail.html",
            {
                "cp": cp,
                "station": loaded(await infrastructure_stations.get_station(actor, cp["station"])),
                "tabs": tabs,
                "active_tab": active,
                "history": await history(actor, "charge_point", charge_point_id),
            },
            block=block,
        )

    @get("/{charge_point_id:int}", name="infra_charge_point")
    async def detail(self, request: AnyRequest, charge_point_id: int, tab: str = "") -> Response[str]:
        return await self._detail(request, charge_point_id, tab, None)

    @get("/{charge_point_id:int}/head")
    async def head(self, request: AnyRequest, charge_point_id: int) -> Response[str]:
        """The page's heading with the status badge, which polls this while the page is visible (opened as a link:
        the whole page)."""
        return await self._detail(request, charge_point_id, "", "cp_head")

    @get("/{charge_point_id:int}/tab/configuration")
    async def configuration(self, request: AnyRequest, charge_point_id: int) -> Response[str]:
        cp = await charge_points.get_charge_point(actor_of(request), charge_point_id)
        values = form_values({**cp, "station_id": cp["station"]}, CHARGE_POINT_SPEC)
        return page(request, "infrastructure/charge_point_tab_configuration.html", {"cp": cp, "values": values})

    @get("/{charge_point_id:int}/qr.svg")
    async def qr_svg(self, request: AnyRequest, charge_point_id: int, download: bool = False) -> Response[bytes]:
        """The charge point's Direct Payment QR code (404 while Direct Payment is off)."""
        cp = await qr.qr_charge_point(actor_of(request), charge_point_id)
        return _qr_response(qr.qr_svg(qr.pay_url(cp["evse_id"])), "image/svg+xml", cp, "svg", download)

    @get("/{charge_point_id:int}/qr.png")
    async def qr_png(self, request: AnyRequest, charge_point_id: int, download: bool = False) -> Response[bytes]:
        cp = await qr.qr_charge_point(actor_of(request), charge_point_id)
        return _qr_response(qr.qr_png(qr.pay_url(cp["evse_id"])), "image/png", cp, "png", download)

    @post("/{charge_point_id:int}/configuration", guards=MANAGE)
    async def save_configuration(self, request: AnyRequest, charge_point_id: int) -> Response[Any]:
        actor = actor_of(request)
        cp = await charge_points.get_charge_point(actor, charge_point_id)
        raw = raw_from_form(CHARGE_POINT_SPEC, await form_of(request), skip=("station_id",))
        try:
            await charge_points.update_charge_point(actor, charge_point_id, raw)
        except ValidationError as exc:
            return page(
                request,
                "infrastructure/charge_point_tab_configuration.html",
                {"cp": cp, "values": raw, "errors": exc.errors},
                status_code=form_error_status(request),
            )
        flash(request, Message("The changes were saved."))
        return done(request, _cp_url(charge_point_id, "configuration"))

    @get("/{charge_point_id:int}/tab/device")
    async def device(self, request: AnyRequest, charge_point_id: int) -> Response[str]:
        actor = actor_of(request)
        cp = await charge_points.get_charge_point(actor, charge_point_id)
        connectors = await charge_points.list_connectors(actor, charge_point_id)
        return page(request, "infrastructure/charge_point_tab_device.html", {"cp": cp, "connectors": connectors})

    @get("/{charge_point_id:int}/decommission", guards=MANAGE)
    async def confirm_decommission(self, request: AnyRequest, charge_point_id: int) -> Response[str]:
        cp = await charge_points.get_charge_point(actor_of(request), charge_point_id)
        return confirm_decommission_page(
            request,
            cp["evse_id"] or f"{cp['charge_box_id']} / {cp['evse_number']}",
            Message("Decommission this charge point?"),
            Message("Nothing is deleted: the charge point is taken out of service."),
            _cp_url(charge_point_id),
        )

    @post("/{charge_point_id:int}/decommission", guards=MANAGE)
    async def decommission(self, request: AnyRequest, charge_point_id: int) -> Response[Any]:
        await charge_points.decommission_charge_point(actor_of(request), charge_point_id)
        flash(request, Message("The charge point was decommissioned."))
        return done(request, _cp_url(charge_point_id))

    @get("/{charge_point_id:int}/connectors/new", guards=MANAGE)
    async def new_connector(self, request: AnyRequest, charge_point_id: int) -> Response[str]:
        actor = actor_of(request)
        cp = await charge_points.get_charge_point(actor, charge_point_id)
        existing = await charge_points.list_connectors(actor, charge_point_id)
        values = form_values(_defaults(CONNECTOR_SPEC), CONNECTOR_SPEC)
        values["connector_number"] = max((c["connector_number"] for c in existing), default=0) + 1
        context = {"cp": cp, "connector": None, "values": values, **CONNECTOR_CHOICES}
        return page(request, "infrastructure/connector_form.html", context)

    @post("/{charge_point_id:int}/connectors", guards=MANAGE)
    async def create_connector(self, request: AnyRequest, charge_point_id: int) -> Response[Any]:
        actor = actor_of(request)
        cp = await charge_points.get_charge_point(actor, charge_point_id)
        raw = raw_from_form(CONNECTOR_SPEC, await form_of(request), skip=("charge_point_id",))
        try:
            await charge_points.create_connector(actor, {**raw, "charge_point_id": charge_point_id})
        except ValidationError as exc:
            context = {"cp": cp, "connector": None, "values": raw, "errors": exc.errors, **CONNECTOR_CHOICES}
            return page(request, "infrastructure/connector_form.html", context, status_code=form_error_status(request))
        flash(request, Message("The connector was added."))
        return done(request, _cp_url(charge_point_id, "device"))


class ConnectorController(Controller):
    path = "/infrastructure/connectors"
    guards = [requires(Permission.INFRASTRUCTURE_VIEW, Permission.INFRASTRUCTURE_MANAGE)]

    @get("/{connector_id:int}/edit")
    async def edit(self, request: AnyRequest, connector_id: int) -> Response[str]:
        actor = actor_of(request)
        connector = await charge_points.get_connector(actor, connector_id)
        cp = await charge_points.get_charge_point(actor, connector["charge_point"])
        values = form_values(connector, CONNECTOR_SPEC)
        context = {"cp": cp, "connector": connector, "values": values, **CONNECTOR_CHOICES}
        return page(request, "infrastructure/connector_form.html", context)

    @post("/{connector_id:int}")
    async def update(self, request: AnyRequest, connector_id: int) -> Response[Any]:
        actor = actor_of(request)
        connector = await charge_points.get_connector(actor, connector_id)
        cp = await charge_points.get_charge_point(actor, connector["charge_point"])
        raw = raw_from_form(CONNECTOR_SPEC, await form_of(request), skip=("charge_point_id",))
        try:
            await charge_points.update_connector(actor, connector_id, raw)
        except ValidationError as exc:
            context = {"cp": cp, "connector": connector, "values": raw, "errors": exc.errors, **CONNECTOR_CHOICES}
            return page(request, "infrastructure/connector_form.html", context, status_code=form_error_status(request))
        flash(request, Message("The changes were saved."))
        return done(request, _cp_url(cp["id"], "device"))

    @post("/{connector_id:int}/delete")
    async def delete(self, request: AnyRequest, connector_id: int) -> Response[Any]:
        actor = actor_of(request)
        connector = await charge_points.get_connector(actor, connector_id)
        try:
            await charge_points.delete_connector(actor, connector_id)
        except ValidationError as exc:
            flash(request, exc.message, kind="error")
        else:
            flash(request, Message("The connector was removed."))
        return done(request, _cp_url(connector["charge_point"], "device"))
