"""Helpers shared by tests: tenants with users, logged-in portal clients, CSRF-aware posts, `csms` processes,
scratch databases and a bare OCPP station."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import ipaddress
import itertools
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlparse

import httpx

from core.db import transaction
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


async def assign_eoperate(actor: Actor, station_id: int) -> None:
    """The eOperate professional product that fits the station (DC when a charge point is DC, else AC): marketing
    and roaming need it (core.products), so every fixture that markets a station or publishes it to partners assigns
    it first."""
    from core.products import assignments
    from core.products.catalogue import ProductCode, ensure_catalogue, product_by_code

    await ensure_catalogue()
    kinds = (await assignments.station_power_types([station_id])).get(station_id, set())
    product = await product_by_code(ProductCode.EOPERATE_DC if "DC" in kinds else ProductCode.EOPERATE_AC)
    assert product is not None
    done = await assignments.assign(actor, product["id"], [station_id])
    assert done.created or done.skipped[0].reason.msgid == "The station already has this product.", done.skipped


async def bulk_eoperate(stations: list[tuple[int, int]]) -> None:
    """eOperate professional AC on many (tenant id, station id) at once, from yesterday: for the benches, which
    seed thousands of marketed stations with direct inserts (roaming partners see a station only with it)."""
    from core.products.catalogue import ProductCode, ensure_catalogue, product_by_code
    from core.products.tables import ProductAssignment

    await ensure_catalogue()
    product = await product_by_code(ProductCode.EOPERATE_AC)
    assert product is not None
    since = datetime.now(UTC) - timedelta(days=1)
    price = product["monthly_net_cents"]
    rows = [ProductAssignment(tenant=tenant_id, station=station_id, product=product["id"], starts_at=since,
                              monthly_net_cents=price) for tenant_id, station_id in stations]  # fmt: skip
    for first in range(0, len(rows), 200):
        await ProductAssignment.insert(*rows[first : first + 200])


_app: Any = None
_addresses = itertools.count(1)


def client_address() -> str:
    """A fresh source address (from 198.18.0.0/15, the range for tests): each client is another machine, so that
    the per-address login throttle counts one test's failures only."""
    n = next(_addresses)
    return f"198.18.{n // 250 % 250}.{n % 250 + 1}"


def app_client(address: str | None = None) -> httpx.AsyncClient:
    """An HTTP client on the ASGI app in the test's own event loop (the test session owns the pool), calling from
    ``address`` (default: a fresh one)."""
    global _app
    if _app is None:
        from csms.app import create_app

        _app = create_app()
    transport = httpx.ASGITransport(app=_app, client=(address or client_address(), 50000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver.local")


def dashboard_count(html: str, testid: str) -> int:
    """The number on a dashboard tile."""
    found = re.search(rf'data-testid="{testid}">\s*<span class="count">(\d+)</span>', html)
    assert found is not None, html
    return int(found.group(1))


def csrf_of(client: httpx.AsyncClient) -> str:
    """The session's CSRF token, from the copy the portal keeps in the csms_csrf cookie (portal/csrf.py)."""
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


def run_csms(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """One `csms` command as an operator runs it, with ``env``."""
    return subprocess.run([sys.executable, "-m", "csms.cli", *args], env=env, capture_output=True, text=True,
                          timeout=120, check=False)  # fmt: skip


async def csms_cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """``run_csms`` from an async test, the event loop running meanwhile: the app's background work in this process
    (embedded: its periodic ticks, the outbox relay) may be in the middle of a SQLite write transaction, and with the
    loop held up it would keep the database's one write lock until the command gave up ("database is locked")."""
    return await asyncio.to_thread(run_csms, env, *args)


async def stop_simulated(sims: list[Any], runners: list[asyncio.Task[None]]) -> None:
    """Stops simulated stations (ocpp_cs.simulator) and waits for their run tasks."""
    for sim in sims:
        await sim.stop()
    for runner in runners:
        runner.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await runner


def stop_process(proc: subprocess.Popen[Any], timeout: float = 15) -> int:
    """SIGTERM, and SIGKILL if it does not end in time; returns the exit code. A process started with
    ``start_new_session=True`` gets the SIGKILL with its whole group (`csms worker`'s Dramatiq forks worker
    processes, which a killed parent would leave running)."""
    proc.terminate()
    try:
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            if os.getpgid(proc.pid) == proc.pid:
                os.killpg(proc.pid, signal.SIGKILL)
        proc.kill()
        return proc.wait()


def wait_healthy(base: str, timeout: float = 30, proc: subprocess.Popen[Any] | None = None) -> None:
    """Until /health answers; gives up at once when ``proc`` (the server) has exited."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and (proc is None or proc.poll() is None):
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError(f"{base} did not start" + (f" (exit code {proc.poll()})" if proc is not None else ""))


SERVE = (sys.executable, "-m", "csms.cli", "serve")


def start_serve(
    env: dict[str, str],
    port: int,
    log: IO[str] | int = subprocess.DEVNULL,
    command: tuple[str, ...] = SERVE,
    start_within: float = 120,
) -> subprocess.Popen[Any]:
    """`csms serve` (or ``command``, which passes its arguments on to it) in a subprocess with ``env`` on
    ``port``, once /health answers."""
    proc = subprocess.Popen(
        [*command, "--port", str(port), "--log-level", "warning"], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        wait_healthy(f"http://127.0.0.1:{port}", start_within, proc)
    except RuntimeError:
        proc.kill()
        raise
    return proc


@contextlib.contextmanager
def csms_serve(
    env: dict[str, str],
    log: IO[str] | int = subprocess.DEVNULL,
    command: tuple[str, ...] = SERVE,
    start_within: float = 120,
    port: int | None = None,
) -> Iterator[str]:
    """`csms serve` (or ``command``) in a subprocess with ``env`` on ``port`` (default: a free one); yields its base
    URL once /health answers."""
    port = port or free_port()
    proc = start_serve(env, port, log, command, start_within)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_process(proc, timeout=10)


@contextlib.contextmanager
def csms_site(env: dict[str, str], log: IO[str], port: int | None = None) -> Iterator[str]:
    """A live csms of its own settings (``env``): `csms serve`, and on Redis a `csms worker` with the same settings
    for the jobs (embedded, the serve runs them itself); yields the base URL."""
    with csms_serve(env, log, port=port) as base:
        if not env.get("REDIS_URL"):
            yield base
            return
        worker = subprocess.Popen([sys.executable, "-m", "csms.cli", "worker", "--processes", "1", "--threads", "2"],
                                  env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
        try:
            yield base
        finally:
            stop_process(worker, timeout=10)


def postgres_server(url: str) -> dict[str, Any]:
    parsed = urlparse(url)
    return {"host": parsed.hostname, "port": parsed.port or 5432, "user": parsed.username or "postgres",
            "password": parsed.password or None}  # fmt: skip


@contextlib.asynccontextmanager
async def scratch_database(suffix: str) -> AsyncIterator[str]:
    """An empty PostgreSQL database next to the suite's (its name, ``_scratch`` and ``suffix``: never a developer's
    own ``<suite db>_<name>`` database), dropped afterwards."""
    import asyncpg

    parsed = urlparse(os.environ["DATABASE_URL"])
    name = parsed.path.lstrip("/") + "_scratch" + suffix
    admin = await asyncpg.connect(**postgres_server(os.environ["DATABASE_URL"]), database="postgres")
    await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield parsed._replace(path=f"/{name}").geturl()
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


class RawStation:
    """An OCPP 1.6 station on a bare websocket: ``call`` sends a CALL and returns its CALLRESULT's payload."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self._counter = 0

    @classmethod
    @contextlib.asynccontextmanager
    async def connect(cls, url: str, charge_box_id: str, password: str) -> AsyncIterator[RawStation]:
        import websockets

        auth = base64.b64encode(f"{charge_box_id}:{password}".encode()).decode()
        async with websockets.connect(
            f"{url}/{charge_box_id}", subprotocols=["ocpp1.6"],  # type: ignore[list-item]
            additional_headers={"Authorization": f"Basic {auth}"},
        ) as ws:  # fmt: skip
            yield cls(ws)

    async def call(self, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        self._counter += 1
        await self.ws.send(json.dumps([2, str(self._counter), action, payload]))
        while True:
            frame = json.loads(await self.ws.recv())
            if frame[1] == str(self._counter):
                assert frame[0] == 3, frame
                return dict(frame[2])


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, as PEM files in ``directory``."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    cert_file, key_file = directory / "cert.pem", directory / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_file, key_file


# Bookkeeping a mere request or login updates: not a write of the data a refusal must leave alone.
_VOLATILE = {
    "api_key": {"last_used_at"},
    "staff_user": {"last_login_at"},
    "staff_session": {"last_seen_at", "remote_addr"},
    # the mail job's delivery of a mail queued earlier (a community invitation of the setup, sent in the background
    # while a refused request runs); a mail a request queues is a new row
    "mail": {"status", "attempts", "last_error", "sending_until", "sent_at"},
}
# Written by logins and API key checks (by e-mail address or source address), by stations and by the sandbox
# payment provider (its answers per idempotency key, the provider's state, not ours) only, never by a portal or API
# route as data.
# The platform's catalogue (product) and its billing runs (billing_run; their lines are the billed tenants') belong
# to the installation, not to a tenant; so do the alert tick's cursor (core.alerts.detect) and the firmware campaign
# tick's lease (core.firmware.campaigns).
_NOT_OF_A_TENANT = {
    "login_attempt",
    "api_key_failure",
    "meter_value",
    "sandbox_call",
    "sandbox_intent",
    "product",
    "billing_run",
    "alert_cursor",
    "firmware_tick_lease",
}


async def stored_rows(*tenant_ids: int) -> dict[str, list[tuple[Any, ...]]]:
    """Every stored row of these tenants, table by table (rows without a tenant column through the row they
    belong to), and the outbox's size: two equal answers around a request prove that it wrote nothing."""
    from core.db import engine
    from core.piccolo_app import APP_CONFIG

    owned = {t for t in APP_CONFIG.table_classes if "tenant" in {c._meta.name for c in t._meta.columns}}
    ids = ", ".join(str(int(i)) for i in tenant_ids)
    result: dict[str, list[tuple[Any, ...]]] = {}
    async with engine().transaction():  # one connection for all the reads (SQLite opens one per query otherwise)
        for table in APP_CONFIG.table_classes:
            sql = _rows_sql(table, owned, ids)
            if sql is not None:
                result[table._meta.tablename] = [tuple(row.values()) for row in await table.raw(sql)]
    return result


def _rows_sql(table: Any, owned: set[Any], ids: str) -> str | None:
    name = table._meta.tablename
    if name == "outbox_message":  # messages are never deleted: a new one is a new id
        return "SELECT count(*) AS n, max(id) AS last FROM outbox_message"
    if name in _NOT_OF_A_TENANT:
        return None
    if name == "tenant":
        where = f"id IN ({ids})"
    elif table in owned:
        where = f"tenant IN ({ids})"
    else:
        parents = [
            (fk._meta.db_column_name, fk._foreign_key_meta.resolved_references._meta.tablename)
            for fk in table._meta.foreign_key_columns
            if fk._foreign_key_meta.resolved_references in owned
        ]
        if not parents:
            raise LookupError(f"stored_rows: whose rows are in {name}? (tests/support.py)")
        column, parent = parents[0]
        where = f'"{column}" IN (SELECT id FROM {parent} WHERE tenant IN ({ids}))'
    columns = ", ".join(
        f'"{c._meta.db_column_name}"' for c in table._meta.columns if c._meta.name not in _VOLATILE.get(name, ())
    )
    return f"SELECT {columns} FROM {name} WHERE {where} ORDER BY id"  # noqa: S608 - names from the tables


class HeldWrite:
    """Another writer in an open transaction that made ``update`` (a Piccolo query): it holds the rows it changed
    (PostgreSQL) or the whole database (SQLite) until ``release``, so that a write of the code under test waits."""

    def __init__(self, update: Any) -> None:
        self._update = update
        self._locked, self._unlock = asyncio.Event(), asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def _hold(self) -> None:
        async with transaction():
            await self._update
            self._locked.set()
            await self._unlock.wait()

    async def __aenter__(self) -> HeldWrite:
        self._task = asyncio.create_task(self._hold())
        await self._locked.wait()
        return self

    async def release(self) -> None:
        self._unlock.set()
        if self._task is not None:
            await self._task

    async def __aexit__(self, *exc: object) -> None:
        await self.release()
