"""Sessions, energy and revenue per tenant and local hour (core.dashboard.tables.DashboardHour), and the bars of the
dashboard's chart over 1 day (hourly), 7 and 30 days (daily) and 12 months (monthly) of the tenant's local time.

A CDR adds its session to the hour in which the session started (``record_cdr``, called in the transaction that
writes the CDR); a credit CDR takes it away again. ``rebuild`` recomputes a tenant's hours from its CDRs (the
backfill, and a repair after a change of the tenant's country). Local days and months are exact across DST: an
hour is stored as the UTC instant at which it began in the tenant's zone, and a bar is a range of such instants.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from core import db
from core.cdrs.tables import Cdr
from core.dashboard.tables import DashboardHour
from core.tenancy.tables import Tenant
from core.tenancy.tenants import tenant_time_zone

HOUR = timedelta(hours=1)


class Period(StrEnum):
    DAY = "1d"  # today, hourly bars
    WEEK = "7d"  # the last 7 days with today, daily bars
    MONTH = "30d"  # the last 30 days with today, daily bars
    YEAR = "12m"  # the last 12 months with this one, monthly bars


class Metric(StrEnum):
    ENERGY = "energy"
    REVENUE = "revenue"
    SESSIONS = "sessions"


DAYS = {Period.WEEK: 7, Period.MONTH: 30}


@dataclass
class Bar:
    """One bar: from ``start`` (local, aware) to the next bar's start; ``unit`` says how to label it."""

    start: datetime
    unit: str  # "hour" | "day" | "month"
    sessions: int = 0
    energy_wh: int = 0
    revenue: Decimal = field(default_factory=lambda: Decimal("0"))

    def value(self, metric: Metric) -> Decimal:
        if metric == Metric.ENERGY:
            return Decimal(self.energy_wh) / 1000  # kWh
        if metric == Metric.REVENUE:
            return self.revenue
        return Decimal(self.sessions)


def hour_start(at: datetime, zone: ZoneInfo) -> datetime:
    """The UTC instant at which the local hour holding ``at`` began (30- and 45-minute offsets included)."""
    local = at.astimezone(zone)
    return (at - timedelta(minutes=local.minute, seconds=local.second, microseconds=local.microsecond)).astimezone(UTC)


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)


def bar_starts(period: Period, now: datetime, zone: ZoneInfo) -> tuple[list[datetime], datetime, str]:
    """The UTC starts of the period's bars, the end of the last one, and the bars' unit."""
    today = now.astimezone(zone).date()
    if period == Period.DAY:
        start, end = _midnight(today, zone), _midnight(today + timedelta(days=1), zone)
        hours = int((end - start) / HOUR)  # 23, 24 or 25 on the days DST begins or ends
        return [start + i * HOUR for i in range(hours)], end, "hour"
    if period in DAYS:
        days = [today - timedelta(days=n) for n in range(DAYS[period] - 1, -1, -1)]
        return [_midnight(d, zone) for d in days], _midnight(today + timedelta(days=1), zone), "day"
    months = []
    year, month = today.year, today.month
    for _ in range(12):
        months.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    months.reverse()
    following = date(today.year + (today.month == 12), today.month % 12 + 1, 1)
    return [_midnight(m, zone) for m in months], _midnight(following, zone), "month"


def bars_of(period: Period, now: datetime, zone: ZoneInfo, hours: Iterable[dict[str, Any]]) -> list[Bar]:
    """The period's bars with the stored hours (``hour_start``, ``sessions``, ``energy_wh``, ``revenue``) added up."""
    starts, end, unit = bar_starts(period, now, zone)
    bars = [Bar(start=s.astimezone(zone), unit=unit) for s in starts]
    for row in hours:
        at = aware(row["hour_start"])
        if not starts[0] <= at < end:
            continue
        bar = bars[bisect.bisect_right(starts, at) - 1]
        bar.sessions += int(row["sessions"])
        bar.energy_wh += int(row["energy_wh"])
        bar.revenue += Decimal(str(row["revenue"]))
    return bars


def aware(value: datetime | str) -> datetime:
    """A stored instant as an aware UTC datetime."""
    if isinstance(value, str):  # SQLite hands raw queries' timestamps back as text
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


async def time_zone_of(tenant_id: int) -> ZoneInfo:
    row = await Tenant.select(Tenant.country_code).where(Tenant.id == tenant_id).first()
    return ZoneInfo(tenant_time_zone(row or {}))


async def stored_hours(tenant_ids: Sequence[int], start: datetime, end: datetime) -> list[dict[str, Any]]:
    return await DashboardHour.select(
        DashboardHour.hour_start, DashboardHour.sessions, DashboardHour.energy_wh, DashboardHour.revenue
    ).where(DashboardHour.tenant.is_in(list(tenant_ids)) & (DashboardHour.hour_start >= start)
            & (DashboardHour.hour_start < end))  # fmt: skip


async def bars(tenant_ids: Sequence[int], zone: ZoneInfo, period: Period, now: datetime | None = None) -> list[Bar]:
    now = now or datetime.now(UTC)
    starts, end, unit = bar_starts(period, now, zone)
    if not db.is_postgres():
        return bars_of(period, now, zone, await stored_hours(tenant_ids, starts[0], end))
    # PostgreSQL adds the hours up per bar itself (12 rows for a year instead of 8,760): width_bucket finds the bar.
    marks = ", ".join("{}" for _ in tenant_ids)
    rows = await DashboardHour.raw(
        "SELECT width_bucket(hour_start, {}::timestamptz[]) AS bar, SUM(sessions) AS sessions, "  # noqa: S608 - fixed SQL, bound values
        "SUM(energy_wh) AS energy_wh, SUM(revenue) AS revenue FROM dashboard_hour "
        f"WHERE tenant IN ({marks}) AND hour_start >= {{}} AND hour_start < {{}} GROUP BY 1",
        starts, *tenant_ids, starts[0], end,
    )  # fmt: skip
    result = [Bar(start=s.astimezone(zone), unit=unit) for s in starts]
    for row in rows:
        bar = result[int(row["bar"]) - 1]
        bar.sessions, bar.energy_wh = int(row["sessions"]), int(row["energy_wh"])
        bar.revenue = Decimal(str(row["revenue"]))
    return result


# --- keeping it up to date --------------------------------------------------------------------------------------


def _energy_wh(total_energy_kwh: Any) -> int:
    return int((Decimal(str(total_energy_kwh or 0)) * 1000).to_integral_value())


def _revenue(cdr: dict[str, Any]) -> Decimal:
    return Decimal(str(cdr.get("total_cost_excl_vat") or 0)) if cdr.get("billable", True) else Decimal("0")


async def add(tenant_id: int, at: datetime, sessions: int, energy_wh: int, revenue: Decimal) -> None:
    """Add to the tenant's hour holding ``at`` (one statement: two CDRs of the same hour at once both count)."""
    start = hour_start(at, await time_zone_of(tenant_id))
    key = f"{tenant_id}:{int(start.timestamp())}"
    await DashboardHour.raw(
        "INSERT INTO dashboard_hour (bucket, tenant, hour_start, sessions, energy_wh, revenue) "
        "VALUES ({}, {}, {}, {}, {}, {}) ON CONFLICT (bucket) DO UPDATE SET "
        "sessions = dashboard_hour.sessions + excluded.sessions, "
        "energy_wh = dashboard_hour.energy_wh + excluded.energy_wh, "
        "revenue = dashboard_hour.revenue + excluded.revenue",
        key, tenant_id, start, sessions, energy_wh, revenue,
    )  # fmt: skip


async def record_cdr(cdr: dict[str, Any], sign: int = 1) -> None:
    """Count a new CDR's session (``sign`` 1), or take a cancelled CDR's away (-1, with the cancelled CDR's values:
    a credit CDR keeps the energy positive, OCPI only negates its cost)."""
    await add(
        int(cdr["tenant"]), aware(cdr["start_date_time"]), sign, sign * _energy_wh(cdr.get("total_energy")),
        sign * _revenue(cdr),
    )  # fmt: skip


async def rebuild(tenant_id: int) -> int:
    """Recompute the tenant's hours from its CDRs; returns how many hours it holds now."""
    zone = await time_zone_of(tenant_id)
    async with db.transaction():
        await DashboardHour.delete().where(DashboardHour.tenant == tenant_id)
        if db.is_postgres():
            # One statement: the hour's start is the instant minus how far into its local hour it lies.
            await DashboardHour.raw(
                "INSERT INTO dashboard_hour (bucket, tenant, hour_start, sessions, energy_wh, revenue) "
                "SELECT tenant || ':' || EXTRACT(EPOCH FROM h)::bigint, tenant, h, SUM(sign), "
                "SUM(sign * ROUND(total_energy * 1000))::bigint, "
                "SUM(CASE WHEN billable THEN sign * ABS(total_cost_excl_vat) ELSE 0 END) FROM ("
                "  SELECT tenant, total_energy, total_cost_excl_vat, billable,"
                "  CASE WHEN credit THEN -1 ELSE 1 END AS sign,"
                "  start_date_time - ((start_date_time AT TIME ZONE {})"
                "    - date_trunc('hour', start_date_time AT TIME ZONE {})) AS h"
                "  FROM cdr WHERE tenant = {}) AS c GROUP BY tenant, h",
                zone.key, zone.key, tenant_id,
            )  # fmt: skip
        else:
            totals: dict[datetime, list[Any]] = {}
            rows = await Cdr.select(
                Cdr.start_date_time, Cdr.total_energy, Cdr.total_cost_excl_vat, Cdr.billable, Cdr.credit
            ).where(Cdr.tenant == tenant_id)
            for row in rows:
                sign = -1 if row["credit"] else 1
                start = hour_start(aware(row["start_date_time"]), zone)
                total = totals.setdefault(start, [0, 0, Decimal("0")])
                total[0] += sign
                total[1] += sign * _energy_wh(row["total_energy"])
                total[2] += sign * abs(_revenue(row))
            # plain SQL with fixed columns: the migration that backfills runs this too, before later columns exist
            for start, (sessions, energy_wh, revenue) in totals.items():
                await DashboardHour.raw(
                    "INSERT INTO dashboard_hour (bucket, tenant, hour_start, sessions, energy_wh, revenue) "
                    "VALUES ({}, {}, {}, {}, {}, {})",
                    f"{tenant_id}:{int(start.timestamp())}", tenant_id, start, sessions, energy_wh, revenue,
                )  # fmt: skip
    return await DashboardHour.count().where(DashboardHour.tenant == tenant_id)


async def rebuild_all() -> dict[int, int]:
    """Every tenant's hours from its CDRs (the one-time backfill; ``csms dashboard rebuild``)."""
    return {int(row["id"]): await rebuild(int(row["id"])) for row in await Tenant.select(Tenant.id).order_by(Tenant.id)}
