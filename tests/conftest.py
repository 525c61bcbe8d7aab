"""Test set-up: the environment is fixed before csms is imported; the database is migrated once.

``scripts/test.sh`` runs the suite twice: PostgreSQL + Redis, then embedded SQLite. Run alone,
pytest falls back to a temporary SQLite database.
"""

from __future__ import annotations

import os
import tempfile

if not os.environ.get("DATABASE_URL"):
    _tmp = tempfile.mkdtemp(prefix="csms-test-")
    os.environ["DATABASE_URL"] = f"sqlite:///{_tmp}/test.sqlite3"
    os.environ.setdefault("CSMS_VAR_DIR", _tmp)
os.environ.setdefault("CSMS_VAR_DIR", tempfile.mkdtemp(prefix="csms-var-"))
os.environ.setdefault("SECRET_KEY", "test-secret-key-that-is-long-enough-0123456789")

import uuid  # noqa: E402
from collections.abc import AsyncIterator  # noqa: E402
from urllib.parse import urlparse  # noqa: E402

import httpx  # noqa: E402
import pytest  # noqa: E402

import core  # noqa: E402,F401
from core import db  # noqa: E402
from core.products.catalogue import ensure_catalogue  # noqa: E402
from core.tenancy import passwords  # noqa: E402
from tests.support import TenantCtx, app_client, login, make_tenant, post_form  # noqa: E402

# Argon2 with its cheapest parameters for the passwords the tests set (users, stations): each hash and each check
# (login, station handshake) would otherwise cost ~80 ms of CPU, minutes over the suite. A hash carries its own
# parameters, so csms's code verifies these as it verifies real ones, in this process and in live servers alike;
# csms's default parameters are the library's (tests/unit/test_passwords.py).
passwords._hasher = passwords.PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)

# The extrawest-ocpi peer (its own process and virtualenv) for the OCPI tests: fixtures ocpi_peer, ocpi_emsp.
pytest_plugins = ["tests.ocpi_peer.fixtures"]


async def _recreate_postgres_database(url: str) -> None:
    import asyncpg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    conn = await asyncpg.connect(
        host=parsed.hostname, port=parsed.port or 5432, user=parsed.username or "postgres",
        password=parsed.password or None, database="postgres",
    )  # fmt: skip
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


@pytest.fixture(scope="session", autouse=True)
async def database() -> AsyncIterator[None]:
    url = os.environ["DATABASE_URL"]
    if url.startswith("postgres"):
        await _recreate_postgres_database(url)
    if os.environ.get("REDIS_URL"):
        # The test Redis db is the suite's own: queue entries and presence left by an earlier run name ids of
        # the database just recreated.
        import redis.asyncio as aioredis

        cache = aioredis.Redis.from_url(os.environ["REDIS_URL"])
        await cache.flushdb()
        await cache.aclose()
    await db.migrate()
    await db.open_pool(5)
    await ensure_catalogue()  # as `csms migrate` does (core.products.setup)
    yield
    await db.close_pool()


@pytest.fixture
def unique() -> str:
    return uuid.uuid4().hex[:10]


@pytest.fixture
async def cpo() -> TenantCtx:
    """A fresh CPO tenant with an admin; every test gets its own, so tests never share rows."""
    return await make_tenant()


@pytest.fixture
async def other_cpo() -> TenantCtx:
    return await make_tenant()


@pytest.fixture
async def admin_client(cpo: TenantCtx) -> AsyncIterator[httpx.AsyncClient]:
    """The portal, logged in as ``cpo``'s admin, in English (tests match English texts)."""
    async with app_client() as client:
        await login(client, cpo.admin["email"])
        await post_form(client, "/lang", {"language": "en", "next": "/"})
        yield client
