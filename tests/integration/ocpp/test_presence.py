"""Presence: the connected flags in the database follow what the command bus knows about the nodes.

Processes that really die are in tests/integration/test_production.py; here a "node" is a Redis subscription and
a liveness key held by the test, next to the test server's own bus.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from typing import Any

import pytest
import redis.asyncio as aioredis

from core.charging import connections
from core.commands.transport import StationOffline
from core.infrastructure.tables import ChargingStation
from ocpp_cs import bus as command_bus
from ocpp_cs.bus import NODES_KEY, STATIONS_KEY, CommandBus, alive_key, locate, node_channel, released_key
from tests.integration.ocpp.conftest import Station, make_station, raw_socket, station_row
from tests.integration.ocpp.test_commands import until
from tests.support import TenantCtx

needs_redis = pytest.mark.redis


async def _flag(station: Station, connected: bool, node: str) -> None:
    await ChargingStation.update(
        {ChargingStation.connected: connected, ChargingStation.connected_node: node}
    ).where(ChargingStation.id == station.id)


async def _connected(station: Station) -> tuple[bool, str]:
    row = await station_row(station)
    return bool(row["connected"]), str(row["connected_node"])


@pytest.fixture
async def cache() -> AsyncIterator[aioredis.Redis]:
    client = aioredis.Redis.from_url(os.environ["REDIS_URL"], decode_responses=True)
    yield client
    await client.aclose()


@needs_redis
async def test_a_node_whose_listener_is_gone_is_released_by_the_next_sweep(
    station: Station, cache: aioredis.Redis, unique: str
) -> None:
    """A killed process loses its subscription at once; the liveness key would last a minute longer."""
    ghost, box = f"ghost-{unique}", station.charge_box_id
    listener: Any = cache.pubsub()
    await listener.subscribe(node_channel(ghost))
    await cache.set(alive_key(ghost), "1", ex=60)
    await cache.sadd(NODES_KEY, ghost)  # type: ignore[misc]
    await cache.hset(STATIONS_KEY, box, ghost)  # type: ignore[misc]
    await _flag(station, True, ghost)
    probe = CommandBus(f"probe-{unique}", os.environ["REDIS_URL"])
    await probe.start()
    try:
        assert await locate(cache, box) == ghost
        await probe.sweep()
        assert await _connected(station) == (True, ghost)  # alive: left alone

        await listener.aclose()  # what SIGKILL does to the node's subscription

        async def gone() -> bool:
            return await locate(cache, box) is None

        await until(gone)
        with pytest.raises(StationOffline):
            await probe.send(box, "ClearCache", {}, timeout=1)
        await probe.sweep()
        assert await _connected(station) == (False, ghost)
        assert await cache.hget(STATIONS_KEY, box) is None  # type: ignore[misc]
        assert await cache.exists(released_key(ghost))  # for the node, should it be alive after all
        # Kept until its liveness key expires: the nodes of every database sharing this Redis reset its flags.
        assert await cache.sismember(NODES_KEY, ghost)  # type: ignore[misc]
        await _flag(station, True, ghost)  # as another database's flag would be
        await probe.sweep()
        assert await _connected(station) == (False, ghost)

        await cache.delete(alive_key(ghost))  # expired
        await probe.sweep()
        assert not await cache.sismember(NODES_KEY, ghost)  # type: ignore[misc]
    finally:
        await probe.stop()
        await cache.hdel(STATIONS_KEY, box)  # type: ignore[misc]
        await cache.srem(NODES_KEY, ghost)  # type: ignore[misc]
        await cache.delete(alive_key(ghost), released_key(ghost))
    assert not await cache.exists(alive_key(f"probe-{unique}"))
    assert not await cache.sismember(NODES_KEY, f"probe-{unique}")  # type: ignore[misc]


@pytest.fixture
async def server_bus(ocpp_url: str) -> CommandBus:
    """The command bus of the test server (``ocpp_url``); another server's lifespan in this process may have
    stopped it (test_connect_path serves TLS next to it)."""
    if command_bus.current() is None:
        await command_bus.start_bus()
    bus = command_bus.current()
    assert bus is not None
    return bus


@needs_redis
async def test_a_node_taken_for_dead_announces_its_stations_again(
    ocpp_url: str, server_bus: CommandBus, station: Station, cache: aioredis.Redis
) -> None:
    """A node cut off from Redis for a moment is released by the others; its own sweep puts its stations back."""
    node = server_bus
    async with raw_socket(ocpp_url, station):
        await until(lambda: _is(station, (True, node.node_id)))
        await until(lambda: _entry(cache, station.charge_box_id, node.node_id))
        # What another node's sweep does to a node it found without a listener:
        assert station.charge_box_id in await connections.release_nodes([node.node_id])
        await cache.set(released_key(node.node_id), "1", ex=60)
        await until(lambda: _is(station, (True, node.node_id)))  # the node's next sweep finds the mark

        # Redis lost its data: the node is no longer in the set.
        await cache.srem(NODES_KEY, node.node_id)  # type: ignore[misc]
        await cache.hdel(STATIONS_KEY, station.charge_box_id)  # type: ignore[misc]
        assert station.charge_box_id in await connections.release_nodes([node.node_id])
        await until(lambda: _is(station, (True, node.node_id)))
        assert await locate(cache, station.charge_box_id) == node.node_id
    await until(lambda: _is(station, (False, node.node_id)))


async def _is(station: Station, expected: tuple[bool, str]) -> bool:
    return await _connected(station) == expected


async def _entry(cache: aioredis.Redis, charge_box_id: str, node: str) -> bool:
    return await cache.hget(STATIONS_KEY, charge_box_id) == node  # type: ignore[misc]


async def test_a_disconnect_leaves_the_flag_another_node_set(station: Station) -> None:
    """The station moved to another node before this node saw its old socket close."""
    await _flag(station, True, "another-node")
    await connections.station_disconnected(station.id)
    assert await _connected(station) == (True, "another-node")
    await _flag(station, True, connections.this_node())
    await connections.station_disconnected(station.id)
    assert await _connected(station) == (False, connections.this_node())


async def test_a_starting_node_resets_the_flags_no_live_node_holds(cpo: TenantCtx, unique: str) -> None:
    """Those of nodes not alive, and its own from before its restart; a live node's flags stay."""
    stations = [await make_station(cpo, f"{unique}{n}") for n in range(3)]
    for st, node in zip(stations, (f"dead-{unique}", f"live-{unique}", f"me-{unique}"), strict=True):
        await _flag(st, True, node)
    reset = await connections.reset_flags_at_start(f"me-{unique}", {f"live-{unique}", f"me-{unique}"})
    assert {(stations[0].charge_box_id, f"dead-{unique}"), (stations[2].charge_box_id, f"me-{unique}")} <= set(reset)
    assert [await _connected(st) for st in stations] == [
        (False, f"dead-{unique}"), (True, f"live-{unique}"), (False, f"me-{unique}")
    ]  # fmt: skip


async def test_a_node_that_starts_alone_resets_every_flag(station: Station, unique: str) -> None:
    """Embedded (no Redis): the one node that starts holds nothing yet."""
    if os.environ.get("REDIS_URL"):
        pytest.skip("embedded only")
    await _flag(station, True, f"before-{unique}")
    await CommandBus(f"node-{unique}", None).reset_flags()
    assert await _connected(station) == (False, f"before-{unique}")
