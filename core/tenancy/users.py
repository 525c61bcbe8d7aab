"""Staff users and user groups (with their permission switches), and the own profile.

Rules: nobody grants a permission they do not hold, nobody locks out the last administrator of a tenant. A new
password or a deactivation ends the user's portal sessions (core.tenancy.staff_sessions says which).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from core.db import transaction
from core.errors import Message, NotFound, PermissionDenied, ValidationError
from core.tenancy import audit, staff_sessions
from core.tenancy.actor import Actor
from core.tenancy.passwords import hash_password, new_secret, verify_password
from core.tenancy.permissions import CATALOGUE, Permission
from core.tenancy.tables import StaffUser, UserGroup, UserGroupMember
from core.tenancy.tenants import LANGUAGES
from core.validation import Field, FormSpec

MIN_PASSWORD_LENGTH = 10


def check_password(value: str) -> Message | None:
    if len(value) < MIN_PASSWORD_LENGTH:
        return Message("At least %(min)s characters.", {"min": MIN_PASSWORD_LENGTH})
    return None


USER_SPEC = FormSpec(
    "user",
    (
        Field("email", kind="email", required=True, max_length=254),
        Field("name", max_length=200),
        Field("password", max_length=200, checks=(check_password,)),
        Field("is_admin", kind="bool"),
        Field("active", kind="bool", default=True),
        Field("language", kind="choice", choices=("", *LANGUAGES), default=""),
        Field("groups", kind="list"),
    ),
)

GROUP_SPEC = FormSpec(
    "user_group",
    (
        Field("name", required=True, max_length=120),
        Field("description", kind="text", max_length=2000),
        Field("permissions", kind="list", choices=tuple(p.value for p in Permission)),
    ),
)


# --- users and groups -----------------------------------------------------------------------


async def list_users(actor: Actor) -> list[dict[str, Any]]:
    """The users of the actor's tenants (a reseller: also its sub-CPOs'), each with its groups' names."""
    actor.require(Permission.USERS_MANAGE)
    users = (
        await StaffUser.select(
            StaffUser.id,
            StaffUser.tenant,
            StaffUser.email,
            StaffUser.name,
            StaffUser.is_admin,
            StaffUser.active,
            StaffUser.language,
            StaffUser.last_login_at,
            StaffUser.tenant.name.as_alias("tenant_name"),
        )
        .where(StaffUser.tenant.is_in(actor.scope))
        .order_by(StaffUser.email)
    )
    memberships = await UserGroupMember.select(
        UserGroupMember.user, UserGroupMember.group.name.as_alias("group_name")
    ).where(UserGroupMember.user.is_in([u["id"] for u in users] or [0]))
    names: dict[int, list[str]] = {}
    for row in memberships:
        names.setdefault(row["user"], []).append(row["group_name"])
    for user in users:
        user["groups"] = sorted(names.get(user["id"], []))
    return users


async def get_scoped_user(actor: Actor, user_id: int) -> dict[str, Any]:
    actor.require(Permission.USERS_MANAGE)
    user = await StaffUser.select().where((StaffUser.id == user_id) & StaffUser.tenant.is_in(actor.scope)).first()
    if user is None:
        raise NotFound("user")
    user["groups"] = [
        row["group"]
        for row in await UserGroupMember.select(UserGroupMember.group).where(UserGroupMember.user == user_id)
    ]
    return user


async def _set_groups(actor: Actor, user_id: int, tenant_id: int, group_ids: list[str]) -> None:
    ids = [int(g) for g in group_ids if str(g).isdigit()]
    valid = {
        row["id"]
        for row in await UserGroup.select(UserGroup.id).where(
            UserGroup.id.is_in(ids or [0]) & (UserGroup.tenant == tenant_id)
        )
    }
    if len(valid) != len(set(ids)):
        raise ValidationError({"groups": Message("Unknown value: %(value)s", {"value": "group"})})
    rows = await UserGroupMember.select(UserGroupMember.group).where(UserGroupMember.user == user_id)
    before = {row["group"] for row in rows}
    if valid - before and not actor.is_admin:
        added = (
            await UserGroup.select(UserGroup.permissions)
            .where(UserGroup.id.is_in(sorted(valid - before)))
            .output(load_json=True)
        )
        _check_grantable(actor, {code for row in added for code in (row["permissions"] or [])}, "groups")
    await UserGroupMember.delete().where(UserGroupMember.user == user_id)
    if valid:
        await UserGroupMember.insert(*[UserGroupMember(user=user_id, group=g) for g in sorted(valid)])


def _check_grantable(actor: Actor, codes: set[str], field: str) -> None:
    """A user manager who is not an administrator grants only switches they hold themselves."""
    if actor.is_admin:
        return
    if codes - {p.value for p in actor.permissions}:
        raise ValidationError({field: Message("You can only grant permissions you hold yourself.")})


async def set_password(user_id: int, password: str, *, keep_session: int | None = None) -> None:
    """A new password ends the user's sessions (but ``keep_session``, the one that changed it) and lifts the
    growing login delay of failures made before it (core.tenancy.logins)."""
    changes: dict[Any, Any] = {
        StaffUser.password_hash: hash_password(password),
        StaffUser.password_changed_at: datetime.now(UTC),
    }
    await StaffUser.update(changes).where(StaffUser.id == user_id)
    await staff_sessions.end_all(user_id, keep=keep_session)


def generate_password() -> str:
    """An initial or reset password, shown once to the user manager."""
    return new_secret(12)


async def create_user(
    actor: Actor, raw: dict[str, Any], tenant_id: int | None = None, *, generate: bool = False
) -> dict[str, Any]:
    """A new staff user. With ``generate`` and no password given, one is generated and returned once
    as ``generated_password``."""
    actor.require(Permission.USERS_MANAGE)
    data = USER_SPEC.parse(raw)
    tenant_id = tenant_id or actor.tenant_id
    if not actor.sees(tenant_id):
        raise NotFound("tenant")
    generated = generate_password() if generate and not data.get("password") else None
    if generated:
        data["password"] = generated
    if not data.get("password"):
        raise ValidationError({"password": Message("This field is required.")})
    if data["is_admin"] and not actor.is_admin:
        raise ValidationError({"is_admin": Message("Only administrators can create administrators.")})
    email = data["email"].lower()
    if await StaffUser.exists().where(StaffUser.email == email):
        raise ValidationError({"email": Message("A user with this e-mail address exists.")})
    user = StaffUser(
        tenant=tenant_id,
        email=email,
        name=data["name"],
        password_hash=hash_password(data["password"]),
        is_admin=data["is_admin"],
        active=data["active"],
        language=data["language"],
    )
    await user.save()
    try:
        await _set_groups(actor, user.id, tenant_id, data["groups"])
    except ValidationError:
        await StaffUser.delete().where(StaffUser.id == user.id)
        raise
    await audit.record(actor, tenant_id, "user", user.id, "create", {"email": [None, email]})
    created = await get_scoped_user(actor, user.id)
    if generated:
        created["generated_password"] = generated
    return created


async def _is_last_admin(user: dict[str, Any]) -> bool:
    """Whether ``user`` is the only active administrator of its tenant."""
    if not (user["is_admin"] and user["active"]):
        return False
    others = await StaffUser.count().where(
        (StaffUser.tenant == user["tenant"])
        & (StaffUser.id != user["id"])
        & (StaffUser.is_admin == True)  # noqa: E712
        & (StaffUser.active == True)  # noqa: E712
    )
    return others == 0


async def _check_lockout(actor: Actor, current: dict[str, Any], data: dict[str, Any]) -> None:
    """Nobody locks themselves out, and every tenant keeps an active administrator."""
    if current["is_admin"] and not actor.is_admin:
        raise PermissionDenied()  # a user manager without admin rights cannot touch an administrator
    if data.get("is_admin") and not current["is_admin"] and not actor.is_admin:
        raise ValidationError({"is_admin": Message("Only administrators can create administrators.")})
    removes_admin = current["is_admin"] and data.get("is_admin") is False
    deactivates = current["active"] and data.get("active") is False
    if current["id"] == actor.user_id:
        if removes_admin:
            raise ValidationError({"is_admin": Message("You cannot remove your own administrator rights.")})
        if deactivates:
            raise ValidationError({"active": Message("You cannot deactivate yourself.")})
    if (removes_admin or deactivates) and await _is_last_admin(current):
        field = "is_admin" if removes_admin else "active"
        raise ValidationError({field: Message("The last administrator of a tenant cannot be removed.")})


async def update_user(actor: Actor, user_id: int, raw: dict[str, Any]) -> dict[str, Any]:
    current = await get_scoped_user(actor, user_id)
    data = USER_SPEC.parse(raw, partial=True)
    await _check_lockout(actor, current, data)
    values: dict[Any, Any] = {}
    for key in ("name", "is_admin", "active", "language"):
        if key in data:
            values[getattr(StaffUser, key)] = data[key]
    if "email" in data and data["email"].lower() != current["email"]:
        email = data["email"].lower()
        if await StaffUser.exists().where(StaffUser.email == email):
            raise ValidationError({"email": Message("A user with this e-mail address exists.")})
        values[StaffUser.email] = email
    # One unit: groups a user manager may not grant refuse the whole change, not just the groups.
    async with transaction():
        if values:
            await StaffUser.update(values).where(StaffUser.id == user_id)
        if data.get("password"):
            own = actor.session_id if user_id == actor.user_id else None
            await set_password(user_id, data["password"], keep_session=own)
        elif current["active"] and data.get("active") is False:
            await staff_sessions.end_all(user_id)
        if "groups" in data:
            await _set_groups(actor, user_id, current["tenant"], data["groups"])
        changes = audit.diff(current, {k: v for k, v in data.items()})
        await audit.record(actor, current["tenant"], "user", user_id, "update", changes)
    return await get_scoped_user(actor, user_id)


async def reset_password(actor: Actor, user_id: int, password: str = "") -> str:
    """Sets a new password (a generated one when ``password`` is empty) and returns it once."""
    current = await get_scoped_user(actor, user_id)
    if current["is_admin"] and not actor.is_admin:
        raise PermissionDenied()
    new = password or generate_password()
    error = check_password(new)
    if error is not None:
        raise ValidationError({"password": error})
    await set_password(user_id, new)
    await audit.record(actor, current["tenant"], "user", user_id, "password_reset", {"password": ["***", "***"]})
    return new


# --- the own profile (every logged-in user) -------------------------------------------------------

PROFILE_SPEC = FormSpec(
    "profile",
    (
        Field("name", max_length=200),
        Field("language", kind="choice", choices=("", *LANGUAGES), default=""),
    ),
)


async def get_profile(actor: Actor) -> dict[str, Any]:
    if actor.user_id is None:
        raise NotFound("user")
    user = await StaffUser.select().where(StaffUser.id == actor.user_id).first()
    if user is None:
        raise NotFound("user")
    return user


async def update_profile(actor: Actor, raw: dict[str, Any]) -> dict[str, Any]:
    """Name and language of the acting user; needs no permission."""
    current = await get_profile(actor)
    data = PROFILE_SPEC.parse(raw, partial=True)
    if data:
        await StaffUser.update({getattr(StaffUser, k): v for k, v in data.items()}).where(StaffUser.id == current["id"])
        changes = audit.diff(current, data)
        if changes:
            await audit.record(actor, current["tenant"], "user", current["id"], "update", changes)
    return await get_profile(actor)


async def change_own_password(actor: Actor, current_password: str, new_password: str, repeated: str) -> None:
    """The acting user's password; the current one must be given."""
    user = await get_profile(actor)
    if not verify_password(user["password_hash"], current_password):
        raise ValidationError({"current_password": Message("The current password is wrong.")})
    error = check_password(new_password)
    if error is not None:
        raise ValidationError({"new_password": error})
    if new_password != repeated:
        raise ValidationError({"repeat_password": Message("The passwords do not match.")})
    await set_password(user["id"], new_password, keep_session=actor.session_id)
    await audit.record(actor, user["tenant"], "user", user["id"], "password_change", {"password": ["***", "***"]})


async def list_groups(actor: Actor) -> list[dict[str, Any]]:
    """The groups of the actor's tenants, each with its switches as a list and its member count."""
    actor.require(Permission.USERS_MANAGE)
    groups = (
        await UserGroup.select(*UserGroup.all_columns(), UserGroup.tenant.name.as_alias("tenant_name"))
        .where(UserGroup.tenant.is_in(actor.scope))
        .order_by(UserGroup.name)
        .output(load_json=True)
    )
    members = await UserGroupMember.select(UserGroupMember.group).where(
        UserGroupMember.group.is_in([g["id"] for g in groups] or [0])
    )
    counts: dict[int, int] = {}
    for row in members:
        counts[row["group"]] = counts.get(row["group"], 0) + 1
    for group in groups:
        group["permissions"] = group["permissions"] or []
        group["member_count"] = counts.get(group["id"], 0)
    return groups


def permission_areas() -> list[tuple[str, list[Any]]]:
    """The permission switches grouped by area, in the catalogue's order (for the Rechteverwaltung)."""
    areas: dict[str, list[Any]] = {}
    for info in CATALOGUE:
        areas.setdefault(info.area, []).append(info)
    return list(areas.items())


async def get_group(actor: Actor, group_id: int) -> dict[str, Any]:
    actor.require(Permission.USERS_MANAGE)
    group = (
        await UserGroup.select()
        .where((UserGroup.id == group_id) & UserGroup.tenant.is_in(actor.scope))
        .output(load_json=True)
        .first()
    )
    if group is None:
        raise NotFound("user_group")
    group["permissions"] = group["permissions"] or []
    return group


async def create_group(actor: Actor, raw: dict[str, Any], tenant_id: int | None = None) -> dict[str, Any]:
    actor.require(Permission.USERS_MANAGE)
    data = GROUP_SPEC.parse(raw)
    tenant_id = tenant_id or actor.tenant_id
    if not actor.sees(tenant_id):
        raise NotFound("tenant")
    _check_grantable(actor, set(data["permissions"]), "permissions")
    group = UserGroup(tenant=tenant_id, **data)
    await group.save()
    await audit.record(actor, tenant_id, "user_group", group.id, "create", audit.diff({}, data))
    return await get_group(actor, group.id)


async def update_group(actor: Actor, group_id: int, raw: dict[str, Any]) -> dict[str, Any]:
    current = await get_group(actor, group_id)
    data = GROUP_SPEC.parse(raw, partial=True)
    if "permissions" in data:
        _check_grantable(actor, set(data["permissions"]) - set(current["permissions"]), "permissions")
    if data:
        await UserGroup.update({getattr(UserGroup, k): v for k, v in data.items()}).where(UserGroup.id == group_id)
        await audit.record(actor, current["tenant"], "user_group", group_id, "update", audit.diff(current, data))
    return await get_group(actor, group_id)


async def set_group_permission(actor: Actor, group_id: int, permission: str, enabled: bool) -> dict[str, Any]:
    """One toggle of the Rechteverwaltung."""
    current = await get_group(actor, group_id)
    if permission not in {p.value for p in Permission}:
        raise ValidationError({"permission": Message("Unknown value: %(value)s", {"value": permission})})
    permissions = set(current["permissions"] or [])
    permissions.add(permission) if enabled else permissions.discard(permission)
    return await update_group(actor, group_id, {"permissions": sorted(permissions)})


async def delete_group(actor: Actor, group_id: int) -> None:
    current = await get_group(actor, group_id)
    await UserGroup.delete().where(UserGroup.id == group_id)
    await audit.record(actor, current["tenant"], "user_group", group_id, "delete", {"name": [current["name"], None]})
