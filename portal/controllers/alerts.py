"""Alerts (Störungen) and notification groups (seed 003, "Ladeinfrastruktur Benachrichtigungen"): the open and past
alerts with acknowledge, and the groups that decide who is mailed about what (core.alerts.manage)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Response, get, post

from core.alerts import manage
from core.alerts.cases import CASE_LABELS, Case
from core.errors import Message, ValidationError
from core.infrastructure import stations as infrastructure_stations
from core.settings import get_settings
from core.tenancy.permissions import Permission
from portal import i18n
from portal.auth import actor_of, requires
from portal.controllers.infra_common import (
    AnyRequest,
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

VIEW = [requires(Permission.ALERTS_VIEW)]
MANAGE = [requires(Permission.ALERTS_VIEW, Permission.ALERTS_MANAGE)]
STATION_PAST = 20  # past alerts on a station's tab; the alerts page lists the rest
CASES = [(case.value, CASE_LABELS[case].msgid) for case in Case]


async def _group_page(request: AnyRequest, group: dict[str, Any] | None, values: dict[str, Any],
                      errors: dict[str, Message] | None = None, status_code: int = 200) -> Response[str]:  # fmt: skip
    actor = actor_of(request)
    context = {
        "group": group, "values": values, "errors": errors or {}, "cases": CASES, **await manage.choices(actor),
        "history": await history(actor, "notification_group", group["id"]) if group else [],
    }  # fmt: skip
    return page(request, "alerts/group.html", context, status_code=status_code)


def _minutes(value: float) -> str:
    """The alert settings' minutes as a person reads them: 10, or 0,5."""
    return i18n.number(value, 0 if value == int(value) else 1)


def _values(group: dict[str, Any]) -> dict[str, Any]:
    values = form_values(group, manage.GROUP_SPEC)
    values.update({"recipients": "\n".join(group["recipients"]), "cases": group["cases"],
                   "location_ids": group["location_ids"], "station_ids": group["station_ids"]})  # fmt: skip
    return values


def _raw(form: Any) -> dict[str, Any]:
    raw = raw_from_form(manage.GROUP_SPEC, form, skip=("recipients",))
    raw["recipients"] = str(form.get("recipients", ""))  # one address per line (or separated by , or ;)
    return raw


class AlertsController(Controller):
    path = "/alerts"

    @get("/", guards=VIEW, name="alerts")
    async def index(self, request: AnyRequest, show: str = "open", station: str = "") -> Response[str]:
        actor = actor_of(request)
        station_id = parse_id(station)
        context = {
            "alerts": await manage.list_alerts(actor, past=show == "past", station_id=station_id),
            "show": "past" if show == "past" else "open", "station_id": station_id,
            "groups": await manage.list_groups(actor), "case_labels": dict(CASES),
            "offline_minutes": _minutes(get_settings().alerts.offline_after_minutes),
            "quiet_minutes": _minutes(get_settings().alerts.quiet_minutes),
        }  # fmt: skip
        return page(request, "alerts/index.html", context)

    @get("/stations/{station_id:int}/tab", guards=[requires(Permission.ALERTS_VIEW, Permission.INFRASTRUCTURE_VIEW)])
    async def station_tab(self, request: AnyRequest, station_id: int) -> Response[str]:
        """The station page's tab: its open alerts and the latest past ones."""
        actor = actor_of(request)
        station = loaded(await infrastructure_stations.get_station(actor, station_id))
        context = {
            "station": station, "case_labels": dict(CASES),
            "open": await manage.list_alerts(actor, station_id=station_id),
            "past": await manage.list_alerts(actor, past=True, station_id=station_id, limit=STATION_PAST),
        }  # fmt: skip
        return page(request, "alerts/station_tab.html", context)

    @post("/{alert_id:int}/acknowledge", guards=MANAGE)
    async def acknowledge(self, request: AnyRequest, alert_id: int) -> Response[Any]:
        alert = await manage.acknowledge(actor_of(request), alert_id)
        flash(request, Message("The alert was acknowledged."))
        if (await form_of(request)).get("back") == "station":  # from the station page's tab: back there
            return done(request, f"/infrastructure/stations/{alert['station']}?tab=alerts")
        return done(request, "/alerts")

    @get("/groups/new", guards=MANAGE)
    async def new_group(self, request: AnyRequest) -> Response[str]:
        seeds_cases = [Case.UNAVAILABILITY.value, Case.FUSE_TRIPPED.value, Case.SENSORS.value]  # seed 003's form
        values = {"name": "", "recipients": "", "cases": seeds_cases, "all_charge_points": "on", "location_ids": [],
                  "station_ids": [], "language": ""}  # fmt: skip
        return await _group_page(request, None, values)

    @post("/groups", guards=MANAGE)
    async def create_group(self, request: AnyRequest) -> Response[Any]:
        raw = _raw(await form_of(request))
        try:
            group = await manage.save_group(actor_of(request), raw)
        except ValidationError as exc:
            return await _group_page(request, None, raw, dict(exc.errors), form_error_status(request))
        flash(request, Message("The notification group was saved."))
        return done(request, f"/alerts/groups/{group['id']}")

    @get("/groups/{notification_group_id:int}", guards=VIEW)
    async def group(self, request: AnyRequest, notification_group_id: int) -> Response[str]:
        group = await manage.get_group(actor_of(request), notification_group_id)
        return await _group_page(request, group, _values(group))

    @post("/groups/{notification_group_id:int}", guards=MANAGE)
    async def update_group(self, request: AnyRequest, notification_group_id: int) -> Response[Any]:
        actor = actor_of(request)
        group = await manage.get_group(actor, notification_group_id)
        raw = _raw(await form_of(request))
        try:
            await manage.save_group(actor, raw, notification_group_id)
        except ValidationError as exc:
            return await _group_page(request, group, raw, dict(exc.errors), form_error_status(request))
        flash(request, Message("The notification group was saved."))
        return done(request, f"/alerts/groups/{notification_group_id}")

    @post("/groups/{notification_group_id:int}/delete", guards=MANAGE)
    async def delete_group(self, request: AnyRequest, notification_group_id: int) -> Response[Any]:
        await manage.delete_group(actor_of(request), notification_group_id)
        flash(request, Message("The notification group was deleted."))
        return done(request, "/alerts")
