"""Charging cards (Ladekarten): list and create."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Response, get, post

from core.access import cards
from core.errors import Message, ValidationError
from core.tenancy.permissions import Permission
from portal.auth import actor_of, requires
from portal.controllers.infra_common import (
    AnyRequest,
    done,
    field_errors,
    flash,
    form_error_status,
    form_of,
    page,
    raw_from_form,
)


def _context(rows: list[dict[str, Any]], search: str, **extra: Any) -> dict[str, Any]:
    return {"cards": rows, "search": search, "values": {"status": "ACTIVE"}, **extra}


class CardController(Controller):
    path = "/cards"
    guards = [requires(Permission.CARDS_VIEW)]

    @get("/", name="cards")
    async def index(self, request: AnyRequest, search: str = "") -> Response[str]:
        rows = await cards.list_cards(actor_of(request), search=search)
        return page(request, "cards/index.html", _context(rows, search))

    @post("/", guards=[requires(Permission.CARDS_MANAGE)])
    async def create(self, request: AnyRequest) -> Response[Any]:
        actor = actor_of(request)
        raw = raw_from_form(cards.CARD_SPEC, await form_of(request))
        try:
            await cards.create_card(actor, raw)
        except ValidationError as exc:
            rows = await cards.list_cards(actor)
            context = _context(rows, "", values=raw, errors=field_errors(exc), open_form=True)
            return page(request, "cards/index.html", context, status_code=form_error_status(request))
        flash(request, Message("Charging card created."))
        return done(request, "/cards")
