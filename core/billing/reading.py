"""Reading the billing runs: the operator's months and a month's lines per billed tenant (core.billing.runs decides
who is the operator), a tenant's own final lines, and a reseller's commission report. Amounts in cents; totals are
per currency (amounts in different currencies are never added)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from core.billing.rules import COMMISSION_RATE, LineKind, RunStatus
from core.billing.runs import parse_period, require_operator
from core.billing.tables import BillingRun, InvoiceLine
from core.months import Month
from core.tenancy.actor import Actor
from core.tenancy.permissions import Permission
from core.tenancy.tables import Tenant


@dataclass
class Total:
    currency: str
    net_cents: int = 0
    vat_cents: int = 0
    gross_cents: int = 0


def totals(lines: Iterable[dict[str, Any]]) -> list[Total]:
    """Net, VAT and gross per currency, by currency."""
    found: dict[str, Total] = {}
    for line in lines:
        total = found.setdefault(line["currency"], Total(line["currency"]))
        total.net_cents += int(line["net_cents"])
        total.vat_cents += int(line["vat_cents"])
        total.gross_cents += int(line["gross_cents"])
    return [found[currency] for currency in sorted(found)]


async def runs(actor: Actor) -> list[dict[str, Any]]:
    """The operator's months with a run, newest first, each with its totals per currency."""
    require_operator(actor)
    rows = await BillingRun.select().order_by(BillingRun.period, ascending=False)
    sums = await InvoiceLine.select(InvoiceLine.run, InvoiceLine.currency, InvoiceLine.net_cents,
                                    InvoiceLine.vat_cents, InvoiceLine.gross_cents).where(
        InvoiceLine.run.is_in([row["id"] for row in rows] or [0]))  # fmt: skip
    by_run: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for line in sums:
        by_run[line["run"]].append(line)
    return [{**row, "totals": totals(by_run[row["id"]])} for row in rows]


async def run_of(actor: Actor, period: str) -> dict[str, Any] | None:
    require_operator(actor)
    return await BillingRun.select().where(BillingRun.period == parse_period(period).period).first()


_LINE_COLUMNS = (
    *InvoiceLine.all_columns(), InvoiceLine.tenant.name.as_alias("tenant_name"),
    InvoiceLine.tenant.debtor_number.as_alias("debtor_number"),
)  # fmt: skip


@dataclass
class Debtor:
    """The lines of one billed tenant in a month."""

    tenant_id: int
    name: str
    debtor_number: str
    lines: list[dict[str, Any]] = field(default_factory=list)

    @property
    def totals(self) -> list[Total]:
        return totals(self.lines)


def _debtor_order(debtor: Debtor) -> tuple[str, str, int]:
    return (debtor.debtor_number or "~", debtor.name.lower(), debtor.tenant_id)


def _grouped(lines: list[dict[str, Any]]) -> list[Debtor]:
    debtors: dict[int, Debtor] = {}
    for line in lines:
        debtor = debtors.setdefault(line["tenant"], Debtor(line["tenant"], line["tenant_name"], line["debtor_number"]))
        debtor.lines.append(line)
    return sorted(debtors.values(), key=_debtor_order)


def _order(query: Any) -> Any:
    return query.order_by(InvoiceLine.tenant, InvoiceLine.kind, InvoiceLine.concerns, InvoiceLine.station_name,
                          InvoiceLine.product_code, InvoiceLine.currency)  # fmt: skip


async def month_lines(actor: Actor, period: str) -> list[Debtor]:
    """The operator: every line of the month's run (preview or final), per billed tenant."""
    run = await run_of(actor, period)
    if run is None:
        return []
    return _grouped(list(await _order(InvoiceLine.select(*_LINE_COLUMNS).where(InvoiceLine.run == run["id"]))))


DEBTORS_PER_PAGE = 25


@dataclass
class DebtorPage:
    """One page of a month's billed tenants with their lines (a run over thousands of stations has thousands of
    lines: the operator's page shows them a few tenants at a time; the CSV has all)."""

    debtors: list[Debtor]
    total: int  # billed tenants in the month
    page: int
    per_page: int = DEBTORS_PER_PAGE

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


async def month_debtors(actor: Actor, period: str, page: int = 1) -> DebtorPage:
    """The operator: page ``page`` (from 1; past the end: the last) of the month's billed tenants, in the order of
    ``month_lines``, each with all its lines."""
    run = await run_of(actor, period)
    if run is None:
        return DebtorPage([], 0, 1)
    billed = await InvoiceLine.select(
        InvoiceLine.tenant, InvoiceLine.tenant.name.as_alias("tenant_name"),
        InvoiceLine.tenant.debtor_number.as_alias("debtor_number"),
    ).where(InvoiceLine.run == run["id"]).distinct()  # fmt: skip
    order = sorted((Debtor(r["tenant"], r["tenant_name"], r["debtor_number"]) for r in billed), key=_debtor_order)
    listing = DebtorPage([], len(order), 1)
    listing.page = min(max(1, page), listing.pages)
    chosen = [d.tenant_id for d in order[(listing.page - 1) * listing.per_page : listing.page * listing.per_page]]
    if chosen:
        lines = await _order(InvoiceLine.select(*_LINE_COLUMNS).where(
            (InvoiceLine.run == run["id"]) & InvoiceLine.tenant.is_in(chosen)
        ))  # fmt: skip
        listing.debtors = _grouped(list(lines))
    return listing


async def own_months(actor: Actor) -> list[str]:
    """The final months in which the actor's tenant was billed, newest first."""
    actor.require(Permission.BILLING_VIEW)
    rows = await InvoiceLine.select(InvoiceLine.run.period.as_alias("period")).where(
        (InvoiceLine.tenant == actor.tenant_id) & (InvoiceLine.run.status == RunStatus.FINAL)
    ).distinct()  # fmt: skip
    return sorted({row["period"] for row in rows}, reverse=True)


async def own_lines(actor: Actor, period: str) -> list[dict[str, Any]]:
    """The lines billed to the actor's own tenant in a final month (a preview is the operator's only)."""
    actor.require(Permission.BILLING_VIEW)
    month = parse_period(period)
    return list(await _order(InvoiceLine.select(*_LINE_COLUMNS).where(
        (InvoiceLine.tenant == actor.tenant_id) & (InvoiceLine.run.period == month.period)
        & (InvoiceLine.run.status == RunStatus.FINAL)
    )))  # fmt: skip


@dataclass(frozen=True)
class CommissionRow:
    sub_cpo: str
    currency: str
    revenue_net_cents: int
    commission_cents: int  # positive: what the reseller earns


async def commission_report(actor: Actor, period: str) -> list[CommissionRow]:
    """A reseller's commission of a final month: per sub-CPO and currency its roaming revenue (net) and the 2 %."""
    lines = [line for line in await own_lines(actor, period) if line["kind"] == LineKind.COMMISSION]
    return sorted(
        (CommissionRow(line["concerns_name"], line["currency"], int(line["basis_cents"]), -int(line["net_cents"]))
         for line in lines),
        key=lambda row: (row.sub_cpo.lower(), row.currency),
    )  # fmt: skip


def commission_totals(rows: list[CommissionRow]) -> list[tuple[str, int, int]]:
    """(currency, revenue net, commission) per currency."""
    sums: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for row in rows:
        sums[row.currency][0] += row.revenue_net_cents
        sums[row.currency][1] += row.commission_cents
    return [(currency, *sums[currency]) for currency in sorted(sums)]  # type: ignore[misc]


COMMISSION_PERCENT = COMMISSION_RATE * 100


async def tenant_kind(tenant_id: int) -> str:
    row = await Tenant.select(Tenant.kind).where(Tenant.id == tenant_id).first()
    return str((row or {}).get("kind", ""))


def default_month(runs_or_months: list[Any], fallback: Month) -> str:
    """The month a page opens on: the newest one listed, else ``fallback``."""
    if runs_or_months:
        first = runs_or_months[0]
        return str(first["period"] if isinstance(first, dict) else first)
    return fallback.period


def cents_decimal(value: int) -> Decimal:
    return Decimal(value) / 100
