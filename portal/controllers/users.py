"""User management (Benutzerverwaltung): staff users and user groups with their permission switches."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Response, get, post

from core.errors import Message, ValidationError
from core.tenancy import tenants
from core.tenancy import users as tenancy_users
from core.tenancy.actor import Actor
from core.tenancy.permissions import Permission
from core.tenancy.tenants import LANGUAGES
from core.tenancy.users import GROUP_SPEC, USER_SPEC
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
from portal.templating import render

MANAGE_USERS = [requires(Permission.USERS_MANAGE)]


async def _tenant_choices(actor: Actor) -> list[dict[str, Any]]:
    """The tenants a user or group may belong to: the own one, for a reseller also its sub-CPOs."""
    return await tenants.sub_tenants(actor) if len(actor.tenant_ids) > 1 else []


def _tenant_of(raw_tenant: Any, actor: Actor) -> int:
    """The tenant chosen in a form; unknown or foreign ones fall back to the own tenant's check in core."""
    chosen = parse_id(raw_tenant)
    return chosen if chosen is not None else actor.tenant_id


async def _user_form(actor: Actor, values: dict[str, Any], errors: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "values": values,
        "errors": errors,
        "groups": await tenancy_users.list_groups(actor),
        "tenants": await _tenant_choices(actor),
        "languages": LANGUAGES,
        **extra,
    }


class UserController(Controller):
    path = "/users"
    guards = MANAGE_USERS

    @get("/", name="users")
    async def index(self, request: AnyRequest) -> Response[str]:
        actor = actor_of(request)
        users = await tenancy_users.list_users(actor)
        return page(request, "users/users.html", {"users": users, "many_tenants": len(actor.tenant_ids) > 1})

    @get("/new")
    async def new(self, request: AnyRequest) -> Response[str]:
        actor = actor_of(request)
        values = {"active": "on", "is_admin": "off", "groups": [], "tenant": actor.tenant_id}
        return page(request, "users/user_form.html", await _user_form(actor, values, {}, user=None))

    @post("/")
    async def create(self, request: AnyRequest) -> Response[Any]:
        actor = actor_of(request)
        form = await form_of(request)
        raw = raw_from_form(USER_SPEC, form)
        try:
            # An empty password field means: generate one and show it once.
            user = await tenancy_users.create_user(actor, raw, _tenant_of(form.get("tenant"), actor), generate=True)
        except ValidationError as exc:
            raw.pop("password", None)  # a typed password is never echoed back into the page
            values = {**raw, "tenant": form.get("tenant")}
            context = await _user_form(actor, values, exc.errors, user=None)
            return page(request, "users/user_form.html", context, status_code=form_error_status(request))
        secret = {"password": user["generated_password"]} if "generated_password" in user else None
        flash(request, Message("The user was created."), secret)
        return done(request, f"/users/{user['id']}")

    @get("/{user_id:int}", name="user")
    async def edit(self, request: AnyRequest, user_id: int) -> Response[str]:
        actor = actor_of(request)
        user = await tenancy_users.get_scoped_user(actor, user_id)
        values = form_values(user, USER_SPEC)
        return page(request, "users/user_form.html", await self._edit_context(request, actor, user, values, {}))

    @post("/{user_id:int}")
    async def update(self, request: AnyRequest, user_id: int) -> Response[Any]:
        actor = actor_of(request)
        user = await tenancy_users.get_scoped_user(actor, user_id)
        # The e-mail address is the login and the password has its own form: neither changes here.
        raw = raw_from_form(USER_SPEC, await form_of(request), skip=("email", "password"))
        try:
            await tenancy_users.update_user(actor, user_id, raw)
        except ValidationError as exc:
            values = {**form_values(user, USER_SPEC), **raw}
            context = await self._edit_context(request, actor, user, values, exc.errors)
            return page(request, "users/user_form.html", context, status_code=form_error_status(request))
        flash(request, Message("The user was saved."))
        return done(request, f"/users/{user_id}")

    @post("/{user_id:int}/password")
    async def reset_password(self, request: AnyRequest, user_id: int) -> Response[Any]:
        actor = actor_of(request)
        form = await form_of(request)
        try:
            password = await tenancy_users.reset_password(actor, user_id, str(form.get("password", "")).strip())
        except ValidationError as exc:
            user = await tenancy_users.get_scoped_user(actor, user_id)
            context = await self._edit_context(request, actor, user, form_values(user, USER_SPEC), exc.errors)
            return page(request, "users/user_form.html", context, status_code=form_error_status(request))
        generated = not str(form.get("password", "")).strip()
        flash(request, Message("The password was reset."), {"password": password} if generated else None)
        return done(request, f"/users/{user_id}")

    @staticmethod
    async def _edit_context(
        request: AnyRequest, actor: Actor, user: dict[str, Any], values: dict[str, Any], errors: dict[str, Any]
    ) -> dict[str, Any]:
        context = await _user_form(actor, values, errors, user=user)
        context["groups"] = [g for g in context["groups"] if g["tenant"] == user["tenant"]]
        context["history"] = await history(actor, "user", user["id"])
        context["is_self"] = user["id"] == actor.user_id
        return context


def _group_values(form_raw: dict[str, Any]) -> dict[str, Any]:
    return {**form_raw, "permissions": form_raw.get("permissions") or []}


def _group_context(values: dict[str, Any], errors: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"values": values, "errors": errors, "areas": tenancy_users.permission_areas(), **extra}


class GroupController(Controller):
    """User groups and their Rechteverwaltung: one toggle per permission switch, grouped by area."""

    path = "/groups"
    guards = MANAGE_USERS

    @get("/", name="groups")
    async def index(self, request: AnyRequest) -> Response[str]:
        actor = actor_of(request)
        groups = await tenancy_users.list_groups(actor)
        areas = tenancy_users.permission_areas()
        context = {"groups": groups, "areas": areas, "many_tenants": len(actor.tenant_ids) > 1}
        return page(request, "users/groups.html", context)

    @get("/new")
    async def new(self, request: AnyRequest) -> Response[str]:
        actor = actor_of(request)
        values = {"name": "", "description": "", "permissions": [], "tenant": actor.tenant_id}
        context = _group_context(values, {}, group=None, tenants=await _tenant_choices(actor))
        return page(request, "users/group_form.html", context)

    @post("/")
    async def create(self, request: AnyRequest) -> Response[Any]:
        actor = actor_of(request)
        form = await form_of(request)
        raw = raw_from_form(GROUP_SPEC, form)
        try:
            group = await tenancy_users.create_group(actor, raw, _tenant_of(form.get("tenant"), actor))
        except ValidationError as exc:
            values = {**_group_values(raw), "tenant": form.get("tenant")}
            context = _group_context(values, exc.errors, group=None, tenants=await _tenant_choices(actor))
            return page(request, "users/group_form.html", context, status_code=form_error_status(request))
        flash(request, Message("The user group was created."))
        return done(request, f"/groups/{group['id']}")

    @get("/{group_id:int}", name="group")
    async def edit(self, request: AnyRequest, group_id: int) -> Response[str]:
        actor = actor_of(request)
        group = await tenancy_users.get_group(actor, group_id)
        context = _group_context(group, {}, group=group, history=await history(actor, "user_group", group_id))
        return page(request, "users/group_form.html", context)

    @post("/{group_id:int}")
    async def update(self, request: AnyRequest, group_id: int) -> Response[Any]:
        actor = actor_of(request)
        group = await tenancy_users.get_group(actor, group_id)
        raw = raw_from_form(GROUP_SPEC, await form_of(request))
        try:
            await tenancy_users.update_group(actor, group_id, raw)
        except ValidationError as exc:
            context = _group_context(
                {**group, **_group_values(raw)},
                exc.errors,
                group=group,
                history=await history(actor, "user_group", group_id),
            )
            return page(request, "users/group_form.html", context, status_code=form_error_status(request))
        flash(request, Message("The user group was saved."))
        return done(request, f"/groups/{group_id}")

    @post("/{group_id:int}/permission")
    async def toggle(self, request: AnyRequest, group_id: int) -> Response[str]:
        """One switch flipped with HTMX: saved at once, the switch comes back as it is now stored."""
        actor = actor_of(request)
        await tenancy_users.get_group(actor, group_id)  # another tenant's group is not found, whatever was posted
        form = await form_of(request)
        code = str(form.get("permission", ""))
        areas = tenancy_users.permission_areas()
        info = next((i for _, infos in areas for i in infos if i.permission.value == code), None)
        if info is None:
            raise ValidationError({"permission": Message("Unknown value: %(value)s", {"value": code})})
        error: Message | None = None
        try:
            group = await tenancy_users.set_group_permission(actor, group_id, code, form.get("enabled") == "on")
        except ValidationError as exc:
            group = await tenancy_users.get_group(actor, group_id)
            error = next(iter(exc.errors.values()))
        context = {"group": group, "info": info, "checked": code in group["permissions"], "error": error}
        return render(request, "users/_toggle.html", context)

    @post("/{group_id:int}/delete")
    async def delete(self, request: AnyRequest, group_id: int) -> Response[Any]:
        await tenancy_users.delete_group(actor_of(request), group_id)
        flash(request, Message("The user group was deleted."))
        return done(request, "/groups")
