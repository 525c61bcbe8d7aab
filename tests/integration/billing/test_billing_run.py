"""The monthly billing run (core.billing) on a real database: who is billed for what in each reseller model, the
commission per currency, a second run and a crashed run, preview and finalise, and who sees which lines."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from core import jobs
from core.billing import reading, runs
from core.billing.rules import RunStatus
from core.billing.tables import BillingProgress, BillingRun, InvoiceLine
from core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from core.months import Month
from core.products import assignments
from core.products.rules import month_days
from core.tenancy.permissions import Permission
from tests.integration.billing.helpers import BERLIN, fresh_month, installation, lines_of

YEARS = 2011  # this module bills months from 2011 on
VAT = Decimal("19.00")  # the tenants' rate


async def test_a_run_bills_each_tenant_as_its_model_says_and_a_second_run_adds_nothing(unique: str) -> None:
    month = fresh_month(YEARS)
    setup = await installation(month, unique)
    days = month_days(month)

    written = await runs.run_month(month.period)
    st = setup.stations
    assert sorted(await lines_of(setup, month), key=str) == sorted([
        # the CPO: its own products; 360.SUPPORT from the 20th is a whole month (active at the month's end)
        (setup.cpo.id, setup.cpo.id, "PRODUCT", st["cpo"], "EOPERATE_AC", days, 990, VAT, 188, 1178,
         "EUR", 0),
        (setup.cpo.id, setup.cpo.id, "PRODUCT", st["cpo"], "SUPPORT_360", days, 1490, VAT, 283, 1773,
         "EUR", 0),
        # RESELLER model: the sub-CPO's products go to the reseller, naming the sub-CPO
        (setup.reseller.id, setup.sub.id, "PRODUCT", st["sub"], "EOPERATE_AC", days, 990, VAT, 188,
         1178, "EUR", 0),
        # AFFILIATE model: the sub-CPO pays itself; the reseller gets 2 % of its roaming revenue per currency
        (setup.affiliated.id, setup.affiliated.id, "PRODUCT", st["affiliated"], "EOPERATE_AC", days, 990,
         VAT, 188, 1178, "EUR", 0),
        (setup.affiliate.id, setup.affiliated.id, "COMMISSION", None, "", 0, -21, VAT, -4, -25, "CHF",
         1025),  # 2 % of 10.25 = 0.205: half a cent rounds up to 0.21
        (setup.affiliate.id, setup.affiliated.id, "COMMISSION", None, "", 0, -247, VAT, -47, -294,
         "EUR", 12345),  # 2 % of 123.45 = 2.469 -> 2.47; the next month's 50.00 is not this month's
    ], key=str)  # fmt: skip
    assert written >= 6
    run = await BillingRun.select().where(BillingRun.period == month.period).first()
    assert run is not None and run["status"] == RunStatus.PREVIEW and run["finished_at"] is not None
    assert run["line_count"] == await InvoiceLine.count().where(InvoiceLine.run == run["id"])

    before = await lines_of(setup, month)
    assert await runs.run_month(month.period) == 0  # idempotent: nothing new
    assert await lines_of(setup, month) == before
    assert await InvoiceLine.count().where(InvoiceLine.run == run["id"]) == run["line_count"]


async def test_a_run_that_stopped_after_the_first_tenant_resumes_with_the_others(unique: str) -> None:
    month = fresh_month(YEARS)
    setup = await installation(month, unique)
    everyone = len(await runs.billable_tenants())

    await runs.run_month(month.period, limit=1)  # as if the process died after the first tenant's transaction
    run = await BillingRun.select().where(BillingRun.period == month.period).first()
    assert run is not None and run["finished_at"] is None and run["tenant_count"] == 1
    assert await BillingProgress.count().where(BillingProgress.run == run["id"]) == 1

    await runs.run_month(month.period)
    run = await BillingRun.select().where(BillingRun.period == month.period).first()
    assert run is not None and run["finished_at"] is not None and run["tenant_count"] == everyone
    resumed = await lines_of(setup, month)
    assert len(resumed) == 6 and len({(*line[:5], line[10]) for line in resumed}) == 6  # each once

    # the same month computed in one go gives the same lines
    await runs.preview(setup.hub.actor, month.period)
    assert await lines_of(setup, month) == resumed


async def test_preview_replaces_the_preview_and_finalise_freezes_the_month(unique: str) -> None:
    month = fresh_month(YEARS)
    setup = await installation(month, unique)
    operator = setup.hub.actor
    assert runs.is_operator(operator) and not runs.is_operator(setup.cpo.actor)

    assert await runs.preview(operator, month.period) >= 6
    start, _ = month.bounds(BERLIN)
    history = await assignments.station_assignments(setup.cpo.actor, setup.stations["cpo"])
    support = next(row for row in history if row["product_code"] == "SUPPORT_360")
    await assignments.end(setup.cpo.actor, support["id"], at=start + timedelta(days=25))  # ended within the month
    assert len(await lines_of(setup, month)) == 6  # the preview stays what it was until it is computed again
    await runs.preview(operator, month.period)
    codes = [line[4] for line in await lines_of(setup, month) if line[0] == setup.cpo.id]
    assert codes == ["EOPERATE_AC"]  # deactivated in the month: 360.SUPPORT is not billed for it

    assert await reading.own_lines(setup.cpo.actor, month.period) == []  # a preview is the operator's only
    await runs.finalise(operator, month.period)
    run = await BillingRun.select().where(BillingRun.period == month.period).first()
    assert run is not None and run["status"] == RunStatus.FINAL and run["finalised_at"] is not None
    final = await lines_of(setup, month)
    assert await runs.run_month(month.period) == 0
    with pytest.raises(Conflict):
        await runs.preview(operator, month.period)
    with pytest.raises(Conflict):
        await runs.finalise(operator, month.period)
    assert await lines_of(setup, month) == final

    # a month not yet ended cannot be finalised; one not computed has nothing to finalise; nonsense is a field error
    with pytest.raises(Conflict):
        await runs.finalise(operator, Month(2031, 1).period)
    with pytest.raises(Conflict):
        await runs.finalise(operator, fresh_month(YEARS).period)
    with pytest.raises(ValidationError):
        await runs.preview(operator, "2026-13")


async def test_only_the_operator_runs_billing_and_each_tenant_reads_its_own_final_lines(unique: str) -> None:
    month = fresh_month(YEARS)
    setup = await installation(month, unique)
    for outsider in (setup.cpo.actor, setup.reseller.actor, setup.affiliated.actor):
        with pytest.raises(NotFound):
            await runs.preview(outsider, month.period)
        with pytest.raises(NotFound):
            await reading.runs(outsider)
        with pytest.raises(NotFound):
            await reading.month_lines(outsider, month.period)
    no_manage = dataclasses.replace(setup.hub.actor, permissions=setup.hub.actor.permissions - {
        Permission.BILLING_MANAGE})  # fmt: skip
    with pytest.raises(PermissionDenied):
        await runs.preview(no_manage, month.period)
    await runs.preview(setup.hub.actor, month.period)
    await runs.finalise(setup.hub.actor, month.period)

    cpo_lines = await reading.own_lines(setup.cpo.actor, month.period)
    assert {line["tenant"] for line in cpo_lines} == {setup.cpo.id} and len(cpo_lines) == 2
    assert month.period in await reading.own_months(setup.cpo.actor)
    reseller_lines = await reading.own_lines(setup.reseller.actor, month.period)
    assert [(line["concerns"], line["concerns_name"]) for line in reseller_lines] == [
        (setup.sub.id, setup.sub.tenant["name"])
    ]
    assert [line["product_code"] for line in await reading.own_lines(setup.sub.actor, month.period)] == []
    report = await reading.commission_report(setup.affiliate.actor, month.period)
    assert [(r.sub_cpo, r.currency, r.revenue_net_cents, r.commission_cents) for r in report] == [
        (setup.affiliated.tenant["name"], "CHF", 1025, 21),
        (setup.affiliated.tenant["name"], "EUR", 12345, 247),
    ]
    assert reading.commission_totals(report) == [("CHF", 1025, 21), ("EUR", 12345, 247)]
    assert await reading.commission_report(setup.cpo.actor, month.period) == []
    operator_view = await reading.month_lines(setup.hub.actor, month.period)
    ours = [debtor for debtor in operator_view if debtor.tenant_id in setup.ids]
    assert {debtor.tenant_id for debtor in ours} == setup.ids - {setup.sub.id}
    assert all(debtor.debtor_number.startswith(f"D-{unique}-") for debtor in ours)
    without_view = dataclasses.replace(setup.cpo.actor, permissions=frozenset())
    with pytest.raises(PermissionDenied):
        await reading.own_lines(without_view, month.period)


async def test_due_months_enqueues_the_month_that_has_ended_until_its_run_is_complete() -> None:
    enqueued: list[str] = []
    jobs.register(runs.JOB, enqueued.append)
    try:
        now = datetime(2032, 3, 1, 12, tzinfo=UTC)  # noon on the 1st: February has ended in every time zone
        assert await runs.due_months(now) == ["2032-02"] and enqueued == ["2032-02"]
        await runs.run_month("2032-02")
        assert await runs.due_months(now) == []
    finally:
        from workers.actors import register_jobs

        register_jobs()
