"""The start page: charge point status tiles and the stations online and offline; for an EMP tenant (no stations of
its own) its OCPI connection with its drivers' tokens, sessions and CDRs."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get

from core.infrastructure import charge_points, stations
from core.roaming import partner_activity
from core.tenancy.tenants import TenantKind
from portal.auth import actor_of, requires
from portal.templating import render


class DashboardController(Controller):
    @get("/", name="dashboard", guards=[requires()])
    async def dashboard(self, request: Request[Any, Any, Any]) -> Response[str]:
        actor = actor_of(request)
        if actor.tenant_kind == TenantKind.EMP:  # no stations of its own: its OCPI connection and its drivers
            own = await partner_activity.own_connections(actor)
            return render(request, "dashboard_emp.html", {"connections": own})
        tiles = await charge_points.status_counts(actor)
        connections = await stations.connection_counts(actor)
        return render(request, "dashboard.html", {"tiles": tiles, "connections": connections})
