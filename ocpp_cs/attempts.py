"""core.attempts on Redis: the handshake throttle's counters shared by every node (``REDIS_URL`` set).

Each key is a Redis integer whose expiry is its window (set by the first count). A handshake reads its two keys in
one round trip (one script, shared with the handshakes waiting at the same moment); only a failure writes. A small
blocking pool bounds the connections a connect storm opens. When Redis cannot be reached the node counts in its own
process meanwhile (logged): stations keep connecting, and the throttle still holds per node.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from typing import Any

import redis.asyncio as aioredis

from core import attempts
from core.attempts import Count, LocalAttempts
from core.settings import get_settings

log = logging.getLogger("csms.ocpp")

PREFIX = "csms:attempts:"
POOL_SIZE = 16
WARN_EVERY = 60.0  # seconds between two "Redis unreachable" warnings

# Per key: its count and milliseconds left (PTTL: -2 no key, -1 no expiry).
_COUNTS = """
local out = {}
for _, key in ipairs(KEYS) do
  out[#out + 1] = tonumber(redis.call('get', key) or '0')
  out[#out + 1] = redis.call('pttl', key)
end
return out
"""
_ADD = """
local out = {}
for _, key in ipairs(KEYS) do
  local count = redis.call('incr', key)
  local left = redis.call('pttl', key)
  if left < 0 then
    redis.call('pexpire', key, ARGV[1])
    left = tonumber(ARGV[1])
  end
  out[#out + 1] = count
  out[#out + 1] = left
end
return out
"""


def _pairs(values: list[Any]) -> list[Count]:
    return [
        Count(int(values[i]), max(int(values[i + 1]), 0) / 1000 if int(values[i]) else 0.0)
        for i in range(0, len(values), 2)
    ]


class RedisAttempts:
    def __init__(self, url: str) -> None:
        pool = aioredis.BlockingConnectionPool.from_url(url, max_connections=POOL_SIZE, timeout=5)
        self._redis = aioredis.Redis(connection_pool=pool)
        self._fallback = LocalAttempts()
        self._warned_at = float("-inf")
        self._reads: list[tuple[Sequence[str], asyncio.Future[list[Count]]]] = []

    async def _run(self, script: str, keys: Sequence[str], *args: Any) -> list[Count] | None:
        try:
            values = await self._redis.eval(script, len(keys), *(PREFIX + key for key in keys), *args)  # type: ignore[misc]
        except Exception as exc:
            if time.monotonic() - self._warned_at >= WARN_EVERY:
                self._warned_at = time.monotonic()
                log.warning("station login throttle: Redis unreachable (%s), counting in this node meanwhile", exc)
            return None
        return _pairs(list(values))

    async def counts(self, keys: Sequence[str]) -> list[Count]:
        """Reads of the same moment share one round trip: in a connect storm hundreds of handshakes wait at once,
        and one script for all of them costs the node a fraction of one per handshake."""
        future: asyncio.Future[list[Count]] = asyncio.get_running_loop().create_future()
        self._reads.append((keys, future))
        if len(self._reads) == 1:
            asyncio.get_running_loop().call_soon(lambda: asyncio.ensure_future(self._read_waiting()))
        return await future

    async def _read_waiting(self) -> None:
        reads, self._reads = self._reads, []
        keys = [key for wanted, _ in reads for key in wanted]
        found = await self._run(_COUNTS, keys)
        if found is None:
            found = await self._fallback.counts(keys)
        start = 0
        for wanted, future in reads:
            if not future.done():
                future.set_result(found[start : start + len(wanted)])
            start += len(wanted)

    async def add(self, keys: Sequence[str], window: float) -> list[Count]:
        found = await self._run(_ADD, keys, max(int(window * 1000), 1))
        return found if found is not None else await self._fallback.add(keys, window)

    async def close(self) -> None:
        await self._redis.aclose()
        await self._redis.connection_pool.disconnect()


_shared: RedisAttempts | None = None


async def start_attempts() -> None:
    global _shared
    url = get_settings().redis_url
    if url and _shared is None:
        _shared = RedisAttempts(url)
        attempts.register(_shared)


async def stop_attempts() -> None:
    global _shared
    if _shared is not None:
        shared, _shared = _shared, None
        attempts.register(None)
        await shared.close()
