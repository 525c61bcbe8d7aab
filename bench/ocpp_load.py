"""OCPP load benchmark: many stations on real `csms serve` nodes, and MeterValues throughput against the stock
``ocpp`` library's ``ChargePoint.route_message`` (schema validation on), measured in the same run.

    .venv/bin/python bench/ocpp_load.py                          # 2,000 stations, 1 node, PostgreSQL
    .venv/bin/python bench/ocpp_load.py --stations 20000 --nodes 2 --generators 4 --duration 150 \
        --throughput-clients 256 --db-concurrency 1024 --inprocess 60000
        # the goal run (docs/benchmarks.md): several serve nodes (PostgreSQL + Redis; one node holds < 20,000
        # sockets because of the open-files limit of 20,000 per process), load generators in 4 processes

Phases (figures only are printed, this is not a test):

1. set-up: a fresh database (``--postgres-url``, dropped and recreated), one CPO, N commissioned stations with
   two charge points each (one shared password: Argon2 is verified once per node thanks to core.charging's
   cache), one charging card; then ``--nodes`` ``csms serve`` processes (with ``--redis-url`` when > 1 node).
2. connect: ``--generators`` processes connect the stations (raw websockets, subprotocol ocpp1.6, Basic auth),
   each sends BootNotification and a StatusNotification per connector. Printed: connected stations, connect
   rate, server RSS per idle connection ((RSS after - RSS before) / connections, per node).
3. steady state for ``--duration`` s: Heartbeat every ``--heartbeat`` s (first one at a random offset), 25 %
   of the stations charge (StartTransaction, then MeterValues every ``--meter-interval`` s). Printed: calls
   per second, p50 / p99 / max latency (send -> CALLRESULT, client side).
4. throughput: ``--throughput-clients`` charging stations send MeterValues back to back for
   ``--throughput-seconds``; printed: MeterValues answered per second end to end (socket, schema, DB write,
   message log) and its p50 / p99 latency.
5. in process, same MeterValues frames, one core: the stock ``ocpp`` route (``ChargePoint.route_message``, an
   ``@on("MeterValues")`` handler, request and response validated) versus csms's framing (msgspec decode,
   fastjsonschema, dispatch) with a no-op handler, and versus csms's full handler (core.charging.meter_values
   writing to the database, ``--db-concurrency`` stations at once). Ratios are printed side by side.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import multiprocessing as mp
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "bench-station-password-2026"
ID_TAG = "BE0C4A11"
PREFIX = "LOAD-"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def _pct(samples: list[float], q: float) -> float:
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _stamp(offset_s: float = 0.0) -> str:
    return (datetime.now(UTC) + timedelta(seconds=offset_s)).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _meter_payload(transaction_id: int, wh: int) -> dict[str, Any]:
    return {
        "connectorId": 1,
        "transactionId": transaction_id,
        "meterValue": [
            {
                "timestamp": _stamp(),
                "sampledValue": [
                    {"value": str(wh), "measurand": "Energy.Active.Import.Register", "unit": "Wh"},
                    {"value": "16.0", "measurand": "Current.Import", "phase": "L1", "unit": "A"},
                ],
            }
        ],
    }


# --- load generator (a child process) -----------------------------------------------------------------------


@dataclass
class GenConfig:
    stations: list[tuple[str, str]]  # (charge box id, ws url of the node)
    heartbeat: float
    meter_interval: float
    charging_share: float
    throughput_clients: int
    throughput_seconds: float
    connect_concurrency: int


class _Station:
    def __init__(self, charge_box_id: str, url: str) -> None:
        self.charge_box_id = charge_box_id
        self.url = url
        self.ws: Any = None
        self.seq = 0
        self.transaction_id: int | None = None
        self.wh = 0

    async def connect(self) -> None:
        import websockets
        from websockets.typing import Subprotocol

        auth = base64.b64encode(f"{self.charge_box_id}:{PASSWORD}".encode()).decode()
        self.ws = await websockets.connect(
            f"{self.url}/{self.charge_box_id}", subprotocols=[Subprotocol("ocpp1.6")],
            additional_headers={"Authorization": f"Basic {auth}"}, ping_interval=None, max_size=65536,
            open_timeout=120,
        )  # fmt: skip

    async def call(self, action: str, payload: dict[str, Any]) -> tuple[dict[str, Any], float]:
        self.seq += 1
        start = time.perf_counter()
        await self.ws.send(json.dumps([2, str(self.seq), action, payload]))
        reply = json.loads(await self.ws.recv())
        elapsed = (time.perf_counter() - start) * 1000
        if reply[0] != 3:
            raise RuntimeError(f"{self.charge_box_id} {action}: {reply}")
        return reply[2], elapsed


def _generator(cfg: GenConfig, out: Any, go: Any, throughput: Any, finish: Any) -> None:
    asyncio.run(_generate(cfg, out, go, throughput, finish))


async def _wait_event(event: Any) -> None:
    while not event.is_set():  # noqa: ASYNC110 - a multiprocessing.Event: poll, do not block the loop
        await asyncio.sleep(0.05)


async def _generate(cfg: GenConfig, out: Any, go: Any, throughput: Any, finish: Any) -> None:
    stations = [_Station(cb, url) for cb, url in cfg.stations]
    gate = asyncio.Semaphore(cfg.connect_concurrency)
    boot_latency: list[float] = []
    failures = 0

    async def bring_up(st: _Station) -> bool:
        nonlocal failures
        async with gate:
            try:
                await st.connect()
                boot, ms = await st.call("BootNotification", {"chargePointVendor": "bench", "chargePointModel": "L"})
                boot_latency.append(ms)
                for connector in (0, 1, 2):
                    await st.call("StatusNotification", {"connectorId": connector, "errorCode": "NoError",
                                                         "status": "Available"})  # fmt: skip
                return boot.get("status") == "Accepted"
            except Exception:
                failures += 1
                return False

    started = time.perf_counter()
    results = await asyncio.gather(*(bring_up(st) for st in stations))
    up = [st for st, ok in zip(stations, results, strict=True) if ok]
    out.put(("connected", len(up), failures, time.perf_counter() - started, boot_latency))

    await _wait_event(go)
    charging = up[: int(len(up) * cfg.charging_share)]
    latencies: list[float] = []
    calls = 0
    errors = 0
    stop_at = time.perf_counter() + 10**9  # set when "throughput" arrives

    lock: dict[str, asyncio.Lock] = {st.charge_box_id: asyncio.Lock() for st in up}

    async def locked_call(st: _Station, action: str, payload: dict[str, Any]) -> tuple[dict[str, Any], float]:
        async with lock[st.charge_box_id]:  # one call in flight per station (OCPP)
            return await st.call(action, payload)

    async def charge(st: _Station) -> None:
        nonlocal calls, errors
        await asyncio.sleep(random.uniform(0, cfg.meter_interval))
        try:
            st.wh = random.randint(0, 10_000_000)
            reply, ms = await locked_call(st, "StartTransaction", {"connectorId": 1, "idTag": ID_TAG,
                                                               "meterStart": st.wh, "timestamp": _stamp()})  # fmt: skip
            st.transaction_id = int(reply["transactionId"])
            latencies.append(ms)
            calls += 1
            while time.perf_counter() < stop_at:
                await asyncio.sleep(cfg.meter_interval)
                if time.perf_counter() >= stop_at:
                    break
                st.wh += random.randint(100, 3000)
                _, ms = await locked_call(st, "MeterValues", _meter_payload(st.transaction_id, st.wh))
                latencies.append(ms)
                calls += 1
        except Exception:
            errors += 1

    async def heartbeats(st: _Station) -> None:
        nonlocal calls, errors
        await asyncio.sleep(random.uniform(0, cfg.heartbeat))
        while time.perf_counter() < stop_at:
            try:
                _, ms = await locked_call(st, "Heartbeat", {})
                latencies.append(ms)
                calls += 1
            except Exception:
                errors += 1
                return
            await asyncio.sleep(cfg.heartbeat)

    tasks = [asyncio.create_task(heartbeats(st)) for st in up]
    tasks += [asyncio.create_task(charge(st)) for st in charging]
    steady_start = time.perf_counter()
    await _wait_event(throughput)
    stop_at = time.perf_counter()
    steady = stop_at - steady_start
    await asyncio.sleep(0.5)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    out.put(("steady", calls, errors, steady, latencies))

    # Throughput: back-to-back MeterValues on stations with an open transaction.
    pool = [st for st in charging if st.transaction_id is not None][: cfg.throughput_clients]
    tp_latency: list[float] = []
    tp_calls = 0
    tp_end = time.perf_counter() + cfg.throughput_seconds

    async def blast(st: _Station) -> None:
        nonlocal tp_calls
        assert st.transaction_id is not None
        while time.perf_counter() < tp_end:
            st.wh += 10
            _, ms = await st.call("MeterValues", _meter_payload(st.transaction_id, st.wh))
            tp_latency.append(ms)
            tp_calls += 1

    tp_start = time.perf_counter()
    await asyncio.gather(*(blast(st) for st in pool), return_exceptions=True)
    out.put(("throughput", tp_calls, len(pool), time.perf_counter() - tp_start, tp_latency))
    await _wait_event(finish)
    await asyncio.gather(*(st.ws.close() for st in up), return_exceptions=True)


# --- set-up -----------------------------------------------------------------------------------------------


async def _recreate(url: str) -> None:
    import asyncpg

    parsed = urlparse(url)
    admin = await asyncpg.connect(
        host=parsed.hostname, port=parsed.port or 5432, user=parsed.username or "postgres",
        password=parsed.password or None, database="postgres",
    )  # fmt: skip
    name = parsed.path.lstrip("/")
    await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()


async def _seed(n: int) -> int:
    from core.access.tables import ChargingCard
    from core.infrastructure import locations
    from core.infrastructure.tables import ChargePoint, ChargingStation
    from core.tenancy import tenants
    from core.tenancy.actor import system_actor
    from core.tenancy.passwords import hash_password

    tenant = await tenants.create_tenant(
        {"slug": "load", "name": "Load CPO", "kind": "CPO", "party_id": "LOD", "country_code": "DE"}
    )
    actor = system_actor(tenant["id"])
    location = await locations.create_location(
        actor, {"name": "Load depot", "address": "Hauptstr. 1", "postal_code": "80331", "city": "München",
                "country": "DEU", "latitude": "48.1", "longitude": "11.5"},
    )  # fmt: skip
    password_hash = hash_password(PASSWORD)
    await ChargingCard(tenant=tenant["id"], uid=ID_TAG, label="bench").save()
    for first in range(0, n, 400):  # asyncpg: at most 32,767 parameters per statement
        rows = [
            ChargingStation(tenant=tenant["id"], location=location["id"], charge_box_id=f"{PREFIX}{i:06d}",
                            ocpp_password_hash=password_hash, installation_status="COMMISSIONED", attributes={})
            for i in range(first, min(n, first + 400))
        ]  # fmt: skip
        await ChargingStation.insert(*rows)
    ids = await ChargingStation.select(ChargingStation.id).where(ChargingStation.tenant == tenant["id"])
    for first in range(0, len(ids), 300):
        chunk = ids[first : first + 300]
        await ChargePoint.insert(
            *[ChargePoint(tenant=tenant["id"], station=r["id"], evse_number=k) for r in chunk for k in (1, 2)]
        )
    return int(tenant["id"])


def _start_node(port: int, env: dict[str, str], lean_ws: bool) -> subprocess.Popen[bytes]:
    """`csms serve` (since 2026-11-25 itself on uvicorn's sans-I/O websockets without permessage-deflate; the
    deflate state alone is about 46 KB per connection, see docs/benchmarks.md). ``lean_ws`` is kept for old
    command lines and changes nothing."""
    command = [str(ROOT / ".venv/bin/csms"), "serve", "--port", str(port), "--log-level", "warning"]
    log = Path(tempfile.gettempdir()) / f"csms-bench-node-{port}.log"  # a pipe nobody reads could block the node
    return subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log.open("w"))


async def _wait_port(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        except OSError:
            await asyncio.sleep(0.2)
    raise RuntimeError(f"node on port {port} did not start")


# --- in-process comparison --------------------------------------------------------------------------------


def _frames(count: int, transaction_id: int) -> list[str]:
    return [json.dumps([2, f"m{i}", "MeterValues", _meter_payload(transaction_id, 1000 + i)]) for i in range(count)]


async def _stock_rate(frames: list[str]) -> float:
    from ocpp.routing import on
    from ocpp.v16 import ChargePoint, call_result

    class _Sink:
        async def send(self, _: str) -> None:
            return None

        async def recv(self) -> str:  # never used: route_message is fed directly
            raise RuntimeError

    class StockCentralSystem(ChargePoint):
        @on("MeterValues")
        async def on_meter_values(self, **_: Any) -> Any:
            return call_result.MeterValues()

    cp = StockCentralSystem("STOCK", _Sink())
    for frame in frames[:50]:  # warm-up
        await cp.route_message(frame)
    start = time.perf_counter()
    for frame in frames:
        await cp.route_message(frame)
    return len(frames) / (time.perf_counter() - start)


async def _ours_noop_rate(frames: list[str]) -> float:
    from ocpp_cs import framing
    from ocpp_cs.v16.handlers import PROTOCOL

    async def noop(_conn: Any, _payload: dict[str, Any]) -> dict[str, Any]:
        return {}

    proto = framing.Protocol(PROTOCOL.subprotocol, PROTOCOL.schema_package, PROTOCOL.errors, {"MeterValues": noop})

    class _Conn:
        charge_box_id = "OURS"

        async def send_frame(self, text: str, *_: Any) -> None:
            return None

    conn: Any = _Conn()

    async def one(frame: str) -> None:
        parsed = framing.parse(frame, proto)
        reply = await framing.handle_call(conn, proto, parsed[1], parsed[2], parsed[3])
        await conn.send_frame(reply, 3, parsed[1], parsed[2])

    for frame in frames[:50]:
        await one(frame)
    start = time.perf_counter()
    for frame in frames:
        await one(frame)
    return len(frames) / (time.perf_counter() - start)


async def _ours_db_rate(tenant_id: int, count: int, concurrency: int, profile: bool) -> tuple[float, float]:
    """The real MeterValues path (framing + core.charging.meter_values on the database), ``concurrency``
    stations at once; returns (frames per second, seconds of CPU per frame in this process)."""
    from core.charging import transactions
    from core.infrastructure.tables import ChargingStation
    from ocpp_cs import framing
    from ocpp_cs.connection import StationConnection
    from ocpp_cs.v16.handlers import PROTOCOL

    stations = await (
        ChargingStation.select(ChargingStation.id, ChargingStation.tenant, ChargingStation.charge_box_id)
        .where(ChargingStation.tenant == tenant_id)
        .order_by(ChargingStation.id, ascending=False)
        .limit(concurrency)
    )

    async def sink(_: dict[str, Any]) -> None:
        return None

    work = []
    for st in stations:
        tx, _ = await transactions.start_transaction(
            st, {"connectorId": 2, "idTag": ID_TAG, "meterStart": 0, "timestamp": _stamp(-3600)}
        )
        conn = StationConnection(st["charge_box_id"], st["id"], st["tenant"], "1.6", sink)
        work.append((conn, _frames(count // concurrency, tx)))

    async def run(conn: StationConnection, frames: list[str]) -> None:
        for frame in frames:
            parsed = framing.parse(frame, PROTOCOL)
            reply = await framing.handle_call(conn, PROTOCOL, parsed[1], parsed[2], parsed[3])
            await conn.send_frame(reply, 3, parsed[1], parsed[2])

    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    cpu = time.process_time()
    start = time.perf_counter()
    await asyncio.gather(*(run(conn, frames) for conn, frames in work))
    elapsed = time.perf_counter() - start
    total = sum(len(f) for _, f in work)
    if profiler is not None:
        import pstats

        profiler.disable()
        print("profile of the full handler path (top 25 by own time):")
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
    return total / elapsed, (time.process_time() - cpu) / total


# --- main -------------------------------------------------------------------------------------------------


async def _collect(out: Any, reports: int) -> tuple[int, int, float, list[float]]:
    """Sum one phase's reports of every generator: (count, second count, longest seconds, all latencies)."""
    count = other = 0
    seconds = 0.0
    latencies: list[float] = []
    for _ in range(reports):
        _, n, m, took, lat = await asyncio.to_thread(out.get)
        count, other, seconds = count + n, other + m, max(seconds, took)
        latencies += lat
    return count, other, seconds, latencies


async def main(args: argparse.Namespace) -> None:
    os.environ["DATABASE_URL"] = args.postgres_url
    os.environ.setdefault("SECRET_KEY", "bench-secret-key-that-is-long-enough-0123456789")
    os.environ.setdefault("CSMS_VAR_DIR", tempfile.mkdtemp(prefix="csms-bench-var-"))
    redis_url = args.redis_url if (args.nodes > 1 or args.use_redis) else ""
    os.environ["REDIS_URL"] = redis_url
    sys.path.insert(0, str(ROOT))
    await _recreate(args.postgres_url)

    import core  # noqa: F401
    from core import db

    await db.migrate()
    await db.open_pool(20)
    t0 = time.perf_counter()
    tenant_id = await _seed(args.stations)
    print(f"set-up: {args.stations} stations seeded in {time.perf_counter() - t0:.1f} s "
          f"(PostgreSQL{' + Redis' if redis_url else ''}, {args.nodes} node(s))", flush=True)  # fmt: skip

    if args.inprocess_only:
        await _inprocess(args, tenant_id, None)
        return
    env = {**os.environ, "DB_POOL_SIZE": str(args.node_pool), "PYTHONUNBUFFERED": "1"}
    ports = [_free_port() for _ in range(args.nodes)]
    nodes = [_start_node(port, {**env, "CSMS_NODE_ID": f"bench{i}"}, args.lean_ws) for i, port in enumerate(ports)]
    try:
        for port in ports:
            await _wait_port(port)
        # All bench stations share one password: one handshake per node fills core.charging's Argon2 cache,
        # so the connect phase measures csms, not N identical password hashes (real stations each cost one).
        for i, port in enumerate(ports):
            warm = _Station(f"{PREFIX}{i:06d}", f"ws://127.0.0.1:{port}/ocpp")
            await warm.connect()
            await warm.ws.close()
        await asyncio.sleep(2)
        rss_before = [_rss_kb(node.pid) for node in nodes]

        ids = [f"{PREFIX}{i:06d}" for i in range(args.stations)]
        assignment = [(cb, f"ws://127.0.0.1:{ports[i % len(ports)]}/ocpp") for i, cb in enumerate(ids)]
        ctx = mp.get_context("spawn")
        out = ctx.Queue()
        go, throughput, finish = ctx.Event(), ctx.Event(), ctx.Event()
        gens = []
        per_gen_tp = max(1, args.throughput_clients // args.generators)
        for g in range(args.generators):
            cfg = GenConfig(
                stations=assignment[g :: args.generators], heartbeat=args.heartbeat,
                meter_interval=args.meter_interval, charging_share=0.25, throughput_clients=per_gen_tp,
                throughput_seconds=args.throughput_seconds, connect_concurrency=args.connect_concurrency,
            )  # fmt: skip
            proc = ctx.Process(target=_generator, args=(cfg, out, go, throughput, finish), daemon=True)
            proc.start()
            gens.append(proc)

        connected, failures, connect_time, boot_ms = await _collect(out, len(gens))
        await asyncio.sleep(args.settle)
        rss_after = [_rss_kb(node.pid) for node in nodes]
        per_conn = [
            (after - before) * 1024 / max(1, connected // len(nodes))
            for before, after in zip(rss_before, rss_after, strict=True)
        ]
        print(f"connected stations: {connected} of {args.stations} ({failures} failed) in {connect_time:.1f} s "
              f"= {connected / max(connect_time, 1e-9):.0f} connects+boots/s; BootNotification p50 "
              f"{_pct(boot_ms, 0.5):.1f} ms p99 {_pct(boot_ms, 0.99):.1f} ms", flush=True)  # fmt: skip
        for i, (before, after, per) in enumerate(zip(rss_before, rss_after, per_conn, strict=True)):
            print(f"node {i}: RSS {before / 1024:.0f} MB idle -> {after / 1024:.0f} MB with "
                  f"{connected // len(nodes)} connections = {per / 1024:.1f} KB per idle connection")  # fmt: skip

        go.set()
        print(f"steady state for {args.duration:.0f} s (heartbeat {args.heartbeat:.0f} s, 25 % charging, "
              f"MeterValues every {args.meter_interval:.0f} s) ...", flush=True)  # fmt: skip
        await asyncio.sleep(args.duration)
        throughput.set()
        calls, errors, steady, lat_all = await _collect(out, len(gens))
        print(f"steady: {calls} calls in {steady:.0f} s = {calls / steady:.1f} calls/s ({2 * calls / steady:.1f} "
              f"frames/s), errors {errors}; latency p50 {_pct(lat_all, 0.5):.1f} ms, p99 "
              f"{_pct(lat_all, 0.99):.1f} ms, max {max(lat_all, default=float('nan')):.1f} ms", flush=True)  # fmt: skip
        tp_calls, clients, tp_seconds, tp_lat = await _collect(out, len(gens))
        e2e_rate = tp_calls / tp_seconds if tp_seconds else 0.0
        print(f"throughput (websocket end to end, {clients} stations back to back, {len(nodes)} node(s)): "
              f"{e2e_rate:.0f} MeterValues/s, latency p50 {_pct(tp_lat, 0.5):.1f} ms p99 "
              f"{_pct(tp_lat, 0.99):.1f} ms", flush=True)  # fmt: skip
        finish.set()
        for proc in gens:
            proc.join(30)
    finally:
        for node in nodes:
            node.terminate()
        for node in nodes:
            try:
                node.wait(30)
            except subprocess.TimeoutExpired:
                node.kill()

    await _inprocess(args, tenant_id, e2e_rate)


async def _inprocess(args: argparse.Namespace, tenant_id: int, e2e_rate: float | None) -> None:
    """Phase 5; ``e2e_rate`` (phase 4) is printed next to it for the ratios."""
    from core import db
    from ocpp_cs.msglog import message_log

    frames = _frames(args.inprocess, 1)
    stock = statistics.median([await _stock_rate(frames) for _ in range(3)])
    ours = statistics.median([await _ours_noop_rate(frames) for _ in range(3)])
    from core.charging import meter_values

    batched = (meter_values.meter_batcher.batches, meter_values.meter_batcher.frames)
    db_rate, cpu_per_frame = await _ours_db_rate(tenant_id, args.inprocess, args.db_concurrency, args.profile)
    batcher = meter_values.meter_batcher
    per_batch = (batcher.frames - batched[1]) / max(1, batcher.batches - batched[0])
    await message_log.flush()
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"MeterValues handling in process, one core, the same frames (median of 3 runs; load average {load}):")
    print(f"  stock ocpp ChargePoint.route_message, validation on : {stock:9.0f} /s   1.0x")
    print(f"  csms framing (decode + schema + dispatch), no-op      : {ours:9.0f} /s  {ours / stock:5.1f}x")
    print(f"  csms full handler incl. DB write ({args.db_concurrency} stations)     : {db_rate:9.0f} /s  "
          f"{db_rate / stock:5.1f}x  ({cpu_per_frame * 1e6:.0f} us CPU/frame in this process, "
          f"{per_batch:.1f} frames per group commit)")  # fmt: skip
    if e2e_rate is not None:
        print(f"  csms end to end over websockets (phase 4)            : {e2e_rate:9.0f} /s  {e2e_rate / stock:5.1f}x")
    await db.close_pool()


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stations", type=int, default=2000)
    parser.add_argument("--nodes", type=int, default=1, help="csms serve processes (> 1 needs Redis)")
    parser.add_argument("--generators", type=int, default=2, help="load-generator processes")
    parser.add_argument("--duration", type=float, default=75.0, help="steady-state seconds")
    parser.add_argument("--heartbeat", type=float, default=60.0)
    parser.add_argument("--meter-interval", type=float, default=60.0)
    parser.add_argument("--throughput-clients", type=int, default=32)
    parser.add_argument("--throughput-seconds", type=float, default=10.0)
    parser.add_argument("--inprocess", type=int, default=3000, help="frames per in-process measurement")
    parser.add_argument("--db-concurrency", type=int, default=16)
    parser.add_argument("--connect-concurrency", type=int, default=200, help="handshakes in flight per generator")
    parser.add_argument("--settle", type=float, default=5.0, help="seconds between connect and the RSS reading")
    parser.add_argument("--node-pool", type=int, default=20, help="database pool size per node")
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/csms_bench_ocpp")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14")
    parser.add_argument("--lean-ws", action="store_true", help="no-op: csms serve now runs lean websockets itself")
    parser.add_argument("--profile", action="store_true", help="cProfile the in-process full handler run")
    parser.add_argument("--inprocess-only", action="store_true", help="only phase 5 (no nodes, no websockets)")
    parser.add_argument("--use-redis", action="store_true", help="Redis presence/routing even with one node")
    return parser.parse_args()


if __name__ == "__main__":
    asyncio.run(main(parse_args()))
