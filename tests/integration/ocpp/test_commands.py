"""CSMS->station commands through core.commands against a live server and real websocket stations."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from core.access.tables import ChargingCard
from core.charging.tables import ChargingSession
from core.commands import catalogue, diagnostics, running
from core.commands.tables import CommandRecord
from core.errors import NotFound, PermissionDenied, ValidationError
from core.infrastructure import charge_points
from core.settings import get_settings
from core.tenancy import logins
from ocpp_cs.simulator import SimulatedStation
from tests.integration.ocpp.conftest import Station, make_station, raw_socket
from tests.support import TenantCtx, make_user


@contextlib.asynccontextmanager
async def simulated(
    url: str, st: Station, sim: SimulatedStation | None = None, **kwargs: object
) -> AsyncIterator[SimulatedStation]:
    """A simulated station online for the block (``sim``: the same station again, with what it kept)."""
    if sim is None:
        sim = SimulatedStation(url, st.charge_box_id, st.password, reconnect_delay=0.3, **kwargs)  # type: ignore[arg-type]
    sim._stop = False
    runner = asyncio.create_task(sim.run())
    try:
        await asyncio.wait_for(sim.connected.wait(), 10)
        yield sim
    finally:
        await sim.stop()
        runner.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await runner


async def until(predicate, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + timeout
    while not await predicate():
        assert asyncio.get_running_loop().time() < deadline, "condition not reached"
        await asyncio.sleep(0.05)


async def card(ctx: TenantCtx, unique: str, prefix: str = "C") -> str:
    uid = f"{prefix}{unique[:7]}".upper().replace("G", "A")
    await ChargingCard(tenant=ctx.id, uid=uid).save()
    return uid


@pytest.fixture
def public_url(ocpp_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """PUBLIC_URL of the live test server, so that upload locations handed to stations reach it."""
    base = ocpp_url.replace("ws://", "http://").removesuffix("/ocpp")
    settings = dataclasses.replace(get_settings(), public_url=base)
    monkeypatch.setattr(catalogue, "get_settings", lambda: settings)
    return base


async def test_every_command_round_trip(
    ocpp_url: str, public_url: str, station: Station, cpo: TenantCtx, unique: str
) -> None:
    actor = cpo.actor
    cp = station.charge_points[0]
    tag = await card(cpo, unique)
    async with simulated(ocpp_url, station) as sim:
        run = running.execute

        # Start: authorised as a remote start, the station starts a transaction with that source.
        started = await run(actor, "start", {"id_tag": tag}, charge_point_id=cp["id"])
        assert started["status"] == "accepted", started
        assert started["payload"] == {"connectorId": 1, "idTag": tag}
        assert started["charge_box_id"] == station.charge_box_id and started["duration_ms"] is not None

        async def charging() -> bool:
            return await catalogue.running_session(actor, cp["id"]) is not None

        await until(charging)
        session = await catalogue.running_session(actor, cp["id"])
        assert session is not None and session["auth_source"] == "REMOTE"

        # The same card again while it charges: refused by csms before anything is sent (ConcurrentTx).
        with pytest.raises(ValidationError):
            await run(actor, "RemoteStartTransaction", {"id_tag": tag}, charge_point_id=cp["id"])
        # Another card on the busy connector: the station says no, the waiting authorization expires.
        other = await card(cpo, unique, "D")
        again = await run(actor, "RemoteStartTransaction", {"id_tag": other}, charge_point_id=cp["id"])
        assert again["status"] == "rejected"
        left = await ChargingSession.select(ChargingSession.status).where(
            (ChargingSession.id_tag == other) & (ChargingSession.tenant == cpo.id)
        )
        assert left == [{"status": "EXPIRED"}]

        stopped = await run(actor, "stop", {}, charge_point_id=cp["id"])
        assert stopped["status"] == "accepted" and stopped["payload"] == {"transactionId": session["id"]}

        async def ended() -> bool:
            row = (
                await ChargingSession.select(ChargingSession.status).where(ChargingSession.id == session["id"]).first()
            )  # noqa: E501
            return row is not None and row["status"] == "STOPPED"

        await until(ended)

        assert (await run(actor, "unlock", {}, charge_point_id=cp["id"]))["result"] == {"status": "Unlocked"}
        assert (await run(actor, "reset", {"type": "Hard"}, station_id=station.id))["payload"] == {"type": "Hard"}
        avail = await run(actor, "ChangeAvailability", {"type": "Inoperative"}, charge_point_id=cp["id"])
        assert avail["status"] == "accepted" and avail["payload"] == {"connectorId": 1, "type": "Inoperative"}
        whole = await run(actor, "ChangeAvailability", {"type": "Operative"}, station_id=station.id)
        assert whole["payload"]["connectorId"] == 0

        changed = await run(actor, "ChangeConfiguration", {"key": "HeartbeatInterval", "value": "120"},
                            station_id=station.id)  # fmt: skip
        assert changed["status"] == "accepted" and sim.configuration["HeartbeatInterval"] == "120"
        unknown = await run(actor, "ChangeConfiguration", {"key": "NoSuchKey", "value": "1"}, station_id=station.id)
        assert unknown["status"] == "rejected" and unknown["result"] == {"status": "NotSupported"}
        config = await run(actor, "GetConfiguration", {}, station_id=station.id)
        assert {"key": "HeartbeatInterval", "readonly": False, "value": "120"} in config["result"]["configurationKey"]

        assert (await run(actor, "ClearCache", {}, station_id=station.id))["status"] == "accepted"
        trigger = await run(actor, "trigger", {"requested_message": "Heartbeat"}, station_id=station.id)
        assert trigger["status"] == "accepted"
        not_impl = await run(actor, "trigger", {"requested_message": "BootNotification"}, station_id=station.id)
        assert not_impl["status"] == "rejected" and not_impl["result"] == {"status": "NotImplemented"}

        firmware = await run(actor, "UpdateFirmware", {"location": "https://fw.example.test/v2.bin"},
                             station_id=station.id)  # fmt: skip
        assert firmware["status"] == "accepted" and firmware["payload"]["retrieveDate"].endswith("Z")

        local = await run(actor, "SendLocalList", {"list_version": 7, "update_type": "Full"}, station_id=station.id)
        assert local["status"] == "accepted" and sim.local_list == {tag: "Accepted", other: "Accepted"}
        version = await run(actor, "GetLocalListVersion", {}, station_id=station.id)
        assert version["result"] == {"listVersion": 7}

        reserved = await run(actor, "ReserveNow", {"id_tag": tag, "expiry_minutes": 15}, charge_point_id=cp["id"])
        assert reserved["status"] == "accepted"
        assert reserved["payload"]["reservationId"] == reserved["id"] and sim.reservations == {reserved["id"]: 1}
        assert [r["id"] for r in await running.active_reservations(actor, station.id)] == [reserved["id"]]
        cancelled = await run(actor, "CancelReservation", {"reservation_id": reserved["id"]}, station_id=station.id)
        assert cancelled["status"] == "accepted" and sim.reservations == {}
        assert await running.active_reservations(actor, station.id) == []

        profile = await run(actor, "SetChargingProfile", {"limit": "16", "unit": "A"}, charge_point_id=cp["id"])
        assert profile["status"] == "accepted"
        assert profile["payload"]["csChargingProfiles"]["chargingProfileId"] == profile["id"]
        composite = await run(actor, "GetCompositeSchedule", {"duration": 600}, charge_point_id=cp["id"])
        assert composite["status"] == "accepted"
        assert composite["result"]["chargingSchedule"]["chargingSchedulePeriod"][0]["limit"] == 16
        cleared = await run(actor, "ClearChargingProfile", {"profile_id": profile["id"]}, station_id=station.id)
        assert cleared["status"] == "accepted" and sim.charging_profiles == {}

        transfer = await run(actor, "DataTransfer", {"vendor_id": "csms", "data": "ping"}, station_id=station.id)
        assert transfer["result"] == {"status": "Accepted", "data": "echo:ping"}
        other_vendor = await run(actor, "DataTransfer", {"vendor_id": "acme"}, station_id=station.id)
        assert other_vendor["status"] == "rejected"

        # GetDiagnostics: the station uploads to csms; staff of the tenant download it.
        diag = await run(actor, "GetDiagnostics", {}, station_id=station.id)
        assert diag["status"] == "accepted" and diag["payload"]["location"].endswith(diag["upload_token"])
        assert diag["result"] == {"fileName": f"{station.charge_box_id}-diagnostics.log"}

        async def uploaded() -> bool:
            row = await running.get_command(actor, diag["id"])
            return row["uploaded_at"] is not None

        await until(uploaded)
    path, name = await diagnostics.diagnostics_file(actor, diag["id"])
    assert name == f"{station.charge_box_id}-diagnostics.log" and path.read_bytes() == b"simulated diagnostics\n"
    history = await running.list_commands(actor, station_id=station.id, limit=100)
    assert len(history) >= 20 and all(row["status"] != "pending" for row in history)


async def test_rejected_offline_and_invalid_input(ocpp_url: str, station: Station, cpo: TenantCtx) -> None:
    actor = cpo.actor
    offline = await running.execute(actor, "reset", {"type": "Soft"}, station_id=station.id)
    assert offline["status"] == "offline" and offline["message"] == "The station is not connected."
    async with simulated(ocpp_url, station, refuse={"Reset", "UnlockConnector"}):
        assert (await running.execute(actor, "reset", {}, station_id=station.id))["status"] == "rejected"
        unlock = await running.execute(actor, "unlock", {}, charge_point_id=station.charge_points[1]["id"])
        assert unlock["status"] == "rejected" and unlock["result"] == {"status": "UnlockFailed"}
        before = await CommandRecord.count().where(CommandRecord.station == station.id)
        with pytest.raises(ValidationError) as bad_type:
            await running.execute(actor, "reset", {"type": "Medium"}, station_id=station.id)
        assert "type" in bad_type.value.errors
        with pytest.raises(ValidationError) as unknown_card:
            cp_id = station.charge_points[0]["id"]
            await running.execute(actor, "start", {"id_tag": "DEADBEEF99"}, charge_point_id=cp_id)
        assert "id_tag" in unknown_card.value.errors
        with pytest.raises(ValidationError):  # start needs a charge point
            await running.execute(actor, "start", {"id_tag": "AA"}, station_id=station.id)
        with pytest.raises(ValidationError):
            await running.execute(actor, "Reset", {"bogus": 1}, station_id=station.id)
        with pytest.raises(NotFound):
            await running.execute(actor, "SelfDestruct", {}, station_id=station.id)
        # a refused input leaves no record behind
        assert await CommandRecord.count().where(CommandRecord.station == station.id) == before


async def test_call_error_timeout_and_one_call_in_flight(ocpp_url: str, station: Station, cpo: TenantCtx) -> None:
    actor = cpo.actor
    async with raw_socket(ocpp_url, station) as ws:
        # CALLERROR from the station
        task = asyncio.create_task(running.execute(actor, "ClearCache", {}, station_id=station.id, timeout=20))
        frame = json.loads(await asyncio.wait_for(ws.recv(), 15))
        assert frame[0] == 2 and frame[2] == "ClearCache" and frame[3] == {}
        await ws.send(json.dumps([4, frame[1], "NotSupported", "no cache here", {}]))
        failed = await task
        assert failed["status"] == "failed"
        assert failed["result"] == {"errorCode": "NotSupported", "description": "no cache here"}

        # No answer: timeout
        timed_out = await running.execute(actor, "ClearCache", {}, station_id=station.id, timeout=0.5)
        assert timed_out["status"] == "timeout"
        await asyncio.wait_for(ws.recv(), 15)  # the unanswered call

        # Two commands at once: the second CALL only goes out after the first is answered.
        first = asyncio.create_task(running.execute(actor, "reset", {}, station_id=station.id, timeout=20))
        second = asyncio.create_task(running.execute(actor, "ClearCache", {}, station_id=station.id, timeout=20))
        call_one = json.loads(await asyncio.wait_for(ws.recv(), 15))
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(ws.recv(), 0.4)
        await ws.send(json.dumps([3, call_one[1], {"status": "Accepted"}]))
        call_two = json.loads(await asyncio.wait_for(ws.recv(), 15))
        assert {call_one[2], call_two[2]} == {"Reset", "ClearCache"}
        await ws.send(json.dumps([3, call_two[1], {"status": "Rejected"}]))
        results = {r["action"]: r["status"] for r in await asyncio.gather(first, second)}
        assert results[call_one[2]] == "accepted" and results[call_two[2]] == "rejected"

        # A reply that does not fit the schema is a failure, not a success.
        task = asyncio.create_task(running.execute(actor, "reset", {}, station_id=station.id, timeout=20))
        frame = json.loads(await asyncio.wait_for(ws.recv(), 15))
        await ws.send(json.dumps([3, frame[1], {"status": "Maybe"}]))
        assert (await task)["status"] == "failed"


async def test_isolation_and_permission(
    ocpp_url: str, station: Station, cpo: TenantCtx, other_cpo: TenantCtx, unique: str
) -> None:
    with pytest.raises(NotFound):
        await running.execute(other_cpo.actor, "reset", {}, station_id=station.id)
    with pytest.raises(NotFound):
        await running.execute(other_cpo.actor, "unlock", {}, charge_point_id=station.charge_points[0]["id"])
    other_station = await make_station(other_cpo, unique + "x")
    with pytest.raises(NotFound):  # a charge point of another station than the one named
        await running.execute(cpo.actor, "unlock", {}, station_id=station.id,
                               charge_point_id=other_station.charge_points[0]["id"])  # fmt: skip
    assert await CommandRecord.count().where(CommandRecord.station == station.id) == 0  # nothing recorded or sent
    record = await running.execute(cpo.actor, "reset", {}, station_id=station.id)
    with pytest.raises(NotFound):
        await running.get_command(other_cpo.actor, record["id"])
    await charge_points.decommission_charge_point(cpo.actor, station.charge_points[1]["id"])
    with pytest.raises(NotFound):  # out of service: no commands
        await running.execute(cpo.actor, "unlock", {}, charge_point_id=station.charge_points[1]["id"])
    viewer = await logins.actor_for_user(await make_user(cpo.id, permissions=["infrastructure.view"]))
    with pytest.raises(PermissionDenied):
        await running.execute(viewer, "reset", {}, station_id=station.id)
    assert await CommandRecord.count().where(CommandRecord.station == station.id) == 1  # the own reset only


async def test_diagnostics_upload_endpoint(ocpp_url: str, station: Station, cpo: TenantCtx) -> None:
    record = await running.execute(cpo.actor, "GetDiagnostics", {}, station_id=station.id)  # offline, still a token
    base = ocpp_url.replace("ws://", "http://").removesuffix("/ocpp")
    async with httpx.AsyncClient(base_url=base) as http:
        assert (await http.put("/station-files/diagnostics/not-a-token", content=b"x")).status_code == 404
        files = {"file": ("station.log", b"multipart body", "text/plain")}
        answer = await http.post(f"/station-files/diagnostics/{record['upload_token']}", files=files)
        assert answer.status_code == 200, answer.text
    path, name = await diagnostics.diagnostics_file(cpo.actor, record["id"])
    assert name == "station.log" and path.read_bytes() == b"multipart body"


async def test_abandoned_pending_commands_expire(station: Station, cpo: TenantCtx) -> None:
    old = CommandRecord(tenant=cpo.id, station=station.id, action="Reset", status="pending",
                        created_at=datetime.now(UTC) - timedelta(hours=1))  # fmt: skip
    fresh = CommandRecord(tenant=cpo.id, station=station.id, action="Reset", status="pending")
    await old.save()
    await fresh.save()
    await running.expire_abandoned()
    assert (await running.get_command(cpo.actor, old.id))["status"] == "timeout"
    assert (await running.get_command(cpo.actor, fresh.id))["status"] == "pending"  # may still be answered


async def test_times_without_offset_are_local_at_the_station(station: Station, cpo: TenantCtx) -> None:
    record = await running.execute(cpo.actor, "UpdateFirmware", {"location": "https://fw.example.test/a.bin",
                                    "retrieve_date": "2026-12-01T10:00"}, station_id=station.id)  # fmt: skip
    assert record["status"] == "offline" and record["payload"]["retrieveDate"] == "2026-12-01T09:00:00Z"
    explicit = await running.execute(cpo.actor, "GetDiagnostics", {"start_time": "2026-07-01T10:00:00+00:00"},
                                      station_id=station.id)  # fmt: skip
    assert explicit["payload"]["startTime"] == "2026-07-01T10:00:00Z"


async def test_simulated_station_reboots_after_reset(ocpp_url: str, station: Station, cpo: TenantCtx) -> None:
    async with simulated(ocpp_url, station, reboot_on_reset=True) as sim:
        assert sim.boots == 1
        reset = await running.execute(cpo.actor, "reset", {"type": "Soft"}, station_id=station.id)
        assert reset["status"] == "accepted"

        async def booted_again() -> bool:
            return sim.boots == 2 and sim.connected.is_set()

        await until(booted_again)
        again = await running.execute(cpo.actor, "ClearCache", {}, station_id=station.id)
        assert again["status"] == "accepted"

