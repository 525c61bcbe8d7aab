"""REST API: charging cards (``GET``/``POST /api/v1/cards``), described by core.access.cards.CARD_SPEC.

A card's driver group is ``driver_group_id``; ``PATCH /api/v1/cards/{id}`` with ``{"driver_group_id": n}`` moves
the card into a group (``null`` takes it out), with the rules of core.access.driver_groups.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, get, patch, post

from core.access import cards, driver_groups
from core.tenancy.permissions import Permission
from portal.api.common import Id
from portal.auth import actor_of, requires

CardInput = cards.CARD_SPEC.struct("CardInput")


# Moving a card into a driver group changes the group and answers with the card, owner note included.
MOVE = [requires(Permission.CARDS_VIEW, Permission.DRIVER_GROUPS_VIEW, Permission.DRIVER_GROUPS_MANAGE)]


class CardPatch(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    driver_group_id: Id | None


def _public(card: dict[str, Any]) -> dict[str, Any]:
    data = {key: card[key] for key in ("id", "uid", "label", "visual_number", "status", "valid_until", "owner_note",
                                       "created_at", "updated_at")}  # fmt: skip
    data["driver_group_id"] = card.get("driver_group")
    return data


class CardApiController(Controller):
    path = "/api/v1/cards"
    tags = ["Charging cards"]

    @get("/", guards=[requires(Permission.CARDS_VIEW)], summary="List charging cards")
    async def list_cards(self, request: Request[Any, Any, Any], search: str = "") -> list[dict[str, Any]]:
        return [_public(card) for card in await cards.list_cards(actor_of(request), search=search)]

    @post("/", guards=[requires(Permission.CARDS_VIEW, Permission.CARDS_MANAGE)], summary="Create a charging card")
    async def create_card(self, request: Request[Any, Any, Any], data: CardInput) -> dict[str, Any]:  # type: ignore[valid-type]
        raw = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not None}
        return _public(await cards.create_card(actor_of(request), raw))

    @get("/{card_id:int}", guards=[requires(Permission.CARDS_VIEW)], summary="Get a charging card")
    async def get_card(self, request: Request[Any, Any, Any], card_id: int) -> dict[str, Any]:
        return _public(await cards.get_card(actor_of(request), card_id))

    @patch("/{card_id:int}", guards=MOVE,
           summary="Move a charging card into a driver group (null: out of its group)")
    async def update_card(self, request: Request[Any, Any, Any], card_id: int, data: CardPatch) -> dict[str, Any]:
        actor = actor_of(request)
        await driver_groups.set_card_group(actor, card_id, data.driver_group_id)
        return _public(await cards.get_card(actor, card_id))
