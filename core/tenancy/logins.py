"""Staff logins: the password check with its throttles, and the actor a logged-in user acts as.

Every attempt is a row in login_attempt, so that every node sees the same counts. Two throttles, checked before the
password is:
- per source address: after LOGIN_MAX_FAILURES_PER_ADDRESS failed logins within LOGIN_LOCKOUT_SECONDS, the address
  may try no account until the oldest of them is that old. One address cannot try many accounts.
- per account: after LOGIN_MAX_FAILURES failures the account answers only after a delay that doubles with each
  further failure (``account_delay``: 30 s, 1 min, 2 min ... at most LOGIN_LOCKOUT_SECONDS). Failures before the
  account's last successful login or password change do not count, so a password reset lifts the delay.
So that nobody can lock the real user out, a browser that logged into the account before is known by its device
cookie (``device_token``): its attempts skip the address limit and are counted apart from everybody else's, and
they meet the same growing delay only after failures of their own.
"""

from __future__ import annotations

import hmac
from datetime import UTC, datetime, timedelta
from hashlib import sha256
from typing import Any

from core.errors import Throttled
from core.settings import Settings, get_settings
from core.tenancy.actor import Actor
from core.tenancy.passwords import DUMMY_HASH, new_secret, sha256_hex, verify_password
from core.tenancy.permissions import effective_permissions
from core.tenancy.tables import LoginAttempt, StaffUser, UserGroup, UserGroupMember
from core.tenancy.tenants import tenant_scope

FIRST_DELAY_SECONDS = 30
MAX_DOUBLINGS = 16  # more failures than this change no delay: it is long capped


async def actor_for_user(user: dict[str, Any], session_id: int | None = None) -> Actor:
    """Built from the database on every portal request: a permission taken away is gone with the next request."""
    groups = await (
        UserGroup.select(UserGroup.permissions)
        .where(
            UserGroup.id.is_in(UserGroupMember.select(UserGroupMember.group).where(UserGroupMember.user == user["id"]))
        )
        .output(load_json=True)  # the switches as a list, not JSON text
    )
    permissions = effective_permissions(bool(user["is_admin"]), [g["permissions"] or [] for g in groups])
    tenant_kind, tenant_ids = await tenant_scope(user["tenant"])
    return Actor(
        tenant_id=user["tenant"],
        tenant_ids=tenant_ids,
        tenant_kind=tenant_kind,
        user_id=user["id"],
        label=user["email"],
        permissions=permissions,
        is_admin=bool(user["is_admin"]),
        session_id=session_id,
    )


def account_delay(failures: int, max_failures: int, longest: int) -> int:
    """Seconds an account waits after its latest failure: none before ``max_failures`` failures, then
    FIRST_DELAY_SECONDS, doubling with every further failure, never more than ``longest``."""
    if failures < max_failures:
        return 0
    return min(longest, FIRST_DELAY_SECONDS * 2 ** min(failures - max_failures, MAX_DOUBLINGS))


def _device_mac(user_id: int, nonce: str) -> str:
    key = get_settings().secret_key.encode()
    return hmac.new(key, f"device:{user_id}:{nonce}".encode(), sha256).hexdigest()[:32]


def device_token(user_id: int) -> str:
    """The device cookie a browser gets after logging in as ``user_id``: proof of that earlier login, signed with
    SECRET_KEY. It lets nobody in by itself."""
    nonce = new_secret(12)
    return f"{user_id}.{nonce}.{_device_mac(user_id, nonce)}"


def trusted_device(token: str, user_id: int) -> str:
    """The device's key (a hash of the cookie) when ``token`` was issued for ``user_id``, else ''."""
    user_part, _, rest = token.partition(".")
    nonce, _, mac = rest.partition(".")
    if user_part != str(user_id) or not nonce or not hmac.compare_digest(mac, _device_mac(user_id, nonce)):
        return ""
    return sha256_hex(token)[:32]


def check_window(newest: list[datetime], limit: int, window: timedelta, now: datetime) -> None:
    """``newest``: the times of the newest failures within ``window`` (at most ``limit``), newest first. At the
    limit, Throttled until the oldest of them leaves the window."""
    if len(newest) >= limit:
        raise Throttled((newest[-1] + window - now).total_seconds())


async def _failure_times(where: Any, limit: int) -> list[datetime]:
    """The newest ``limit`` failures matching ``where``, newest first (rows, not an aggregate: SQLite gives no
    datetimes for MIN/MAX)."""
    rows = await (
        LoginAttempt.select(LoginAttempt.created_at)
        .where(where & (LoginAttempt.succeeded == False))  # noqa: E712
        .order_by(LoginAttempt.created_at, ascending=False)
        .limit(limit)
    )
    return [row["created_at"] for row in rows]


async def _check_address(remote_addr: str, now: datetime, settings: Settings) -> None:
    window = timedelta(seconds=settings.login_lockout_seconds)
    limit = settings.login_max_failures_per_address
    times = await _failure_times(
        (LoginAttempt.remote_addr == remote_addr[:64]) & (LoginAttempt.created_at > now - window), limit
    )
    check_window(times, limit, window, now)


async def _check_account(email: str, device: str, user: dict[str, Any] | None, now: datetime, s: Settings) -> None:
    since = now - timedelta(seconds=s.login_lockout_seconds)
    for reset in (user or {}).get("last_login_at"), (user or {}).get("password_changed_at"):
        if reset is not None and reset > since:
            since = reset
    where = (LoginAttempt.email == email) & (LoginAttempt.device == device) & (LoginAttempt.created_at > since)
    times = await _failure_times(where, s.login_max_failures + MAX_DOUBLINGS)
    delay = timedelta(seconds=account_delay(len(times), s.login_max_failures, s.login_lockout_seconds))
    if delay and times[0] + delay > now:
        raise Throttled((times[0] + delay - now).total_seconds())


async def authenticate(email: str, password: str, remote_addr: str = "", device: str = "") -> dict[str, Any] | None:
    """The active user with these credentials, or None. Raises core.errors.Throttled (with the seconds to wait) while a
    throttle holds, without looking at the password.

    ``remote_addr``: the client's address (empty: unknown, no address limit); ``device``: the browser's device cookie.
    """
    settings = get_settings()
    email = email.strip().lower()
    now = datetime.now(UTC)
    user = await StaffUser.select().where(StaffUser.email == email).first()
    device_key = trusted_device(device, user["id"]) if user and device else ""
    if remote_addr and not device_key:
        await _check_address(remote_addr, now, settings)
    await _check_account(email, device_key, user, now, settings)
    ok = verify_password(user["password_hash"] if user else DUMMY_HASH, password) and bool(user and user["active"])
    await LoginAttempt.insert(LoginAttempt(email=email, remote_addr=remote_addr[:64], device=device_key, succeeded=ok))
    if not ok or user is None:
        return None
    await StaffUser.update({StaffUser.last_login_at: datetime.now(UTC)}).where(StaffUser.id == user["id"])
    return user
