"""A station that reports itself Faulted or Unavailable (StatusNotification for connector 0) cannot charge: its
status is stored, and its charge points show it everywhere (REST API, overview and its filters, dashboard, station
and charge point pages); when it goes offline they show UNKNOWN."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from ocpp.v16 import ChargePoint as ClientChargePoint
from ocpp.v16 import call

from core.infrastructure import charge_points, overview
from core.infrastructure.overview import OverviewQuery
from core.infrastructure.tables import ChargingStation
from core.tenancy import api_keys
from tests.integration.ocpp.conftest import Station
from tests.support import TenantCtx, app_client


@pytest.fixture
async def api(cpo: TenantCtx) -> AsyncIterator[httpx.AsyncClient]:
    key, _ = await api_keys.create_api_key(cpo.id, "status")
    async with app_client() as c:
        c.headers["Authorization"] = f"Bearer {key}"
        yield c


async def _until_connected(station: Station) -> None:
    for _ in range(200):
        connected = ChargingStation.connected.eq(True)
        if await ChargingStation.exists().where((ChargingStation.id == station.id) & connected):
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the station never showed as connected")


async def _statuses(api: httpx.AsyncClient, station: Station) -> tuple[str, list[tuple[str, str]]]:
    st = (await api.get(f"/api/v1/stations/{station.id}")).json()
    evses = (await api.get("/api/v1/evses", params={"station_id": station.id})).json()["items"]
    return st["status"], sorted((e["status"], e["connector_status"]) for e in evses)


async def _overview_ids(cpo: TenantCtx, *status: str) -> set[int]:
    rows = await overview.rows(cpo.actor, OverviewQuery(status=status, per_page=200))
    return {row["id"] for row in rows}


def _tiles(tiles: list[dict[str, Any]]) -> dict[str, int]:
    return {tile["group"]: tile["count"] for tile in tiles}


async def test_station_fault_decides_its_charge_points(
    client: ClientChargePoint,
    station: Station,
    cpo: TenantCtx,
    api: httpx.AsyncClient,
    admin_client: httpx.AsyncClient,
) -> None:
    ids = {cp["id"] for cp in station.charge_points}
    for connector in (1, 2):
        await client.call(call.StatusNotification(connector_id=connector, error_code="NoError", status="Available"))
    await client.call(call.StatusNotification(connector_id=0, error_code="NoError", status="Available"))
    await _until_connected(station)
    assert await _statuses(api, station) == ("AVAILABLE", [("AVAILABLE", "AVAILABLE")] * 2)
    assert await _overview_ids(cpo, "available") == ids
    before = _tiles(await charge_points.status_counts(cpo.actor))

    await client.call(call.StatusNotification(connector_id=0, error_code="GroundFailure", status="Faulted"))
    assert await _statuses(api, station) == ("OUTOFORDER", [("OUTOFORDER", "AVAILABLE")] * 2)
    assert await _overview_ids(cpo, "available") == set()
    assert await _overview_ids(cpo, "OUTOFORDER") == ids
    after = _tiles(await charge_points.status_counts(cpo.actor))
    assert after["available"] == before["available"] - 2 and after["inoperative"] == before["inoperative"] + 2
    page = (await admin_client.get(f"/infrastructure/stations/{station.id}")).text
    status_line = page.split('data-testid="station-status"')[1].split("</p>")[0]
    assert "Out of order" in status_line
    assert page.count('<span class="badge OUTOFORDER">Out of order</span>') == 3  # the station and both points
    cp_page = (await admin_client.get(f"/infrastructure/charge-points/{station.charge_points[0]['id']}")).text
    reported = cp_page.split('data-testid="cp-reported-status"')[1].split("</p>")[0]
    assert "Reported by the charge point" in reported and "Available" in reported

    # Unavailable: every charge point but one that is charging (its transaction finishes first).
    await client.call(call.StatusNotification(connector_id=2, error_code="NoError", status="Charging"))
    await client.call(call.StatusNotification(connector_id=0, error_code="NoError", status="Unavailable"))
    assert await _statuses(api, station) == ("INOPERATIVE", [("CHARGING", "CHARGING"), ("INOPERATIVE", "AVAILABLE")])

    await client.call(call.StatusNotification(connector_id=0, error_code="NoError", status="Available"))
    assert await _statuses(api, station) == ("AVAILABLE", [("AVAILABLE", "AVAILABLE"), ("CHARGING", "CHARGING")])


async def test_offline_station_is_unknown(station: Station, cpo: TenantCtx, api: httpx.AsyncClient) -> None:
    # Never connected: what the charge points last reported is not trusted.
    await charge_points.ChargePoint.update({charge_points.ChargePoint.status: "AVAILABLE"}).where(
        charge_points.ChargePoint.station == station.id
    )
    assert await _statuses(api, station) == ("UNKNOWN", [("UNKNOWN", "AVAILABLE")] * 2)
    assert await _overview_ids(cpo, "available") == set()
    assert await _overview_ids(cpo, "unavailable") >= {cp["id"] for cp in station.charge_points}
