"""OCPP integration tests: the real app served by uvicorn in the test loop, driven over real websockets."""

from __future__ import annotations

import asyncio
import base64
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
import uvicorn
import websockets
from ocpp.v16 import ChargePoint as ClientChargePoint
from websockets.typing import Subprotocol

from core.infrastructure import charge_points as infrastructure_charge_points
from core.infrastructure import locations, stations
from core.infrastructure.tables import ChargingStation
from tests.support import TenantCtx, free_port

STATION_PASSWORD = "station-secret-0123"  # noqa: S105 - test credential
OCPP16 = [Subprotocol("ocpp1.6")]


@pytest.fixture(scope="session")
async def ocpp_url() -> AsyncIterator[str]:
    """``ws://127.0.0.1:<port>/ocpp`` of the app, served the way ``csms serve`` serves it."""
    from csms.app import create_asgi
    from csms.server import server_config

    port = free_port()
    server = uvicorn.Server(server_config(create_asgi(), host="127.0.0.1", port=port, log_level="warning"))
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 - uvicorn offers no event for it
        await asyncio.sleep(0.05)
    yield f"ws://127.0.0.1:{port}/ocpp"
    server.should_exit = True
    with contextlib.suppress(Exception):
        await asyncio.wait_for(task, 10)


@dataclass
class Station:
    row: dict[str, Any]
    charge_points: list[dict[str, Any]]
    password: str = STATION_PASSWORD

    @property
    def charge_box_id(self) -> str:
        return str(self.row["charge_box_id"])

    @property
    def id(self) -> int:
        return int(self.row["id"])


async def make_station(ctx: TenantCtx, suffix: str, *, status: str = "COMMISSIONED", points: int = 2) -> Station:
    actor = ctx.actor
    location = await locations.create_location(
        actor,
        {"name": f"Depot {suffix}", "address": "Hauptstr. 1", "postal_code": "80331", "city": "München",
         "country": "DEU", "latitude": "48.137154", "longitude": "11.576124", "hotline": "+49 89 123456"},
    )  # fmt: skip
    station, _ = await stations.create_station(
        actor,
        {"location_id": location["id"], "charge_box_id": f"OC-{suffix}", "vendor": "ABB", "model": "Terra",
         "installation_status": status, "ocpp_password": STATION_PASSWORD},
    )  # fmt: skip
    cps = [
        await infrastructure_charge_points.create_charge_point(actor, {"station_id": station["id"], "evse_number": n})
        for n in range(1, points + 1)
    ]
    return Station(station, cps)


@pytest.fixture
async def station(cpo: TenantCtx, unique: str) -> Station:
    return await make_station(cpo, unique)


def basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


@contextlib.asynccontextmanager
async def raw_socket(url: str, st: Station, **kwargs: Any) -> AsyncIterator[Any]:
    async with websockets.connect(
        f"{url}/{st.charge_box_id}", subprotocols=OCPP16, additional_headers=basic(st.charge_box_id, st.password),
        **kwargs,
    ) as ws:  # fmt: skip
        yield ws


async def station_row(st: Station) -> dict[str, Any]:
    row = await ChargingStation.select().where(ChargingStation.id == st.id).output(load_json=True).first()
    assert row is not None
    return row


@pytest.fixture
async def client(ocpp_url: str, station: Station) -> AsyncIterator[ClientChargePoint]:
    """The ``ocpp`` library's own client ChargePoint, connected as ``station``."""
    async with websockets.connect(
        f"{ocpp_url}/{station.charge_box_id}", subprotocols=OCPP16,
        additional_headers=basic(station.charge_box_id, station.password),
    ) as ws:  # fmt: skip
        cp = ClientChargePoint(station.charge_box_id, ws, response_timeout=10)
        task = asyncio.create_task(cp.start())
        yield cp
        task.cancel()
