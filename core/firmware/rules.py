"""The state rules of a station in a firmware campaign, pure: what a FirmwareStatusNotification, a
BootNotification, a command's outcome or the clock does to it, and how many stations may start now.

    waiting -> sent -> downloading -> downloaded -> installing -> installed -> confirmed
                  \\-> failed (DownloadFailed, InstallationFailed, rejected, offline or no progress too long)
    failed -> waiting ("retry failed"); waiting -> cancelled (the campaign was cancelled before its turn)
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from enum import StrEnum

from core.errors import Message


class StationState(StrEnum):
    WAITING = "waiting"
    SENT = "sent"
    DOWNLOADING = "downloading"
    DOWNLOADED = "downloaded"
    INSTALLING = "installing"
    INSTALLED = "installed"  # installed, awaiting the station's boot
    CONFIRMED = "confirmed"
    FAILED = "failed"
    CANCELLED = "cancelled"


class FailReason(StrEnum):
    DOWNLOAD_FAILED = "download_failed"
    INSTALLATION_FAILED = "installation_failed"
    REJECTED = "rejected"  # the station refused UpdateFirmware or answered with an error
    NO_ANSWER = "no_answer"
    OFFLINE = "offline"  # not connected for longer than the campaign's timeout when its turn came
    NO_PROGRESS = "no_progress"  # no status within the campaign's timeout
    WRONG_VERSION = "wrong_version"  # booted with another firmware version than the campaign's


class CampaignStatus(StrEnum):
    ACTIVE = "active"
    FINISHED = "finished"
    CANCELLED = "cancelled"


# Stations in these states take one of the campaign's parallel places.
UPDATING = (StationState.SENT, StationState.DOWNLOADING, StationState.DOWNLOADED, StationState.INSTALLING,
            StationState.INSTALLED)  # fmt: skip
OPEN = (StationState.WAITING, *UPDATING)  # the campaign is not finished while a station is in one of these
STATE_ORDER = tuple(StationState)

STATE_LABELS: dict[str, Message] = {
    StationState.WAITING: Message("Waiting"),
    StationState.SENT: Message("Sent"),
    StationState.DOWNLOADING: Message("Downloading"),
    StationState.DOWNLOADED: Message("Downloaded"),
    StationState.INSTALLING: Message("Installing"),
    StationState.INSTALLED: Message("Installed (awaiting boot)"),
    StationState.CONFIRMED: Message("Confirmed"),
    StationState.FAILED: Message("Failed"),
    StationState.CANCELLED: Message("Not started (cancelled)"),
}
REASON_LABELS: dict[str, Message] = {
    FailReason.DOWNLOAD_FAILED: Message("The download failed."),
    FailReason.INSTALLATION_FAILED: Message("The installation failed."),
    FailReason.REJECTED: Message("The station refused the update."),
    FailReason.NO_ANSWER: Message("The station did not answer."),
    FailReason.OFFLINE: Message("The station was offline too long."),
    FailReason.NO_PROGRESS: Message("No progress within the time limit."),
    FailReason.WRONG_VERSION: Message("The station booted with another firmware version."),
}
CAMPAIGN_LABELS: dict[str, Message] = {
    CampaignStatus.ACTIVE: Message("Running"),
    CampaignStatus.FINISHED: Message("Finished"),
    CampaignStatus.CANCELLED: Message("Aborted"),
}

# FirmwareStatusNotification.status (OCPP 1.6) -> the state it moves an updating station to.
_FROM_STATUS: dict[str, tuple[StationState, FailReason | None]] = {
    "Downloading": (StationState.DOWNLOADING, None),
    "Downloaded": (StationState.DOWNLOADED, None),
    "Installing": (StationState.INSTALLING, None),
    "Installed": (StationState.INSTALLED, None),
    "DownloadFailed": (StationState.FAILED, FailReason.DOWNLOAD_FAILED),
    "InstallationFailed": (StationState.FAILED, FailReason.INSTALLATION_FAILED),
}


def after_status(state: str, status: str) -> tuple[StationState, FailReason | None] | None:
    """A FirmwareStatusNotification of an updating station: its new state, or None when it changes nothing
    (Idle, a status of a station that is not updating, or the same state again)."""
    if state not in UPDATING:
        return None
    moved = _FROM_STATUS.get(status)
    if moved is None or moved[0] == state:
        return None
    return moved


def after_boot(
    state: str, expected_version: str, reported_version: str
) -> tuple[StationState, FailReason | None] | None:
    """A BootNotification of a station in a campaign. After Installed it confirms the update (when the campaign
    names a version: only with that version, another one fails it). Before Installed only the expected version
    confirms it (a station that installed without saying so); any other boot mid-update changes nothing."""
    if state not in UPDATING or state == StationState.SENT and not expected_version:
        return None
    if expected_version and reported_version.strip() == expected_version.strip():
        return StationState.CONFIRMED, None
    if state != StationState.INSTALLED:
        return None
    if expected_version:
        return StationState.FAILED, FailReason.WRONG_VERSION
    return StationState.CONFIRMED, None


def after_command(command_status: str) -> tuple[StationState, FailReason | None] | None:
    """The outcome of the UpdateFirmware sent to a station: None while it may still report progress. A station
    that went offline just before waits again (its time limit for being offline runs from now)."""
    if command_status == "accepted":
        return None
    if command_status == "timeout":
        return StationState.FAILED, FailReason.NO_ANSWER
    if command_status == "offline":
        return StationState.WAITING, None
    return StationState.FAILED, FailReason.REJECTED


def stalled(state: str, since: datetime, now: datetime, timeout: timedelta) -> bool:
    """An updating station that has reported nothing for ``timeout`` has failed (no progress)."""
    return state in UPDATING and now - since >= timeout


def offline_too_long(offline_since: datetime | None, now: datetime, timeout: timedelta) -> bool:
    return offline_since is not None and now - offline_since >= timeout


def free_places(max_parallel: int, updating: int) -> int:
    """How many waiting stations may start now: never more than ``max_parallel`` updating at once."""
    return max(0, max_parallel - updating)


def may_start(campaign_status: str, start_at: datetime, now: datetime) -> bool:
    return campaign_status == CampaignStatus.ACTIVE and start_at <= now


def finished(counts: dict[str, int]) -> bool:
    """No station waiting or updating any more."""
    return not any(counts.get(state, 0) for state in OPEN)


def is_firmware_url(value: str) -> bool:
    return re.match(r"^(https?|ftps?)://[^\s/]+[^\s]*$", value or "", re.IGNORECASE) is not None


def check_firmware_url(value: str) -> Message | None:
    return None if is_firmware_url(value) else Message("Enter a URL (http, https, ftp or ftps).")
