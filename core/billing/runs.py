"""The monthly billing run: invoice lines for every tenant's month, previewed, then finalised by the platform operator.

One ``BillingRun`` per month (``period`` unique). ``run_month(period)`` (the job ``billing.run``) writes the lines of
every tenant that has no progress mark in the run yet, in batches of tenants; each batch's lines and its tenants'
progress marks (``BillingProgress``, unique per run and tenant) are written in one transaction, after claiming the
marks "on conflict do nothing". So a second run writes nothing, two processes never write a tenant twice, and a run
that crashed midway resumes with the tenants it had not written. Each line also has a unique natural key
(core.billing.rules.line_key).

A tenant's month is its local calendar month (core.months, its country's time zone). Its lines: the products on its
stations (core.products.assignments: pro rata or 360.SUPPORT's full-month rule), billed to itself or, for a sub-CPO
of a reseller in the RESELLER model, to the reseller; for a sub-CPO of an AFFILIATE reseller also the reseller's
commission credit (core.billing.rules). Product lines are in the product's currency (the catalogue's price), at the
billed tenant's VAT rate.

``preview`` (the operator's "Vorschau berechnen") replaces a preview with a fresh one; ``finalise`` ("Abschließen")
completes and freezes it: a final month is never written or previewed again. ``due_months`` (periodic, hourly)
enqueues the run of the month that has just ended everywhere, so a preview is waiting on the 1st.

Who: the platform operator is the installation's HUB tenant (core.tenancy.tenants.TenantKind.HUB); its staff with
billing.view read every run, with billing.manage they preview and finalise. Any other tenant sees only its own lines
of final months (core.billing.reading).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from core import bulk, jobs
from core.billing import rules
from core.billing.rules import LineKind, RunStatus, TenantRef
from core.billing.tables import BillingProgress, BillingRun, InvoiceLine
from core.cdrs import roaming_revenue
from core.db import transaction
from core.errors import Conflict, Message, NotFound, ValidationError
from core.months import Month, month_of
from core.products import assignments
from core.tenancy.actor import Actor
from core.tenancy.permissions import Permission
from core.tenancy.tables import Tenant
from core.tenancy.tenants import TenantKind, tenant_time_zone

log = logging.getLogger("csms.billing")
JOB = "billing.run"
BATCH = 500  # tenants per transaction

LINE_COLUMNS = ("run", "line_key", "tenant", "concerns", "concerns_name", "kind", "station", "station_name",
                "product_code", "quantity_days", "month_days", "net_cents", "vat_rate", "vat_cents", "gross_cents",
                "currency", "text", "basis_cents")  # fmt: skip


def is_operator(actor: Actor) -> bool:
    """The platform operator: staff of the installation's HUB tenant."""
    return actor.tenant_kind == TenantKind.HUB


def require_operator(actor: Actor, permission: Permission = Permission.BILLING_VIEW) -> None:
    """Another tenant's staff never learn that the operator's runs exist: not found, as for another tenant's id."""
    actor.require(permission)
    if not is_operator(actor):
        raise NotFound("billing run")


def parse_period(text: str | None) -> Month:
    month = Month.parse(text or "")
    if month is None:
        raise ValidationError({"month": Message("Enter a month as YYYY-MM.")})
    return month


@dataclass(frozen=True)
class Billable:
    """A tenant the run bills (or writes commission for), with what its lines need."""

    ref: TenantRef
    name: str
    zone: ZoneInfo
    vat_rate: Decimal


async def billable_tenants() -> dict[int, Billable]:
    """Every tenant with stations (CPOs, resellers, sub-CPOs; not EMPs nor the operator), by id."""
    rows = await Tenant.select(Tenant.id, Tenant.name, Tenant.kind, Tenant.parent, Tenant.country_code,
                               Tenant.vat_rate, Tenant.reseller_model)  # fmt: skip
    models = {row["id"]: row["reseller_model"] for row in rows}
    return {
        row["id"]: Billable(
            TenantRef(row["id"], row["parent"], models.get(row["parent"], "") if row["parent"] else ""), row["name"],
            ZoneInfo(tenant_time_zone(row)), Decimal(str(row["vat_rate"])),
        )
        for row in rows
        if row["kind"] not in (TenantKind.EMP, TenantKind.HUB)
    }  # fmt: skip


def _vat_of(tenants: dict[int, Billable], tenant_id: int) -> Decimal:
    found = tenants.get(tenant_id)
    return found.vat_rate if found else Decimal("19.00")


async def _lines(run_id: int, month: Month, batch: list[Billable],
                 everyone: dict[int, Billable]) -> list[tuple[Any, ...]]:  # fmt: skip
    """The rows (LINE_COLUMNS) of the batch's tenants for ``month``."""
    period = month.period
    rows: list[tuple[Any, ...]] = []
    products = await assignments.tenants_month_lines({t.ref.id: t.zone for t in batch}, month)
    for tenant in batch:
        debtor = rules.product_debtor(tenant.ref)
        vat_rate = _vat_of(everyone, debtor)
        for line in products.get(tenant.ref.id, []):
            money = rules.amounts(line.charge.net_cents, vat_rate)
            key = rules.line_key(period, tenant.ref.id, LineKind.PRODUCT, station_id=line.station_id,
                                 product=line.product_code)  # fmt: skip
            rows.append((run_id, key, debtor, tenant.ref.id, tenant.name[:200], LineKind.PRODUCT.value, line.station_id,
                         line.station_name[:120], line.product_code, line.charge.days, line.charge.month_days,
                         money.net_cents, money.vat_rate, money.vat_cents, money.gross_cents, line.currency,
                         line.product_name[:300], 0))  # fmt: skip
    affiliates = [t for t in batch if rules.commission_receiver(t.ref) is not None]
    by_zone: dict[str, list[Billable]] = defaultdict(list)
    for tenant in affiliates:
        by_zone[tenant.zone.key].append(tenant)
    for members in by_zone.values():
        start, end = month.bounds(members[0].zone)
        revenue = await roaming_revenue.revenue_net([t.ref.id for t in members], start, end)
        for (tenant_id, currency), net in sorted(revenue.items()):
            basis = int(net * 100)
            commission = rules.commission_cents(basis)
            if not commission:
                continue
            receiver = rules.commission_receiver(everyone[tenant_id].ref)
            assert receiver is not None
            money = rules.amounts(commission, _vat_of(everyone, receiver))
            key = rules.line_key(period, tenant_id, LineKind.COMMISSION, currency=currency)
            rows.append((run_id, key, receiver, tenant_id, everyone[tenant_id].name[:200], LineKind.COMMISSION.value,
                         None, "", "", 0, 0,
                         money.net_cents, money.vat_rate, money.vat_cents, money.gross_cents, currency, "",
                         basis))  # fmt: skip
    return rows


async def _ensure_run(period: str) -> dict[str, Any]:
    await BillingRun.insert(BillingRun(period=period)).on_conflict(target=BillingRun.period, action="DO NOTHING")
    run = await BillingRun.select().where(BillingRun.period == period).first()
    assert run is not None
    return run


async def run_month(period: str, *, limit: int | None = None) -> int:
    """Writes the lines of every tenant of ``period`` not written yet (at most ``limit`` tenants); returns how many
    lines were written now: 0 when the month was complete before, or final. Safe to run twice, in several
    processes and after a crash (module docstring)."""
    month = Month.parse(period)
    if month is None:
        raise ValueError(f"not a month: {period!r}")
    run = await _ensure_run(month.period)
    if run["status"] == RunStatus.FINAL:
        return 0
    everyone = await billable_tenants()
    done = {row["tenant"] for row in await BillingProgress.select(BillingProgress.tenant).where(
        BillingProgress.run == run["id"])}  # fmt: skip
    pending = [tenant for tenant_id, tenant in sorted(everyone.items()) if tenant_id not in done]
    complete = limit is None or len(pending) <= limit
    pending = pending if limit is None else pending[:limit]
    written = 0
    for first in range(0, len(pending), BATCH):
        batch = pending[first : first + BATCH]
        rows = await _lines(run["id"], month, batch, everyone)
        per_tenant: dict[int, int] = defaultdict(int)
        for row in rows:
            per_tenant[row[3]] += 1
        async with transaction():
            if await BillingRun.exists().where((BillingRun.id == run["id"]) & (BillingRun.status == RunStatus.FINAL)):
                break  # finalised meanwhile (by the operator, after completing the run): it stays as it is
            marks = [BillingProgress(key=f"{run['id']}:{t.ref.id}", run=run["id"], tenant=t.ref.id,
                                     line_count=per_tenant[t.ref.id]) for t in batch]  # fmt: skip
            claimed = await BillingProgress.insert(*marks).on_conflict(
                target=BillingProgress.key, action="DO NOTHING").returning(BillingProgress.tenant)  # fmt: skip
            mine = {row["tenant"] for row in claimed}  # another process may have written some meanwhile
            rows = [row for row in rows if row[3] in mine]
            await bulk.insert_rows(InvoiceLine, LINE_COLUMNS, rows)
        written += len(rows)
    await _update_counts(run["id"], finished=complete)
    if written:
        log.info("billing run %s: %s lines", month.period, written)
    return written


async def _update_counts(run_id: int, *, finished: bool) -> None:
    tenants = await BillingProgress.count().where(BillingProgress.run == run_id)
    lines = await InvoiceLine.count().where(InvoiceLine.run == run_id)
    values: dict[Any, Any] = {BillingRun.tenant_count: tenants, BillingRun.line_count: lines}
    if finished:
        values[BillingRun.finished_at] = datetime.now(UTC)
    await BillingRun.update(values).where(
        (BillingRun.id == run_id) & (BillingRun.status == RunStatus.PREVIEW)
    )  # fmt: skip


async def _zones() -> list[ZoneInfo]:
    """The time zones of the billed tenants (Europe/Berlin without any)."""
    zones = {tenant.zone.key: tenant.zone for tenant in (await billable_tenants()).values()}
    return list(zones.values()) or [ZoneInfo("Europe/Berlin")]


async def completed_month(now: datetime | None = None) -> Month:
    """The newest month that has ended in every billed tenant's time zone."""
    at = now or datetime.now(UTC)
    return min(month_of(at, zone).previous() for zone in await _zones())


async def current_month(now: datetime | None = None) -> Month:
    """The newest month that has begun in some billed tenant's time zone."""
    at = now or datetime.now(UTC)
    return max(month_of(at, zone) for zone in await _zones())


async def due_months(now: datetime | None = None) -> list[str]:
    """Enqueues the run (a preview) of the month that has just ended, unless it is written already; an interrupted
    run is enqueued again and resumes. Safe in several processes: the job itself is idempotent."""
    month = await completed_month(now)
    run = await BillingRun.select(BillingRun.status, BillingRun.finished_at).where(
        BillingRun.period == month.period).first()  # fmt: skip
    if run is not None and (run["status"] == RunStatus.FINAL or run["finished_at"] is not None):
        return []
    jobs.enqueue(JOB, month.period)
    return [month.period]


# --- the operator's actions ---------------------------------------------------------------------------------------


async def preview(actor: Actor, period: str) -> int:
    """Computes ``period`` afresh as a preview (replacing an earlier preview); returns the number of lines."""
    require_operator(actor, Permission.BILLING_MANAGE)
    month = parse_period(period)
    if month > await current_month():
        raise ValidationError({"month": Message("This month has not begun yet.")})
    async with transaction():
        run = await _ensure_run(month.period)
        if run["status"] == RunStatus.FINAL:
            raise Conflict(Message("This month is final: its invoice lines are never computed again."))
        await InvoiceLine.delete().where(InvoiceLine.run == run["id"])
        await BillingProgress.delete().where(BillingProgress.run == run["id"])
        await BillingRun.update({BillingRun.started_at: datetime.now(UTC), BillingRun.finished_at: None,
                                 BillingRun.tenant_count: 0, BillingRun.line_count: 0}).where(
            BillingRun.id == run["id"])  # fmt: skip
    await run_month(month.period)
    return int(await InvoiceLine.count().where(InvoiceLine.run == run["id"]))


async def finalise(actor: Actor, period: str) -> None:
    """ "Abschließen": completes the month's preview (tenants a crash left out) and makes it final."""
    require_operator(actor, Permission.BILLING_MANAGE)
    month = parse_period(period)
    if month > await completed_month():
        raise Conflict(Message("A month can be finalised once it has ended."))
    run = await BillingRun.select().where(BillingRun.period == month.period).first()
    if run is None:
        raise Conflict(Message("Compute the preview of this month first."))
    if run["status"] == RunStatus.FINAL:
        raise Conflict(Message("This month is final already."))
    await run_month(month.period)
    values: dict[Any, Any] = {BillingRun.status: RunStatus.FINAL, BillingRun.finalised_at: datetime.now(UTC),
                              BillingRun.finalised_by: actor.user_id}  # fmt: skip
    changed = await BillingRun.update(values).where(
        (BillingRun.id == run["id"]) & (BillingRun.status == RunStatus.PREVIEW)).returning(BillingRun.id)  # fmt: skip
    if not changed:
        raise Conflict(Message("This month is final already."))
