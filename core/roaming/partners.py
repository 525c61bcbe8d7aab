"""Partners: who they are, who manages them, their credentials tokens and their connection state.

A partner is an OCPI party with its own connection to csms's hub node. Two kinds:
- EMP: an EMP tenant of csms (seed 000's "EMP-Mandanten") connecting its own OCPI platform; the tenant's users with
  roaming.manage manage it, and it may register only under the tenant's own country code and party id;
- PLATFORM: an external roaming platform (Roaming+), owned by the installation's hub operator (the one tenant of
  kind HUB), whose users manage it.

Tokens, as OCPI 2.2.1 names them: token A is issued by csms for a partner that registers with csms and is accepted
only on versions, version details and credentials, until the registration; the partner's own token (B, later C
after a rotation) is what it sends csms; csms's token (C, or B when csms registered) is what csms sends it. The
tokens csms only checks are stored as SHA-256 hashes; lookups go by the hash and compare in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from core.errors import Conflict, Message, NotFound, ValidationError
from core.roaming.tables import Partner, PartnerClientInfo
from core.settings import get_settings
from core.tenancy.actor import Actor
from core.tenancy.permissions import Permission
from core.tenancy.tables import Tenant
from core.tenancy.tenants import TenantKind
from core.validation import Field, FormSpec

VIEW = Permission.ROAMING_VIEW
MANAGE = Permission.ROAMING_MANAGE
OCPI_VERSION = "2.2.1"


class PartnerKind(StrEnum):
    EMP = "EMP"
    PLATFORM = "PLATFORM"


class PartnerState(StrEnum):
    NEW = "NEW"  # created; a token A may be waiting for the partner's registration
    REGISTERED = "REGISTERED"  # tokens exchanged, endpoints known
    ENDED = "ENDED"  # unregistered by either side; its tokens are dead


class ConnectionStatus(StrEnum):
    """hubclientinfo's ConnectionStatus."""

    CONNECTED = "CONNECTED"
    OFFLINE = "OFFLINE"
    PLANNED = "PLANNED"
    SUSPENDED = "SUSPENDED"


class Role(StrEnum):
    CPO = "CPO"
    EMSP = "EMSP"
    HUB = "HUB"
    NAP = "NAP"
    NSP = "NSP"
    OTHER = "OTHER"
    SCSP = "SCSP"


_PARTNER_FIELDS = (Field("name", required=True, max_length=200), Field("tokens_unencoded", kind="bool"))
_TARGET_FIELDS = (
    Field("versions_url", required=True, max_length=500, pattern=r"https?://\S+"),
    Field("token_a", required=True, max_length=64, pattern=r"[\x21-\x7e]+"),
)
PARTNER_SPEC = FormSpec("partner", _PARTNER_FIELDS)  # a partner that registers with csms
CONNECT_SPEC = FormSpec("partner_connect", _PARTNER_FIELDS + _TARGET_FIELDS)  # one csms registers with
TARGET_SPEC = FormSpec("partner_target", _TARGET_FIELDS)  # registering again


def versions_url() -> str:
    """Where partners find csms's OCPI versions (from PUBLIC_URL): in its credentials and shown with a token A."""
    return get_settings().public_url + "/ocpi/versions"


def new_token() -> str:
    """A credentials token: ASCII, at most 64 characters (OCPI), hex so that no peer's Base64 handling trips on it."""
    return secrets.token_hex(24)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def now() -> datetime:
    return datetime.now(UTC)


# --- Who manages which partner ---------------------------------------------------------------------------------


async def kind_for(actor: Actor) -> PartnerKind:
    """The kind of partner the actor's tenant may have; a CPO tenant has none of its own (its stations reach the
    partners through the hub)."""
    tenant = await Tenant.select(Tenant.kind).where(Tenant.id == actor.tenant_id).first()
    kind = tenant["kind"] if tenant else ""
    if kind == TenantKind.EMP:
        return PartnerKind.EMP
    if kind == TenantKind.HUB:
        return PartnerKind.PLATFORM
    raise Conflict(Message("Only an EMP tenant or the roaming hub operator has roaming connections of its own."))


async def new_partner_kind(actor: Actor) -> PartnerKind:
    """The kind of a new partner of the actor's tenant; an EMP tenant has one connection at a time."""
    kind = await kind_for(actor)
    if kind == PartnerKind.EMP and await Partner.exists().where(
        (Partner.tenant == actor.tenant_id) & (Partner.state != PartnerState.ENDED)
    ):
        raise ValidationError({"name": Message("This EMP tenant already has a roaming connection.")})
    return kind


async def list_partners(actor: Actor) -> list[dict[str, Any]]:
    actor.require(VIEW)
    return await Partner.select().where(Partner.tenant.is_in(actor.scope)).order_by(Partner.name).output(load_json=True)


async def get_partner(actor: Actor, partner_id: int) -> dict[str, Any]:
    actor.require(VIEW)
    row = await (
        Partner.select()
        .where((Partner.id == partner_id) & Partner.tenant.is_in(actor.scope))
        .output(load_json=True)
        .first()
    )
    if row is None:
        raise NotFound("partner")
    return row


async def partner_by_id(partner_id: int) -> dict[str, Any]:
    """For the hub node and jobs, which act for the partner itself (no staff actor)."""
    row = await Partner.select().where(Partner.id == partner_id).output(load_json=True).first()
    if row is None:
        raise NotFound("partner")
    return row


@dataclass(frozen=True)
class NewPartner:
    partner: dict[str, Any]
    token_a: str  # shown once


async def create_partner(actor: Actor, raw: dict[str, Any]) -> NewPartner:
    """A partner that will register with csms: csms issues its token A (returned once, stored hashed)."""
    actor.require(MANAGE)
    data = PARTNER_SPEC.parse(raw)
    kind = await new_partner_kind(actor)
    token_a = new_token()
    partner = Partner(
        tenant=actor.tenant_id, kind=kind, name=data["name"], tokens_unencoded=bool(data.get("tokens_unencoded")),
        token_a_hash=token_hash(token_a),
    )  # fmt: skip
    await partner.save()
    return NewPartner(await partner_by_id(partner.id), token_a)


async def new_token_a(actor: Actor, partner_id: int) -> str:
    """Another token A for a partner that has not registered yet (the first one was lost); the old one dies."""
    actor.require(MANAGE)
    partner = await get_partner(actor, partner_id)
    if partner["state"] != PartnerState.NEW:
        raise Conflict(Message("The partner is registered already: a token A is no longer needed."))
    token_a = new_token()
    await Partner.update({Partner.token_a_hash: token_hash(token_a)}).where(Partner.id == partner_id)
    return token_a


async def set_tokens_unencoded(actor: Actor, partner_id: int, unencoded: bool) -> None:
    actor.require(MANAGE)
    await get_partner(actor, partner_id)
    await Partner.update({Partner.tokens_unencoded: unencoded}).where(Partner.id == partner_id)


# --- Tokens ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Caller:
    partner: dict[str, Any]
    with_token_a: bool  # only versions, version details and credentials accept it


async def partner_for_token(token: str) -> Caller | None:
    """The partner whose token A or own token this is; None for an unknown or dead token."""
    if not token or len(token) > 200:
        return None
    digest = token_hash(token)
    row = await (
        Partner.select()
        .where(
            (Partner.token_a_hash == digest)
            | (Partner.incoming_token_hash == digest)
            | (Partner.pending_token_hash == digest)
        )
        .where(Partner.state != PartnerState.ENDED)
        .output(load_json=True)
        .first()
    )
    if row is None:
        return None
    for column in ("incoming_token_hash", "pending_token_hash"):
        if row[column] and hmac.compare_digest(row[column], digest):
            return Caller(row, with_token_a=False)
    if row["token_a_hash"] and hmac.compare_digest(row["token_a_hash"], digest):
        return Caller(row, with_token_a=True)
    return None


# --- Registration ------------------------------------------------------------------------------------------------


def _roles(raw_roles: Any) -> list[dict[str, str]]:
    """The CredentialsRoles as csms keeps them; parties' codes upper-cased (they are CiStrings)."""
    roles = []
    for item in raw_roles if isinstance(raw_roles, list) else []:
        if not isinstance(item, dict):
            continue
        role = str(item.get("role", "")).upper()
        country = str(item.get("country_code", "")).upper()
        party = str(item.get("party_id", "")).upper()
        if role not in Role.__members__ or len(country) != 2 or not 1 <= len(party) <= 3:
            raise ValidationError({"roles": Message("A credentials role is not valid.")})
        details = item.get("business_details")
        details = details if isinstance(details, dict) else {}
        roles.append({"role": role, "country_code": country, "party_id": party, "name": str(details.get("name", ""))})
    if not roles:
        raise ValidationError({"roles": Message("The credentials name no role.")})
    return roles


async def check_roles(partner: dict[str, Any], raw_roles: Any) -> list[dict[str, str]]:
    """The partner's roles, refused when an EMP tenant's platform claims another party than the tenant's own."""
    roles = _roles(raw_roles)
    if partner["kind"] == PartnerKind.EMP:
        tenant = await Tenant.select(Tenant.country_code, Tenant.party_id).where(Tenant.id == partner["tenant"]).first()
        own = (str(tenant["country_code"]).upper(), str(tenant["party_id"]).upper()) if tenant else ("", "")
        if any((r["country_code"], r["party_id"]) != own for r in roles):
            raise ValidationError({"roles": Message("The credentials name a party other than the EMP tenant's own.")})
    return roles


@dataclass(frozen=True)
class Connection:
    """What a registration learned of the partner: where and how csms reaches it."""

    outgoing_token: str
    versions_url: str
    version: str
    endpoints: list[dict[str, str]]
    roles: list[dict[str, str]]


async def offer_token(partner_id: int, token: str) -> None:
    """The token csms is about to give the partner (in its POST or PUT of credentials): valid from now on, since
    the partner may fetch csms's versions with it before it answers; the current token stays valid until then."""
    await Partner.update({Partner.pending_token_hash: token_hash(token)}).where(Partner.id == partner_id)


async def complete_registration(partner_id: int, connection: Connection, incoming_token: str) -> None:
    """Stores a finished handshake (either direction, first time or again): token A dies, the partner's token
    ``incoming_token`` replaces any earlier one."""
    await Partner.update({
        Partner.state: PartnerState.REGISTERED,
        Partner.token_a_hash: None,
        Partner.incoming_token_hash: token_hash(incoming_token),
        Partner.pending_token_hash: None,
        Partner.outgoing_token: connection.outgoing_token,
        Partner.versions_url: connection.versions_url,
        Partner.version: connection.version,
        Partner.endpoints: connection.endpoints,
        Partner.roles: connection.roles,
        Partner.registered_at: now(),
    }).where(Partner.id == partner_id)  # fmt: skip


async def end_connection(partner_id: int) -> None:
    """Unregistered (by either side): both tokens die; the log and the settings stay."""
    await Partner.update({
        Partner.state: PartnerState.ENDED,
        Partner.token_a_hash: None,
        Partner.incoming_token_hash: None,
        Partner.pending_token_hash: None,
        Partner.outgoing_token: "",
    }).where(Partner.id == partner_id)  # fmt: skip


def endpoint_url(partner: dict[str, Any], identifier: str, role: str) -> str | None:
    for endpoint in partner.get("endpoints") or []:
        if endpoint.get("identifier") == identifier and endpoint.get("role", role) == role:
            return str(endpoint.get("url"))
    return None


# --- The hub node's own party ------------------------------------------------------------------------------------


async def hub_operator() -> dict[str, Any]:
    """The tenant of kind HUB: the hub node's own OCPI party (the first one, should there be several)."""
    row = await Tenant.select().where(Tenant.kind == TenantKind.HUB).order_by(Tenant.id).first()
    if row is None:
        raise Conflict(Message("No roaming hub operator is set up (a tenant of kind HUB)."))
    return row


async def own_roles(partner: dict[str, Any]) -> list[dict[str, str]]:
    """The roles csms presents in its credentials. To an EMP tenant's platform csms is the hub (OCPI: a hub reports
    only its HUB role); towards an external platform csms is the platform of its CPO tenants, each its own party."""
    if partner["kind"] == PartnerKind.EMP:
        hub = await hub_operator()
        return [{"role": Role.HUB, "country_code": hub["country_code"], "party_id": hub["party_id"],
                 "name": hub["name"]}]  # fmt: skip
    cpos = await (
        Tenant.select(Tenant.country_code, Tenant.party_id, Tenant.name)
        .where((Tenant.kind == TenantKind.CPO) & (Tenant.party_id != ""))
        .order_by(Tenant.id)
    )
    seen: set[tuple[str, str]] = set()
    roles = []
    for cpo in cpos:
        key = (cpo["country_code"], cpo["party_id"])
        if key not in seen:
            seen.add(key)
            roles.append({"role": Role.CPO, "country_code": key[0], "party_id": key[1], "name": cpo["name"]})
    return roles


# --- Connection state (hubclientinfo) ------------------------------------------------------------------------------


def connection_status(partner: dict[str, Any]) -> ConnectionStatus:
    """NEW: PLANNED; ENDED: SUSPENDED; registered: what the partner last reported of itself, CONNECTED if nothing."""
    if partner["state"] == PartnerState.NEW:
        return ConnectionStatus.PLANNED
    if partner["state"] == PartnerState.ENDED:
        return ConnectionStatus.SUSPENDED
    reported = partner.get("client_status") or ""
    return ConnectionStatus(reported) if reported in ConnectionStatus.__members__ else ConnectionStatus.CONNECTED


async def may_push_to(partner: dict[str, Any], country_code: str = "", party_id: str = "") -> bool:
    """Whether csms may send the partner anything now (OCPI: nothing is pushed to a party that is not CONNECTED).
    With a party behind the partner (a hub), that party's reported ClientInfo must not say otherwise either."""
    if connection_status(partner) != ConnectionStatus.CONNECTED:
        return False
    if not (country_code and party_id):
        return True
    info = await (
        PartnerClientInfo.select(PartnerClientInfo.status)
        .where(PartnerClientInfo.partner == partner["id"])
        .where(PartnerClientInfo.country_code == country_code.upper())
        .where(PartnerClientInfo.party_id == party_id.upper())
        .first()
    )
    return info is None or info["status"] == ConnectionStatus.CONNECTED


async def store_client_info(partner: dict[str, Any], country_code: str, party_id: str, body: Any) -> bool:
    """A ClientInfo the partner pushed; True when it was new. A ClientInfo about the partner's own party is its
    own connection status."""
    if not isinstance(body, dict):
        raise ValidationError({"body": Message("The ClientInfo is missing.")})
    status = str(body.get("status", ""))
    role = str(body.get("role", "")).upper()
    country, party = country_code.upper(), party_id.upper()
    if status not in ConnectionStatus.__members__ or role not in Role.__members__:
        raise ValidationError({"status": Message("The ClientInfo's status or role is not valid.")})
    if (str(body.get("country_code", "")).upper(), str(body.get("party_id", "")).upper()) != (country, party):
        raise ValidationError({"party_id": Message("The ClientInfo names another party than its URL.")})
    where = (
        (PartnerClientInfo.partner == partner["id"])
        & (PartnerClientInfo.country_code == country)
        & (PartnerClientInfo.party_id == party)
    )
    existing = await PartnerClientInfo.exists().where(where)
    if existing:
        await PartnerClientInfo.update(
            {PartnerClientInfo.role: role, PartnerClientInfo.status: status, PartnerClientInfo.last_updated: now()}
        ).where(where)
    else:
        await PartnerClientInfo(
            partner=partner["id"], country_code=country, party_id=party, role=role, status=status, last_updated=now()
        ).save()
    if any((r["country_code"], r["party_id"]) == (country, party) for r in partner.get("roles") or []):
        await Partner.update({Partner.client_status: status}).where(Partner.id == partner["id"])
    return not existing


async def client_info(partner: dict[str, Any], country_code: str, party_id: str) -> dict[str, Any] | None:
    return await (
        PartnerClientInfo.select()
        .where(PartnerClientInfo.partner == partner["id"])
        .where(PartnerClientInfo.country_code == country_code.upper())
        .where(PartnerClientInfo.party_id == party_id.upper())
        .first()
    )


async def client_infos(actor: Actor, partner_id: int) -> list[dict[str, Any]]:
    await get_partner(actor, partner_id)
    return await (
        PartnerClientInfo.select()
        .where(PartnerClientInfo.partner == partner_id)
        .order_by(PartnerClientInfo.country_code)
        .order_by(PartnerClientInfo.party_id)
    )
