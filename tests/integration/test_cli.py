"""The `csms` command line, run as a user would (a subprocess against the test database)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid

from core.demo import DEMO_SLUG
from core.infrastructure.tables import ChargePoint, ChargingStation, Location
from core.tenancy import api_keys, tenants
from core.tenancy.permissions import Permission
from core.tenancy.tables import StaffUser, Tenant


async def csms(*args: str, input_text: str | None = None) -> subprocess.CompletedProcess[str]:
    # In a thread, so that the test's event loop keeps running meanwhile: a write of this process that is
    # in flight (a background batch) must be able to commit, or the command would wait for SQLite's lock.
    return await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "csms.cli", *args],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        input=input_text,
        timeout=120,
        check=False,
    )


async def test_migrate_is_idempotent() -> None:
    result = await csms("migrate")
    assert result.returncode == 0, result.stderr
    assert "up to date" in result.stdout


async def test_demo_loads_once_with_the_promised_content() -> None:
    first = await csms("demo")
    assert first.returncode == 0, first.stderr
    second = await csms("demo")
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
