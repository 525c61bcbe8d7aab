"""Dynamic load management at work: recompute a location's allocation and send each charge point its limit.

The OCPP adapter calls ``notice_*`` when a session starts or stops, MeterValues arrive or a station connects or
disconnects; each schedules a recomputation of the station's location in a task kept here (the OCPP answer never
waits for a profile's round trip). Recomputations of one location run one after the other; an event during one
runs it once more afterwards.

One recomputation:
1. reads the location's limit, its charge points, their open sessions, measured draw and the limits their
   stations confirmed, and runs the rule (core.load_management.allocation);
2. sends the limits that go down (and profiles not yet confirmed) and waits for the answers;
3. a station that rejects or does not answer counts at its minimum (or its measured draw, when higher) from now on:
   the rule runs again with that, before anything is raised;
4. then sends the limits that go up.
So at every moment the limits in force at the stations stay within the grid limit. Each charge point has one
TxDefaultProfile of its own (a fixed profile id and stack level): a new one replaces the old in place, applies to
the running transaction and the next one, and stays in force while the station is offline.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from typing import Any

from core.charging.sessions import OPEN_STATUSES
from core.charging.tables import ChargingSession
from core.commands.catalogue import CommandStatus, charging_profile_payload
from core.commands.running import prepare_call
from core.db import settled
from core.errors import DomainError
from core.infrastructure.specs import GRID_PHASES
from core.infrastructure.tables import ChargePoint, ChargingStation
from core.load_management.allocation import ChargePointLoad, Reason, allocate, kw_to_amperes
from core.load_management.tables import LoadAllocation, LoadLimit

log = logging.getLogger("csms.load_management")

PROFILE_TIMEOUT = 10.0  # seconds a station has to confirm its profile
PROFILE_ID_OFFSET = 1_000_000_000  # chargingProfileId = offset + charge point id: one profile per charge point
STACK_LEVEL = 1  # above a profile sent by hand from the portal (stack level 0 by default)
PURPOSE = "TxDefaultProfile"
DRAW_VALID_FOR = timedelta(minutes=10)  # an older measurement says nothing about what the car draws now
DRAW_CHANGE_A = Decimal("1")  # a smaller change of the measured draw does not recompute
# A recomputation holds its location this long at most (refreshed each round): a node that died holding it delays
# the location's next recomputation by no more than this.
LEASE = timedelta(minutes=2)


class ProfileState(StrEnum):
    PENDING = "pending"  # computed, not yet sent or answered
    CONFIRMED = "confirmed"  # the station accepted the limit it has now
    UNCONFIRMED = "unconfirmed"  # rejected or not answered: counted at its minimum (or draw), sent again next time
    OFFLINE = "offline"  # not connected: its last confirmed limit stays in force


def _now() -> datetime:
    return datetime.now(UTC)


def phases_of(power_type: str) -> int:
    return 1 if power_type == "AC_1_PHASE" else 3


def grid_phases_of(point: dict[str, Any]) -> frozenset[int]:
    """The grid phases the charge point draws from: the one a single-phase charge point is wired to, when the
    operator entered it; otherwise its current is reserved on every phase (csms cannot tell which one it uses). On a
    single-phase grid connection everything is on its one phase (core.load_management.allocation)."""
    wired = str(point.get("grid_phase") or "")
    if point["power_type"] == "AC_1_PHASE" and wired in GRID_PHASES:
        return frozenset({GRID_PHASES.index(wired) + 1})
    return frozenset({1, 2, 3})


def grid_limits(limit: dict[str, Any]) -> dict[int, Decimal]:
    """The location's limit as amperes per phase of its grid connection."""
    phases = int(limit["phases"]) if int(limit["phases"]) in (1, 3) else 3
    value = Decimal(limit["limit_value"])
    amps = kw_to_amperes(value, phases) if limit["limit_unit"] == "kW" else value
    return dict.fromkeys(range(1, phases + 1), amps)


def max_current(point: dict[str, Any]) -> Decimal:
    """The charge point's own maximum, amperes per phase, from its power at 230 V per phase."""
    power = Decimal(point.get("max_power_kw") or 0)
    if power <= 0:
        return Decimal(32)
    return min(kw_to_amperes(power, phases_of(point["power_type"])), Decimal(80))


@dataclass
class Planned:
    point: dict[str, Any]
    current: dict[str, Any] | None  # its LoadAllocation row
    target_a: Decimal | None  # what to send; None: nothing (offline)
    counted_a: Decimal
    reason: Reason
    state: ProfileState


async def _points(location_id: int) -> list[dict[str, Any]]:
    return await ChargePoint.select(
        ChargePoint.id, ChargePoint.tenant, ChargePoint.evse_number, ChargePoint.power_type, ChargePoint.max_power_kw,
        ChargePoint.grid_phase, ChargePoint.station.as_alias("station_id"),
        ChargePoint.station.charge_box_id.as_alias("charge_box_id"),
        ChargePoint.station.connected.as_alias("connected"),
    ).where(
        (ChargePoint.station.location == location_id)
        & ChargePoint.decommissioned_at.is_null()
        & ChargePoint.station.decommissioned_at.is_null()
    ).order_by(ChargePoint.id)  # fmt: skip


async def _open_sessions(point_ids: list[int]) -> dict[int, datetime]:
    if not point_ids:
        return {}
    rows = await ChargingSession.select(ChargingSession.charge_point, ChargingSession.started_at).where(
        ChargingSession.charge_point.is_in(point_ids) & ChargingSession.status.is_in([s.value for s in OPEN_STATUSES])
    )
    started: dict[int, datetime] = {}
    for row in rows:
        stamp = row["started_at"] or _now()
        started[row["charge_point"]] = min(stamp, started.get(row["charge_point"], stamp))
    return started


async def plan(location_id: int, refused: Iterable[int] = ()) -> tuple[dict[str, Any], list[Planned]] | None:
    """The allocation for the location as it is now; None when load management is off there."""
    limit = await LoadLimit.select().where((LoadLimit.location == location_id) & LoadLimit.enabled.eq(True)).first()
    if limit is None:
        return None
    points = await _points(location_id)
    current = {
        row["charge_point"]: row for row in await LoadAllocation.select().where(LoadAllocation.location == location_id)
    }
    started = await _open_sessions([p["id"] for p in points])
    order = {cp_id: i for i, (cp_id, _) in enumerate(sorted(started.items(), key=lambda kv: (kv[1], kv[0])))}
    minimum = Decimal(limit["min_current_a"])
    refused = set(refused)
    now = _now()
    loads: list[ChargePointLoad] = []
    states: dict[int, ProfileState] = {}
    for point in points:
        row = current.get(point["id"])
        top = max_current(point)
        draw = None
        if row and row["draw_a"] is not None and row["draw_at"] and now - row["draw_at"] <= DRAW_VALID_FOR:
            draw = Decimal(row["draw_a"]) if point["id"] in started else None
        applied = Decimal(row["applied_a"]) if row and row["applied_a"] is not None else None
        unsteered = max(min(minimum, top), draw or Decimal(0))
        fixed: Decimal | None = None
        if not point["connected"]:
            states[point["id"]] = ProfileState.OFFLINE
            fixed = applied if applied is not None else unsteered  # it keeps the profile it confirmed last
        elif point["id"] in refused or (row and row["state"] == ProfileState.UNCONFIRMED):
            states[point["id"]] = ProfileState.UNCONFIRMED
            fixed = unsteered
        else:
            states[point["id"]] = ProfileState.PENDING
        loads.append(ChargePointLoad(
            id=point["id"], phases=grid_phases_of(point), min_a=minimum, max_a=top, charging=point["id"] in started,
            started_order=order.get(point["id"], 0), draw_a=draw, fixed_a=fixed,
        ))  # fmt: skip
    result = allocate(grid_limits(limit), loads)
    planned = []
    for point in points:
        allocation = result.allocations[point["id"]]
        state = states[point["id"]]
        if state is ProfileState.OFFLINE:
            target = None
        elif state is ProfileState.UNCONFIRMED:
            target = None if point["id"] in refused else min(minimum, max_current(point))  # retried at its minimum
        else:
            target = allocation.limit_a
        planned.append(Planned(point, current.get(point["id"]), target, allocation.limit_a, allocation.reason, state))
    return {**limit, "over_limit": result.over_limit}, planned


def _needs_lowering(item: Planned) -> bool:
    """Sent in the first wave: the limit goes down, stays, or the station's limit is unknown (never confirmed, or
    refused / unanswered since)."""
    applied = item.current["applied_a"] if item.current else None
    assert item.target_a is not None
    return applied is None or item.target_a <= Decimal(applied)


def _needs_sending(item: Planned) -> bool:
    if item.target_a is None:
        return False
    row = item.current
    if row is None or row["state"] != ProfileState.CONFIRMED or row["applied_a"] is None:
        return True
    return Decimal(row["applied_a"]) != item.target_a


async def _send(item: Planned) -> bool:
    """Send the charge point its limit; True when the station accepted it."""
    point = item.point
    assert item.target_a is not None
    payload = charging_profile_payload(int(point["evse_number"]), PROFILE_ID_OFFSET + int(point["id"]), PURPOSE,
                                       item.target_a, "A", STACK_LEVEL)  # fmt: skip
    station = {"id": point["station_id"], "tenant": point["tenant"], "charge_box_id": point["charge_box_id"]}
    try:
        call = await prepare_call(station, point["id"], "SetChargingProfile", payload, "load management",
                                  PROFILE_TIMEOUT)  # fmt: skip
        record = await call.run()
    except DomainError:
        log.exception("%s: the load management profile does not fit OCPP", point["charge_box_id"])
        return False
    accepted = record["status"] == CommandStatus.ACCEPTED.value
    await _store(item, applied=item.target_a if accepted else None, answered=True, accepted=accepted)
    return accepted


async def _store(item: Planned, *, applied: Decimal | None = None, answered: bool = False, accepted: bool = False,
                 location_id: int | None = None) -> None:  # fmt: skip
    point, now = item.point, _now()
    values: dict[Any, Any] = {LoadAllocation.counted_a: item.counted_a, LoadAllocation.reason: item.reason.value,
                              LoadAllocation.updated_at: now}  # fmt: skip
    if item.target_a is not None:
        values[LoadAllocation.target_a] = item.target_a
    if answered:
        values[LoadAllocation.state] = (ProfileState.CONFIRMED if accepted else ProfileState.UNCONFIRMED).value
        # Refused or unanswered: csms no longer knows which limit the station applies.
        values[LoadAllocation.applied_a] = applied if accepted else None
        if accepted:
            values[LoadAllocation.confirmed_at] = now
    elif item.state is ProfileState.OFFLINE:
        values[LoadAllocation.state] = ProfileState.OFFLINE.value
    elif item.current is not None and item.current["state"] == ProfileState.OFFLINE:
        values[LoadAllocation.state] = ProfileState.PENDING.value  # back online: the next send confirms it
    if item.current is None:
        row = LoadAllocation(tenant=point["tenant"], location=location_id, charge_point=point["id"],
                             **{column._meta.name: value for column, value in values.items()})  # fmt: skip
        await row.save()
        item.current = {"state": row.state, "applied_a": None, "charge_point": point["id"]}
    else:
        if location_id is not None:  # the station may have moved to another location
            values[LoadAllocation.location] = location_id
        await LoadAllocation.update(values).where(LoadAllocation.charge_point == point["id"])
        if LoadAllocation.state in values:
            item.current["state"] = values[LoadAllocation.state]


async def lease(location_id: int, token: str | None = None) -> str | None:
    """Hold the location's recomputation (for LEASE); None while another node holds it."""
    token, now = token or uuid.uuid4().hex, _now()
    taken = await LoadLimit.update({LoadLimit.lease_token: token, LoadLimit.lease_until: now + LEASE}).where(
        (LoadLimit.location == location_id)
        & ((LoadLimit.lease_token == "") | LoadLimit.lease_until.is_null() | (LoadLimit.lease_until < now))
    ).returning(LoadLimit.id)  # fmt: skip
    return token if taken else None


async def release(location_id: int, token: str) -> bool:
    """Let go of the location, unless another node asked for a recomputation meanwhile (False: run once more)."""
    released = await LoadLimit.update({LoadLimit.lease_token: "", LoadLimit.lease_until: None}).where(
        (LoadLimit.location == location_id) & (LoadLimit.lease_token == token) & LoadLimit.recompute_again.eq(False)
    ).returning(LoadLimit.id)  # fmt: skip
    if released:
        return True
    held = await LoadLimit.update({LoadLimit.recompute_again: False, LoadLimit.lease_until: _now() + LEASE}).where(
        (LoadLimit.location == location_id) & (LoadLimit.lease_token == token)
    ).returning(LoadLimit.id)  # fmt: skip
    return not held  # lost the lease (it expired): whoever holds it now runs


async def recompute(location_id: int) -> None:
    """Compute the location's allocation and bring the stations to it: lower first, then raise. One node at a time
    (two nodes sending interleaved profiles from different readings could exceed the limit between them): a node that
    finds the location held asks its holder to run once more instead."""
    token = uuid.uuid4().hex
    # Known as held before the UPDATE runs: a process stopped meanwhile (a station's disconnect starts a
    # recomputation just before the shutdown cancels it) waits for the UPDATE to land and lets go of what it took.
    _held[location_id] = token
    try:
        if await settled(lease(location_id, token)) is None:
            await LoadLimit.update({LoadLimit.recompute_again: True}).where(LoadLimit.location == location_id)
            # The holder may have let go just before; if it died instead, its lease runs out: try again then.
            if await settled(lease(location_id, token)) is None:
                _held.pop(location_id, None)
                await _retry_when_free(location_id)
                return
        while True:
            await _recompute(location_id)
            if await release(location_id, token):
                _held.pop(location_id, None)
                return
    finally:
        if _held.get(location_id) == token:  # an error or a shutdown: let go, the next event recomputes
            await _let_go(location_id, token)


async def _retry_when_free(location_id: int) -> None:
    """Another node holds the location: it runs once more when done, but if it died, nothing would recompute the
    location until the next event. This process asks again once the lease has run out."""
    loop = asyncio.get_running_loop()
    waiting = _retries.get(location_id)
    if waiting is not None and not waiting.cancelled() and waiting.when() > loop.time():
        return
    row = await LoadLimit.select(LoadLimit.lease_until).where(LoadLimit.location == location_id).first()
    if row is None or row["lease_until"] is None:
        return
    until = row["lease_until"] if row["lease_until"].tzinfo else row["lease_until"].replace(tzinfo=UTC)
    delay = max(0.0, (until - _now()).total_seconds()) + RETRY_MARGIN_SECONDS
    _retries[location_id] = loop.call_later(delay, _retry, location_id)


def _retry(location_id: int) -> None:
    _retries.pop(location_id, None)
    request(location_id)


async def _let_go(location_id: int, token: str) -> None:
    _held.pop(location_id, None)
    await LoadLimit.update({LoadLimit.lease_token: "", LoadLimit.lease_until: None}).where(
        (LoadLimit.location == location_id) & (LoadLimit.lease_token == token)
    )


async def shutdown() -> None:
    """The process stops: no more recomputations, the running ones cancelled, their locations let go (a lease left
    behind would keep the next node from recomputing them for LEASE)."""
    global _stopping
    _stopping = True
    tasks = [*_running.values(), *_background]
    for task in tasks:
        task.cancel()
    for handle in _retries.values():
        handle.cancel()
    _retries.clear()
    await asyncio.gather(*tasks, return_exceptions=True)
    for location_id, token in list(_held.items()):
        await _let_go(location_id, token)


def resume() -> None:
    """The process (again) serves stations."""
    global _stopping
    _stopping = False


async def _recompute(location_id: int) -> None:
    refused: set[int] = set()
    while True:  # each further round has one more refusing charge point: it ends
        planned = await plan(location_id, refused)
        if planned is None:
            return
        limit, items = planned
        for item in items:
            await _store(item, location_id=location_id)
        await LoadLimit.update({LoadLimit.computed_at: _now(), LoadLimit.over_limit: limit["over_limit"]}).where(
            LoadLimit.id == limit["id"]
        )
        sending = [item for item in items if _needs_sending(item)]
        lowering = [item for item in sending if _needs_lowering(item)]
        raising = [item for item in sending if not _needs_lowering(item)]
        failed = await _send_all(lowering)
        if not failed - refused:
            # Raised only once every lowered limit is confirmed (a refusal changes the others' shares first).
            failed |= await _send_all(raising)
        if not failed - refused:
            return
        refused |= failed  # counted at their minimum (or draw) now: the others' shares change


async def _clear(point: dict[str, Any]) -> bool:
    """Take load management's profile off the charge point; True when the station answered."""
    station = {"id": point["station_id"], "tenant": point["tenant"], "charge_box_id": point["charge_box_id"]}
    try:
        payload = {"id": PROFILE_ID_OFFSET + int(point["id"])}
        call = await prepare_call(station, point["id"], "ClearChargingProfile", payload, "load management",
                                  PROFILE_TIMEOUT)  # fmt: skip
        record = await call.run()
    except DomainError:
        log.exception("%s: the load management profile could not be cleared", point["charge_box_id"])
        return False
    return record["status"] in (CommandStatus.ACCEPTED.value, CommandStatus.REJECTED.value)  # Unknown: none there


async def release_profiles(point_ids: list[int]) -> None:
    """Load management is off where these charge points are: their profiles come off (they may draw their maximum
    again) and their allocations go. A station offline now keeps its row, and so its profile is cleared when it is
    back (``notice_station``)."""
    if not point_ids:
        return
    points = await ChargePoint.select(
        ChargePoint.id, ChargePoint.tenant, ChargePoint.evse_number, ChargePoint.station.as_alias("station_id"),
        ChargePoint.station.charge_box_id.as_alias("charge_box_id"),
        ChargePoint.station.connected.as_alias("connected"),
    ).where(ChargePoint.id.is_in(point_ids))  # fmt: skip
    online = [point for point in points if point["connected"]]
    answered = await asyncio.gather(*(_clear(point) for point in online))
    done = [int(point["id"]) for point, ok in zip(online, answered, strict=True) if ok]
    if done:
        await LoadAllocation.delete().where(LoadAllocation.charge_point.is_in(done))


def switch_off(location_id: int) -> None:
    """Load management was switched off at the location: its profiles come off in the background."""
    _spawn(_switch_off(location_id))


async def _switch_off(location_id: int) -> None:
    rows = await LoadAllocation.select(LoadAllocation.charge_point).where(LoadAllocation.location == location_id)
    await release_profiles([int(row["charge_point"]) for row in rows])


async def _leftovers(station_id: int) -> list[int]:
    """Charge points of the station that still hold a profile of load management switched off since."""
    rows = await LoadAllocation.select(LoadAllocation.charge_point).where(
        LoadAllocation.charge_point.station == station_id
    )
    return [int(row["charge_point"]) for row in rows]


async def _send_all(items: list[Planned]) -> set[int]:
    """Send in parallel; the charge points whose stations did not accept."""
    answers = await asyncio.gather(*(_send(item) for item in items))
    return {int(item.point["id"]) for item, ok in zip(items, answers, strict=True) if not ok}


# --- events from the OCPP adapter ------------------------------------------------------------------------------

_running: dict[int, asyncio.Task[None]] = {}
_held: dict[int, str] = {}  # locations whose recomputation lease this process holds, and its token
_stopping = False
_again: set[int] = set()
_retries: dict[int, asyncio.TimerHandle] = {}  # locations held by another node: asked again when the lease runs out
RETRY_MARGIN_SECONDS = 1.0
_background: set[asyncio.Task[Any]] = set()
_locations: dict[int, tuple[float, int | None]] = {}  # station id -> (read at, managed location or None)
LOCATION_CACHE_SECONDS = 10.0


def request(location_id: int) -> None:
    """Recompute the location soon (now, or once more after the recomputation running)."""
    if _stopping:
        return
    if location_id in _running:
        _again.add(location_id)
        return
    _running[location_id] = asyncio.get_running_loop().create_task(_run(location_id))


async def _run(location_id: int) -> None:
    try:
        while True:
            _again.discard(location_id)
            try:
                await recompute(location_id)
            except Exception:
                log.exception("location %s: load management recomputation failed", location_id)
            if location_id not in _again:
                return
    finally:
        _running.pop(location_id, None)


async def idle() -> None:
    """Until no recomputation runs or waits (tests, shutdown)."""
    while _running or _background:
        await asyncio.gather(*_running.values(), *_background, return_exceptions=True)


def forget_locations() -> None:
    """Settings changed: read every station's managed location again."""
    _locations.clear()


async def managed_location(station_id: int) -> int | None:
    """The station's location when load management is on there (cached for a few seconds)."""
    cached = _locations.get(station_id)
    if cached is not None and time.monotonic() - cached[0] < LOCATION_CACHE_SECONDS:
        return cached[1]
    row = await ChargingStation.select(ChargingStation.location).where(ChargingStation.id == station_id).first()
    location = None
    if row is not None and await LoadLimit.exists().where(
        (LoadLimit.location == row["location"]) & LoadLimit.enabled.eq(True)
    ):
        location = int(row["location"])
    _locations[station_id] = (time.monotonic(), location)
    return location


def _spawn(coro: Any) -> None:
    if _stopping:
        coro.close()
        return
    task = asyncio.get_running_loop().create_task(coro)
    _background.add(task)
    task.add_done_callback(_background.discard)


async def _station_changed(station_id: int) -> None:
    location = await managed_location(station_id)
    if location is not None:
        request(location)
    elif leftovers := await _leftovers(station_id):
        await release_profiles(leftovers)


def notice_station(station_id: int) -> None:
    """A session started or stopped, or the station connected or disconnected."""
    _spawn(_station_changed(station_id))


def notice_meter_values(station_id: int, payload: dict[str, Any]) -> None:
    """MeterValues arrived: keep the measured draw; recompute when it changed noticeably."""
    draw = measured_current(payload.get("meterValue") or [])
    if draw is not None:
        _spawn(_meter_values(station_id, int(payload.get("connectorId") or 0), draw))


async def _meter_values(station_id: int, connector_id: int, draw: tuple[str, Decimal]) -> None:
    location = await managed_location(station_id)
    if location is None or connector_id == 0:
        return
    point = (
        await ChargePoint.select(ChargePoint.id, ChargePoint.tenant, ChargePoint.power_type)
        .where((ChargePoint.station == station_id) & (ChargePoint.evse_number == connector_id))
        .first()
    )
    if point is None:
        return
    kind, value = draw
    amps = value if kind == "A" else Decimal(_round(Fraction(value) / (230 * phases_of(point["power_type"]))))
    row = await LoadAllocation.select(LoadAllocation.draw_a).where(LoadAllocation.charge_point == point["id"]).first()
    if row is None:  # the recomputation makes its row (only it inserts them); the next MeterValues land there
        request(location)
        return
    await LoadAllocation.update({LoadAllocation.draw_a: amps, LoadAllocation.draw_at: _now()}).where(
        LoadAllocation.charge_point == point["id"]
    )
    if row["draw_a"] is None or abs(Decimal(row["draw_a"]) - amps) >= DRAW_CHANGE_A:
        request(location)


def _round(value: Fraction) -> str:
    return f"{float(value):.1f}"


def measured_current(meter_value: list[Any]) -> tuple[str, Decimal] | None:
    """The newest current drawn: ("A", highest Current.Import of the phases) or ("W", Power.Active.Import)."""
    for sample in reversed(meter_value):
        amps: list[Decimal] = []
        watts: list[Decimal] = []
        for value in sample.get("sampledValue") or []:
            measurand = value.get("measurand", "Energy.Active.Import.Register")
            try:
                number = Decimal(str(value.get("value")))
            except ArithmeticError:
                continue
            if not number.is_finite() or number < 0:
                continue
            unit = value.get("unit", "")
            if measurand == "Current.Import" and unit in ("A", ""):
                amps.append(number)
            elif measurand == "Power.Active.Import" and unit in ("W", "kW", ""):
                watts.append(number * 1000 if unit == "kW" else number)
        if amps:
            return "A", max(amps)
        if watts:
            has_total = len(watts) == 1
            return "W", watts[0] if has_total else sum(watts, Decimal(0))
    return None
