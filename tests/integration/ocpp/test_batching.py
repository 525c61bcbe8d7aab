"""MeterValues group commit (core.charging.meter_values.meter_batcher): many frames per transaction, each answered
only after its data is committed, and the checks per session exactly as if the frames came one by one."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import websockets
from ocpp.v16 import ChargePoint as ClientChargePoint
from ocpp.v16 import call

from core.access.tables import ChargingCard
from core.charging import connections, meter_values, transactions
from core.charging.tables import Anomaly, ChargingSession, MeterValue
from tests.integration.ocpp.conftest import OCPP16, Station, basic, make_station
from tests.support import TenantCtx


def ts(offset: int = 0) -> str:
    return (datetime(2026, 11, 2, 8, 0, tzinfo=UTC) + timedelta(seconds=offset)).isoformat().replace("+00:00", "Z")


def frame(tx: int | None, wh: int, offset: int, connector: int = 1) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "connectorId": connector,
        "meterValue": [{"timestamp": ts(offset), "sampledValue": [{"value": str(wh), "unit": "Wh"}]}],
    }
    if tx is not None:
        payload["transactionId"] = tx
    return payload


def as_actor(st: Station) -> dict[str, Any]:
    return {"id": st.id, "tenant": st.row["tenant"], "charge_box_id": st.charge_box_id}


async def open_session(cpo: TenantCtx, st: Station, tag: str, meter_start: int = 1000) -> int:
    await ChargingCard(tenant=cpo.id, uid=tag).save()
    tx, result = await transactions.start_transaction(
        as_actor(st), {"connectorId": 1, "idTag": tag, "meterStart": meter_start, "timestamp": ts()}
    )
    assert result.status.value == "Accepted"
    return tx


async def session(tx: int) -> dict[str, Any]:
    row = await ChargingSession.select().where(ChargingSession.id == tx).output(load_json=True).first()
    assert row is not None
    return row


@pytest.fixture
async def stations(cpo: TenantCtx, unique: str) -> list[Station]:
    return [await make_station(cpo, f"{unique}B{n}", points=1) for n in range(4)]


async def test_one_batch_flags_only_the_session_that_went_backwards(
    cpo: TenantCtx, stations: list[Station], unique: str
) -> None:
    txs = [await open_session(cpo, st, f"B{n}{unique[:6]}".upper()) for n, st in enumerate(stations[:3])]
    before = (meter_values.meter_batcher.batches, meter_values.meter_batcher.frames)
    # Submitted together: one group. Session 0 goes forward twice, session 1 goes backwards in its second
    # frame, session 2 sends an out-of-order timestamp, station 3 names a transaction it does not own.
    await asyncio.gather(
        meter_values.meter_values(as_actor(stations[0]), frame(txs[0], 1500, 60)),
        meter_values.meter_values(as_actor(stations[1]), frame(txs[1], 2000, 60)),
        meter_values.meter_values(as_actor(stations[2]), frame(txs[2], 1800, 120)),
        meter_values.meter_values(as_actor(stations[3]), frame(txs[0], 9999, 60)),
        meter_values.meter_values(as_actor(stations[0]), frame(txs[0], 1700, 120)),
        meter_values.meter_values(as_actor(stations[1]), frame(txs[1], 1900, 120)),
        meter_values.meter_values(as_actor(stations[2]), frame(txs[2], 1900, 90)),
    )
    batches, frames = meter_values.meter_batcher.batches - before[0], meter_values.meter_batcher.frames - before[1]
    assert frames == 7 and batches < frames  # grouped (usually all 7 in one transaction)
    first, second, third = [await session(tx) for tx in txs]
    assert (first["last_meter_wh"], first["energy_wh"], first["flags"]) == (1700, 700, [])
    assert (second["last_meter_wh"], second["flags"]) == (1900, ["meter_backwards"])
    assert (third["last_meter_wh"], third["flags"]) == (1900, ["timestamp_out_of_order"])
    assert third["last_meter_at"] == datetime(2026, 11, 2, 8, 2, tzinfo=UTC)
    # The foreign transaction id: stored without a session, recorded as unknown for station 3 only.
    anomalies = await Anomaly.select(Anomaly.station, Anomaly.kind, Anomaly.detail).where(
        Anomaly.station.is_in([st.id for st in stations])
    ).output(load_json=True)  # fmt: skip
    assert [(a["station"], a["kind"], a["detail"]["transaction_id"]) for a in anomalies] == [
        (stations[3].id, "unknown_transaction", txs[0])
    ]
    rows = await MeterValue.select().where(MeterValue.station.is_in([st.id for st in stations])).order_by(MeterValue.id)
    values = meter_values.sampled_values(rows)
    assert [(v["session"], v["value"]) for v in values] == [
        (txs[0], "1500"), (txs[1], "2000"), (txs[2], "1800"), (None, "9999"),
        (txs[0], "1700"), (txs[1], "1900"), (txs[2], "1900"),
    ]  # fmt: skip


async def test_a_bad_frame_fails_alone(cpo: TenantCtx, stations: list[Station], unique: str) -> None:
    tx = await open_session(cpo, stations[0], f"C0{unique[:6]}".upper())
    results = await asyncio.gather(
        meter_values.meter_values(as_actor(stations[0]), frame(tx, 1100, 60)),
        meter_values.meter_values(as_actor(stations[1]), {"connectorId": "not a number", "meterValue": []}),
        meter_values.meter_values(as_actor(stations[0]), frame(tx, 1200, 120)),
        return_exceptions=True,
    )
    assert results[0] is None and results[2] is None and isinstance(results[1], ValueError)
    assert (await session(tx))["last_meter_wh"] == 1200
    assert await MeterValue.count().where(MeterValue.station == stations[0].id) == 2  # one MeterValue each


@pytest.fixture
async def clients(ocpp_url: str, stations: list[Station]) -> AsyncIterator[list[ClientChargePoint]]:
    sockets, tasks, cps = [], [], []
    for st in stations:
        ws = await websockets.connect(
            f"{ocpp_url}/{st.charge_box_id}",
            subprotocols=OCPP16,
            additional_headers=basic(st.charge_box_id, st.password),
        )
        cp = ClientChargePoint(st.charge_box_id, ws, response_timeout=10)
        sockets.append(ws)
        tasks.append(asyncio.create_task(cp.start()))
        cps.append(cp)
    yield cps
    for task in tasks:
        task.cancel()
    for ws in sockets:
        await ws.close()


async def test_concurrent_stations_over_websockets_see_their_data_after_the_reply(
    cpo: TenantCtx, stations: list[Station], clients: list[ClientChargePoint], unique: str
) -> None:
    txs = []
    for n, cp in enumerate(clients):
        tag = f"D{n}{unique[:6]}".upper()
        await ChargingCard(tenant=cpo.id, uid=tag).save()
        start = await cp.call(call.StartTransaction(connector_id=1, id_tag=tag, meter_start=0, timestamp=ts()))
        txs.append(start.transaction_id)

    async def run(n: int, cp: ClientChargePoint) -> None:
        for step in range(1, 6):
            wh = 100 * step if not (n == 1 and step == 4) else 50  # station 1 goes backwards once
            await cp.call(call.MeterValues(connector_id=1, transaction_id=txs[n], meter_value=[
                {"timestamp": ts(60 * step), "sampledValue": [{"value": str(wh), "unit": "Wh"}]}]))  # fmt: skip
            # Answered means committed: the reading is already visible to any other connection.
            readings = await meter_values.session_sampled_values(txs[n])
            assert readings[-1]["value"] == str(wh)
            assert (await session(txs[n]))["last_meter_wh"] == wh

    await asyncio.gather(*(run(n, cp) for n, cp in enumerate(clients)))
    rows = [await session(tx) for tx in txs]
    assert [r["flags"] for r in rows] == [[], ["meter_backwards"], [], []]
    assert [r["energy_wh"] for r in rows] == [500, 500, 500, 500]
    assert [await MeterValue.count().where(MeterValue.session == tx) for tx in txs] == [5, 5, 5, 5]


async def test_concurrent_connects_share_one_password_verification(
    stations: list[Station], monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    real = connections.verify_password

    def counting(password_hash: str, password: str) -> bool:
        calls.append(password_hash)
        return real(password_hash, password)

    monkeypatch.setattr(connections, "verify_password", counting)
    st = stations[0]
    results = await asyncio.gather(
        *(connections.authenticate_station(st.charge_box_id, st.charge_box_id, st.password) for _ in range(8)),
        connections.authenticate_station(st.charge_box_id, st.charge_box_id, "wrong-password"),
    )
    assert [outcome for outcome, _ in results] == [connections.StationLookup.OK] * 8 + [
        connections.StationLookup.UNAUTHORIZED
    ]
    assert len(calls) == 2  # one Argon2 verification for the 8 right ones, one for the wrong password
    outcome, _ = await connections.authenticate_station(st.charge_box_id, st.charge_box_id, st.password)
    assert outcome is connections.StationLookup.OK and len(calls) == 2  # cached


async def test_heartbeats_of_many_stations_share_one_commit(stations: list[Station]) -> None:
    from core.infrastructure.tables import ChargingStation

    before = (connections.seen_batcher.batches, connections.seen_batcher.frames)
    stamps = await asyncio.gather(
        *(connections.station_seen(st.id, heartbeat=n % 2 == 0) for n, st in enumerate(stations))
    )
    assert connections.seen_batcher.frames - before[1] == 4 and connections.seen_batcher.batches - before[0] < 4
    rows = await ChargingStation.select(
        ChargingStation.id, ChargingStation.last_message_at, ChargingStation.last_heartbeat_at
    ).where(ChargingStation.id.is_in([st.id for st in stations])).order_by(ChargingStation.id)  # fmt: skip
    by_id = {row["id"]: row for row in rows}
    for n, (st, stamp) in enumerate(zip(stations, stamps, strict=True)):
        assert by_id[st.id]["last_message_at"] == stamp
        assert by_id[st.id]["last_heartbeat_at"] == (stamp if n % 2 == 0 else None)


# --- the open sessions cache of the MeterValues path ---------------------------------------------------------


async def test_meter_values_after_a_stop_are_checked_against_the_stopped_session(
    cpo: TenantCtx, stations: list[Station], unique: str
) -> None:
    st = as_actor(stations[0])
    tx = await open_session(cpo, stations[0], f"E0{unique[:6]}".upper())
    await meter_values.meter_values(st, frame(tx, 1500, 60))
    assert tx in meter_values._open_sessions  # the next frame needs no select
    await transactions.stop_transaction(st, {"transactionId": tx, "meterStop": 5000, "timestamp": ts(120)})
    assert tx not in meter_values._open_sessions
    # Below the stop reading: only a session read again after the stop sees that it went backwards.
    await meter_values.meter_values(st, frame(tx, 2000, 180))
    row = await session(tx)
    assert row["status"] == "STOPPED" and row["meter_stop_wh"] == 5000 and row["flags"] == ["meter_backwards"]
    assert await MeterValue.count().where(MeterValue.session == tx) == 2  # 1500 and 2000 (the stop sent no values)
    assert await Anomaly.count().where(Anomaly.station == stations[0].id) == 0


async def test_a_station_reconnecting_here_is_read_again(cpo: TenantCtx, stations: list[Station], unique: str) -> None:
    st = as_actor(stations[0])
    tx = await open_session(cpo, stations[0], f"E1{unique[:6]}".upper())
    await meter_values.meter_values(st, frame(tx, 1500, 60))
    # Meanwhile the station was connected to another node, which stored a later reading.
    await ChargingSession.update({ChargingSession.last_meter_wh: 3000}).where(ChargingSession.id == tx)
    await connections.station_connected(stations[0].id)
    await meter_values.meter_values(st, frame(tx, 2500, 120))
    row = await session(tx)
    assert (row["last_meter_wh"], row["flags"]) == (2500, ["meter_backwards"])


async def test_a_restart_keeps_what_was_answered(cpo: TenantCtx, stations: list[Station], unique: str) -> None:
    st = as_actor(stations[0])
    tx = await open_session(cpo, stations[0], f"E2{unique[:6]}".upper())
    await meter_values.meter_values(st, frame(tx, 1500, 60))
    meter_values._clear_session_cache()  # a new process starts with an empty cache
    await meter_values.meter_values(st, frame(tx, 1400, 120))
    await meter_values.meter_values(st, frame(tx, 1600, 90))
    row = await session(tx)
    assert (row["last_meter_wh"], row["energy_wh"]) == (1600, 600)
    assert row["flags"] == ["meter_backwards", "timestamp_out_of_order"]
    values = await MeterValue.select().where(MeterValue.session == tx).order_by(MeterValue.id)
    assert [v["value"] for v in meter_values.sampled_values(values)] == ["1500", "1400", "1600"]


async def test_a_failed_batch_leaves_no_cached_reading_behind(
    cpo: TenantCtx, stations: list[Station], unique: str
) -> None:
    st = as_actor(stations[0])
    tx = await open_session(cpo, stations[0], f"E3{unique[:6]}".upper())
    await meter_values.meter_values(st, frame(tx, 1500, 60))
    before = meter_values._open_sessions[tx]["last_meter_wh"]
    with pytest.raises(ValueError):  # one frame, so its batch fails and the fallback fails it as well
        await meter_values.meter_values(st, {**frame(tx, 9000, 120), "connectorId": "not a number"})
    assert before == 1500 and tx not in meter_values._open_sessions
    await meter_values.meter_values(st, frame(tx, 1600, 180))
    row = await session(tx)
    assert (row["last_meter_wh"], row["flags"]) == (1600, [])


async def test_two_writers_keep_one_stations_frames_in_order() -> None:
    from core import bulk

    written: list[list[tuple[int, int]]] = []
    gate = asyncio.Event()

    async def write(batch: list[tuple[int, int]]) -> None:
        written.append(batch)
        if len(written) == 1:
            await gate.wait()  # the first batch is still being written when the next frames come

    batcher: bulk.GroupCommit[tuple[int, int]] = bulk.GroupCommit(
        "test", write, lambda item: write([item]), writers=2, key=lambda item: item[0]
    )
    first = asyncio.ensure_future(batcher.submit((1, 1)))
    await asyncio.sleep(0.02)
    later = [asyncio.ensure_future(batcher.submit(item)) for item in ((1, 2), (2, 1))]
    await asyncio.sleep(0.02)
    # Station 2 is written next to the unfinished first batch; station 1's second frame waits for its first.
    assert written == [[(1, 1)], [(2, 1)]]
    gate.set()
    await asyncio.gather(first, *later)
    assert written == [[(1, 1)], [(2, 1)], [(1, 2)]]
