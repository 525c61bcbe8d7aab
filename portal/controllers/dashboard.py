"""The start page: charge point status tiles and the stations online and offline."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get

from core.infrastructure import charge_points, stations
from portal.auth import actor_of, requires
from portal.templating import render


class DashboardController(Controller):
    @get("/", name="dashboard", guards=[requires()])
    async def dashboard(self, request: Request[Any, Any, Any]) -> Response[str]:
        actor = actor_of(request)
        tiles = await charge_points.status_counts(actor)
        connections = await stations.connection_counts(actor)
        return render(request, "dashboard.html", {"tiles": tiles, "connections": connections})
