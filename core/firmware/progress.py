"""What stations report, applied to their campaigns: FirmwareStatusNotification and BootNotification.

Called by the OCPP handlers right after core.charging stored the message; one indexed select per message, and
nothing more for a station in no running update (a reconnect storm's boots stay cheap).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from core.firmware.rules import UPDATING, FailReason, StationState, after_boot, after_status
from core.firmware.tables import FirmwareCampaignStation


def _now() -> datetime:
    return datetime.now(UTC)


async def _updating(station_id: int) -> list[dict[str, Any]]:
    return await FirmwareCampaignStation.select(
        FirmwareCampaignStation.id, FirmwareCampaignStation.state,
        FirmwareCampaignStation.campaign.expected_version.as_alias("expected_version"),
    ).where(
        (FirmwareCampaignStation.station == station_id) & FirmwareCampaignStation.state.is_in(list(UPDATING))
    )  # fmt: skip


async def _move(row: dict[str, Any], state: StationState, reason: FailReason | None, values: dict[Any, Any]) -> None:
    # Only from the state it was read in: a tick or another node's message that moved it meanwhile wins.
    await FirmwareCampaignStation.update(
        {
            **values,
            FirmwareCampaignStation.state: state.value,
            FirmwareCampaignStation.reason: reason or "",
            FirmwareCampaignStation.state_changed_at: _now(),
        }  # fmt: skip
    ).where((FirmwareCampaignStation.id == row["id"]) & (FirmwareCampaignStation.state == row["state"]))


async def station_reported(station_id: int, status: str) -> None:
    """A FirmwareStatusNotification: the station's status is noted, its state moves on (core.firmware.rules)."""
    at = _now()
    for row in await _updating(station_id):
        noted: dict[Any, Any] = {
            FirmwareCampaignStation.last_status: status[:30],
            FirmwareCampaignStation.last_status_at: at,
        }
        moved = after_status(row["state"], status)
        if moved is None:
            await FirmwareCampaignStation.update(noted).where(FirmwareCampaignStation.id == row["id"])
        else:
            await _move(row, moved[0], moved[1], noted)


async def station_booted(station_id: int, firmware_version: str | None) -> None:
    """A BootNotification: after Installed it confirms the update (or fails it on another version)."""
    reported = (firmware_version or "")[:50]
    for row in await _updating(station_id):
        moved = after_boot(row["state"], row["expected_version"] or "", reported)
        if moved is not None:
            await _move(row, moved[0], moved[1], {FirmwareCampaignStation.reported_version: reported})
