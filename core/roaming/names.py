"""How a roaming partner is named to a CPO's staff (charging data, settlement): an EMP partner by its EMP tenant and
party ("Stromer Mobility (DE*EMQ)"), a platform by the name its connection was given."""

from __future__ import annotations

from collections.abc import Iterable

from core.charging.tables import ChargingSession
from core.roaming.tables import Partner
from core.tenancy.actor import Actor


async def partner_names(partner_ids: Iterable[int | None]) -> dict[int, str]:
    ids = sorted({int(i) for i in partner_ids if i is not None})
    if not ids:
        return {}
    rows = await Partner.select(
        Partner.id, Partner.kind, Partner.name, Partner.tenant.name.as_alias("tenant_name"),
        Partner.tenant.country_code.as_alias("country_code"), Partner.tenant.party_id.as_alias("party_id"),
    ).where(Partner.id.is_in(ids))  # fmt: skip
    return {
        row["id"]: f"{row['tenant_name']} ({row['country_code']}*{row['party_id']})" if row["kind"] == "EMP"
        else str(row["name"])
        for row in rows
    }  # fmt: skip


async def partners_charged(actor: Actor) -> dict[int, str]:
    """The partners whose tokens charged at the actor's tenants' stations, by name (the charging data filter)."""
    rows = await ChargingSession.select(ChargingSession.roaming_partner_id).where(
        ChargingSession.tenant.is_in(actor.scope) & ChargingSession.roaming_partner_id.is_not_null()
    ).distinct()
    return dict(sorted((await partner_names(r["roaming_partner_id"] for r in rows)).items(), key=lambda kv: kv[1]))


