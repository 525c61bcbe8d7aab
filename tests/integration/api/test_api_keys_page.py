"""/settings/api-keys: create (the key shown once), the key's permissions, revoke, isolation, CSRF, guard."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from core.tenancy.tables import ApiKey
from tests.integration.api.conftest import bearer
from tests.support import TenantCtx, app_client, csrf_of, login, make_user, post_form

PAGE = "/settings/api-keys"
KEY = re.compile(r"csms_[A-Za-z0-9_\-]{20,}")


@asynccontextmanager
async def _logged_in(email: str) -> AsyncIterator[httpx.AsyncClient]:
    async with app_client() as client:
        await login(client, email)
        await post_form(client, "/lang", {"language": "en", "next": "/"})
        yield client


async def _create(client: httpx.AsyncClient, name: str, permissions: list[str]) -> str:
    created = await post_form(client, PAGE, {"name": name, "permissions": permissions})
    assert created.status_code == 303, created.text
    shown = await client.get(PAGE)
    match = KEY.search(shown.text)
    assert match is not None and "API key created." in shown.text
    return match.group(0)


async def test_create_shows_the_key_once_and_it_works(cpo: TenantCtx) -> None:
    async with _logged_in(cpo.admin["email"]) as client:
        assert 'data-testid="api-keys-link"' in (await client.get("/")).text
        key = await _create(client, "ERP export", ["infrastructure.view"])
        again = await client.get(PAGE)
        assert KEY.search(again.text) is None  # only once
        assert "ERP export" in again.text and key[:12] in again.text and "Never" in again.text
    stored = await ApiKey.select().where(ApiKey.tenant == cpo.id).output(load_json=True)
    assert len(stored) == 1 and stored[0]["permissions"] == ["infrastructure.view"]
    assert key not in str(stored)  # only the hash is kept
    async with app_client() as api:
        assert (await api.get("/api/v1/locations", headers=bearer(key))).status_code == 200
        write = await api.post("/api/v1/locations", json={"name": "x"}, headers=bearer(key))
        assert write.status_code == 403  # a read-only key
    async with _logged_in(cpo.admin["email"]) as client:
        row = (await client.get(PAGE)).text
        assert "Never" not in row  # last used is recorded


async def test_revoke_stops_the_key(cpo: TenantCtx) -> None:
    async with _logged_in(cpo.admin["email"]) as client:
        key = await _create(client, "Billing", ["infrastructure.view", "infrastructure.manage"])
        async with app_client() as api:
            assert (await api.get("/api/v1/evses", headers=bearer(key))).status_code == 200
        key_id = (await ApiKey.select(ApiKey.id).where(ApiKey.tenant == cpo.id).first() or {})["id"]
        revoked = await post_form(client, f"{PAGE}/{key_id}/revoke", {})
        assert revoked.status_code == 303
        page = await client.get(PAGE)
        assert "Revoked" in page.text and f"{PAGE}/{key_id}/revoke" not in page.text
        async with app_client() as api:
            assert (await api.get("/api/v1/evses", headers=bearer(key))).status_code == 401


async def test_other_tenant_cannot_see_or_revoke_the_key(cpo: TenantCtx, other_cpo: TenantCtx) -> None:
    async with _logged_in(cpo.admin["email"]) as client:
        key = await _create(client, "Secret integration", ["infrastructure.view"])
    key_id = (await ApiKey.select(ApiKey.id).where(ApiKey.tenant == cpo.id).first() or {})["id"]
    async with _logged_in(other_cpo.admin["email"]) as intruder:
        assert "Secret integration" not in (await intruder.get(PAGE)).text
        attempt = await post_form(intruder, f"{PAGE}/{key_id}/revoke", {})
        assert attempt.status_code == 404
    async with app_client() as api:
        assert (await api.get("/api/v1/locations", headers=bearer(key))).status_code == 200


async def test_csrf_is_enforced(cpo: TenantCtx) -> None:
    async with _logged_in(cpo.admin["email"]) as client:
        assert csrf_of(client)
        no_token = await client.post(PAGE, data={"name": "x", "permissions": ["infrastructure.view"]})
        assert no_token.status_code == 403
        wrong = await client.post(PAGE, data={"name": "x"}, headers={"x-csrftoken": "forged"})
        assert wrong.status_code == 403
    assert await ApiKey.count().where(ApiKey.tenant == cpo.id) == 0


async def test_a_key_grants_no_more_than_its_maker_holds(cpo: TenantCtx) -> None:
    manager = await make_user(cpo.id, permissions=["users.manage", "infrastructure.view"])
    async with _logged_in(manager["email"]) as client:
        page = await client.get(PAGE)
        assert 'value="infrastructure.view"' in page.text and 'value="infrastructure.manage"' not in page.text
        refused = await post_form(client, PAGE, {"name": "too strong", "permissions": ["infrastructure.manage"]})
        assert refused.status_code == 400 and "You can only grant permissions you hold yourself." in refused.text
        missing = await post_form(client, PAGE, {"name": "", "permissions": ["infrastructure.view"]})
        assert missing.status_code == 400 and "This field is required." in missing.text
    assert await ApiKey.count().where(ApiKey.tenant == cpo.id) == 0


async def test_page_needs_user_management(cpo: TenantCtx) -> None:
    viewer = await make_user(cpo.id, permissions=["infrastructure.view", "infrastructure.manage"])
    async with _logged_in(viewer["email"]) as client:
        assert 'data-testid="api-keys-link"' not in (await client.get("/")).text
        assert (await client.get(PAGE)).status_code == 403
        assert (await post_form(client, PAGE, {"name": "x", "permissions": []})).status_code == 403
    assert await ApiKey.count().where(ApiKey.tenant == cpo.id) == 0


async def test_german_page(cpo: TenantCtx) -> None:
    async with app_client() as client:
        await login(client, cpo.admin["email"])
        await post_form(client, "/lang", {"language": "de", "next": "/"})
        page = await client.get(PAGE)
        assert page.status_code == 200 and "API-Schlüssel" in page.text and "Neuer API-Schlüssel" in page.text
