"""REST API: charging cards (``GET``/``POST /api/v1/cards``), described by core.access.cards.CARD_SPEC.

A card's driver group is ``driver_group_id``; ``POST /api/v1/cards`` may name it to create the card in that group,
and ``PATCH /api/v1/cards/{id}`` with ``{"driver_group_id": n}`` moves the card into a group (``null`` takes it out),
with the rules of core.access.driver_groups (the tenant's own active groups that hold cards; choosing one needs
``driver_groups.manage``). ``POST /api/v1/cards/bulk`` creates many cards at once, all or nothing, with the rules of
the portal's list import (core.access.cards.create_cards).
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


class CardCreate(CardInput, kw_only=True, forbid_unknown_fields=True):  # type: ignore[valid-type, misc, call-arg]
    driver_group_id: Id | None = None  # the driver group the card joins (null: none)


class CardBulk(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    cards: list[CardInput]  # type: ignore[valid-type]
    driver_group_id: Id | None = None  # the driver group every card joins (null: none)


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
    async def create_card(self, request: Request[Any, Any, Any], data: CardCreate) -> dict[str, Any]:
        raw = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not None}
        group = raw.pop("driver_group_id", None)
        return _public(await cards.create_card(actor_of(request), raw, group))

    @post("/bulk", guards=[requires(Permission.CARDS_VIEW, Permission.CARDS_MANAGE)],
          summary="Create many charging cards at once (all or nothing)")  # fmt: skip
    async def create_cards(self, request: Request[Any, Any, Any], data: CardBulk) -> list[dict[str, Any]]:
        rows = [{k: v for k, v in msgspec.structs.asdict(card).items() if v is not None} for card in data.cards]
        return [_public(card) for card in await cards.create_cards(actor_of(request), rows, data.driver_group_id)]

    @get("/{card_id:int}", guards=[requires(Permission.CARDS_VIEW)], summary="Get a charging card")
    async def get_card(self, request: Request[Any, Any, Any], card_id: int) -> dict[str, Any]:
        return _public(await cards.get_card(actor_of(request), card_id))

    @patch("/{card_id:int}", guards=MOVE, summary="Move a charging card into a driver group (null: out of its group)")
    async def update_card(self, request: Request[Any, Any, Any], card_id: int, data: CardPatch) -> dict[str, Any]:
        actor = actor_of(request)
        await driver_groups.set_card_group(actor, card_id, data.driver_group_id)
        return _public(await cards.get_card(actor, card_id))
