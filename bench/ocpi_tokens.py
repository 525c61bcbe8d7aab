"""OCPI tokens at scale: a partner PUTs tokens, then stations authorise them over OCPP.

    .venv/bin/python bench/ocpi_tokens.py [--tokens 20000] [--nodes 1] [--clients 1] [--concurrency 32]
                                          [--stations 1000] [--station-procs 2] [--authorize 10000] [--rate 100]

Production mode on this machine: ``--nodes`` ``csms serve`` nodes on a fresh PostgreSQL database (``--database``,
dropped and made again) and Redis. An EMP partner (registered out of band) PUTs ``--tokens`` tokens (whitelist
ALWAYS) to csms's tokens receiver with ``--concurrency`` requests in flight in all, from ``--clients`` load
processes (keep-alive HTTP/1.1 connections spread over the nodes; a lean client of plain sockets, so that the load
processes leave the cores to the server); then ``--stations`` simulated OCPP 1.6 stations of a CPO whose stations
are open to that EMP connect from ``--station-procs`` processes and stay connected, and ``--authorize`` Authorize
requests for random tokens follow at ``--rate`` a second, each from a random station.

Printed: tokens stored per second, the nodes' CPU time per PUT (independent of what else runs on the machine) and
their RSS before and after the PUTs (memory must not grow with the token count); Authorize p50/p99 for the
partner's whitelisted tokens. Anchors measured in the same run with the same load processes: GET /ocpi/versions
(the transport's own cost per request: auth, throttle, log), and Authorize p50/p99 for a csms charging card of the
CPO (the same OCPP path without roaming). Goals (issue 14): >= 2,000 token PUTs per second, Authorize p99 <= 20 ms
at 1,000,000 tokens. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import multiprocessing
import os
import random
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.ocpi_csms_seed import recreate_database  # noqa: E402
from bench.ocpi_locations import cpu_seconds, rss_mb  # noqa: E402
from tests.support import RawStation, free_port, start_serve, stop_process  # noqa: E402

TOKEN = "bench-tokens-partner"
PASSWORD = "bench-tokens-station-2026"
CARD = "BEEF00C0FFEE"


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def uid(n: int) -> str:
    return f"DE8B{n:012X}"


async def seed(stations: int) -> None:
    from core import db
    from core.access.tables import ChargingCard
    from core.infrastructure import locations
    from core.infrastructure.tables import ChargePoint, ChargingStation, Connector
    from core.roaming import contract_groups, partners
    from core.roaming.tables import StationContractGroup, StationRoaming
    from core.tenancy import logins, tenants
    from core.tenancy.passwords import hash_password
    from tests.support import bulk_eoperate, make_user

    await db.migrate()
    await db.open_pool(4)
    await tenants.create_tenant({"slug": "b-hub", "name": "Hub", "kind": "HUB", "country_code": "DE",
                                 "party_id": "HUB"})  # fmt: skip
    cpo = await tenants.create_tenant({"slug": "b-cpo", "name": "Bench CPO", "kind": "CPO", "country_code": "DE",
                                       "party_id": "TOK"})  # fmt: skip
    emp = await tenants.create_tenant({"slug": "b-emp", "name": "Bench EMP", "kind": "EMP", "country_code": "DE",
                                       "party_id": "BTK"})  # fmt: skip
    cpo_actor = await logins.actor_for_user(await make_user(cpo["id"], is_admin=True))
    emp_actor = await logins.actor_for_user(await make_user(emp["id"], is_admin=True))
    await contract_groups.set_hub_enabled(cpo_actor, True)
    group = await contract_groups.create_group(cpo_actor, {"name": "Bench", "emp_tenant_ids": [emp["id"]]})
    created = await partners.create_partner(emp_actor, {"name": "bench tokens"})
    roles = [{"role": "EMSP", "country_code": "DE", "party_id": "BTK", "name": "bench"}]
    connection = partners.Connection("unused", "http://bench.invalid/versions", "2.2.1", [], roles)
    await partners.complete_registration(created.partner["id"], connection, TOKEN)
    location = await locations.create_location(cpo_actor, {
        "name": "Depot", "address": "Hauptstr. 1", "postal_code": "80331", "city": "München", "country": "DEU",
        "latitude": "48.1", "longitude": "11.5"})  # fmt: skip
    password_hash = hash_password(PASSWORD)
    await ChargingCard(tenant=cpo["id"], uid=CARD, label="bench").save()
    for first in range(0, stations, 200):
        chunk = range(first, min(stations, first + 200))
        ids = await ChargingStation.insert(*[
            ChargingStation(tenant=cpo["id"], location=location["id"], charge_box_id=f"TOK-{i:05d}",
                            ocpp_password_hash=password_hash, installation_status="COMMISSIONED", attributes={})
            for i in chunk]).returning(ChargingStation.id)  # fmt: skip
        station_ids = [row["id"] for row in ids]
        await StationRoaming.insert(*[StationRoaming(tenant=cpo["id"], station=s, roaming=True, hub_authorised=True,
                                                     marketing=True) for s in station_ids])  # fmt: skip
        await bulk_eoperate([(cpo["id"], s) for s in station_ids])
        await StationContractGroup.insert(*[StationContractGroup(station=s, group=group["id"]) for s in station_ids])
        cps = await ChargePoint.insert(*[ChargePoint(tenant=cpo["id"], station=s, evse_number=1,
                                                     evse_id=f"DE*TOK*E{s}*1") for s in station_ids]).returning(
            ChargePoint.id)  # fmt: skip
        await Connector.insert(*[Connector(tenant=cpo["id"], charge_point=c["id"]) for c in cps])
    await db.close_pool()


def _put_request(n: int, authorization: str) -> bytes:
    token = {"country_code": "DE", "party_id": "BTK", "uid": uid(n), "type": "RFID",
             "contract_id": f"DE-BTK-C{n:09d}", "issuer": "Bench EMP", "valid": True,
             "whitelist": "ALWAYS", "last_updated": "2026-12-01T10:00:00Z"}  # fmt: skip
    body = json.dumps(token, separators=(",", ":")).encode()
    return (f"PUT /ocpi/2.2.1/tokens/DE/BTK/{uid(n)} HTTP/1.1\r\nHost: bench\r\nAuthorization: {authorization}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body  # fmt: skip


def _get_request(n: int, authorization: str) -> bytes:
    return f"GET /ocpi/versions HTTP/1.1\r\nHost: bench\r\nAuthorization: {authorization}\r\n\r\n".encode()


REQUESTS = {"put": _put_request, "get": _get_request}


async def _exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes) -> bool:
    """One request on a keep-alive connection; True for HTTP 200 with OCPI status 1000."""
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    body = await reader.readexactly(length)
    return head.startswith(b"HTTP/1.1 200 ") and b'"status_code":1000' in body


async def _load(ports: list[int], kind: str, numbers: range, concurrency: int, start: Any) -> tuple[int, float, float]:
    """Sends one request per number over ``concurrency`` connections (spread over ``ports``); returns how many
    failed (refused, or the connection dropped: counted, a new connection made), when it finished and the CPU
    seconds it took."""
    authorization = "Token " + base64.b64encode(TOKEN.encode()).decode()
    build = REQUESTS[kind]
    left = iter(numbers)
    failed = 0

    async def worker(port: int) -> None:
        nonlocal failed
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        for n in left:
            try:
                failed += not await _exchange(reader, writer, build(n, authorization))
            except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
                failed += 1
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.close()

    await asyncio.get_running_loop().run_in_executor(None, start.wait)  # all load processes begin together
    cpu = time.process_time()
    await asyncio.gather(*(worker(ports[i % len(ports)]) for i in range(concurrency)))
    return failed, time.monotonic(), time.process_time() - cpu


def _load_process(ports: list[int], kind: str, numbers: range, concurrency: int, start: Any, out: Any) -> None:
    out.put(asyncio.run(_load(ports, kind, numbers, concurrency, start)))


@dataclass
class Load:
    rate: float  # requests a second, from the common start to the last load process's end
    failed: int
    node_cpu: float  # CPU seconds per request: the csms nodes', their database connections', the load processes'
    db_cpu: float
    client_cpu: float


def run_load(ports: list[int], pids: list[int], database: str, kind: str, count: int, concurrency: int,
             processes: int) -> Load:  # fmt: skip
    """``count`` requests from ``processes`` load processes with ``concurrency`` connections in all."""
    ctx = multiprocessing.get_context("spawn")
    start, out = ctx.Barrier(processes + 1), ctx.Queue()
    share = max(1, concurrency // processes)
    procs = [ctx.Process(target=_load_process, args=(ports, kind, range(i, count, processes), share, start, out))
             for i in range(processes)]  # fmt: skip
    for proc in procs:
        proc.start()
    start.wait()
    began = time.monotonic()
    nodes, backends = sum(cpu_seconds(pid) for pid in pids), backend_cpu(database)
    results = [out.get() for _ in procs]
    nodes = sum(cpu_seconds(pid) for pid in pids) - nodes
    db = sum(cpu - backends.get(pid, 0.0) for pid, cpu in backend_cpu(database).items())
    for proc in procs:
        proc.join()
    return Load(count / (max(end for _, end, _ in results) - began), sum(failed for failed, _, _ in results),
                nodes / count, db / count, sum(cpu for _, _, cpu in results) / count)  # fmt: skip


def backend_cpu(database: str) -> dict[int, float]:
    """CPU seconds so far of each PostgreSQL backend connected to the benchmark's database (same machine)."""

    async def pids() -> list[int]:
        import asyncpg

        conn = await asyncpg.connect(database)
        try:
            rows = await conn.fetch("select pid from pg_stat_activity where datname = current_database()")
        finally:
            await conn.close()
        return [row["pid"] for row in rows]

    found = {}
    for pid in asyncio.run(pids()):
        with contextlib.suppress(OSError):
            found[pid] = cpu_seconds(pid)
    return found


async def _authorize(url: str, first: int, stations: int, requests: int, tags: list[str], rate: float,
                     start: Any) -> list[float]:  # fmt: skip
    """Milliseconds per Authorize: ``stations`` stations (from number ``first``) connect and stay connected; then
    ``requests`` Authorize are sent at ``rate`` a second, each from a random station (a station waits for its
    previous answer, as OCPP has it)."""
    times: list[float] = []
    async with contextlib.AsyncExitStack() as stack:
        connected = []
        for wave in range(first, first + stations, 50):  # connect in waves
            connected += await asyncio.gather(*(
                stack.enter_async_context(RawStation.connect(url, f"TOK-{i:05d}", PASSWORD))
                for i in range(wave, min(first + stations, wave + 50))))  # fmt: skip
        locks = [asyncio.Lock() for _ in connected]

        async def one() -> None:
            i = random.randrange(len(connected))
            async with locks[i]:
                started = time.perf_counter()
                info = await connected[i].call("Authorize", {"idTag": random.choice(tags)})
                times.append((time.perf_counter() - started) * 1000)
                assert info["idTagInfo"]["status"] == "Accepted", info

        await asyncio.get_running_loop().run_in_executor(None, start.wait)
        began = time.perf_counter()
        tasks = []
        for n in range(requests):
            await asyncio.sleep(max(0.0, began + n / rate - time.perf_counter()))
            tasks.append(asyncio.create_task(one()))
        await asyncio.gather(*tasks)
    return times


def _authorize_process(args: tuple[Any, ...], start: Any, out: Any) -> None:
    out.put(asyncio.run(_authorize(*args, start)))


def authorize(ports: list[int], stations: int, processes: int, requests: int, tags: list[str],
              rate: float) -> list[float]:  # fmt: skip
    """``stations`` connected stations in ``processes`` processes (each on one node, round robin), sending
    ``requests`` Authorize in all at ``rate`` a second in all."""
    ctx = multiprocessing.get_context("spawn")
    processes = max(1, min(processes, stations))
    start, out = ctx.Barrier(processes + 1), ctx.Queue()
    procs = []
    for i in range(processes):
        first, last = stations * i // processes, stations * (i + 1) // processes
        url = f"ws://127.0.0.1:{ports[i % len(ports)]}/ocpp"
        args = (url, first, last - first, requests // processes, tags, rate / processes)
        procs.append(ctx.Process(target=_authorize_process, args=(args, start, out)))
    for proc in procs:
        proc.start()
    start.wait()
    times = [t for _ in procs for t in out.get()]
    for proc in procs:
        proc.join()
    return times


async def prepare(args: argparse.Namespace) -> dict[str, str]:
    await recreate_database(args.database)
    env = {**os.environ, "DATABASE_URL": args.database, "REDIS_URL": args.redis,
           "SECRET_KEY": "bench-secret-key-that-is-long-enough-0123456789"}  # fmt: skip
    os.environ.update(env)
    await seed(args.stations)
    return env


def run(args: argparse.Namespace) -> None:
    env = asyncio.run(prepare(args))
    log = (Path(tempfile.gettempdir()) / "bench-tokens-serve.log").open("w")
    ports = [free_port() for _ in range(args.nodes)]
    nodes = [start_serve({**env, "CSMS_NODE_ID": f"bench-tokens-{i}", "PUBLIC_URL": f"http://127.0.0.1:{port}"},
                         port, log) for i, port in enumerate(ports)]  # fmt: skip
    try:
        pids = [node.pid for node in nodes]
        anchor = run_load(ports, pids, args.database, "get", min(args.tokens, 20_000), args.concurrency, args.clients)
        before = [rss_mb(node.pid) for node in nodes]
        put = run_load(ports, pids, args.database, "put", args.tokens, args.concurrency, args.clients)
        after = [rss_mb(node.pid) for node in nodes]
        tags = [uid(random.randrange(args.tokens)) for _ in range(1000)]
        roaming = authorize(ports, args.stations, args.station_procs, args.authorize, tags, args.rate)
        cards = authorize(ports, min(args.stations, 100), args.station_procs, min(args.authorize, 2000), [CARD],
                          args.rate)  # fmt: skip
    finally:
        for node in nodes:
            stop_process(node)
    print(f"token PUTs: {args.tokens} from {args.clients} load process(es) at concurrency {args.concurrency} on "
          f"{args.nodes} node(s): {put.rate:.0f} per second ({put.failed} failed); anchor GET /ocpi/versions: "
          f"{anchor.rate:.0f} per second ({anchor.failed} failed) -> PUT/GET {put.rate / anchor.rate:.2f}")  # fmt: skip
    for name, load in (("PUT", put), ("GET /ocpi/versions", anchor)):
        print(f"CPU per {name}: csms nodes {load.node_cpu * 1000:.2f} ms, PostgreSQL {load.db_cpu * 1000:.2f} ms, "
              f"load processes {load.client_cpu * 1000:.2f} ms")  # fmt: skip
    print(
        "csms serve RSS: "
        + ", ".join(f"{b:.0f} MB before the PUTs, {a:.0f} MB after" for b, a in zip(before, after, strict=True))
    )
    print(f"Authorize of partner tokens ({len(roaming)}, {args.rate:.0f} a second, {args.stations} stations): p50 "
          f"{statistics.median(roaming):.1f} ms, p99 {pct(roaming, 0.99):.1f} ms; anchor csms card: p50 "
          f"{statistics.median(cards):.1f} ms, p99 {pct(cards, 0.99):.1f} ms")  # fmt: skip
    print("goals: >= 2,000 PUTs per second, Authorize p99 <= 20 ms at 1,000,000 tokens")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tokens", type=int, default=20_000, help="the issue's figure: 1000000")
    parser.add_argument("--nodes", type=int, default=1, help="csms serve processes")
    parser.add_argument("--clients", type=int, default=1, help="load processes sending the PUTs")
    parser.add_argument("--stations", type=int, default=1000)
    parser.add_argument("--station-procs", type=int, default=2, help="processes the stations connect from")
    parser.add_argument("--concurrency", type=int, default=32, help="PUTs in flight in all")
    parser.add_argument("--authorize", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=100, help="Authorize requests a second, spread over the stations")
    parser.add_argument("--database", default="postgresql://postgres@127.0.0.1:5432/csms_bench_tokens")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/7")
    run(parser.parse_args())


if __name__ == "__main__":
    main()
