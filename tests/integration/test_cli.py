"""The `csms` command line, run as a user would (a subprocess against the test database)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import ssl
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx

from core.demo import DEMO_SLUG
from core.infrastructure.tables import ChargePoint, ChargingStation, Location
from core.tenancy import api_keys, tenants
from core.tenancy.permissions import Permission
from core.tenancy.tables import StaffUser, Tenant
from tests.support import free_port, scratch_database, self_signed_certificate


async def csms(
    *args: str, input_text: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    # In a thread, so that the test's event loop keeps running meanwhile: a write of this process that is
    # in flight (a background batch) must be able to commit, or the command would wait for SQLite's lock.
    return await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "csms.cli", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        input=input_text,
        timeout=120,
        check=False,
    )


async def test_migrate_is_idempotent() -> None:
    result = await csms("migrate")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "no migrations needed: the database was already up to date\n"


EMBEDDED = os.environ["DATABASE_URL"].startswith("sqlite")
MIGRATIONS = sorted(p.stem for p in (Path(__file__).parents[2] / "migrations" / "core").glob("core_*.py"))


@contextlib.asynccontextmanager
async def _new_database(tmp_path: Path) -> AsyncIterator[str]:
    if EMBEDDED:
        yield f"sqlite:///{tmp_path}/new.sqlite3"
    else:
        async with scratch_database("_migrate") as url:
            yield url


async def test_migrate_says_what_it_did_on_a_new_database(tmp_path: Path) -> None:
    async with _new_database(tmp_path) as url:
        env = {"DATABASE_URL": url, "CSMS_VAR_DIR": str(tmp_path)}
        first = await csms("migrate", env=env)
        assert first.returncode == 0, first.stderr
        lines = first.stdout.splitlines()
        assert lines[0] == f"applied {len(MIGRATIONS)} migrations:"
        assert lines[-1] == "the database is now up to date"
        assert len(lines[1:-1]) == len(MIGRATIONS) and all(line.startswith("  2026-") for line in lines[1:-1])
        again = await csms("migrate", env=env)
        assert again.stdout == "no migrations needed: the database was already up to date\n", again.stderr


async def test_demo_loads_once_with_the_promised_content() -> None:
    force = () if EMBEDDED else ("--force",)
    first = await csms("demo", *force)
    assert first.returncode == 0, first.stderr
    second = await csms("demo", *force)
    assert "already present" in second.stdout
    assert "admin@demo.example" in second.stdout
    tenant = await Tenant.select().where(Tenant.slug == DEMO_SLUG).first()
    assert tenant is not None
    assert (tenant["country_code"], tenant["party_id"], tenant["name"]) == ("DE", "ISE", "Demo Company")
    assert await Location.count().where(Location.tenant == tenant["id"]) == 2
    assert await ChargingStation.count().where(ChargingStation.tenant == tenant["id"]) == 6
    points = await ChargePoint.select(ChargePoint.evse_id).where(ChargePoint.tenant == tenant["id"])
    assert len(points) == 10
    assert all(p["evse_id"].startswith("DE*ISE*E") for p in points)
    assert await Tenant.exists().where(Tenant.kind == "EMP")


async def test_tenant_user_and_apikey_commands() -> None:
    slug = f"cli-{uuid.uuid4().hex[:8]}"
    made = await csms("tenant", "create", "--slug", slug, "--name", "CLI GmbH", "--country", "AT", "--party-id", "CLI")
    assert made.returncode == 0, made.stderr
    email = f"{slug}@example.test"
    user = await csms("user", "create", "--tenant", slug, "--email", email, "--admin", "--password", "long-enough-pass")
    assert user.returncode == 0, user.stderr
    row = await StaffUser.select().where(StaffUser.email == email).first()
    assert row is not None and row["is_admin"]
    assert row["password_hash"].startswith("$argon2")
    created = await csms("apikey", "create", "--tenant", slug)
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip()
    actor = await api_keys.actor_for_api_key(key)
    assert actor is not None
    tenant = await tenants.get_tenant_by_slug(slug)
    assert actor.tenant_id == tenant["id"]
    assert actor.can(Permission.USERS_MANAGE)  # no --permission: the operator's key grants every switch
    reader = (await csms("apikey", "create", "--tenant", slug, "--permission", "infrastructure.view")).stdout.strip()
    limited = await api_keys.actor_for_api_key(reader)
    assert limited is not None
    assert limited.can(Permission.INFRASTRUCTURE_VIEW) and not limited.can(Permission.INFRASTRUCTURE_MANAGE)
    unknown = await csms("apikey", "create", "--tenant", slug, "--permission", "everything")
    assert unknown.returncode == 2 and "invalid choice" in unknown.stderr and "Traceback" not in unknown.stderr


async def test_bad_input_is_a_clear_error_not_a_traceback() -> None:
    duplicate = await csms("tenant", "create", "--slug", "x", "--name", "X")  # slug too short
    assert duplicate.returncode == 2
    assert "slug" in duplicate.stderr and "Traceback" not in duplicate.stderr
    weak = await csms(
        "user", "create", "--tenant", "no-such-tenant", "--email", "a@b.cd", "--password", "long-enough-pass"
    )
    assert weak.returncode == 2 and "Traceback" not in weak.stderr
    no_password = await csms("user", "create", "--tenant", "no-such-tenant", "--email", "a@b.cd", input_text="")
    assert no_password.returncode == 2 and "--password" in no_password.stderr and "Traceback" not in no_password.stderr


async def test_demo_refuses_a_production_database_unless_forced() -> None:
    """The demo admin's password is in the README: `scripts/run.sh` with production variables set must not load it."""
    result = await csms("demo")
    if EMBEDDED:
        assert result.returncode == 0, result.stderr
        return
    assert result.returncode == 2 and "--force" in result.stderr and "Traceback" not in result.stderr
    assert "demo login" not in result.stdout


def test_serve_with_tls_says_https_and_wss(tmp_path: Path) -> None:
    cert_file, key_file = self_signed_certificate(tmp_path)
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "csms.cli", "serve", "--port", str(port), "--log-level", "warning",
         "--ssl-certfile", str(cert_file), "--ssl-keyfile", str(key_file)],
        env=os.environ.copy(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert first.startswith(f"csms serving on https://127.0.0.1:{port} "), first
        assert f"wss://127.0.0.1:{port}/ocpp/" in first
        with httpx.Client(verify=ssl.create_default_context(cafile=str(cert_file))) as http:
            deadline, answer = time.monotonic() + 60, None  # generous: the suite runs many servers at once
            while answer is None and time.monotonic() < deadline and process.poll() is None:
                try:
                    answer = http.get(f"https://127.0.0.1:{port}/health")
                except httpx.TransportError:
                    time.sleep(0.1)
            assert answer is not None, "csms serve did not answer over https within 60 s"
            assert answer.status_code == 200
    finally:
        process.terminate()
        process.wait(15)
