"""The alert tick on a real database: StatusNotifications (through csms's own handler), connections and anomalies
become alerts; each notification group's recipients get one mail per problem, a flapping charge point mails once,
recovery is told once it lasted, and many stations going offline at once make one summary mail."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from core.alerts import detect
from core.alerts.rules import SUMMARY_OVER
from core.alerts.tables import Alert, AlertCursor, NotificationGroup, NotificationGroupMember
from core.charging import status
from core.charging.tables import Anomaly, StatusEvent
from core.infrastructure.tables import ChargingStation
from core.mail.tables import Mail
from core.settings import get_settings
from tests.integration.infrastructure.conftest import Site, make_site
from tests.support import TenantCtx


@pytest.fixture(autouse=True)
async def caught_up() -> None:
    """The tick reads from where the last one stopped: start after every earlier test's events."""
    await _tick()
    last_event = await StatusEvent.select(StatusEvent.id).order_by(StatusEvent.id, ascending=False).first()
    last_anomaly = await Anomaly.select(Anomaly.id).order_by(Anomaly.id, ascending=False).first()
    await AlertCursor.update({AlertCursor.last_status_event: last_event["id"] if last_event else 0,
                              AlertCursor.last_anomaly: last_anomaly["id"] if last_anomaly else 0}).where(
        AlertCursor.name == detect.CURSOR)  # fmt: skip


async def _tick(now: datetime | None = None) -> detect.TickResult:
    """A tick that runs: a live server of this session on the same database (its periodic alert tick) may hold the
    tick's lease for a moment, and a tick that finds it held does nothing."""
    deadline = time.monotonic() + 10
    while not (result := await detect.tick(now)).ran:
        assert time.monotonic() < deadline, "another process held the alert tick for 10 s"
        await asyncio.sleep(0.05)
    return result


async def _group(ctx: TenantCtx, unique: str, *, cases: list[str] | None = None, **member: int) -> str:
    recipient = f"ops-{unique}@example.org"
    group = NotificationGroup(tenant=ctx.id, name=f"Gruppe {unique}", recipients=[recipient],
                              cases=cases or ["UNAVAILABILITY", "FUSE_TRIPPED", "SENSORS"],
                              all_charge_points=not member)  # fmt: skip
    await group.save()
    if member:
        await NotificationGroupMember(group=group.id, **member).save()
    return recipient


async def _status(site: Site, state: str, error: str = "NoError", connector: int = 1) -> None:
    station = {
        "id": site.station["id"],
        "tenant": site.station["tenant"],
        "charge_box_id": site.station["charge_box_id"],
    }
    stamp = datetime.now(UTC).isoformat()
    await status.status_notification(station, {"connectorId": connector, "status": state, "errorCode": error,
                                               "timestamp": stamp})  # fmt: skip


async def _mails(recipient: str) -> list[dict[str, Any]]:
    return await Mail.select(Mail.subject, Mail.body_text, Mail.language).where(Mail.recipient == recipient).order_by(
        Mail.id)  # fmt: skip


async def _alerts(site: Site) -> list[dict[str, Any]]:
    return await Alert.select().where(Alert.station == site.station["id"]).order_by(Alert.id)


async def test_a_tripped_fuse_mails_once_and_its_recovery_once_it_lasted(cpo: TenantCtx, unique: str) -> None:
    site = await make_site(cpo, unique)
    recipient = await _group(cpo, unique)
    await _status(site, "Faulted", "OverCurrentFailure")
    result = await _tick()
    assert result.ran and result.opened >= 1
    [alert] = await _alerts(site)
    assert (alert["case"], alert["code"], alert["charge_point"]) == ("FUSE_TRIPPED", "OverCurrentFailure",
                                                                     site.charge_point["id"])  # fmt: skip
    [mail] = await _mails(recipient)
    assert mail["subject"].startswith("Störung: ") and "Sicherung ausgelöst (OverCurrentFailure)" in mail["body_text"]
    await _tick()
    assert len(await _mails(recipient)) == 1  # told once

    await _status(site, "Available")
    await _tick()
    [closed] = await _alerts(site)
    assert closed["closed_at"] is not None and closed["open_key"] is None
    assert len(await _mails(recipient)) == 1  # not yet: it might come back
    await _tick(datetime.now(UTC) + get_settings().alerts.quiet + timedelta(seconds=1))
    mails = await _mails(recipient)
    assert (
        len(mails) == 2 and mails[1]["subject"].startswith("Behoben: ") and "Wieder in Ordnung" in mails[1]["body_text"]
    )


async def test_a_flapping_charge_point_is_one_alert_and_one_mail(cpo: TenantCtx, unique: str) -> None:
    site = await make_site(cpo, unique)
    recipient = await _group(cpo, unique, charge_point=site.charge_point["id"])
    for _ in range(4):
        await _status(site, "Faulted", "HighTemperature")
        await _tick()
        await _status(site, "Available")
        await _tick()
    assert len(await _alerts(site)) == 1
    assert len(await _mails(recipient)) == 1
    await _tick(datetime.now(UTC) + get_settings().alerts.quiet + timedelta(seconds=1))
    assert len(await _mails(recipient)) == 2  # and its recovery, once


async def test_a_group_hears_only_of_its_cases_and_charge_points(cpo: TenantCtx, unique: str) -> None:
    site, other = await make_site(cpo, unique), await make_site(cpo, "B" + unique)
    fuses = await _group(cpo, unique, cases=["FUSE_TRIPPED"])
    theirs = await _group(cpo, "B" + unique, station=other.station["id"])
    await _status(site, "Faulted", "HighTemperature")
    await _tick()
    assert await _mails(fuses) == [] and await _mails(theirs) == []
    assert len(await _alerts(site)) == 1  # the alert is there for the portal all the same


async def test_an_offline_station_opens_unavailability_and_closes_when_back(cpo: TenantCtx, unique: str) -> None:
    site = await make_site(cpo, unique)
    recipient = await _group(cpo, unique, station=site.station["id"])
    now = datetime.now(UTC)
    last_seen = now - get_settings().alerts.offline_after + timedelta(minutes=1)
    await ChargingStation.update({ChargingStation.connected: False, ChargingStation.installation_status: "COMMISSIONED",
                                  ChargingStation.last_message_at: last_seen}).where(
        ChargingStation.id == site.station["id"])  # fmt: skip
    await _tick(now)
    assert await _alerts(site) == []  # a node restart: it may be back in a minute
    await _tick(now + timedelta(minutes=2))
    [alert] = await _alerts(site)
    assert (alert["source"], alert["case"], alert["charge_point"]) == ("offline", "UNAVAILABILITY", None)
    assert len(await _mails(recipient)) == 1
    await ChargingStation.update({ChargingStation.connected: True}).where(ChargingStation.id == site.station["id"])
    await _tick(now + timedelta(minutes=3))
    assert (await _alerts(site))[0]["closed_at"] is not None


async def test_many_stations_offline_at_once_make_one_summary_mail(cpo: TenantCtx, unique: str) -> None:
    sites = [await make_site(cpo, f"{i}{unique}") for i in range(SUMMARY_OVER + 2)]
    recipient = await _group(cpo, unique)
    now = datetime.now(UTC)
    await ChargingStation.update({ChargingStation.connected: False, ChargingStation.installation_status: "COMMISSIONED",
                                  ChargingStation.last_message_at: now - timedelta(hours=1)}).where(
        ChargingStation.id.is_in([s.station["id"] for s in sites]))  # fmt: skip
    await _tick(now)
    [mail] = await _mails(recipient)
    assert mail["subject"].startswith(f"{SUMMARY_OVER + 2} Störungen")
    assert f"Nicht verfügbar: {SUMMARY_OVER + 2}" in mail["body_text"]


async def test_a_meter_going_backwards_is_an_anomaly_alert(cpo: TenantCtx, unique: str) -> None:
    site = await make_site(cpo, unique)
    recipient = await _group(cpo, unique, cases=["ANOMALY"])
    await Anomaly(
        tenant=cpo.id, station=site.station["id"], kind="meter_backwards", detail={"from": 10, "to": 5}
    ).save()
    await Anomaly(tenant=cpo.id, station=site.station["id"], kind="unknown_connector", detail={}).save()  # a data note
    await _tick()
    [alert] = await _alerts(site)
    assert (alert["case"], alert["code"]) == ("ANOMALY", "meter_backwards")
    assert len(await _mails(recipient)) == 1


async def test_a_tick_while_another_process_ticks_does_nothing(cpo: TenantCtx, unique: str) -> None:
    held = "another process"
    assert await detect._lease(datetime.now(UTC), held)  # another process's tick is running
    try:
        assert not (await detect.tick()).ran
    finally:
        await detect._release(held)
    assert (await detect.tick()).ran
    row = await AlertCursor.select().where(AlertCursor.name == detect.CURSOR).first()
    assert row is not None and row["lease_token"] == "" and row["lease_until"] is None  # released after its run
