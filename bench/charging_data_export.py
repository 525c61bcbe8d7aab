"""Benchmark of the charging data CSV export with 100,000 CDRs on PostgreSQL and SQLite.

    .venv/bin/python bench/charging_data_export.py [--cdrs 100000] [--only postgres|sqlite]
        [--postgres-url postgresql://postgres@127.0.0.1:5432/csms_bench_cdrs]

Each database runs in its own child process (the engine is chosen when csms is imported): the child creates a
fresh database (PostgreSQL: drops and recreates it; SQLite: a temp file), migrates it, bulk-inserts the sessions
and their CDRs (COPY on PostgreSQL, executemany on SQLite), then measures

- ``http``: the real endpoint ``GET /charging-data/export.csv`` (logged-in session, streamed response read to
  the end), all rows and a filtered export (DC only);
- ``core``: ``core.cdrs.charging_data.export_batches`` alone (keyset batches, no CSV);
- ``page``: one page of the list (count + sums + 50 rows) for comparison.

Only figures are printed (seconds, rows per second, MB); nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "bench-password-2026"
OCMF = 'OCMF|{"FV":"1.0","GI":"BENCH","RD":[{"TX":"E","RV":12.345,"RU":"kWh"}]}|{"SD":"304402201234"}'
CITIES = [("München", "80331", "DEU"), ("Berlin", "10115", "DEU"), ("Wien", "1010", "AUT"), ("Hamburg", "20095", "DEU")]
SESSION_COLS = ["id", "tenant", "station", "charge_point", "connector_id", "id_tag", "auth_source", "auth_status",
                "started_at", "stopped_at", "meter_start_wh", "meter_stop_wh", "energy_wh", "status", "stop_reason",
                "flags", "created_at", "updated_at"]  # fmt: skip
CDR_COLS = ["id", "tenant", "session", "charge_point", "station", "location", "location_name", "address", "city",
            "postal_code", "country", "evse_id", "charge_box_id", "connector_id", "power_type", "start_date_time",
            "end_date_time", "total_energy", "total_time", "total_parking_time", "auth_method", "auth_source",
            "token_uid", "token_type", "tariff", "tariff_code", "price_components", "currency", "vat_rate",
            "total_cost_excl_vat", "total_vat", "total_cost_incl_vat", "billable", "remark", "eichrecht_compliant",
            "signed_data", "status", "stop_reason", "flags", "created_at"]  # fmt: skip


def _rows(count: int, tenant: int, station: int, points: list[int], location: int) -> tuple[list[Any], list[Any]]:
    now = datetime.now(UTC)
    sessions, cdrs = [], []
    for n in range(1, count + 1):
        start = now - timedelta(minutes=7 * n)
        minutes = 10 + n % 300
        wh = 1000 + (n * 37) % 60_000
        dc = n % 4 == 0
        point = points[n % len(points)]
        city, postal, country = CITIES[n % len(CITIES)]
        auth = ("RFID", "REMOTE", "DIRECT_PAYMENT")[n % 3]
        net = (Decimal(wh) / 1000 * Decimal("0.40")).quantize(Decimal("0.01"))
        vat = (net * Decimal("0.19")).quantize(Decimal("0.01"))
        sessions.append(
            (
                n,
                tenant,
                station,
                point,
                1,
                f"TAG{n % 500:05d}",
                auth,
                "Accepted",
                start,
                start + timedelta(minutes=minutes),
                0,
                wh,
                wh,
                "STOPPED",
                "Local",
                "[]",
                now,
                now,
            )
        )
        signed = json.dumps({"encoding_method": "OCMF", "signed_values": [{"nature": "End", "signed_data": OCMF}]})
        cdrs.append((n, tenant, n, point, station, location, "Bench depot", f"Hauptstr. {n % 90 + 1}", city, postal,
                     country, f"DE*ISE*E{point:07d}*1", "BENCH-0001", 1, "DC" if dc else "AC", start,
                     start + timedelta(minutes=minutes), Decimal(wh) / 1000,
                     (Decimal(minutes) / 60).quantize(Decimal("0.000001")), Decimal(0), "WHITELIST", auth,
                     f"TAG{n % 500:05d}", "RFID", None, "", "[]", "EUR", Decimal(19), net, vat, net + vat, True, "",
                     n % 2 == 0, signed if n % 2 == 0 else None, "COMPLETED", "Local", "[]", now))  # fmt: skip
    return sessions, cdrs


async def _seed_postgres(url: str, sessions: list[Any], cdrs: list[Any]) -> None:
    import asyncpg

    parsed = urlparse(url)
    conn = await asyncpg.connect(host=parsed.hostname, port=parsed.port or 5432, user=parsed.username or "postgres",
                                 password=parsed.password or None, database=parsed.path.lstrip("/"))  # fmt: skip
    try:
        await conn.copy_records_to_table("charging_session", records=sessions, columns=SESSION_COLS)
        await conn.copy_records_to_table("cdr", records=cdrs, columns=CDR_COLS)
        for table in ("charging_session", "cdr"):
            await conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))")
        await conn.execute("ANALYZE")
    finally:
        await conn.close()


def _seed_sqlite(path: str, sessions: list[Any], cdrs: list[Any]) -> None:
    import sqlite3

    def plain(rows: list[Any]) -> list[Any]:  # what Piccolo's SQLite adapters store
        return [tuple(float(v) if isinstance(v, Decimal) else str(v.astimezone(UTC)) if isinstance(v, datetime)
                      else v for v in row) for row in rows]  # fmt: skip

    conn = sqlite3.connect(path)
    with conn:
        for table, cols, rows in (("charging_session", SESSION_COLS, sessions), ("cdr", CDR_COLS, cdrs)):
            marks = ", ".join("?" for _ in cols)
            conn.executemany(f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({marks})", plain(rows))
    conn.execute("ANALYZE")
    conn.close()


async def _child(kind: str, url: str, count: int) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("CSMS_VAR_DIR", tempfile.mkdtemp(prefix="csms-bench-var-"))
    os.environ.setdefault("SECRET_KEY", "bench-secret-key-that-is-long-enough-0123456789")
    os.environ.pop("REDIS_URL", None)
    sys.path.insert(0, str(ROOT))
    if kind == "postgres":
        import asyncpg

        parsed = urlparse(url)
        admin = await asyncpg.connect(host=parsed.hostname, port=parsed.port or 5432,
                                      user=parsed.username or "postgres", password=parsed.password or None,
                                      database="postgres")  # fmt: skip
        name = parsed.path.lstrip("/")
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
        await admin.close()
    import logging

    logging.getLogger("httpx").setLevel(logging.WARNING)

    import core  # noqa: F401
    from core import db
    from core.cdrs import charging_data
    from core.infrastructure import charge_points, locations, stations
    from core.tenancy import logins, tenants
    from core.tenancy.actor import system_actor
    from core.tenancy.passwords import hash_password
    from core.tenancy.tables import StaffUser

    await db.migrate()
    await db.open_pool(10)
    tenant = await tenants.create_tenant(
        {"slug": "bench", "name": "Bench CPO", "country_code": "DE", "party_id": "ISE"}
    )
    actor = system_actor(tenant["id"])
    location = await locations.create_location(
        actor, {"name": "Bench depot", "address": "Hauptstr. 1", "postal_code": "80331", "city": "München",
                "country": "DEU"})  # fmt: skip
    station, _ = await stations.create_station(
        actor, {"location_id": location["id"], "charge_box_id": "BENCH-0001", "installation_status": "COMMISSIONED"}
    )
    points = [(await charge_points.create_charge_point(actor, {"station_id": station["id"], "evse_number": k}))["id"]
              for k in (1, 2)]  # fmt: skip
    user = StaffUser(tenant=tenant["id"], email="bench@example.test", password_hash=hash_password(PASSWORD),
                     is_admin=True)  # fmt: skip
    await user.save()
    sessions, cdr_rows = _rows(count, tenant["id"], station["id"], points, location["id"])
    started = time.perf_counter()
    if kind == "postgres":
        await _seed_postgres(url, sessions, cdr_rows)
    else:
        _seed_sqlite(url.removeprefix("sqlite:///"), sessions, cdr_rows)
    print(f"[{kind}] seeded {count:,} sessions and CDRs in {time.perf_counter() - started:.1f} s", flush=True)

    row = await StaffUser.select().where(StaffUser.id == user.id).first()
    assert row is not None
    staff = await logins.actor_for_user(row)
    everything = {"from": "2000-01-01", "to": "2100-01-01"}

    from tests.support import app_client, login

    async with app_client() as client:
        await login(client, "bench@example.test", PASSWORD)
        for label, params in (("http, all rows", everything), ("http, DC only", {**everything, "power": "DC"})):
            started = time.perf_counter()
            lines = size = 0
            async with client.stream("GET", "/charging-data/export.csv", params=params) as response:
                assert response.status_code == 200
                async for chunk in response.aiter_bytes():
                    size += len(chunk)
                    lines += chunk.count(b"\n")
            elapsed = time.perf_counter() - started
            rows = lines - 1
            print(f"[{kind}] {label:<18} {rows:>8,} rows in {elapsed:6.2f} s = {rows / elapsed:>9,.0f} rows/s, "
                  f"{size / 1e6:6.1f} MB", flush=True)  # fmt: skip
        started = time.perf_counter()
        page = await client.get("/charging-data", params=everything, headers={"HX-Request": "true"})
        assert page.status_code == 200
        print(f"[{kind}] list page (count, sums, 50 rows): {(time.perf_counter() - started) * 1000:.0f} ms")

    q = charging_data.parse_query(everything)
    started = time.perf_counter()
    total = 0
    async for batch in charging_data.export_batches(staff, q):
        total += len(batch)
    elapsed = time.perf_counter() - started
    print(f"[{kind}] core keyset batches  {total:>8,} rows in {elapsed:6.2f} s = {total / elapsed:>9,.0f} rows/s")
    await db.close_pool()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cdrs", type=int, default=100_000)
    parser.add_argument("--only", choices=("postgres", "sqlite"))
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/csms_bench_cdrs")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        asyncio.run(_child(args.child, args.url, args.cdrs))
        return 0
    kinds = [args.only] if args.only else ["postgres", "sqlite"]
    for kind in kinds:
        url = args.postgres_url if kind == "postgres" else f"sqlite:///{tempfile.mkdtemp(prefix='csms-bench-')}/b.db"
        result = subprocess.run([sys.executable, __file__, "--child", kind, "--url", url, "--cdrs", str(args.cdrs)],
                                cwd=ROOT)  # fmt: skip
        if result.returncode != 0:
            return result.returncode
    return 0


if __name__ == "__main__":
    sys.exit(main())
