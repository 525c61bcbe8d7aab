"""Partners' reservations (RESERVE_NOW) are forgotten once over: expired, or used by a session the station started
with their reservationId; the hourly housekeeping does it, in several processes at once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from core.charging.tables import ChargingSession
from core.roaming import commands, partners
from core.roaming.tables import PartnerReservation
from tests.integration.ocpp.conftest import make_station
from tests.support import TenantCtx


async def _reservation(partner_id: int, station_id: int, reservation_id: str, ocpp_id: int, expiry: datetime) -> int:
    row = PartnerReservation(
        partner=partner_id, key=f"{partner_id}|{reservation_id}", reservation_id=reservation_id,
        ocpp_reservation_id=ocpp_id, station=station_id, evse_number=1, token={"uid": "C1"}, expiry_date=expiry,
    )  # fmt: skip
    await row.save()
    return int(row.id)


async def test_ended_and_expired_reservations_are_pruned_hourly(
    emp_exw: TenantCtx, cpo: TenantCtx, unique: str
) -> None:
    from core import periodic
    from workers.actors import register_jobs

    register_jobs()  # what the server's start-up and each `csms worker` do
    job = next(p for p in periodic.registered() if p.name == "roaming.prune_reservations")
    assert job.seconds == 3600
    partner = (await partners.create_partner(emp_exw.actor, {"name": "reserving"})).partner
    station, other = await make_station(cpo, "RA" + unique), await make_station(cpo, "RB" + unique)
    now = datetime.now(UTC)
    base = 900_000 + int(unique[:5], 16)  # OCPP reservation ids of this test only
    expired = await _reservation(partner["id"], station.id, f"EXP-{unique}", base, now - timedelta(minutes=1))
    used = await _reservation(partner["id"], station.id, f"USED-{unique}", base + 1, now + timedelta(hours=1))
    waiting = await _reservation(partner["id"], station.id, f"WAIT-{unique}", base + 2, now + timedelta(hours=1))
    # the same reservationId at another station, and an older session with it at this one: not this reservation's
    elsewhere = await _reservation(partner["id"], other.id, f"ELSE-{unique}", base + 3, now + timedelta(hours=1))
    for station_id, reservation_id, created in ((station.id, base + 1, now + timedelta(seconds=5)),
                                                (station.id, base + 3, now - timedelta(days=1)),
                                                (other.id, base + 2, now + timedelta(seconds=5))):  # fmt: skip
        await ChargingSession(tenant=cpo.id, station=station_id, connector_id=1, id_tag="C1", status="CHARGING",
                              started_at=created, reservation_id=reservation_id, created_at=created).save()  # fmt: skip

    await asyncio.gather(job.fn(), job.fn())  # two worker processes in the same hour
    left = {r["id"] for r in await PartnerReservation.select(PartnerReservation.id).where(
        PartnerReservation.partner == partner["id"])}  # fmt: skip
    assert left == {waiting, elsewhere}
    assert expired not in left and used not in left
    assert await commands.prune_reservations(now + timedelta(hours=2)) >= 2  # later both have expired
    assert not await PartnerReservation.exists().where(PartnerReservation.partner == partner["id"])
