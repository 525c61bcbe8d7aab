"""The simulator against the real server: boot, status, a session, and messages queued while offline."""

from __future__ import annotations

import asyncio
import contextlib

from core.access.tables import ChargingCard
from core.charging import meter_values
from core.charging.tables import ChargingSession
from core.infrastructure.tables import ChargePoint
from ocpp_cs import registry
from ocpp_cs.simulator import SimulatedStation
from tests.integration.ocpp.conftest import Station
from tests.support import TenantCtx


async def _until(predicate, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + timeout
    while not await predicate():
        assert asyncio.get_running_loop().time() < deadline, "condition not reached"
        await asyncio.sleep(0.05)


async def test_reconnect_sends_queued_messages(ocpp_url: str, station: Station, cpo: TenantCtx, unique: str) -> None:
    tag = f"5A{unique[:6]}".upper()
    await ChargingCard(tenant=cpo.id, uid=tag).save()
    sim = SimulatedStation(ocpp_url, station.charge_box_id, station.password, reconnect_delay=0.5)
    runner = asyncio.create_task(sim.run())
    try:
        await asyncio.wait_for(sim.connected.wait(), 10)
        assert sim.boot_status == "Accepted"
        session = await sim.start_session(1, tag)
        assert session.transaction_id is not None
        tx = session.transaction_id
        await sim.drop_connection()
        await sim.meter_tick(1, wh=700)  # offline: queued
        await sim.stop_session(1)  # offline: queued
        assert len(sim.queue) >= 2

        async def stopped() -> bool:
            row = await ChargingSession.select(ChargingSession.status).where(ChargingSession.id == tx).first()
            return row is not None and row["status"] == "STOPPED" and not sim.queue

        await _until(stopped)
        row = await ChargingSession.select().where(ChargingSession.id == tx).first()
        assert row is not None and row["energy_wh"] == 700
        sampled = await meter_values.session_sampled_values(tx)
        assert len(sampled) == 2  # energy and current, sent late
        cp = (
            await ChargePoint.select(ChargePoint.status).where(ChargePoint.id == station.charge_points[0]["id"]).first()
        )
        assert cp is not None and cp["status"] == "AVAILABLE"
        assert registry.get(station.charge_box_id) is not None

        # The simulator answers CSMS calls: GetConfiguration through StationConnection.call.
        conn = registry.get(station.charge_box_id)
        assert conn is not None
        reply = await conn.call("GetConfiguration", {"key": ["HeartbeatInterval"]}, timeout=5)
        assert reply["configurationKey"] == [{"key": "HeartbeatInterval", "readonly": False, "value": "300"}]
    finally:
        await sim.stop()
        runner.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await runner
