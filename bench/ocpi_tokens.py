"""OCPI tokens at scale: a partner PUTs tokens, then stations authorise them over OCPP.

    .venv/bin/python bench/ocpi_tokens.py [--tokens 1000000] [--stations 1000] [--concurrency 32]
                                          [--authorize 10000] [--rate 100]

Production mode on this machine: one ``csms serve`` node on a fresh PostgreSQL database (``--database``, dropped and
made again) and Redis. An EMP partner (registered out of band) PUTs ``--tokens`` tokens (whitelist ALWAYS) to
csms's tokens receiver with ``--concurrency`` requests in flight; then ``--stations`` simulated OCPP 1.6 stations of
a CPO whose stations are open to that EMP connect and stay connected, and ``--authorize`` Authorize requests for
random tokens follow at ``--rate`` a second, each from a random station.

Printed: tokens stored per second and the server's RSS before and after the PUTs (memory must not grow with the
token count); Authorize p50/p99 for the partner's whitelisted tokens. Anchors measured in the same run: GET
/ocpi/versions at the same concurrency (the transport's own cost per request: auth, throttle, log), and Authorize
p50/p99 for a csms charging card of the CPO (the same OCPP path without roaming). Goals (issue 14): >= 2,000 token
PUTs per second, Authorize p99 <= 20 ms at 1,000,000 tokens. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.ocpi_csms_seed import recreate_database  # noqa: E402
from bench.ocpi_locations import rss_mb  # noqa: E402
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
    from tests.support import make_user

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
        await StationContractGroup.insert(*[StationContractGroup(station=s, group=group["id"]) for s in station_ids])
        cps = await ChargePoint.insert(*[ChargePoint(tenant=cpo["id"], station=s, evse_number=1,
                                                     evse_id=f"DE*TOK*E{s}*1") for s in station_ids]).returning(
            ChargePoint.id)  # fmt: skip
        await Connector.insert(*[Connector(tenant=cpo["id"], charge_point=c["id"]) for c in cps])
    await db.close_pool()


async def put_tokens(base: str, count: int, concurrency: int) -> tuple[float, int]:
    """Tokens per second, and how many failed (refused, or the connection dropped)."""
    import httpx

    auth = {"Authorization": "Token " + base64.b64encode(TOKEN.encode()).decode()}
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in range(count):
        queue.put_nowait(n)
    failed = 0

    async def worker(client: Any) -> None:
        nonlocal failed
        while True:
            try:
                n = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            token = {"country_code": "DE", "party_id": "BTK", "uid": uid(n), "type": "RFID",
                     "contract_id": f"DE-BTK-C{n:09d}", "issuer": "Bench EMP", "valid": True,
                     "whitelist": "ALWAYS", "last_updated": "2026-12-01T10:00:00Z"}  # fmt: skip
            try:
                response = await client.put(f"{base}/ocpi/2.2.1/tokens/DE/BTK/{uid(n)}", json=token, headers=auth)
            except httpx.TransportError:  # a connection the server closed while idle: counted, not retried
                failed += 1
                continue
            if response.status_code != 200 or response.json().get("status_code") != 1000:
                failed += 1

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        started = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        return count / (time.perf_counter() - started), failed


async def versions_rate(base: str, count: int, concurrency: int) -> float:
    import httpx

    auth = {"Authorization": "Token " + base64.b64encode(TOKEN.encode()).decode()}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        left = iter(range(count))

        async def worker() -> None:
            for _ in left:
                with contextlib.suppress(httpx.TransportError):
                    await client.get(f"{base}/ocpi/versions", headers=auth)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return count / (time.perf_counter() - started)


async def authorize(base: str, stations: int, requests: int, tags: list[str], rate: float) -> list[float]:
    """Milliseconds per Authorize: ``stations`` stations connect and stay connected; then ``requests`` Authorize are
    sent at ``rate`` a second, each from a random station (a station waits for its previous answer, as OCPP has it)."""
    url = "ws" + base.removeprefix("http") + "/ocpp"
    times: list[float] = []
    async with contextlib.AsyncExitStack() as stack:
        connected = []
        for first in range(0, stations, 100):  # connect in waves
            connected += await asyncio.gather(*(
                stack.enter_async_context(RawStation.connect(url, f"TOK-{i:05d}", PASSWORD))
                for i in range(first, min(stations, first + 100))))  # fmt: skip
        locks = [asyncio.Lock() for _ in connected]

        async def one(n: int) -> None:
            i = random.randrange(len(connected))
            async with locks[i]:
                started = time.perf_counter()
                info = await connected[i].call("Authorize", {"idTag": random.choice(tags)})
                times.append((time.perf_counter() - started) * 1000)
                assert info["idTagInfo"]["status"] == "Accepted", info

        began = time.perf_counter()
        tasks = []
        for n in range(requests):
            await asyncio.sleep(max(0.0, began + n / rate - time.perf_counter()))
            tasks.append(asyncio.create_task(one(n)))
        await asyncio.gather(*tasks)
    return times


async def run(args: argparse.Namespace) -> None:
    await recreate_database(args.database)
    env = {**os.environ, "DATABASE_URL": args.database, "REDIS_URL": args.redis, "CSMS_NODE_ID": "bench-tokens",
           "SECRET_KEY": "bench-secret-key-that-is-long-enough-0123456789"}  # fmt: skip
    os.environ.update(env)
    await seed(args.stations)
    port = free_port()
    env["PUBLIC_URL"] = f"http://127.0.0.1:{port}"
    log = (Path(tempfile.gettempdir()) / "bench-tokens-serve.log").open("w")
    serve = start_serve(env, port, log)
    base = f"http://127.0.0.1:{port}"
    try:
        anchor_rate = await versions_rate(base, min(args.tokens, 5000), args.concurrency)
        before = rss_mb(serve.pid)
        rate, failed = await put_tokens(base, args.tokens, args.concurrency)
        after = rss_mb(serve.pid)
        tags = [uid(random.randrange(args.tokens)) for _ in range(1000)]
        roaming = await authorize(base, args.stations, args.authorize, tags, args.rate)
        cards = await authorize(base, min(args.stations, 100), min(args.authorize, 2000), [CARD], args.rate)
    finally:
        stop_process(serve)
    print(f"token PUTs: {args.tokens} at concurrency {args.concurrency}: {rate:.0f} per second ({failed} failed); "
          f"anchor GET /ocpi/versions: {anchor_rate:.0f} per second -> PUT/GET {rate / anchor_rate:.2f}")  # fmt: skip
    print(f"csms serve RSS: {before:.0f} MB before the PUTs, {after:.0f} MB after")
    print(f"Authorize of partner tokens ({len(roaming)}, {args.rate:.0f} a second, {args.stations} stations): p50 "
          f"{statistics.median(roaming):.1f} ms, p99 {pct(roaming, 0.99):.1f} ms; anchor csms card: p50 "
          f"{statistics.median(cards):.1f} ms, p99 {pct(cards, 0.99):.1f} ms")  # fmt: skip
    print("goals: >= 2,000 PUTs per second, Authorize p99 <= 20 ms at 1,000,000 tokens")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tokens", type=int, default=1_000_000)
    parser.add_argument("--stations", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--authorize", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=100, help="Authorize requests a second, spread over the stations")
    parser.add_argument("--database", default="postgresql://postgres@127.0.0.1:5432/csms_bench_tokens")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/7")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
