"""Charging cards (Ladekarten): list, create one, and create many at once from a pasted list or a CSV file, each
optionally straight into a driver group. Rules live in core.access.cards."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Response, get, post
from litestar.datastructures import UploadFile

from core.access import cards, driver_groups
from core.errors import Message, ValidationError
from core.infrastructure.bulk_import import decode
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

MANAGE = [requires(Permission.CARDS_MANAGE)]
MAX_FILE_BYTES = 512 * 1024  # a thousand cards with long notes fit many times


async def _context(request: AnyRequest, search: str = "", **extra: Any) -> dict[str, Any]:
    actor = actor_of(request)
    rows = await cards.list_cards(actor, search=search)
    groups = await driver_groups.groups_for_new_cards(actor)
    return {"cards": rows, "search": search, "values": {"status": "ACTIVE"}, "groups": groups, **extra}


async def _import_page(request: AnyRequest, values: dict[str, Any], errors: dict[str, Message] | None = None,
                       result: cards.BulkResult | None = None) -> Response[str]:  # fmt: skip
    context = {
        "values": values, "errors": errors or {}, "result": result, "max_lines": cards.MAX_BULK_LINES,
        "groups": await driver_groups.groups_for_new_cards(actor_of(request)), "outcomes": cards.BulkOutcome,
        "outcome_labels": cards.OUTCOME_LABELS, "field_labels": cards.FIELD_LABELS,
    }  # fmt: skip
    status_code = form_error_status(request) if errors else 200
    return page(request, "cards/import.html", context, status_code=status_code)


async def _pasted_or_uploaded(form: Any) -> str:
    """The CSV file when one was chosen, else the pasted text."""
    upload = form.get("file")
    if isinstance(upload, UploadFile) and upload.filename:
        data = await upload.read(MAX_FILE_BYTES + 1)
        if len(data) > MAX_FILE_BYTES:
            too_large = Message("The file is larger than %(max)s kB.", {"max": MAX_FILE_BYTES // 1024})
            raise ValidationError({"file": too_large})
        return decode(data)
    return str(form.get("cards", ""))


class CardController(Controller):
    path = "/cards"
    guards = [requires(Permission.CARDS_VIEW)]

    @get("/", name="cards")
    async def index(self, request: AnyRequest, search: str = "") -> Response[str]:
        return page(request, "cards/index.html", await _context(request, search))

    @post("/", guards=MANAGE)
    async def create(self, request: AnyRequest) -> Response[Any]:
        form = await form_of(request)
        raw = raw_from_form(cards.CARD_SPEC, form)
        group = form.get("driver_group_id")
        try:
            await cards.create_card(actor_of(request), raw, group)
        except ValidationError as exc:
            values = {**raw, "driver_group_id": group}
            context = await _context(request, values=values, errors=field_errors(exc), open_form=True)
            return page(request, "cards/index.html", context, status_code=form_error_status(request))
        flash(request, Message("Charging card created."))
        return done(request, "/cards")

    @get("/import", guards=MANAGE)
    async def import_form(self, request: AnyRequest, driver_group_id: str = "") -> Response[str]:
        return await _import_page(request, {"driver_group_id": driver_group_id})

    @post("/import", guards=MANAGE)
    async def import_cards(self, request: AnyRequest) -> Response[str]:
        """Checks (``check``) or creates the listed cards and shows every line's outcome."""
        form = await form_of(request)
        values = {"cards": str(form.get("cards", "")), "driver_group_id": str(form.get("driver_group_id", ""))}
        try:
            text = await _pasted_or_uploaded(form)
            result = await cards.import_cards(actor_of(request), text, values["driver_group_id"],
                                              save=form.get("check") is None)  # fmt: skip
        except ValidationError as exc:
            return await _import_page(request, values, field_errors(exc))
        # Checked: the list (a file's too) stays in the form to be created; created: the form is free again.
        values["cards"] = "" if result.saved else text
        return await _import_page(request, values, result=result)
