"""Hot-path SQL straight on the transaction's connection, for PostgreSQL and SQLite alike.

The ORM builds each statement in Python (a few hundred microseconds for a many-row INSERT); the OCPP hot
paths (MeterValues group commit, the message log) write the same few statements thousands of times a second,
so they send fixed, parametrised SQL instead. Statements are written with ``{}`` for each parameter.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from piccolo.table import Table

from core.db import is_postgres, transaction

ROWS_PER_INSERT = 1000  # x parameters per row stays below PostgreSQL's 32,767 and SQLite's 32,766


@functools.lru_cache(maxsize=256)
def _compiled(sql: str, params: int, postgres: bool) -> str:
    return sql.format(*(f"${n}" for n in range(1, params + 1))) if postgres else sql.format(*("?" * params))


async def execute_many(sql: str, rows: Sequence[Sequence[Any]]) -> None:
    """Run one statement once per row of parameters (pipelined on PostgreSQL), in the current transaction."""
    if not rows:
        return
    postgres = is_postgres()
    statement = _compiled(sql, len(rows[0]), postgres)
    async with transaction() as txn:
        await txn.connection.executemany(statement, rows)  # asyncpg and aiosqlite: the same call


async def insert_rows(table: type[Table], columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """One multi-row INSERT per ``ROWS_PER_INSERT`` rows."""
    if not rows:
        return
    postgres = is_postgres()
    names = ", ".join(f'"{c}"' for c in columns)
    one = "(" + ", ".join("{}" for _ in columns) + ")"
    async with transaction() as txn:
        for start in range(0, len(rows), ROWS_PER_INSERT):
            chunk = rows[start : start + ROWS_PER_INSERT]
            sql = f'INSERT INTO "{table._meta.tablename}" ({names}) VALUES ' + ", ".join(one for _ in chunk)  # noqa: S608
            args = [value for row in chunk for value in row]
            statement = _compiled(sql, len(args), postgres)
            if postgres:
                await txn.connection.execute(statement, *args)
            else:
                await txn.connection.execute(statement, args)
