"""REST API of OCPP commands: /api/v1/evses/{id}/commands/..., /api/v1/stations/{id}/commands/..., records."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import httpx
import pytest

from core.commands.tables import CommandRecord
from core.tenancy import api_keys
from tests.integration.ocpp.conftest import Station, raw_socket
from tests.integration.ocpp.test_commands import card, simulated, until
from tests.support import TenantCtx, app_client


@pytest.fixture
async def api(cpo: TenantCtx) -> AsyncIterator[httpx.AsyncClient]:
    key, _ = await api_keys.create_api_key(cpo.id, "commands")
    async with app_client() as client:
        client.headers["Authorization"] = f"Bearer {key}"
        yield client


async def test_evse_and_station_commands(
    ocpp_url: str, api: httpx.AsyncClient, station: Station, cpo: TenantCtx, unique: str
) -> None:
    cp_id = station.charge_points[1]["id"]
    tag = await card(cpo, unique)
    async with simulated(ocpp_url, station) as sim:
        started = await api.post(f"/api/v1/evses/{cp_id}/commands/start", json={"id_tag": tag})
        assert started.status_code == 200, started.text
        body = started.json()
        assert body["status"] == "accepted" and body["action"] == "RemoteStartTransaction"
        assert body["payload"] == {"connectorId": 2, "idTag": tag} and body["charge_point"] == cp_id

        async def charging() -> bool:
            return 2 in sim.sessions and sim.sessions[2].transaction_id is not None

        await until(charging)
        transaction_id = sim.sessions[2].transaction_id
        stopped = await api.post(f"/api/v1/evses/{cp_id}/commands/stop")
        assert stopped.status_code == 200 and stopped.json()["status"] == "accepted", stopped.text
        assert stopped.json()["payload"] == {"transactionId": transaction_id}
        unlock = await api.post(f"/api/v1/evses/{cp_id}/commands/unlock", json={})
        assert unlock.json()["result"] == {"status": "Unlocked"}

        for name in ("Reset", "reset"):
            reset = await api.post(f"/api/v1/stations/{station.id}/commands/{name}", json={"type": "Soft"})
            assert reset.status_code == 200 and reset.json()["status"] == "accepted"
        one_cp = await api.post(f"/api/v1/stations/{station.id}/commands/ChangeAvailability",
                                json={"type": "Inoperative", "charge_point_id": cp_id})  # fmt: skip
        assert one_cp.json()["payload"] == {"connectorId": 2, "type": "Inoperative"}

        invalid = await api.post(f"/api/v1/stations/{station.id}/commands/reset", json={"type": "Medium"})
        assert invalid.status_code == 400 and "type" in invalid.json()["errors"]
        unknown_card = await api.post(f"/api/v1/evses/{cp_id}/commands/start", json={"id_tag": "FFFF0000"})
        assert unknown_card.status_code == 400 and "id_tag" in unknown_card.json()["errors"]
        assert (await api.post(f"/api/v1/stations/{station.id}/commands/SelfDestruct")).status_code == 404
        assert (await api.post(f"/api/v1/evses/{cp_id}/commands/reset")).status_code == 404

        history = await api.get(f"/api/v1/stations/{station.id}/commands")
        assert history.status_code == 200
        assert [r["action"] for r in history.json()][:2] == ["ChangeAvailability", "Reset"]
        record = await api.get(f"/api/v1/commands/{body['id']}")
        assert record.status_code == 200 and record.json()["status"] == "accepted"

    async def offline_now() -> bool:
        return (await api.post(f"/api/v1/stations/{station.id}/commands/ClearCache")).status_code == 409

    await until(offline_now)
    offline = await api.post(f"/api/v1/evses/{cp_id}/commands/unlock")
    assert offline.status_code == 409 and offline.json()["status"] == "offline"
    assert offline.json()["message"] == "The station is not connected."


async def test_timeout_and_call_error(ocpp_url: str, api: httpx.AsyncClient, station: Station) -> None:
    async with raw_socket(ocpp_url, station) as ws:
        slow = await api.post(f"/api/v1/stations/{station.id}/commands/ClearCache?timeout=0.3")
        assert slow.status_code == 504 and slow.json()["status"] == "timeout"
        await ws.recv()
        pending = asyncio.create_task(api.post(f"/api/v1/stations/{station.id}/commands/ClearCache"))
        frame = json.loads(await asyncio.wait_for(ws.recv(), 15))
        await ws.send(json.dumps([4, frame[1], "InternalError", "boom", {}]))
        failed = await pending
        assert failed.status_code == 200 and failed.json()["status"] == "failed"
        assert failed.json()["result"] == {"errorCode": "InternalError", "description": "boom"}


async def test_other_tenant_and_permissions(
    ocpp_url: str, api: httpx.AsyncClient, station: Station, other_cpo: TenantCtx, cpo: TenantCtx
) -> None:
    key, _ = await api_keys.create_api_key(other_cpo.id, "other")
    cp_id = station.charge_points[0]["id"]
    async with app_client() as other, raw_socket(ocpp_url, station) as ws:
        other.headers["Authorization"] = f"Bearer {key}"
        refused = [
            await other.post(f"/api/v1/stations/{station.id}/commands/reset", json={"type": "Hard"}),
            await other.post(f"/api/v1/evses/{cp_id}/commands/unlock"),
            await other.get(f"/api/v1/stations/{station.id}/commands"),
        ]
        assert [r.status_code for r in refused] == [404, 404, 404]
        with pytest.raises(TimeoutError):  # the connected station was sent nothing
            await asyncio.wait_for(ws.recv(), 0.5)
        assert await CommandRecord.count().where(CommandRecord.station == station.id) == 0
        # The station does listen: the own tenant's command reaches it.
        mine = asyncio.create_task(api.post(f"/api/v1/stations/{station.id}/commands/reset", json={"type": "Hard"}))
        frame = json.loads(await asyncio.wait_for(ws.recv(), 15))
        assert frame[2:] == ["Reset", {"type": "Hard"}]
        await ws.send(json.dumps([3, frame[1], {"status": "Accepted"}]))
        assert (await mine).json()["status"] == "accepted"
        assert (await other.get(f"/api/v1/commands/{(await mine).json()['id']}")).status_code == 404
    async with app_client() as anonymous:
        assert (await anonymous.post(f"/api/v1/stations/{station.id}/commands/reset")).status_code == 401


async def test_diagnostics_download(
    ocpp_url: str, api: httpx.AsyncClient, station: Station, other_cpo: TenantCtx
) -> None:
    record = (await api.post(f"/api/v1/stations/{station.id}/commands/GetDiagnostics")).json()
    assert record["status"] == "offline"
    assert (await api.get(f"/api/v1/commands/{record['id']}/diagnostics")).status_code == 404  # nothing uploaded
    token = record["payload"]["location"].rsplit("/", 1)[1]
    base = ocpp_url.replace("ws://", "http://").removesuffix("/ocpp")
    async with httpx.AsyncClient(base_url=base) as station_http:
        put = await station_http.put(f"/station-files/diagnostics/{token}/box.tar.gz", content=b"\x1f\x8b data")
        assert put.status_code == 201
    download = await api.get(f"/api/v1/commands/{record['id']}/diagnostics")
    assert download.status_code == 200 and download.content == b"\x1f\x8b data"
    assert "box.tar.gz" in download.headers["content-disposition"]
    key, _ = await api_keys.create_api_key(other_cpo.id, "other")
    async with app_client() as other:
        other.headers["Authorization"] = f"Bearer {key}"
        assert (await other.get(f"/api/v1/commands/{record['id']}/diagnostics")).status_code == 404
