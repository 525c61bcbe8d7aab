"""The own profile: every logged-in user changes their name, language and password here, and sees and ends
their portal sessions."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Response, get, post

from core.errors import Message, ValidationError
from core.tenancy import staff_sessions, users
from core.tenancy.tenants import LANGUAGES
from core.tenancy.users import PROFILE_SPEC
from portal import user_agents
from portal.auth import actor_of, requires
from portal.controllers.infra_common import (
    AnyRequest,
    done,
    flash,
    form_error_status,
    form_of,
    form_values,
    page,
    raw_from_form,
)


async def _page(
    request: AnyRequest, values: dict[str, Any] | None = None, status_code: int = 200, **extra: Any
) -> Response[str]:
    """The profile page; ``values``: what the user typed into the personal data form (None: as stored)."""
    actor = actor_of(request)
    user = await users.get_profile(actor)
    sessions = await staff_sessions.list_own(actor)
    for session in sessions:
        session["browser"] = user_agents.describe(session["user_agent"])
    context = {
        "profile": user, "values": form_values(user, PROFILE_SPEC) if values is None else values, "errors": {},
        "languages": LANGUAGES, "areas": users.permission_areas(), "sessions": sessions, **extra,
    }  # fmt: skip
    return page(request, "users/profile.html", context, status_code=status_code)


class ProfileController(Controller):
    """No permission switch: the login alone is enough, and core only ever touches the acting user."""

    path = "/profile"
    guards = [requires()]

    @get("/", name="profile")
    async def show(self, request: AnyRequest) -> Response[str]:
        return await _page(request)

    @post("/")
    async def update(self, request: AnyRequest) -> Response[Any]:
        actor = actor_of(request)
        raw = raw_from_form(PROFILE_SPEC, await form_of(request))
        try:
            user = await users.update_profile(actor, raw)
        except ValidationError as exc:
            return await _page(request, raw, form_error_status(request), errors=exc.errors)
        # The language chosen here wins over an earlier switch in the header (which lives in the session).
        session = dict(request.session or {})
        session["lang"] = user["language"] or None
        request.set_session(session)
        flash(request, Message("Your profile was saved."))
        return done(request, "/profile")

    @post("/password")
    async def change_password(self, request: AnyRequest) -> Response[Any]:
        actor = actor_of(request)
        form = await form_of(request)
        try:
            await users.change_own_password(
                actor,
                str(form.get("current_password", "")),
                str(form.get("new_password", "")),
                str(form.get("repeat_password", "")),
            )
        except ValidationError as exc:
            status = form_error_status(request)
            return await _page(request, None, status, password_errors=exc.errors)
        flash(request, Message("Your password was changed. Your other sessions have ended."))
        return done(request, "/profile")

    @post("/sessions/{portal_session_id:int}/end")
    async def end_session(self, request: AnyRequest, portal_session_id: int) -> Response[Any]:
        await staff_sessions.end_own(actor_of(request), portal_session_id)
        flash(request, Message("The session was ended."))
        return done(request, "/profile")

    @post("/sessions/end-others")
    async def end_other_sessions(self, request: AnyRequest) -> Response[Any]:
        await staff_sessions.end_others(actor_of(request))
        flash(request, Message("Your other sessions were ended."))
        return done(request, "/profile")
