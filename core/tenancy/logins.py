"""Staff logins: password check with throttling, and the actor a logged-in user acts as.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from core.settings import get_settings
from core.tenancy.actor import Actor
from core.tenancy.passwords import DUMMY_HASH, sha256_hex, verify_password
from core.tenancy.permissions import effective_permissions
from core.tenancy.tables import LoginAttempt, StaffUser, UserGroup, UserGroupMember
from core.tenancy.tenants import visible_tenant_ids


async def actor_for_user(user: dict[str, Any]) -> Actor:
    groups = await (
        UserGroup.select(UserGroup.permissions)
        .where(
            UserGroup.id.is_in(UserGroupMember.select(UserGroupMember.group).where(UserGroupMember.user == user["id"]))
        )
        .output(load_json=True)  # the switches as a list, not JSON text
    )
    permissions = effective_permissions(bool(user["is_admin"]), [g["permissions"] or [] for g in groups])
    return Actor(
        tenant_id=user["tenant"],
        tenant_ids=await visible_tenant_ids(user["tenant"]),
        user_id=user["id"],
        label=user["email"],
        permissions=permissions,
        is_admin=bool(user["is_admin"]),
    )


class LoginThrottled(Exception):
    pass


async def authenticate(email: str, password: str, remote_addr: str = "") -> dict[str, Any] | None:
    """The active user with these credentials, or None. Raises LoginThrottled after repeated failures.

    Failures are counted per e-mail address in the database so that every node sees them.
    """
    settings = get_settings()
    email = email.strip().lower()
    since = datetime.now(UTC) - timedelta(seconds=settings.login_lockout_seconds)
    failures = await LoginAttempt.count().where(
        (LoginAttempt.email == email) & (LoginAttempt.succeeded == False) & (LoginAttempt.created_at > since)  # noqa: E712
    )
    if failures >= settings.login_max_failures:
        raise LoginThrottled()
    user = await StaffUser.select().where(StaffUser.email == email).first()
    ok = verify_password(user["password_hash"] if user else DUMMY_HASH, password) and bool(user and user["active"])
    await LoginAttempt.insert(LoginAttempt(email=email, remote_addr=remote_addr[:64], succeeded=ok))
    if not ok or user is None:
        return None
    await StaffUser.update({StaffUser.last_login_at: datetime.now(UTC)}).where(StaffUser.id == user["id"])
    return user


async def get_user(user_id: int) -> dict[str, Any] | None:
    return await StaffUser.select().where(StaffUser.id == user_id).first()


def session_stamp(user: dict[str, Any]) -> str:
    """Kept in the portal session at login; a new password changes it, which ends the user's other sessions."""
    return sha256_hex("session:" + str(user["password_hash"]))[:24]
