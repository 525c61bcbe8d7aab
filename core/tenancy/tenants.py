"""Tenants (Mandanten): CPOs, EMPs and resellers with their sub-CPOs, and which tenants an actor sees."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Any

from core.errors import Conflict, Message, NotFound, ValidationError
from core.tenancy.actor import Actor
from core.tenancy.tables import Tenant
from core.validation import Field, FormSpec


class TenantKind(StrEnum):
    CPO = "CPO"
    EMP = "EMP"
    RESELLER = "RESELLER"
    # The installation's roaming hub operator: owns the hub node's own OCPI party and the connections to external
    # roaming platforms (core.roaming). One per installation, made by `csms tenant create --kind HUB` or the demo.
    HUB = "HUB"


class ResellerModel(StrEnum):
    """How a reseller's sub-CPOs are billed (seed 003)."""

    RESELLER = "RESELLER"  # the reseller bills its sub-CPOs itself, from a usage export
    AFFILIATE = "AFFILIATE"  # the platform bills each sub-CPO; the reseller earns commission on their roaming revenue


def operates_stations(kind: str) -> bool:
    """An EMP tenant has drivers and an OCPI connection, no stations: the station areas (infrastructure, cards,
    driver groups, charging data, tariffs, operations) would only ever be empty for it."""
    return kind != TenantKind.EMP


GERMAN_SPEAKING = {"DE", "AT", "CH", "LI", "LU"}
LANGUAGES = ("de", "en")


def tenant_language(tenant: dict[str, Any]) -> str:
    """German by default for tenants in DE, AT, CH (and LI, LU); English elsewhere."""
    if tenant.get("language") in LANGUAGES:
        return str(tenant["language"])
    return "de" if tenant.get("country_code", "").upper() in GERMAN_SPEAKING else "en"


# Where a tenant's staff live, by its country: local times in exports (a country with several zones takes its
# capital's). Elsewhere UTC, which is at least never wrong about what it is.
_TIME_ZONES = {
    "DE": "Europe/Berlin", "AT": "Europe/Vienna", "CH": "Europe/Zurich", "LI": "Europe/Vaduz",
    "LU": "Europe/Luxembourg", "NL": "Europe/Amsterdam", "BE": "Europe/Brussels", "FR": "Europe/Paris",
    "IT": "Europe/Rome", "PL": "Europe/Warsaw", "CZ": "Europe/Prague", "DK": "Europe/Copenhagen",
    "GB": "Europe/London", "ES": "Europe/Madrid",
}  # fmt: skip


def tenant_time_zone(tenant: dict[str, Any]) -> str:
    """The IANA time zone a tenant's people read times in (by its country)."""
    return _TIME_ZONES.get(str(tenant.get("country_code") or "").upper(), "UTC")


TENANT_SPEC = FormSpec(
    "tenant",
    (
        Field("slug", required=True, max_length=40, pattern=r"[a-z0-9][a-z0-9-]{1,39}"),
        Field("name", required=True, max_length=200),
        Field("kind", kind="choice", choices=tuple(TenantKind), default="CPO"),
        Field("country_code", required=True, max_length=2, pattern=r"[A-Z]{2}"),
        Field("party_id", max_length=3, pattern=r"[A-Z0-9]{3}"),
        Field("currency", max_length=3, pattern=r"[A-Z]{3}", default="EUR"),
        Field("vat_rate", kind="decimal", min_value=0, max_value=100),
    ),
)


async def tenant_scope(tenant_id: int) -> tuple[str, frozenset[int]]:
    """The tenant's kind and the tenants it sees: itself, and for a reseller also its sub-CPOs."""
    tenant = await Tenant.select(Tenant.id, Tenant.kind).where(Tenant.id == tenant_id).first()
    if tenant is None:
        return "", frozenset()
    ids = {tenant_id}
    if tenant["kind"] == TenantKind.RESELLER:
        children = await Tenant.select(Tenant.id).where(Tenant.parent == tenant_id)
        ids.update(row["id"] for row in children)
    return str(tenant["kind"]), frozenset(ids)


async def visible_tenant_ids(tenant_id: int) -> frozenset[int]:
    """A tenant sees itself; a reseller also sees its sub-CPOs."""
    return (await tenant_scope(tenant_id))[1]


async def get_tenant(tenant_id: int) -> dict[str, Any]:
    row = await Tenant.select().where(Tenant.id == tenant_id).first()
    if row is None:
        raise NotFound("tenant")
    return row


async def get_tenant_by_slug(slug: str) -> dict[str, Any]:
    row = await Tenant.select().where(Tenant.slug == slug).first()
    if row is None:
        raise NotFound("tenant")
    return row


async def create_tenant(raw: dict[str, Any], parent_id: int | None = None) -> dict[str, Any]:
    data = TENANT_SPEC.parse(raw)
    data["slug"] = data["slug"].lower()
    if await Tenant.exists().where(Tenant.slug == data["slug"]):
        raise ValidationError({"slug": Message("This slug is taken.")})
    if data.get("vat_rate") is None:
        data.pop("vat_rate", None)
    tenant = Tenant(**data, parent=parent_id)
    await tenant.save()
    return await Tenant.select().where(Tenant.id == tenant.id).first()  # type: ignore[return-value]


async def sub_tenants(actor: Actor) -> list[dict[str, Any]]:
    return await Tenant.select().where(Tenant.id.is_in(actor.scope)).order_by(Tenant.name)


async def ensure_unique_slug(slug: str) -> None:
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]{1,39}", slug):
        raise ValidationError({"slug": Message("The format is not valid.")})
    if await Tenant.exists().where(Tenant.slug == slug):
        raise Conflict(Message("This slug is taken."))
