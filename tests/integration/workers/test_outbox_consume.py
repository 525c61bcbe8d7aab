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
