"""Locations (Standorte): list, create, edit, detail with map and history, decommission."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Response, get, post
from litestar.datastructures import FormMultiDict

from core.errors import Message, ValidationError
from core.infrastructure import locations as infrastructure_locations
from core.infrastructure import stations as infrastructure_stations
from core.infrastructure.specs import LOCATION_SPEC, PARKING_RESTRICTIONS, PARKING_TYPES
from core.load_management import settings as load_settings
from core.tenancy.permissions import Permission
from portal.auth import actor_of, requires
from portal.controllers.infra_common import (
    COUNTRIES,
    TIME_ZONES,
    WEEKDAYS,
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

MANAGE = [requires(Permission.INFRASTRUCTURE_MANAGE)]


def opening_hours_from_form(form: FormMultiDict) -> list[dict[str, Any]]:
    """Rows of the opening hours editor (weekday, from, to) as OCPI RegularHours; empty rows are dropped."""
    weekdays = form.getall("oh_weekday", [])
    begins = form.getall("oh_from", [])
    ends = form.getall("oh_to", [])
    hours: list[dict[str, Any]] = []
    for weekday, begin, end in zip(weekdays, begins, ends, strict=False):
        weekday, begin, end = str(weekday).strip(), str(begin).strip(), str(end).strip()
        if not (weekday or begin or end):
            continue
        hours.append(
            {"weekday": int(weekday) if weekday.isdigit() else weekday, "period_begin": begin, "period_end": end}
        )
    return hours


def _location_form_context(values: dict[str, Any], errors: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "values": values,
        "errors": errors,
        "hours": values.get("opening_hours") or [],
        "countries": COUNTRIES,
        "time_zones": TIME_ZONES,
        "weekdays": WEEKDAYS,
        "parking_types": PARKING_TYPES,
        "parking_restrictions": PARKING_RESTRICTIONS,
        **extra,
    }


def location_form_context(
    location: dict[str, Any], *, load_values: dict[str, Any], load_errors: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The edit page of a stored location, with its load management section (values and errors of its own)."""
    values = form_values(location, LOCATION_SPEC)
    return _location_form_context(values, {}, location=location, load_values=load_values, load_errors=load_errors or {})


async def _location_raw(request: AnyRequest) -> dict[str, Any]:
    form = await form_of(request)
    raw = raw_from_form(LOCATION_SPEC, form, skip=("opening_hours",))
    raw["opening_hours"] = opening_hours_from_form(form)
    return raw


class LocationController(Controller):
    path = "/infrastructure/locations"
    guards = [requires(Permission.INFRASTRUCTURE_VIEW)]

    @get("/", name="infra_locations")
    async def index(self, request: AnyRequest, all: bool = False) -> Response[str]:  # noqa: A002
        actor = actor_of(request)
        locations = await infrastructure_locations.list_locations(actor, include_decommissioned=all)
        stations = await infrastructure_stations.list_stations(actor, include_decommissioned=all)
        counts: dict[int, int] = {}
        for station in stations:
            counts[station["location"]] = counts.get(station["location"], 0) + 1
        return page(request, "infrastructure/locations.html", {"locations": locations, "counts": counts, "all": all})

    @get("/new", guards=MANAGE)
    async def new(self, request: AnyRequest) -> Response[str]:
        defaults = {f.name: f.default for f in LOCATION_SPEC.fields if f.default is not None}
        values = form_values(defaults, LOCATION_SPEC)
        return page(request, "infrastructure/location_form.html", _location_form_context(values, {}, location=None))

    @post("/", guards=MANAGE)
    async def create(self, request: AnyRequest) -> Response[Any]:
        actor = actor_of(request)
        raw = await _location_raw(request)
        try:
            location = await infrastructure_locations.create_location(actor, raw)
        except ValidationError as exc:
            context = _location_form_context(raw, exc.errors, location=None)
            return page(request, "infrastructure/location_form.html", context, status_code=form_error_status(request))
        flash(request, Message("The location was created."))
        return done(request, f"/infrastructure/locations/{location['id']}")

    @get("/{location_id:int}", name="infra_location")
    async def detail(self, request: AnyRequest, location_id: int) -> Response[str]:
        actor = actor_of(request)
        location = loaded(await infrastructure_locations.get_location(actor, location_id))
        stations = await infrastructure_stations.list_stations(
            actor, location_id=location_id, include_decommissioned=True
        )
        entries = await history(actor, "location", location_id)
        load = await load_settings.allocation_view(actor, location_id)
        return page(
            request,
            "infrastructure/location_detail.html",
            {"location": location, "stations": stations, "history": entries, "load": load, "location_id": location_id},
        )

    @get("/{location_id:int}/edit", guards=MANAGE)
    async def edit(self, request: AnyRequest, location_id: int) -> Response[str]:
        location = loaded(await infrastructure_locations.get_location(actor_of(request), location_id))
        stored = await load_settings.get_settings(actor_of(request), location_id)
        load_values = {**form_values(stored, load_settings.LOAD_SPEC), "phases": str(stored["phases"])}
        context = location_form_context(location, load_values=load_values)
        return page(request, "infrastructure/location_form.html", context)

    @post("/{location_id:int}", guards=MANAGE)
    async def update(self, request: AnyRequest, location_id: int) -> Response[Any]:
        actor = actor_of(request)
        location = loaded(await infrastructure_locations.get_location(actor, location_id))
        raw = await _location_raw(request)
        try:
            await infrastructure_locations.update_location(actor, location_id, raw)
        except ValidationError as exc:
            stored = await load_settings.get_settings(actor, location_id)
            load_values = {**form_values(stored, load_settings.LOAD_SPEC), "phases": str(stored["phases"])}
            context = _location_form_context(raw, exc.errors, location=location, load_values=load_values)
            return page(request, "infrastructure/location_form.html", context, status_code=form_error_status(request))
        flash(request, Message("The changes were saved."))
        return done(request, f"/infrastructure/locations/{location_id}")

    @get("/{location_id:int}/decommission", guards=MANAGE)
    async def confirm_decommission(self, request: AnyRequest, location_id: int) -> Response[str]:
        actor = actor_of(request)
        location = loaded(await infrastructure_locations.get_location(actor, location_id))
        stations = await infrastructure_stations.list_stations(actor, location_id=location_id)
        return confirm_decommission_page(
            request,
            location["name"],
            Message("Decommission this location and all its stations and charge points?"),
            Message("Nothing is deleted: the location is no longer published and its stations are out of service."),
            f"/infrastructure/locations/{location_id}",
            (Message("Stations affected"), len(stations)),
        )

    @post("/{location_id:int}/decommission", guards=MANAGE)
    async def decommission(self, request: AnyRequest, location_id: int) -> Response[Any]:
        await infrastructure_locations.decommission_location(actor_of(request), location_id)
        flash(request, Message("The location was decommissioned."))
        return done(request, f"/infrastructure/locations/{location_id}")
