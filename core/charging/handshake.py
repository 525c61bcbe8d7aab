"""Who may open a station websocket: the rules of the handshake around the password check
(core.charging.connections.authenticate_station), in the order ocpp_cs.transport applies them.

1. Identity: the charge box id must follow the OCPP identity rules (core.infrastructure.specs); anything else,
   a NUL or a line break among it, is refused before the database is asked.
2. Throttle: wrong passwords are counted per charge box id and per source address (an IPv6 address by its /64)
   in core.attempts, shared by all nodes. A key with too many failures in its window is refused (429 with
   Retry-After) until the window ends, whatever password comes: otherwise an attacker would learn the right one
   from the single answer that differs. The window starts with the first failure, and refused handshakes are
   not counted, so a real station with the right password gets in as soon as the window has passed. Handshakes
   without credentials guess nothing and do not count. The honest handshake pays one read of two counters.
3. Unknown stations: an unknown charge box id is kept for adoption (when a tenant allows it), de-duplicated by
   id, with at most ``unknown_per_address`` new ids per source address per window and at most ``unknown_max``
   (``unknown_max_per_tenant`` per tenant) waiting in the list. The station is refused (404) either way.

Limits: core.settings.StationLimits; docs/security.md explains the choice.
"""

from __future__ import annotations

import ipaddress
import logging
import math
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from core import attempts
from core.charging.connections import StationLookup, authenticate_station
from core.charging.sessions import now
from core.charging.tables import UnknownStation
from core.infrastructure.specs import is_charge_box_id
from core.settings import StationLimits, get_settings
from core.tenancy.tables import Tenant

log = logging.getLogger("csms.ocpp")


class Outcome(StrEnum):
    OK = "OK"
    INVALID_ID = "INVALID_ID"  # 400
    THROTTLED = "THROTTLED"  # 429
    UNKNOWN = "UNKNOWN"  # 404
    UNAUTHORIZED = "UNAUTHORIZED"  # 401


class Unknown(StrEnum):
    """What became of an unknown station's attempt."""

    KEPT = "kept as unknown station"
    NOT_ALLOWED = "no tenant allows unknown stations"
    TOO_MANY_FROM_ADDRESS = "not kept: too many new charge box ids from this address"
    LIST_FULL = "not kept: the list of unknown stations is full"


@dataclass(frozen=True)
class Admission:
    outcome: Outcome
    station: dict[str, Any] | None = None
    retry_after: int = 0  # seconds, with THROTTLED
    unknown: Unknown | None = None  # with UNKNOWN


def limits() -> StationLimits:
    return get_settings().station_limits


def source_of(remote_addr: str) -> str:
    """The source a throttle counts: the address, an IPv6 address by its /64 (one host holds a whole /64)."""
    try:
        address = ipaddress.ip_address(remote_addr)
    except ValueError:
        return remote_addr
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def _login_keys(charge_box_id: str, remote_addr: str) -> list[tuple[str, int]]:
    """The throttle's keys of a handshake with their limits."""
    current = limits()
    keys = [(f"station:{charge_box_id}", current.auth_failures_per_id)]
    if remote_addr:
        keys.append((f"source:{source_of(remote_addr)}", current.auth_failures_per_address))
    return keys


async def admit(charge_box_id: str, username: str | None, password: str | None, remote_addr: str) -> Admission:
    if not is_charge_box_id(charge_box_id):
        return Admission(Outcome.INVALID_ID)
    keys = _login_keys(charge_box_id, remote_addr)
    counts = await attempts.store().counts([key for key, _ in keys])
    locked = [count.seconds_left for count, (_, limit) in zip(counts, keys, strict=True) if count.count >= limit]
    if locked:
        return Admission(Outcome.THROTTLED, retry_after=max(1, math.ceil(max(locked))))
    lookup, station = await authenticate_station(charge_box_id, username, password)
    if lookup is StationLookup.UNKNOWN:
        return Admission(Outcome.UNKNOWN, unknown=await record_unknown_station(charge_box_id, remote_addr))
    if lookup is StationLookup.UNAUTHORIZED or station is None:
        if username is not None and password:
            await _count_failure(charge_box_id, remote_addr, keys)
        return Admission(Outcome.UNAUTHORIZED)
    return Admission(Outcome.OK, station)


async def _count_failure(charge_box_id: str, remote_addr: str, keys: list[tuple[str, int]]) -> None:
    added = await attempts.store().add([key for key, _ in keys], limits().auth_window)
    for count, (key, limit) in zip(added, keys, strict=True):
        if count.count == limit:
            log.warning("%s refused for %d s after %d wrong passwords (the last from %s)",
                        key, math.ceil(count.seconds_left), limit, remote_addr or "an unknown address")  # fmt: skip


async def record_unknown_station(charge_box_id: str, remote_addr: str) -> Unknown:
    """Remember a charge box id nobody configured, when a tenant asked for it.

    An unknown id carries no tenant. The rule: the entry is kept only if some tenant allows unknown stations;
    when exactly one does (the usual single-CPO installation) the entry belongs to it, otherwise it stays
    unassigned and any tenant that allows unknown stations may adopt it. The connection is refused (404)
    either way: once adopted (station created with this charge box id and a password) the station's next
    reconnect succeeds.
    """
    allowing = await Tenant.select(Tenant.id).where(Tenant.allow_unknown_stations.eq(True)).limit(2)
    if not allowing:
        return Unknown.NOT_ALLOWED
    tenant_id = allowing[0]["id"] if len(allowing) == 1 else None
    stamp = now()
    if await UnknownStation.exists().where(UnknownStation.charge_box_id == charge_box_id):
        seen: dict[Any, Any] = {
            UnknownStation.attempts: UnknownStation.attempts + 1,
            UnknownStation.last_seen_at: stamp,
            UnknownStation.remote_addr: remote_addr[:64],
        }
        await UnknownStation.update(seen).where(UnknownStation.charge_box_id == charge_box_id)
        return Unknown.KEPT
    current = limits()
    source_key = f"unknown:{source_of(remote_addr)}"
    if remote_addr and (await attempts.store().counts([source_key]))[0].count >= current.unknown_per_address:
        return Unknown.TOO_MANY_FROM_ADDRESS
    waiting = UnknownStation.adopted == False  # noqa: E712
    owner = UnknownStation.tenant.is_null() if tenant_id is None else UnknownStation.tenant == tenant_id
    if (
        await UnknownStation.count().where(waiting) >= current.unknown_max
        or await UnknownStation.count().where(waiting & owner) >= current.unknown_max_per_tenant
    ):
        return Unknown.LIST_FULL
    # Two handshakes of the same new id at once: the second one's insert does nothing.
    await UnknownStation.insert(
        UnknownStation(charge_box_id=charge_box_id, tenant=tenant_id, remote_addr=remote_addr[:64],
                       first_seen_at=stamp, last_seen_at=stamp)  # fmt: skip
    ).on_conflict(target=UnknownStation.charge_box_id, action="DO NOTHING")
    if remote_addr:
        await attempts.store().add([source_key], current.unknown_window)
    return Unknown.KEPT
