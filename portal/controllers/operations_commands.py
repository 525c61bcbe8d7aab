"""OCPP commands in the portal: the charge point "Control" tab, the station "Operations" (Betriebsführung)
and "OCPP parameters" tabs, command results (pending -> result via HTMX polling), diagnostics downloads and
bulk commands on a selection of stations with progress per station.

Every command goes through core.commands (checks, tenant, record); a command started here runs in a task
kept by core and its result fragment polls the record until the station answered.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Response, get, post
from litestar.datastructures import FormMultiDict
from litestar.response import File

from core.access import cards
from core.charging.connections import is_online
from core.commands import catalogue, running
from core.commands import diagnostics as commands_diagnostics
from core.errors import Conflict, DomainError, Message, NotFound, ValidationError
from core.infrastructure import charge_points, selection
from core.infrastructure import stations as infrastructure_stations
from core.tenancy.actor import Actor
from core.tenancy.permissions import Permission
from portal.auth import actor_of, requires
from portal.controllers import support360
from portal.controllers.infra_common import AnyRequest, done, flash, form_of, page
from portal.templating import is_htmx

TEMPLATES = "operations/commands/"
COMMAND = [requires(Permission.OCPP_COMMANDS)]
STATION_COMMAND = [requires(Permission.OCPP_COMMANDS, Permission.OPERATIONS_TAB)]
LABELS = {action: command.label for action, command in catalogue.CATALOGUE.items()}
PARAMETER_TIMEOUT = 15.0


def raw_command(form: FormMultiDict, command: catalogue.Command) -> dict[str, Any]:
    """The command's fields from a form post (lists may come as several values or one text)."""
    raw: dict[str, Any] = {}
    for f in command.spec.fields:
        values = [str(v) for v in form.getall(f.name, []) if str(v).strip()]
        if not values:
            continue
        raw[f.name] = values if f.kind == "list" and len(values) > 1 else values[0]
    return raw


def _error_text(exc: DomainError) -> list[Message]:
    if isinstance(exc, ValidationError):
        return list(exc.errors.values())
    return [exc.message]


async def result_fragment(
    request: AnyRequest, record: dict[str, Any] | None, errors: list[Message] | None = None
) -> Any:
    heartbeat = await running.heartbeat_check(record) if record is not None else None
    headers = {"HX-Trigger": "commandDone"} if record is not None and record["status"] != "pending" else None
    response = page(request, TEMPLATES + "_result.html", {"r": record, "command_errors": errors or [],
                                                           "labels": LABELS, "heartbeat": heartbeat})  # fmt: skip
    if headers:
        response.headers.update(headers)
    return response


async def _start(
    request: AnyRequest, name: str, *, station_id: int | None = None, charge_point_id: int | None = None, back: str
) -> Any:
    actor = actor_of(request)
    command = catalogue.find_command(name)
    raw = raw_command(await form_of(request), command)
    try:
        prepared = await running.start_command(actor, name, raw, station_id=station_id,
                                                charge_point_id=charge_point_id)  # fmt: skip
    except (ValidationError, Conflict) as exc:
        if is_htmx(request):
            return await result_fragment(request, None, _error_text(exc))
        flash(request, _error_text(exc)[0], kind="error")
        return done(request, back)
    running.run_in_background(prepared)
    if not is_htmx(request):
        flash(request, Message("The command was sent to the station."))
        return done(request, back)
    return await result_fragment(request, await running.get_command(actor, prepared.record_id))


async def _status_context(actor: Actor, cp: dict[str, Any]) -> dict[str, Any]:
    session = await catalogue.running_session(actor, cp["id"]) if actor.can(Permission.OCPP_COMMANDS) else None
    return {"cp": cp, "session": session}


async def _station_context(actor: Actor, station_id: int) -> dict[str, Any]:
    station = await infrastructure_stations.get_station(actor, station_id)
    return {"station": station, "online": is_online(station), "labels": LABELS}


class OperationsCommandsController(Controller):
    path = "/operations"
    guards = [requires(Permission.INFRASTRUCTURE_VIEW)]

    # -- charge point: Control tab ----------------------------------------------------------------------

    @get("/charge-points/{charge_point_id:int}/control")
    async def control(self, request: AnyRequest, charge_point_id: int) -> Response[str]:
        actor = actor_of(request)
        cp = await charge_points.get_charge_point(actor, charge_point_id)
        context = await _station_context(actor, cp["station"])
        context.update(await _status_context(actor, cp))
        if actor.can(Permission.OCPP_COMMANDS):
            context["cards"] = await cards.list_cards(actor, limit=200)
            context["reservations"] = [
                r for r in await running.active_reservations(actor, cp["station"]) if r["charge_point"] == cp["id"]
            ]
            context["history"] = await running.list_commands(actor, charge_point_id=charge_point_id, limit=10)
        return page(request, TEMPLATES + "control.html", context)

    @get("/charge-points/{charge_point_id:int}/status")
    async def live_status(self, request: AnyRequest, charge_point_id: int) -> Response[str]:
        """The Control tab's status block, which polls this while the page is visible."""
        actor = actor_of(request)
        context = await _status_context(actor, await charge_points.get_charge_point(actor, charge_point_id))
        return page(request, TEMPLATES + "_cp_status.html", context)

    @post("/charge-points/{charge_point_id:int}/commands/{name:str}", guards=COMMAND)
    async def charge_point_command(self, request: AnyRequest, charge_point_id: int, name: str) -> Any:
        back = f"/infrastructure/charge-points/{charge_point_id}?tab=control"
        return await _start(request, name, charge_point_id=charge_point_id, back=back)

    # -- station: Operations (Betriebsführung) tab --------------------------------------------------------

    @get("/stations/{station_id:int}/operations", guards=[requires(Permission.OPERATIONS_TAB)])
    async def operations_tab(self, request: AnyRequest, station_id: int) -> Response[str]:
        actor = actor_of(request)
        context = await _station_context(actor, station_id)
        context["charge_points"] = await charge_points.list_charge_points(actor, station_id=station_id)
        context["history"] = await running.list_commands(actor, station_id=station_id, limit=50)
        context["triggerable"] = catalogue.TRIGGERABLE
        context["purposes"] = catalogue.PURPOSES
        context.update(await support360.tab_context(actor, context["station"]))
        return page(request, TEMPLATES + "operations.html", context)

    @get("/stations/{station_id:int}/history", guards=[requires(Permission.OPERATIONS_TAB)])
    async def history(self, request: AnyRequest, station_id: int) -> Response[str]:
        actor = actor_of(request)
        await running.station_of(actor, station_id)
        rows = await running.list_commands(actor, station_id=station_id, limit=50)
        return page(request, TEMPLATES + "_history.html", {"history": rows, "labels": LABELS})

    @post("/stations/{station_id:int}/commands/{name:str}", guards=STATION_COMMAND)
    async def station_command(self, request: AnyRequest, station_id: int, name: str) -> Any:
        back = f"/infrastructure/stations/{station_id}?tab=operations"
        return await _start(request, name, station_id=station_id, back=back)

    # -- results ------------------------------------------------------------------------------------------

    @get("/commands/{record_id:int}", guards=COMMAND)
    async def result(self, request: AnyRequest, record_id: int) -> Any:
        return await result_fragment(request, await running.get_command(actor_of(request), record_id))

    @get("/commands/{record_id:int}/diagnostics", guards=[requires(Permission.OPERATIONS_TAB)])
    async def diagnostics(self, request: AnyRequest, record_id: int) -> File:
        path, name = await commands_diagnostics.diagnostics_file(actor_of(request), record_id)
        return File(path=path, filename=name, media_type="application/octet-stream")

    # -- station: OCPP parameters tab -----------------------------------------------------------------------

    @get("/stations/{station_id:int}/parameters", guards=COMMAND)
    async def parameters_tab(self, request: AnyRequest, station_id: int) -> Response[str]:
        context = await _station_context(actor_of(request), station_id)
        return page(request, TEMPLATES + "parameters.html", context)

    @get("/charge-points/{charge_point_id:int}/parameters", guards=COMMAND)
    async def charge_point_parameters_tab(self, request: AnyRequest, charge_point_id: int) -> Response[str]:
        """The charge point page shows its station's OCPP parameters (OCPP 1.6 configures the station)."""
        actor = actor_of(request)
        cp = await charge_points.get_charge_point(actor, charge_point_id)
        return page(request, TEMPLATES + "parameters.html", await _station_context(actor, cp["station"]))

    @get("/stations/{station_id:int}/parameters/keys", guards=COMMAND)
    async def parameter_keys(self, request: AnyRequest, station_id: int) -> Response[str]:
        actor = actor_of(request)
        record = await running.execute(actor, "GetConfiguration", {}, station_id=station_id,
                                        timeout=PARAMETER_TIMEOUT)  # fmt: skip
        keys = sorted(record["result"].get("configurationKey") or [], key=lambda k: str(k.get("key")))
        context = {"station_id": station_id, "r": record, "keys": keys, "labels": LABELS}
        return page(request, TEMPLATES + "_parameter_keys.html", context)

    @post("/stations/{station_id:int}/parameters", guards=COMMAND)
    async def change_parameter(self, request: AnyRequest, station_id: int) -> Response[str]:
        actor = actor_of(request)
        form = await form_of(request)
        key, value = str(form.get("key", "")), str(form.get("value", ""))
        context: dict[str, Any] = {"station_id": station_id, "k": {"key": key, "value": value, "readonly": False}}
        try:
            context["changed"] = await running.execute(actor, "ChangeConfiguration", {"key": key, "value": value},
                                                  station_id=station_id, timeout=PARAMETER_TIMEOUT)  # fmt: skip
        except ValidationError as exc:
            context["command_errors"] = _error_text(exc)
        return page(request, TEMPLATES + "_parameter_row.html", context)

    # -- bulk commands on a selection of stations -----------------------------------------------------------

    @get("/bulk", guards=COMMAND)
    async def bulk_form(self, request: AnyRequest, station_id: list[int] | None = None) -> Response[str]:
        actor = actor_of(request)
        context = {"stations": await infrastructure_stations.list_stations(actor), "selected": set(station_id or []),
                   "bulk_commands": running.BULK_COMMANDS, "labels": LABELS, "triggerable": catalogue.TRIGGERABLE,
                   "values": {}}  # fmt: skip
        return page(request, TEMPLATES + "bulk.html", context)

    @post("/bulk/select", guards=COMMAND)
    async def bulk_select(self, request: AnyRequest) -> Any:
        """The overview's selection (charge points) -> the bulk form with their stations ticked."""
        form = await form_of(request)
        actor = actor_of(request)
        if form.get("selection") == "overview":
            ids = await selection.selected_ids(actor)
        else:
            ids = [int(v) for v in form.getall("charge_point_ids", []) if str(v).isdigit()]
        stations = await running.stations_of_charge_points(actor, ids)
        query = "&".join(f"station_id={station_id}" for station_id in stations)
        return done(request, "/operations/bulk" + (f"?{query}" if query else ""))

    @post("/bulk", guards=COMMAND)
    async def bulk_start(self, request: AnyRequest) -> Any:
        actor = actor_of(request)
        form = await form_of(request)
        name = str(form.get("command", ""))
        selected = [int(v) for v in form.getall("station_id", []) if str(v).isdigit()]
        raw = raw_command(form, catalogue.find_command(name)) if name in running.BULK_COMMANDS else {}
        try:
            job = await running.start_bulk(actor, name, raw, selected)
        except DomainError as exc:  # invalid input, or a station that is not the actor's
            context = {"stations": await infrastructure_stations.list_stations(actor), "selected": set(selected),
                       "bulk_commands": running.BULK_COMMANDS, "labels": LABELS, "triggerable": catalogue.TRIGGERABLE,
                       "command_errors": _error_text(exc), "values": {k: str(v) for k, v in form.items()}}  # fmt: skip
            return page(request, TEMPLATES + "bulk.html", context, status_code=200 if is_htmx(request) else 400)
        return done(request, f"/operations/bulk/{job}")

    @get("/bulk/{job:str}", guards=COMMAND)
    async def bulk_job(self, request: AnyRequest, job: str) -> Response[str]:
        rows = await running.list_commands(actor_of(request), job=job, limit=1000)
        if not rows:  # another tenant's job, or none: a job's records are made before the redirect here
            raise NotFound("command_job")
        counts: dict[str, int] = {}
        for row in rows:
            counts[row["status"]] = counts.get(row["status"], 0) + 1
        context = {"job": job, "rows": sorted(rows, key=lambda r: r["charge_box_id"]), "counts": counts,
                   "running": counts.get("pending", 0) > 0, "labels": LABELS}  # fmt: skip
        return page(request, TEMPLATES + "bulk_job.html", context, block="progress")
