"""The demo's billing (``csms demo``), over the products core.demo assigned three months back: the demo company's debtor
number, the month before last finalised (the company sees its lines) and last month as a preview (the demo hub's
admin, the platform operator, can finalise it on the "Abrechnung" page)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from core.billing import runs
from core.billing.rules import RunStatus
from core.billing.tables import BillingRun
from core.months import month_of
from core.tenancy.actor import Actor, system_actor
from core.tenancy.tables import Tenant
from core.tenancy.tenants import TenantKind

DEMO_DEBTOR_NUMBER = "10001"


async def ensure_demo_billing(actor: Actor) -> None:
    """Idempotent: a month already written or final stays as it is."""
    zone = ZoneInfo("Europe/Berlin")
    last = month_of(datetime.now(UTC), zone).previous()
    before = last.previous()
    await Tenant.update({Tenant.debtor_number: DEMO_DEBTOR_NUMBER}).where(
        (Tenant.id == actor.tenant_id) & (Tenant.debtor_number == ""))  # fmt: skip
    hub = await Tenant.select(Tenant.id).where(Tenant.slug == "demo-hub").first()  # core.demo.ensure_demo_hub
    if hub is None:
        return
    operator = dataclasses.replace(system_actor(hub["id"], "demo"), tenant_kind=TenantKind.HUB)
    final = await BillingRun.select(BillingRun.status).where(BillingRun.period == before.period).first()
    if final is None:
        await runs.run_month(before.period)
    if final is None or final["status"] != RunStatus.FINAL:
        await runs.finalise(operator, before.period)
    await runs.run_month(last.period)
