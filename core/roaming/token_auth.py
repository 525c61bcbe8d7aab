"""Whether a partner's token may charge: the decision of OCPI 2.2.1's whitelist rules (mod_tokens WhitelistType),
as a pure function of what csms holds and what the eMSP answered in real time.

- ALWAYS: csms decides from the pushed token alone (valid: accepted; not valid: blocked); no real-time request.
- ALLOWED: csms may decide either way; it decides locally, which keeps the station fast.
- ALLOWED_OFFLINE: real-time first; when the eMSP does not answer in time, the last pushed token decides.
- NEVER: real-time only; no answer is a refusal.
- A token csms does not hold: real-time at the partners that may see the charge point; no answer is a refusal.

A real-time answer's AllowedType maps to OCPP 1.6: ALLOWED -> Accepted (unless the eMSP's answer names EVSEs and
not this one), BLOCKED -> Blocked, EXPIRED -> Expired, NO_CREDIT and NOT_ALLOWED -> Invalid (1.6 has no finer
status; the reason says which). The answer's ``authorization_reference`` is kept for the session and the CDR.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from core.access.cards import normalize_uid
from core.charging.authorization import AuthResult, AuthStatus
from core.db import is_postgres
from core.infrastructure.tables import ChargePoint, ChargingStation, Location
from core.roaming.offer import partner_ref
from core.roaming.partners import PartnerState, endpoint_url, may_push_to, partner_by_id
from core.roaming.tables import Partner, PartnerToken, StationRoaming
from core.roaming.tokens import WhitelistType
from core.roaming.visibility import visible_charge_points, visible_sql_by_columns
from core.tenancy.tables import Tenant


class Verdict(StrEnum):
    """OCPP 1.6 AuthorizationStatus values a roaming token can get."""

    ACCEPTED = "Accepted"
    BLOCKED = "Blocked"
    EXPIRED = "Expired"
    INVALID = "Invalid"


@dataclass(frozen=True)
class StoredToken:
    valid: bool
    whitelist: str  # WhitelistType


@dataclass(frozen=True)
class RealtimeAnswer:
    """The eMSP's AuthorizationInfo; ``allowed`` None: it does not know the token (2004 / HTTP 404)."""

    allowed: str | None
    authorization_reference: str = ""
    evse_uids: tuple[str, ...] | None = None  # the EVSEs of the location the eMSP allowed, when it named them
    token: dict[str, str] | None = None  # country_code, party_id, uid, type, contract_id of the answer's Token


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    reason: str  # for logs and the authorization monitor: whitelisted, realtime_allowed, realtime_no_answer, ...
    authorization_reference: str = ""

    @property
    def accepted(self) -> bool:
        return self.verdict is Verdict.ACCEPTED


_ALLOWED_TYPE = {
    "ALLOWED": Verdict.ACCEPTED,
    "BLOCKED": Verdict.BLOCKED,
    "EXPIRED": Verdict.EXPIRED,
    "NO_CREDIT": Verdict.INVALID,
    "NOT_ALLOWED": Verdict.INVALID,
}


def needs_realtime(token: StoredToken | None) -> bool:
    """Whether csms asks the eMSP before deciding (an unknown token, NEVER and ALLOWED_OFFLINE)."""
    return token is None or token.whitelist in (WhitelistType.NEVER, WhitelistType.ALLOWED_OFFLINE)


def _local(token: StoredToken, reason: str) -> Decision:
    return Decision(Verdict.ACCEPTED, reason) if token.valid else Decision(Verdict.BLOCKED, "token_not_valid")


def decide(token: StoredToken | None, answer: RealtimeAnswer | None, evse_uid: str | None = None) -> Decision:
    """``answer`` None: no real-time answer (not asked, timed out, or the eMSP unreachable). ``evse_uid``: the
    charge point being authorised, when known (OCPP Authorize names none)."""
    if not needs_realtime(token):
        assert token is not None
        return _local(token, "whitelisted")
    if answer is None:
        if token is not None and token.whitelist == WhitelistType.ALLOWED_OFFLINE:
            return _local(token, "realtime_no_answer_allowed_offline")
        return Decision(Verdict.INVALID, "realtime_no_answer" if token is not None else "unknown_token_no_answer")
    if answer.allowed is None:
        return Decision(Verdict.INVALID, "unknown_token")
    verdict = _ALLOWED_TYPE.get(answer.allowed)
    if verdict is None:
        return Decision(Verdict.INVALID, "realtime_bad_answer")
    named = answer.evse_uids
    if verdict is Verdict.ACCEPTED and evse_uid is not None and named is not None and evse_uid not in named:
        return Decision(Verdict.INVALID, "realtime_not_at_this_evse", answer.authorization_reference)
    return Decision(verdict, f"realtime_{answer.allowed.lower()}", answer.authorization_reference)


# --- at a station: which partner's token, may that partner charge here, and the eMSP's real-time answer ----------

REALTIME_TIMEOUT_SECONDS = 5.0  # well inside a station's OCPP call timeout (typically 30 s and more)


@dataclass(frozen=True)
class LocationRefs:
    """OCPI LocationReferences of the place being authorised (a location id and the EVSEs the partner sees there)."""

    location_id: str
    evse_uids: tuple[str, ...]

    def as_ocpi(self) -> dict[str, object]:
        return {"location_id": self.location_id, "evse_uids": list(self.evse_uids)}


class RealtimeLink(Protocol):
    async def authorize_token(
        self,
        partner: dict[str, Any],
        uid: str,
        token_type: str,
        location: LocationRefs,
        routing: dict[str, str],
        timeout: float,
    ) -> RealtimeAnswer | None:
        """POST {tokens}/{uid}/authorize at the partner; None when it did not answer in time or not usably."""


async def _here(partner: dict[str, Any], station_id: int, charge_point: dict[str, Any] | None) -> LocationRefs | None:
    """Where the partner is asked about: the station's location and the EVSEs of it the partner may see (only this
    charge point when one is named); None when it may see none of them."""
    station = await ChargingStation.select(ChargingStation.location).where(ChargingStation.id == station_id).first()
    if station is None:
        return None
    rows = await visible_charge_points(partner_ref(partner), location_ids=[station["location"]])
    evses = tuple(
        str(row["charge_point_id"])
        for row in rows
        if row["station_id"] == station_id and (charge_point is None or row["charge_point_id"] == charge_point["id"])
    )
    return LocationRefs(str(station["location"]), evses) if evses else None


CDR_TOKEN_FIELDS = ("country_code", "party_id", "uid", "type", "contract_id")


def cdr_token(token: dict[str, Any] | None) -> dict[str, str] | None:
    """OCPI CdrToken of a token (a stored one, or the Token of an eMSP's answer)."""
    if not token:
        return None
    return {name: str(token.get(name) or "") for name in CDR_TOKEN_FIELDS}


def _result(decision: Decision, partner_id: int | None, token: dict[str, str] | None = None) -> AuthResult:
    return AuthResult(
        AuthStatus(decision.verdict.value), decision.reason, roaming_partner_id=partner_id,
        roaming_contract_id=(token or {}).get("contract_id", "")[:36],
        authorization_reference=decision.authorization_reference[:36], roaming_token=token,
    )  # fmt: skip


async def _routing(tenant_id: int, to_country: str, to_party: str) -> dict[str, str]:
    tenant = await Tenant.select(Tenant.country_code, Tenant.party_id).where(Tenant.id == tenant_id).first() or {}
    return {
        "OCPI-from-country-code": str(tenant.get("country_code", "")),
        "OCPI-from-party-id": str(tenant.get("party_id", "")),
        "OCPI-to-country-code": to_country,
        "OCPI-to-party-id": to_party,
    }


def _table(table: Any) -> str:
    return f'"{table._meta.tablename}"'


def _token_here_sql(station_id: int, keys: list[str], charge_point: dict[str, Any] | None) -> tuple[str, list[Any]]:
    """One query for an Authorize at a station: no row when the station's roaming switches are off; else a row per
    charge point of the station (only the one named, when one is) that the newest token of a registered partner
    with one of the uid ``keys`` may charge at, or one row without a charge point (no token, or its partner may
    charge at none of them), with that token (its columns NULL when there is none)."""
    visible, visible_args = visible_sql_by_columns('tp."partner_kind"', 'tp."partner_tenant"')
    token, partner = _table(PartnerToken), _table(Partner)
    sql = (
        'SELECT tp."partner", tp."country_code", tp."party_id", tp."uid", tp."type", tp."contract_id", '  # noqa: S608
        'tp."valid", tp."whitelist", s."location" AS location_id, cp."id" AS charge_point_id '
        f"FROM {_table(StationRoaming)} r "
        f'JOIN {_table(ChargingStation)} s ON s."id" = r."station" '
        f'JOIN {_table(Location)} l ON l."id" = s."location" '
        # The tokens with that uid first (OFFSET 0 keeps PostgreSQL from flattening it; SQLite has no OFFSET without
        # LIMIT and finds them by the uid index anyway): started from the partner instead, a plan of stale statistics
        # read the index of all the partner's tokens (8 ms at 200,000).
        'LEFT JOIN (SELECT t.*, p."kind" AS partner_kind, p."tenant" AS partner_tenant FROM (SELECT "partner", '
        '"country_code", "party_id", "uid", "type", "contract_id", "valid", "whitelist", "last_updated" '
        f'FROM {token} WHERE "uid_key" IN ({", ".join("{}" for _ in keys)}){" OFFSET 0" if is_postgres() else ""}) t '
        f'JOIN {partner} p ON p."id" = t."partner" WHERE p."state" = {{}} '
        'ORDER BY t."last_updated" DESC LIMIT 1) tp ON 1 = 1 '
        f'LEFT JOIN {_table(ChargePoint)} cp ON cp."station" = s."id" AND {visible}'
    )
    args: list[Any] = [*keys, PartnerState.REGISTERED.value, *visible_args]
    if charge_point is not None:
        sql += ' AND cp."id" = {}'
        args.append(charge_point["id"])
    sql += ' WHERE r."station" = {} AND (r."roaming" = {} OR r."roaming_plus" = {}) ORDER BY cp."id"'
    return sql, [*args, station_id, True, True]


async def authorize_at(
    tenant_id: int, station_id: int, charge_point: dict[str, Any] | None, id_tag: str
) -> AuthResult | None:
    """The decision for an id tag that is no card of the CPO tenant: a token a partner pushed (the newest, when several
    partners pushed it), or, for a token csms does not hold, the real-time answer of the partners that may charge
    here. None when no partner has the token and none may charge here (the tag stays an unknown card).

    A whitelisted token is decided by one query (the station's switches, the token, its partner and where that
    partner may charge here); only a real-time question reads more."""
    if _link is None:
        return None
    keys = list({id_tag.strip().upper(), normalize_uid(id_tag)} - {""})
    if not keys:
        return None
    sql, args = _token_here_sql(station_id, keys, charge_point)
    rows = await StationRoaming.raw(sql, *args)
    if not rows:
        return None  # no partner may charge here: an unknown card stays unknown, without asking anyone
    token = rows[0]
    if token["partner"] is None:
        return await _ask_everyone(tenant_id, station_id, charge_point, id_tag)
    partner_id = int(token["partner"])
    evses = tuple(str(row["charge_point_id"]) for row in rows if row["charge_point_id"] is not None)
    if not evses:
        return AuthResult(AuthStatus.INVALID, "partner_not_allowed_here", roaming_partner_id=partner_id)
    stored = StoredToken(bool(token["valid"]), token["whitelist"])
    answer = None
    if needs_realtime(stored):
        partner = await partner_by_id(partner_id)
        if await may_push_to(partner, token["country_code"], token["party_id"]):
            routing = await _routing(tenant_id, token["country_code"], token["party_id"])
            where = LocationRefs(str(token["location_id"]), evses)
            answer = await _link.authorize_token(partner, token["uid"], token["type"], where, routing,
                                                 REALTIME_TIMEOUT_SECONDS)  # fmt: skip
    evse = str(charge_point["id"]) if charge_point is not None else None
    return _result(decide(stored, answer, evse), partner_id, cdr_token(token))


async def _ask_everyone(
    tenant_id: int, station_id: int, charge_point: dict[str, Any] | None, id_tag: str
) -> AuthResult | None:
    """A token no partner pushed: the partners that may charge here and offer real-time authorization are asked at
    once; an ALLOWED answer wins, then any other answer of a partner that knows the token."""
    assert _link is not None
    link = _link
    asked: list[tuple[dict[str, Any], LocationRefs]] = []
    registered = Partner.select().where(Partner.state == PartnerState.REGISTERED).order_by(Partner.id)
    for partner in await registered.output(load_json=True):
        if endpoint_url(partner, "tokens", "SENDER") is None or not await may_push_to(partner):
            continue
        where = await _here(partner, station_id, charge_point)
        if where is not None:
            asked.append((partner, where))
    if not asked:
        return None

    async def ask(partner: dict[str, Any], where: LocationRefs) -> RealtimeAnswer | None:
        party: dict[str, Any] = next((r for r in partner.get("roles") or [] if r.get("role") == "EMSP"), {})
        routing = await _routing(tenant_id, str(party.get("country_code", "")), str(party.get("party_id", "")))
        return await link.authorize_token(partner, id_tag.strip(), "RFID", where, routing, REALTIME_TIMEOUT_SECONDS)

    answers = await asyncio.gather(*(ask(p, w) for p, w in asked))
    evse = str(charge_point["id"]) if charge_point is not None else None
    known = [(p, a) for (p, _), a in zip(asked, answers, strict=True) if a is not None and a.allowed is not None]
    if known:
        partner, answer = min(known, key=lambda pa: pa[1].allowed != "ALLOWED")  # the first ALLOWED, else the first
        return _result(decide(None, answer, evse), partner["id"], answer.token or _party_token(partner, id_tag))
    no_answer = any(a is None for a in answers)
    return _result(decide(None, None if no_answer else RealtimeAnswer(None), evse), None)


def _party_token(partner: dict[str, Any], id_tag: str) -> dict[str, str]:
    """A CdrToken for an answer without its Token: the partner's eMSP party and the id tag as it came."""
    party: dict[str, Any] = next((r for r in partner.get("roles") or [] if r.get("role") == "EMSP"), {})
    return {"country_code": str(party.get("country_code", "")), "party_id": str(party.get("party_id", "")),
            "uid": id_tag.strip(), "type": "RFID", "contract_id": ""}  # fmt: skip


_link: RealtimeLink | None = None


def register_link(link: RealtimeLink | None) -> None:
    """csms wires hub.client's real-time authorization here (serve and worker)."""
    global _link
    _link = link
