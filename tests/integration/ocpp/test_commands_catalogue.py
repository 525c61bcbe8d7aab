"""The command catalogue itself: every OCPP 1.6 CSMS->station action, schemas, names, German labels."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.commands import catalogue
from core.errors import NotFound
from ocpp_cs.v16.handlers import PROTOCOL as OCPP16
from portal.i18n import translations

ISSUE_ACTIONS = {
    "RemoteStartTransaction", "RemoteStopTransaction", "UnlockConnector", "Reset", "ChangeAvailability",
    "ChangeConfiguration", "GetConfiguration", "ClearCache", "TriggerMessage", "UpdateFirmware", "GetDiagnostics",
    "SendLocalList", "GetLocalListVersion", "ReserveNow", "CancelReservation", "SetChargingProfile",
    "ClearChargingProfile", "GetCompositeSchedule", "DataTransfer",
}  # fmt: skip


def test_catalogue_covers_every_action_with_its_schemas() -> None:
    assert set(catalogue.CATALOGUE) == ISSUE_ACTIONS
    for action in catalogue.CATALOGUE:
        assert OCPP16.validator(action) is not None, action
        assert OCPP16.validator(f"{action}Response") is not None, action


def test_names_resolve_by_action_or_short_name() -> None:
    assert catalogue.find_command("start").action == "RemoteStartTransaction"
    assert catalogue.find_command("RESET").action == "Reset"
    assert catalogue.find_command("get_configuration").action == "GetConfiguration"
    slugs = [c.slug for c in catalogue.CATALOGUE.values()]
    assert len(set(slugs)) == len(slugs)
    with pytest.raises(NotFound):
        catalogue.find_command("SelfDestruct")


def test_every_label_and_outcome_message_is_german() -> None:
    catalog = getattr(translations("de"), "_catalog", {})
    labels = [c.label for c in catalogue.CATALOGUE.values()]
    assert [label for label in labels if label not in catalog] == []
    assert catalog["Start charging"] == "Starten" and catalog["Unlock"] == "Entriegeln"


def test_times_without_offset_take_the_station_time_zone() -> None:
    summer = catalogue.parse_when("2026-07-01T12:00", "Europe/Berlin")
    assert summer == datetime(2026, 7, 1, 10, 0, tzinfo=UTC)
    assert catalogue.parse_when("2026-07-01T12:00Z") == datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
    assert catalogue.parse_when("2026-07-01 12:00", "Nowhere/Invalid") == datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
    assert catalogue.parse_when("yesterday") is None
