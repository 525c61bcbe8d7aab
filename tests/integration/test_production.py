"""Production mode as docs/deployment.md sets it up: `csms serve` nodes and a `csms worker` on PostgreSQL + Redis,
each a real process, in a database of their own made with the documented commands.

- A station charges, the worker makes the CDR; the worker stops, a station charges again (its job waits in Redis),
  a new worker starts: the CDR is made, the worker logs no traceback, the outbox row carries no false error.
- A node holding a station is killed (SIGKILL): the other node's portal and REST API show the station offline
  within seconds; after a restart the flags are right again.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from tests.support import (
    RawStation,
    dashboard_count,
    free_port,
    login,
    run_csms,
    scratch_database,
    start_serve,
    stop_process,
)

pytestmark = [
    pytest.mark.redis,
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith("postgres"), reason="production mode is PostgreSQL + Redis"
    ),
]

STATION_PASSWORD = "station-secret-0123456"  # noqa: S105 - test credential
ADMIN_PASSWORD = "admin-password-0123"  # noqa: S105 - test credential


@dataclass
class Deployment:
    env: dict[str, str]
    database_url: str
    logs: Path
    processes: list[subprocess.Popen[Any]] = field(default_factory=list)

    def csms(self, *args: str) -> str:
        done = run_csms(self.env, *args)
        assert done.returncode == 0, done.stderr
        return done.stdout

    def log(self, name: str) -> Any:
        return (self.logs / f"{name}.log").open("a")

    def serve(self, node_id: str, port: int) -> subprocess.Popen[Any]:
        with self.log(node_id) as log:
            proc = start_serve({**self.env, "CSMS_NODE_ID": node_id}, port, log)
        self.processes.append(proc)
        return proc

    def worker(self, name: str, env: dict[str, str] | None = None) -> subprocess.Popen[Any]:
        """`csms worker` in a process group of its own (stop_process ends its forked worker processes too)."""
        with self.log(name) as log:
            proc = subprocess.Popen(
                [sys.executable, "-m", "csms.cli", "worker", "--processes", "1", "--threads", "2"],
                env=env or self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        self.processes.append(proc)
        return proc

    def log_text(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text()

    async def outbox_row(self, dedupe_key: str) -> dict[str, Any] | None:
        conn = await asyncpg.connect(self.database_url)
        try:
            row = await conn.fetchrow(
                "SELECT attempts, last_error, delivered_at FROM outbox_message WHERE dedupe_key = $1", dedupe_key
            )
        finally:
            await conn.close()
        return None if row is None else dict(row)


@pytest.fixture(scope="module")
async def deployment() -> AsyncIterator[Deployment]:
    """The install of docs/deployment.md: a database, `csms migrate`, a tenant with its admin and an API key."""
    async with scratch_database("_production") as url:
        var = tempfile.mkdtemp(prefix="csms-production-")
        env = {**os.environ, "DATABASE_URL": url, "CSMS_VAR_DIR": var}
        deployed = Deployment(env, url, Path(var))
        deployed.csms("migrate")
        yield deployed


@dataclass
class Operator:
    """A tenant made with `csms tenant create`, its admin with `csms user create`, a key with `csms apikey create`."""

    email: str
    api: httpx.AsyncClient


@pytest.fixture
async def operator(deployment: Deployment) -> AsyncIterator[Operator]:
    slug = f"cpo-{uuid.uuid4().hex[:8]}"
    deployment.csms("tenant", "create", "--slug", slug, "--name", "Stadtwerke Test GmbH", "--party-id", "STW")
    email = f"admin@{slug}.example"
    deployment.csms("user", "create", "--tenant", slug, "--email", email, "--admin", "--password", ADMIN_PASSWORD)
    key = deployment.csms("apikey", "create", "--tenant", slug).strip()
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {key}"}, timeout=30) as api:
        yield Operator(email, api)


def _ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


async def make_station(operator: Operator, base: str, charge_box_id: str) -> dict[str, Any]:
    """A location, a commissioned station with one charge point and a charging card, through the REST API."""
    location = _ok(await operator.api.post(f"{base}/api/v1/locations", json={
        "name": f"Depot {charge_box_id}", "address": "Hafenstr. 5", "postal_code": "20457", "city": "Hamburg",
        "country": "DEU", "coordinates": {"latitude": "53.5459", "longitude": "9.9666"}}), 201)  # fmt: skip
    station = _ok(await operator.api.post(f"{base}/api/v1/stations", json={
        "location_id": location["id"], "charge_box_id": charge_box_id, "installation_status": "COMMISSIONED",
        "ocpp_password": STATION_PASSWORD}), 201)  # fmt: skip
    _ok(await operator.api.post(f"{base}/api/v1/evses", json={"station_id": station["id"], "evse_number": 1}), 201)
    return dict(station)


async def until(check: Callable[[], Awaitable[Any]], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while not (result := await check()):
        assert time.monotonic() < deadline, f"{what} not within {timeout} s"
        await asyncio.sleep(0.2)
    return result


async def charge(base: str, charge_box_id: str, tag: str, day: int) -> int:
    """One session of 7 kWh on the ``day`` of December; returns its transaction id."""
    async with RawStation.connect(base.replace("http://", "ws://") + "/ocpp", charge_box_id, STATION_PASSWORD) as st:
        assert (await st.call("BootNotification", {"chargePointVendor": "ABL", "chargePointModel": "eMH3"}))[
            "status"
        ] == "Accepted"
        start = await st.call("StartTransaction", {"connectorId": 1, "idTag": tag, "meterStart": 1000,
                                                   "timestamp": f"2026-12-{day:02d}T10:00:00Z"})  # fmt: skip
        assert start["idTagInfo"]["status"] == "Accepted"
        await st.call("StopTransaction", {"transactionId": start["transactionId"], "meterStop": 8000,
                                          "timestamp": f"2026-12-{day:02d}T11:00:00Z", "reason": "Local"})  # fmt: skip
    return int(start["transactionId"])


async def test_cdrs_are_made_by_a_worker_process_also_after_its_restart(
    deployment: Deployment, operator: Operator
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    deployment.serve(f"cdr-node-{uuid.uuid4().hex[:6]}", port)
    box, tag = f"HH-{uuid.uuid4().hex[:8]}", f"AB{uuid.uuid4().hex[:6]}".upper()
    await make_station(operator, base, box)
    _ok(await operator.api.post(f"{base}/api/v1/cards", json={"uid": tag}), 201)

    async def cdr_of(tx: int) -> Any:
        return _ok(await operator.api.get(f"{base}/api/v1/sessions/{tx}"))["cdr_id"]

    first_worker = deployment.worker("worker-1")
    first = await charge(base, box, tag, day=1)
    cdr = _ok(await operator.api.get(f"{base}/api/v1/cdrs/{await until(lambda: cdr_of(first), 60, 'first CDR')}"))
    assert cdr["charge_box_id"] == box and float(cdr["total_energy"]) == 7.0

    assert stop_process(first_worker) == 0
    second = await charge(base, box, tag, day=2)

    async def handed_over() -> bool:  # the node's relay put the job into Redis; nobody takes it
        row = await deployment.outbox_row(f"session-stopped:{second}")
        return row is not None and row["attempts"] == 1

    await until(handed_over, 15, "the job handed to Redis")
    await asyncio.sleep(1)
    assert await cdr_of(second) is None

    deployment.worker("worker-2")  # takes the waiting job as soon as it boots
    await until(lambda: cdr_of(second), 60, "the CDR of the session whose job waited")
    row = await deployment.outbox_row(f"session-stopped:{second}")
    assert row is not None and row["delivered_at"] is not None and row["last_error"] == ""
    log = deployment.log_text("worker-2")
    assert "Traceback" not in log and "invalid connection" not in log, log
    assert "Traceback" not in deployment.log_text("worker-1")


def test_a_worker_without_its_database_exits_with_a_clear_error(deployment: Deployment) -> None:
    """Rather than take jobs it cannot run; `csms worker` ends with it (a supervisor restarts it)."""
    worker = deployment.worker("worker-missing", {**deployment.env, "DATABASE_URL": deployment.database_url + "_x"})
    try:
        code = worker.wait(timeout=60)
    except subprocess.TimeoutExpired:
        code = None
    log = deployment.log_text("worker-missing")
    assert code == 3, log
    assert "cannot open the database pool" in log and "Traceback" not in log


async def test_a_killed_nodes_stations_show_offline_within_seconds(deployment: Deployment, operator: Operator) -> None:
    ports = {"a": free_port(), "b": free_port()}
    bases = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    suffix = uuid.uuid4().hex[:6]
    nodes = {name: f"node-{name}-{suffix}" for name in ports}
    procs = {name: deployment.serve(nodes[name], ports[name]) for name in ports}
    on_a = await make_station(operator, bases["b"], f"A-{suffix}")
    on_b = await make_station(operator, bases["b"], f"B-{suffix}")

    async def connected(base: str, station: dict[str, Any]) -> bool:
        return bool(_ok(await operator.api.get(f"{base}/api/v1/stations/{station['id']}"))["connected"])

    async def offline(base: str, station: dict[str, Any]) -> bool:
        return not await connected(base, station)

    ws = {name: base.replace("http://", "ws://") + "/ocpp" for name, base in bases.items()}
    async with (
        RawStation.connect(ws["a"], on_a["charge_box_id"], STATION_PASSWORD),
        RawStation.connect(ws["b"], on_b["charge_box_id"], STATION_PASSWORD),
    ):
        await until(lambda: connected(bases["b"], on_a), 10, "station on node A online")
        await until(lambda: connected(bases["a"], on_b), 10, "station on node B online")

        procs["a"].send_signal(signal.SIGKILL)
        killed = time.monotonic()
        await until(lambda: offline(bases["b"], on_a), 10, "the killed node's station offline")
        took = time.monotonic() - killed
        assert await connected(bases["b"], on_b)  # the surviving node's station stays online
        command = await operator.api.post(f"{bases['b']}/api/v1/stations/{on_a['id']}/commands/reset",
                                          json={"type": "Soft"})  # fmt: skip
        assert command.status_code == 409 and command.json()["status"] == "offline"
        async with httpx.AsyncClient(base_url=bases["b"], timeout=30) as portal:
            await login(portal, operator.email, ADMIN_PASSWORD)
            page = await portal.get(f"/infrastructure/stations/{on_a['id']}")
            assert page.status_code == 200 and "Offline" in page.text and "Online" not in page.text
            dashboard = (await portal.get("/")).text
            assert dashboard_count(dashboard, "stations-online") == 1
            assert dashboard_count(dashboard, "stations-offline") == 1

        # Node B dies as well: nobody is left to reset its station's flag ...
        procs["b"].send_signal(signal.SIGKILL)
        procs["b"].wait(10)
    # ... until node A starts again: the flags no live node holds are reset before it serves.
    deployment.serve(nodes["a"], ports["a"])
    assert await offline(bases["a"], on_b) and await offline(bases["a"], on_a)
    async with RawStation.connect(ws["a"], on_a["charge_box_id"], STATION_PASSWORD):
        await until(lambda: connected(bases["a"], on_a), 10, "the reconnected station online")
        assert await offline(bases["a"], on_b)
    assert took < 10


@pytest.fixture(autouse=True)
def _no_leftover_processes(deployment: Deployment) -> Iterator[None]:
    yield
    for proc in deployment.processes:
        if proc.poll() is None:
            stop_process(proc)
    deployment.processes.clear()
