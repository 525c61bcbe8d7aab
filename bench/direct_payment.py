"""Direct Payment under load (issue 15): many drivers scan, pay, charge, stop and get their receipt at once.

    .venv/bin/python bench/direct_payment.py [--flows 200] [--nodes 1] [--station-procs 2] [--poll 3]
                                             [--charge-seconds 45] [--meter-interval 10] [--solo 3] [--ramp 30]
    .venv/bin/python bench/direct_payment.py --ramp 10 --charge-seconds 4 --meter-interval 1   # a flash crowd
    .venv/bin/python bench/direct_payment.py --queries 60   # statements and CPU per driver request, in process

Production mode on this machine: ``--nodes`` ``csms serve`` nodes and one ``csms worker`` (the session-stopped
handler that builds the CDR and captures the final price, and the receipt mail, run there) on a fresh PostgreSQL
database (``--database``, dropped and made again) and Redis (``--redis``, a db the bench empties). Seeded: one CPO,
``--flows + --solo`` stations of one charge point each, Direct Payment switched on, one tariff (0.40 EUR/kWh, a
0.50 EUR session fee, 19 % VAT). The stations are csms's own simulator (``ocpp_cs.simulator.SimulatedStation``) in
``--station-procs`` processes: they accept RemoteStartTransaction, send StartTransaction, MeterValues every
``--meter-interval`` seconds while charging and StopTransaction on RemoteStopTransaction. The receipt mails go to
an aiosmtpd server in this process (``SMTP_URL``).

A driver flow is what the phone's browser does (tests/e2e/test_driver_pay_browser.py), with a plain httpx client
(cookies kept, redirects followed by hand so that each request is timed on its own):
  GET /pay/{evse_id} (page load; the CSRF token from the form), GET /pay/{evse_id}/status (the live status fragment
  the page polls), POST /pay/{evse_id} with the sandbox's success card, GET the payment page it redirects to, then
  the progress fragment as often as the page polls it (its ``hx-trigger="every Ns"``: every second while the station
  starts, every 3 s while charging; ``--poll`` only where a page names no interval) until the session runs;
  ``--charge-seconds`` of charging (the fragment still polled), POST .../stop, the fragment until it redirects, and
  the finished page.

Concurrent means in flight at once: by default the 200 starts are spread over 30 s and each driver charges 45 s, so
every flow overlaps every other (printed: the most flows in flight at once); 6.7 drivers arrive a second. A flash
crowd (``--ramp 10 --charge-seconds 4``: 20 drivers a second, each gone after a few seconds) is the harder load.

The pay throttle (``PAY_ATTEMPTS`` payments per address per ``PAY_WINDOW``) stays as it is: every driver connects
from its own loopback address (127.0.1.1, 127.0.1.2, ...: Linux routes all of 127.0.0.0/8 to ``lo``, and the node
listens on 127.0.0.1), so each driver is one address, as phones are. X-Forwarded-For is not used (``csms serve``
trusts it only from ``FORWARDED_ALLOW_IPS``).

Printed: p50/p95/max of the page load, the status fragment, the pay POST, payment -> start as the driver sees it
(POST sent -> first page or fragment showing the session running) and as the station sees it (POST sent ->
StartTransaction answered), stop -> receipt (POST stop sent -> the receipt mail at the SMTP server); anchors of the
same run: GET /health with the same concurrency, the page load with nothing else running, and ``--solo`` flows one
after another; the load average; and the final check: payments still holding money without a session (must be 0).
Nothing is asserted; goals (issue 15): page p95 <= 200 ms, payment -> start p95 <= 2 s, no money held without a
session.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import multiprocessing
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.ocpi_csms_seed import recreate_database  # noqa: E402
from bench.ocpi_locations import cpu_seconds  # noqa: E402
from bench.ocpi_tokens import backend_cpu  # noqa: E402
from tests.support import free_port, start_serve, stop_process  # noqa: E402

PASSWORD = "bench-pay-station-2026"
CARD = {"card_number": "4242 4242 4242 4242", "card_expiry": "12/39", "card_cvc": "123", "terms": "on"}
CSRF = re.compile(r'name="_csrf_token" value="([^"]+)"')
STATE = re.compile(r'data-testid="progress" data-state="([a-z_]+)"')
TRIGGER = re.compile(r'hx-trigger="every (\d+(?:\.\d+)?)s"')


def interval(html: str, default: float) -> float:
    """How long the page waits before it polls again (its hx-trigger), else ``default``."""
    found = TRIGGER.search(html)
    return float(found[1]) if found else default


def evse_of(n: int) -> str:
    return f"DE*BPY*E{n:05d}*1"


def box_of(n: int) -> str:
    return f"BPY-{n:05d}"


def address_of(n: int) -> str:
    """The loopback address driver ``n`` connects from (one per driver, as one per phone)."""
    return f"127.0.{1 + n // 250}.{1 + n % 250}"


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def figures(values: list[float]) -> str:
    if not values:
        return "no samples"
    return (f"p50 {statistics.median(values):7.1f} ms  p95 {pct(values, 0.95):7.1f} ms  max {max(values):7.1f} ms  "
            f"(n={len(values)})")  # fmt: skip


# --- seeding ------------------------------------------------------------------------------------------------------


async def seed(stations: int) -> None:
    from core import db
    from core.infrastructure import locations
    from core.infrastructure.tables import ChargePoint, ChargingStation, Connector
    from core.tariffs import assignments, tariffs
    from core.tenancy import logins, tenants
    from core.tenancy.passwords import hash_password
    from tests.support import make_user

    await db.migrate()
    await db.open_pool(4)
    cpo = await tenants.create_tenant({"slug": "b-pay", "name": "Bench Pay CPO", "kind": "CPO", "country_code": "DE",
                                       "party_id": "BPY"})  # fmt: skip
    actor = await logins.actor_for_user(await make_user(cpo["id"], is_admin=True))
    location = await locations.create_location(actor, {
        "name": "Depot", "address": "Hauptstr. 1", "postal_code": "80331", "city": "München", "country": "DEU",
        "latitude": "48.1", "longitude": "11.5"})  # fmt: skip
    password_hash = hash_password(PASSWORD)
    cp_ids: list[int] = []
    for first in range(0, stations, 200):
        chunk = range(first, min(stations, first + 200))
        rows = await ChargingStation.insert(*[
            ChargingStation(tenant=cpo["id"], location=location["id"], charge_box_id=box_of(i),
                            ocpp_password_hash=password_hash, installation_status="COMMISSIONED", attributes={})
            for i in chunk]).returning(ChargingStation.id)  # fmt: skip
        cps = await ChargePoint.insert(*[
            ChargePoint(tenant=cpo["id"], station=row["id"], evse_number=1, evse_id=evse_of(i),
                        auth_direct_payment=True) for i, row in zip(chunk, rows, strict=True)]).returning(
            ChargePoint.id)  # fmt: skip
        await Connector.insert(*[Connector(tenant=cpo["id"], charge_point=c["id"]) for c in cps])
        cp_ids += [c["id"] for c in cps]
    tariff = await tariffs.create_tariff(actor, {
        "name": "Standard", "currency": "EUR", "ac_energy_per_kwh": "0.40", "ac_session_fee": "0.50",
        "dc_energy_per_kwh": "0.60"})  # fmt: skip
    # in force before the stations' StartTransaction timestamps (whole seconds)
    await assignments.assign_tariff(actor, tariff["id"], cp_ids, datetime.now(UTC) - timedelta(minutes=1))
    await db.close_pool()


async def _available(database: str, stations: int) -> int:
    import asyncpg

    conn = await asyncpg.connect(database)
    try:
        return int(await conn.fetchval(
            "select count(*) from charge_point cp join charging_station s on s.id = cp.station "
            "where cp.status = 'AVAILABLE' and s.connected"))  # fmt: skip
    finally:
        await conn.close()


async def final_check(database: str) -> tuple[int, dict[str, int]]:
    """Payments in a state that may hold money (core.payments.states.HOLDING) without a session, and all by state."""
    import asyncpg

    from core.payments.states import HOLDING

    conn = await asyncpg.connect(database)
    try:
        held = await conn.fetchval("select count(*) from payment where state = any($1::text[]) and session is null",
                                   [s.value for s in HOLDING])  # fmt: skip
        rows = await conn.fetch("select state, count(*) as n from payment group by state order by state")
    finally:
        await conn.close()
    return int(held), {row["state"]: int(row["n"]) for row in rows}


# --- the stations -------------------------------------------------------------------------------------------------


async def _stations(url: str, numbers: list[int], meter_interval: float, ready: Any, finish: Any,
                    out: Any) -> None:  # fmt: skip
    from ocpp_cs.simulator import SimulatedStation

    sims = [SimulatedStation(url, box_of(n), PASSWORD, connectors=1) for n in numbers]
    started: dict[str, float] = {}  # idTag -> when its StartTransaction was answered
    for sim in sims:
        original = sim._remember_transaction

        def remember(message: Any, result: Any, original: Any = original) -> None:
            started.setdefault(message.id_tag, time.time())
            original(message, result)

        sim._remember_transaction = remember  # type: ignore[method-assign]
    tasks = [asyncio.create_task(sim.run()) for sim in sims]
    for sim in sims:
        await sim.connected.wait()
    ready.put(len(sims))

    async def meter() -> None:
        while True:
            await asyncio.sleep(meter_interval)
            for sim in sims:
                session = sim.sessions.get(1)
                if session is not None and session.transaction_id is not None:
                    asyncio.create_task(sim.meter_tick(1, 500))

    ticker = asyncio.create_task(meter())
    await asyncio.get_running_loop().run_in_executor(None, finish.wait)
    ticker.cancel()
    for sim in sims:
        await sim.stop()
    for task in tasks:
        task.cancel()
    out.put(started)


def _station_process(url: str, numbers: list[int], meter_interval: float, ready: Any, finish: Any, out: Any) -> None:
    asyncio.run(_stations(url, numbers, meter_interval, ready, finish, out))


# --- the mail server ----------------------------------------------------------------------------------------------


class Inbox:
    """aiosmtpd handler: when the receipt mail of each driver's address arrived."""

    def __init__(self) -> None:
        self.arrived: dict[str, float] = {}

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        for rcpt in envelope.rcpt_tos:
            self.arrived.setdefault(rcpt.lower(), time.time())
        return "250 OK"


# --- the drivers --------------------------------------------------------------------------------------------------


@dataclass
class Flow:
    page: list[float] = field(default_factory=list)
    status: list[float] = field(default_factory=list)
    pay_post: list[float] = field(default_factory=list)
    progress: list[float] = field(default_factory=list)
    to_start: float | None = None  # payment -> the driver sees the session running (ms)
    paid_at: float = 0.0  # time.time() when the pay POST was sent
    stop_at: float = 0.0
    id_tag: str = ""
    email: str = ""
    error: str = ""


async def _timed(client: Any, method: str, url: str, into: list[float], **kwargs: Any) -> Any:
    began = time.perf_counter()
    response = await client.request(method, url, **kwargs)
    into.append((time.perf_counter() - began) * 1000)
    return response


IN_FLIGHT = [0, 0]  # flows running now, most at once


async def driver_flow(base: str, n: int, poll: float, charge_seconds: float, run_id: str, delay: float = 0.0) -> Flow:
    """One driver at charge point ``n`` from its own address, after ``delay`` seconds; every request timed."""
    await asyncio.sleep(delay)
    IN_FLIGHT[0] += 1
    IN_FLIGHT[1] = max(IN_FLIGHT)
    try:
        return await _driver_flow(base, n, poll, charge_seconds, run_id)
    finally:
        IN_FLIGHT[0] -= 1


async def _driver_flow(base: str, n: int, poll: float, charge_seconds: float, run_id: str) -> Flow:
    import httpx

    flow = Flow(email=f"driver-{run_id}-{n}@example.org")
    transport = httpx.AsyncHTTPTransport(local_address=address_of(n))
    path = f"/pay/{quote(evse_of(n), safe='*')}"
    async with httpx.AsyncClient(base_url=base, transport=transport, timeout=120) as client:
        try:
            page = await _timed(client, "GET", path, flow.page)
            token = CSRF.search(page.text)
            if page.status_code != 200 or token is None or 'data-status="available"' not in page.text:
                flow.error = f"page {page.status_code}"
                return flow
            await _timed(client, "GET", f"{path}/status", flow.status)
            flow.paid_at = time.time()
            began = time.perf_counter()
            paid = await _timed(client, "POST", path, flow.pay_post,
                                data={"_csrf_token": token[1], "email": flow.email, **CARD})  # fmt: skip
            if paid.status_code != 303 or not paid.headers["location"].startswith("/pay/p/"):
                flow.error = f"pay {paid.status_code}"
                return flow
            payment_path = paid.headers["location"]
            uid = payment_path.rsplit("/", 1)[1]
            flow.id_tag = f"PAY{uid[:17].upper()}"
            shown = await _timed(client, "GET", payment_path, flow.page)
            state = STATE.search(shown.text)
            while state is not None and state[1] == "session_starting":
                await asyncio.sleep(interval(shown.text, poll))
                shown = await _timed(client, "GET", f"{payment_path}/progress", flow.progress)
                state = STATE.search(shown.text)
            if state is None or state[1] != "charging":
                flow.error = f"start: {state[1] if state else shown.status_code}"
                return flow
            flow.to_start = (time.perf_counter() - began) * 1000
            charging_until = time.perf_counter() + charge_seconds
            while time.perf_counter() < charging_until:
                every = interval(shown.text, poll)
                await asyncio.sleep(min(every, max(0.0, charging_until - time.perf_counter())))
                shown = await _timed(client, "GET", f"{payment_path}/progress", flow.progress)
            token = CSRF.search(shown.text)
            flow.stop_at = time.time()
            stopped = await client.post(f"{payment_path}/stop", data={"_csrf_token": token[1] if token else ""})
            if stopped.status_code != 303:
                flow.error = f"stop {stopped.status_code}"
                return flow
            deadline = time.perf_counter() + 60
            while time.perf_counter() < deadline:
                await asyncio.sleep(interval(shown.text, poll))
                shown = await _timed(client, "GET", f"{payment_path}/progress", flow.progress)
                if "hx-redirect" in shown.headers:
                    break
            await _timed(client, "GET", payment_path, flow.page)
        except httpx.HTTPError as exc:
            flow.error = f"{type(exc).__name__}: {exc}"
    return flow


async def drivers(base: str, numbers: list[int], poll: float, charge_seconds: float, run_id: str,
                  ramp: float = 0.0) -> list[Flow]:  # fmt: skip
    """The flows of ``numbers`` at once, their starts spread evenly over ``ramp`` seconds."""
    step = ramp / max(1, len(numbers))
    return list(await asyncio.gather(*(driver_flow(base, n, poll, charge_seconds, run_id, i * step)
                                       for i, n in enumerate(numbers))))  # fmt: skip


async def gets(base: str, path: str, count: int, concurrency: int) -> list[float]:
    """``count`` GETs of ``path`` with ``concurrency`` clients (each from its own address) in flight."""
    import httpx

    times: list[float] = []
    left = iter(range(count))

    async def client_loop(i: int) -> None:
        transport = httpx.AsyncHTTPTransport(local_address=address_of(5000 + i))
        async with httpx.AsyncClient(base_url=base, transport=transport, timeout=60) as client:
            for _ in left:
                await _timed(client, "GET", path, times)

    await asyncio.gather(*(client_loop(i) for i in range(concurrency)))
    return times


def load_average() -> str:
    return " ".join(f"{v:.1f}" for v in os.getloadavg())


async def wait_for_mails(inbox: Inbox, emails: list[str], timeout: float) -> None:
    for _ in range(int(timeout / 0.2)):
        if all(e.lower() in inbox.arrived for e in emails):
            return
        await asyncio.sleep(0.2)


def group_pids(pgid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            if int(stat.read_text().rsplit(")", 1)[1].split()[2]) == pgid:
                found.append(int(stat.parent.name))
    return found


def cpu_now(pids: dict[str, list[int]], database: str) -> tuple[dict[str, float], dict[int, float]]:
    """CPU seconds so far: of each group of processes and of this process; and of each PostgreSQL backend of the
    database (a thread: backend_cpu runs its own event loop)."""
    found = {name: sum(cpu_seconds(pid) for pid in group) for name, group in pids.items()}
    found["this process (the drivers' httpx clients)"] = time.process_time()
    return found, backend_cpu(database)


def cpu_spent(before: tuple[dict[str, float], dict[int, float]],
              after: tuple[dict[str, float], dict[int, float]]) -> dict[str, float]:  # fmt: skip
    spent = {name: seconds - before[0][name] for name, seconds in after[0].items()}
    spent["PostgreSQL backends"] = sum(cpu - before[1].get(pid, 0.0) for pid, cpu in after[1].items())
    return spent


def summary(flows: list[Flow], inbox: Inbox, started: dict[str, float], title: str) -> list[str]:
    ok = [f for f in flows if not f.error]
    lines = [f"{title}: {len(ok)} of {len(flows)} flows completed"]
    errors: dict[str, int] = {}
    for f in flows:
        if f.error:
            errors[f.error] = errors.get(f.error, 0) + 1
    if errors:
        lines.append(f"  failed: {errors}")
    at_station = [(started[f.id_tag] - f.paid_at) * 1000 for f in ok if f.id_tag in started]
    receipts = [(inbox.arrived[f.email.lower()] - f.stop_at) * 1000 for f in ok if f.email.lower() in inbox.arrived]
    lines += [
        f"  page load (GET /pay/{{evse}}, /pay/p/{{uid}}) {figures([t for f in flows for t in f.page])}",
        f"  status fragment (GET .../status)          {figures([t for f in flows for t in f.status])}",
        f"  progress fragment (GET .../progress)      {figures([t for f in flows for t in f.progress])}",
        f"  pay POST (hold + RemoteStart answered)    {figures([t for f in flows for t in f.pay_post])}",
        f"  payment -> start, as the driver sees it   {figures([f.to_start for f in ok if f.to_start is not None])}",
        f"  payment -> StartTransaction answered      {figures(at_station)}",
        f"  stop -> receipt mail at the SMTP server   {figures(receipts)} ({len(receipts)} mails)",
    ]
    return lines


# --- statements per request (in process) --------------------------------------------------------------------------


async def queries(repeat: int) -> None:
    """``--queries``: the driver's requests on the app in this process (httpx ASGITransport, no server), each with
    the SQL statements it sent (counted on asyncpg's connection) and its CPU time (app and client, median of
    ``repeat``). The seed's first charge point is marked available (no station connects: the pay POST's
    RemoteStartTransaction finds it offline); the second gets a payment whose session has started."""
    import httpx
    from asyncpg.connection import Connection

    from core import db
    from core.charging.tables import ChargingSession
    from core.payments import service
    from csms.app import create_app

    sent = [0]
    run_execute, execute = Connection._execute, Connection.execute

    async def counted_run(self: Any, query: str, *args: Any, **kwargs: Any) -> Any:
        sent[0] += 1
        return await run_execute(self, query, *args, **kwargs)

    async def counted(self: Any, query: str, *args: Any, **kwargs: Any) -> Any:
        sent[0] += not args  # with arguments it goes through _execute
        return await execute(self, query, *args, **kwargs)

    Connection._execute, Connection.execute = counted_run, counted  # type: ignore[method-assign]
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request otherwise
    await seed(2)
    await db.open_pool(4)
    from core.infrastructure.tables import ChargePoint, ChargingStation

    await ChargingStation.update({ChargingStation.connected: True}, force=True)
    await ChargePoint.update({ChargePoint.status: "AVAILABLE"}, force=True)
    cp = await ChargePoint.select().where(ChargePoint.evse_id == evse_of(1)).first()
    assert cp is not None
    payment = await service.create_payment(
        cp["tenant"], amount=Decimal("50"), currency="EUR", charge_point_id=cp["id"], evse_id=evse_of(1),
        email="q@example.org",
    )  # fmt: skip
    payment = await service.authorise(payment["id"], "4242424242424242", "http://bench/return")
    payment = await service.session_starting(payment["id"])
    await ChargingSession(
        tenant=cp["tenant"], station=cp["station"], charge_point=cp["id"], id_tag=payment["id_tag"],
        status="STARTED", started_at=datetime.now(UTC), auth_source="DIRECT_PAYMENT",
    ).save()  # fmt: skip
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(), client=(address_of(0), 50000)),
                               base_url="http://bench")  # fmt: skip
    page_path, payment_path = f"/pay/{quote(evse_of(0), safe='*')}", f"/pay/p/{payment['uid']}"

    async def one(name: str, method: str, url: str, times: int = repeat, **kwargs: Any) -> Any:
        cpu = []
        for _ in range(times):
            sent[0], began = 0, time.process_time()
            response = await client.request(method, url, **kwargs)
            cpu.append((time.process_time() - began) * 1000)
        print(f"{name:58} {response.status_code}  {sent[0]:3d} statements  CPU {statistics.median(cpu):6.2f} ms")
        return response

    page = await one("GET /pay/{evse_id} (the page)", "GET", page_path)
    await one("GET /pay/{evse_id}/status", "GET", f"{page_path}/status")
    await one("GET /health", "GET", "/health")
    await one("GET /pay/p/{uid}, the session has just started", "GET", payment_path, times=1)
    await one("GET /pay/p/{uid} while charging", "GET", payment_path)
    await one("GET /pay/p/{uid}/progress while charging", "GET", f"{payment_path}/progress")
    token = CSRF.search(page.text)
    await one("POST /pay/{evse_id} (the station is offline: released)", "POST", page_path, times=1,
              data={"_csrf_token": token[1] if token else "", "email": "q@example.org", **CARD})  # fmt: skip
    await client.aclose()
    await db.close_pool()


# --- the run ------------------------------------------------------------------------------------------------------


def run(args: argparse.Namespace) -> None:
    import redis
    from aiosmtpd.controller import Controller

    redis.Redis.from_url(args.redis).flushdb()
    asyncio.run(recreate_database(args.database))
    var = Path(tempfile.mkdtemp(prefix="csms-bench-pay-"))
    inbox = Inbox()
    smtp_port = free_port()
    smtp = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    env = {**os.environ, "DATABASE_URL": args.database, "REDIS_URL": args.redis, "CSMS_VAR_DIR": str(var),
           "SECRET_KEY": "bench-secret-key-that-is-long-enough-0123456789",
           "SMTP_URL": f"smtp://127.0.0.1:{smtp_port}"}  # fmt: skip
    stations = args.flows + args.solo
    code = f"import asyncio; from bench.direct_payment import seed; asyncio.run(seed({stations}))"
    subprocess.run([sys.executable, "-c", code], env={**env, "PYTHONPATH": str(ROOT)}, cwd=ROOT, check=True)
    log = (var / "processes.log").open("w")
    ports = [free_port() for _ in range(args.nodes)]
    processes: list[subprocess.Popen[Any]] = []
    ctx = multiprocessing.get_context("spawn")
    ready, finish, out = ctx.Queue(), ctx.Event(), ctx.Queue()
    procs: list[Any] = []
    loads: list[str] = []
    cpu: dict[str, float] = {}
    wall: list[float] = []
    try:
        for i, port in enumerate(ports):
            processes.append(start_serve({**env, "CSMS_NODE_ID": f"bench-pay-{i}",
                                          "PUBLIC_URL": f"http://127.0.0.1:{ports[0]}"}, port, log))  # fmt: skip
        processes.append(subprocess.Popen([sys.executable, "-m", "csms.cli", "worker", "--processes", "1",
                                           "--threads", "8"], env={**env, "PUBLIC_URL": f"http://127.0.0.1:{ports[0]}"},
                                          stdout=log, stderr=subprocess.STDOUT, start_new_session=True))  # fmt: skip
        for i in range(args.station_procs):
            numbers = list(range(i, stations, args.station_procs))
            url = f"ws://127.0.0.1:{ports[i % len(ports)]}/ocpp"
            procs.append(ctx.Process(target=_station_process,
                                     args=(url, numbers, args.meter_interval, ready, finish, out)))  # fmt: skip
            procs[-1].start()
        for _ in procs:
            ready.get(timeout=300)
        deadline = time.monotonic() + 120
        while asyncio.run(_available(args.database, stations)) < stations and time.monotonic() < deadline:
            time.sleep(0.5)
        print(f"{stations} stations connected and available; csms serve x{args.nodes} + csms worker; logs in {var}; "
              f"load average {load_average()}", flush=True)  # fmt: skip
        bases = [f"http://127.0.0.1:{port}" for port in ports]
        worker_pids = group_pids(processes[-1].pid)  # csms worker and the Dramatiq processes it forks
        groups = {"csms serve": [p.pid for p in processes[: len(ports)]], "csms worker": worker_pids,
                  "station processes": [p.pid for p in procs]}  # fmt: skip
        run_id = str(int(time.time()))

        async def measure() -> tuple[list[float], list[float], list[Flow], list[Flow], list[float]]:
            idle_page = await gets(bases[0], f"/pay/{quote(evse_of(args.flows), safe='*')}", 50, 1)
            solo: list[Flow] = []
            for n in range(args.flows, args.flows + args.solo):
                solo += await drivers(bases[n % len(bases)], [n], args.poll, args.charge_seconds, run_id)
            health = await gets(bases[0], "/health", 2000, args.flows)
            loads.append(load_average())
            chunks = [list(range(i, args.flows, len(bases))) for i in range(len(bases))]
            cpu_before, began = await asyncio.to_thread(cpu_now, groups, args.database), time.monotonic()
            many = [f for flows in await asyncio.gather(*(drivers(bases[i], chunk, args.poll, args.charge_seconds,
                                                                    run_id, args.ramp)
                                                          for i, chunk in enumerate(chunks)))
                    for f in flows]  # fmt: skip
            wall.append(time.monotonic() - began)
            cpu.update(cpu_spent(cpu_before, await asyncio.to_thread(cpu_now, groups, args.database)))
            loads.append(load_average())
            await wait_for_mails(inbox, [f.email for f in many + solo if not f.error], 60)
            health_after = await gets(bases[0], "/health", 200, 1)
            return idle_page, health, solo, many, health_after

        idle_page, health, solo, many, health_after = asyncio.run(measure())
        time.sleep(2)
        held, states = asyncio.run(final_check(args.database))
        finish.set()
        started: dict[str, float] = {}
        for _ in procs:
            started.update(out.get(timeout=60))
    finally:
        finish.set()
        for proc in procs:
            proc.join(timeout=30)
        for process in reversed(processes):
            stop_process(process, timeout=10)
        smtp.stop()
    print(f"load average (1/5/15 min) before the flows {loads[0]}, after {loads[1]}")
    print(f"anchor GET /health, {args.flows} clients in flight  {figures(health)}")
    print(f"anchor GET /health, 1 client, after the flows {figures(health_after)}")
    print(f"anchor page load, 1 client, nothing else running {figures(idle_page)}")
    for line in summary(solo, inbox, started, f"{args.solo} flows one after another"):
        print(line)
    title = (f"{args.flows} concurrent flows (started over {args.ramp:g} s, {IN_FLIGHT[1]} in flight at most; "
             "progress polled as the page polls it)")  # fmt: skip
    for line in summary(many, inbox, started, title):
        print(line)
    requests = sum(len(f.page) + len(f.status) + len(f.pay_post) + len(f.progress) + (f.stop_at > 0) for f in many)
    print(
        f"CPU seconds during the {args.flows} flows ({wall[0]:.1f} s wall, {requests} HTTP requests; the node also "
        f"handled the stations' OCPP calls): " + ", ".join(f"{name} {seconds:.1f}" for name, seconds in cpu.items())
    )
    print(f"payments by state: {states}")
    print(f"final check: payments holding money without a session: {held} (must be 0)")
    print("goals: page p95 <= 200 ms, payment -> start p95 <= 2 s, 0 payments holding money without a session")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--flows", type=int, default=200, help="concurrent driver flows (one charge point each)")
    parser.add_argument("--solo", type=int, default=3, help="flows one after another before, for the anchor")
    parser.add_argument("--nodes", type=int, default=1, help="csms serve processes")
    parser.add_argument("--station-procs", type=int, default=2, help="processes the simulated stations run in")
    parser.add_argument("--poll", type=float, default=3.0,
                        help="seconds between progress polls where the page names no interval")  # fmt: skip
    parser.add_argument(
        "--ramp",
        type=float,
        default=30.0,
        help="seconds over which the flows' starts are spread (0: all in the same instant); shorter than a flow, so "
        "that all of them are in flight at once",
    )
    parser.add_argument("--charge-seconds", type=float, default=45.0, help="how long each driver charges")
    parser.add_argument("--meter-interval", type=float, default=10.0, help="MeterValues every N s while charging")
    parser.add_argument("--database", default="postgresql://postgres@127.0.0.1:5432/csms_bench_pay")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/2")
    parser.add_argument(
        "--queries",
        type=int,
        metavar="REPEAT",
        help="only count the statements and CPU of each driver request, in process (no server)",
    )
    args = parser.parse_args()
    if args.queries:
        import redis

        redis.Redis.from_url(args.redis).flushdb()
        asyncio.run(recreate_database(args.database))
        os.environ.update({"DATABASE_URL": args.database, "REDIS_URL": args.redis,
                           "SECRET_KEY": "bench-secret-key-that-is-long-enough-0123456789"})  # fmt: skip
        asyncio.run(queries(args.queries))
        return
    run(args)


if __name__ == "__main__":
    main()
