"""What a partner's own tenant (an EMP tenant, or the hub operator for an external platform) reads of its drivers in
the portal: the sessions and CDRs csms made for that partner's tokens, newest first, one page at a time, with each
CDR's delivery (core.roaming.cdr_push). A CPO user reaching a partner would see only its own stations' part
(``charged.drivers_scope``); the partner itself is looked up in the actor's tenants first, so another tenant's
partner is not found (404).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from core.cdrs.building import ROAMING_CDR_TOPIC, priced_so_far, roaming_cdr_key
from core.cdrs.tables import Cdr
from core.charging.tables import ChargingSession
from core.outbox import MAX_ATTEMPTS, OutboxMessage, _payload
from core.roaming.cdr_push import BY_GET
from core.roaming.charged import PartnerCounts, drivers_scope, partner_counts
from core.roaming.partners import PartnerState, connection_status, get_partner, list_partners
from core.tenancy.actor import Actor
from core.tenancy.permissions import Permission

PER_PAGE = 25


class Delivery(StrEnum):
    """How a CDR reached its partner."""

    DELIVERED = "DELIVERED"  # the partner's CDRs receiver took the POST
    PENDING = "PENDING"  # not yet: the outbox tries again (last_error says why the last try failed)
    FAILED = "FAILED"  # the outbox gave up after its attempts
    BY_GET = "BY_GET"  # not POSTed: the partner has no CDRs receiver (or was not registered) and reads it by GET
    NONE = "NONE"  # no delivery recorded (a CDR made before CDRs were POSTed)


@dataclass(frozen=True)
class Listing:
    partner: dict[str, Any]
    rows: list[dict[str, Any]]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))


def delivery_of(message: dict[str, Any] | None) -> Delivery:
    """A roaming CDR's outbox row (``cdr.roaming``) as its delivery state."""
    if message is None:
        return Delivery.NONE
    if message["delivered_at"] is not None:
        return Delivery.BY_GET if _payload(message["payload"]).get(BY_GET) else Delivery.DELIVERED
    return Delivery.FAILED if int(message["attempts"]) >= MAX_ATTEMPTS else Delivery.PENDING


async def _partner(actor: Actor, partner_id: int) -> dict[str, Any]:
    actor.require(Permission.SESSIONS_VIEW)
    return await get_partner(actor, partner_id)  # not the actor's: NotFound


def _clamped(page: int, total: int, per_page: int) -> int:
    """A page number within the list (the last page for one past it)."""
    return min(max(1, page), max(1, math.ceil(total / per_page)))


def _newest_first(query: Any, start: Any, key: Any, page: int, per_page: int) -> Any:
    """One page of ``query`` by ``start`` descending (``key`` breaks ties)."""
    ordered = query.order_by(start, ascending=False).order_by(key, ascending=False)
    return ordered.limit(per_page).offset((page - 1) * per_page)


async def partner_sessions(actor: Actor, partner_id: int, page: int = 1, per_page: int = PER_PAGE) -> Listing:
    """The partner's sessions csms tells it of, newest start first: running ones priced as they stand now, finished
    ones with their CDR's energy and amount."""
    partner = await _partner(actor, partner_id)
    where = drivers_scope(actor, partner).sessions
    total = await ChargingSession.count().where(where)
    page = _clamped(page, total, per_page)
    query = (
        ChargingSession.select(
            *ChargingSession.all_columns(),
            ChargingSession.charge_point.evse_id.as_alias("evse_id"),
            ChargingSession.station.charge_box_id.as_alias("charge_box_id"),
            ChargingSession.station._.location._.name.as_alias("location_name"),
            ChargingSession.station._.location._.city.as_alias("city"),
        )
        .where(where)
        .output(load_json=True)
    )
    rows = await _newest_first(query, ChargingSession.started_at, ChargingSession.id, page, per_page)
    # a session's current CDR (after a correction: the new one, not the credit or the cancelled one)
    current = [r["cdr_id"] for r in rows if r.get("cdr_id") is not None]
    cdrs = {c["id"]: c for c in await Cdr.select(Cdr.id, Cdr.total_energy, Cdr.total_cost_incl_vat, Cdr.currency)
            .where(Cdr.id.is_in(current or [-1]))}  # fmt: skip
    at = datetime.now(UTC)
    for row in rows:
        cdr = cdrs.get(row.get("cdr_id"))
        priced = cdr if cdr is not None else await priced_so_far(row, at) or {}
        row["cdr_id"] = cdr["id"] if cdr is not None else None
        row["kwh"] = Decimal(str(priced.get("total_energy", row["energy_wh"] / 1000))).quantize(Decimal("0.001"))
        row["amount"] = priced.get("total_cost_incl_vat")
        row["currency"] = priced.get("currency", "")
    return Listing(partner, rows, total, page, per_page)


async def partner_cdrs(actor: Actor, partner_id: int, page: int = 1, per_page: int = PER_PAGE) -> Listing:
    """The partner's CDRs, newest start first, each with its delivery to the partner."""
    partner = await _partner(actor, partner_id)
    where = drivers_scope(actor, partner).cdrs
    total = await Cdr.count().where(where)
    page = _clamped(page, total, per_page)
    columns = (Cdr.id, Cdr.session, Cdr.start_date_time, Cdr.end_date_time, Cdr.evse_id, Cdr.charge_box_id,
               Cdr.location_name, Cdr.city, Cdr.total_energy, Cdr.total_cost_excl_vat, Cdr.total_cost_incl_vat,
               Cdr.currency, Cdr.status, Cdr.roaming_contract_id, Cdr.created_at)  # fmt: skip
    rows = await _newest_first(Cdr.select(*columns).where(where), Cdr.start_date_time, Cdr.id, page, per_page)
    keys = [roaming_cdr_key(r["id"]) for r in rows]
    messages = {m["dedupe_key"]: m for m in await OutboxMessage.select(
        OutboxMessage.dedupe_key, OutboxMessage.payload, OutboxMessage.attempts, OutboxMessage.last_error,
        OutboxMessage.delivered_at,
    ).where((OutboxMessage.topic == ROAMING_CDR_TOPIC) & OutboxMessage.dedupe_key.is_in(keys or [""]))}  # fmt: skip
    for row in rows:
        message = messages.get(roaming_cdr_key(row["id"]))
        row["delivery"] = delivery_of(message)
        row["delivered_at"] = message["delivered_at"] if message else None
        row["delivery_error"] = message["last_error"] if message and message["delivered_at"] is None else ""
    return Listing(partner, rows, total, page, per_page)


@dataclass(frozen=True)
class OwnConnection:
    partner: dict[str, Any]
    status: str  # core.roaming.partners.ConnectionStatus
    counts: PartnerCounts


async def own_connections(actor: Actor) -> list[OwnConnection]:
    """The connections of the actor's own tenant (the current one first, ended ones after it) with their drivers'
    counts: what an EMP tenant's start page shows (empty without roaming.view)."""
    if not actor.can(Permission.ROAMING_VIEW):
        return []
    rows = sorted(await list_partners(actor), key=lambda p: p["state"] == PartnerState.ENDED)
    return [OwnConnection(p, connection_status(p), await partner_counts(actor, p)) for p in rows]
