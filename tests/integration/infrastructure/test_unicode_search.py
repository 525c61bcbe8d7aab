"""Searches ignore case for every alphabet on both databases: SQLite's own LOWER() and LIKE fold only ASCII, so
embedded mode did not find "MÜNCHEN" for "münchen" (core.piccolo_conf registers Unicode-aware versions)."""

from __future__ import annotations

import uuid

from core.access import cards
from core.infrastructure import overview
from core.infrastructure.overview import OverviewQuery
from tests.integration.overview.helpers import add_charge_point
from tests.support import TenantCtx


async def test_overview_finds_non_ascii_names_in_any_case(cpo: TenantCtx) -> None:
    tag = uuid.uuid4().hex[:6].upper()
    cp = await add_charge_point(cpo, city="ÜBERLINGEN", address="GROẞE STRAẞE 1", location_name=f"ÄRZTEHAUS {tag}")
    ids = {cp["id"]}

    async def found(**filters: str) -> set[int]:
        return {row["id"] for row in await overview.rows(cpo.actor, OverviewQuery(per_page=200, **filters))}  # type: ignore[arg-type]

    assert await found(search=f"ärztehaus {tag.lower()}") == ids
    assert await found(search=f"Ärztehaus {tag}") == ids
    assert ids <= await found(city="überl")
    assert ids <= await found(street="große straße")


async def test_card_label_search_ignores_case_of_umlauts(cpo: TenantCtx) -> None:
    uid = uuid.uuid4().hex[:8].upper()
    await cards.create_card(cpo.actor, {"uid": uid, "label": "Fuhrpark MÜNCHEN Süd"})
    assert [c["uid"] for c in await cards.list_cards(cpo.actor, search="münchen süd")] == [uid]
    assert [c["uid"] for c in await cards.list_cards(cpo.actor, search="FUHRPARK MÜNCHEN SÜD")] == [uid]
