import asyncio

import dramatiq

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
