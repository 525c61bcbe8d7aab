"""Community charging for CPO staff (issue 15): the communities, their members (invite by e-mail, resend, cards,
remove), a member's sessions, and the monthly statements and credit notes with a printable page each.

Rules in core.community; permissions: viewing needs driver_groups.view (a community is a driver group), every
change driver_groups.manage, a member's sessions sessions.view as well (tests/integration/route_permissions.py).
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Response, get, post

from core.access import driver_groups
from core.community import communities, statements
from core.errors import Conflict, Message, ValidationError
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
    parse_id,
)

MANAGE = [requires(Permission.DRIVER_GROUPS_MANAGE)]
SESSIONS = [requires(Permission.SESSIONS_VIEW)]


def _url(community_id: int) -> str:
    return f"/communities/{community_id}"


def _form_values(form: Any, *names: str) -> dict[str, str]:
    return {name: str(form.get(name, "")).strip()[:20_000] for name in names}


async def _index_page(request: AnyRequest, *, values: dict[str, Any] | None = None,
                      errors: dict[str, Message] | None = None, status_code: int = 200) -> Response[str]:  # fmt: skip
    actor = actor_of(request)
    context = {
        "communities": await communities.list_communities(actor), "values": values or {}, "errors": errors or {},
        **await driver_groups.choices(actor),
    }  # fmt: skip
    return page(request, "communities/index.html", context, status_code=status_code)


async def _detail_page(request: AnyRequest, community_id: int, *, values: dict[str, Any] | None = None,
                       errors: dict[str, Message] | None = None, status_code: int = 200) -> Response[str]:  # fmt: skip
    actor = actor_of(request)
    community = await communities.get_community(actor, community_id)
    context: dict[str, Any] = {
        "community": community,
        "members": await communities.list_members(actor, community_id),
        "statements": await statements.list_statements(actor, community_id),
        "credit_notes": await statements.list_credit_notes(actor, community_id),
        "status_labels": communities.STATUS_LABELS,
        "values": {"name": community["name"], "tariff_id": community["tariff_id"] or "", **(values or {})},
        "errors": errors or {},
        **await driver_groups.choices(actor),
    }
    if actor.can(Permission.DRIVER_GROUPS_MANAGE):
        context["assignable_cards"] = await communities.assignable_cards(actor, community_id)
    return page(request, "communities/detail.html", context, status_code=status_code)


class CommunityController(Controller):
    path = "/communities"
    guards = [requires(Permission.DRIVER_GROUPS_VIEW)]

    @get("/", name="communities")
    async def index(self, request: AnyRequest) -> Response[str]:
        return await _index_page(request)

    @post("/", guards=MANAGE)
    async def create(self, request: AnyRequest) -> Response[Any]:
        values = _form_values(await form_of(request), "name", "tariff_id")
        try:
            community = await communities.create_community(actor_of(request), values)
        except ValidationError as exc:
            return await _index_page(request, values=values, errors=field_errors(exc),
                                     status_code=form_error_status(request))  # fmt: skip
        flash(request, Message("Community %(name)s created.", {"name": community["name"]}))
        return done(request, _url(community["id"]))

    @get("/{community_id:int}")
    async def detail(self, request: AnyRequest, community_id: int) -> Response[str]:
        return await _detail_page(request, community_id)

    @post("/{community_id:int}", guards=MANAGE)
    async def update(self, request: AnyRequest, community_id: int) -> Response[Any]:
        values = _form_values(await form_of(request), "name", "tariff_id")
        try:
            await communities.update_community(actor_of(request), community_id, values)
        except ValidationError as exc:
            return await _detail_page(request, community_id, values=values, errors=field_errors(exc),
                                      status_code=form_error_status(request))  # fmt: skip
        flash(request, Message("Community saved."))
        return done(request, _url(community_id))

    @post("/{community_id:int}/invite", guards=MANAGE)
    async def invite(self, request: AnyRequest, community_id: int) -> Response[Any]:
        values = _form_values(await form_of(request), "emails", "language")
        try:
            result = await communities.invite(actor_of(request), community_id, values["emails"], values["language"])
        except ValidationError as exc:
            return await _detail_page(request, community_id, values=values, errors=field_errors(exc),
                                      status_code=form_error_status(request))  # fmt: skip
        except Conflict as exc:
            flash(request, exc.message, kind="error")
            return done(request, _url(community_id))
        params = {"count": len(result["invited"]), "skipped": len(result["skipped"])}
        flash(request, Message("%(count)s invited, %(skipped)s already members.", params))
        return done(request, _url(community_id))

    @post("/{community_id:int}/members/{member_id:int}/resend", guards=MANAGE)
    async def resend(self, request: AnyRequest, community_id: int, member_id: int) -> Response[Any]:
        try:
            await communities.resend_invitation(actor_of(request), community_id, member_id)
        except Conflict as exc:
            flash(request, exc.message, kind="error")
        else:
            flash(request, Message("Invitation sent again."))
        return done(request, _url(community_id))

    @post("/{community_id:int}/members/{member_id:int}/remove", guards=MANAGE)
    async def remove(self, request: AnyRequest, community_id: int, member_id: int) -> Response[Any]:
        await communities.remove_member(actor_of(request), community_id, member_id)
        flash(request, Message("Member removed: its links and its cards no longer work in the community."))
        return done(request, _url(community_id))

    @post("/{community_id:int}/members/{member_id:int}/cards", guards=MANAGE)
    async def assign_card(self, request: AnyRequest, community_id: int, member_id: int) -> Response[Any]:
        actor = actor_of(request)
        await communities.get_member(actor, community_id, member_id)  # another tenant's: 404 before anything else
        card_id = parse_id((await form_of(request)).get("card_id"))
        try:
            if card_id is None:
                raise ValidationError({"card_id": Message("Choose a charging card.")})
            await communities.assign_card(actor, community_id, member_id, card_id)
        except (Conflict, ValidationError) as exc:
            flash(request, exc.message, kind="error")
        else:
            flash(request, Message("Charging card added."))
        return done(request, _url(community_id))

    @post("/{community_id:int}/members/{member_id:int}/cards/{card_id:int}/remove", guards=MANAGE)
    async def unassign_card(
        self, request: AnyRequest, community_id: int, member_id: int, card_id: int
    ) -> Response[Any]:
        await communities.unassign_card(actor_of(request), community_id, member_id, card_id)
        flash(request, Message("Charging card removed from the group."))
        return done(request, _url(community_id))

    @get("/{community_id:int}/members/{member_id:int}", guards=SESSIONS)
    async def member(self, request: AnyRequest, community_id: int, member_id: int) -> Response[str]:
        actor = actor_of(request)
        context = {
            "community": await communities.get_community(actor, community_id),
            "member": await communities.get_member(actor, community_id, member_id),
            "sessions": await statements.staff_member_sessions(actor, community_id, member_id),
            "status_labels": communities.STATUS_LABELS,
        }  # fmt: skip
        return page(request, "communities/member.html", context)

    @get("/{community_id:int}/statements/{statement_id:int}")
    async def statement(self, request: AnyRequest, community_id: int, statement_id: int) -> Response[str]:
        found = await statements.get_statement(actor_of(request), community_id, statement_id)
        return page(request, "communities/statement.html", {"statement": found, "back": _url(community_id)})

    @get("/{community_id:int}/credit-notes/{note_id:int}")
    async def credit_note(self, request: AnyRequest, community_id: int, note_id: int) -> Response[str]:
        note = await statements.get_credit_note(actor_of(request), community_id, note_id)
        return page(request, "communities/credit_note.html", {"note": note, "back": _url(community_id)})
