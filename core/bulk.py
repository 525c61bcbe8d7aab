"""Hot-path SQL straight on the transaction's connection, for PostgreSQL and SQLite alike.

The ORM builds each statement in Python (a few hundred microseconds for a many-row INSERT); the OCPP hot
paths (MeterValues group commit, the message log) write the same few statements thousands of times a second,
so they send fixed, parametrised SQL instead. Statements are written with ``{}`` for each parameter.
``GroupCommit`` gathers concurrent writes of such a path into one transaction.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable, Hashable, Sequence
from typing import Any, Generic, TypeVar

from piccolo.table import Table

from core.db import is_postgres, transaction

log = logging.getLogger("csms.bulk")
T = TypeVar("T")

ROWS_PER_INSERT = 1000  # x parameters per row stays below SQLite's 32,766


@functools.lru_cache(maxsize=256)
def _compiled(sql: str, params: int, postgres: bool) -> str:
    return sql.format(*(f"${n}" for n in range(1, params + 1))) if postgres else sql.format(*("?" * params))


async def execute(sql: str, *args: Any) -> None:
    """Run one statement in the current transaction."""
    async with transaction() as txn:
        statement = _compiled(sql, len(args), is_postgres())
        if is_postgres():
            await txn.connection.execute(statement, *args)
        else:
            await txn.connection.execute(statement, args)


async def execute_many(sql: str, rows: Sequence[Sequence[Any]]) -> None:
    """Run one statement once per row of parameters (pipelined on PostgreSQL), in the current transaction."""
    if not rows:
        return
    postgres = is_postgres()
    statement = _compiled(sql, len(rows[0]), postgres)
    async with transaction() as txn:
        await txn.connection.executemany(statement, rows)  # asyncpg and aiosqlite: the same call


async def insert_rows(table: type[Table], columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """PostgreSQL: one binary COPY (no statement to parse and plan, whatever the row count); SQLite: one
    multi-row INSERT per ``ROWS_PER_INSERT`` rows."""
    if not rows:
        return
    async with transaction() as txn:
        if is_postgres():
            await txn.connection.copy_records_to_table(table._meta.tablename, records=rows, columns=list(columns))
            return
        names = ", ".join(f'"{c}"' for c in columns)
        one = "(" + ", ".join("{}" for _ in columns) + ")"
        for first in range(0, len(rows), ROWS_PER_INSERT):
            chunk = rows[first : first + ROWS_PER_INSERT]
            sql = f'INSERT INTO "{table._meta.tablename}" ({names}) VALUES ' + ", ".join(one for _ in chunk)  # noqa: S608
            args = [value for row in chunk for value in row]
            await txn.connection.execute(_compiled(sql, len(args), False), args)


class GroupCommit(Generic[T]):
    """Items submitted within a few milliseconds are written by one ``write_batch`` call (one transaction);
    ``submit`` returns only after that commit. When a batch fails, each item is written on its own with
    ``write_one``, so one bad item fails alone and every caller gets its own outcome.

    ``writers`` > 1 lets that many batches be written at once (on as many connections), so the next batch is
    prepared while the database writes the last one; ``key`` then keeps items with the same key (say, one
    station's) out of concurrent batches, so that they are written in the order they were submitted."""

    def __init__(
        self,
        name: str,
        write_batch: Callable[[list[T]], Awaitable[None]],
        write_one: Callable[[T], Awaitable[None]],
        delay: float = 0.002,
        max_items: int = 1000,
        writers: int = 1,
        key: Callable[[T], Hashable] | None = None,
    ) -> None:
        self.name = name
        self._write_batch = write_batch
        self._write_one = write_one
        self.delay = delay
        self.max_items = max_items
        self.writers = writers
        self._key = key
        self._pending: list[tuple[T, asyncio.Future[None]]] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._busy: set[Hashable] = set()  # keys of the items being written
        self._writing = 0  # runners writing a batch now (the others gather the next one)
        self.batches = 0  # transactions written, and the items in them (for tests and the benchmark)
        self.frames = 0

    async def submit(self, item: T) -> None:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        if any(task.get_loop() is not loop for task in self._tasks):  # a new event loop (tests): start over
            self._pending = [entry for entry in self._pending if entry[1].get_loop() is loop]
            self._tasks.clear()
            self._busy.clear()
            self._writing = 0
        self._pending.append((item, future))
        self._tasks = {task for task in self._tasks if not task.done()}
        if len(self._tasks) < self.writers and self._writing >= len(self._tasks):  # none is gathering
            self._tasks.add(loop.create_task(self._run()))
        await future

    def _take(self) -> list[tuple[T, asyncio.Future[None]]]:
        if self._key is None or self.writers == 1:
            batch, self._pending = self._pending[: self.max_items], self._pending[self.max_items :]
            return batch
        batch, rest = [], []
        for entry in self._pending:
            if len(batch) < self.max_items and self._key(entry[0]) not in self._busy:
                batch.append(entry)
            else:
                rest.append(entry)
        self._pending = rest
        return batch

    async def _run(self) -> None:
        while self._pending:
            await asyncio.sleep(self.delay)
            batch = self._take()
            if not batch:  # all of them wait for a batch being written
                continue
            keys = {self._key(item) for item, _ in batch} if self._key is not None else set()
            self._busy |= keys
            self.batches += 1
            self.frames += len(batch)
            self._writing += 1
            try:
                await self._write(batch)
            finally:
                self._writing -= 1
                self._busy -= keys

    async def _write(self, batch: list[tuple[T, asyncio.Future[None]]]) -> None:
        try:
            await self._write_batch([item for item, _ in batch])
        except Exception:
            log.warning("%s: batch of %d failed; writing them one by one", self.name, len(batch), exc_info=True)
            for item, future in batch:
                try:
                    await self._write_one(item)
                except Exception as exc:  # noqa: BLE001 - handed to the waiting caller
                    if not future.done():
                        future.set_exception(exc)
                else:
                    if not future.done():
                        future.set_result(None)
            return
        for _, future in batch:
            if not future.done():
                future.set_result(None)


def storable_text(text: str) -> str:
    """PostgreSQL refuses NUL in text, and one such row would fail a whole batch: a logged payload may carry one."""
    return text.replace("\x00", "\ufffd") if "\x00" in text else text


class BufferedRows:
    """Log rows of one table written in batches, off the request path: ``delay`` seconds after the first row of a
    batch, at once when ``batch`` rows wait, and by ``flush()`` (shutdown; a reader that wants them now). Rows
    added without a running event loop wait for the next ``add`` or ``flush``; rows are plain tuples, so a later
    event loop writes what an earlier one left. A batch that fails is written row by row, so that a bad row is the
    only one lost (logged). ``after`` runs with each written batch (say, bookkeeping the rows imply)."""

    def __init__(
        self,
        name: str,
        table: type[Table],
        columns: Sequence[str],
        delay: float,
        batch: int,
        after: Callable[[list[tuple[Any, ...]]], Awaitable[None]] | None = None,
    ) -> None:
        self.name = name
        self.table = table
        self.columns = tuple(columns)
        self.delay = delay
        self.batch = batch
        self._after = after
        self._rows: list[tuple[Any, ...]] = []  # in ``columns`` order
        self._task: asyncio.Task[None] | None = None
        self._full: set[asyncio.Task[None]] = set()  # flushes of full batches, referenced until done
        self._lock: asyncio.Lock | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def pending(self) -> int:
        return len(self._rows)

    def add(self, row: tuple[Any, ...]) -> None:
        self._rows.append(row)
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        if self._task is None or self._task.done() or self._task.get_loop() is not loop:
            self._task = loop.create_task(self._flush_soon())
        elif len(self._rows) == self.batch:  # a full batch does not wait for the delay
            task = loop.create_task(self.flush())
            self._full.add(task)
            task.add_done_callback(self._full.discard)

    async def _flush_soon(self) -> None:
        await asyncio.sleep(self.delay)
        await self.flush()

    def _lock_of_this_loop(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        if self._lock is None or self._loop is not loop:
            self._lock, self._loop = asyncio.Lock(), loop
        return self._lock

    async def flush(self) -> None:
        async with self._lock_of_this_loop():
            while self._rows:
                rows, self._rows = self._rows[: self.batch], self._rows[self.batch :]
                written = await self._write(rows)
                if self._after is not None and written:
                    try:
                        await self._after(written)
                    except Exception:  # bookkeeping never loses the log
                        log.exception("%s: after writing %d rows", self.name, len(written))

    async def _write(self, rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        try:
            await insert_rows(self.table, self.columns, rows)
            return rows
        except Exception:
            log.warning("%s: batch of %d failed; writing them one by one", self.name, len(rows), exc_info=True)
        written = []
        for row in rows:
            try:
                await insert_rows(self.table, self.columns, [row])
                written.append(row)
            except Exception:
                log.exception("%s: could not write a row", self.name)
        return written
