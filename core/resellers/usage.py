"""The usage export of the reseller model (seed 003: "Reseller rechnen eigenständig mit Sub-CPOs ab"): per sub-CPO
and month what the reseller invoices it from:

- its products per station (core.products.assignments.month_lines: product, days counted, net amount by the
  product's billing rule),
- its charging sessions and their energy (all its CDRs of the month; a credit CDR cancels the CDR it credits),
- its roaming revenue, net, per currency (core.roaming.settlement: billable CDRs of roaming partners' drivers).

Months are the reseller's local calendar months (core.months). ``export_rows`` lays the usage out as the CSV's
lines, numbers in German format (decimal comma); the portal writes them with ``;`` and a BOM.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from core.cdrs.tables import Cdr
from core.errors import Message, NotFound
from core.months import Month
from core.products.assignments import ProductLine, month_lines
from core.resellers.sub_cpos import require_reseller
from core.roaming.settlement import SettlementTotal, currency_totals, partner_rows
from core.tenancy.actor import Actor
from core.tenancy.tables import Tenant
from core.tenancy.tenants import tenant_time_zone


@dataclass(frozen=True)
class SubCpoUsage:
    tenant_id: int
    name: str
    debtor_number: str
    products: list[ProductLine]
    sessions: int
    energy_kwh: Decimal
    roaming: list[SettlementTotal]  # one per currency

    def product_totals(self) -> dict[str, Decimal]:
        """The products' net amounts per currency."""
        totals: dict[str, Decimal] = {}
        for line in self.products:
            totals[line.currency] = totals.get(line.currency, Decimal(0)) + cents(line.charge.net_cents)
        return totals


def cents(amount: int) -> Decimal:
    return (Decimal(amount) / 100).quantize(Decimal("0.01"))


async def reseller_zone(actor: Actor) -> ZoneInfo:
    row = await Tenant.select(Tenant.country_code).where(Tenant.id == actor.tenant_id).first()
    return ZoneInfo(tenant_time_zone(row or {}))


async def _sessions(tenant_id: int, start: Any, end: Any) -> tuple[int, Decimal]:
    rows = await Cdr.raw(
        "SELECT SUM(CASE WHEN credit THEN -1 ELSE 1 END) AS sessions, "
        "SUM(CASE WHEN credit THEN -total_energy ELSE total_energy END) AS energy FROM cdr "
        "WHERE tenant = {} AND start_date_time >= {} AND start_date_time < {}",
        tenant_id, start, end,
    )  # fmt: skip
    row = rows[0] if rows else {}
    return int(row.get("sessions") or 0), Decimal(str(row.get("energy") or 0)).quantize(Decimal("0.001"))


async def usage(actor: Actor, month: Month, sub_cpo_id: int | None = None) -> list[SubCpoUsage]:
    """The usage of the reseller's sub-CPOs (or of the one ``sub_cpo_id``) in ``month``, by name."""
    require_reseller(actor)
    query = Tenant.select(Tenant.id, Tenant.name, Tenant.debtor_number).where(Tenant.parent == actor.tenant_id)
    if sub_cpo_id is not None:
        query = query.where(Tenant.id == sub_cpo_id)
    subs = await query.order_by(Tenant.name)
    if sub_cpo_id is not None and not subs:
        raise NotFound("tenant")
    zone = await reseller_zone(actor)
    start, end = month.bounds(zone)
    result = []
    for sub in subs:
        sessions, energy = await _sessions(sub["id"], start, end)
        result.append(SubCpoUsage(
            sub["id"], sub["name"], sub["debtor_number"], await month_lines(sub["id"], month, zone), sessions,
            energy, currency_totals(await partner_rows([sub["id"]], start, end)),
        ))  # fmt: skip
    return result


def german_number(value: Decimal | int) -> str:
    """A decimal as German spreadsheets read it: decimal comma, no thousands separator."""
    return str(value).replace(".", ",")


# The CSV's columns (headers are msgids: the portal translates them).
HEADER = (
    Message("Month"), Message("Sub-CPO"), Message("Debtor number"), Message("Item"), Message("Station"),
    Message("Product"), Message("Days"), Message("Sessions"), Message("Energy (kWh)"), Message("Net amount"),
    Message("Currency"),
)  # fmt: skip
ITEM_PRODUCT = Message("Product")
ITEM_SESSIONS = Message("Charging sessions")
ITEM_ROAMING = Message("Roaming revenue")


def export_rows(month: Month, usages: list[SubCpoUsage], translate: Callable[[str], str]) -> list[list[Any]]:
    """One line per product on a station, one for the sessions and energy, and one per roaming currency, for each
    sub-CPO; numbers in German format."""
    rows: list[list[Any]] = []
    for use in usages:
        head = [month.period, use.name, use.debtor_number]
        for line in use.products:
            rows.append([*head, ITEM_PRODUCT.render(translate), line.station_name, line.product_name, line.charge.days,
                         "", "", german_number(cents(line.charge.net_cents)), line.currency])  # fmt: skip
        rows.append([*head, ITEM_SESSIONS.render(translate), "", "", "", use.sessions, german_number(use.energy_kwh),
                     "", ""])  # fmt: skip
        for total in use.roaming:
            rows.append([*head, ITEM_ROAMING.render(translate), "", "", "", total.sessions,
                         german_number(total.energy_kwh), german_number(total.net), total.currency])  # fmt: skip
    return rows
