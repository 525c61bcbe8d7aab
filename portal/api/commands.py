"""REST API: OCPP commands to stations and charge points, and their records.

``POST /api/v1/evses/{id}/commands/{start|stop|unlock}`` and ``POST /api/v1/stations/{id}/commands/{name}``
(``name`` is the OCPP action, e.g. ``Reset``, or its short name, e.g. ``reset``) wait for the station's answer
and return the command record. HTTP status: 200 when the station answered (``status`` accepted, rejected or
failed), 409 when the station is offline, 504 when it did not answer in time; 400 for invalid parameters,
404 for an unknown command or another tenant's object.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.openapi import ResponseSpec
from litestar.params import Body, Parameter
from litestar.response import File

from core.commands import catalogue, running
from core.commands import diagnostics as commands_diagnostics
from core.errors import NotFound
from core.tenancy.permissions import Permission
from portal.auth import actor_of, requires

AnyRequest = Request[Any, Any, Any]
Params = Annotated[
    dict[str, Any] | None,
    Body(description="The command's parameters, e.g. {\"id_tag\": \"04A1B2C3\"} for start, {\"type\": \"Hard\"} "
         "for Reset; a station command for one charge point takes \"charge_point_id\"."),
]  # fmt: skip
Timeout = Annotated[
    float | None, Parameter(ge=0.1, le=catalogue.MAX_TIMEOUT, description="Seconds to wait for the station.")
]
EVSE_COMMANDS = {"start": "RemoteStartTransaction", "stop": "RemoteStopTransaction", "unlock": "UnlockConnector"}
_HTTP_STATUS = {running.CommandStatus.OFFLINE.value: 409, running.CommandStatus.TIMEOUT.value: 504}
COMMAND = [requires(Permission.OCPP_COMMANDS)]
# A command's record is the answer whatever became of it; these statuses say the station did not answer.
ANSWERS = {
    409: ResponseSpec(data_container=dict[str, Any], description="The station is not connected (the record).",
                      generate_examples=False),
    504: ResponseSpec(data_container=dict[str, Any], description="The station did not answer in time (the record).",
                      generate_examples=False),
}
DIAGNOSTICS = [requires(Permission.OCPP_COMMANDS, Permission.OPERATIONS_TAB)]  # like the station's operations tab

_PUBLIC = (
    *("id", "action", "status", "message", "payload", "result", "charge_box_id", "station", "charge_point"),
    *("requested_by", "duration_ms", "created_at", "finished_at", "upload_name", "upload_size", "uploaded_at"),
)


def public(record: dict[str, Any]) -> dict[str, Any]:
    return {key: record.get(key) for key in _PUBLIC}


def answer(record: dict[str, Any]) -> Response[dict[str, Any]]:
    return Response(public(record), status_code=_HTTP_STATUS.get(record["status"], 200))


class CommandApiController(Controller):
    path = "/api/v1"
    tags = ["OCPP commands"]

    @post("/evses/{charge_point_id:int}/commands/{name:str}", guards=COMMAND, status_code=200, responses=ANSWERS,
          summary="Start, stop or unlock a charge point")  # fmt: skip
    async def evse_command(
        self, request: AnyRequest, charge_point_id: int, name: str, data: Params = None, timeout: Timeout = None
    ) -> Response[dict[str, Any]]:
        action = EVSE_COMMANDS.get(name)
        if action is None:
            raise NotFound("command")
        record = await running.execute(actor_of(request), action, data or {}, charge_point_id=charge_point_id,
                                        timeout=timeout)  # fmt: skip
        return answer(record)

    @post("/stations/{station_id:int}/commands/{name:str}", guards=COMMAND, status_code=200, responses=ANSWERS,
          summary="Send an OCPP command to a station")  # fmt: skip
    async def station_command(
        self, request: AnyRequest, station_id: int, name: str, data: Params = None, timeout: Timeout = None
    ) -> Response[dict[str, Any]]:
        record = await running.execute(actor_of(request), name, data or {}, station_id=station_id, timeout=timeout)
        return answer(record)

    @get("/stations/{station_id:int}/commands", guards=COMMAND, summary="Commands sent to a station, newest first")
    async def station_commands(self, request: AnyRequest, station_id: int) -> list[dict[str, Any]]:
        actor = actor_of(request)
        await running.station_of(actor, station_id)
        return [public(r) for r in await running.list_commands(actor, station_id=station_id)]

    @get("/commands/{record_id:int}/diagnostics", guards=DIAGNOSTICS, media_type="application/octet-stream",
         summary="The file a GetDiagnostics uploaded")
    async def diagnostics(self, request: AnyRequest, record_id: int) -> Response[bytes]:
        # Served as a File, documented as bytes: Litestar documents a File's Last-Modified as an ISO date-time,
        # which the HTTP date it sends is not.
        path, name = await commands_diagnostics.diagnostics_file(actor_of(request), record_id)
        return File(path=path, filename=name, media_type="application/octet-stream")

    @get("/commands/{record_id:int}", guards=COMMAND, summary="One command and its result")
    async def get_command(self, request: AnyRequest, record_id: int) -> dict[str, Any]:
        return public(await running.get_command(actor_of(request), record_id))
