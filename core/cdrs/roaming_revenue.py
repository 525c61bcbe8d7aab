"""Roaming revenue: what partners' drivers charged at a CPO's stations, from the billable CDRs that started in a
period (amounts of credit CDRs are negative, so a corrected session counts once). One definition for the roaming
settlement (core.roaming.settlement) and the affiliate commission of the monthly billing run (core.billing)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from core.cdrs.tables import Cdr

# The WHERE condition on table cdr; its parameters, in order: True, start, end ([start, end), UTC).
CONDITION = "roaming_partner_id IS NOT NULL AND billable = {} AND start_date_time >= {} AND start_date_time < {}"


async def revenue_net(tenant_ids: list[int], start: datetime, end: datetime) -> dict[tuple[int, str], Decimal]:
    """Each tenant's roaming revenue excluding VAT in [start, end), per (tenant, currency)."""
    if not tenant_ids:
        return {}
    marks = ", ".join("{}" for _ in tenant_ids)
    rows: list[dict[str, Any]] = await Cdr.raw(
        f"SELECT tenant, currency, SUM(total_cost_excl_vat) AS net FROM cdr WHERE tenant IN ({marks}) "  # noqa: S608 - placeholders only
        f"AND {CONDITION} GROUP BY tenant, currency",
        *tenant_ids, True, start, end,
    )  # fmt: skip
    return {(int(r["tenant"]), r["currency"] or ""): Decimal(str(r["net"] or 0)).quantize(Decimal("0.01"))
            for r in rows}  # fmt: skip
