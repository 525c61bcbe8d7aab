"""Firmware campaigns: one row per campaign, one per station in it (its state, retries, last status)."""

from __future__ import annotations

from piccolo.columns import ForeignKey, Integer, OnDelete, Serial, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from core.commands.tables import CommandRecord
from core.infrastructure.tables import ChargingStation
from core.tenancy.tables import Tenant


class FirmwareCampaign(Table):
    """A firmware URL for a set of stations, started from ``start_at`` with at most ``max_parallel`` at once."""

    id: Serial
    tenant = ForeignKey(references=Tenant, on_delete=OnDelete.cascade, index=True)
    name = Varchar(length=200)
    location = Varchar(length=512)  # the firmware URL the stations download
    expected_version = Varchar(length=50, default="")  # what BootNotification must report; empty: any
    start_at = Timestamptz()
    max_parallel = Integer(default=5)
    retries = Integer(null=True, default=None)  # OCPP UpdateFirmware retries / retryInterval
    retry_interval = Integer(null=True, default=None)
    timeout_minutes = Integer(default=60)  # no progress (or offline) this long: the station failed
    status = Varchar(length=12, default="active", index=True)  # core.firmware.rules.CampaignStatus
    created_by = Varchar(length=200, default="")
    user_id = Integer(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    finished_at = Timestamptz(null=True, default=None)


class FirmwareCampaignStation(Table):
    """One station of a campaign: where its update stands."""

    id: Serial
    campaign = ForeignKey(references=FirmwareCampaign, on_delete=OnDelete.cascade, index=True)
    tenant = ForeignKey(references=Tenant, on_delete=OnDelete.cascade, index=True)
    station = ForeignKey(references=ChargingStation, on_delete=OnDelete.cascade, index=True)
    state = Varchar(length=12, default="waiting", index=True)  # core.firmware.rules.StationState
    reason = Varchar(length=30, default="")  # why it failed (core.firmware.rules.FailReason)
    retries = Integer(default=0)  # how often "retry failed" put it back
    command = ForeignKey(references=CommandRecord, on_delete=OnDelete.set_null, null=True, default=None)
    last_status = Varchar(length=30, default="")  # the station's last FirmwareStatusNotification
    last_status_at = Timestamptz(null=True, default=None)
    reported_version = Varchar(length=50, default="")  # firmwareVersion of the BootNotification after it
    offline_since = Timestamptz(null=True, default=None)  # its turn came while it was not connected
    sent_at = Timestamptz(null=True, default=None)
    state_changed_at = Timestamptz(default=TimestamptzNow())


class FirmwareTickLease(Table):
    """The campaign tick's lease: one tick at a time across processes."""

    id: Serial
    name = Varchar(length=40, unique=True)
    lease_token = Varchar(length=32, default="")
    lease_until = Timestamptz(null=True, default=None)
