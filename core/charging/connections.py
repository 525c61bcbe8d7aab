"""Station connections and presence: the handshake's credentials check, connected flags, heartbeats and the
last message seen, and whether a station counts as online. (What surrounds the credentials check, identity
rules, throttle and unknown stations, is core.charging.handshake.)
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from core import bulk
from core.charging.meter_values import forget_sessions
from core.charging.sessions import now
from core.db import transaction
from core.infrastructure import changes
from core.infrastructure.tables import ChargingStation
from core.settings import get_settings
from core.tenancy.passwords import verify_password

# A station is offline when it sent nothing for this many heartbeat intervals.
OFFLINE_AFTER_INTERVALS = 2.5
DEFAULT_HEARTBEAT_INTERVAL = 300  # seconds, sent in BootNotification.conf


class StationLookup(StrEnum):
    OK = "OK"
    UNKNOWN = "UNKNOWN"  # 404
    UNAUTHORIZED = "UNAUTHORIZED"  # 401


# Every handshake runs this: fixed SQL, since the ORM spends about a millisecond building the select.
_STATION_AUTH = (
    'SELECT "id", "tenant", "charge_box_id", "ocpp_password_hash", "installation_status" '  # noqa: S608
    f'FROM "{ChargingStation._meta.tablename}" WHERE "charge_box_id" = {{}} AND "decommissioned_at" IS NULL'
)

# Argon2 costs ~50 ms of CPU; a reconnect storm of thousands of stations must not pay it again and again.
# Keyed by the stored hash, so a password change invalidates the entry by itself.
_verified: dict[tuple[str, str], bool] = {}
_VERIFIED_MAX = 100_000


_verifying: dict[tuple[str, str], asyncio.Task[bool]] = {}


def _verify_done(key: tuple[str, str], task: asyncio.Task[bool]) -> None:
    if _verifying.get(key) is task:
        del _verifying[key]
    if task.cancelled() or task.exception() is not None:
        return
    if len(_verified) >= _VERIFIED_MAX:
        _verified.clear()
    _verified[key] = task.result()


async def _verify_cached(password_hash: str, password: str) -> bool:
    """Argon2 verify once per (hash, password); concurrent misses of the same pair share one verification."""
    key = (password_hash, hashlib.sha256(password.encode()).hexdigest())
    if key in _verified:
        return _verified[key]
    task = _verifying.get(key)
    if task is None or task.get_loop() is not asyncio.get_running_loop():
        task = asyncio.ensure_future(asyncio.to_thread(verify_password, password_hash, password))
        _verifying[key] = task
        task.add_done_callback(functools.partial(_verify_done, key))
    # Shielded: one station giving up (socket closed) does not cancel the verification the others wait for.
    return await asyncio.shield(task)


async def authenticate_station(
    charge_box_id: str, username: str | None, password: str | None
) -> tuple[StationLookup, dict[str, Any] | None]:
    """Security profile 1: the Basic user must be the charge box id, the password the station's own."""
    rows = await ChargingStation.raw(_STATION_AUTH, charge_box_id)
    if not rows:
        return StationLookup.UNKNOWN, None
    station = rows[0]
    if username != charge_box_id or not password or not station["ocpp_password_hash"]:
        return StationLookup.UNAUTHORIZED, None
    if not await _verify_cached(station["ocpp_password_hash"], password):
        return StationLookup.UNAUTHORIZED, None
    return StationLookup.OK, station


def this_node() -> str:
    return get_settings().node_id


async def station_connected(station_id: int) -> None:
    forget_sessions(station_id=station_id)  # it may have sent MeterValues to another node meanwhile
    await connected_batcher.submit((station_id, now()))


async def station_disconnected(station_id: int) -> None:
    forget_sessions(station_id=station_id)
    # Only this node's flag: the station may already be connected to another node, which set it.
    async with transaction():
        rows = (
            await ChargingStation.update({ChargingStation.connected: False})
            .where((ChargingStation.id == station_id) & (ChargingStation.connected_node == this_node()))
            .returning(ChargingStation.id)
        )
        await changes.stations_changed(row["id"] for row in rows)  # its EVSEs are UNKNOWN to partners now


_CONNECTED = (
    f'UPDATE "{ChargingStation._meta.tablename}" SET "connected" = {{}}, "last_message_at" = {{}}, '  # noqa: S608
    '"connected_node" = {} WHERE "id" = {}'
)


async def _write_connected_batch(items: list[tuple[int, datetime]]) -> None:
    node = this_node()
    async with transaction():
        await bulk.execute_many(_CONNECTED, [(True, stamp, node, station_id) for station_id, stamp in items])
        await changes.stations_changed(station_id for station_id, _ in items)


async def _write_connected_one(item: tuple[int, datetime]) -> None:
    await _write_connected_batch([item])


# Connected flags of a reconnect storm share transactions.
connected_batcher: bulk.GroupCommit[tuple[int, datetime]] = bulk.GroupCommit(
    "connected", _write_connected_batch, _write_connected_one
)


async def _stations_changed(station_ids: list[int], chunk: int = 1000) -> None:
    """A node's stations went offline or came back at once: their EVSEs' status changed for partners."""
    for start in range(0, len(station_ids), chunk):
        await changes.stations_changed(station_ids[start : start + chunk])


async def release_nodes(nodes: Collection[str]) -> list[str]:
    """The stations whose websockets the gone ``nodes`` held are offline; returns their charge box ids."""
    if not nodes:
        return []
    async with transaction():
        rows = (
            await ChargingStation.update({ChargingStation.connected: False})
            .where(ChargingStation.connected.eq(True) & ChargingStation.connected_node.is_in(list(nodes)))
            .returning(ChargingStation.id, ChargingStation.charge_box_id)
        )
        await _stations_changed([row["id"] for row in rows])
    return [row["charge_box_id"] for row in rows]


async def reset_flags_at_start(node: str, live_nodes: Collection[str]) -> list[tuple[str, str]]:
    """``node`` starts and holds no websocket yet: the flags it left behind, and those of every node not in
    ``live_nodes``, are stale. Returns (charge box id, node) of the stations now offline."""
    where: Any = ChargingStation.connected.eq(True)
    others = [other for other in live_nodes if other != node]
    if others:
        where &= ChargingStation.connected_node.not_in(others)
    async with transaction():
        rows = (
            await ChargingStation.update({ChargingStation.connected: False})
            .where(where)
            .returning(ChargingStation.id, ChargingStation.charge_box_id, ChargingStation.connected_node)
        )
        await _stations_changed([row["id"] for row in rows])
    return [(row["charge_box_id"], row["connected_node"]) for row in rows]


async def mark_connected(node: str, station_ids: Sequence[int], chunk: int = 1000) -> None:
    """``node`` holds these stations' websockets: after another node took it for dead and reset their flags."""
    for start in range(0, len(station_ids), chunk):
        ids = list(station_ids[start : start + chunk])
        async with transaction():
            await ChargingStation.update({ChargingStation.connected: True, ChargingStation.connected_node: node}).where(
                ChargingStation.id.is_in(ids)
            )
            await changes.stations_changed(ids)


_SEEN = f'UPDATE "{ChargingStation._meta.tablename}" SET "last_message_at" = {{}} WHERE "id" = {{}}'  # noqa: S608
_HEARD = (
    f'UPDATE "{ChargingStation._meta.tablename}" SET "last_message_at" = {{}}, "last_heartbeat_at" = {{}} '  # noqa: S608
    'WHERE "id" = {}'
)


async def _write_seen_batch(items: list[tuple[int, bool, datetime]]) -> None:
    async with transaction():
        await bulk.execute_many(_HEARD, [(stamp, stamp, sid) for sid, heartbeat, stamp in items if heartbeat])
        await bulk.execute_many(_SEEN, [(stamp, sid) for sid, heartbeat, stamp in items if not heartbeat])


async def _write_seen_one(item: tuple[int, bool, datetime]) -> None:
    await _write_seen_batch([item])


# Heartbeats (and the periodic "last message" stamp) of many stations go to the database in one transaction.
seen_batcher: bulk.GroupCommit[tuple[int, bool, datetime]] = bulk.GroupCommit(
    "last seen", _write_seen_batch, _write_seen_one
)


async def station_seen(station_id: int, heartbeat: bool = False) -> datetime:
    """Stamp the station's last message (and heartbeat); returns once committed, with others seen meanwhile."""
    stamp = now()
    await seen_batcher.submit((station_id, heartbeat, stamp))
    return stamp


def is_online(
    station: dict[str, Any], at: datetime | None = None, heartbeat_interval: int = DEFAULT_HEARTBEAT_INTERVAL
) -> bool:
    """Connected and heard from within 2.5 heartbeat intervals (a heartbeat or any other message)."""
    if not station.get("connected"):
        return False
    seen = [t for t in (station.get("last_heartbeat_at"), station.get("last_message_at")) if t is not None]
    if not seen:
        return False
    at = at or now()
    return at - max(seen) <= timedelta(seconds=heartbeat_interval * OFFLINE_AFTER_INTERVALS)


async def heartbeat(station: dict[str, Any]) -> datetime:
    return await station_seen(station["id"], heartbeat=True)
