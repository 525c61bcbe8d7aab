"""Firmware campaigns: the state rules of a station (core.firmware.rules)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.firmware import rules
from core.firmware.rules import FailReason, StationState

T0 = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("state", "status", "expected"),
    [
        ("sent", "Downloading", (StationState.DOWNLOADING, None)),
        ("downloading", "Downloaded", (StationState.DOWNLOADED, None)),
        ("downloaded", "Installing", (StationState.INSTALLING, None)),
        ("installing", "Installed", (StationState.INSTALLED, None)),
        ("sent", "Installed", (StationState.INSTALLED, None)),  # a station that skipped the steps
        ("downloading", "DownloadFailed", (StationState.FAILED, FailReason.DOWNLOAD_FAILED)),
        ("installing", "InstallationFailed", (StationState.FAILED, FailReason.INSTALLATION_FAILED)),
        ("downloading", "Downloading", None),  # the same again
        ("installing", "Idle", None),
        ("waiting", "Downloading", None),  # not (yet) sent: another tool's update is none of ours
        ("failed", "Installed", None),
        ("confirmed", "DownloadFailed", None),
        ("cancelled", "Downloading", None),
    ],
)
def test_firmware_status_notifications_move_updating_stations(state: str, status: str, expected: object) -> None:
    assert rules.after_status(state, status) == expected


def test_boot_after_installed_confirms_the_expected_version_only() -> None:
    assert rules.after_boot("installed", "2.0", "2.0") == (StationState.CONFIRMED, None)
    assert rules.after_boot("installed", "2.0", " 2.0 ") == (StationState.CONFIRMED, None)
    assert rules.after_boot("installed", "2.0", "1.9") == (StationState.FAILED, FailReason.WRONG_VERSION)
    assert rules.after_boot("installed", "2.0", "") == (StationState.FAILED, FailReason.WRONG_VERSION)


def test_boot_without_an_expected_version_confirms_after_installed() -> None:
    assert rules.after_boot("installed", "", "whatever") == (StationState.CONFIRMED, None)
    assert rules.after_boot("installing", "", "whatever") is None
    assert rules.after_boot("sent", "", "x") is None


def test_boot_mid_update_confirms_only_with_the_expected_version() -> None:
    assert rules.after_boot("installing", "2.0", "2.0") == (StationState.CONFIRMED, None)
    assert rules.after_boot("downloading", "2.0", "1.0") is None  # a reboot while downloading: wait
    assert rules.after_boot("waiting", "2.0", "2.0") is None
    assert rules.after_boot("failed", "2.0", "2.0") is None


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("accepted", None),
        ("rejected", (StationState.FAILED, FailReason.REJECTED)),
        ("failed", (StationState.FAILED, FailReason.REJECTED)),
        ("timeout", (StationState.FAILED, FailReason.NO_ANSWER)),
        ("offline", (StationState.WAITING, None)),  # it waits again; offline too long fails it
    ],
)
def test_command_outcome(status: str, expected: object) -> None:
    assert rules.after_command(status) == expected


def test_stalled_and_offline_after_the_timeout() -> None:
    limit = timedelta(minutes=30)
    assert not rules.stalled("downloading", T0, T0 + timedelta(minutes=29), limit)
    assert rules.stalled("downloading", T0, T0 + limit, limit)
    assert rules.stalled("installed", T0, T0 + limit, limit)  # never booted
    assert not rules.stalled("waiting", T0, T0 + timedelta(days=1), limit)
    assert not rules.stalled("confirmed", T0, T0 + timedelta(days=1), limit)
    assert not rules.offline_too_long(None, T0, limit)
    assert not rules.offline_too_long(T0, T0 + timedelta(minutes=5), limit)
    assert rules.offline_too_long(T0, T0 + limit, limit)


def test_never_more_than_max_parallel() -> None:
    assert rules.free_places(3, 0) == 3
    assert rules.free_places(3, 2) == 1
    assert rules.free_places(3, 3) == 0
    assert rules.free_places(3, 5) == 0  # lowered while more were updating: none starts


def test_start_time_and_finish() -> None:
    assert rules.may_start("active", T0, T0)
    assert not rules.may_start("active", T0 + timedelta(seconds=1), T0)
    assert not rules.may_start("cancelled", T0, T0)
    assert rules.finished({"confirmed": 3, "failed": 1, "cancelled": 2})
    assert not rules.finished({"confirmed": 3, "waiting": 1})
    assert not rules.finished({"installed": 1})


@pytest.mark.parametrize(
    "url",
    ["https://fw.example.com/abb/terra-2.0.bin", "http://10.0.0.1/fw", "ftp://user:pw@ftp.example.com/fw.bin",
     "FTPS://ftp.example.com/a"],
)  # fmt: skip
def test_firmware_urls(url: str) -> None:
    assert rules.check_firmware_url(url) is None


@pytest.mark.parametrize(
    "url", ["", "fw.bin", "sftp://host/fw.bin", "file:///etc/passwd", "https://", "https://host/a b", "javascript:x"]
)
def test_firmware_urls_refused(url: str) -> None:
    assert rules.check_firmware_url(url) is not None


def test_every_state_and_reason_has_a_label() -> None:
    assert set(rules.STATE_LABELS) == set(StationState)
    assert set(rules.REASON_LABELS) == set(FailReason)
    assert set(rules.CAMPAIGN_LABELS) == set(rules.CampaignStatus)
