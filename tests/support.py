"""Helpers shared by tests: tenants with users, logged-in portal clients, CSRF-aware posts."""

from __future__ import annotations

import contextlib
import re
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

import httpx

from core.tenancy import logins, tenants
from core.tenancy.actor import Actor
from core.tenancy.passwords import hash_password
from core.tenancy.tables import StaffUser, UserGroup, UserGroupMember

PASSWORD = "correct-horse-battery"


@dataclass
class TenantCtx:
    tenant: dict[str, Any]
    admin: dict[str, Any]
    actor: Actor
    password: str = PASSWORD

    @property
    def id(self) -> int:
        return int(self.tenant["id"])


async def make_user(
    tenant_id: int, *, is_admin: bool = False, permissions: list[str] | None = None, language: str = ""
) -> dict[str, Any]:
    email = f"user-{uuid.uuid4().hex[:10]}@example.test"
    user = StaffUser(
        tenant=tenant_id, email=email, name="Test User", password_hash=hash_password(PASSWORD),
        is_admin=is_admin, language=language,
    )  # fmt: skip
    await user.save()
    if permissions is not None:
        group = UserGroup(tenant=tenant_id, name=f"group-{uuid.uuid4().hex[:6]}", permissions=permissions)
        await group.save()
        await UserGroupMember(group=group.id, user=user.id).save()
    row = await StaffUser.select().where(StaffUser.id == user.id).first()
    assert row is not None
    return row


async def make_tenant(kind: str = "CPO", parent_id: int | None = None, country: str = "DE") -> TenantCtx:
    slug = f"t-{uuid.uuid4().hex[:12]}"
    tenant = await tenants.create_tenant(
        {"slug": slug, "name": f"Tenant {slug}", "kind": kind, "country_code": country, "party_id": "ISE"},
        parent_id=parent_id,
    )
    admin = await make_user(tenant["id"], is_admin=True)
    return TenantCtx(tenant=tenant, admin=admin, actor=await logins.actor_for_user(admin))


_app: Any = None


def app_client() -> httpx.AsyncClient:
    """An HTTP client on the ASGI app in the test's own event loop (the test session owns the pool)."""
    global _app
    if _app is None:
        from csms.app import create_app

        _app = create_app()
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=_app), base_url="http://testserver.local")


def csrf_of(client: httpx.AsyncClient) -> str:
    return client.cookies.get("csms_csrf") or ""


async def login(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> None:
    page = await client.get("/login")
    token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    response = await client.post(
        "/login", data={"email": email, "password": password, "_csrf_token": token.group(1)}, follow_redirects=False
    )
    assert response.status_code == 303, response.text


async def post_form(client: httpx.AsyncClient, url: str, data: dict[str, Any], **kwargs: Any) -> Any:
    if not csrf_of(client):
        await client.get("/login")
    return await client.post(url, data=data, headers={"x-csrftoken": csrf_of(client)}, **kwargs)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def csms_serve(
    env: dict[str, str],
    log: IO[str] | int = subprocess.DEVNULL,
    command: tuple[str, ...] = (sys.executable, "-m", "csms.cli", "serve"),
    start_within: float = 30,
) -> Iterator[str]:
    """`csms serve` (or ``command``, which passes its arguments on to it) in a subprocess with ``env`` on a free
    port; yields its base URL once /health answers."""
    port = free_port()
    proc = subprocess.Popen(
        [*command, "--port", str(port), "--log-level", "warning"], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + start_within
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.2)
    else:
        proc.kill()
        raise RuntimeError(f"{' '.join(command)} did not start (exit code {proc.poll()})")
    try:
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
