"""Pushes of locations and tariffs to partners (OCPI: the CPO pushes PUT for new objects, PATCH for changes).

No message per change: writers only raise ``Location.last_updated`` (core.infrastructure.changes) or a tariff's
``updated_at``. A periodic tick (every second, wherever a scheduler runs) enqueues one job per pushable partner that
has something newer than its watermark; the job takes the partner's lease (one run per partner at a time, across
worker processes), reads the CURRENT state of what changed since the watermark (minus ``LAG``, which catches
transactions that committed late with an earlier time), compares it with what was last sent to that partner
(``PushedObject``) and hands the difference to the hub's ``PushLink``, which sends it. Coalescing falls out: only the
state read at send time goes out, and runs of one partner never overlap, so an older state never follows a newer.

OCPI says pushes SHOULD NOT be queued and a partner back from an outage resyncs by GET: a failed object is retried
briefly by the link and then given up (not recorded as sent, never replayed), consecutive failures rest the
partner for ``PAUSE`` (the watermark still advances meanwhile), and a partner that is not CONNECTED gets nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from core import jobs
from core.db import leased
from core.infrastructure.tables import ChargePoint, Connector, Location
from core.roaming import leases, offer
from core.roaming.partners import MANAGE, PartnerState, endpoint_url, get_partner, may_push_to
from core.roaming.tables import Partner, PushedObject, PushState, StationRoaming
from core.tariffs.tables import Tariff, TariffAssignment
from core.tenancy.actor import Actor

log = logging.getLogger("csms.roaming.pushes")

JOB = "roaming.push_partner"
MODULES = ("locations", "tariffs")
TICK_SECONDS = 1.0
LAG = timedelta(seconds=5)  # a transaction may commit this long after the time it stamped
LEASE = timedelta(minutes=10)  # a run that dies keeps its partner this long; retries and the circuit end runs sooner
QUEUED_FOR = timedelta(seconds=60)  # an enqueued job that never ran (worker gone) is enqueued again after this
PAUSE = timedelta(seconds=60)
# How long one job keeps running again while changes keep coming. Short: a job holds one of the worker's threads,
# and with more partners than threads a long hold starved the others (bench/ocpi_push.py: 20 partners, 8 threads).
HOLD = timedelta(seconds=2)
CHUNK = 500  # location ids per query


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Record:
    """What was last sent of one object: ``key`` names it (hub.pushes makes the keys), ``status`` an EVSE's."""

    key: str
    location_id: int | None
    digest: str
    status: str = ""


@dataclass
class PushBatch:
    """What one run hands the link: the current state of the considered objects and what was sent of them."""

    locations: list[offer.OfferedLocation]  # visible now, of the considered locations
    location_ids: set[int] | None  # the considered locations; None: every one (a full push)
    tariffs: list[offer.OfferedTariff] | None  # None: tariffs unchanged, not considered
    sent: dict[str, Record]  # records of the considered locations, and of every tariff when tariffs are considered


@dataclass
class PushResult:
    stored: list[Record] = field(default_factory=list)  # sent now
    forgotten: list[str] = field(default_factory=list)  # keys the partner was told are gone
    failed: int = 0  # objects given up after the brief retries
    tripped: bool = False  # consecutive failures: rest the partner
    error: str = ""


class PushLink(Protocol):
    async def push(self, partner: dict[str, Any], batch: PushBatch) -> PushResult:
        """Sends the difference between ``batch``'s current state and what was sent (PUT, PATCH, REMOVED, DELETE),
        each object retried briefly; stops early when the partner keeps failing."""


_link: PushLink | None = None


def register_link(link: PushLink | None) -> None:
    global _link
    _link = link


def receivers(partner: dict[str, Any]) -> set[str]:
    """The modules of ``MODULES`` the partner receives (a RECEIVER endpoint in its version details)."""
    return {module for module in MODULES if endpoint_url(partner, module, "RECEIVER")}


def link() -> PushLink:
    if _link is None:
        raise RuntimeError("no OCPI push link registered (csms wires hub.pushes)")
    return _link


# --- the tick: which partners have something to push ---------------------------------------------------------------


async def _latest(column: Any, where: Any = None) -> datetime | None:
    query = column._meta.table.select(column).order_by(column, ascending=False)
    query = query.where(column.is_not_null() if where is None else where & column.is_not_null())
    row = await query.first()
    return row[column._meta.name] if row else None


async def latest_change(now: datetime) -> datetime | None:
    """When anything a push could carry last changed (indexed maxima, no scan)."""
    # A time after now (a clock set forward, a test's dating) is not a change yet: it must not keep runs going.
    times = [
        await _latest(Location.last_updated, Location.last_updated <= now),
        await _latest(Tariff.updated_at, Tariff.updated_at <= now),
        await _latest(TariffAssignment.created_at),
        await _latest(TariffAssignment.cancelled_at),
        await _latest(TariffAssignment.valid_from, TariffAssignment.valid_from <= now),
    ]
    known = [t for t in times if t is not None]
    return max(known) if known else None


async def pushable_partners() -> list[dict[str, Any]]:
    """Registered partners with a receiver for locations or tariffs; whether they are CONNECTED is the run's."""
    rows = await Partner.select().where(Partner.state == PartnerState.REGISTERED).output(load_json=True)
    return [row for row in rows if receivers(row)]


async def _state(partner_id: int) -> dict[str, Any]:
    await PushState.insert(PushState(partner=partner_id)).on_conflict(target=PushState.partner, action="DO NOTHING")
    row = await PushState.select().where(PushState.partner == partner_id).output(load_json=True).first()
    assert row is not None
    return row


async def tick() -> int:
    """Enqueues a push job for each partner with something newer than its watermark; returns how many. Safe in
    several processes at once: enqueueing is claimed in the database. A process without the hub's link (a
    command, a test) pushes nothing."""
    if _link is None:
        return 0
    now = _now()
    candidates = await pushable_partners()
    if not candidates:
        return 0
    latest = await latest_change(now)
    states = {
        row["partner"]: row
        for row in await PushState.select().where(PushState.partner.is_in([p["id"] for p in candidates]))
    }
    enqueued = 0
    for partner in candidates:
        state = states.get(partner["id"]) or await _state(partner["id"])
        watermark = state["watermark"]
        if watermark is not None and not state["resend"] and (latest is None or latest < watermark - LAG):
            continue
        if await leases.claim_enqueue(PushState, partner["id"], now, QUEUED_FOR):
            jobs.enqueue(JOB, partner["id"])
            enqueued += 1
    return enqueued


# --- one partner's run -------------------------------------------------------------------------------------------


async def _take_lease(partner_id: int, token: str, now: datetime) -> bool:
    for attempt in range(2):
        taken = await leases.take_lease(PushState, partner_id, token, now, LEASE)
        if taken or attempt:
            return taken
        await _state(partner_id)  # the tick made the row; a job enqueued otherwise may find none yet
    return False


async def push_partner(partner_id: int) -> None:
    """The job: one run for the partner unless another run holds its lease (that one sees the same changes)."""
    first = started = _now()
    take = functools.partial(_take_lease, partner_id, now=started)
    async with leased(take, functools.partial(leases.end_run, PushState, partner_id)) as token:
        if token is None:
            return
        # A busy partner is served without waiting for the next tick: as long as something changed meanwhile, the
        # run starts over (a while at most, then the lease goes back and the tick enqueues it again).
        while True:
            await _run(partner_id, started)
            latest, now = await latest_change(_now()), _now()
            if latest is None or latest < started or now - first > HOLD:
                break
            started = now


def _stamp(value: datetime) -> str:
    return value.astimezone(UTC).isoformat()


async def _changed_locations(
    since: datetime, handled: dict[str, str], horizon: datetime
) -> tuple[dict[int, datetime], dict[str, str]]:
    """The locations changed since ``since`` that the last run did not handle in this state (id -> last_updated),
    and the new window: those changed at ``horizon`` or later, where the next run starts looking (this run's
    watermark minus ``LAG``). Not ``LAG`` before now: a change between the two would be handled again."""
    now = _now()
    rows = await Location.select(Location.id, Location.last_updated).where(
        (Location.last_updated >= since) & (Location.last_updated <= now)
    )
    changed = {
        row["id"]: row["last_updated"] for row in rows if handled.get(str(row["id"])) != _stamp(row["last_updated"])
    }
    window = {str(row["id"]): _stamp(row["last_updated"]) for row in rows if row["last_updated"] >= horizon}
    return changed, window


async def _tariffs_changed(since: datetime, now: datetime) -> bool:
    """Whether the tariffs a partner is offered may have changed: a tariff, an assignment (made, cancelled, taking
    effect), a station's visibility, or a charge point's or connector's data (their power types pick the tariff)."""
    checks = (
        Tariff.exists().where(Tariff.updated_at >= since),
        TariffAssignment.exists().where(
            (TariffAssignment.created_at >= since)
            | (TariffAssignment.cancelled_at >= since)
            | ((TariffAssignment.valid_from >= since) & (TariffAssignment.valid_from <= now))
        ),
        StationRoaming.exists().where(StationRoaming.last_updated >= since),
        ChargePoint.exists().where(ChargePoint.updated_at >= since),
        Connector.exists().where(Connector.updated_at >= since),
    )
    for check in checks:
        if await check:
            return True
    return False


def _record(row: dict[str, Any]) -> Record:
    return Record(row["key"], row["location_id"], row["digest"], row["status"])


async def _records(partner_id: int, location_ids: list[int] | None, tariffs: bool) -> dict[str, Record]:
    where = PushedObject.partner == partner_id
    found: list[dict[str, Any]] = []
    if location_ids is None:
        found += await PushedObject.select().where(where & PushedObject.location_id.is_not_null())
    else:
        for start in range(0, len(location_ids), CHUNK):
            chunk = location_ids[start : start + CHUNK]
            found += await PushedObject.select().where(where & PushedObject.location_id.is_in(chunk))
    if tariffs:
        found += await PushedObject.select().where(where & PushedObject.location_id.is_null())
    return {row["key"]: _record(row) for row in found}


async def _offered(
    partner: dict[str, Any], location_ids: list[int] | None, stamps: dict[int, datetime]
) -> list[offer.OfferedLocation]:
    ref = offer.partner_ref(partner)
    if location_ids is None:
        return await offer.offered_locations(ref)
    result: list[offer.OfferedLocation] = []
    for start in range(0, len(location_ids), CHUNK):
        chunk = location_ids[start : start + CHUNK]
        visible = await offer.visible_by_location(ref, chunk)
        if visible:
            result += offer.offered_of(await _shared_load(list(visible), stamps), visible)
    return result


# Every partner that sees a changed location gets it in the same tick: its rows are loaded once for all of them
# (and mapped once, hub.locations). An entry serves a run that saw the location in the same state (its
# last_updated, which every change raises) for a moment only: tariffs taking effect date nothing.
SHARE_SECONDS = 2.0
_shared: dict[int, tuple[float, asyncio.Future[dict[int, offer.LoadedLocation]]]] = {}


async def _shared_load(location_ids: list[int], stamps: dict[int, datetime]) -> list[offer.LoadedLocation]:
    loop = asyncio.get_running_loop()
    at = time.monotonic()
    for key in [k for k, (t, f) in _shared.items() if at - t > SHARE_SECONDS or f.get_loop() is not loop]:
        del _shared[key]
    found: list[offer.LoadedLocation] = []
    missing = []
    for location_id in location_ids:
        cached = _shared.get(location_id)
        entry = None
        if cached is not None:
            with contextlib.suppress(Exception):  # the load that failed fails its own run, and this one loads again
                entry = (await asyncio.shield(cached[1])).get(location_id)
        if entry is not None and entry.stamp == stamps.get(location_id, entry.stamp):
            found.append(entry)
        else:
            missing.append(location_id)
    if missing:
        load = loop.create_task(_load_all(missing))
        for location_id in missing:
            _shared[location_id] = (at, load)
        found += (await load).values()
    return found


async def _load_all(location_ids: list[int]) -> dict[int, offer.LoadedLocation]:
    return await offer.load_locations(await offer.all_charge_points(location_ids))


async def _store(partner_id: int, result: PushResult) -> None:
    keys = sorted({r.key for r in result.stored} | set(result.forgotten))
    for start in range(0, len(keys), CHUNK):
        chunk = keys[start : start + CHUNK]
        await PushedObject.delete().where((PushedObject.partner == partner_id) & PushedObject.key.is_in(chunk))
    if result.stored:
        latest = {r.key: r for r in result.stored}  # a location PUT after its EVSEs' removal: the last one counts
        await PushedObject.insert(*[
            PushedObject(partner=partner_id, key=r.key, location_id=r.location_id, digest=r.digest, status=r.status)
            for r in latest.values()
        ])  # fmt: skip


def _either(before: list[offer.OfferedTariff], after: list[offer.OfferedTariff]) -> list[offer.OfferedTariff]:
    """The tariffs offered at the later reading, and those offered only at the earlier one (as they were then)."""
    def key(t: offer.OfferedTariff) -> tuple[Any, ...]:
        return (t.tariff["id"], t.power, t.start)

    later = {key(t) for t in after}
    return after + [t for t in before if key(t) not in later]


async def _run(partner_id: int, started: datetime) -> None:
    partner = await Partner.select().where(Partner.id == partner_id).output(load_json=True).first()
    if partner is None:
        return
    state = await PushState.select().where(PushState.partner == partner_id).output(load_json=True).first()
    if state is None:  # the run holds the lease, which is taken on this row
        return
    if state["resend"]:
        state = await _start_afresh(partner_id)
    watermark = state["watermark"]
    since = None if watermark is None else watermark - LAG
    modules = receivers(partner)
    paused = state["paused_until"] is not None and state["paused_until"] > started
    sending = partner["state"] == PartnerState.REGISTERED and bool(modules) and not paused
    sending = sending and await may_push_to(partner)
    with_tariffs = sending and "tariffs" in modules and (since is None or await _tariffs_changed(since, started))
    # The tariffs offered are read before the locations' changes as well, and a tariff offered at either reading is
    # not deleted by this run: a change committed between the readings (a station leaving roaming) would otherwise
    # DELETE a tariff while the EVSE naming it is still published, its REMOVED coming with the next run.
    offered_before = await offer.offered_tariffs(offer.partner_ref(partner)) if with_tariffs else []
    # A location handled in the same state by the last run is not handled again: not after a success, and not after
    # a failure or a pause either (given up, not replayed). A full run (no watermark) handles every location.
    changed, window = await _changed_locations(since or started - LAG, state["window"] or {}, started - LAG)
    location_ids = None if since is None else sorted(changed)
    values: dict[Any, Any] = {PushState.watermark: started, PushState.last_run_at: started, PushState.window: window}
    if not sending:
        # Nothing is sent and nothing is kept for later: the partner resyncs by GET.
        await PushState.update(values).where(PushState.partner == partner_id)
        return
    with_locations = "locations" in modules and (location_ids is None or bool(location_ids))
    if with_locations or with_tariffs:
        considered = location_ids if with_locations else []
        locations = await _offered(partner, considered, changed) if with_locations else []
        # Read after the locations: every tariff a location names was offered at this reading, and is PUT first.
        offered_after = await offer.offered_tariffs(offer.partner_ref(partner)) if with_tariffs else []
        batch = PushBatch(
            locations=locations,
            location_ids=None if considered is None else set(considered),
            tariffs=_either(offered_before, offered_after) if with_tariffs else None,
            sent=await _records(partner_id, considered, with_tariffs),
        )
        result = await link().push(partner, batch)
        await _store(partner_id, result)
        if result.error:
            values[PushState.last_error] = result.error[:300]
            values[PushState.last_error_at] = _now()
        if result.tripped:
            values[PushState.paused_until] = _now() + PAUSE
            log.warning("pushes to partner %s paused: %s", partner_id, result.error)
    await PushState.update(values).where(PushState.partner == partner_id)


# --- the partner page ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PushOverview:
    modules: list[str]  # the partner's receivers csms pushes to
    connected: bool
    last_push_at: datetime | None
    last_pull_at: datetime | None
    watermark: datetime | None
    paused_until: datetime | None
    last_error: str  # the last object given up (every request is in the OCPI log)
    last_error_at: datetime | None
    objects: int  # objects recorded as sent


async def overview(actor: Actor, partner_id: int) -> PushOverview:
    partner = await get_partner(actor, partner_id)
    state = await PushState.select().where(PushState.partner == partner_id).first() or {}
    now = _now()
    paused = state.get("paused_until")
    modules = sorted(receivers(partner)) if partner["state"] == PartnerState.REGISTERED else []
    return PushOverview(
        modules=modules,
        connected=await may_push_to(partner),
        last_push_at=partner["last_push_at"],
        last_pull_at=partner["last_pull_at"],
        watermark=None if state.get("resend") else state.get("watermark"),
        paused_until=paused if paused is not None and paused > now else None,
        last_error=state.get("last_error", ""),
        last_error_at=state.get("last_error_at"),
        objects=0 if state.get("resend") else await PushedObject.count().where(PushedObject.partner == partner_id),
    )


async def send_everything_again(actor: Actor, partner_id: int) -> None:
    """Forgets what was sent to the partner: the next run PUTs everything it sees (and ends a pause)."""
    actor.require(MANAGE)
    await get_partner(actor, partner_id)
    await reset(partner_id)


async def reset(partner_id: int) -> None:
    """Asks the next run to start afresh; the run does it under the partner's lease, so that a run in progress
    cannot record what it sent after the records were forgotten."""
    await _state(partner_id)
    await PushState.update({PushState.resend: True, PushState.paused_until: None}).where(
        PushState.partner == partner_id
    )


async def _start_afresh(partner_id: int) -> dict[str, Any]:
    await PushedObject.delete().where(PushedObject.partner == partner_id)
    await PushState.update({PushState.watermark: None, PushState.window: {}, PushState.resend: False}).where(
        PushState.partner == partner_id
    )
    return await _state(partner_id)
