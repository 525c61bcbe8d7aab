"""core.attempts: fixed windows that start with the first count, bounded memory, and the Redis store's fallback."""

from __future__ import annotations

import asyncio
import logging

import pytest

from core.attempts import LocalAttempts
from ocpp_cs.attempts import RedisAttempts


async def test_a_window_starts_with_the_first_count_and_is_not_extended() -> None:
    store = LocalAttempts()
    first = await store.add(["a"], 3.0)
    assert first[0].count == 1 and 2.9 < first[0].seconds_left <= 3.0
    await asyncio.sleep(1.0)
    second = await store.add(["a", "b"], 3.0)
    assert [c.count for c in second] == [2, 1] and second[0].seconds_left < 2.1 < second[1].seconds_left
    await asyncio.sleep(2.2)  # "a" ended at 3 s, "b" runs until 4 s
    assert [c.count for c in await store.counts(["a", "b"])] == [0, 1]
    assert (await store.counts(["never"]))[0].seconds_left == 0


async def test_the_local_store_stays_bounded() -> None:
    store = LocalAttempts(max_keys=100)
    for n in range(1_000):
        await store.add([f"source:{n}"], 60)
    assert len(store._windows) <= 100
    assert (await store.counts(["source:999"]))[0].count == 1  # the newest are kept


async def test_redis_unreachable_counts_in_the_node(caplog: pytest.LogCaptureFixture) -> None:
    store = RedisAttempts("redis://127.0.0.1:1/0")
    try:
        with caplog.at_level(logging.WARNING, logger="csms.ocpp"):
            assert [c.count for c in await store.add(["k"], 60)] == [1]
            assert [c.count for c in await store.add(["k"], 60)] == [2]
            assert [c.count for c in await store.counts(["k"])] == [2]
        assert sum("Redis unreachable" in r.getMessage() for r in caplog.records) == 1  # once a minute, not per call
    finally:
        await store.close()
