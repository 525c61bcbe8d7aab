"""Routing CSMS->station calls to the node that holds the station's websocket.

Embedded (no ``REDIS_URL``): only this node's registry; a station not connected here is offline.

With ``REDIS_URL`` several ``csms serve`` nodes share the stations:

- presence: the hash ``csms:stations`` maps a charge box id to the node holding its socket (set on connect,
  removed on disconnect only if it still names this node); a node's entries count only while the node is alive:
  its liveness key ``csms:alive:<node_id>`` exists (expiry ``PRESENCE_TTL``) and it listens on its channel (one
  rule, ``_ALIVE``). One liveness key per node instead of one per station: refreshing 10,000 per-station keys
  stalled the node's event loop for about 0.3 s every 20 s (redis-py packs and parses each reply in Python);
- the database's connected flags follow the same presence (``ChargingStation.connected_node`` names the node that
  set a flag): every ``PRESENCE_SWEEP`` seconds each node refreshes its key and looks at the other nodes of
  ``csms:nodes``; the flags and entries of a node that is not alive are reset (by every live node, at every
  sweep, until the dead node's key has expired and it leaves the set: each database sharing the Redis gets its
  flags reset). A killed process loses its listener at once, so its stations show offline within seconds; a
  node cut off from Redis, after ``PRESENCE_TTL``. A node that finds it was released (``csms:released:<node>``,
  or itself gone from the set) announces its stations again; a node that starts resets the flags that no live
  node holds;
- every node listens on ``csms:node:<node_id>`` for calls and on ``csms:reply:<node_id>`` for replies;
- a call is ``{"id": correlation id, "reply_to", "charge_box_id", "action", "payload", "timeout"}``; the holding
  node runs it on the websocket (one call in flight per station, ``StationConnection.call``) and publishes
  ``{"id", "ok", "result"}`` or ``{"id", "ok": false, "error": offline|timeout|callerror, ...}``;
- no presence, or nobody listening on the node's channel -> ``StationOffline``; no reply within the timeout
  plus a grace period -> ``CommandTimeout``.

Payloads are checked against the OCPP JSON schemas of the station's protocol (ocpp_cs.framing) before they leave.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections.abc import Collection
from typing import Any

import fastjsonschema
import redis.asyncio as aioredis

from core import safejson
from core.charging import connections
from core.commands import catalogue, running, transport
from core.commands.transport import CommandTimeout, StationCallError, StationOffline
from core.settings import get_settings
from ocpp_cs import registry
from ocpp_cs.connection import CallErrorReceived, StationConnection, StationDisconnected
from ocpp_cs.v16.handlers import PROTOCOL as OCPP16

log = logging.getLogger("csms.ocpp.bus")
BUS_POOL_SIZE = 64  # Redis connections per node for the bus (pub/sub holds one)

PRESENCE_TTL = 60  # seconds; a node that stops answering Redis (power loss, partition) is dead after this
PRESENCE_SWEEP = 2.0  # seconds between a node's looks at the others (and the refresh of its own liveness key)
REPLY_GRACE = 5.0  # the holding node answers "timeout" itself; this covers the way back
STATIONS_KEY = "csms:stations"
NODES_KEY = "csms:nodes"  # the nodes that announced themselves and were not yet found dead
CLEANUP_CHUNK = 500
ALIVE_PREFIX = "csms:alive:"
NODE_PREFIX = "csms:node:"

# Removes a station's entry only when it still names the given node (the station may have moved on).
_DELETE_IF_OURS = (
    "if redis.call('hget', KEYS[1], ARGV[1]) == ARGV[2] then return redis.call('hdel', KEYS[1], ARGV[1]) end return 0"
)
# The one rule of node liveness: its liveness key exists and it listens on its channel. The listener is gone the
# moment the node's process dies (Redis sees the socket close); the key covers a node cut off from Redis.
_ALIVE = (
    f"local function alive(node) return redis.call('exists', '{ALIVE_PREFIX}' .. node) == 1 "
    f"and redis.call('pubsub', 'numsub', '{NODE_PREFIX}' .. node)[2] > 0 end "
)
# The node holding the station, if that node is alive.
_LOCATE = _ALIVE + (
    "local node = redis.call('hget', KEYS[1], ARGV[1]) if node and alive(node) then return node end return false"
)
# Of the nodes named, those alive.
_LIVE = _ALIVE + (
    "local live = {} for _, node in ipairs(ARGV) do if alive(node) then table.insert(live, node) end end return live"
)
# Marks the node as released (for it to find) and forgets it once its liveness key has expired as well.
_RELEASED = (
    "redis.call('set', ARGV[3], '1', 'EX', ARGV[5]) "
    "if redis.call('exists', ARGV[4]) == 0 then return redis.call('srem', ARGV[2], ARGV[1]) end return 0"
)


def alive_key(node_id: str) -> str:
    return ALIVE_PREFIX + node_id


def released_key(node_id: str) -> str:
    return "csms:released:" + node_id


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


async def locate(redis: aioredis.Redis, charge_box_id: str) -> str | None:
    """The live node that holds the station's websocket, or None."""
    found = await redis.eval(_LOCATE, 1, STATIONS_KEY, charge_box_id)  # type: ignore[misc]
    return _text(found) if found else None


async def live_nodes(redis: aioredis.Redis, nodes: Collection[str]) -> set[str]:
    """Of ``nodes``, those alive (the rule of ``_ALIVE``)."""
    if not nodes:
        return set()
    return {_text(node) for node in await redis.eval(_LIVE, 0, *nodes)}  # type: ignore[misc]


async def _forget(redis: aioredis.Redis, charge_box_id: str, node_id: str) -> None:
    await redis.eval(_DELETE_IF_OURS, 1, STATIONS_KEY, charge_box_id, node_id)  # type: ignore[misc]


def node_channel(node_id: str) -> str:
    return NODE_PREFIX + node_id


def reply_channel(node_id: str) -> str:
    return f"csms:reply:{node_id}"


def _schema_problem(name: str, data: dict[str, Any]) -> str | None:
    validator = OCPP16.validator(name)
    if validator is None:
        return f"no OCPP 1.6 schema for {name}"
    try:
        validator(data)
    except fastjsonschema.JsonSchemaValueException as exc:
        return str(exc.message)
    return None


async def call_local(conn: StationConnection, action: str, payload: dict[str, Any], timeout: float) -> dict[str, Any]:
    """One call on a websocket of this node, with the outcomes in core's terms."""
    try:
        return await conn.call(action, payload, timeout)
    except StationDisconnected:
        raise StationOffline(conn.charge_box_id) from None
    except TimeoutError:
        raise CommandTimeout(conn.charge_box_id) from None
    except CallErrorReceived as exc:
        raise StationCallError(exc.code, exc.description) from None


class CommandBus:
    """core.commands.transport.StationCommands for this node."""

    def __init__(self, node_id: str, redis_url: str | None) -> None:
        self.node_id = node_id
        self.redis_url = redis_url
        self._redis: aioredis.Redis | None = None
        self._pubsub: Any = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._waiting: dict[str, asyncio.Future[dict[str, Any]]] = {}

    # -- StationCommands ---------------------------------------------------------------------------------

    def check_payload(self, action: str, payload: dict[str, Any]) -> str | None:
        return _schema_problem(action, payload)

    def check_reply(self, action: str, reply: dict[str, Any]) -> str | None:
        return _schema_problem(f"{action}Response", reply)

    async def send(self, charge_box_id: str, action: str, payload: dict[str, Any], timeout: float) -> dict[str, Any]:
        conn = registry.get(charge_box_id)
        if conn is not None and not conn.closed:
            return await call_local(conn, action, payload, timeout)
        if self._redis is None:
            raise StationOffline(charge_box_id)
        node = await locate(self._redis, charge_box_id)
        if not node or node == self.node_id:  # our own stale entry: the socket is gone
            raise StationOffline(charge_box_id)
        correlation = uuid.uuid4().hex
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiting[correlation] = future
        try:
            request = {
                "type": "call",
                "id": correlation,
                "reply_to": reply_channel(self.node_id),
                "charge_box_id": charge_box_id,
                "action": action,
                "payload": payload,
                "timeout": timeout,
            }
            listeners = await self._redis.publish(node_channel(node), json.dumps(request))
            if not listeners:  # the node is gone without cleaning up
                await _forget(self._redis, charge_box_id, node)
                raise StationOffline(charge_box_id)
            try:
                reply = await asyncio.wait_for(future, timeout + REPLY_GRACE)
            except TimeoutError:
                raise CommandTimeout(charge_box_id) from None
        finally:
            self._waiting.pop(correlation, None)
        if reply.get("ok"):
            return dict(reply.get("result") or {})
        error = reply.get("error")
        if error == "timeout":
            raise CommandTimeout(charge_box_id)
        if error == "callerror":
            raise StationCallError(str(reply.get("code", "GenericError")), str(reply.get("description", "")))
        raise StationOffline(charge_box_id)

    # -- presence -----------------------------------------------------------------------------------------

    async def station_connected(self, conn: StationConnection) -> None:
        if self._redis is not None:
            await self._redis.hset(STATIONS_KEY, conn.charge_box_id, self.node_id)  # type: ignore[misc]

    async def station_disconnected(self, conn: StationConnection) -> None:
        if self._redis is not None:
            await _forget(self._redis, conn.charge_box_id, self.node_id)

    async def _watch(self) -> None:
        failing = False
        while True:
            await asyncio.sleep(PRESENCE_SWEEP)
            try:
                await self.sweep()
            except Exception:
                if not failing:  # once per outage, not every PRESENCE_SWEEP seconds
                    log.exception("could not check the nodes' presence (Redis or the database is away)")
                failing = True
            else:
                if failing:
                    log.info("the nodes' presence is checked again")
                failing = False

    async def sweep(self) -> None:
        """Refresh this node's liveness; announce its stations again if another node released them; release the
        stations of the nodes that are not alive."""
        assert self._redis is not None
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.set(alive_key(self.node_id), "1", ex=PRESENCE_TTL)
            pipe.sadd(NODES_KEY, self.node_id)
            pipe.getdel(released_key(self.node_id))
            pipe.smembers(NODES_KEY)
            _, readded, released, members = await pipe.execute()
        if readded or released:
            await self._announce()
        others = {_text(node) for node in members} - {self.node_id}
        for node in others - await live_nodes(self._redis, others):
            await self._release(node)

    async def _announce(self) -> None:
        held = list(registry.local.values())
        await self._set_entries([conn.charge_box_id for conn in held])
        await connections.mark_connected(self.node_id, [conn.station_id for conn in held])
        log.warning("node %s was taken for dead: announced its %d stations again", self.node_id, len(held))

    async def _release(self, node: str) -> None:
        """The node is not alive: its stations are offline. Every live node does this at every sweep until the
        node's liveness key has expired too, so that the flags are reset in each database that shares this Redis
        (a node taken for dead while alive finds the mark and announces its stations again)."""
        assert self._redis is not None
        boxes = await connections.release_nodes([node])
        await self._delete_entries([(box, node) for box in boxes])
        forgotten = await self._redis.eval(  # type: ignore[misc]
            _RELEASED, 0, node, NODES_KEY, released_key(node), alive_key(node), PRESENCE_TTL
        )
        if boxes:
            log.warning("node %s is not alive: its %d stations are offline", node, len(boxes))
        if forgotten:
            log.info("node %s is gone", node)

    async def _set_entries(self, charge_box_ids: list[str]) -> None:
        assert self._redis is not None
        for start in range(0, len(charge_box_ids), CLEANUP_CHUNK):
            chunk = charge_box_ids[start : start + CLEANUP_CHUNK]
            await self._redis.hset(STATIONS_KEY, mapping=dict.fromkeys(chunk, self.node_id))  # type: ignore[misc]

    async def _delete_entries(self, entries: list[tuple[str, str]]) -> None:
        """Each (charge box id, node) entry, only where it still names that node."""
        assert self._redis is not None
        for start in range(0, len(entries), CLEANUP_CHUNK):
            async with self._redis.pipeline(transaction=False) as pipe:
                for charge_box_id, node in entries[start : start + CLEANUP_CHUNK]:
                    pipe.eval(_DELETE_IF_OURS, 1, STATIONS_KEY, charge_box_id, node)
                await pipe.execute()

    async def reset_flags(self) -> None:
        """At start, before any station connects: the connected flags no live node holds are stale."""
        live: set[str] = set()
        if self._redis is not None:
            members = {_text(node) for node in await self._redis.smembers(NODES_KEY)}  # type: ignore[misc]
            live = await live_nodes(self._redis, members)
        stale = await connections.reset_flags_at_start(self.node_id, live)
        if self._redis is not None:
            await self._delete_entries(stale)
        if stale:
            log.info("%d stations were still flagged connected by nodes that are gone", len(stale))

    # -- the node's channels ------------------------------------------------------------------------------

    async def _listen(self) -> None:
        while True:
            try:
                message = await self._pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("command bus: Redis subscription failed; retrying")
                await asyncio.sleep(1.0)
                continue
            if message is None or message.get("type") != "message":
                continue
            try:
                data = safejson.loads(message["data"])
            except (TypeError, ValueError):
                data = None
            if not isinstance(data, dict):
                log.warning("command bus: dropped a malformed message")
                continue
            if data.get("type") == "call":
                self._spawn(self._serve_call(data))
            elif data.get("type") == "reply":
                future = self._waiting.get(str(data.get("id")))
                if future is not None and not future.done():
                    future.set_result(data)

    async def _serve_call(self, data: dict[str, Any]) -> None:
        reply: dict[str, Any] = {"type": "reply", "id": data.get("id")}
        conn = registry.get(str(data.get("charge_box_id")))
        try:
            if conn is None or conn.closed:
                raise StationOffline(str(data.get("charge_box_id")))
            result = await call_local(conn, str(data["action"]), dict(data["payload"]), float(data["timeout"]))
            reply.update(ok=True, result=result)
        except StationOffline:
            reply.update(ok=False, error="offline")
        except CommandTimeout:
            reply.update(ok=False, error="timeout")
        except StationCallError as exc:
            reply.update(ok=False, error="callerror", code=exc.code, description=exc.description)
        except Exception:
            log.exception("command bus: serving %s failed", data.get("action"))
            reply.update(ok=False, error="callerror", code="InternalError", description="the node failed")
        if self._redis is not None:
            await self._redis.publish(str(data.get("reply_to")), json.dumps(reply))

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- lifecycle ----------------------------------------------------------------------------------------

    async def start(self) -> None:
        registry.on_connect.append(self.station_connected)
        registry.on_disconnect.append(self.station_disconnected)
        if self.redis_url:
            # A connect storm of stations runs many Redis calls at once: they wait for a connection instead of
            # failing with MaxConnectionsError when the pool is exhausted.
            pool = aioredis.BlockingConnectionPool.from_url(
                self.redis_url, decode_responses=True, max_connections=BUS_POOL_SIZE, timeout=10
            )
            self._redis = aioredis.Redis(connection_pool=pool)
            await self._redis.set(alive_key(self.node_id), "1", ex=PRESENCE_TTL)
            self._pubsub = self._redis.pubsub()
            await self._pubsub.subscribe(node_channel(self.node_id), reply_channel(self.node_id))
            await self._subscribed()
            # Announced only once it listens: a node in NODES_KEY without a listener is taken for dead.
            await self._redis.sadd(NODES_KEY, self.node_id)  # type: ignore[misc]
            self._spawn(self._listen())
            self._spawn(self._watch())
            for conn in list(registry.local.values()):
                await self.station_connected(conn)
        transport.register_transport(self)
        log.info("command bus started on node %s (%s)", self.node_id, "Redis" if self.redis_url else "local only")

    async def _subscribed(self, timeout: float = 5.0) -> None:
        """Until Redis counts this node's subscription (SUBSCRIBE went out on another connection)."""
        assert self._redis is not None
        deadline = asyncio.get_running_loop().time() + timeout
        while not await live_nodes(self._redis, [self.node_id]):
            if asyncio.get_running_loop().time() > deadline:
                raise RuntimeError(f"node {self.node_id}: Redis does not list its subscription")
            await asyncio.sleep(0.01)

    async def stop(self) -> None:
        if transport.transport() is self:
            # Another bus of this process (a second node in a test) hands the transport back to the process's own.
            transport.register_transport(_bus if _bus is not self else None)
        for hooks, hook in ((registry.on_connect, self.station_connected),
                            (registry.on_disconnect, self.station_disconnected)):  # fmt: skip
            with contextlib.suppress(ValueError):
                hooks.remove(hook)
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(BaseException):
                await task
        for future in self._waiting.values():
            if not future.done():
                future.set_exception(StationOffline("node stopping"))
        if self._redis is not None:
            with contextlib.suppress(Exception):
                await self._redis.delete(alive_key(self.node_id))  # all our entries count as gone at once
                await self._redis.srem(NODES_KEY, self.node_id)  # type: ignore[misc]
                await self._delete_entries([(charge_box_id, self.node_id) for charge_box_id in registry.local])
            with contextlib.suppress(Exception):
                await self._pubsub.aclose()
            with contextlib.suppress(Exception):
                await self._redis.aclose(close_connection_pool=True)
            self._redis = None


_bus: CommandBus | None = None


def current() -> CommandBus | None:
    return _bus


async def start_bus() -> None:
    global _bus
    if _bus is not None:
        return
    settings = get_settings()
    _bus = CommandBus(settings.node_id, settings.redis_url)
    await _bus.start()
    # Start-up tidy-ups must not keep the node from serving.
    try:
        await _bus.reset_flags()
    except Exception:
        log.exception("could not reset the connected flags of nodes that are gone")
    try:
        await running.expire_abandoned()
    except Exception:
        log.exception("could not expire abandoned commands")


async def stop_bus() -> None:
    global _bus
    if _bus is not None:
        bus, _bus = _bus, None
        await bus.stop()


async def send_command(
    charge_box_id: str, action: str, payload: dict[str, Any], timeout: float = catalogue.COMMAND_TIMEOUT
) -> dict[str, Any]:
    """The one entry point for a raw OCPP call to a station on any node (core uses it via the registration)."""
    if _bus is None:
        raise StationOffline(charge_box_id)
    return await _bus.send(charge_box_id, action, payload, timeout)
