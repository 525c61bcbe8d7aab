"""Roaming fixtures: the hub operator, an EMP tenant with the extrawest peer's party, and csms in a process of its
own (the peer calls it back over HTTP) on the test database."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from core.roaming import connections
from core.settings import get_settings
from core.tenancy import logins, tenants
from hub.client import HubLink
from tests.support import TenantCtx, app_client, csms_serve, free_port, make_tenant, make_user


async def tenant_with_party(kind: str, party_id: str, country: str = "DE") -> TenantCtx:
    slug = f"t-{uuid.uuid4().hex[:12]}"
    tenant = await tenants.create_tenant(
        {"slug": slug, "name": f"{kind} {party_id}", "kind": kind, "country_code": country, "party_id": party_id}
    )
    admin = await make_user(tenant["id"], is_admin=True)
    return TenantCtx(tenant=tenant, admin=admin, actor=await logins.actor_for_user(admin))


@pytest.fixture
async def hub_operator() -> TenantCtx:
    """The installation's hub operator; the oldest HUB tenant is the node's party, so one of an earlier test may
    answer instead: tests read the party from core.roaming.partners.hub_operator()."""
    return await make_tenant(kind="HUB")


@pytest.fixture
async def emp_exw(hub_operator: TenantCtx) -> TenantCtx:
    """An EMP tenant under the extrawest peer's own party (DE/EXW)."""
    return await tenant_with_party("EMP", "EXW")


@pytest.fixture(autouse=True)
def partner_link() -> Iterator[None]:
    connections.register_link(HubLink())
    yield
    connections.register_link(None)


@pytest.fixture(scope="module")
def csms_url() -> Iterator[str]:
    """csms serve on the test database, its PUBLIC_URL its own address."""
    port = free_port()
    with csms_serve({**os.environ, "PUBLIC_URL": f"http://127.0.0.1:{port}"}, port=port) as base:
        yield base


@pytest.fixture
def csms_public_url(csms_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """This process's settings name csms_url as csms's address: the credentials csms sends from here carry the
    versions URL of the process the peer can call back."""
    monkeypatch.setenv("PUBLIC_URL", csms_url)
    get_settings.cache_clear()
    yield csms_url
    monkeypatch.undo()
    get_settings.cache_clear()


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    """csms's app in this process, called over httpx (tests.support.app_client)."""
    async with app_client() as c:
        yield c


@pytest.fixture
async def emp(hub_operator: TenantCtx) -> TenantCtx:
    """An EMP tenant under the party DE/EMQ (the paths of the tokens and transport tests name it)."""
    return await tenant_with_party("EMP", "EMQ")
