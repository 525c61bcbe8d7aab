"""The own profile: every logged-in user changes their name, language and password here."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Response, get, post

from core.errors import Message, ValidationError
from core.tenancy import logins, users
from core.tenancy.tenants import LANGUAGES
from core.tenancy.users import PROFILE_SPEC
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


def _context(user: dict[str, Any], values: dict[str, Any], errors: dict[str, Any], **extra: Any) -> dict[str, Any]:
    areas = users.permission_areas()
    return {"profile": user, "values": values, "errors": errors, "languages": LANGUAGES, "areas": areas, **extra}


class ProfileController(Controller):
    """No permission switch: the login alone is enough, and core only ever touches the acting user."""

    path = "/profile"
    guards = [requires()]

    @get("/", name="profile")
    async def show(self, request: AnyRequest) -> Response[str]:
        user = await users.get_profile(actor_of(request))
        return page(request, "users/profile.html", _context(user, form_values(user, PROFILE_SPEC), {}))

    @post("/")
    async def update(self, request: AnyRequest) -> Response[Any]:
        actor = actor_of(request)
        raw = raw_from_form(PROFILE_SPEC, await form_of(request))
        try:
            user = await users.update_profile(actor, raw)
        except ValidationError as exc:
            current = await users.get_profile(actor)
            context = _context(current, raw, exc.errors)
            return page(request, "users/profile.html", context, status_code=form_error_status(request))
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
            user = await users.get_profile(actor)
            context = _context(user, form_values(user, PROFILE_SPEC), {}, password_errors=exc.errors)
            return page(request, "users/profile.html", context, status_code=form_error_status(request))
        # Other sessions of this user end with the old password; this one carries on with the new stamp.
        session = dict(request.session or {})
        me = await logins.get_user(actor.user_id or 0)
        if me is not None:
            session["stamp"] = logins.session_stamp(me)
            request.set_session(session)
        flash(request, Message("Your password was changed."))
        return done(request, "/profile")
