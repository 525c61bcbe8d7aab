"""The csms side of bench/ocpi_locations.py: a fresh PostgreSQL database with the benchmark's locations as csms rows
(one CPO tenant per party of ``tests.ocpi_peer.locations.PARTIES``, each location one station with its EVSEs as
charge points, every station open to one EMP tenant by contract group and Roaming switch), and a registered
partner of that EMP tenant whose token the crawler sends. Bulk inserts: seeding is not what is measured."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any
from urllib.parse import urlparse

from tests.ocpi_peer.locations import PARTIES, ocpi_locations

BATCH = 500  # rows a statement: 500 x the widest table's columns stays below PostgreSQL's 32,767 parameters


async def recreate_database(url: str) -> None:
    import asyncpg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    conn = await asyncpg.connect(host=parsed.hostname, port=parsed.port or 5432, user=parsed.username or "postgres",
                                 password=parsed.password or None, database="postgres")  # fmt: skip
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


async def _ids(table: Any, rows: list[Any]) -> list[int]:
    ids: list[int] = []
    for start in range(0, len(rows), BATCH):
        inserted = await table.insert(*rows[start : start + BATCH]).returning(table.id)
        ids += [row["id"] for row in inserted]
    return ids


async def seed(count: int, token: str) -> None:
    """Runs in a process whose DATABASE_URL names the bench database (csms reads it when first imported)."""
    from core import db
    from core.infrastructure.tables import ChargePoint, ChargingStation, Connector, Location
    from core.roaming import contract_groups, partners
    from core.roaming.tables import StationContractGroup, StationRoaming
    from core.tenancy import logins, tenants
    from tests.support import bulk_eoperate, make_user

    await db.migrate()
    await db.open_pool(4)

    async def tenant(kind: str, country: str, party: str) -> tuple[int, Any]:
        row = await tenants.create_tenant({"slug": f"b-{uuid.uuid4().hex[:10]}", "name": f"{kind} {party}",
                                           "kind": kind, "country_code": country, "party_id": party})  # fmt: skip
        return row["id"], await logins.actor_for_user(await make_user(row["id"], is_admin=True))

    await tenant("HUB", "DE", "HUB")
    emp_id, emp_actor = await tenant("EMP", "DE", "BEN")
    cpos: dict[tuple[str, str], tuple[int, int]] = {}  # party -> (tenant, contract group)
    for country, party, _ in PARTIES:
        tenant_id, actor = await tenant("CPO", country, party)
        await contract_groups.set_hub_enabled(actor, True)
        group = await contract_groups.create_group(actor, {"name": "Bench", "emp_tenant_ids": [emp_id]})
        cpos[(country, party)] = (tenant_id, group["id"])

    objects = list(ocpi_locations(count))
    owners = [cpos[(o["country_code"], o["party_id"])] for o in objects]
    location_ids = await _ids(Location, [
        Location(tenant=owner[0], name=o["name"], address=o["address"], postal_code=o["postal_code"], city=o["city"],
                 country=o["country"], latitude=Decimal(o["coordinates"]["latitude"]),
                 longitude=Decimal(o["coordinates"]["longitude"]), time_zone=o["time_zone"],
                 parking_type=o["parking_type"], operator_name=o["operator"]["name"])
        for o, owner in zip(objects, owners, strict=True)
    ])  # fmt: skip
    station_ids = await _ids(ChargingStation, [
        ChargingStation(tenant=owner[0], location=location_id, charge_box_id=f"BENCH-{n:07d}", connected=True,
                        status="AVAILABLE", installation_status="INSTALLED")
        for n, (owner, location_id) in enumerate(zip(owners, location_ids, strict=True))
    ])  # fmt: skip
    await _ids(StationRoaming, [
        StationRoaming(tenant=owner[0], station=station_id, roaming=True, hub_authorised=True, marketing=True)
        for owner, station_id in zip(owners, station_ids, strict=True)
    ])  # fmt: skip
    await bulk_eoperate([(owner[0], station_id) for owner, station_id in zip(owners, station_ids, strict=True)])
    await _ids(StationContractGroup, [
        StationContractGroup(station=station_id, group=owner[1])
        for owner, station_id in zip(owners, station_ids, strict=True)
    ])  # fmt: skip
    evses = [(owner, station_id, k, evse) for o, owner, station_id in zip(objects, owners, station_ids, strict=True)
             for k, evse in enumerate(o["evses"], start=1)]  # fmt: skip
    cp_ids = await _ids(ChargePoint, [
        ChargePoint(tenant=owner[0], station=station_id, evse_number=k, evse_id=evse["evse_id"],
                    physical_reference=evse["physical_reference"], status=evse["status"],
                    power_type=evse["connectors"][0]["power_type"])
        for owner, station_id, k, evse in evses
    ])  # fmt: skip
    await _ids(Connector, [
        Connector(tenant=owner[0], charge_point=cp_id, connector_number=1, standard=c["standard"], format=c["format"],
                  power_type=c["power_type"], max_voltage=c["max_voltage"], max_amperage=c["max_amperage"],
                  max_electric_power=c["max_electric_power"])
        for (owner, _, _, evse), cp_id in zip(evses, cp_ids, strict=True)
        for c in evse["connectors"]
    ])  # fmt: skip

    created = await partners.create_partner(emp_actor, {"name": "bench crawler"})
    roles = [{"role": "EMSP", "country_code": "DE", "party_id": "BEN", "name": "bench"}]
    connection = partners.Connection("unused", "http://bench.invalid/versions", "2.2.1", [], roles)
    await partners.complete_registration(created.partner["id"], connection, token)
    if db.is_postgres():
        # What autovacuum does to freshly inserted tables a minute or so later (the planner's statistics, the
        # visibility map that lets index-only scans skip the heap), done now: a database in use has both, and
        # autovacuum starting in the middle of the measured crawl would take a core from it.
        await Location.raw("VACUUM ANALYZE")
    await db.close_pool()
