"""Roaming settlement: per partner and month, the sessions its drivers charged at the CPO's stations, their energy
and amounts excluding and including VAT, from the CDRs (what the CPO invoices the EMP; a reseller's commission is
computed from it later). Months are the tenant's local calendar months; only billable CDRs count. A corrected session
counts once: its credit CDR cancels the CDR it credits (negative amounts; its energy and count subtract) and the new
CDR counts with the corrected values."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from core.cdrs import roaming_revenue
from core.cdrs.tables import Cdr
from core.roaming.names import partner_names
from core.tenancy import tenants
from core.tenancy.actor import Actor
from core.tenancy.permissions import Permission


@dataclass(frozen=True)
class SettlementTotal:
    """Sessions, energy and amounts in one currency (amounts in different currencies are never added)."""

    currency: str
    sessions: int
    energy_kwh: Decimal
    net: Decimal
    vat: Decimal
    gross: Decimal


@dataclass(frozen=True)
class SettlementRow(SettlementTotal):
    """One partner's sessions in one currency."""

    partner_id: int = field(kw_only=True)
    partner: str = field(kw_only=True)  # its name as CPO staff read it (core.roaming.names)


def currency_totals(rows: list[SettlementRow]) -> list[SettlementTotal]:
    """One total per currency over all partners, in the order the currencies first appear in ``rows``."""
    totals: dict[str, SettlementTotal] = {}
    for row in rows:
        before = totals.get(row.currency) or SettlementTotal(row.currency, 0, Decimal(0), Decimal(0), Decimal(0),
                                                             Decimal(0))  # fmt: skip
        totals[row.currency] = SettlementTotal(
            row.currency, before.sessions + row.sessions, before.energy_kwh + row.energy_kwh, before.net + row.net,
            before.vat + row.vat, before.gross + row.gross,
        )  # fmt: skip
    return list(totals.values())


def parse_month(text: str | None, today: date) -> date:
    """``YYYY-MM`` as the month's first day; anything else: the month before ``today`` (what is settled next)."""
    if text and re.fullmatch(r"(19|2\d)\d\d-(0[1-9]|1[0-2])", text):
        return date(int(text[:4]), int(text[5:]), 1)
    first = today.replace(day=1)
    return first.replace(year=first.year - 1, month=12) if first.month == 1 else first.replace(month=first.month - 1)


def month_bounds(month: date, time_zone: str) -> tuple[datetime, datetime]:
    """The month in the tenant's local time, as UTC instants [start, end)."""
    zone = ZoneInfo(time_zone)
    following = date(month.year + 1, 1, 1) if month.month == 12 else date(month.year, month.month + 1, 1)
    start = datetime.combine(month, time.min, tzinfo=zone).astimezone(UTC)
    return start, datetime.combine(following, time.min, tzinfo=zone).astimezone(UTC)


async def settlement(actor: Actor, month: date) -> list[SettlementRow]:
    actor.require(Permission.SESSIONS_VIEW)
    tenant = await tenants.get_tenant(actor.tenant_id)
    return await partner_rows(actor.scope, *month_bounds(month, tenants.tenant_time_zone(tenant)))


async def partner_rows(tenant_ids: list[int], start: datetime, end: datetime) -> list[SettlementRow]:
    """Per partner and currency, the billable roaming CDRs of ``tenant_ids``' stations that started in [start, end)
    (the caller checked that its actor sees these tenants)."""
    if not tenant_ids:
        return []
    marks = ", ".join("{}" for _ in tenant_ids)
    rows: list[dict[str, Any]] = await Cdr.raw(
        "SELECT roaming_partner_id AS partner, currency, SUM(CASE WHEN credit THEN -1 ELSE 1 END) AS sessions, "  # noqa: S608 - placeholders only
        "SUM(CASE WHEN credit THEN -total_energy ELSE total_energy END) AS energy, "
        "SUM(total_cost_excl_vat) AS net, SUM(total_vat) AS vat, SUM(total_cost_incl_vat) AS gross FROM cdr "
        f"WHERE tenant IN ({marks}) AND {roaming_revenue.CONDITION} GROUP BY roaming_partner_id, currency",
        *tenant_ids, True, start, end,
    )  # fmt: skip
    names = await partner_names(r["partner"] for r in rows)

    def money(value: Any) -> Decimal:
        return Decimal(str(value or 0)).quantize(Decimal("0.01"))

    result = [
        SettlementRow(
            r["currency"] or "", int(r["sessions"]), Decimal(str(r["energy"] or 0)).quantize(Decimal("0.001")),
            money(r["net"]), money(r["vat"]), money(r["gross"]),
            partner_id=int(r["partner"]), partner=names.get(int(r["partner"]), "–"),
        )
        for r in rows
    ]  # fmt: skip
    return sorted(result, key=lambda row: (row.partner, row.currency))
