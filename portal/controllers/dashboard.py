"""The start page: charge point status tiles, stations online and offline, sessions today and running now, the
energy / revenue / session-count chart over 1 day, 7 days, 30 days or 12 months, open alerts and the stations with
the highest error rate (core.dashboard); for an EMP tenant (no stations of its own) its OCPI connection with its
drivers' tokens, sessions and CDRs."""

from __future__ import annotations

import asyncio
from typing import Any

from litestar import Controller, Request, Response, get

from core.alerts.cases import CASE_LABELS, Case
from core.dashboard import summary
from core.dashboard.buckets import Metric, Period
from core.roaming import partner_activity
from core.tenancy.tenants import TenantKind
from portal import dashboard_chart
from portal.auth import actor_of, requires
from portal.templating import is_htmx, render

DEFAULT_PERIOD, DEFAULT_METRIC = Period.WEEK, Metric.ENERGY


def _choice(request: Request[Any, Any, Any], key: str, kind: type[Period] | type[Metric], default: Any) -> Any:
    value = request.query_params.get(key, "")
    return kind(value) if value in {m.value for m in kind} else default


class DashboardController(Controller):
    @get("/", name="dashboard", guards=[requires()])
    async def dashboard(self, request: Request[Any, Any, Any]) -> Response[str]:
        actor = actor_of(request)
        if actor.tenant_kind == TenantKind.EMP:  # no stations of its own: its OCPI connection and its drivers
            own = await partner_activity.own_connections(actor)
            return render(request, "dashboard_emp.html", {"connections": own})
        period = _choice(request, "period", Period, DEFAULT_PERIOD)
        metric = _choice(request, "metric", Metric, DEFAULT_METRIC)
        zone = await summary.zone_of(actor)
        figures = await summary.session_figures(actor, zone)
        chart = await summary.chart(actor, period, zone)
        context: dict[str, Any] = {
            "period": period,
            "metric": metric,
            "periods": list(Period),
            "metrics": list(Metric),
            "figures": figures,
            "chart": dashboard_chart.build(chart, metric, figures.currency) if figures else None,
        }
        headers = {"Vary": "HX-Request"}
        if is_htmx(request):  # a switch of the chart: only the chart is drawn again
            return render(request, "dashboard.html", context, block="chart", headers=headers)
        # The rest are independent reads: asked at once, each on its own pooled connection.
        (tiles, connections), alerts, error_stations = await asyncio.gather(
            summary.fleet_counts(actor),
            summary.open_alerts(actor),
            summary.top_error_stations(actor),
        )
        context |= {
            "tiles": tiles,
            "connections": connections,
            "alerts": alerts,
            "error_stations": error_stations,
            "case_labels": {case.value: CASE_LABELS[case].msgid for case in Case},
        }
        return render(request, "dashboard.html", context, headers=headers)
