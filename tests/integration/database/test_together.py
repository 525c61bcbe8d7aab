"""``core.db.together``: independent reads at once on PostgreSQL (each on a pooled connection of its own), one after
the other inside a transaction and on SQLite; the results in the order of the reads either way."""

from __future__ import annotations

from core import db
from core.infrastructure.tables import Location


async def _backend(n: int) -> tuple[int, int]:
    sql = "SELECT pg_backend_pid() AS pid" if db.is_postgres() else "SELECT 0 AS pid"
    rows = await Location.raw(sql)
    return n, int(rows[0]["pid"])


async def test_reads_made_together_answer_in_their_order(database: None) -> None:
    answers = await db.together(*(_backend(n) for n in range(4)))
    assert [n for n, _ in answers] == [0, 1, 2, 3]


async def test_on_postgresql_each_read_has_a_connection_of_its_own_outside_a_transaction(database: None) -> None:
    outside = {pid for _, pid in await db.together(*(_backend(n) for n in range(3)))}
    async with db.transaction():
        inside = {pid for _, pid in await db.together(*(_backend(n) for n in range(3)))}
    assert len(inside) == 1  # the transaction's one connection, one read after the other
    assert len(outside) == (3 if db.is_postgres() else 1)
