"""Rules behind the station data sheet: free attributes, the marketing checklist, the OCPP URL."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any

import pytest

from core.errors import ValidationError
from core.infrastructure import station_sheet
from core.infrastructure.station_sheet import clean_attributes, marketing_checklist, ocpp_url
from core.settings import get_settings

LOCATION: dict[str, Any] = {
    "address": "Hauptstr. 1",
    "city": "München",
    "postal_code": "80331",
    "country": "DEU",
    "latitude": Decimal("48.1"),
    "longitude": Decimal("11.5"),
    "hotline": "+49 89 1",
}


def _cp(cp_id: int, **extra: Any) -> dict[str, Any]:
    return {"id": cp_id, "evse_id": f"DE*ISE*E{cp_id}", "auth_local_rfid": True, "decommissioned_at": None, **extra}


def test_attributes_drop_blank_rows_and_trim() -> None:
    assert clean_attributes([(" cable ", " fixed "), ("", ""), ("note", "")]) == {"cable": "fixed", "note": ""}


@pytest.mark.parametrize(
    ("pairs", "message"),
    [
        ([("", "value")], "Every value needs a key."),
        ([("a", "1"), ("a", "2")], "The key %(key)s appears twice."),
        ([("k" * 65, "1")], "Keys have at most %(key)s characters, values at most %(value)s."),
        ([("k", "v" * 256)], "Keys have at most %(key)s characters, values at most %(value)s."),
        ([(f"k{i}", "v") for i in range(51)], "At most %(max)s attributes."),
    ],
)
def test_attributes_refuse_bad_input(pairs: list[tuple[str, str]], message: str) -> None:
    with pytest.raises(ValidationError) as info:
        clean_attributes(pairs)
    assert info.value.errors["attributes"].msgid == message


def test_checklist_all_ticked_for_a_complete_station() -> None:
    checks = marketing_checklist(LOCATION, [_cp(1), _cp(2)], {1: 1, 2: 2})
    assert [key for key, _label, _ok in checks] == [
        "evse_id", "address", "city", "postal_code", "country", "coordinates", "hotline", "auth_type", "connectors",
    ]  # fmt: skip
    assert all(ok for _key, _label, ok in checks)


def test_checklist_names_what_is_missing() -> None:
    location = {**LOCATION, "latitude": None, "hotline": ""}
    charge_points = [_cp(1), _cp(2, evse_id=None, auth_local_rfid=False), _cp(3, decommissioned_at="x", evse_id=None)]
    done = {key: ok for key, _label, ok in marketing_checklist(location, charge_points, {1: 1})}
    assert done["coordinates"] is False and done["hotline"] is False
    assert done["evse_id"] is False  # charge point 2 lacks one; the decommissioned 3 does not count
    assert done["auth_type"] is False and done["connectors"] is False
    assert done["address"] is True


def test_checklist_without_charge_points_is_not_ready() -> None:
    done = {key: ok for key, _label, ok in marketing_checklist(LOCATION, [], {})}
    assert not done["evse_id"] and not done["connectors"] and not done["auth_type"]


@pytest.mark.parametrize(
    ("public_url", "expected"),
    [
        ("https://csms.example.com", "wss://csms.example.com/ocpp/CB-1"),
        ("http://10.0.0.5:8000", "ws://10.0.0.5:8000/ocpp/CB-1"),
    ],
)
def test_ocpp_url_follows_the_public_address(monkeypatch: pytest.MonkeyPatch, public_url: str, expected: str) -> None:
    settings = dataclasses.replace(get_settings(), public_url=public_url)
    monkeypatch.setattr(station_sheet, "get_settings", lambda: settings)
    assert ocpp_url("CB-1") == expected


@pytest.mark.parametrize(
    ("reached", "expected"),
    [
        ("http://127.0.0.1:8000/", "ws://127.0.0.1:8000/ocpp/CB-1"),
        ("https://10.0.0.5:8443/", "wss://10.0.0.5:8443/ocpp/CB-1"),  # csms serve --ssl-certfile
        ("http://csms.local", "ws://csms.local/ocpp/CB-1"),
    ],
)
def test_without_public_url_the_page_address_is_shown_with_a_warning(reached: str, expected: str) -> None:
    settings = dataclasses.replace(get_settings(), public_url="http://127.0.0.1:8000", public_url_set=False)
    address = station_sheet.ocpp_address("CB-1", reached, settings)
    assert (address.url, address.reached_url) == (expected, expected)
    assert address.warning is not None and address.warning.params == {"default": "http://127.0.0.1:8000"}


def test_a_set_public_url_is_what_stations_configure() -> None:
    settings = dataclasses.replace(get_settings(), public_url="https://csms.example.com", public_url_set=True)
    address = station_sheet.ocpp_address("CB-1", "http://10.0.0.5:8000/", settings)
    assert address == station_sheet.OcppAddress(
        url="wss://csms.example.com/ocpp/CB-1", reached_url="ws://10.0.0.5:8000/ocpp/CB-1", warning=None
    )
