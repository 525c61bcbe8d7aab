"""csms pushing locations and tariffs to a partner's RECEIVER endpoints (core.roaming.pushes decides when and
what changed; this module maps, plans and sends).

The plan (``plan_locations``, ``plan_tariffs``: pure functions) compares the current OCPI objects with the digests
of what was last sent (``Record``):

* a location not sent yet, or whose own fields changed: PUT of the whole Location;
* an EVSE not sent yet, or whose fields or connectors changed: PUT of the EVSE; only its status changed: PATCH of
  ``status`` and ``last_updated``;
* an EVSE the partner may no longer see: PATCH ``status`` REMOVED (OCPI has no DELETE for locations); a location it
  may no longer see at all: each EVSE REMOVED, then PATCH ``publish`` false;
* a tariff not sent yet or changed: PUT; one no longer offered: DELETE.

Each request goes through ``hub.client.OcpiClient`` (so the OCPI log has it) with the routing headers of a push:
``OCPI-from-*`` the object's CPO party, ``OCPI-to-*`` the partner's party. A request that fails for want of an
answer (network, timeout, HTTP 5xx) is retried ``len(RETRY_DELAYS)`` times, then given up; ``TRIP_AFTER``
objects failing in a row end the run and rest the partner (core.roaming.pushes.PAUSE).
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import msgspec

from core.infrastructure.specs import EvseStatus
from core.roaming import exchange_log
from core.roaming.connections import LinkFailed
from core.roaming.partners import endpoint_url
from core.roaming.pushes import PushBatch, PushResult, Record
from hub.client import Answer, OcpiClient, kept_client, retire
from hub.locations import location_json
from hub.mapping import ocpi_datetime
from hub.tariffs import tariff_json

RETRY_DELAYS: tuple[float, ...] = (0.5, 1.5)
TRIP_AFTER = 3
CONCURRENCY = 8  # requests of one run in flight at once (each object has at most one request per run)
REMOVED = EvseStatus.REMOVED.value


@dataclass(frozen=True)
class Step:
    """One request of a push and what it records when it succeeds."""

    module: str  # "locations" | "tariffs"
    method: str  # PUT | PATCH | DELETE
    path: tuple[str, ...]  # after the receiver's base URL: country, party, id[, evse uid]
    body: dict[str, Any] | None
    store: tuple[Record, ...] = ()
    forget: tuple[str, ...] = ()  # a removal: tells the partner an object is gone

    @property
    def removal(self) -> bool:
        return bool(self.forget)


def digest(value: Any) -> str:
    """Of an OCPI object without its ``last_updated`` times: a new time alone is no change worth a push."""

    def strip(item: Any) -> Any:
        if isinstance(item, dict):
            return {k: strip(v) for k, v in item.items() if k != "last_updated"}
        if isinstance(item, list):
            return [strip(v) for v in item]
        return item

    return hashlib.sha256(msgspec.json.encode(strip(value), order="sorted")).hexdigest()


def location_key(country: str, party: str, location_id: str) -> str:
    return f"L/{country}/{party}/{location_id}"


def evse_key(country: str, party: str, location_id: str, uid: str) -> str:
    return f"E/{country}/{party}/{location_id}/{uid}"


def tariff_key(country: str, party: str, tariff_id: str) -> str:
    return f"T/{country}/{party}/{tariff_id}"


def _path(key: str) -> tuple[str, ...]:
    return tuple(key.split("/")[1:])


def _location_digest(location: dict[str, Any]) -> str:
    return digest({k: v for k, v in location.items() if k != "evses"})


_digests: dict[int, tuple[dict[str, Any], str]] = {}  # id -> (EVSE, digest): an EVSE mapped once for many partners
_MAX_DIGESTS = 20_000


def _evse_digest(evse: dict[str, Any]) -> str:
    known = _digests.get(id(evse))
    if known is not None and known[0] is evse:
        return known[1]
    if len(_digests) >= _MAX_DIGESTS:
        _digests.clear()
    value = digest({k: v for k, v in evse.items() if k != "status"})
    _digests[id(evse)] = (evse, value)
    return value


def _evse_record(location: dict[str, Any], evse: dict[str, Any]) -> Record:
    key = evse_key(location["country_code"], location["party_id"], location["id"], evse["uid"])
    return Record(key, int(location["id"]), _evse_digest(evse), evse["status"])


def _location_record(location: dict[str, Any]) -> Record:
    key = location_key(location["country_code"], location["party_id"], location["id"])
    return Record(key, int(location["id"]), _location_digest(location))


def _removed(record: Record, at: str) -> Step:
    body = {"status": REMOVED, "last_updated": at}
    return Step("locations", "PATCH", _path(record.key), body, forget=(record.key,))


def plan_locations(current: list[dict[str, Any]], sent: dict[str, Record], at: datetime) -> list[Step]:
    """The requests that bring the partner from ``sent`` (records of the considered locations) to ``current`` (the
    OCPI Locations it sees of them now); ``at``: the time of a removal."""
    now = ocpi_datetime(at)
    by_id = {int(loc["id"]): loc for loc in current}
    sent_by_location: dict[int, list[Record]] = {}
    for record in sent.values():
        if record.location_id is not None:
            sent_by_location.setdefault(record.location_id, []).append(record)
    steps: list[Step] = []
    for location_id in sorted(set(by_id) | set(sent_by_location)):
        records = sent_by_location.get(location_id, [])
        sent_evses = {r.key: r for r in records if r.key.startswith("E/")}
        sent_location = next((r for r in records if r.key.startswith("L/")), None)
        location = by_id.get(location_id)
        if location is None:
            steps += [_removed(r, now) for key, r in sorted(sent_evses.items()) if r.status != REMOVED]
            if sent_location is not None:
                body = {"publish": False, "last_updated": now}
                forget = (sent_location.key, *sorted(sent_evses))
                steps.append(Step("locations", "PATCH", _path(sent_location.key), body, forget=forget))
            continue
        evses = {record.key: (e, record) for e in location["evses"] for record in (_evse_record(location, e),)}
        steps += [_removed(r, now) for key, r in sorted(sent_evses.items()) if key not in evses and r.status != REMOVED]
        own = _location_record(location)
        if sent_location is None or sent_location.digest != own.digest:
            path = _path(own.key)
            steps.append(Step("locations", "PUT", path, location, store=(own, *(r for _, r in evses.values()))))
            continue
        for key, (evse, record) in evses.items():
            before = sent_evses.get(key)
            if before is None or before.digest != record.digest:
                steps.append(Step("locations", "PUT", _path(key), evse, store=(record,)))
            elif before.status != record.status:
                body = {"status": evse["status"], "last_updated": evse["last_updated"]}
                steps.append(Step("locations", "PATCH", _path(key), body, store=(record,)))
    return steps


def plan_tariffs(current: list[dict[str, Any]], sent: dict[str, Record]) -> list[Step]:
    """PUT of new and changed tariffs, DELETE of those no longer offered (``sent``: every tariff record)."""
    steps: list[Step] = []
    keys = set()
    for tariff in current:
        record = Record(tariff_key(tariff["country_code"], tariff["party_id"], tariff["id"]), None, digest(tariff))
        keys.add(record.key)
        before = sent.get(record.key)
        if before is None or before.digest != record.digest:
            steps.append(Step("tariffs", "PUT", _path(record.key), tariff, store=(record,)))
    for key in sorted(sent):
        if key.startswith("T/") and key not in keys:
            steps.append(Step("tariffs", "DELETE", _path(key), None, forget=(key,)))
    return steps


def phases(steps: list[Step]) -> list[list[list[Step]]]:
    """The order a run's requests need: new and changed tariffs, then the locations, then the deleted tariffs (a
    location's tariff_ids always name a tariff the partner has); within a phase a group per object (a location and
    its EVSEs in the plan's order), the groups independent of each other."""
    tariffs = [[s] for s in steps if s.module == "tariffs" and not s.removal]
    locations: dict[tuple[str, ...], list[Step]] = {}
    for step in steps:
        if step.module == "locations":
            locations.setdefault(step.path[:3], []).append(step)
    deleted = [[s] for s in steps if s.module == "tariffs" and s.removal]
    return [phase for phase in (tariffs, list(locations.values()), deleted) if phase]


@dataclass
class _Run:
    """The outcome of a run's requests so far, and how many may be in flight: one until the partner took one, then
    up to ``CONCURRENCY``, one again after a failure (a failing partner is probed one object at a time, so that the
    circuit trips after ``TRIP_AFTER`` objects, not after a window of them)."""

    result: PushResult
    in_a_row: int = 0
    window: int = 1

    def settled(self, step: Step, error: str | None) -> None:
        if error is None:
            self.result.stored += step.store
            self.result.forgotten += step.forget
            self.in_a_row = 0
            self.window = CONCURRENCY
            return
        self.result.failed += 1
        self.result.error = error
        self.in_a_row += 1
        self.window = 1
        if self.in_a_row >= TRIP_AFTER:
            self.result.tripped = True


async def _bounded(groups: list[list[Step]], send: Any, run: _Run) -> None:
    """``send(group)`` for each group in turn, at most ``run.window`` at once; an error ends the others too."""
    tasks: list[asyncio.Task[None]] = []
    pending: set[asyncio.Task[None]] = set()
    try:
        for group in groups:
            while pending and len(pending) >= run.window:
                done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    task.result()
            if run.result.tripped:
                break
            tasks.append(asyncio.ensure_future(send(group)))
            pending.add(tasks[-1])
        await asyncio.gather(*tasks)
    except BaseException:
        for task in tasks:
            task.cancel()
        raise


def _transient(answer: Answer) -> bool:
    return answer.http_status == 0 or answer.http_status >= 500


class HubPushLink:
    """core.roaming.pushes.PushLink over HTTP."""

    def __init__(self, transport: Any = None) -> None:
        self.transport = transport

    async def push(self, partner: dict[str, Any], batch: PushBatch) -> PushResult:
        tariffs = plan_tariffs([tariff_json(t) for t in batch.tariffs], batch.sent) if batch.tariffs is not None else []
        locations = plan_locations([location_json(o) for o in batch.locations], batch.sent, datetime.now(UTC))
        return await self.send(partner, tariffs + locations)

    async def send(self, partner: dict[str, Any], steps: list[Step]) -> PushResult:
        journal: list[exchange_log.Exchange] = []  # a run's requests are logged in one statement at its end
        try:
            async with kept_client(partner["id"], self.transport) as http:
                ocpi = OcpiClient(partner, http=http, journal=journal)
                result = await self._send(ocpi, steps)
                if ocpi.transport_errors and self.transport is None:
                    await retire(partner["id"], http)  # no connection of a failing run is used again
                return result
        finally:
            await exchange_log.record_all(journal)

    async def _send(self, client: OcpiClient, steps: list[Step]) -> PushResult:
        partner = client.partner
        roles = partner.get("roles") or [{}]
        to = {"OCPI-to-country-code": str(roles[0].get("country_code", "")),
              "OCPI-to-party-id": str(roles[0].get("party_id", ""))}  # fmt: skip
        run = _Run(PushResult())

        async def one(step: Step) -> None:
            base = endpoint_url(partner, step.module, "RECEIVER")
            if base is None or run.result.tripped:
                return
            url = base.rstrip("/") + "/" + "/".join(step.path)
            routing = {**to, "OCPI-from-country-code": step.path[0], "OCPI-from-party-id": step.path[1]}
            run.settled(step, await self.attempts(client, step, url, routing))

        async def in_order(group: list[Step]) -> None:
            for step in group:
                await one(step)

        for phase in phases(steps):
            if run.result.tripped:
                break
            await _bounded(phase, in_order, run)
        return run.result

    async def attempts(self, client: OcpiClient, step: Step, url: str, routing: dict[str, str]) -> str | None:
        """None when the partner took the request (or, for a removal, does not know the object: gone is gone)."""
        return (await self.answered(client, step, url, routing))[0]

    async def answered(
        self, client: OcpiClient, step: Step, url: str, routing: dict[str, str]
    ) -> tuple[str | None, int]:
        """``attempts`` and the HTTP status of the last answer (0: none)."""
        error, status = "", 0
        for delay in (*RETRY_DELAYS, None):
            try:
                answer = await client.request(step.method, url, step.module, json=step.body, routing=routing)
            except LinkFailed as exc:
                error, status = str(exc), 0
            else:
                status = answer.http_status
                if answer.ok or (step.removal and status == 404):
                    return None, status
                error = f"{step.method} {url}: {answer.failure()}"
                if not _transient(answer):
                    return error, status
            if delay is not None:
                await asyncio.sleep(delay)
        return error, status
