"""Benchmark of the monthly billing run (core.billing.runs) over 10,000 stations with 12 months of products.

    .venv/bin/python bench/billing_run.py [--stations 10000] [--months 12]

The database of ``DATABASE_URL`` (unset: ``postgresql://postgres@127.0.0.1:5432/csms_bench_billing``) is dropped and
made again (PostgreSQL: the database is recreated; SQLite: the file is deleted), so its name must contain ``bench``.
It is migrated, then filled in bulk: 43 tenants (the operator, 20 CPOs, a reseller in the RESELLER model and one in
the AFFILIATE model with 10 sub-CPOs each), the stations spread over the CPOs and sub-CPOs, and 12
months of product assignments ending last month: every station has eOperate professional AC (every fifth DC), some
starting or ending in the middle of a month; every second station has 360.SUPPORT, some ended and reactivated;
the affiliate sub-CPOs have roaming CDRs every month (their commission).

It then times the run of each of the 12 months, one after the other (``run_month`` per month, x12, as the hourly
job would over a year), prints the time next to the goal (< 60 s) and the lines written, runs all 12 months again
and prints the lines that second pass added (the goal: 0). Only figures are printed; nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[1]
GOAL_SECONDS = 60
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/csms_bench_billing"


def _drop_file(path: str) -> None:
    Path(path).unlink(missing_ok=True)


async def _recreate(url: str) -> None:
    parsed = urlparse(url)
    if "bench" not in parsed.path.lstrip("/"):
        sys.exit(f"refusing to recreate {parsed.path!r}: the benchmark's database name must contain 'bench'")
    if parsed.scheme.startswith("postgres"):
        from bench.ocpi_csms_seed import recreate_database

        await recreate_database(url)
    else:
        _drop_file(parsed.path)


async def _seed(stations: int, months: int) -> list[str]:
    """Tenants, locations, stations, assignments and roaming CDRs; returns the periods to run."""
    from core.bulk import insert_rows
    from core.cdrs.tables import Cdr
    from core.charging.tables import ChargingSession
    from core.infrastructure.tables import ChargingStation, Location
    from core.months import Month, month_of
    from core.products.catalogue import ProductCode, ensure_catalogue, product_by_code
    from core.products.tables import ProductAssignment
    from core.tenancy.tables import Tenant

    await ensure_catalogue()
    products = {code: await product_by_code(code) for code in ProductCode}
    tenant_rows: list[dict[str, Any]] = []

    async def tenant(slug: str, kind: str, parent: int | None = None, model: str = "RESELLER") -> int:
        row = Tenant(slug=slug, name=f"Bench {slug}", kind=kind, parent=parent, reseller_model=model,
                     debtor_number=f"D{len(tenant_rows) + 10000}")  # fmt: skip
        await row.save()
        tenant_rows.append({"id": row.id, "kind": kind})
        return int(row.id)

    await tenant("bench-hub", "HUB")
    owners = [await tenant(f"bench-cpo-{n}", "CPO") for n in range(20)]
    affiliates: list[int] = []
    for model in ("RESELLER", "AFFILIATE"):
        reseller = await tenant(f"bench-{model.lower()}", "RESELLER", model=model)
        subs = [await tenant(f"bench-{model.lower()}-sub-{n}", "CPO", reseller) for n in range(10)]
        owners += subs
        affiliates += subs if model == "AFFILIATE" else []

    locations = {}
    for owner in owners:
        location = Location(tenant=owner, name="Bench depot", address="Hauptstr. 1", postal_code="80331",
                            city="München", country="DEU", latitude=Decimal("48.137"),
                            longitude=Decimal("11.576"))  # fmt: skip
        await location.save()
        locations[owner] = location.id
    now = datetime.now(UTC)
    station_rows = [(n, owners[n % len(owners)], locations[owners[n % len(owners)]], f"BENCH-{n:06d}",
                     f"Station {n:06d}", now) for n in range(1, stations + 1)]  # fmt: skip
    await insert_rows(ChargingStation, ("id", "tenant", "location", "charge_box_id", "name", "created_at"),
                      station_rows)  # fmt: skip

    berlin = __import__("zoneinfo").ZoneInfo("Europe/Berlin")
    last = month_of(now, berlin).previous()
    periods = [last]
    while len(periods) < months:
        periods.insert(0, periods[0].previous())
    first: Month = periods[0]
    begin = datetime(first.year, first.month, 1, 8, tzinfo=UTC)
    end = last.bounds(berlin)[1]
    rows: list[tuple[Any, ...]] = []
    ids = iter(range(1, 10**9))
    for n, owner, *_ in station_rows:
        kind = products[ProductCode.EOPERATE_DC if n % 5 == 0 else ProductCode.EOPERATE_AC]
        start = begin + timedelta(days=n % 40)  # many start in the middle of the first or second month
        stop = begin + timedelta(days=150 + n % 20) if n % 10 == 0 else None  # a tenth end half a year later
        rows.append((next(ids), owner, n, kind["id"], start, stop, kind["monthly_net_cents"], now))
        if n % 2 == 0:
            support = products[ProductCode.SUPPORT_360]
            if n % 6 == 0:  # deactivated and reactivated in the same month: billed once
                middle = begin + timedelta(days=200)
                rows.append((next(ids), owner, n, support["id"], begin, middle, support["monthly_net_cents"], now))
                rows.append((next(ids), owner, n, support["id"], middle + timedelta(days=3), None,
                             support["monthly_net_cents"], now))  # fmt: skip
            else:
                rows.append((next(ids), owner, n, support["id"], begin, None, support["monthly_net_cents"], now))
    await insert_rows(ProductAssignment, ("id", "tenant", "station", "product", "starts_at", "ends_at",
                                          "monthly_net_cents", "created_at"), rows)  # fmt: skip

    sessions: list[tuple[Any, ...]] = []
    cdrs: list[tuple[Any, ...]] = []
    for sub in affiliates:
        for index, month in enumerate(periods):
            for k in range(3):
                sid = len(sessions) + 1
                at = month.bounds(berlin)[0] + timedelta(days=2 + 9 * k, hours=12)
                net = Decimal(1000 + 37 * sid + index) / 100
                sessions.append((sid, sub, f"TAG{sid}", at, at + timedelta(hours=1), "STOPPED", now, now))
                cdrs.append((sid, sub, sid, at, at + timedelta(hours=1), "EUR", Decimal(19), net,
                             (net * Decimal("0.19")).quantize(Decimal("0.01")), net, True, 1 + k % 2, now))  # fmt: skip
    await insert_rows(ChargingSession, ("id", "tenant", "id_tag", "started_at", "stopped_at", "status", "created_at",
                                        "updated_at"), sessions)  # fmt: skip
    await insert_rows(Cdr, ("id", "tenant", "session", "start_date_time", "end_date_time", "currency", "vat_rate",
                            "total_cost_excl_vat", "total_vat", "total_cost_incl_vat", "billable",
                            "roaming_partner_id", "created_at"), cdrs)  # fmt: skip
    from core.db import is_postgres

    if is_postgres():
        for table in ("charging_station", "product_assignment", "charging_session", "cdr"):
            await Tenant.raw(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))")  # noqa: S608
        await Tenant.raw("ANALYZE")
    assert end > begin
    print(f"seeded: {len(tenant_rows)} tenants, {stations:,} stations, {len(rows):,} assignments, "
          f"{len(cdrs):,} roaming CDRs; months {periods[0].period} .. {periods[-1].period}")  # fmt: skip
    return [month.period for month in periods]


async def _run_all(periods: list[str]) -> tuple[float, int]:
    from core.billing import runs

    started = time.perf_counter()
    written = 0
    for period in periods:
        written += await runs.run_month(period)
    return time.perf_counter() - started, written


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stations", type=int, default=10_000)
    parser.add_argument("--months", type=int, default=12)
    args = parser.parse_args()
    url = os.environ.setdefault("DATABASE_URL", DEFAULT_URL)
    sys.path.insert(0, str(ROOT))
    await _recreate(url)
    from core.db import close_pool, migrate, open_pool

    await migrate()
    await open_pool()
    try:
        periods = await _seed(args.stations, args.months)
        seconds, written = await _run_all(periods)
        verdict = "met" if seconds < GOAL_SECONDS else "NOT met"
        print(f"billing run, {len(periods)} months one after the other: {seconds:.1f} s (goal < {GOAL_SECONDS} s: "
              f"{verdict}), {written:,} invoice lines, {written / seconds:,.0f} lines/s")  # fmt: skip
        again, added = await _run_all(periods)
        print(f"second run of the same {len(periods)} months: {again:.2f} s, {added} lines added (goal: 0)")
    finally:
        await close_pool()


if __name__ == "__main__":
    asyncio.run(main())
