"""API key listing and revocation rules (core.tenancy)."""

from __future__ import annotations

import pytest

from core.errors import NotFound
from core.tenancy import api_keys
from tests.support import make_tenant


async def test_list_and_revoke_api_key() -> None:
    ctx, other = await make_tenant(), await make_tenant()
    key, row = await api_keys.create_api_key(ctx.id, "erp")
    await api_keys.create_api_key(other.id, "foreign")
    listed = await api_keys.list_api_keys(ctx.actor)
    assert [(k["id"], k["name"]) for k in listed] == [(row["id"], "erp")]
    assert "key_hash" not in listed[0]
    assert await api_keys.actor_for_api_key(key) is not None

    revoked = await api_keys.revoke_api_key(ctx.actor, row["id"])
    assert revoked["revoked_at"] is not None and "key_hash" not in revoked
    assert await api_keys.actor_for_api_key(key) is None


async def test_other_tenants_key_is_not_found() -> None:
    ctx, other = await make_tenant(), await make_tenant()
    other_key, row = await api_keys.create_api_key(other.id)
    with pytest.raises(NotFound):
        await api_keys.revoke_api_key(ctx.actor, row["id"])
    assert await api_keys.actor_for_api_key(other_key) is not None
