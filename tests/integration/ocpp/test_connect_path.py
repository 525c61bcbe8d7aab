"""The connect path under load: StatusNotifications and connected flags of many stations share group commits
(each answered after its commit, state exactly as if they came one by one), and the server's front router
hands station sockets to the OCPP endpoint while everything else reaches Litestar."""

from __future__ import annotations

import asyncio
import json
import logging
import ssl
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
import websockets

from core.access.tables import ChargingCard
from core.charging import boot, connections, transactions
from core.charging import status as charging_status
from core.charging.tables import Anomaly, ChargingSession, StatusEvent
from core.infrastructure.tables import ChargePoint, ChargingStation
from tests.integration.ocpp.conftest import OCPP16, Station, basic, make_station, raw_socket
from tests.support import TenantCtx, free_port, self_signed_certificate


def as_actor(st: Station) -> dict[str, Any]:
    return {"id": st.id, "tenant": st.row["tenant"], "charge_box_id": st.charge_box_id}


def status(connector: int, value: str, error: str = "NoError") -> dict[str, Any]:
    return {"connectorId": connector, "status": value, "errorCode": error}


@pytest.fixture
async def stations(cpo: TenantCtx, unique: str) -> list[Station]:
    return [await make_station(cpo, f"{unique}S{n}", points=2) for n in range(3)]


async def test_status_notifications_of_many_stations_share_a_commit(
    cpo: TenantCtx, stations: list[Station], unique: str
) -> None:
    first, second, third = stations
    tag = f"S{unique[:7]}".upper()
    await ChargingCard(tenant=cpo.id, uid=tag).save()
    tx, _ = await transactions.start_transaction(
        as_actor(second), {"connectorId": 2, "idTag": tag, "meterStart": 0, "timestamp": "2026-11-02T08:00:00Z"}
    )
    before = (charging_status.status_batcher.batches, charging_status.status_batcher.frames)
    await asyncio.gather(
        charging_status.status_notification(as_actor(first), status(0, "Available")),
        charging_status.status_notification(as_actor(first), status(1, "Preparing")),
        charging_status.status_notification(as_actor(second), status(2, "SuspendedEV")),
        charging_status.status_notification(as_actor(third), status(7, "Available")),  # no such charge point
        charging_status.status_notification(as_actor(first), status(1, "Faulted", "GroundFailure")),  # after Preparing
    )
    batches = charging_status.status_batcher.batches - before[0]
    assert charging_status.status_batcher.frames - before[1] == 5 and batches < 5

    point = await ChargePoint.select().where(ChargePoint.id == first.charge_points[0]["id"]).first()
    assert point is not None
    assert (point["status"], point["status_detail"], point["error_code"]) == ("OUTOFORDER", "Faulted", "GroundFailure")
    assert point["error_rate"] == 100  # Faulted: the error rate is updated before the answer
    untouched = await ChargePoint.select().where(ChargePoint.id == first.charge_points[1]["id"]).first()
    assert untouched is not None and untouched["status_detail"] != "Faulted"
    session = await ChargingSession.select(ChargingSession.status).where(ChargingSession.id == tx).first()
    assert session is not None and session["status"] == "PAUSED"

    events = await StatusEvent.select(StatusEvent.station, StatusEvent.connector_id, StatusEvent.status,
                                      StatusEvent.charge_point).where(
        StatusEvent.station.is_in([st.id for st in stations])
    ).order_by(StatusEvent.id)  # fmt: skip
    assert [(e["station"], e["connector_id"], e["status"], e["charge_point"]) for e in events] == [
        (first.id, 0, "Available", None),
        (first.id, 1, "Preparing", first.charge_points[0]["id"]),
        (second.id, 2, "SuspendedEV", second.charge_points[1]["id"]),
        (third.id, 7, "Available", None),
        (first.id, 1, "Faulted", first.charge_points[0]["id"]),
    ]
    anomalies = await Anomaly.select(Anomaly.station, Anomaly.kind).where(
        Anomaly.station.is_in([st.id for st in stations])
    )
    assert [(a["station"], a["kind"]) for a in anomalies] == [(third.id, "unknown_connector")]


async def test_a_bad_status_notification_fails_alone(stations: list[Station]) -> None:
    first, second, _ = stations
    results = await asyncio.gather(
        charging_status.status_notification(as_actor(first), status(1, "Available")),
        charging_status.status_notification(as_actor(second), {"connectorId": "not a number", "status": "Available"}),
        return_exceptions=True,
    )
    assert results[0] is None and isinstance(results[1], ValueError)
    assert await StatusEvent.count().where(StatusEvent.station == first.id) == 1
    assert await StatusEvent.count().where(StatusEvent.station == second.id) == 0


async def test_connected_flags_share_a_commit(stations: list[Station]) -> None:
    before = connections.connected_batcher.batches
    await asyncio.gather(*(connections.station_connected(st.id) for st in stations))
    assert connections.connected_batcher.batches - before < len(stations)
    rows = await ChargingStation.select(ChargingStation.connected, ChargingStation.last_message_at).where(
        ChargingStation.id.is_in([st.id for st in stations])
    )
    assert len(rows) == 3 and all(r["connected"] and r["last_message_at"] is not None for r in rows)


async def test_front_router_serves_station_sockets_and_hands_the_rest_to_litestar(
    ocpp_url: str, stations: list[Station]
) -> None:
    base = ocpp_url.replace("ws://", "http://").removesuffix("/ocpp")
    async with httpx.AsyncClient(base_url=base) as http:
        assert (await http.get("/health")).json() == {"status": "ok"}
        plain = await http.get(f"/ocpp/{stations[0].charge_box_id}")
        assert plain.status_code == 426  # Litestar's mount of the same endpoint answers plain HTTP
    async with raw_socket(ocpp_url, stations[0]) as ws:
        await ws.send(json.dumps([2, "b1", "BootNotification", {"chargePointVendor": "V", "chargePointModel": "M"}]))
        reply = json.loads(await ws.recv())
        assert reply[0] == 3 and reply[2]["status"] == "Accepted"


async def test_refused_subprotocol_is_logged(
    ocpp_url: str, stations: list[Station], caplog: pytest.LogCaptureFixture
) -> None:
    st = stations[0]
    with caplog.at_level(logging.WARNING, logger="csms.ocpp"), pytest.raises(websockets.InvalidStatus):
        async with websockets.connect(
            f"{ocpp_url}/{st.charge_box_id}", subprotocols=[websockets.Subprotocol("ocpp1.5")],
            additional_headers=basic(st.charge_box_id, st.password),
        ):  # fmt: skip
            pass
    assert any(
        st.charge_box_id in r.getMessage() and "no supported OCPP subprotocol" in r.getMessage()
        for r in caplog.records
    )


async def test_a_replaced_socket_is_closed_normally_with_a_reason(ocpp_url: str, stations: list[Station]) -> None:
    async with raw_socket(ocpp_url, stations[0]) as first:
        await first.send(json.dumps([2, "h1", "Heartbeat", {}]))
        assert json.loads(await first.recv())[0] == 3
        async with raw_socket(ocpp_url, stations[0]) as second:
            with pytest.raises(websockets.ConnectionClosed) as info:
                await asyncio.wait_for(first.recv(), 5)
            assert info.value.rcvd is not None
            assert (info.value.rcvd.code, info.value.rcvd.reason) == (1000, "replaced by a new connection")
            await second.send(json.dumps([2, "h2", "Heartbeat", {}]))
            assert json.loads(await second.recv())[1] == "h2"


async def test_boots_of_many_stations_share_a_commit(cpo: TenantCtx, stations: list[Station], unique: str) -> None:
    first, second, _ = stations
    pending = await make_station(cpo, f"{unique}P", status="INSTALLED", points=1)
    tag = f"R{unique[:7]}".upper()
    await ChargingCard(tenant=cpo.id, uid=tag).save()
    tx, _ = await transactions.start_transaction(
        as_actor(second), {"connectorId": 1, "idTag": tag, "meterStart": 0, "timestamp": "2026-11-02T08:00:00Z"}
    )
    before = (boot.boot_batcher.batches, boot.boot_batcher.frames)
    results = await asyncio.gather(
        boot.boot(as_actor(first), {"chargePointVendor": "ACME", "chargePointModel": "One"}),
        boot.boot(as_actor(second), {"chargePointVendor": "ACME", "chargePointModel": "Two"}),
        boot.boot(as_actor(pending), {"chargePointVendor": "ACME", "chargePointModel": "Three"}),
    )
    assert boot.boot_batcher.frames - before[1] == 3 and boot.boot_batcher.batches - before[0] < 3
    assert [(status.value, interval) for status, interval, _ in results] == [
        ("Accepted", 300), ("Accepted", 300), ("Pending", 60)
    ]  # fmt: skip
    models = await ChargingStation.select(ChargingStation.id, ChargingStation.model).where(
        ChargingStation.id.is_in([first.id, second.id, pending.id])
    )
    assert {m["id"]: m["model"] for m in models} == {first.id: "One", second.id: "Two", pending.id: "Three"}
    # Only the rebooted station's open session is closed as stale.
    session = await ChargingSession.select(ChargingSession.status, ChargingSession.stop_reason).where(
        ChargingSession.id == tx
    ).first()  # fmt: skip
    assert session == {"status": "CLOSED_STALE", "stop_reason": "STATION_REBOOTED"}
    stale = await Anomaly.select(Anomaly.station).where(
        Anomaly.station.is_in([first.id, second.id, pending.id]) & (Anomaly.kind == "stale_session")
    )
    assert [a["station"] for a in stale] == [second.id]


async def test_tls_options_serve_wss(stations: list[Station], tmp_path: Path) -> None:
    """`csms serve --ssl-certfile/--ssl-keyfile` (security profile 2 without a proxy): the same config, wss://."""
    from csms.app import create_asgi
    from csms.server import server_config

    cert_file, key_file = self_signed_certificate(tmp_path)
    port = free_port()
    config = server_config(create_asgi(), host="127.0.0.1", port=port, log_level="warning",
                           ssl_certfile=str(cert_file), ssl_keyfile=str(key_file))  # fmt: skip
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:  # noqa: ASYNC110 - uvicorn offers no event for it
            await asyncio.sleep(0.05)
        trust = ssl.create_default_context(cafile=str(cert_file))
        st = stations[0]
        async with websockets.connect(
            f"wss://127.0.0.1:{port}/ocpp/{st.charge_box_id}", subprotocols=OCPP16, ssl=trust,
            additional_headers=basic(st.charge_box_id, st.password),
        ) as ws:  # fmt: skip
            await ws.send(json.dumps([2, "h1", "Heartbeat", {}]))
            reply = json.loads(await ws.recv())
            assert reply[0] == 3 and "currentTime" in reply[2]
        with pytest.raises(websockets.InvalidStatus) as info:
            async with websockets.connect(
                f"wss://127.0.0.1:{port}/ocpp/{st.charge_box_id}", subprotocols=OCPP16, ssl=trust,
                additional_headers=basic(st.charge_box_id, "wrong"),
            ):  # fmt: skip
                pass
        assert info.value.response.status_code == 401
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)
