"""OCPI push fan-out: EVSE status changes sent by OCPP stations, pushed to many partners.

    .venv/bin/python bench/ocpi_push.py [--changes-per-minute 1000] [--partners 20] [--stations 100] [--minutes 2]
    .venv/bin/python bench/ocpi_push.py --inprocess 20      # CPU per tick and request of the push runs alone

Set-up: a fresh PostgreSQL database (``--database``, dropped and made again) with one CPO tenant, ``--stations``
stations of one charge point each, every one visible to ``--partners`` EMP tenants (one contract group, Roaming on);
each EMP tenant has a registered partner whose locations RECEIVER is a path on one of ``--receivers`` local receiver
processes (a bare ASGI app under uvicorn that answers every push with OCPI 1000 and notes when each EVSE status
PATCH arrived). ``csms serve`` and ``--workers`` ``csms worker`` processes run on the database and Redis
(``--redis``, a db the bench empties).

Measured: the stations connect over OCPP 1.6 websockets and, after a warm-up, send StatusNotifications (Available
and Charging in turn) spread evenly at ``--changes-per-minute`` for ``--minutes``. For every change and partner the
time from sending the StatusNotification to the PATCH arriving at the partner's receiver. Printed: p50/p95/max over
all, per third of the run (a backlog that grows shows as rising thirds), and how many of the changes arrived at
every partner. Only figures are printed; nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.ocpi_csms_seed import _ids, recreate_database  # noqa: E402
from tests.support import RawStation, free_port, start_serve, stop_process  # noqa: E402

PASSWORD = "bench-station-password"
STATUSES = ("Available", "Charging")
OCPI_OF = {"Available": "AVAILABLE", "Charging": "CHARGING"}


# --- the receiver process ------------------------------------------------------------------------------------------


def receiver_app() -> Any:
    """Every request: OCPI 1000. EVSE status PATCHes (``/p<partner>/locations/<cc>/<party>/<loc>/<uid>``) are noted
    with their arrival time; ``GET /received`` returns them."""
    received: list[tuple[float, str, str, str]] = []  # (at, partner, evse uid, status)
    ok = json.dumps({"data": None, "status_code": 1000, "timestamp": "2026-01-01T00:00:00Z"}).encode()

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        at = time.time()
        answer = ok
        parts = scope["path"].strip("/").split("/")
        if scope["method"] == "GET" and parts == ["received"]:
            answer = json.dumps(received).encode()
        elif scope["method"] == "PATCH" and len(parts) == 6 and body:
            status = json.loads(body).get("status")
            if status:
                received.append((at, parts[0], parts[5], status))
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/json")]})  # fmt: skip
        await send({"type": "http.response.body", "body": answer})

    return app


def run_receiver(port: int) -> None:
    import uvicorn

    uvicorn.run(receiver_app(), host="127.0.0.1", port=port, log_level="warning", access_log=False)


# --- set-up ----------------------------------------------------------------------------------------------------------


async def seed(stations: int, partners: int, receivers: list[int]) -> dict[str, Any]:
    """Runs in a process whose DATABASE_URL names the bench database."""
    from core import db
    from core.infrastructure.tables import ChargePoint, ChargingStation, Connector, Location
    from core.roaming import contract_groups
    from core.roaming.tables import Partner, StationContractGroup, StationRoaming
    from core.tenancy import logins, tenants
    from core.tenancy.passwords import hash_password
    from tests.support import bulk_eoperate, make_user

    await db.migrate()
    await db.open_pool(4)

    async def tenant(kind: str, party: str) -> tuple[int, Any]:
        row = await tenants.create_tenant({"slug": f"b-{uuid.uuid4().hex[:10]}", "name": f"{kind} {party}",
                                           "kind": kind, "country_code": "DE", "party_id": party})  # fmt: skip
        return row["id"], await logins.actor_for_user(await make_user(row["id"], is_admin=True))

    await tenant("HUB", "HUB")
    emps = [await tenant("EMP", f"E{n:02d}") for n in range(partners)]
    cpo_id, cpo = await tenant("CPO", "BCP")
    await contract_groups.set_hub_enabled(cpo, True)
    group = await contract_groups.create_group(cpo, {"name": "Bench", "emp_tenant_ids": [e[0] for e in emps]})
    location_ids = await _ids(Location, [
        Location(tenant=cpo_id, name=f"Bench {n}", address=f"Hauptstr. {n}", postal_code="50667", city="Köln",
                 country="DEU", latitude=Decimal("50.9") + Decimal(n) / 10000, longitude=Decimal("6.9"))
        for n in range(stations)
    ])  # fmt: skip
    password_hash = hash_password(PASSWORD)
    station_ids = await _ids(ChargingStation, [
        ChargingStation(tenant=cpo_id, location=location_id, charge_box_id=f"PUSH-{n:05d}",
                        ocpp_password_hash=password_hash, installation_status="COMMISSIONED")
        for n, location_id in enumerate(location_ids)
    ])  # fmt: skip
    await _ids(StationRoaming, [StationRoaming(tenant=cpo_id, station=s, roaming=True, hub_authorised=True,
                                               marketing=True) for s in station_ids])  # fmt: skip
    await bulk_eoperate([(cpo_id, s) for s in station_ids])
    await _ids(StationContractGroup, [StationContractGroup(station=s, group=group["id"]) for s in station_ids])
    cp_ids = await _ids(ChargePoint, [
        ChargePoint(tenant=cpo_id, station=s, evse_number=1, evse_id=f"DE*BCP*E{n:05d}*1", status="AVAILABLE")
        for n, s in enumerate(station_ids)
    ])  # fmt: skip
    await _ids(Connector, [
        Connector(tenant=cpo_id, charge_point=cp, connector_number=1, standard="IEC_62196_T2", format="SOCKET",
                  power_type="AC_3_PHASE", max_voltage=400, max_amperage=32, max_electric_power=22000)
        for cp in cp_ids
    ])  # fmt: skip
    for n, (emp_id, _) in enumerate(emps):
        port = receivers[n % len(receivers)]
        receiver = {"identifier": "locations", "role": "RECEIVER", "url": f"http://127.0.0.1:{port}/p{n}/locations/"}
        role = {"role": "EMSP", "country_code": "DE", "party_id": f"E{n:02d}", "name": ""}
        await Partner(tenant=emp_id, kind="EMP", name=f"Bench {n}", state="REGISTERED", outgoing_token=f"bench-{n}",
                      version="2.2.1", endpoints=[receiver], roles=[role]).save()  # fmt: skip
    await db.close_pool()
    return {"stations": [f"PUSH-{n:05d}" for n in range(stations)], "uids": [str(cp) for cp in cp_ids]}


async def received(ports: list[int]) -> list[tuple[float, str, str, str]]:
    import httpx

    found: list[tuple[float, str, str, str]] = []
    async with httpx.AsyncClient(timeout=60) as client:
        for port in ports:
            found += [tuple(r) for r in (await client.get(f"http://127.0.0.1:{port}/received")).json()]  # type: ignore[misc]
    return found


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


# --- the run ---------------------------------------------------------------------------------------------------------


async def drive(url: str, seeded: dict[str, Any], args: argparse.Namespace, ports: list[int]) -> None:
    boxes, uids = seeded["stations"], seeded["uids"]
    sent: dict[str, list[tuple[float, str]]] = defaultdict(list)  # uid -> [(at, OCPI status)]
    interval = len(boxes) * 60 / args.changes_per_minute  # seconds between two changes of one station
    duration = args.minutes * 60
    stop_at = 0.0

    async def station(box: str, uid: str, ready: asyncio.Event) -> None:
        async with RawStation.connect(url, box, PASSWORD) as st:
            await st.call("BootNotification", {"chargePointVendor": "Bench", "chargePointModel": "Push"})
            await st.call("StatusNotification", {"connectorId": 1, "status": "Available", "errorCode": "NoError"})
            ready.set()
            await started.wait()
            await asyncio.sleep(random.uniform(0, interval))
            n = 1
            while time.time() < stop_at:
                status = STATUSES[n % 2]
                sent[uid].append((time.time(), OCPI_OF[status]))
                await st.call("StatusNotification", {"connectorId": 1, "status": status, "errorCode": "NoError"})
                n += 1
                await asyncio.sleep(interval)
            await done.wait()

    started, done = asyncio.Event(), asyncio.Event()
    readies = [asyncio.Event() for _ in boxes]
    tasks = [asyncio.create_task(station(b, u, r)) for b, u, r in zip(boxes, uids, readies, strict=True)]
    await asyncio.gather(*(r.wait() for r in readies))
    print(f"{len(boxes)} stations connected; warm-up {args.warmup} s", flush=True)
    await asyncio.sleep(args.warmup)
    begin = time.time()
    stop_at = begin + duration
    started.set()
    print(f"sending {args.changes_per_minute} status changes a minute for {args.minutes} min ...", flush=True)
    await asyncio.sleep(duration + args.drain)
    done.set()
    await asyncio.gather(*tasks)

    latencies: list[tuple[float, float]] = []  # (sent at, seconds to the partner)
    arrived: set[tuple[str, str, float]] = set()
    for at, partner, uid, status in await received(ports):
        changes = [c for c in sent.get(uid, []) if c[1] == status and c[0] <= at]
        if changes and changes[-1][0] >= begin:
            latencies.append((changes[-1][0], at - changes[-1][0]))
            arrived.add((partner, uid, changes[-1][0]))
    total = sum(len(v) for v in sent.values())
    expected = total * args.partners
    print(f"status changes sent: {total} ({total / args.minutes:.0f} a minute), to {args.partners} partners each")
    print(f"arrived at the partners: {len(arrived)} of {expected} ({100 * len(arrived) / max(1, expected):.1f} %)")
    seconds = [lat for _, lat in latencies]
    print(f"StatusNotification -> partner: p50 {percentile(seconds, 0.5):.2f} s, p95 {percentile(seconds, 0.95):.2f} s,"
          f" max {max(seconds, default=float('nan')):.2f} s")  # fmt: skip
    third = duration / 3
    for k in range(3):
        part = [lat for at, lat in latencies if begin + k * third <= at < begin + (k + 1) * third]
        print(f"  third {k + 1}: p50 {percentile(part, 0.5):.2f} s, p95 {percentile(part, 0.95):.2f} s ({len(part)})")


async def in_process(args: argparse.Namespace, ports: list[int]) -> None:
    """``--inprocess TICKS``: no serve, no worker, no stations. The seed's stations marked connected, then per tick
    ``--stations`` * changes-per-minute / 60 charge points change status and every partner's run is made at once on
    this process's loop (as a worker's threads would). Printed: CPU time of this process per tick and per request
    (the wall time follows whatever else the machine runs; the CPU time hardly does)."""
    from core import db
    from core.infrastructure import changes
    from core.infrastructure.tables import ChargePoint, ChargingStation
    from core.roaming import pushes
    from core.roaming.tables import OcpiExchange, Partner
    from csms.wiring import wire_hub

    seeded = await seed(args.stations, args.partners, ports)
    for _ in range(100):  # the receivers answer
        try:
            await received(ports)
            break
        except Exception:  # not listening yet
            await asyncio.sleep(0.1)
    await db.open_pool(10)
    wire_hub()
    await ChargingStation.update({ChargingStation.connected: True, ChargingStation.status: "AVAILABLE"}).where(
        ChargingStation.id > 0
    )
    partners = [row["id"] for row in await Partner.select(Partner.id)]
    await asyncio.gather(*(pushes.push_partner(p) for p in partners))  # the first PUTs
    before = await OcpiExchange.count()
    per_tick = max(1, round(args.changes_per_minute / 60))
    charge_points = [int(uid) for uid in seeded["uids"]]
    cpu, wall = time.process_time(), time.perf_counter()
    for tick in range(args.inprocess):
        chosen = random.sample(charge_points, per_tick)
        status = ("AVAILABLE", "CHARGING")[tick % 2]
        await ChargePoint.update({ChargePoint.status: status}).where(ChargePoint.id.is_in(chosen))
        await changes.charge_points_changed(chosen)
        await asyncio.gather(*(pushes._run(p, pushes._now()) for p in partners))
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    sent = await OcpiExchange.count() - before
    print(f"{args.inprocess} ticks of {per_tick} status changes, {len(partners)} partners: {sent} requests; "
          f"CPU {1000 * cpu / args.inprocess:.0f} ms a tick, {1000 * cpu / max(1, sent):.2f} ms a request; "
          f"wall {1000 * wall / args.inprocess:.0f} ms a tick")  # fmt: skip
    await db.close_pool()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--changes-per-minute", type=int, default=1000)
    parser.add_argument("--partners", type=int, default=20)
    parser.add_argument("--stations", type=int, default=100)
    parser.add_argument("--minutes", type=float, default=2)
    parser.add_argument("--warmup", type=float, default=15, help="seconds after the stations connected")
    parser.add_argument("--drain", type=float, default=10, help="seconds after the last change")
    parser.add_argument("--workers", type=int, default=1, help="csms worker processes")
    parser.add_argument("--receivers", type=int, default=2, help="receiver processes")
    parser.add_argument("--database", default="postgresql://postgres@127.0.0.1:5432/csms_bench_push")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/14")
    parser.add_argument("--inprocess", type=int, metavar="TICKS", help="only the push runs, in this process")
    parser.add_argument("--receiver", type=int, help=argparse.SUPPRESS)  # internal: run one receiver on this port
    args = parser.parse_args()
    if args.receiver:
        run_receiver(args.receiver)
        return

    import redis

    redis.Redis.from_url(args.redis).flushdb()
    asyncio.run(recreate_database(args.database))
    var = Path(tempfile.mkdtemp(prefix="csms-bench-push-"))
    env = {**os.environ, "DATABASE_URL": args.database, "REDIS_URL": args.redis, "CSMS_VAR_DIR": str(var),
           "SECRET_KEY": "bench-secret-key-that-is-long-enough-0123456789", "DB_POOL_SIZE": "10"}  # fmt: skip
    ports = [free_port() for _ in range(args.receivers)]
    processes: list[subprocess.Popen[Any]] = []
    log = (var / "processes.log").open("w")
    try:
        for port in ports:
            processes.append(subprocess.Popen([sys.executable, __file__, "--receiver", str(port)], stdout=log,
                                              stderr=subprocess.STDOUT))  # fmt: skip
        if args.inprocess:
            os.environ.update(env)
            asyncio.run(in_process(args, ports))
            return
        code = (f"import asyncio, json; from bench.ocpi_push import seed; "
                f"print(json.dumps(asyncio.run(seed({args.stations}, {args.partners}, {ports!r}))))")  # fmt: skip
        seeded = subprocess.run([sys.executable, "-c", code], env={**env, "PYTHONPATH": str(ROOT)}, cwd=ROOT,
                                capture_output=True, text=True, check=True)  # fmt: skip
        data = json.loads(seeded.stdout.strip().splitlines()[-1])
        port = free_port()
        processes.append(start_serve({**env, "PUBLIC_URL": f"http://127.0.0.1:{port}"}, port, log))
        for _ in range(args.workers):
            processes.append(subprocess.Popen([sys.executable, "-m", "csms.cli", "worker", "--processes", "1",
                                               "--threads", "8"], env=env, stdout=log, stderr=subprocess.STDOUT,
                                              start_new_session=True))  # fmt: skip
        print(f"csms serve, {args.workers} worker(s), {args.receivers} receivers; logs in {var}", flush=True)
        asyncio.run(drive(f"ws://127.0.0.1:{port}/ocpp", data, args, ports))
    finally:
        for proc in reversed(processes):
            stop_process(proc, timeout=10)


if __name__ == "__main__":
    main()
