"""Firmware campaigns against a live server and several simulated stations: never more than max_parallel
stations updating at once, failures and "retry failed", confirmation by the BootNotification after the update."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from core.commands.tables import CommandRecord
from core.errors import NotFound, PermissionDenied, ValidationError
from core.firmware import campaigns
from core.firmware.rules import UPDATING
from core.firmware.tables import FirmwareCampaignStation
from core.infrastructure.tables import ChargingStation
from core.tenancy import audit, logins
from tests.integration.firmware.conftest import simulated
from tests.integration.ocpp.conftest import make_station
from tests.support import TenantCtx, make_user

FIRMWARE_URL = "https://firmware.example.com/terra/terra-2.0.bin"


async def ticking_until(condition: Callable[[], Awaitable[bool]], timeout: float = 30.0) -> None:
    """Runs the campaign tick (another process's tick may hold the lease: then that one works) until ``condition``."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not await condition():
        assert asyncio.get_running_loop().time() < deadline, "condition not reached"
        await campaigns.tick()
        await asyncio.sleep(0.05)


async def states(campaign_id: int) -> dict[str, str]:
    rows = await FirmwareCampaignStation.select(
        FirmwareCampaignStation.station.charge_box_id.as_alias("cb"), FirmwareCampaignStation.state
    ).where(FirmwareCampaignStation.campaign == campaign_id)
    return {r["cb"]: r["state"] for r in rows}


async def updating(campaign_id: int) -> int:
    return await FirmwareCampaignStation.count().where(
        (FirmwareCampaignStation.campaign == campaign_id) & FirmwareCampaignStation.state.is_in(list(UPDATING))
    )


def fields(**extra: Any) -> dict[str, Any]:
    return {"name": "Terra 2.0", "location": FIRMWARE_URL, "expected_version": "2.0", "max_parallel": "2", **extra}


async def test_max_parallel_is_never_exceeded_and_boots_confirm_the_version(
    ocpp_url: str, cpo: TenantCtx, unique: str
) -> None:
    stations = [await make_station(cpo, f"{unique}-{n}", points=1) for n in range(5)]
    async with simulated(ocpp_url, stations, firmware_step=0.3) as sims:
        campaign = await campaigns.create_campaign(cpo.actor, fields(retries="2", retry_interval="30"),
                                                   [st.id for st in stations])  # fmt: skip
        assert campaign["total"] == 5 and campaign["counts"] == {"waiting": 5}
        seen = {"db": 0, "stations": 0}
        stop = asyncio.Event()

        async def watch() -> None:  # samples both sides all along the campaign
            while not stop.is_set():
                seen["db"] = max(seen["db"], await updating(campaign["id"]))
                seen["stations"] = max(seen["stations"], sum(sim.firmware_updating for sim in sims))
                await asyncio.sleep(0.02)

        watcher = asyncio.create_task(watch())

        async def all_confirmed() -> bool:  # and the next tick saw the campaign through
            done = await campaigns.get_campaign(cpo.actor, campaign["id"])
            return done["counts"] == {"confirmed": 5} and done["status"] == "finished"

        try:
            await ticking_until(all_confirmed, timeout=60)
        finally:
            stop.set()
            await watcher
        assert seen["db"] <= 2 and seen["stations"] <= 2, seen
        assert seen["db"] == 2  # it did use both places
        assert all(sim.firmware_updates == 1 for sim in sims)

    done = await campaigns.get_campaign(cpo.actor, campaign["id"])
    assert done["status"] == "finished" and done["finished_at"] is not None
    rows = await campaigns.campaign_stations(cpo.actor, campaign["id"])
    assert {r["reported_version"] for r in rows} == {"2.0"} and {r["last_status"] for r in rows} == {"Installed"}
    versions = await ChargingStation.select(ChargingStation.firmware_version).where(
        ChargingStation.id.is_in([st.id for st in stations])
    )
    assert {v["firmware_version"] for v in versions} == {"2.0"}
    # Sent through the command machinery: one UpdateFirmware record per station, retrieveDate now, the retries.
    records = (
        await CommandRecord.select().where(CommandRecord.job == f"firmware-{campaign['id']}").output(load_json=True)
    )
    assert len(records) == 5 and {r["action"] for r in records} == {"UpdateFirmware"}
    payload = records[0]["payload"]
    assert payload["location"] == FIRMWARE_URL and payload["retries"] == 2 and payload["retryInterval"] == 30
    sent_at = datetime.fromisoformat(payload["retrieveDate"].replace("Z", "+00:00"))
    assert abs(sent_at - records[0]["created_at"]) < timedelta(seconds=5)


async def test_a_failed_download_is_retried(ocpp_url: str, cpo: TenantCtx, unique: str) -> None:
    stations = [await make_station(cpo, f"{unique}-{n}", points=1) for n in range(3)]
    async with simulated(ocpp_url, stations) as sims:
        sims[0].firmware_failure = "download"
        sims[1].firmware_failure = "install"
        campaign = await campaigns.create_campaign(cpo.actor, fields(max_parallel="3"), [st.id for st in stations])

        async def settled() -> bool:
            return (await campaigns.get_campaign(cpo.actor, campaign["id"]))["status"] == "finished"

        await ticking_until(settled)
        rows = {r["charge_box_id"]: r for r in await campaigns.campaign_stations(cpo.actor, campaign["id"])}
        first, second, third = (rows[st.charge_box_id] for st in stations)
        assert (first["state"], first["reason"]) == ("failed", "download_failed")
        assert first["last_status"] == "DownloadFailed"
        assert (second["state"], second["reason"]) == ("failed", "installation_failed")
        assert third["state"] == "confirmed"
        assert (await campaigns.get_campaign(cpo.actor, campaign["id"]))["status"] == "finished"

        for sim in sims:
            sim.firmware_failure = ""
        assert await campaigns.retry_failed(cpo.actor, campaign["id"]) == 2
        again = await campaigns.get_campaign(cpo.actor, campaign["id"])
        assert again["status"] == "active" and again["counts"] == {"waiting": 2, "confirmed": 1}

        async def all_confirmed() -> bool:
            return set((await states(campaign["id"])).values()) == {"confirmed"}

        await ticking_until(all_confirmed)
        rows = {r["charge_box_id"]: r for r in await campaigns.campaign_stations(cpo.actor, campaign["id"])}
        assert [rows[st.charge_box_id]["retries"] for st in stations] == [1, 1, 0]
        assert [sim.firmware_updates for sim in sims] == [2, 2, 1]


async def test_another_version_after_the_update_fails_it(ocpp_url: str, cpo: TenantCtx, unique: str) -> None:
    station = await make_station(cpo, unique, points=1)
    async with simulated(ocpp_url, [station]) as sims:
        sims[0].firmware_after_update = "1.9-beta"
        campaign = await campaigns.create_campaign(cpo.actor, fields(), [station.id])

        async def failed() -> bool:
            return set((await states(campaign["id"])).values()) == {"failed"}

        await ticking_until(failed)
        row = (await campaigns.campaign_stations(cpo.actor, campaign["id"]))[0]
        assert (row["reason"], row["reported_version"]) == ("wrong_version", "1.9-beta")


async def test_offline_stations_wait_then_fail_and_stalled_ones_fail(
    ocpp_url: str, cpo: TenantCtx, unique: str
) -> None:
    offline = await make_station(cpo, f"{unique}-off", points=1)
    silent = await make_station(cpo, f"{unique}-quiet", points=1)
    async with simulated(ocpp_url, [silent]) as sims:
        sims[0].firmware_step = 3600  # reports Downloading, then nothing
        campaign = await campaigns.create_campaign(cpo.actor, fields(timeout_minutes="30"), [offline.id, silent.id])

        async def started() -> bool:
            got = await states(campaign["id"])
            return got[silent.charge_box_id] == "downloading" and got[offline.charge_box_id] == "waiting"

        await ticking_until(started)
        rows = {r["station"]: r for r in await campaigns.campaign_stations(cpo.actor, campaign["id"])}
        row = rows[offline.id]
        assert row["offline_since"] is not None  # its turn came while it was away: it does not take a place
        later = datetime.now(UTC) + timedelta(minutes=31)
        assert await campaigns.tick(later)
        rows = {r["station"]: r for r in await campaigns.campaign_stations(cpo.actor, campaign["id"])}
        assert (rows[offline.id]["state"], rows[offline.id]["reason"]) == ("failed", "offline")
        assert (rows[silent.id]["state"], rows[silent.id]["reason"]) == ("failed", "no_progress")


async def test_start_time_cancel_and_checks(ocpp_url: str, cpo: TenantCtx, other_cpo: TenantCtx, unique: str) -> None:
    station = await make_station(cpo, unique, points=1)
    foreign = await make_station(other_cpo, f"{unique}-x", points=1)
    async with simulated(ocpp_url, [station]) as sims:
        tomorrow = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%d %H:%M")
        campaign = await campaigns.create_campaign(cpo.actor, fields(start_at=tomorrow), [station.id, foreign.id])
        assert campaign["total"] == 1  # the other tenant's station is not taken
        await campaigns.tick()
        await asyncio.sleep(0.3)
        assert sims[0].firmware_updates == 0 and await states(campaign["id"]) == {station.charge_box_id: "waiting"}

        # A station already in a running campaign is left out of a new one.
        chosen = await campaigns.plan(cpo.actor, [station.id])
        assert chosen.stations == [] and [s["id"] for s, _ in chosen.skipped] == [station.id]
        with pytest.raises(ValidationError):
            await campaigns.create_campaign(cpo.actor, fields(), [station.id])

        await campaigns.cancel(cpo.actor, campaign["id"])
        cancelled = await campaigns.get_campaign(cpo.actor, campaign["id"])
        assert cancelled["status"] == "cancelled" and cancelled["counts"] == {"cancelled": 1}
        entries = await audit.history(cpo.actor, "firmware_campaign", campaign["id"])
        assert [e["action"] for e in entries] == ["firmware_cancel", "create"]
        assert entries[1]["changes"]["location"] == [None, FIRMWARE_URL]

    with pytest.raises(ValidationError) as bad:
        await campaigns.create_campaign(cpo.actor, fields(location="sftp://host/fw.bin", max_parallel="0",
                                                          start_at="morgen"), [station.id])  # fmt: skip
    assert set(bad.value.errors) == {"location", "max_parallel", "start_at"}

    with pytest.raises(NotFound):
        await campaigns.get_campaign(other_cpo.actor, campaign["id"])
    with pytest.raises(NotFound):
        await campaigns.cancel(other_cpo.actor, campaign["id"])
    with pytest.raises(NotFound):
        await campaigns.retry_failed(other_cpo.actor, campaign["id"])
    assert campaign["id"] not in {c["id"] for c in await campaigns.list_campaigns(other_cpo.actor)}

    viewer = await make_user(cpo.id, permissions=["infrastructure.view", "infrastructure.operations_tab"])
    reader = await logins.actor_for_user(viewer)
    assert (await campaigns.get_campaign(reader, campaign["id"]))["id"] == campaign["id"]
    with pytest.raises(PermissionDenied):
        await campaigns.create_campaign(reader, fields(), [station.id])
    with pytest.raises(PermissionDenied):
        await campaigns.cancel(reader, campaign["id"])
