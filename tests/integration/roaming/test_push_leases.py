"""The claim and lease of a partner's pushes (core.roaming.leases), shared by location/tariff pushes (PushState) and
session pushes (SessionPushState): one enqueued job and one run per partner at a time, taken over when the holder
is gone, and a run that lost its lease ends nothing of its successor's."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from core.roaming import leases, pushes, session_push
from core.roaming.tables import Partner, PushState, SessionPushState
from tests.support import HeldWrite, TenantCtx

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
TABLES = [pytest.param(PushState, pushes, id="locations-and-tariffs"),
          pytest.param(SessionPushState, session_push, id="sessions")]  # fmt: skip


async def _partner(emp: TenantCtx, table: Any) -> int:
    partner = Partner(tenant=emp.id, kind="EMP", name="Leases", state="REGISTERED", outgoing_token="token")
    await partner.save()
    await table.insert(table(partner=partner.id))
    return int(partner.id)


async def _row(table: Any, partner_id: int) -> dict[str, Any]:
    row = await table.select().where(table.partner == partner_id).first()
    assert row is not None
    return row


@pytest.mark.parametrize(("table", "module"), TABLES)
async def test_one_enqueued_job_per_partner_until_it_ran_or_its_worker_is_gone(
    emp: TenantCtx, table: Any, module: Any
) -> None:
    partner_id = await _partner(emp, table)
    queued_for = module.QUEUED_FOR
    assert await leases.claim_enqueue(table, partner_id, NOW, queued_for)
    assert (await _row(table, partner_id))["queued_until"] == NOW + queued_for
    assert not await leases.claim_enqueue(table, partner_id, NOW + queued_for - timedelta(seconds=1), queued_for)
    assert await leases.claim_enqueue(table, partner_id, NOW + queued_for + timedelta(seconds=1), queued_for)
    assert not await leases.claim_enqueue(table, partner_id + 1_000_000, NOW, queued_for)  # no state row: no claim


@pytest.mark.parametrize(("table", "module"), TABLES)
async def test_one_run_per_partner_and_a_dead_run_is_taken_over(emp: TenantCtx, table: Any, module: Any) -> None:
    partner_id = await _partner(emp, table)
    lease = module.LEASE
    assert await leases.claim_enqueue(table, partner_id, NOW, module.QUEUED_FOR)
    assert await leases.take_lease(table, partner_id, "a" * 32, NOW, lease)
    assert not await leases.take_lease(table, partner_id, "b" * 32, NOW + lease - timedelta(seconds=1), lease)
    later = NOW + lease + timedelta(seconds=1)  # run "a" died: its lease ran out
    assert await leases.take_lease(table, partner_id, "b" * 32, later, lease)

    await leases.end_run(table, partner_id, "a" * 32)  # the dead run wakes up: nothing of b's ends
    row = await _row(table, partner_id)
    assert (row["lease_token"], row["lease_until"]) == ("b" * 32, later + lease)
    assert row["queued_until"] == NOW + module.QUEUED_FOR

    await leases.end_run(table, partner_id, "b" * 32)
    row = await _row(table, partner_id)
    assert (row["lease_token"], row["lease_until"], row["queued_until"]) == ("", None, None)
    assert await leases.claim_enqueue(table, partner_id, later, module.QUEUED_FOR)  # the next tick may enqueue


@pytest.mark.parametrize(("table", "module"), TABLES)
async def test_runs_starting_together_one_wins(emp: TenantCtx, table: Any, module: Any) -> None:
    partner_id = await _partner(emp, table)
    tokens = [f"{n:032d}" for n in range(5)]
    taken = await asyncio.gather(*[leases.take_lease(table, partner_id, t, NOW, module.LEASE) for t in tokens])
    assert sorted(taken) == [False] * 4 + [True]
    winner = tokens[taken.index(True)]
    assert (await _row(table, partner_id))["lease_token"] == winner


@pytest.mark.parametrize(("table", "module"), TABLES)
async def test_a_run_stopped_while_it_takes_the_lease_gives_it_back(emp: TenantCtx, table: Any, module: Any) -> None:
    """The process stops (its job cancelled) while the UPDATE that takes the lease waits for the database: that UPDATE
    still lands, and the lease must go back, or the partner's pushes would stall for LEASE."""
    partner_id = await _partner(emp, table)
    run = pushes.push_partner if module is pushes else session_push.push_sessions
    async with HeldWrite(table.update({table.queued_until: None}).where(table.partner == partner_id)):
        job = asyncio.create_task(run(partner_id))
        await asyncio.sleep(0.3)
        job.cancel()
        await asyncio.sleep(0.3)
    await asyncio.gather(job, return_exceptions=True)
    row = await _row(table, partner_id)
    assert (row["lease_token"], row["lease_until"]) == ("", None)
