"""REST API: charging sessions (``GET /api/v1/sessions`` with the charging data filters, one session, its meter
values). Names follow OCPI 2.2.1 Session: ``status`` is PENDING / ACTIVE / COMPLETED / INVALID; ``session_status``
is csms's finer status (STARTED, CHARGING, PAUSED, STOPPED, CLOSED_STALE, ...).
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get

from core.cdrs import charging_data, sessions
from core.tenancy.permissions import Permission
from portal.auth import actor_of, requires


class SessionApiController(Controller):
    path = "/api/v1/sessions"
    tags = ["Sessions"]
    guards = [requires(Permission.SESSIONS_VIEW)]

    @get("/", summary="List sessions (running, and finished with their CDR) with the charging data filters")
    async def list_sessions(self, request: Request[Any, Any, Any]) -> dict[str, Any]:
        q = charging_data.parse_query({key: request.query_params.getall(key) for key in request.query_params})
        return await sessions.list_sessions(actor_of(request), q)

    @get("/{session_id:int}", summary="One session with its charge point, station and CDR id")
    async def get_session(self, request: Request[Any, Any, Any], session_id: int) -> dict[str, Any]:
        return await sessions.get_session(actor_of(request), session_id)

    @get("/{session_id:int}/meter-values", summary="The session's sampled values (signed data verbatim)")
    async def meter_values(self, request: Request[Any, Any, Any], session_id: int) -> list[dict[str, Any]]:
        return await charging_data.session_meter_values(actor_of(request), session_id)
