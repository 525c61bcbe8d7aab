"""Benchmark of the advanced overview with 100,000 charge points on PostgreSQL and SQLite.

    .venv/bin/python bench/portal_overview.py [--runs 50] [--only postgres|sqlite]
        [--postgres-url postgresql://postgres@127.0.0.1:5432/csms_bench]

Each database runs in its own child process (the engine is chosen when csms is imported): the child
creates a fresh database (PostgreSQL: drops and recreates ``csms_bench``; SQLite: a temp file), migrates
it, bulk-inserts 100,000 charge points (COPY on PostgreSQL, executemany on SQLite), then measures
per filter mix, over ``--runs`` runs each:

- ``page``: the real app's server time for the HTMX results fragment (httpx ASGITransport, logged-in
  session): count + 50 rows + filter options + remembered preference + template render;
- ``rows`` and ``count``: the core query functions alone.

Only figures are printed (p50/p95 in ms). Goal: page p95 <= 100 ms on PostgreSQL, <= 300 ms on SQLite.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from core.tenancy import logins, tenants

ROOT = Path(__file__).resolve().parents[1]
CHARGE_POINTS = 100_000
POINTS_PER_STATION = 2
STATIONS_PER_LOCATION = 5
PASSWORD = "bench-password-2026"

CITIES = [
    ("Berlin", "10"), ("Hamburg", "20"), ("München", "80"), ("Köln", "50"), ("Frankfurt am Main", "60"),
    ("Stuttgart", "70"), ("Düsseldorf", "40"), ("Leipzig", "04"), ("Dortmund", "44"), ("Essen", "45"),
    ("Bremen", "28"), ("Dresden", "01"), ("Hannover", "30"), ("Nürnberg", "90"), ("Duisburg", "47"),
    ("Bochum", "44"), ("Wuppertal", "42"), ("Bielefeld", "33"), ("Bonn", "53"), ("Münster", "48"),
    ("Bernau", "16"), ("Bergisch Gladbach", "51"), ("Wien", "10"), ("Graz", "80"), ("Linz", "40"),
]  # fmt: skip
VENDORS = {
    "ABB": ["Terra AC", "Terra DC 50"],
    "Alfen": ["Eve Single", "Eve Double"],
    "Hesotec": ["eBOX professional", "eBOX smart", "eBOX touch"],
    "Schneider": ["EVlink Pro AC"],
    "Mennekes": ["Amtron"],
    "Compleo": ["Cito"],
}
STATUSES = ["AVAILABLE"] * 50 + ["CHARGING"] * 20 + ["UNKNOWN"] * 15 + ["OUTOFORDER"] * 8 + ["INOPERATIVE"] * 4 + [
    "RESERVED", "BLOCKED", "PLANNED"]  # fmt: skip
STREETS = ["Hauptstr.", "Bahnhofstr.", "Breite Gasse", "Marienplatz", "Invalidenstr.", "Gartenweg", "Ringstr."]

MIXES: list[tuple[str, dict[str, Any]]] = [
    ("default sort, page 1", {}),
    ("city prefix + status group, sort city desc",
     {"city": "Ber", "status": "available", "sort": "city", "dir": "desc"}),
    ("status group inoperative, sort error rate desc", {"status": "inoperative", "sort": "error_rate", "dir": "desc"}),
    ("magic search, 3 ids", {"q": "DE*ISE*E0001234*1; CB-0004567; DE*ISE*E0040000*2"}),
    ("vendor + DC + error >= 10, sort charge box id", {"vendor": "ABB", "power": "DC", "min_error": "10",
                                                       "sort": "charge_box_id"}),
    ("postal code + connector + auth, sort postal code", {"city": "80", "connector": "IEC_62196_T2_COMBO",
                                                          "auth": "direct_payment", "sort": "postal_code"}),
    ("default sort, page 1000 (offset 49,950)", {"page": "1000"}),
]  # fmt: skip


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return statistics.median(ordered), p95


# --- seeding ----------------------------------------------------------------------------------------


def _rows(tenant_id: int) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    rnd = random.Random(42)
    now = datetime.now(UTC)
    stations_total = CHARGE_POINTS // POINTS_PER_STATION
    locations_total = stations_total // STATIONS_PER_LOCATION
    locations = []
    for n in range(1, locations_total + 1):
        city, prefix = CITIES[n % len(CITIES)]
        country = "AUT" if city in {"Wien", "Graz", "Linz"} else "DEU"
        postal = f"{prefix}{n % 1000:03d}"[:5]
        address = f"{rnd.choice(STREETS)} {n % 200 + 1}"
        locations.append((n, tenant_id, f"Standort {n:05d}", address, postal, city, country, now, now))
    stations = []
    for n in range(1, stations_total + 1):
        vendor = rnd.choice(list(VENDORS))
        model = rnd.choice(VENDORS[vendor])
        firmware = f"{rnd.randint(1, 4)}.{rnd.randint(0, 9)}"
        ocpp = "2.0.1" if n % 10 == 0 else "1.6"
        location = (n - 1) // STATIONS_PER_LOCATION + 1
        connected = rnd.random() < 0.9
        stations.append((n, tenant_id, location, f"CB-{n:07d}", f"Ladestation {n}", vendor, model, firmware, ocpp,
                         connected, now if connected else None, now, now))  # fmt: skip
    points = []
    n = 0
    for station in range(1, stations_total + 1):
        dc = station % 5 == 0
        for k in range(1, POINTS_PER_STATION + 1):
            n += 1
            evse_id = f"DE*ISE*E{station:07d}*{k}" if n % 7 else None
            standards = "IEC_62196_T2_COMBO" if dc else "IEC_62196_T2"
            points.append((n, tenant_id, station, k, evse_id, rnd.choice(STATUSES), "",
                           Decimal(rnd.randint(0, 4000)) / 100, rnd.random() < 0.95, rnd.random() < 0.9,
                           rnd.random() < 0.3, "DC" if dc else "AC_3_PHASE", Decimal(50 if dc else 22),
                           standards, now, now))  # fmt: skip
    return locations, stations, points


LOCATION_COLS = ["id", "tenant", "name", "address", "postal_code", "city", "country", "created_at", "updated_at"]
STATION_COLS = ["id", "tenant", "location", "charge_box_id", "name", "vendor", "model", "firmware_version",
                "ocpp_version", "connected", "last_heartbeat_at", "created_at", "updated_at"]  # fmt: skip
POINT_COLS = ["id", "tenant", "station", "evse_number", "evse_id", "status", "status_detail", "error_rate",
              "auth_local_rfid", "auth_remote", "auth_direct_payment", "power_type", "max_power_kw",
              "connector_standards", "created_at", "updated_at"]  # fmt: skip


async def _seed_postgres(url: str, tenant_id: int) -> None:
    import asyncpg

    locations, stations, points = _rows(tenant_id)
    parsed = urlparse(url)
    conn = await asyncpg.connect(
        host=parsed.hostname, port=parsed.port or 5432, user=parsed.username or "postgres",
        password=parsed.password or None, database=parsed.path.lstrip("/"),
    )  # fmt: skip
    try:
        await conn.copy_records_to_table("location", records=locations, columns=LOCATION_COLS)
        await conn.copy_records_to_table("charging_station", records=stations, columns=STATION_COLS)
        await conn.copy_records_to_table("charge_point", records=points, columns=POINT_COLS)
        for table in ("location", "charging_station", "charge_point"):
            await conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))")
        await conn.execute("ANALYZE")
    finally:
        await conn.close()


def _seed_sqlite(path: str, tenant_id: int) -> None:
    import sqlite3

    locations, stations, points = _rows(tenant_id)
    conn = sqlite3.connect(path)

    def plain(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        return [
            tuple(float(v) if isinstance(v, Decimal) else v.isoformat() if isinstance(v, datetime) else v for v in r)
            for r in rows
        ]

    with conn:
        for table, cols, rows in (
            ("location", LOCATION_COLS, locations),
            ("charging_station", STATION_COLS, stations),
            ("charge_point", POINT_COLS, points),
        ):
            marks = ", ".join("?" for _ in cols)
            conn.executemany(f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({marks})", plain(rows))
    conn.execute("ANALYZE")
    conn.close()


# --- measuring --------------------------------------------------------------------------------------


async def _time(fn: Callable[[], Awaitable[Any]], runs: int) -> tuple[float, float]:
    await fn()  # warm-up: caches, prepared plans
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        await fn()
        samples.append((time.perf_counter() - start) * 1000)
    return _percentiles(samples)


async def _child(kind: str, url: str, runs: int) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("CSMS_VAR_DIR", tempfile.mkdtemp(prefix="csms-bench-var-"))
    os.environ.setdefault("SECRET_KEY", "bench-secret-key-that-is-long-enough-0123456789")
    os.environ.pop("REDIS_URL", None)
    sys.path.insert(0, str(ROOT))
    if kind == "postgres":
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

    import logging

    logging.getLogger("httpx").setLevel(logging.WARNING)

    import core  # noqa: F401
    from core import db
    from core.infrastructure import overview
    from core.tenancy.passwords import hash_password
    from core.tenancy.tables import StaffUser

    await db.migrate()
    await db.open_pool(10)
    tenant = await tenants.create_tenant(
        {"slug": "bench", "name": "Bench CPO", "kind": "CPO", "party_id": "ISE", "country_code": "DE"}
    )
    await tenants.create_tenant(
        {"slug": "other", "name": "Other CPO", "kind": "CPO", "party_id": "OTH", "country_code": "DE"}
    )
    user = StaffUser(tenant=tenant["id"], email="bench@example.test", password_hash=hash_password(PASSWORD),
                     is_admin=True)  # fmt: skip
    await user.save()
    started = time.perf_counter()
    if kind == "postgres":
        await _seed_postgres(url, tenant["id"])
    else:
        _seed_sqlite(url.removeprefix("sqlite:///"), tenant["id"])
    print(f"[{kind}] seeded {CHARGE_POINTS:,} charge points in {time.perf_counter() - started:.1f} s", flush=True)

    row = await StaffUser.select().where(StaffUser.id == user.id).first()
    assert row is not None
    actor = await logins.actor_for_user(row)

    from tests.support import app_client, login

    async with app_client() as client:
        await login(client, "bench@example.test", PASSWORD)
        print(
            f"[{kind}] {'filter mix':<52} {'page p50/p95':>16} {'rows p50/p95':>16} {'count p50/p95':>16} {'hits':>8}"
        )
        for label, params in MIXES:
            q = overview.parse_query(params)
            hits = await overview.count(actor, q)

            async def page(params: dict[str, Any] = params) -> None:
                response = await client.get("/infrastructure/overview", params=params, headers={"HX-Request": "true"})
                assert response.status_code == 200, response.text[:500]

            async def rows(q: overview.OverviewQuery = q) -> None:
                await overview.rows(actor, q)

            async def count(q: overview.OverviewQuery = q) -> None:
                await overview.count(actor, q)

            p = await _time(page, runs)
            r = await _time(rows, runs)
            c = await _time(count, runs)
            print(
                f"[{kind}] {label:<52} {p[0]:7.1f}/{p[1]:7.1f} {r[0]:7.1f}/{r[1]:7.1f} {c[0]:7.1f}/{c[1]:7.1f} "
                f"{hits:>8,}",
                flush=True,
            )
    await db.close_pool()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--only", choices=["postgres", "sqlite"])
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/csms_bench")
    parser.add_argument("--child", choices=["postgres", "sqlite"], help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        asyncio.run(_child(args.child, args.url, args.runs))
        return
    kinds = [args.only] if args.only else ["postgres", "sqlite"]
    for kind in kinds:
        if kind == "postgres":
            url = args.postgres_url
        else:
            url = f"sqlite:///{tempfile.mkdtemp(prefix='csms-bench-')}/bench.sqlite3"
        cmd = [sys.executable, __file__, "--child", kind, "--url", url, "--runs", str(args.runs)]
        subprocess.run(cmd, check=True, cwd=ROOT)


if __name__ == "__main__":
    main()
