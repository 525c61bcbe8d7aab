"""CDR tests: real OCPP sessions (the app served by uvicorn in the test loop) and CDRs made through the outbox."""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from core.cdrs import building
from core.cdrs.tables import Cdr
from core.charging.tables import ChargingSession, MeterValue
from core.infrastructure import locations
from core.infrastructure.tables import ChargePoint
from core.outbox import OutboxMessage
from tests.integration.ocpp.conftest import Station, client, make_station, ocpp_url, station  # noqa: F401 - fixtures
from tests.support import TenantCtx

T0 = datetime(2026, 10, 1, 8, 0, tzinfo=UTC)
_offsets = itertools.count()


async def deliver_session_stopped(session_id: int, timeout: float = 15.0, suffix: str = "") -> dict[str, Any]:
    return await deliver(f"session-stopped:{session_id}{suffix}", timeout)


async def deliver(dedupe_key: str, timeout: float = 15.0) -> dict[str, Any]:
    """Wait until the outbox message with this key is handled, whoever runs the job; returns the outbox row.

    Embedded mode: the app's relay and in-process broker do it. Production mode: the app's relay hands the
    message to Redis; the test then plays `csms worker` and runs the actor it names on what it takes off the queue.
    """
    from workers.broker import broker
    from workers.embedded import EmbeddedBroker

    deadline = asyncio.get_running_loop().time() + timeout
    consumer = None if isinstance(broker, EmbeddedBroker) else broker.consume("cdrs", prefetch=10, timeout=200)
    try:
        while asyncio.get_running_loop().time() < deadline:
            row = await OutboxMessage.select().where(OutboxMessage.dedupe_key == dedupe_key).first()
            if row is not None and row["delivered_at"] is not None:
                return row
            if consumer is not None:
                message = await asyncio.to_thread(next, consumer)
                if message is not None:
                    fn = broker.get_actor(message.actor_name).fn
                    await getattr(fn, "__wrapped__", fn)(*message.args)
                    consumer.ack(message)
            else:
                await asyncio.sleep(0.05)
    finally:
        if consumer is not None:
            consumer.close()
    raise AssertionError(f"outbox message {dedupe_key} was not delivered in {timeout} s")


async def finished_session(
    ctx: TenantCtx, st: Station, *, point: int = 0, energy_wh: int = 10_000, minutes: int = 60,
    auth_source: str = "RFID", status: str = "STOPPED", stop_reason: str = "Local", start: datetime | None = None,
    signed: str | None = None,
) -> int:
    """A stopped session written directly (for list, filter and export tests); returns its id."""
    start = start or T0 + timedelta(minutes=next(_offsets))
    session = ChargingSession(
        tenant=ctx.id, station=st.id, charge_point=st.charge_points[point]["id"], connector_id=point + 1,
        id_tag="AABB01", auth_source=auth_source, auth_status="Accepted", started_at=start,
        stopped_at=start + timedelta(minutes=minutes), meter_start_wh=0, meter_stop_wh=energy_wh,
        last_meter_wh=energy_wh, energy_wh=energy_wh, status=status, stop_reason=stop_reason,
    )  # fmt: skip
    await session.save()
    if signed:
        sampled = [{"value": signed, "format": "SignedData", "context": "Transaction.Begin"}]
        await MeterValue(station=st.id, session=session.id, connector_id=point + 1, timestamp=start,
                         sampled_value=sampled).save()  # fmt: skip
    return int(session.id)


async def cdr_of(session_id: int) -> dict[str, Any]:
    cdr_id = await building.create_cdr(session_id)
    assert cdr_id is not None
    row = await Cdr.select().where(Cdr.id == cdr_id).first()
    assert row is not None
    return row


async def second_location_station(ctx: TenantCtx, suffix: str) -> Station:
    """A DC station in Vienna, Eichrecht compliant, for filter tests."""
    st = await make_station(ctx, suffix, points=1)
    location = await locations.create_location(
        ctx.actor, {"name": f"Wien {suffix}", "address": "Ringstraße 5", "postal_code": "1010", "city": "Wien",
                    "country": "AUT", "latitude": "48.2", "longitude": "16.37"},
    )  # fmt: skip
    from core.infrastructure.tables import ChargingStation

    await ChargingStation.update({ChargingStation.location: location["id"]}).where(ChargingStation.id == st.id)
    await ChargePoint.update({ChargePoint.power_type: "DC", ChargePoint.eichrecht_compliant: True}).where(
        ChargePoint.id == st.charge_points[0]["id"]
    )
    return st


def kwh(value: str) -> Decimal:
    return Decimal(value)
