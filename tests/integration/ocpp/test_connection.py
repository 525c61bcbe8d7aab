"""Handshake: subprotocol, Basic auth before the upgrade, unknown stations, replacement, call()."""

from __future__ import annotations

import asyncio
import json

import pytest
import websockets
from websockets.exceptions import InvalidStatus
from websockets.typing import Subprotocol

from core.charging.tables import UnknownStation
from core.tenancy.tables import Tenant
from ocpp_cs import registry
from ocpp_cs.connection import CallErrorReceived
from tests.integration.ocpp.conftest import OCPP16, Station, basic, raw_socket, station_row
from tests.support import TenantCtx


async def _status_of(url: str, headers: dict[str, str], subprotocols: list[str] | None = None) -> int:
    offered = [Subprotocol(p) for p in subprotocols] if subprotocols else OCPP16
    with pytest.raises(InvalidStatus) as info:
        async with websockets.connect(url, subprotocols=offered, additional_headers=headers):
            pass
    return int(info.value.response.status_code)


async def _wait_for(predicate, timeout: float = 5.0) -> None:  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, "condition not reached"
        await asyncio.sleep(0.02)


async def test_wrong_missing_and_foreign_credentials_get_401(ocpp_url: str, station: Station) -> None:
    url = f"{ocpp_url}/{station.charge_box_id}"
    assert await _status_of(url, {}) == 401
    assert await _status_of(url, basic(station.charge_box_id, "wrong-password")) == 401
    assert await _status_of(url, basic("someone-else", station.password)) == 401


async def test_unknown_charge_box_id_gets_404_and_is_not_kept_by_default(ocpp_url: str, unique: str) -> None:
    url = f"{ocpp_url}/NOBODY-{unique}"
    assert await _status_of(url, basic(f"NOBODY-{unique}", "x")) == 404
    assert not await UnknownStation.exists().where(UnknownStation.charge_box_id == f"NOBODY-{unique}")


async def test_unknown_station_recorded_when_allowed(ocpp_url: str, cpo: TenantCtx, unique: str) -> None:
    await Tenant.update({Tenant.allow_unknown_stations: True}).where(Tenant.id == cpo.id)
    try:
        for _ in range(2):
            assert await _status_of(f"{ocpp_url}/NEW-{unique}", basic(f"NEW-{unique}", "x")) == 404
    finally:
        await Tenant.update({Tenant.allow_unknown_stations: False}).where(Tenant.id == cpo.id)
    row = await UnknownStation.select().where(UnknownStation.charge_box_id == f"NEW-{unique}").first()
    assert row is not None and row["attempts"] == 2 and row["remote_addr"] == "127.0.0.1"


async def test_missing_or_unknown_subprotocol_is_refused(ocpp_url: str, station: Station) -> None:
    url = f"{ocpp_url}/{station.charge_box_id}"
    creds = basic(station.charge_box_id, station.password)
    assert await _status_of(url, creds, ["ocpp1.5"]) == 400
    with pytest.raises(InvalidStatus) as info:
        async with websockets.connect(url, additional_headers=creds):
            pass
    assert info.value.response.status_code == 400


async def test_connect_tracks_state_and_second_connection_replaces_first(ocpp_url: str, station: Station) -> None:
    async with raw_socket(ocpp_url, station) as first:
        assert first.subprotocol == "ocpp1.6"
        await _wait_for(lambda: registry.get(station.charge_box_id) is not None)
        for _ in range(100):  # the connected flag is committed with the other connects of its group
            if (await station_row(station))["connected"] is True:
                break
            await asyncio.sleep(0.02)
        assert (await station_row(station))["connected"] is True
        old = registry.get(station.charge_box_id)
        async with raw_socket(ocpp_url, station) as second:
            await _wait_for(lambda: registry.get(station.charge_box_id) is not old)
            with pytest.raises(websockets.ConnectionClosed):
                await asyncio.wait_for(first.recv(), 5)
            await second.send(json.dumps([2, "h1", "Heartbeat", {}]))
            reply = json.loads(await second.recv())
            assert reply[0] == 3 and reply[1] == "h1" and "currentTime" in reply[2]
            assert (await station_row(station))["connected"] is True
    await _wait_for(lambda: registry.get(station.charge_box_id) is None)
    for _ in range(100):  # the disconnect is written right after the registry entry goes
        row = await station_row(station)
        if row["connected"] is False:
            break
        await asyncio.sleep(0.02)
    assert row["connected"] is False and row["last_heartbeat_at"] is not None


async def test_call_returns_result_and_call_error(ocpp_url: str, station: Station) -> None:
    async with raw_socket(ocpp_url, station) as ws:
        await _wait_for(lambda: registry.get(station.charge_box_id) is not None)
        conn = registry.get(station.charge_box_id)
        assert conn is not None and conn.station_id == station.id

        async def answer(result: bool) -> None:
            frame = json.loads(await ws.recv())
            assert frame[0] == 2 and frame[2] == "GetConfiguration"
            reply = [3, frame[1], {"configurationKey": []}] if result else [4, frame[1], "NotSupported", "no", {}]
            await ws.send(json.dumps(reply))

        task = asyncio.create_task(answer(True))
        assert await conn.call("GetConfiguration", {}, timeout=5) == {"configurationKey": []}
        await task
        task = asyncio.create_task(answer(False))
        with pytest.raises(CallErrorReceived) as info:
            await conn.call("GetConfiguration", {}, timeout=5)
        await task
        assert info.value.code == "NotSupported"
        with pytest.raises(TimeoutError):
            await conn.call("GetConfiguration", {}, timeout=0.2)
