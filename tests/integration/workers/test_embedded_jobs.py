import asyncio
import logging

import dramatiq

from core.roaming import cdr_push
from core.tenancy.tables import Tenant
from workers.embedded import EmbeddedBroker


async def test_jobs_run_on_the_server_loop_with_database_access(cpo, other_cpo) -> None:
    broker = EmbeddedBroker()
    seen: list[str] = []

    async def rename(tenant_id: int, name: str) -> None:
        await Tenant.update({Tenant.name: name}).where(Tenant.id == tenant_id)
        seen.append(name)

    actor = dramatiq.actor(rename, broker=broker, actor_name=f"rename_{cpo.id}")
    # Jobs run concurrently, so each one writes its own row: their order is not part of the contract.
    actor.send(cpo.id, "queued before attach")  # kept while no loop is attached, started on attach
    broker.attach(asyncio.get_running_loop())
    actor.send(other_cpo.id, "sent after attach")
    await broker.drain(timeout=5)
    broker.detach()
    assert sorted(seen) == ["queued before attach", "sent after attach"]
    rows = await Tenant.select(Tenant.id, Tenant.name).where(Tenant.id.is_in([cpo.id, other_cpo.id]))
    assert {r["id"]: r["name"] for r in rows} == {cpo.id: "queued before attach", other_cpo.id: "sent after attach"}


async def test_failed_jobs_are_retried_then_given_up() -> None:
    broker = EmbeddedBroker()
    attempts: list[int] = []

    async def flaky(n: int) -> None:
        attempts.append(n)
        if attempts.count(n) < 3:
            raise RuntimeError("transient")

    async def always_fails() -> None:
        attempts.append(-1)
        raise ValueError("permanent")

    broker.attach(asyncio.get_running_loop())
    flaky_actor = dramatiq.actor(flaky, broker=broker, max_retries=5, min_backoff=10, max_backoff=20)
    failing = dramatiq.actor(always_fails, broker=broker, max_retries=1, min_backoff=10, throws=(ValueError,))
    flaky_actor.send(7)
    failing.send()
    await broker.drain(timeout=5)
    broker.detach()
    assert attempts.count(7) == 3  # two failures, then success
    assert attempts.count(-1) == 1  # `throws` means: do not retry


async def test_an_expected_retriable_failure_logs_one_line_and_a_bug_its_traceback(caplog) -> None:
    """roaming.send_cdr raising NotSent (the partner is down; the outbox hands the CDR over again) is an expected
    outcome: one warning naming the CDR and the partner, no stack. Anything else still logs its traceback."""
    broker = EmbeddedBroker()

    async def send_cdr(message_id: int) -> None:
        raise cdr_push.NotSent(f"CDR {message_id} to partner 3: not connected")

    async def broken(message_id: int) -> None:
        raise KeyError(message_id)

    broker.attach(asyncio.get_running_loop())
    expected = dramatiq.actor(send_cdr, broker=broker, actor_name="roaming.send_cdr", max_retries=0)
    bug = dramatiq.actor(broken, broker=broker, actor_name="broken", max_retries=0)
    with caplog.at_level(logging.INFO, logger="csms.jobs"):
        expected.send(12)
        await broker.drain(timeout=5)
        bug.send(13)
        await broker.drain(timeout=5)
    broker.detach()
    records = [r for r in caplog.records if r.name == "csms.jobs"]
    assert len(records) == 2
    down, crash = records
    assert down.levelno == logging.WARNING and down.exc_info is None
    assert "roaming.send_cdr" in down.getMessage() and "CDR 12 to partner 3: not connected" in down.getMessage()
    assert crash.levelno == logging.ERROR and crash.exc_info is not None and crash.exc_info[0] is KeyError
    assert "broken" in crash.getMessage()
