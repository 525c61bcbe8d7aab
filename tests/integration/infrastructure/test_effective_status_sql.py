"""The SQL the overview and the dashboard filter and count with equals ``effective_evse_status`` for every stored
combination, on the database the suite runs on (PostgreSQL and SQLite)."""

from __future__ import annotations

import itertools

from core.infrastructure.evse_status import effective_evse_status, effective_status_sql
from core.infrastructure.specs import EvseStatus
from core.infrastructure.tables import ChargePoint


async def test_sql_agrees_with_the_function_everywhere() -> None:
    combinations = list(itertools.product(list(EvseStatus), list(EvseStatus), (True, False)))
    rows = " UNION ALL ".join(
        f"SELECT {i} AS n, '{station.value}' AS status, {'TRUE' if online else 'FALSE'} AS connected, "
        f"'{connector.value}' AS connector"
        for i, (station, connector, online) in enumerate(combinations)
    )
    result = await ChargePoint.raw(
        f"SELECT s.n AS n, {effective_status_sql()} AS effective "  # noqa: S608 - fixed test SQL
        f"FROM ({rows}) s JOIN (SELECT n, connector AS status FROM ({rows}) x) cp ON cp.n = s.n ORDER BY s.n"
    )
    assert len(result) == len(combinations)
    for row, (station, connector, online) in zip(result, combinations, strict=True):
        assert row["effective"] == effective_evse_status(station, connector, online), (station, connector, online)
