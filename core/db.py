"""Database lifecycle (migrations, connection pool, transactions) and small query helpers every domain uses."""

from __future__ import annotations

import contextlib
import io
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from piccolo.apps.migrations.commands.forwards import run_forwards
from piccolo.engine.base import Engine
from piccolo.engine.finder import engine_finder
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType
from piccolo.table import Table


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
        try:
            await db.start_connection_pool(min_size=1, max_size=max_size, reset=_keep_session)
        except BaseException:
            _pool_users -= 1  # not open: the next caller tries again
            raise


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


def columns(table: type[Table], data: dict[str, Any]) -> dict[Any, Any]:
    """Piccolo's ``{column: value}`` for an update, from a dict keyed by column name."""
    return {getattr(table, key): value for key, value in data.items()}


def window(query: Any, offset: int, limit: int | None) -> Any:
    """``limit`` rows from ``offset`` (the REST API's pages); no limit: every row."""
    return query if limit is None else query.limit(limit).offset(offset)


async def referenced(table: type[Table], row_id: int, *, besides: tuple[type[Table], ...] = ()) -> bool:
    """Whether a row of another table (not one of ``besides``) points at this row by a foreign key.

    A lower domain asks this instead of importing the higher domains that refer to its rows: a tariff used by a
    driver group or by a session keeps its prices, a driver group a session charged under cannot be deleted.
    Piccolo knows every foreign key to a table once the app's tables are loaded, which opening the engine does
    (core.piccolo_conf loads core.piccolo_app, whose table finder imports every domain's tables).
    """
    engine()  # loads every table module, so no reference is missed
    for column in table._meta.foreign_key_references:
        referring = column._meta.table
        if referring in besides:
            continue
        if await referring.exists().where(column == row_id):
            return True
    return False


async def newest_first_batches(
    fetch: Callable[[int | None, int], Awaitable[list[dict[str, Any]]]], batch: int = 1000
) -> AsyncIterator[list[dict[str, Any]]]:
    """Every row of a newest-first listing in batches, for streamed exports: ``fetch(before_id, limit)`` answers
    the rows below ``before_id`` (None: from the newest)."""
    before: int | None = None
    while True:
        rows = await fetch(before, batch)
        if not rows:
            return
        yield rows
        before = rows[-1]["id"]
