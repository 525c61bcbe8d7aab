"""Messages between nodes come from Redis: a malformed, non-object or deeply nested one is dropped with a warning
and the node keeps serving calls on its channel."""

from __future__ import annotations

import asyncio
import json
import os

import pytest
import redis.asyncio as aioredis

from ocpp_cs import bus

pytestmark = pytest.mark.redis


async def test_hostile_bus_messages_do_not_stop_the_listener(ocpp_url: str, unique: str) -> None:
    if not os.environ.get("REDIS_URL"):
        pytest.skip("the command bus listens on Redis")
    node = bus.current()
    assert node is not None
    cache = aioredis.Redis.from_url(os.environ["REDIS_URL"], decode_responses=True)
    pubsub = cache.pubsub()
    reply_to = f"csms:test-replies:{unique}"
    await pubsub.subscribe(reply_to)
    try:
        channel = bus.node_channel(node.node_id)
        for hostile in ("[" * 100_000 + "]" * 100_000, '{"type": "call"', "[1, 2]", '"call"', "\x00", "1" * 5_000):
            await cache.publish(channel, hostile)
        call = {"type": "call", "id": unique, "reply_to": reply_to, "charge_box_id": f"GONE-{unique}",
                "action": "Reset", "payload": {"type": "Soft"}, "timeout": 1}  # fmt: skip
        await cache.publish(channel, json.dumps(call))
        async with asyncio.timeout(10):
            while (message := await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)) is None:
                pass
        assert json.loads(message["data"]) == {"type": "reply", "id": unique, "ok": False, "error": "offline"}
    finally:
        await pubsub.aclose()
        await cache.aclose()
