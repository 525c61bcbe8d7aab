"""What staff see of OCPP, driven by real websocket stations: the live OCPP log (filters, live rows, CSV),
the authorization monitor's stages, anomalies and their resolution, unknown stations, DataTransfer,
the charge point's last session, tenant isolation and permissions."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import websockets
from ocpp.v16 import call

from core.access.tables import ChargingCard
from core.charging.tables import Anomaly, ChargingSession, DataTransferMessage, UnknownStation
from core.tenancy.permissions import Permission
from core.tenancy.tables import AuditEntry, Tenant
from ocpp_cs.msglog import message_log
from ocpp_cs.simulator import SimulatedStation
from tests.integration.ocpp.conftest import OCPP16, Station, basic, make_station, raw_socket
from tests.support import TenantCtx, app_client, login, make_user, post_form


def _now(offset: int = 0) -> str:
    return (datetime.now(UTC) + timedelta(seconds=offset)).isoformat(timespec="seconds").replace("+00:00", "Z")


async def _until(predicate: Any, timeout: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await predicate():
        assert asyncio.get_running_loop().time() < deadline, "condition not reached"
        await asyncio.sleep(0.05)


async def _call(ws: Any, unique_id: str, action: str, payload: dict[str, Any]) -> Any:
    await ws.send(json.dumps([2, unique_id, action, payload]))
    reply = json.loads(await ws.recv())
    assert reply[0] == 3, reply
    return reply[2]


@pytest.fixture
def staff(admin_client: httpx.AsyncClient) -> httpx.AsyncClient:
    return admin_client


@pytest.fixture
async def sim(ocpp_url: str, station: Station) -> AsyncIterator[SimulatedStation]:
    sim = SimulatedStation(ocpp_url, station.charge_box_id, station.password, reconnect_delay=0.2)
    runner = asyncio.create_task(sim.run())
    await asyncio.wait_for(sim.connected.wait(), 10)
    yield sim
    await sim.stop()
    runner.cancel()


async def _card(ctx: TenantCtx, unique: str) -> str:
    tag = f"7C{unique[:6]}".upper()
    await ChargingCard(tenant=ctx.id, uid=tag, label="Pool car").save()
    return tag


def _log_rows(html: str) -> list[tuple[str, str]]:
    return re.findall(r'data-testid="log-row" data-direction="(in|out)" data-action="([A-Za-z]*)"', html)


async def test_log_shows_both_directions_filters_and_exports_csv(
    staff: httpx.AsyncClient, sim: SimulatedStation, station: Station, cpo: TenantCtx, unique: str
) -> None:
    tag = await _card(cpo, unique)
    await sim.start_session(1, tag)
    await sim.meter_tick(1, wh=800)
    await sim.stop_session(1)
    await message_log.flush()

    page = await staff.get(f"/operations/stations/{station.id}/log?period=1h")
    assert page.status_code == 200 and "<html" in page.text
    rows = _log_rows(page.text)
    assert ("in", "StartTransaction") in rows and ("out", "StartTransaction") in rows
    assert ("in", "BootNotification") in rows and ("out", "BootNotification") in rows
    assert "Charging station - Call" in page.text and "Backend - Call result" in page.text
    assert "&#34;idTag&#34;: &#34;" + tag in page.text  # the pretty payload

    only = await staff.get(f"/operations/stations/{station.id}/log?action=StartTransaction&direction=out&period=1h")
    assert _log_rows(only.text) == [("out", "StartTransaction")]

    export = await staff.get(f"/operations/stations/{station.id}/log.csv?action=MeterValues&period=1h")
    assert export.status_code == 200 and export.headers["content-type"].startswith("text/csv")
    assert f"ocpp-log-{station.charge_box_id}.csv" in export.headers["content-disposition"]
    table = list(csv.reader(io.StringIO(export.text)))
    assert table[0] == ["id", "time_utc", "direction", "message_type", "action", "unique_id", "payload"]
    assert sorted((r[2], r[3], r[4]) for r in table[1:]) == [("in", "2", "MeterValues"), ("out", "3", "MeterValues")]
    assert json.loads(table[1][6])[0] in (2, 3)

    # Live updates: nothing newer -> 204; a heartbeat -> its rows and a poller with the new last id.
    last_id = int(re.search(r'id="log-poller"[^>]*data-last-id="(\d+)"', page.text, re.S).group(1))  # type: ignore[union-attr]
    newest = await staff.get(f"/operations/stations/{station.id}/log?period=1h")
    newest_id = int(re.search(r'data-last-id="(\d+)"', newest.text).group(1))  # type: ignore[union-attr]
    assert newest_id >= last_id
    assert (await staff.get(f"/operations/stations/{station.id}/log/rows?after_id={newest_id}")).status_code == 204
    await sim.send(call.Heartbeat())
    await message_log.flush()
    live = await staff.get(f"/operations/stations/{station.id}/log/rows?after_id={newest_id}&period=1h",
                           headers={"HX-Request": "true"})  # fmt: skip
    assert live.status_code == 200 and "<html" not in live.text
    assert _log_rows(live.text) == [("out", "Heartbeat"), ("in", "Heartbeat")]
    assert f"after_id={newest_id}" not in live.text

    # The station data sheet tab loads the same view as a fragment.
    tab = await staff.get(f"/infrastructure/stations/{station.id}")
    assert f'hx-get="/operations/stations/{station.id}/log"' in tab.text
    fragment = await staff.get(f"/operations/stations/{station.id}/log", headers={"HX-Request": "true"})
    assert "<html" not in fragment.text and 'data-testid="ocpp-log"' in fragment.text


async def _stage(client: httpx.AsyncClient, session_id: int) -> tuple[str, list[str]]:
    page = await client.get("/operations/authorizations?period=1h")
    assert page.status_code == 200
    row = re.search(rf'data-session="{session_id}" data-stage="([A-Z]+)">(.*?)</tr>', page.text, re.S)
    assert row is not None, "session not in the monitor"
    dots = re.findall(r'class="ops-dot ?([a-z]*)" data-stage="([a-z]+)"', row.group(2))
    return row.group(1), [kind for kind, _ in dots]


async def test_monitor_shows_the_stages_of_a_real_session(
    staff: httpx.AsyncClient, sim: SimulatedStation, station: Station, cpo: TenantCtx, unique: str
) -> None:
    tag = await _card(cpo, unique)
    session = await sim.start_session(1, tag)
    assert session.transaction_id is not None
    tx = session.transaction_id
    assert await _stage(staff, tx) == ("CHARGING", ["done", "done", "done", ""])
    await sim.send(call.StatusNotification(
        connector_id=1, error_code="NoError", status="SuspendedEV"))  # fmt: skip
    assert await _stage(staff, tx) == ("PAUSED", ["done", "done", "paused", ""])
    await sim.stop_session(1)
    assert await _stage(staff, tx) == ("STOPPED", ["done", "done", "done", "done"])
    page = await staff.get(f"/operations/authorizations?period=1h&stage=STOPPED&q={station.charge_box_id}")
    assert f'data-session="{tx}"' in page.text and tag in page.text and "Pool car" in page.text
    assert f'data-session="{tx}"' not in (await staff.get("/operations/authorizations?stage=CHARGING")).text
    fragment = await staff.get("/operations/authorizations", headers={"HX-Request": "true"})
    assert "<html" not in fragment.text and 'hx-trigger="every 10s"' in fragment.text

    # The charge point page's fragment: live status, error rate and the last session.
    summary = await staff.get(f"/operations/charge-points/{station.charge_points[0]['id']}/summary")
    assert summary.status_code == 200 and 'data-testid="cp-last-session"' in summary.text
    assert tag in summary.text and "Stopped" in summary.text and "Available" in summary.text
    assert "Error rate (30 days)" in summary.text
    detail = await staff.get(f"/infrastructure/charge-points/{station.charge_points[0]['id']}")
    assert f"/operations/charge-points/{station.charge_points[0]['id']}/summary" in detail.text


async def test_unknown_stop_transaction_is_an_anomaly_that_can_be_resolved(
    staff: httpx.AsyncClient, ocpp_url: str, station: Station, cpo: TenantCtx
) -> None:
    async with raw_socket(ocpp_url, station) as ws:
        answer = await _call(
            ws, "s1", "StopTransaction", {"transactionId": 987654, "meterStop": 10, "timestamp": _now()}
        )
        assert answer == {}
    anomaly = (
        await Anomaly.select().where((Anomaly.station == station.id) & (Anomaly.kind == "unknown_transaction")).first()
    )
    assert anomaly is not None
    page = await staff.get("/operations/anomalies")
    assert f'data-anomaly="{anomaly["id"]}" data-kind="unknown_transaction"' in page.text and "987654" in page.text
    done = await post_form(staff, f"/operations/anomalies/anomaly/{anomaly['id']}/resolve", {"note": "station bug"},
                           follow_redirects=False)  # fmt: skip
    assert done.status_code == 303
    assert f'data-anomaly="{anomaly["id"]}"' not in (await staff.get("/operations/anomalies")).text
    row = await Anomaly.select(Anomaly.resolved).where(Anomaly.id == anomaly["id"]).first()
    assert row is not None and row["resolved"] is True
    entry = (
        await AuditEntry.select()
        .where((AuditEntry.entity_type == "anomaly") & (AuditEntry.entity_id == anomaly["id"]))
        .output(load_json=True)
        .first()
    )
    assert entry is not None and entry["action"] == "resolve" and entry["tenant"] == cpo.id
    assert entry["changes"]["note"] == ["", "station bug"]


async def test_flagged_and_contradicted_sessions_are_listed_and_resolved(
    staff: httpx.AsyncClient, ocpp_url: str, station: Station, cpo: TenantCtx, unique: str
) -> None:
    tag = await _card(cpo, unique)
    async with raw_socket(ocpp_url, station) as ws:
        started = await _call(
            ws, "a", "StartTransaction", {"connectorId": 1, "idTag": tag, "meterStart": 5000, "timestamp": _now(-60)}
        )
        tx = started["transactionId"]
        meter = {
            "connectorId": 1,
            "transactionId": tx,
            "meterValue": [{"timestamp": _now(), "sampledValue": [{"value": "4000"}]}],
        }
        await _call(ws, "b", "MeterValues", meter)
        # The connector says Available although the session is still open.
        await _call(ws, "c", "StatusNotification", {"connectorId": 1, "errorCode": "NoError", "status": "Available"})
        page = await staff.get("/operations/anomalies?minutes=0")
        assert f'data-testid="flagged-session" data-session="{tx}"' in page.text
        assert "Meter reading went backwards" in page.text
        contradicted = re.search(rf'data-testid="open-session" data-session="{tx}">(.*?)</tr>', page.text, re.S)
        assert contradicted is not None and "Connector reports Available" in contradicted.group(1)
        assert "Station offline" not in contradicted.group(1)
        later = await staff.get("/operations/anomalies?minutes=60")
        assert f'data-testid="open-session" data-session="{tx}"' not in later.text

        await post_form(staff, f"/operations/anomalies/flagged/{tx}/resolve", {"note": "meter swapped"})
        await post_form(staff, f"/operations/anomalies/open/{tx}/resolve", {})
    after = await staff.get("/operations/anomalies?minutes=0")
    assert f'data-session="{tx}"' not in after.text
    session = await ChargingSession.select().where(ChargingSession.id == tx).first()
    assert session is not None and session["status"] == "CLOSED_STALE" and session["stop_reason"] == "CLOSED_BY_STAFF"
    actions = (
        await AuditEntry.select(AuditEntry.action)
        .where((AuditEntry.entity_type == "session") & (AuditEntry.entity_id == tx))
        .output(as_list=True)
    )
    assert sorted(actions) == ["close", "resolve_flags"]


async def test_unknown_station_is_adopted_and_then_connects(
    staff: httpx.AsyncClient, ocpp_url: str, cpo: TenantCtx, unique: str
) -> None:
    charge_box_id = f"NEW-{unique}"
    saved = await post_form(staff, "/operations/unknown-stations/settings", {"allow_unknown_stations": "on"})
    assert saved.status_code in (200, 303)
    try:
        assert (await Tenant.select(Tenant.allow_unknown_stations).where(Tenant.id == cpo.id).first()) == {
            "allow_unknown_stations": True
        }
        with pytest.raises(websockets.InvalidStatus) as refused:
            async with websockets.connect(f"{ocpp_url}/{charge_box_id}", subprotocols=OCPP16,
                                          additional_headers=basic(charge_box_id, "whatever-password")):  # fmt: skip
                pass
        assert refused.value.response.status_code == 404
        listed = await staff.get("/operations/unknown-stations")
        assert f'data-charge-box-id="{charge_box_id}"' in listed.text
        unknown = await UnknownStation.select().where(UnknownStation.charge_box_id == charge_box_id).first()
        assert unknown is not None and unknown["tenant"] == cpo.id

        place = await make_station(cpo, f"loc-{unique}", points=0)  # a location to adopt into
        form = await staff.get(f"/operations/unknown-stations/{unknown['id']}/adopt")
        assert form.status_code == 200 and charge_box_id in form.text
        bad = await post_form(staff, f"/operations/unknown-stations/{unknown['id']}/adopt", {"location_id": ""})
        assert bad.status_code == 400 and "Choose one of the offered values." in bad.text
        adopted = await post_form(
            staff, f"/operations/unknown-stations/{unknown['id']}/adopt",
            {"location_id": place.row["location"], "name": "Found", "installation_status": "COMMISSIONED"},
            follow_redirects=True,
        )  # fmt: skip
        assert adopted.status_code == 200  # followed to the station page, which shows the password once
        password = re.search(r'data-testid="station-password">([^<]+)<', adopted.text)
        assert password is not None and charge_box_id in adopted.text
        again = await staff.get(str(adopted.url))
        assert password.group(1) not in again.text
        assert f'data-charge-box-id="{charge_box_id}"' not in (await staff.get("/operations/unknown-stations")).text

        sim = SimulatedStation(ocpp_url, charge_box_id, password.group(1))
        runner = asyncio.create_task(sim.run())
        try:
            await asyncio.wait_for(sim.connected.wait(), 10)
            assert sim.boot_status == "Accepted"
        finally:
            await sim.stop()
            runner.cancel()
    finally:
        await Tenant.update({Tenant.allow_unknown_stations: False}).where(Tenant.id == cpo.id)


async def test_unknown_station_can_be_dismissed(staff: httpx.AsyncClient, cpo: TenantCtx, unique: str) -> None:
    entry = UnknownStation(charge_box_id=f"GONE-{unique}", tenant=cpo.id, remote_addr="10.0.0.9")
    await entry.save()
    assert f"GONE-{unique}" in (await staff.get("/operations/unknown-stations")).text
    await post_form(staff, f"/operations/unknown-stations/{entry.id}/dismiss", {})
    assert not await UnknownStation.exists().where(UnknownStation.id == entry.id)


async def test_data_transfer_is_stored_and_shown(staff: httpx.AsyncClient, ocpp_url: str, station: Station) -> None:
    async with raw_socket(ocpp_url, station) as ws:
        answer = await _call(ws, "d1", "DataTransfer", {"vendorId": "com.example", "messageId": "Temp", "data": "41.5"})
        assert answer == {"status": "UnknownVendorId"}
        await _call(ws, "d2", "DataTransfer", {"vendorId": "com.example", "data": '{"k":[1,2]}'})
    rows = (
        await DataTransferMessage.select()
        .where(DataTransferMessage.station == station.id)
        .order_by(DataTransferMessage.id)
    )
    assert [(r["vendor_id"], r["message_id"], r["data"], r["status"]) for r in rows] == [
        ("com.example", "Temp", "41.5", "UnknownVendorId"),
        ("com.example", "", '{"k":[1,2]}', "UnknownVendorId"),
    ]
    await message_log.flush()
    page = await staff.get(f"/operations/stations/{station.id}/log?action=DataTransfer&period=1h")
    assert 'data-testid="data-transfers"' in page.text and "com.example" in page.text and "41.5" in page.text
    assert _log_rows(page.text) == [("out", "DataTransfer"), ("in", "DataTransfer")] * 2


async def test_other_tenant_gets_404_and_missing_permission_403(
    ocpp_url: str, station: Station, cpo: TenantCtx, other_cpo: TenantCtx
) -> None:
    async with raw_socket(ocpp_url, station) as ws:
        await _call(ws, "x", "StopTransaction", {"transactionId": 123123, "meterStop": 1, "timestamp": _now()})
    anomaly = await Anomaly.select(Anomaly.id).where(Anomaly.station == station.id).first()
    assert anomaly is not None
    cp_id = station.charge_points[0]["id"]
    async with app_client() as client:
        await login(client, other_cpo.admin["email"])
        for url in (f"/operations/stations/{station.id}/log", f"/operations/stations/{station.id}/log.csv",
                    f"/operations/stations/{station.id}/log/rows?after_id=0",
                    f"/operations/charge-points/{cp_id}/summary"):  # fmt: skip
            assert (await client.get(url)).status_code == 404, url
        assert (
            await post_form(client, f"/operations/anomalies/anomaly/{anomaly['id']}/resolve", {})
        ).status_code == 404
        assert str(station.charge_box_id) not in (await client.get("/operations/anomalies?minutes=0")).text
        assert str(station.charge_box_id) not in (await client.get("/operations/authorizations?period=all")).text

    viewer = await make_user(cpo.id, permissions=[Permission.INFRASTRUCTURE_VIEW])
    async with app_client() as client:
        await login(client, viewer["email"])
        for url in ("/operations/authorizations", "/operations/anomalies", "/operations/unknown-stations",
                    f"/operations/stations/{station.id}/log", f"/operations/stations/{station.id}/log.csv",
                    f"/operations/charge-points/{cp_id}/summary"):  # fmt: skip
            assert (await client.get(url)).status_code == 403, url
        assert (
            await post_form(client, f"/operations/anomalies/anomaly/{anomaly['id']}/resolve", {})
        ).status_code == 403
        sheet = await client.get(f"/infrastructure/stations/{station.id}")
        assert "/operations/stations/" not in sheet.text  # no OCPP log tab without the permission

    operator = await make_user(cpo.id, permissions=[Permission.INFRASTRUCTURE_VIEW, Permission.OCPP_COMMANDS])
    async with app_client() as client:
        await login(client, operator["email"])
        assert (await client.get("/operations/anomalies")).status_code == 200
        assert (await post_form(client, "/operations/unknown-stations/settings", {"allow_unknown_stations": "on"})
                ).status_code == 403  # fmt: skip
