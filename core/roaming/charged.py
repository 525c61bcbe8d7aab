"""What a partner's drivers charged at csms's CPO tenants: the sessions and CDRs csms owes that partner, for the OCPI
senders' GET (resync) and the pushes (core.roaming.session_push, core.roaming.cdr_push). Only the partner whose
token charged sees them. No OCPI framing: hub/mapping/ maps the bundles.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from core.cdrs.building import priced_so_far
from core.cdrs.tables import Cdr
from core.charging.tables import ChargingSession
from core.infrastructure.tables import ChargingStation, Connector, Location
from core.roaming.offer import Party
from core.roaming.paging import Page, Window, fetch_page
from core.roaming.tables import PartnerToken
from core.tenancy.actor import Actor
from core.tenancy.tables import Tenant
from core.tenancy.tenants import TenantKind


@dataclass
class ChargedCdr:
    cdr: dict[str, Any]
    country_code: str  # the CPO party
    party_id: str
    location: dict[str, Any]  # id, name, coordinates, time zone
    connector: dict[str, Any] = field(default_factory=dict)  # standard, format, power_type ({} when unknown)
    meter_public_key: str = ""  # the station's, for the signed data


async def _tenants_of(party: Party) -> list[int]:
    rows = await Tenant.select(Tenant.id).where(
        (Tenant.kind == TenantKind.CPO) & (Tenant.country_code == party[0]) & (Tenant.party_id == party[1])
    )
    return [row["id"] for row in rows]


async def partner_cdrs(partner_id: int, window: Window, party: Party | None = None) -> tuple[Page, list[ChargedCdr]]:
    """One window of the partner's CDRs (of the CPO ``party`` only, when given) in (created_at, id) order: a CDR never
    changes once made (a correction is a new CDR), so its creation is its last_updated."""
    where: Any = Cdr.roaming_partner_id == partner_id
    if party is not None:
        where &= Cdr.tenant.is_in(await _tenants_of(party) or [-1])
    page = await fetch_page(Cdr, where, window, updated=Cdr.created_at)
    return page, await bundles(page.rows)


async def bundles(rows: list[dict[str, Any]]) -> list[ChargedCdr]:
    if not rows:
        return []
    tenants = {t["id"]: t for t in await Tenant.select(Tenant.id, Tenant.country_code, Tenant.party_id).where(
        Tenant.id.is_in(list({r["tenant"] for r in rows})))}  # fmt: skip
    keys = {s["id"]: s["meter_public_key"] for s in await ChargingStation.select(
        ChargingStation.id, ChargingStation.meter_public_key).where(
        ChargingStation.id.is_in(list({r["station"] for r in rows if r["station"] is not None}) or [-1]))}  # fmt: skip
    location_ids = list({r["location"] for r in rows if r["location"] is not None})
    locations = {loc["id"]: loc for loc in await Location.select(
        Location.id, Location.name, Location.latitude, Location.longitude, Location.time_zone, Location.state,
    ).where(Location.id.is_in(location_ids or [-1]))}  # fmt: skip
    by_cp: dict[int, list[dict[str, Any]]] = defaultdict(list)
    cp_ids = list({r["charge_point"] for r in rows if r["charge_point"] is not None})
    for c in await Connector.select(Connector.charge_point, Connector.standard, Connector.format, Connector.power_type)\
            .where(Connector.charge_point.is_in(cp_ids or [-1])).order_by(Connector.connector_number):  # fmt: skip
        by_cp[c["charge_point"]].append(c)
    result = []
    for row in rows:
        tenant = tenants[row["tenant"]]
        # OCPP 1.6's connectorId is the EVSE; its (usually only) connector is the first one
        plug = by_cp.get(row["charge_point"], [{}])[0] if row["charge_point"] is not None else {}
        result.append(ChargedCdr(row, tenant["country_code"], tenant["party_id"],
                                 locations.get(row["location"], {"id": row["location"]}), plug,
                                 keys.get(row["station"]) or ""))  # fmt: skip
    return result


# --- sessions -----------------------------------------------------------------------------------------------------

# What a partner is told of a session: from its start (an Authorize before it is csms's business only)
SHOWN_STATUSES = ("STARTED", "CHARGING", "PAUSED", "STOPPED", "CLOSED_STALE")
FINISHED_STATUSES = ("STOPPED", "CLOSED_STALE")


@dataclass
class ChargedSession:
    session: dict[str, Any]
    country_code: str  # the CPO party
    party_id: str
    priced: dict[str, Any] | None  # core.cdrs.building's CDR columns as it stands (kWh, costs, currency)
    by_cdr: bool = False  # finished and priced by its CDR: the totals the partner is billed

    @property
    def finished(self) -> bool:
        return str(self.session["status"]) in FINISHED_STATUSES


def _shown(partner_id: int) -> Any:
    return (ChargingSession.roaming_partner_id == partner_id) & ChargingSession.status.is_in(list(SHOWN_STATUSES))


async def partner_sessions(
    partner_id: int, window: Window, party: Party | None = None, at: datetime | None = None
) -> tuple[Page, list[ChargedSession]]:
    """One window of the partner's sessions (of the CPO ``party`` only, when given) in (updated_at, id) order, each
    priced by csms's pricing engine as it stands at ``at`` (default now), a finished one with a CDR by its CDR."""
    where: Any = _shown(partner_id)
    if party is not None:
        where &= ChargingSession.tenant.is_in(await _tenants_of(party) or [-1])
    page = await fetch_page(ChargingSession, where, window, updated=ChargingSession.updated_at)
    return page, await _session_bundles(page.rows, at or datetime.now(UTC))


async def sessions_by_id(partner_id: int, session_ids: list[int], at: datetime) -> list[ChargedSession]:
    """The partner's sessions among ``session_ids`` (others' are not its business), as the GET list shows them."""
    if not session_ids:
        return []
    rows = await ChargingSession.select().where(_shown(partner_id) & ChargingSession.id.is_in(session_ids))
    return await _session_bundles(sorted(rows, key=lambda r: r["id"]), at)


async def _session_bundles(rows: list[dict[str, Any]], at: datetime) -> list[ChargedSession]:
    if not rows:
        return []
    tenants = {t["id"]: t for t in await Tenant.select(Tenant.id, Tenant.country_code, Tenant.party_id).where(
        Tenant.id.is_in(list({r["tenant"] for r in rows})))}  # fmt: skip
    finished = [r["id"] for r in rows if r["status"] in FINISHED_STATUSES]
    cdrs = {c["session"]: c for c in await Cdr.select().where(Cdr.session.is_in(finished or [-1]))}
    result = []
    for row in rows:
        row = {**row, "roaming_token": _json(row["roaming_token"]), "flags": _json(row["flags"]) or []}
        tenant = tenants[row["tenant"]]
        cdr = cdrs.get(row["id"])
        priced = {**cdr, "tariff": _json(cdr["tariff"])} if cdr is not None else await priced_so_far(row, at)
        result.append(ChargedSession(row, tenant["country_code"], tenant["party_id"], priced, cdr is not None))
    return result


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


# --- what a partner's page shows of it ----------------------------------------------------------------------------


@dataclass(frozen=True)
class DriversScope:
    """What of a partner's drivers an actor may read: the conditions on sessions and CDRs, and whether its tokens."""

    sessions: Any
    cdrs: Any
    tokens: bool


def drivers_scope(actor: Actor, partner: dict[str, Any]) -> DriversScope:
    """All of them for the partner's own tenant (the EMP) and the hub operator, only those at its own stations for a
    CPO (which never sees the EMP's tokens). The caller has found ``partner`` in the actor's tenants."""
    own_stations_only = actor.tenant_kind not in (TenantKind.EMP, TenantKind.HUB)
    sessions: Any = _shown(partner["id"])
    cdrs: Any = Cdr.roaming_partner_id == partner["id"]
    if own_stations_only:
        sessions &= ChargingSession.tenant.is_in(actor.scope)
        cdrs &= Cdr.tenant.is_in(actor.scope)
    return DriversScope(sessions, cdrs, not own_stations_only)


@dataclass(frozen=True)
class PartnerCounts:
    tokens: int | None  # None: not the actor's to see (a CPO sees its own stations' sessions, not the EMP's tokens)
    sessions: int
    cdrs: int


async def partner_counts(actor: Actor, partner: dict[str, Any]) -> PartnerCounts:
    """The partner's tokens csms holds and the sessions and CDRs of its drivers (``drivers_scope``)."""
    scope = drivers_scope(actor, partner)
    tokens = await PartnerToken.count().where(PartnerToken.partner == partner["id"]) if scope.tokens else None
    sessions, cdrs = await ChargingSession.count().where(scope.sessions), await Cdr.count().where(scope.cdrs)
    return PartnerCounts(tokens, sessions, cdrs)
