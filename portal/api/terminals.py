"""REST API: payment terminals (core.payments.terminals): list and get them, and a terminal's start.

``GET /api/v1/terminals`` and ``GET /api/v1/terminals/{id}`` (``infrastructure.view``) answer each terminal with
its name, serial number, model, notes, whether it is active, and the ids of the stations it serves.

The terminal (or its payment backend) has authorised the driver's card and asks csms to start a charge point of a
station it serves: ``POST /api/v1/terminals/{id}/start`` with ``{"charge_point_id": ...}``. csms starts the charge
point with the payment's own idTag (``TRM...``) and answers with the command record, like the OCPP command endpoints:
200 when the station answered, 409 when it is offline, 504 when it did not answer in time; 400 when the terminal is
inactive or does not serve the station, 404 for another operator's terminal or charge point.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Response, get, post
from litestar.params import Body

from core.payments import terminals
from core.tenancy.permissions import Permission
from portal.api.commands import ANSWERS, AnyRequest, Timeout, answer
from portal.auth import actor_of, requires


class TerminalStart(msgspec.Struct):
    charge_point_id: Annotated[int, msgspec.Meta(ge=1, le=2**31 - 1)]


VIEW = [requires(Permission.INFRASTRUCTURE_VIEW)]
FIELDS = ("id", "name", "serial_number", "model", "notes", "active", "created_at", "updated_at")


async def _public(request: AnyRequest, terminal: dict[str, Any]) -> dict[str, Any]:
    served = await terminals.stations_of(actor_of(request), terminal["id"])
    return {**{key: terminal.get(key) for key in FIELDS}, "station_ids": [s["id"] for s in served]}


class TerminalApiController(Controller):
    path = "/api/v1/terminals"
    tags = ["Payment terminals"]

    @get("/", guards=VIEW, summary="List payment terminals")
    async def list_terminals(self, request: AnyRequest) -> list[dict[str, Any]]:
        return [await _public(request, t) for t in await terminals.list_terminals(actor_of(request))]

    @get("/{terminal_id:int}", guards=VIEW, summary="Get a payment terminal")
    async def get_terminal(self, request: AnyRequest, terminal_id: int) -> dict[str, Any]:
        return await _public(request, await terminals.get_terminal(actor_of(request), terminal_id))

    @post("/{terminal_id:int}/start", guards=[requires(Permission.OCPP_COMMANDS)], status_code=200,
          responses=ANSWERS, summary="Start a charge point after a payment at the terminal")  # fmt: skip
    async def start(
        self,
        request: AnyRequest,
        terminal_id: int,
        data: Annotated[TerminalStart, Body(description="The charge point (EVSE) the driver chose.")],
        timeout: Timeout = None,
    ) -> Response[dict[str, Any]]:
        kwargs = {"timeout": timeout} if timeout is not None else {}
        record = await terminals.start_at_terminal(actor_of(request), terminal_id, data.charge_point_id, **kwargs)
        return answer(record)
