"""What a CPO's start page shows, each part only with the permission behind it: sessions today and running now,
the chart's bars (core.dashboard.buckets), open alerts, and the stations with the highest error rate.

The status tiles and the stations online/offline come from core.infrastructure (``status_counts``,
``connection_counts``; ``fleet_counts`` keeps them a few seconds for a large fleet). Nothing here reads finished
sessions: they are counted in the hourly buckets.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from core.alerts import manage as alerts
from core.alerts.rules import Source
from core.alerts.tables import Alert
from core.charging.sessions import OPEN_STATUSES
from core.charging.tables import ChargingSession
from core.dashboard.buckets import Bar, Period, aware, bars, time_zone_of
from core.infrastructure import charge_points, stations
from core.infrastructure.tables import ChargePoint
from core.tenancy.actor import Actor
from core.tenancy.permissions import Permission
from core.tenancy.tables import Tenant

LATEST_ALERTS = 5
TOP_STATIONS = 5
# Counting a large fleet's charge points by effective status reads every charge point with its station (about 100 ms
# at 100,000): for a fleet that large the start page shows counts at most this old, counted once per node and scope.
LARGE_FLEET = 5_000
FLEET_COUNTS_SECONDS = 10.0
_fleet_counts: dict[tuple[int, ...], tuple[float, list[dict[str, Any]], dict[str, int]]] = {}


@dataclass
class SessionFigures:
    today: int  # started today (local day): finished ones from the buckets plus those still running
    running: int
    energy_today_wh: int
    revenue_today: Decimal
    currency: str


async def zone_of(actor: Actor) -> ZoneInfo:
    """The actor's tenant's time zone: its local days and months (a reseller's sub-CPOs are read in it too)."""
    return await time_zone_of(actor.tenant_id)


async def chart(actor: Actor, period: Period, zone: ZoneInfo, now: datetime | None = None) -> list[Bar]:
    if not actor.can(Permission.SESSIONS_VIEW):
        return []
    return await bars(actor.scope, zone, period, now)


async def fleet_counts(actor: Actor) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """The status tiles and the stations online/offline (core.infrastructure), kept for a few seconds for a large
    fleet; a small one is counted on every request."""
    if not actor.can(Permission.INFRASTRUCTURE_VIEW):
        return [], {}
    key = tuple(actor.scope)
    cached = _fleet_counts.get(key)
    if cached is not None and cached[0] > time.monotonic():
        return cached[1], cached[2]
    tiles, connections = await asyncio.gather(charge_points.status_counts(actor), stations.connection_counts(actor))
    if sum(tile["count"] for tile in tiles) >= LARGE_FLEET:
        _fleet_counts[key] = (time.monotonic() + FLEET_COUNTS_SECONDS, tiles, connections)
    return tiles, connections


async def session_figures(actor: Actor, zone: ZoneInfo, now: datetime | None = None) -> SessionFigures | None:
    if not actor.can(Permission.SESSIONS_VIEW):
        return None
    now = now or datetime.now(UTC)
    today = await bars(actor.scope, zone, Period.DAY, now)
    midnight = today[0].start.astimezone(UTC)
    # Open sessions are few and found by the status index, however many sessions there are.
    marks = ", ".join("{}" for _ in actor.scope)
    states = ", ".join("{}" for _ in OPEN_STATUSES)
    rows = await ChargingSession.raw(
        "SELECT COUNT(*) AS running, COALESCE(SUM(CASE WHEN started_at >= {} THEN 1 ELSE 0 END), 0) AS today "  # noqa: S608 - fixed SQL, bound values
        f"FROM charging_session WHERE status IN ({states}) AND tenant IN ({marks})",
        midnight, *[s.value for s in OPEN_STATUSES], *actor.scope,
    )  # fmt: skip
    currency = await Tenant.select(Tenant.currency).where(Tenant.id == actor.tenant_id).first()
    return SessionFigures(
        today=sum(b.sessions for b in today) + int(rows[0]["today"] or 0),
        running=int(rows[0]["running"] or 0),
        energy_today_wh=sum(b.energy_wh for b in today),
        revenue_today=sum((b.revenue for b in today), Decimal("0")),
        currency=str((currency or {}).get("currency") or "EUR"),
    )


async def open_alerts(actor: Actor) -> dict[str, Any] | None:
    """How many alerts are open (anomalies among them) and the latest few."""
    if not actor.can(Permission.ALERTS_VIEW):
        return None
    anomalies = await Alert.count().where(
        Alert.tenant.is_in(actor.scope) & Alert.closed_at.is_null() & (Alert.source == Source.ANOMALY)
    )
    return {
        "count": await alerts.count_open(actor),
        "anomalies": anomalies,
        "latest": await _latest_alerts(actor),
    }


async def _latest_alerts(actor: Actor) -> list[dict[str, Any]]:
    """The newest open alerts with their station and charge point: the few alerts first, then their places (joining
    first would read every station of a large fleet for five rows)."""
    marks = ", ".join("{}" for _ in actor.scope)
    rows = await Alert.raw(
        "SELECT a.id, a.station, a.\"case\", a.code, a.opened_at, s.name AS station_name, s.charge_box_id, cp.evse_id "  # noqa: S608 - fixed SQL, bound values
        "FROM (SELECT id, station, charge_point, \"case\", code, opened_at FROM alert "
        f"WHERE tenant IN ({marks}) AND closed_at IS NULL ORDER BY opened_at DESC, id DESC LIMIT {{}}) a "
        "JOIN charging_station s ON s.id = a.station LEFT JOIN charge_point cp ON cp.id = a.charge_point "
        "ORDER BY a.opened_at DESC, a.id DESC",
        *actor.scope, LATEST_ALERTS,
    )  # fmt: skip
    return [{**row, "opened_at": aware(row["opened_at"])} for row in rows]


async def top_error_stations(actor: Actor) -> list[dict[str, Any]]:
    """The stations in service whose charge points failed most sessions over the last 30 days (the charge points'
    error rate, core.charging.status.update_error_rate): the worst charge point of each, highest first.

    Read from the top of the error rate index, a few charge points more than stations wanted (a station has several):
    never a pass over every charge point."""
    if not actor.can(Permission.INFRASTRUCTURE_VIEW):
        return []
    marks = ", ".join("{}" for _ in actor.scope)
    limit = TOP_STATIONS * 8
    while True:
        rows = await ChargePoint.raw(
            "SELECT s.id, s.name, s.charge_box_id, cp.error_rate FROM charge_point cp "  # noqa: S608 - fixed SQL, bound values
            "JOIN charging_station s ON s.id = cp.station "
            f"WHERE cp.tenant IN ({marks}) AND cp.decommissioned_at IS NULL AND cp.error_rate > 0 "
            "ORDER BY cp.error_rate DESC, cp.id LIMIT {}",
            *actor.scope, limit,
        )  # fmt: skip
        top: dict[int, dict[str, Any]] = {}
        for row in rows:
            top.setdefault(int(row["id"]), row)
        if len(top) >= TOP_STATIONS or len(rows) < limit:
            return list(top.values())[:TOP_STATIONS]
        limit *= 4
