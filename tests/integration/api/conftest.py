"""Fixtures of the REST API tests: an HTTP client on the app and bearer keys per tenant."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from core.tenancy import api_keys
from tests.integration.infrastructure.conftest import foreign_site, site  # noqa: F401 - the same sites as the portal tests
from tests.support import TenantCtx, app_client


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with app_client() as c:
        yield c


@pytest.fixture
async def key(cpo: TenantCtx) -> str:
    """A key of the CPO as the operator's CLI makes it: every permission."""
    created, _ = await api_keys.create_api_key(cpo.id, "test")
    return created


@pytest.fixture
async def auth(key: str) -> dict[str, str]:
    return bearer(key)


@pytest.fixture
async def other_auth(other_cpo: TenantCtx) -> dict[str, str]:
    created, _ = await api_keys.create_api_key(other_cpo.id, "other")
    return bearer(created)


def json_of(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()
