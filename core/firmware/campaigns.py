"""Firmware campaigns: created from a selection of stations, read back with their progress, cancelled, failed
stations retried; and the periodic tick that starts stations (at most ``max_parallel`` at once) by sending
UpdateFirmware through core.commands and fails those that stall or stay offline.

Permissions as for the other operations commands: ``ocpp.commands`` to create, cancel and retry; reading also
with the operations tab. The tick runs in several processes at once: a lease lets one of them work at a time.
"""

from __future__ import annotations

import asyncio
import functools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from core.charging.connections import this_node
from core.commands import running
from core.commands.catalogue import parse_when
from core.commands.transport import transport
from core.db import leased
from core.errors import Conflict, Message, NotFound, ValidationError
from core.firmware import rules
from core.firmware.rules import UPDATING, CampaignStatus, FailReason, StationState
from core.firmware.tables import FirmwareCampaign, FirmwareCampaignStation, FirmwareTickLease
from core.infrastructure.tables import ChargingStation
from core.settings import get_settings
from core.tenancy import audit
from core.tenancy.actor import Actor, system_actor
from core.tenancy.permissions import Permission
from core.validation import Field, FormSpec

TICK_SECONDS = 10
LEASE = timedelta(minutes=3)  # longer than a round of sends (each waits at most COMMAND_TIMEOUT)
LEASE_NAME = "firmware"
SEND_TIMEOUT = 30.0
MAX_STATIONS = 5000
TIME_ZONE = "Europe/Berlin"  # the start time is entered in the portal's local time


def _now() -> datetime:
    return datetime.now(UTC)


def _check_start(value: str) -> Message | None:
    return None if parse_when(value) else Message("Enter a date and time (YYYY-MM-DD HH:MM).")


CAMPAIGN_SPEC = FormSpec("firmware_campaign", (
    Field("name", required=True, max_length=200, label="Name"),
    Field("location", required=True, max_length=512, checks=(rules.check_firmware_url,), label="Firmware URL"),
    Field("expected_version", max_length=50, label="Expected firmware version"),
    Field("start_at", max_length=40, checks=(_check_start,), label="Start"),
    Field("max_parallel", kind="int", required=True, default=5, min_value=1, max_value=500,
          label="Stations updating at once"),
    Field("retries", kind="int", min_value=0, max_value=10, label="Retries"),
    Field("retry_interval", kind="int", min_value=0, max_value=3600, label="Retry interval (s)"),
    Field("timeout_minutes", kind="int", default=60, min_value=5, max_value=7 * 24 * 60,
          label="Time limit per station (minutes)"),
))  # fmt: skip


def _require_read(actor: Actor) -> None:
    if not actor.can(Permission.OPERATIONS_TAB):
        actor.require(Permission.OCPP_COMMANDS)


def parse_campaign(raw: dict[str, Any]) -> dict[str, Any]:
    """The checked fields; the start time (local time, empty: now) as an aware datetime."""
    clean = CAMPAIGN_SPEC.parse(raw)
    clean["start_at"] = parse_when(clean.get("start_at") or "", TIME_ZONE) or _now()
    return clean


async def _own_stations(actor: Actor, station_ids: list[int]) -> list[dict[str, Any]]:
    if not station_ids:
        return []
    return await ChargingStation.select(
        ChargingStation.id, ChargingStation.tenant, ChargingStation.charge_box_id, ChargingStation.name,
        ChargingStation.firmware_version, ChargingStation.connected,
    ).where(
        ChargingStation.id.is_in(sorted(set(station_ids))[:MAX_STATIONS]) & ChargingStation.tenant.is_in(actor.scope)
        & ChargingStation.decommissioned_at.is_null()
    ).order_by(ChargingStation.charge_box_id)  # fmt: skip


@dataclass(frozen=True)
class Plan:
    """What a campaign over these stations would do: who is in it and who is left out, and why."""

    stations: list[dict[str, Any]]
    skipped: list[tuple[dict[str, Any], Message]]


async def plan(actor: Actor, station_ids: list[int]) -> Plan:
    """Stations of the actor's tenants; those already in a running update are left out."""
    actor.require(Permission.OCPP_COMMANDS)
    found = await _own_stations(actor, station_ids)
    busy = {
        int(r["station"])
        for r in await FirmwareCampaignStation.select(FirmwareCampaignStation.station).where(
            FirmwareCampaignStation.station.is_in([s["id"] for s in found] or [0])
            & FirmwareCampaignStation.state.is_in(list(rules.OPEN))
            & (FirmwareCampaignStation.campaign.status == CampaignStatus.ACTIVE.value)
        )
    }
    skipped = [(s, Message("Already in a running firmware campaign.")) for s in found if s["id"] in busy]
    return Plan([s for s in found if s["id"] not in busy], skipped)


async def create_campaign(actor: Actor, raw: dict[str, Any], station_ids: list[int]) -> dict[str, Any]:
    actor.require(Permission.OCPP_COMMANDS)
    clean = parse_campaign(raw)
    chosen = await plan(actor, station_ids)
    if not chosen.stations:
        raise ValidationError({"station_id": Message("Choose at least one station.")})
    campaign = FirmwareCampaign(
        tenant=actor.tenant_id, name=clean["name"], location=clean["location"],
        expected_version=clean["expected_version"], start_at=clean["start_at"], max_parallel=clean["max_parallel"],
        retries=clean["retries"], retry_interval=clean["retry_interval"], timeout_minutes=clean["timeout_minutes"],
        created_by=actor.label[:200], user_id=actor.user_id,
    )  # fmt: skip
    await campaign.save()
    await FirmwareCampaignStation.insert(*[
        FirmwareCampaignStation(campaign=campaign.id, tenant=s["tenant"], station=s["id"]) for s in chosen.stations
    ])  # fmt: skip
    written = {"name": clean["name"], "location": clean["location"], "expected_version": clean["expected_version"],
               "max_parallel": clean["max_parallel"], "stations": len(chosen.stations)}  # fmt: skip
    await audit.record(actor, actor.tenant_id, "firmware_campaign", int(campaign.id), "create", audit.diff({}, written))
    return await get_campaign(actor, int(campaign.id))


async def _counts(campaign_ids: list[int]) -> dict[int, dict[str, int]]:
    counts: dict[int, dict[str, int]] = {i: {} for i in campaign_ids}
    if not campaign_ids:
        return counts
    rows = await FirmwareCampaignStation.raw(
        f'SELECT campaign, state, COUNT(*) AS n FROM "{FirmwareCampaignStation._meta.tablename}" '  # noqa: S608
        f"WHERE campaign IN ({', '.join(str(int(i)) for i in campaign_ids)}) GROUP BY campaign, state"
    )
    for row in rows:
        counts[int(row["campaign"])][row["state"]] = int(row["n"])
    return counts


async def list_campaigns(actor: Actor, limit: int = 200) -> list[dict[str, Any]]:
    _require_read(actor)
    rows = await FirmwareCampaign.select().where(FirmwareCampaign.tenant.is_in(actor.scope)).order_by(
        FirmwareCampaign.id, ascending=False
    ).limit(limit)  # fmt: skip
    counts = await _counts([r["id"] for r in rows])
    return [{**r, "counts": counts[r["id"]], "total": sum(counts[r["id"]].values())} for r in rows]


async def get_campaign(actor: Actor, campaign_id: int) -> dict[str, Any]:
    _require_read(actor)
    row = (
        await FirmwareCampaign.select()
        .where((FirmwareCampaign.id == campaign_id) & FirmwareCampaign.tenant.is_in(actor.scope))
        .first()
    )
    if row is None:
        raise NotFound("firmware_campaign")
    counts = (await _counts([campaign_id]))[campaign_id]
    return {**row, "counts": counts, "total": sum(counts.values())}


async def campaign_stations(actor: Actor, campaign_id: int) -> list[dict[str, Any]]:
    await get_campaign(actor, campaign_id)
    return (
        await FirmwareCampaignStation.select(
            *FirmwareCampaignStation.all_columns(),
            FirmwareCampaignStation.station.charge_box_id.as_alias("charge_box_id"),
            FirmwareCampaignStation.station.name.as_alias("station_name"),
            FirmwareCampaignStation.station.firmware_version.as_alias("firmware_version"),
        )
        .where(FirmwareCampaignStation.campaign == campaign_id)
        .order_by(FirmwareCampaignStation.station.charge_box_id)
    )


async def cancel(actor: Actor, campaign_id: int) -> None:
    """No station starts any more; those already updating cannot be stopped (OCPP has no way) and are followed."""
    actor.require(Permission.OCPP_COMMANDS)
    campaign = await get_campaign(actor, campaign_id)
    if campaign["status"] == CampaignStatus.CANCELLED:
        return
    await FirmwareCampaign.update(
        {FirmwareCampaign.status: CampaignStatus.CANCELLED.value, FirmwareCampaign.finished_at: _now()}
    ).where(FirmwareCampaign.id == campaign_id)
    await FirmwareCampaignStation.update(
        {FirmwareCampaignStation.state: StationState.CANCELLED.value, FirmwareCampaignStation.state_changed_at: _now()}
    ).where((FirmwareCampaignStation.campaign == campaign_id)
            & (FirmwareCampaignStation.state == StationState.WAITING.value))  # fmt: skip
    await audit.record(actor, campaign["tenant"], "firmware_campaign", campaign_id, "firmware_cancel")


async def retry_failed(actor: Actor, campaign_id: int) -> int:
    """The failed stations wait for their turn again (their retry count goes up); returns how many."""
    actor.require(Permission.OCPP_COMMANDS)
    campaign = await get_campaign(actor, campaign_id)
    if campaign["status"] == CampaignStatus.CANCELLED:
        raise Conflict(Message("The campaign was cancelled."))
    failed = await FirmwareCampaignStation.select(FirmwareCampaignStation.id, FirmwareCampaignStation.retries).where(
        (FirmwareCampaignStation.campaign == campaign_id) & (FirmwareCampaignStation.state == StationState.FAILED.value)
    )  # fmt: skip
    for row in failed:
        await FirmwareCampaignStation.update({
            FirmwareCampaignStation.state: StationState.WAITING.value, FirmwareCampaignStation.reason: "",
            FirmwareCampaignStation.retries: row["retries"] + 1, FirmwareCampaignStation.offline_since: None,
            FirmwareCampaignStation.state_changed_at: _now(),
        }).where((FirmwareCampaignStation.id == row["id"])
                 & (FirmwareCampaignStation.state == StationState.FAILED.value))  # fmt: skip
    if failed:
        await audit.record(actor, campaign["tenant"], "firmware_campaign", campaign_id, "firmware_retry",
                           {"stations": [None, len(failed)]})  # fmt: skip
        await FirmwareCampaign.update(
            {FirmwareCampaign.status: CampaignStatus.ACTIVE.value, FirmwareCampaign.finished_at: None}
        ).where(FirmwareCampaign.id == campaign_id)
    return len(failed)


# --- the tick -----------------------------------------------------------------------------------------------


async def _lease(now: datetime, token: str) -> bool:
    await FirmwareTickLease.insert(FirmwareTickLease(name=LEASE_NAME)).on_conflict(
        target=FirmwareTickLease.name, action="DO NOTHING"
    )
    taken = await FirmwareTickLease.update(
        {FirmwareTickLease.lease_token: token, FirmwareTickLease.lease_until: now + LEASE}
    ).where((FirmwareTickLease.name == LEASE_NAME)
            & (FirmwareTickLease.lease_until.is_null() | (FirmwareTickLease.lease_until < now))
    ).returning(FirmwareTickLease.id)  # fmt: skip
    return bool(taken)


async def _release(token: str) -> None:
    await FirmwareTickLease.update({FirmwareTickLease.lease_token: "", FirmwareTickLease.lease_until: None}).where(
        (FirmwareTickLease.name == LEASE_NAME) & (FirmwareTickLease.lease_token == token)
    )


async def _fail(row_id: int, from_state: str, reason: FailReason) -> None:
    await FirmwareCampaignStation.update(
        {
            FirmwareCampaignStation.state: StationState.FAILED.value,
            FirmwareCampaignStation.reason: reason.value,
            FirmwareCampaignStation.state_changed_at: _now(),
        }  # fmt: skip
    ).where((FirmwareCampaignStation.id == row_id) & (FirmwareCampaignStation.state == from_state))


async def _send(campaign: dict[str, Any], row: dict[str, Any]) -> None:
    """UpdateFirmware (retrieveDate now) to one station through core.commands; its outcome moves the row."""
    actor = system_actor(campaign["tenant"], label=f"Firmware campaign: {campaign['name']}"[:200])
    raw = {"location": campaign["location"], "retries": campaign["retries"],
           "retry_interval": campaign["retry_interval"]}  # fmt: skip
    raw = {k: v for k, v in raw.items() if v is not None}
    try:
        prepared = await running.start_command(actor, "UpdateFirmware", raw, station_id=row["station"],
                                               timeout=SEND_TIMEOUT, job=f"firmware-{campaign['id']}")  # fmt: skip
    except (ValidationError, NotFound, Conflict):  # decommissioned meanwhile, or a URL the schema refuses
        await _fail(row["id"], StationState.SENT.value, FailReason.REJECTED)
        return
    await FirmwareCampaignStation.update({FirmwareCampaignStation.command: prepared.record_id}).where(
        FirmwareCampaignStation.id == row["id"]
    )
    record = await prepared.run()
    moved = rules.after_command(record["status"])
    if moved is None:
        return
    state, reason = moved
    if reason is not None:
        await _fail(row["id"], StationState.SENT.value, reason)
        return
    await FirmwareCampaignStation.update({  # offline just now: waits again, its offline time limit runs from now
        FirmwareCampaignStation.state: state.value, FirmwareCampaignStation.offline_since: _now(),
        FirmwareCampaignStation.state_changed_at: _now(),
    }).where((FirmwareCampaignStation.id == row["id"])
             & (FirmwareCampaignStation.state == StationState.SENT.value))  # fmt: skip


async def _advance(campaign: dict[str, Any], now: datetime) -> None:
    timeout = timedelta(minutes=campaign["timeout_minutes"])
    rows = await FirmwareCampaignStation.select(
        *FirmwareCampaignStation.all_columns(), FirmwareCampaignStation.station.connected.as_alias("connected"),
        FirmwareCampaignStation.station.connected_node.as_alias("node"),
    ).where(FirmwareCampaignStation.campaign == campaign["id"]).order_by(FirmwareCampaignStation.id)  # fmt: skip
    # Without Redis a process reaches only the stations connected to itself (one node); with Redis, every one.
    everywhere = bool(get_settings().redis_url)
    updating = 0
    for row in rows:
        if row["state"] in UPDATING:
            if rules.stalled(row["state"], row["state_changed_at"], now, timeout):
                await _fail(row["id"], row["state"], FailReason.NO_PROGRESS)
            else:
                updating += 1
    starting: list[dict[str, Any]] = []
    places = rules.free_places(campaign["max_parallel"], updating)
    waiting = [row for row in rows if row["state"] == StationState.WAITING]
    for row in waiting:
        if not row["connected"]:
            if row["offline_since"] is None:
                await FirmwareCampaignStation.update({FirmwareCampaignStation.offline_since: now}).where(
                    FirmwareCampaignStation.id == row["id"]
                )
            elif rules.offline_too_long(row["offline_since"], now, timeout):
                await _fail(row["id"], StationState.WAITING.value, FailReason.OFFLINE)
            continue
        if not everywhere and row["node"] != this_node():  # another process's station: that one sends to it
            continue
        if len(starting) >= places:
            continue
        claimed = (
            await FirmwareCampaignStation.update(
                {
                    FirmwareCampaignStation.state: StationState.SENT.value,
                    FirmwareCampaignStation.sent_at: now,
                    FirmwareCampaignStation.offline_since: None,
                    FirmwareCampaignStation.state_changed_at: now,
                }  # fmt: skip
            )
            .where(
                (FirmwareCampaignStation.id == row["id"])
                & (FirmwareCampaignStation.state == StationState.WAITING.value)
            )
            .returning(FirmwareCampaignStation.id)
        )
        if claimed:
            starting.append(row)
    if starting:
        await asyncio.gather(*(_send(campaign, row) for row in starting))
    if rules.finished((await _counts([campaign["id"]]))[campaign["id"]]):
        await FirmwareCampaign.update(
            {FirmwareCampaign.status: CampaignStatus.FINISHED.value, FirmwareCampaign.finished_at: _now()}
        ).where((FirmwareCampaign.id == campaign["id"]) & (FirmwareCampaign.status == CampaignStatus.ACTIVE.value))


async def tick(now: datetime | None = None) -> bool:
    """One round over the running campaigns whose start time has come; False when another process's tick runs or
    this process cannot reach stations."""
    if transport() is None:  # a process without the command bus (a `csms worker`, a CLI) could send nothing
        return False
    at = now or _now()
    async with leased(functools.partial(_lease, at), _release) as token:
        if token is None:
            return False
        due = (
            await FirmwareCampaign.select()
            .where((FirmwareCampaign.status == CampaignStatus.ACTIVE.value) & (FirmwareCampaign.start_at <= at))
            .order_by(FirmwareCampaign.id)
        )
        for campaign in due:
            await _advance(campaign, at)
        return True
