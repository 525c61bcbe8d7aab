"""BootNotification: the device data a station reports, sessions its reboot ended, Accepted or Pending.
"""

from __future__ import annotations

import json
from datetime import datetime
from enum import StrEnum
from typing import Any

from core import bulk, outbox
from core.charging.connections import DEFAULT_HEARTBEAT_INTERVAL
from core.charging.meter_values import forget_sessions
from core.charging.sessions import OPEN_STATUSES, StaleReason, now
from core.charging.tables import ChargingSession
from core.charging.transactions import close_stale
from core.db import transaction
from core.infrastructure.tables import ChargingStation

PENDING_RETRY_INTERVAL = 60  # seconds until a Pending station boots again


BOOT_FIELDS = {  # OCPP 1.6 BootNotification.req key -> column on ChargingStation
    "chargePointVendor": ChargingStation.vendor,
    "chargePointModel": ChargingStation.model,
    "chargePointSerialNumber": ChargingStation.serial_number,
    "firmwareVersion": ChargingStation.firmware_version,
}
BOOT_INFO_KEYS = ("chargeBoxSerialNumber", "iccid", "imsi", "meterType", "meterSerialNumber")


class RegistrationStatus(StrEnum):
    ACCEPTED = "Accepted"
    PENDING = "Pending"
    REJECTED = "Rejected"


def registration_status(installation_status: str) -> RegistrationStatus:
    """Only a commissioned station is Accepted; a planned or merely installed one is Pending.

    Pending keeps the station connected so that a technician can configure it (ChangeConfiguration,
    GetConfiguration) while it does not yet start sessions; it boots again after PENDING_RETRY_INTERVAL and is
    Accepted as soon as the CPO sets the station to commissioned (Inbetriebnahme).
    """
    if installation_status == "COMMISSIONED":
        return RegistrationStatus.ACCEPTED
    return RegistrationStatus.PENDING


BootItem = tuple[dict[str, Any], dict[str, Any], datetime, list[str]]  # station, payload, stamp, out: status

# One fixed statement for every boot (pipelined for a batch); fields a station does not send keep their value.
_BOOT_UPDATE = (
    f'UPDATE "{ChargingStation._meta.tablename}" SET '  # noqa: S608
    + ", ".join(
        f'"{c._meta.db_column_name}" = COALESCE({{}}, "{c._meta.db_column_name}")' for c in BOOT_FIELDS.values()
    )
    + ', "boot_info" = {}, "last_message_at" = {}, "updated_at" = {} WHERE "id" = {}'
)


def _boot_params(station: dict[str, Any], payload: dict[str, Any], stamp: datetime) -> tuple[Any, ...]:
    info = {key: payload[key] for key in BOOT_INFO_KEYS if key in payload}
    fields = (payload.get(key) for key in BOOT_FIELDS)
    return (*fields, json.dumps(info), stamp, stamp, station["id"])


async def _write_boot_batch(items: list[BootItem]) -> None:
    """Boots of many stations in one transaction: the device data pipelined, one select for their installation
    status, one for the stations that left sessions open (closed as stale)."""
    station_ids = sorted({station["id"] for station, _, _, _ in items})
    async with transaction():
        await bulk.execute_many(
            _BOOT_UPDATE, [_boot_params(station, payload, stamp) for station, payload, stamp, _ in items]
        )
        installed = await ChargingStation.select(ChargingStation.id, ChargingStation.installation_status).where(
            ChargingStation.id.is_in(station_ids)
        )
        with_open = await ChargingSession.select(ChargingSession.station).where(
            ChargingSession.station.is_in(station_ids) & ChargingSession.status.is_in([s.value for s in OPEN_STATUSES])
        )
        rebooted = {row["station"] for row in with_open}
        for station, _, stamp, _ in items:
            if station["id"] in rebooted:
                rebooted.discard(station["id"])
                where = ChargingSession.station == station["id"]
                await close_stale(station, StaleReason.STATION_REBOOTED, where, stamp)
    status_of = {row["id"]: row["installation_status"] for row in installed}
    for station, _, _, out in items:
        out[:] = [status_of.get(station["id"], "")]


async def _write_boot_one(item: BootItem) -> None:
    await _write_boot_batch([item])


# A reconnect storm boots thousands of stations at once: their boots share transactions.
boot_batcher: bulk.GroupCommit[BootItem] = bulk.GroupCommit("BootNotification", _write_boot_batch, _write_boot_one)


async def boot(station: dict[str, Any], payload: dict[str, Any]) -> tuple[RegistrationStatus, int, datetime]:
    """Store the device data, close sessions the reboot ended, and decide Accepted or Pending."""
    stamp = now()
    installation_status: list[str] = []
    await boot_batcher.submit((station, payload, stamp, installation_status))
    forget_sessions(station_id=station["id"])
    outbox.kick()
    status = registration_status(installation_status[0] if installation_status else "")
    interval = DEFAULT_HEARTBEAT_INTERVAL if status is RegistrationStatus.ACCEPTED else PENDING_RETRY_INTERVAL
    return status, interval, stamp
