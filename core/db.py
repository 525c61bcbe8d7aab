"""Database lifecycle (migrations, connection pool, transactions) and small query helpers every domain uses."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import io
import logging
import re
import sqlite3
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from typing import Any, TypeVar

from piccolo.apps.migrations.commands.forwards import run_forwards
from piccolo.apps.migrations.tables import Migration
from piccolo.engine.base import Engine
from piccolo.engine.finder import engine_finder
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType
from piccolo.query import WhereRaw
from piccolo.table import Table

# SQLite's own LOWER() and LIKE fold ASCII letters only, so "münchen" would not find "MÜNCHEN" in embedded mode
# (and Piccolo's ILIKE is LIKE there). Every connection csms opens gets Unicode-aware versions: LIKE is replaced
# (SQLite allows it; no index uses LIKE), and searches that fold a column call UNICODE_LOWER (core.db.lower_sql)
# instead of replacing LOWER(), which the existing expression indexes were built with. core.piccolo_conf makes
# every SQLite connection a UnicodeConnection.
UNICODE_LOWER = "unicode_lower"


def _unicode_lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


@functools.lru_cache(maxsize=256)
def _like_pattern(pattern: str, escape: str | None) -> re.Pattern[str]:
    parts: list[str] = []
    chars = iter(pattern)
    for char in chars:
        if escape is not None and char == escape:
            parts.append(re.escape(next(chars, "")))
        elif char == "%":
            parts.append(".*")
        elif char == "_":
            parts.append(".")
        else:
            parts.append(re.escape(char))
    return re.compile("".join(parts), re.IGNORECASE | re.DOTALL)


def _unicode_like(pattern: Any, value: Any, escape: Any = None) -> int | None:
    """SQL ``value LIKE pattern [ESCAPE escape]``: case-insensitive for every alphabet."""
    if pattern is None or value is None:
        return None
    return int(_like_pattern(str(pattern), escape).fullmatch(str(value)) is not None)


class UnicodeConnection(sqlite3.Connection):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.create_function(UNICODE_LOWER, 1, _unicode_lower, deterministic=True)
        self.create_function("like", 2, _unicode_like, deterministic=True)
        self.create_function("like", 3, _unicode_like, deterministic=True)


def engine() -> Engine:
    db = engine_finder()
    if db is None:  # pragma: no cover - core.piccolo_conf always defines DB
        raise RuntimeError("no Piccolo engine configured")
    return db


def is_postgres() -> bool:
    return isinstance(engine(), PostgresEngine)


def lower_sql(expr: str, postgres: bool) -> str:
    """SQL that lower-cases ``expr`` for every alphabet (SQLite's LOWER() knows ASCII only, core.piccolo_conf)."""
    return f"LOWER({expr})" if postgres else f"{UNICODE_LOWER}({expr})"


async def applied_migrations() -> list[str]:
    """Ids of the migrations this database has run, oldest first (none in a new database)."""
    if not await Migration.table_exists():
        return []
    return await Migration.get_migrations_which_ran()


async def migrate() -> list[str]:
    """Apply every pending migration; idempotent. Returns the ids of the migrations that ran now."""
    db = engine()
    if isinstance(db, SQLiteEngine):
        # WAL lets the portal read while the OCPP handlers write.
        await db.run_ddl("PRAGMA journal_mode=WAL;")
    before = set(await applied_migrations())
    # Piccolo prints progress; keep the CLI output short.
    with contextlib.redirect_stdout(io.StringIO()):
        response = await run_forwards(app_name="all", migration_id="all", fake=False)
    if not response.success:
        raise RuntimeError(f"migration failed: {response.message}")
    return [name for name in await applied_migrations() if name not in before]


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


_T = TypeVar("_T")


async def settled(work: Awaitable[_T]) -> _T:
    """``work``'s result; cancelled meanwhile, it first waits for ``work`` to end: a statement cancelled on our side
    may still land in the database (SQLite runs it in a thread of its own), so a lease it takes is known to the
    caller's cleanup."""
    task = asyncio.ensure_future(work)
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        await asyncio.gather(task, return_exceptions=True)
        raise


@contextlib.asynccontextmanager
async def leased(
    take: Callable[[str], Awaitable[bool]], give_back: Callable[[str], Awaitable[None]]
) -> AsyncIterator[str | None]:
    """Holds a lease under a new token for the block: yields the token, or None when another holds the lease; gives
    it back after. A process told to stop while the statement that takes it waits for the database waits for that
    statement and gives back what it took: a lease left behind would stall everyone until it runs out."""
    token, held = uuid.uuid4().hex, True
    try:
        if not await settled(take(token)):
            held = False
            yield None
            return
        yield token
    finally:
        if held:
            await give_back(token)


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
        opener, began = sys._getframe(2), time.monotonic()
        try:
            async with db.transaction(transaction_type=TransactionType.immediate) as txn:
                yield txn
        finally:
            _warn_if_held_long(time.monotonic() - began, opener)
        return
    async with db.transaction() as txn:
        yield txn


# Embedded mode has one writer at a time: a write transaction held this long makes every other writer (the station
# handlers, the jobs, a CLI command) wait, and after the engine's timeout (30 s) fail with "database is locked".
SLOW_WRITE_SECONDS = 5.0
_log = logging.getLogger("csms.db")


def _warn_if_held_long(seconds: float, opener: Any) -> None:
    if seconds < SLOW_WRITE_SECONDS:
        return
    frame, where = opener, list[str]()
    while frame is not None and len(where) < 4:
        if not frame.f_code.co_filename.endswith(("contextlib.py", "events.py", "base_events.py")):
            where.append(f"{frame.f_code.co_filename}:{frame.f_lineno} {frame.f_code.co_name}")
        frame = frame.f_back
    _log.warning("SQLite write transaction held %.1f s, blocking other writers; opened at %s", seconds,
                 " < ".join(where))  # fmt: skip


async def together(*reads: Awaitable[Any]) -> list[Any]:
    """Independent reads at once, each on a pooled connection of its own: PostgreSQL works on them in parallel while
    this process waits once instead of once per query. Inside a transaction (one connection) and on SQLite (one
    file) they run one after the other, in order."""
    db = engine()
    if isinstance(db, PostgresEngine) and not db.transaction_exists():
        return list(await asyncio.gather(*reads))
    return [await read for read in reads]


def columns(table: type[Table], data: dict[str, Any]) -> dict[Any, Any]:
    """Piccolo's ``{column: value}`` for an update, from a dict keyed by column name."""
    return {getattr(table, key): value for key, value in data.items()}


def id_list(ids: Iterable[int]) -> str:
    """The SQL list of many ids at once (a page of OCPI objects: thousands), for ``IN (...)``: bound parameters and
    Piccolo's ``is_in`` convert each value on its own (about 6 µs apiece); ids are whole numbers, written as such."""
    return ", ".join(str(int(i)) for i in ids) or "NULL"


def ids_in(column: Any, ids: Iterable[int]) -> WhereRaw:
    """``column IN (ids)`` (``id_list``)."""
    return WhereRaw(f"{column._meta.get_full_name(with_alias=False)} IN ({id_list(ids)})")


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
