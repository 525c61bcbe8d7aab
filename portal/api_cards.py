"""REST API: charging cards (``GET``/``POST /api/v1/cards``), described by core.cards.CARD_SPEC."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, get, post

from core import cards
from core.permissions import Permission
from portal.auth import actor_of, requires

CardInput = cards.CARD_SPEC.struct("CardInput")


def _public(card: dict[str, Any]) -> dict[str, Any]:
    return {key: card[key] for key in ("id", "uid", "label", "visual_number", "status", "valid_until", "owner_note",
                                       "created_at", "updated_at")}  # fmt: skip


class CardApiController(Controller):
    path = "/api/v1/cards"
    tags = ["Charging cards"]

    @get("/", guards=[requires(Permission.INFRASTRUCTURE_VIEW)], summary="List charging cards")
    async def list_cards(self, request: Request[Any, Any, Any], search: str = "") -> list[dict[str, Any]]:
        return [_public(card) for card in await cards.list_cards(actor_of(request), search=search)]

    @post("/", guards=[requires(Permission.INFRASTRUCTURE_MANAGE)], summary="Create a charging card")
    async def create_card(self, request: Request[Any, Any, Any], data: CardInput) -> dict[str, Any]:  # type: ignore[valid-type]
        raw = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not None}
        return _public(await cards.create_card(actor_of(request), raw))
