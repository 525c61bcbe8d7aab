"""outbox.consume when something fails after the handler's transaction committed."""

from __future__ import annotations

import os
from typing import Any

import pytest

from core import outbox
from core.db import engine, transaction
from core.outbox import OutboxMessage

postgres_only = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"), reason="the connection pool is PostgreSQL's"
)


@postgres_only
async def test_an_error_after_the_commit_leaves_the_delivered_row_clean(unique: str) -> None:
    """What `csms worker` did when a job ran before its process had opened the pool: the transaction took a bare
    connection, the pool opened meanwhile, and handing the connection to the new pool failed after the COMMIT."""
    async with transaction():
        await outbox.publish(f"test.after_commit.{unique}", f"after-commit-{unique}", {"n": 1})
    row = await OutboxMessage.select(OutboxMessage.id).where(OutboxMessage.dedupe_key == f"after-commit-{unique}")
    message_id = row[0]["id"]
    db = engine()
    session_pool = db.pool  # type: ignore[attr-defined]
    handled: list[dict[str, Any]] = []

    async def handler(payload: dict[str, Any]) -> None:
        handled.append(payload)
        await db.start_connection_pool(min_size=1, max_size=2)  # type: ignore[attr-defined]

    db.pool = None  # type: ignore[attr-defined]  # the worker process before its pool opened
    try:
        assert await outbox.consume(message_id, handler) is True
    finally:
        await db.close_connection_pool()  # type: ignore[attr-defined]
        db.pool = session_pool  # type: ignore[attr-defined]
    stored = await OutboxMessage.select().where(OutboxMessage.id == message_id).first()
    assert stored is not None and handled == [{"n": 1}]
    assert stored["delivered_at"] is not None and stored["last_error"] == ""


async def test_a_failing_handler_keeps_its_error_on_the_row(unique: str) -> None:
    async with transaction():
        await outbox.publish(f"test.failing.{unique}", f"failing-{unique}", {})
    row = await OutboxMessage.select(OutboxMessage.id).where(OutboxMessage.dedupe_key == f"failing-{unique}")

    async def handler(payload: dict[str, Any]) -> None:
        raise RuntimeError("partner down")

    with pytest.raises(RuntimeError):
        await outbox.consume(row[0]["id"], handler)
    stored = await OutboxMessage.select().where(OutboxMessage.id == row[0]["id"]).first()
    assert stored is not None and stored["delivered_at"] is None
    assert stored["last_error"] == "RuntimeError: partner down"


async def test_a_claimed_message_is_held_by_one_run_until_it_settles(unique: str) -> None:
    """A slow POST outlives the relay's backoff: the second hand-over must not send the message again."""
    async with transaction():
        await outbox.publish(f"test.claim.{unique}", f"claim-{unique}", {})
    row = await OutboxMessage.select(OutboxMessage.id).where(OutboxMessage.dedupe_key == f"claim-{unique}")
    message_id = row[0]["id"]
    assert await outbox.claim(message_id, 60) is True
    assert await outbox.claim(message_id, 60) is False  # the second run while the first talks to the partner
    await outbox.settle(message_id, "partner answered 503")
    stored = await OutboxMessage.select().where(OutboxMessage.id == message_id).first()
    assert stored is not None and stored["delivered_at"] is None and stored["last_error"] == "partner answered 503"
    assert await outbox.claim(message_id, 60) is True  # the failed run let go: the next try may send
    await outbox.settle(message_id)
    assert await outbox.claim(message_id, 60) is False  # delivered: nobody sends it again
    stored = await OutboxMessage.select().where(OutboxMessage.id == message_id).first()
    assert stored is not None and stored["delivered_at"] is not None and stored["claimed_until"] is None


async def test_a_claim_that_ran_out_can_be_taken_again(unique: str) -> None:
    """A run that died holding the message: after its claim ran out the next run sends."""
    async with transaction():
        await outbox.publish(f"test.claim.{unique}", f"claim-expired-{unique}", {})
    row = await OutboxMessage.select(OutboxMessage.id).where(OutboxMessage.dedupe_key == f"claim-expired-{unique}")
    message_id = row[0]["id"]
    assert await outbox.claim(message_id, -1) is True  # already over
    assert await outbox.claim(message_id, 60) is True


class _KickProbe:
    """Registered like a running relay: notes, for each kick, whether a transaction was still open then."""

    def __init__(self) -> None:
        self.in_transaction: list[bool] = []

    def kick(self) -> None:
        self.in_transaction.append(engine().current_transaction.get() is not None)


async def test_the_relay_is_kicked_after_the_handlers_commit(unique: str) -> None:
    """A handler that publishes (a receipt mail queued by the session-stopped handler) kicks the relay inside
    consume's transaction, before anything is visible to the relay; consume kicks once more after its COMMIT, so
    the new message goes out now instead of at the relay's next periodic pass (bench/direct_payment.py found
    receipt mails waiting 5 s for it)."""
    async with transaction():
        await outbox.publish(f"test.kick.{unique}", f"kick-first-{unique}", {})
    row = await OutboxMessage.select(OutboxMessage.id).where(OutboxMessage.dedupe_key == f"kick-first-{unique}")

    async def handler(payload: dict[str, Any]) -> None:
        await outbox.publish(f"test.kick.{unique}", f"kick-second-{unique}", {})
        outbox.kick()

    probe = _KickProbe()
    outbox._relays.append(probe)  # type: ignore[arg-type]
    try:
        assert await outbox.consume(row[0]["id"], handler) is True
    finally:
        outbox._relays.remove(probe)  # type: ignore[arg-type]
    assert probe.in_transaction == [True, False]
    second = await OutboxMessage.select().where(OutboxMessage.dedupe_key == f"kick-second-{unique}").first()
    assert second is not None and second["delivered_at"] is None
