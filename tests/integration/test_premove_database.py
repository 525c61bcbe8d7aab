"""A database migrated and filled before the domain layout (issue 10) works with this code.

tests/data/premove holds SQL dumps that the code of commit f80cce2, the last one before the layout, made
(generate.py there says how): migrated, the demo loaded, one session charged at DEMO-AC-001 with its CDR. Restored
into a database of its own, the current `csms migrate` takes it as it is and `csms serve` works on it: its pages
and its REST API show what it held, and a station charges again and gets a priced CDR.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from core.piccolo_app import APP_CONFIG
from tests.support import RawStation, csms_serve, login, run_csms, scratch_database

DUMPS = Path(__file__).resolve().parents[1] / "data" / "premove"
DEMO_ADMIN = ("admin@demo.example", "demo-admin-2026")
STATION = ("DEMO-AC-002", "demo-station-password")
GUEST_CARD = "6A570001"


@pytest.fixture
async def premove_env() -> AsyncIterator[dict[str, str]]:
    """The environment of a csms on the dump of the suite's database kind, restored into a new database."""
    env = {**os.environ, "REDIS_URL": "", "CSMS_VAR_DIR": tempfile.mkdtemp(prefix="csms-premove-var-")}
    url = os.environ["DATABASE_URL"]
    if url.startswith("sqlite"):
        path = Path(env["CSMS_VAR_DIR"]) / "premove.sqlite3"
        with sqlite3.connect(path) as conn:
            conn.executescript((DUMPS / "sqlite.sql").read_text())
        yield {**env, "DATABASE_URL": f"sqlite:///{path}"}
        return
    import asyncpg

    async with scratch_database("_premove") as premove_url:
        restore = await asyncpg.connect(premove_url)
        await restore.execute((DUMPS / "postgres.sql").read_text())
        await restore.close()
        yield {**env, "DATABASE_URL": premove_url}


@pytest.fixture
def premove_server(premove_env: dict[str, str]) -> Iterator[str]:
    migrated = run_csms(premove_env, "migrate")
    assert migrated.returncode == 0, migrated.stderr
    with csms_serve(premove_env) as base:
        yield base


async def _charge_again(base: str) -> None:
    """DEMO-AC-002 charges 5 kWh with the demo guest card, as a station would."""
    async with RawStation.connect(base.replace("http://", "ws://") + "/ocpp", *STATION) as station:
        boot = await station.call("BootNotification", {"chargePointVendor": "ABL", "chargePointModel": "eMH3"})
        assert boot["status"] == "Accepted"
        start = await station.call("StartTransaction", {"connectorId": 1, "idTag": GUEST_CARD, "meterStart": 0,
                                                        "timestamp": "2026-12-01T10:00:00Z"})  # fmt: skip
        assert start["idTagInfo"]["status"] == "Accepted"
        await station.call("StopTransaction", {"transactionId": start["transactionId"], "meterStop": 5000,
                                               "timestamp": "2026-12-01T11:00:00Z", "reason": "Local"})  # fmt: skip


async def _cdrs(client: httpx.AsyncClient, key: str) -> list[dict[str, Any]]:
    response = await client.get("/api/v1/cdrs?from=2026-01-01", headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


async def test_a_database_migrated_before_the_layout_works_after_it(
    premove_env: dict[str, str], premove_server: str
) -> None:
    created = run_csms(premove_env, "apikey", "create", "--tenant", "demo")
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip()
    async with httpx.AsyncClient(base_url=premove_server, timeout=30) as client:
        # What the old code stored reads back: the demo's places, stations and the CDR it made.
        await login(client, *DEMO_ADMIN)
        locations = await client.get("/infrastructure/locations")
        assert locations.status_code == 200
        assert "Parkhaus Altstadt" in locations.text and "Firmenparkplatz Nord" in locations.text
        stations = (await client.get("/api/v1/stations?limit=50", headers={"Authorization": f"Bearer {key}"})).json()
        station = next(s for s in stations["items"] if s["charge_box_id"] == "DEMO-AC-001")
        page = await client.get(f"/infrastructure/stations/{station['id']}")
        assert page.status_code == 200 and "DEMO-AC-001" in page.text
        before = await _cdrs(client, key)
        assert [(Decimal(str(c["total_energy"])), Decimal(str(c["total_cost_incl_vat"]))) for c in before] == [
            (Decimal("11"), Decimal("5.24"))  # 1,000 -> 12,000 Wh at the demo tariff's 0.40 EUR net
        ]

        # The new code writes into it: a station charges and its CDR is made and priced.
        await _charge_again(premove_server)
        deadline = time.monotonic() + 30
        while len(after := await _cdrs(client, key)) < 2:
            assert time.monotonic() < deadline, "no CDR for the new session"
            await asyncio.sleep(0.3)
        new = next(c for c in after if c["id"] not in {b["id"] for b in before})
        # Priced with the tariff the old code assigned, under the guest group's documentation terms (not billed).
        assert (Decimal(str(new["total_energy"])), Decimal(str(new["total_cost_incl_vat"]))) == (
            Decimal("5"), Decimal("2.38")
        )
        assert new["charge_box_id"] == "DEMO-AC-002" and new["billable"] is False


async def test_the_tables_match_the_migrations() -> None:
    """Piccolo's auto migration finds nothing to do: moving tables between modules changed no table or column."""
    from piccolo.apps.migrations.commands.new import AutoMigrationManager

    alter = await AutoMigrationManager().get_alter_statements(app_config=APP_CONFIG)
    assert [statement for group in alter for statement in group.statements] == []
