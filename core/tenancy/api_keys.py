"""REST API keys: issued once (only a hash is stored), scoped to a tenant and a set of permissions.

Failed key checks are throttled per source address, across nodes: after API_KEY_MAX_FAILURES wrong keys within
LOGIN_LOCKOUT_SECONDS the address gets no key checked, right or wrong, until the oldest of them is that old.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from core.errors import Message, NotFound, ValidationError
from core.settings import get_settings
from core.tenancy import audit
from core.tenancy.actor import Actor
from core.tenancy.logins import check_window
from core.tenancy.passwords import new_secret, sha256_hex
from core.tenancy.permissions import Permission, effective_permissions
from core.tenancy.tables import ApiKey, ApiKeyFailure
from core.tenancy.tenants import tenant_scope
from core.validation import Field, FormSpec

API_KEY_PREFIX = "csms_"
API_KEY_USE_PRECISION = timedelta(minutes=1)  # "last used" is kept to the minute


API_KEY_SPEC = FormSpec(
    "api_key",
    (
        Field("name", required=True, max_length=120),
        Field("permissions", kind="list", choices=tuple(p.value for p in Permission)),
    ),
)


async def create_api_key(
    tenant_id: int, name: str = "", permissions: list[str] | None = None
) -> tuple[str, dict[str, Any]]:
    """Returns the key once; only its SHA-256 is stored.

    ``permissions`` are the codes the key grants; None (the operator's CLI) grants every permission.
    """
    key = API_KEY_PREFIX + new_secret(30)
    codes = None if permissions is None else sorted(set(permissions))
    row = ApiKey(tenant=tenant_id, name=name[:120], prefix=key[:12], key_hash=sha256_hex(key), permissions=codes)
    await row.save()
    return key, await ApiKey.select().where(ApiKey.id == row.id).output(load_json=True).first()  # type: ignore[return-value]


async def issue_api_key(actor: Actor, raw: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """A key for the actor's own tenant made in the portal: it grants at most what its maker holds."""
    actor.require(Permission.USERS_MANAGE)
    data = API_KEY_SPEC.parse(raw)
    if set(data["permissions"]) - {p.value for p in actor.permissions}:
        raise ValidationError({"permissions": Message("You can only grant permissions you hold yourself.")})
    key, row = await create_api_key(actor.tenant_id, data["name"], data["permissions"])
    changes = {"name": [None, row["name"]], "permissions": [None, row["permissions"]]}
    await audit.record(actor, actor.tenant_id, "api_key", row["id"], "create", changes)
    row.pop("key_hash", None)
    return key, row


async def _check_failures(remote_addr: str, now: datetime) -> None:
    settings = get_settings()
    window = timedelta(seconds=settings.login_lockout_seconds)
    rows = await (
        ApiKeyFailure.select(ApiKeyFailure.created_at)
        .where((ApiKeyFailure.remote_addr == remote_addr[:64]) & (ApiKeyFailure.created_at > now - window))
        .order_by(ApiKeyFailure.created_at, ascending=False)
        .limit(settings.api_key_max_failures)
    )
    check_window([row["created_at"] for row in rows], settings.api_key_max_failures, window, now)


async def _record_failure(key: str, remote_addr: str, now: datetime) -> None:
    # Failures older than the window count no more; dropping them here keeps the table as small as the window.
    window = timedelta(seconds=get_settings().login_lockout_seconds)
    await ApiKeyFailure.delete().where(ApiKeyFailure.created_at < now - window)
    await ApiKeyFailure.insert(ApiKeyFailure(remote_addr=remote_addr[:64], prefix=key[:12], created_at=now))


async def actor_for_api_key(key: str, remote_addr: str = "") -> Actor | None:
    """The actor of a valid, unrevoked key, or None. Raises core.errors.Throttled while the address is throttled,
    before looking at the key. ``remote_addr`` empty: unknown, no throttle."""
    now = datetime.now(UTC)
    if remote_addr:
        await _check_failures(remote_addr, now)
    row = (
        await ApiKey.select()
        .where((ApiKey.key_hash == sha256_hex(key)) & ApiKey.revoked_at.is_null())
        .output(load_json=True)
        .first()
        if key.startswith(API_KEY_PREFIX)
        else None
    )
    if row is None:
        if remote_addr:
            await _record_failure(key, remote_addr, now)
        return None
    last = row["last_used_at"]
    if last is None or now - last > API_KEY_USE_PRECISION:  # not one write per request
        await ApiKey.update({ApiKey.last_used_at: now}).where(ApiKey.id == row["id"])
    tenant_kind, tenant_ids = await tenant_scope(row["tenant"])
    from core.tenancy.permissions import ALL_PERMISSIONS

    codes = row["permissions"]  # NULL: a key from the CLI or from before key permissions
    return Actor(
        tenant_id=row["tenant"],
        tenant_ids=tenant_ids,
        tenant_kind=tenant_kind,
        user_id=None,
        label=f"api:{row['prefix']}",
        permissions=ALL_PERMISSIONS if codes is None else effective_permissions(False, [codes]),
        is_admin=False,
    )


async def list_api_keys(actor: Actor) -> list[dict[str, Any]]:
    """The actor's own tenant's keys (never their hashes), newest first."""
    actor.require(Permission.USERS_MANAGE)
    columns = (ApiKey.id, ApiKey.name, ApiKey.prefix, ApiKey.permissions, ApiKey.created_at, ApiKey.last_used_at,
               ApiKey.revoked_at)  # fmt: skip
    rows: list[dict[str, Any]] = (
        await ApiKey.select(*columns)
        .where(ApiKey.tenant == actor.tenant_id)
        .order_by(ApiKey.id, ascending=False)
        .output(load_json=True)
    )
    return rows


async def revoke_api_key(actor: Actor, key_id: int) -> dict[str, Any]:
    """Revoking twice keeps the first time; another tenant's key is NotFound."""
    actor.require(Permission.USERS_MANAGE)
    row = (
        await ApiKey.select()
        .where((ApiKey.id == key_id) & (ApiKey.tenant == actor.tenant_id))
        .output(load_json=True)
        .first()
    )
    if row is None:
        raise NotFound("api_key")
    if row["revoked_at"] is None:
        now = datetime.now(UTC)
        await ApiKey.update({ApiKey.revoked_at: now}).where(ApiKey.id == key_id)
        await audit.record(actor, row["tenant"], "api_key", key_id, "revoke", {"revoked_at": [None, now.isoformat()]})
        row["revoked_at"] = now
    row.pop("key_hash", None)
    return row
