"""Payment terminals (Bezahlterminals): list, create, edit, the stations each serves, its sessions."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Response, get, post
from litestar.params import Parameter

from core.errors import Message, ValidationError
from core.payments import terminals
from core.tenancy.permissions import Permission
from portal.auth import actor_of, requires
from portal.controllers.infra_common import (
    AnyRequest,
    done,
    flash,
    form_error_status,
    form_of,
    form_values,
    history,
    page,
    parse_id,
    raw_from_form,
)

MANAGE = [requires(Permission.INFRASTRUCTURE_MANAGE)]
PAGE_SIZE = 25
FORM = "infrastructure/terminal_form.html"
STATIONS_FORM = "infrastructure/terminal_stations.html"


class TerminalController(Controller):
    path = "/infrastructure/terminals"
    guards = [requires(Permission.INFRASTRUCTURE_VIEW)]

    @get("/", name="infra_terminals")
    async def index(self, request: AnyRequest) -> Response[str]:
        rows = await terminals.list_terminals(actor_of(request))
        return page(request, "infrastructure/terminals.html", {"terminals": rows})

    @get("/new", guards=MANAGE)
    async def new(self, request: AnyRequest) -> Response[str]:
        defaults = {f.name: f.default for f in terminals.TERMINAL_SPEC.fields if f.default is not None}
        values = form_values(defaults, terminals.TERMINAL_SPEC)
        return page(request, FORM, {"values": values, "terminal": None, "models": terminals.MODELS})

    @post("/", guards=MANAGE)
    async def create(self, request: AnyRequest) -> Response[Any]:
        raw = raw_from_form(terminals.TERMINAL_SPEC, await form_of(request))
        try:
            terminal = await terminals.create_terminal(actor_of(request), raw)
        except ValidationError as exc:
            context = {"values": raw, "errors": exc.errors, "terminal": None, "models": terminals.MODELS}
            return page(request, FORM, context, status_code=form_error_status(request))
        flash(request, Message("The terminal was registered."))
        return done(request, f"/infrastructure/terminals/{terminal['id']}")

    @get("/{terminal_id:int}", name="infra_terminal")
    async def detail(
        self, request: AnyRequest, terminal_id: int, page_number: int = Parameter(query="page", default=1)
    ) -> Response[str]:
        actor = actor_of(request)
        terminal = await terminals.get_terminal(actor, terminal_id)
        page_number = max(page_number, 1)
        total = await terminals.count_sessions(actor, terminal_id)
        sessions = await terminals.sessions_of(
            actor, terminal_id, offset=(page_number - 1) * PAGE_SIZE, limit=PAGE_SIZE
        )
        context = {
            "terminal": terminal,
            "stations": await terminals.stations_of(actor, terminal_id),
            "sessions": sessions,
            "total": total,
            "page_number": page_number,
            "pages": max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1),
            "history": await history(actor, "terminal", terminal_id),
        }
        return page(request, "infrastructure/terminal_detail.html", context)

    @get("/{terminal_id:int}/edit", guards=MANAGE)
    async def edit(self, request: AnyRequest, terminal_id: int) -> Response[str]:
        terminal = await terminals.get_terminal(actor_of(request), terminal_id)
        values = form_values(terminal, terminals.TERMINAL_SPEC)
        return page(request, FORM, {"values": values, "terminal": terminal, "models": terminals.MODELS})

    @post("/{terminal_id:int}", guards=MANAGE)
    async def update(self, request: AnyRequest, terminal_id: int) -> Response[Any]:
        actor = actor_of(request)
        terminal = await terminals.get_terminal(actor, terminal_id)
        raw = raw_from_form(terminals.TERMINAL_SPEC, await form_of(request))
        try:
            await terminals.update_terminal(actor, terminal_id, raw)
        except ValidationError as exc:
            context = {"values": raw, "errors": exc.errors, "terminal": terminal, "models": terminals.MODELS}
            return page(request, FORM, context, status_code=form_error_status(request))
        flash(request, Message("The changes were saved."))
        return done(request, f"/infrastructure/terminals/{terminal_id}")

    @get("/{terminal_id:int}/remove", guards=MANAGE)
    async def confirm_remove(self, request: AnyRequest, terminal_id: int) -> Response[str]:
        actor = actor_of(request)
        terminal = await terminals.get_terminal(actor, terminal_id)
        context = {"terminal": terminal, "has_sessions": await terminals.has_sessions(terminal)}
        return page(request, "infrastructure/terminal_remove.html", context)

    @post("/{terminal_id:int}/remove", guards=MANAGE)
    async def remove(self, request: AnyRequest, terminal_id: int) -> Response[Any]:
        outcome = await terminals.remove_terminal(actor_of(request), terminal_id)
        if outcome == "deleted":
            flash(request, Message("The terminal was deleted."))
            return done(request, "/infrastructure/terminals")
        flash(request, Message("The terminal was deactivated: its sessions stay in the charging data."))
        return done(request, f"/infrastructure/terminals/{terminal_id}")

    @get("/{terminal_id:int}/stations", guards=MANAGE)
    async def stations(self, request: AnyRequest, terminal_id: int) -> Response[str]:
        actor = actor_of(request)
        terminal = await terminals.get_terminal(actor, terminal_id)
        chosen = {s["id"] for s in await terminals.stations_of(actor, terminal_id)}
        return page(request, STATIONS_FORM, await self._stations_context(request, terminal, chosen))

    @post("/{terminal_id:int}/stations", guards=MANAGE)
    async def save_stations(self, request: AnyRequest, terminal_id: int) -> Response[Any]:
        actor = actor_of(request)
        terminal = await terminals.get_terminal(actor, terminal_id)
        form = await form_of(request)
        ids = [parse_id(v) for v in form.getall("station", [])]
        chosen = {i if i is not None else -1 for i in ids}  # a value that is no id is an unknown station
        try:
            await terminals.set_stations(actor, terminal_id, chosen)
        except ValidationError as exc:
            context = await self._stations_context(request, terminal, chosen, exc.errors)
            return page(request, STATIONS_FORM, context, status_code=form_error_status(request))
        flash(request, Message("The changes were saved."))
        return done(request, f"/infrastructure/terminals/{terminal_id}")

    @staticmethod
    async def _stations_context(
        request: AnyRequest, terminal: dict[str, Any], chosen: set[int], errors: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        candidates = await terminals.candidate_stations(actor_of(request), terminal)
        return {
            "terminal": terminal,
            "candidates": candidates,
            "chosen": chosen,
            "errors": errors or {},
            "max_stations": terminals.MAX_STATIONS,
        }
