"""Every station->CSMS message through the ocpp library's client ChargePoint, and bad frames over a raw socket."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import websockets
from ocpp.v16 import ChargePoint as ClientChargePoint
from ocpp.v16 import call

from core.access.tables import ChargingCard
from core.charging import meter_values
from core.charging.tables import Anomaly, ChargingSession, MeterValue, StatusEvent
from core.infrastructure.tables import ChargePoint
from tests.integration.ocpp.conftest import Station, raw_socket, station_row
from tests.support import TenantCtx


def ts(offset: int = 0) -> str:
    return (datetime(2026, 11, 1, 12, 0, tzinfo=UTC) + timedelta(seconds=offset)).isoformat().replace("+00:00", "Z")




async def _card(ctx: TenantCtx, uid: str, **values: Any) -> None:
    await ChargingCard(tenant=ctx.id, uid=uid, **values).save()


async def test_boot_heartbeat_status_and_notifications(client: ClientChargePoint, station: Station) -> None:
    boot = await client.call(
        call.BootNotification(
            charge_point_vendor="ACME",
            charge_point_model="Wallbox 9",
            charge_point_serial_number="SN-9",
            firmware_version="3.2.1",
            iccid="8949",
            meter_type="EMH",
            meter_serial_number="M-1",
        )  # fmt: skip
    )
    assert boot.status == "Accepted" and boot.interval == 300
    row = await station_row(station)
    assert (row["vendor"], row["model"], row["serial_number"], row["firmware_version"]) == (
        "ACME", "Wallbox 9", "SN-9", "3.2.1"
    )  # fmt: skip
    assert row["boot_info"] == {"iccid": "8949", "meterType": "EMH", "meterSerialNumber": "M-1"}
    hb = await client.call(call.Heartbeat())
    assert hb.current_time
    await client.call(call.StatusNotification(connector_id=1, error_code="GroundFailure", status="Faulted"))
    await client.call(call.StatusNotification(connector_id=0, error_code="NoError", status="Available"))
    cp = await ChargePoint.select().where(ChargePoint.id == station.charge_points[0]["id"]).first()
    assert cp is not None
    assert (cp["status"], cp["status_detail"], cp["error_code"]) == ("OUTOFORDER", "Faulted", "GroundFailure")
    assert cp["error_rate"] == 100
    events = await StatusEvent.select().where(StatusEvent.station == station.id).order_by(StatusEvent.id)
    assert [(e["connector_id"], e["status"]) for e in events] == [(1, "Faulted"), (0, "Available")]
    await client.call(call.FirmwareStatusNotification(status="Installing"))
    await client.call(call.DiagnosticsStatusNotification(status="Uploaded"))
    row = await station_row(station)
    assert (row["firmware_status"], row["diagnostics_status"]) == ("Installing", "Uploaded")
    dt = await client.call(call.DataTransfer(vendor_id="com.example", message_id="x", data="hello"))
    assert dt.status == "UnknownVendorId"


async def test_pending_until_commissioned(ocpp_url: str, cpo: TenantCtx, unique: str) -> None:
    from tests.integration.ocpp.conftest import make_station

    st = await make_station(cpo, "P" + unique, status="INSTALLED", points=1)
    async with raw_socket(ocpp_url, st) as ws:
        await ws.send(json.dumps([2, "b", "BootNotification", {"chargePointVendor": "V", "chargePointModel": "M"}]))
        reply = json.loads(await ws.recv())
    assert reply[2]["status"] == "Pending" and reply[2]["interval"] == 60


async def test_authorize_by_card_state(
    client: ClientChargePoint, cpo: TenantCtx, other_cpo: TenantCtx, unique: str
) -> None:
    await _card(cpo, f"AA{unique[:6]}".upper())
    await _card(cpo, f"BB{unique[:6]}".upper(), status="BLOCKED")
    await _card(cpo, f"CC{unique[:6]}".upper(), valid_until=datetime(2020, 1, 1, tzinfo=UTC))
    await _card(other_cpo, f"DD{unique[:6]}".upper())
    results = {}
    for prefix in ("aa", "BB", "CC", "DD", "EE"):
        reply = await client.call(call.Authorize(id_tag=f"{prefix}{unique[:6]}"))
        results[prefix] = reply.id_tag_info["status"]
    assert results == {"aa": "Accepted", "BB": "Blocked", "CC": "Expired", "DD": "Invalid", "EE": "Invalid"}


async def test_transaction_with_meter_values_and_stop(
    client: ClientChargePoint, cpo: TenantCtx, station: Station, unique: str
) -> None:
    tag = f"A1{unique[:6]}".upper()
    await _card(cpo, tag)
    await client.call(call.Authorize(id_tag=tag))
    start = await client.call(call.StartTransaction(connector_id=1, id_tag=tag, meter_start=1000, timestamp=ts()))
    assert start.id_tag_info["status"] == "Accepted"
    tx = start.transaction_id
    again = await client.call(call.StartTransaction(connector_id=1, id_tag=tag, meter_start=1000, timestamp=ts()))
    assert again.transaction_id == tx
    await client.call(call.StatusNotification(connector_id=1, error_code="NoError", status="Charging"))
    sampled = [
        {"value": "1.5", "measurand": "Energy.Active.Import.Register", "unit": "kWh", "context": "Sample.Periodic"},
        {"value": "230.1", "measurand": "Voltage", "phase": "L1-N", "unit": "V"},
        {"value": "0A1B2C", "format": "SignedData", "context": "Sample.Clock"},
    ]
    await client.call(
        call.MeterValues(
            connector_id=1, transaction_id=tx, meter_value=[{"timestamp": ts(60), "sampledValue": sampled}]
        )
    )
    session = await ChargingSession.select().where(ChargingSession.id == tx).output(load_json=True).first()
    assert session is not None and session["status"] == "CHARGING" and session["energy_wh"] == 500
    assert session["auth_source"] == "RFID" and session["authorized_at"] is not None
    assert await MeterValue.count().where(MeterValue.session == tx) == 1  # one OCPP MeterValue, three samples
    values = await meter_values.session_sampled_values(tx)
    assert [(v["measurand"], v["phase"], v["value"], v["format"]) for v in values] == [
        ("Energy.Active.Import.Register", "", "1.5", "Raw"),
        ("Voltage", "L1-N", "230.1", "Raw"),
        ("Energy.Active.Import.Register", "", "0A1B2C", "SignedData"),
    ]
    # Backwards and out of order: flagged, still stored and acknowledged.
    await client.call(call.MeterValues(connector_id=1, transaction_id=tx, meter_value=[
        {"timestamp": ts(30), "sampledValue": [{"value": "1200", "unit": "Wh"}]}]))  # fmt: skip
    stop = await client.call(call.StopTransaction(
        meter_stop=4000, timestamp=ts(600), transaction_id=tx, reason="EVDisconnected", id_tag=tag,
        transaction_data=[{"timestamp": ts(590), "sampledValue": [{"value": "3990"}]}]))  # fmt: skip
    assert stop.id_tag_info["status"] == "Accepted"
    session = await ChargingSession.select().where(ChargingSession.id == tx).output(load_json=True).first()
    assert session is not None
    assert (session["status"], session["meter_stop_wh"], session["energy_wh"], session["stop_reason"]) == (
        "STOPPED", 4000, 3000, "EVDisconnected"
    )  # fmt: skip
    assert set(session["flags"]) == {"meter_backwards", "timestamp_out_of_order"}


async def test_unknown_transaction_is_answered_and_recorded(client: ClientChargePoint, station: Station) -> None:
    stop = await client.call(call.StopTransaction(meter_stop=10, timestamp=ts(), transaction_id=987654321))
    assert stop.id_tag_info is None
    await client.call(call.MeterValues(connector_id=1, transaction_id=987654320, meter_value=[
        {"timestamp": ts(), "sampledValue": [{"value": "1"}]}]))  # fmt: skip
    kinds = (
        await Anomaly.select(Anomaly.kind, Anomaly.detail).where(Anomaly.station == station.id).output(load_json=True)
    )
    assert sorted((a["kind"], a["detail"]["message"]) for a in kinds) == [
        ("unknown_transaction", "MeterValues"), ("unknown_transaction", "StopTransaction")
    ]  # fmt: skip


async def test_stale_sessions_closed_by_new_start_and_by_boot(
    client: ClientChargePoint, cpo: TenantCtx, station: Station, unique: str
) -> None:
    tag1, tag2 = f"B1{unique[:6]}".upper(), f"B2{unique[:6]}".upper()
    await _card(cpo, tag1)
    await _card(cpo, tag2)
    first = await client.call(call.StartTransaction(connector_id=1, id_tag=tag1, meter_start=0, timestamp=ts()))
    second = await client.call(call.StartTransaction(connector_id=1, id_tag=tag2, meter_start=5, timestamp=ts(5)))
    other = await client.call(call.StartTransaction(connector_id=2, id_tag=tag1, meter_start=0, timestamp=ts(6)))
    rows = {r["id"]: r for r in await ChargingSession.select().where(ChargingSession.station == station.id)}
    assert (rows[first.transaction_id]["status"], rows[first.transaction_id]["stop_reason"]) == (
        "CLOSED_STALE", "NEW_TRANSACTION_ON_CONNECTOR"
    )  # fmt: skip
    assert rows[second.transaction_id]["status"] == "STARTED"
    assert other.id_tag_info["status"] == "Accepted"  # tag1's old session was closed
    await client.call(call.BootNotification(charge_point_vendor="ACME", charge_point_model="X"))
    rows = {r["id"]: r for r in await ChargingSession.select().where(ChargingSession.station == station.id)}
    assert rows[second.transaction_id]["stop_reason"] == "STATION_REBOOTED"
    assert rows[other.transaction_id]["status"] == "CLOSED_STALE"
    assert await Anomaly.count().where((Anomaly.station == station.id) & (Anomaly.kind == "stale_session")) == 3


async def test_concurrent_tx(client: ClientChargePoint, cpo: TenantCtx, unique: str) -> None:
    tag = f"C1{unique[:6]}".upper()
    await _card(cpo, tag)
    await client.call(call.StartTransaction(connector_id=1, id_tag=tag, meter_start=0, timestamp=ts()))
    reply = await client.call(call.Authorize(id_tag=tag))
    assert reply.id_tag_info["status"] == "ConcurrentTx"


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ("{not json", "FormationViolation"),
        ('[5, "u1", "Heartbeat", {}]', "FormationViolation"),
        ('[2, "u2", "NoSuchAction", {}]', "NotImplemented"),
        ('[2, "u3", "StatusNotification", {"connectorId": 1, "status": "Available"}]', "OccurenceConstraintViolation"),
        (
            '[2, "u4", "StatusNotification", {"connectorId": "1", "errorCode": "NoError", "status": "Available"}]',
            "TypeConstraintViolation",
        ),
        ('[2, "u5", "Authorize", {"idTag": "012345678901234567890123"}]', "PropertyConstraintViolation"),
        ('[2, "u6", "Heartbeat", {"extra": 1}]', "FormationViolation"),
    ],
)
async def test_bad_frames_get_call_errors_and_connection_stays(
    ocpp_url: str, station: Station, frame: str, code: str
) -> None:
    async with raw_socket(ocpp_url, station) as ws:
        await ws.send(frame)
        reply = json.loads(await ws.recv())
        assert reply[0] == 4 and reply[2] == code, reply
        await ws.send(json.dumps([2, "ok", "Heartbeat", {}]))
        assert json.loads(await ws.recv())[:2] == [3, "ok"]


async def test_oversized_frame_closes_with_1009(ocpp_url: str, station: Station) -> None:
    async with raw_socket(ocpp_url, station) as ws:
        await ws.send(json.dumps([2, "big", "DataTransfer", {"vendorId": "x", "data": "y" * 70_000}]))
        with pytest.raises(websockets.ConnectionClosed) as info:
            await asyncio.wait_for(ws.recv(), 5)
    assert info.value.rcvd is not None and info.value.rcvd.code == 1009
