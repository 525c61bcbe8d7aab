"""Database lifecycle: migrations, connection pool, transactions."""

from __future__ import annotations

import contextlib
import io
from collections.abc import AsyncIterator
from typing import Any

from piccolo.apps.migrations.commands.forwards import run_forwards
from piccolo.engine.base import Engine
from piccolo.engine.finder import engine_finder
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType


def engine() -> Engine:
    db = engine_finder()
    if db is None:  # pragma: no cover - core.piccolo_conf always defines DB
        raise RuntimeError("no Piccolo engine configured")
    return db


def is_postgres() -> bool:
    return isinstance(engine(), PostgresEngine)


async def migrate() -> None:
    """Apply every pending migration; idempotent."""
    db = engine()
    if isinstance(db, SQLiteEngine):
        # WAL lets the portal read while the OCPP handlers write.
        await db.run_ddl("PRAGMA journal_mode=WAL;")
    # Piccolo prints progress; keep the CLI output short.
    with contextlib.redirect_stdout(io.StringIO()):
        response = await run_forwards(app_name="all", migration_id="all", fake=False)
    if not response.success:
        raise RuntimeError(f"migration failed: {response.message}")


_pool_users = 0


async def _keep_session(connection: Any) -> None:
    """Pool release without asyncpg's default reset query (advisory unlock, CLOSE ALL, UNLISTEN, RESET ALL): csms
    sets no session state, so that query was one more round trip after every pooled statement or transaction.
    asyncpg still rolls back a transaction left open before calling this."""


async def open_pool(max_size: int = 10) -> None:
    """Counted, so that an app's lifespan inside a test session or CLI command can nest."""
    global _pool_users
    db = engine()
    _pool_users += 1
    if isinstance(db, PostgresEngine) and _pool_users == 1:
        await db.start_connection_pool(min_size=1, max_size=max_size, reset=_keep_session)


async def close_pool() -> None:
    global _pool_users
    db = engine()
    _pool_users = max(0, _pool_users - 1)
    if isinstance(db, PostgresEngine) and _pool_users == 0:
        await db.close_connection_pool()


@contextlib.asynccontextmanager
async def transaction() -> AsyncIterator[Any]:
    """One atomic unit of work (nested calls reuse the outer transaction)."""
    db = engine()
    current = db.current_transaction.get()
    if current is not None:
        yield current
        return
    if isinstance(db, SQLiteEngine):
        # IMMEDIATE takes the write lock up front (waiting up to the engine's timeout): a deferred transaction
        # that read first fails at once with "database is locked" when another connection wrote meanwhile.
        async with db.transaction(transaction_type=TransactionType.immediate) as txn:
            yield txn
        return
    async with db.transaction() as txn:
        yield txn
