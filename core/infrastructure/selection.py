"""The advanced overview's selection: the charge points a staff user has ticked, kept on the server per user and
tenant, so that it survives filtering, paging and reloads, and the bulk actions (tariff assignment, commands) act on
exactly what was ticked. Only charge points of the actor's tenants are ever stored or returned."""

from __future__ import annotations

from core.infrastructure import overview
from core.infrastructure.overview import OverviewQuery
from core.infrastructure.tables import ChargePoint
from core.tenancy import preferences
from core.tenancy.actor import Actor
from core.tenancy.permissions import Permission

MAX_SELECTION = 10_000  # "select all results" of a large fleet stays one small JSON value


def _key(actor: Actor) -> str:
    return f"overview_selection:{actor.tenant_id}"


async def _visible(actor: Actor, ids: set[int]) -> list[int]:
    """``ids`` without charge points of other tenants, decommissioned or deleted ones."""
    if not ids:
        return []
    rows = await ChargePoint.select(ChargePoint.id).where(
        ChargePoint.id.is_in(sorted(ids)),
        ChargePoint.tenant.is_in(actor.scope),
        ChargePoint.decommissioned_at.is_null(),
    )
    return sorted(int(r["id"]) for r in rows)


async def selected_ids(actor: Actor) -> list[int]:
    actor.require(Permission.INFRASTRUCTURE_VIEW)
    stored = await preferences.load(actor, _key(actor))
    ids = {int(i) for i in stored if isinstance(i, int)} if isinstance(stored, list) else set()
    return await _visible(actor, ids)


async def _store(actor: Actor, current: list[int], wanted: set[int]) -> list[int]:
    """Saves ``wanted`` (what of it the actor may see); a post that changes nothing writes nothing."""
    kept = (await _visible(actor, wanted))[:MAX_SELECTION]
    if kept != current:
        await preferences.save(actor, _key(actor), kept)
    return kept


async def change(actor: Actor, ids: list[int], *, selected: bool) -> list[int]:
    """Ticks (``selected``) or unticks charge points; returns the whole selection."""
    current = await selected_ids(actor)
    return await _store(actor, current, set(current) | set(ids) if selected else set(current) - set(ids))


async def select_all(actor: Actor, q: OverviewQuery) -> list[int]:
    """Adds every result of the overview's filters, on every page."""
    current = await selected_ids(actor)
    return await _store(actor, current, set(current) | set(await overview.matching_ids(actor, q, MAX_SELECTION)))


async def clear(actor: Actor) -> None:
    actor.require(Permission.INFRASTRUCTURE_VIEW)
    await preferences.save(actor, _key(actor), [])
