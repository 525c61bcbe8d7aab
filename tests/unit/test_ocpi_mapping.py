"""hub.mapping: csms's rows as OCPI 2.2.1 Locations, EVSEs, connectors and tariffs, checked against the shape of
the specification's examples (tests/ocpi_shapes.py)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from core.tariffs.pricing import PriceSet, TariffSnapshot
from hub.mapping import locations as ocpi_locations
from hub.mapping import tariffs as ocpi_tariffs
from tests.ocpi_shapes import cdr_problems, location_problems, tariff_problems

EXAMPLES = Path(__file__).resolve().parent.parent / "data" / "ocpi_examples"
T0 = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.json")), ids=lambda p: p.stem)
def test_the_shape_checker_accepts_the_specifications_examples(path: Path) -> None:
    example = json.loads(path.read_text())
    check = {"location": location_problems, "cdr": cdr_problems}.get(path.stem.split("_")[0], tariff_problems)
    problems = check(example)
    assert problems == []


def test_the_shape_checker_finds_what_is_wrong() -> None:
    example = json.loads((EXAMPLES / "location_example.json").read_text())
    broken = {**example, "address": "x" * 46, "coordinates": {"latitude": "51.04", "longitude": "3.729944"}}
    broken["evses"] = [{**example["evses"][0], "status": "FREE", "connectors": []}]
    del broken["time_zone"]
    problems = "\n".join(location_problems(broken))
    for word in ("address", "coordinates", "status 'FREE'", "at least one connector", "missing time_zone"):
        assert word in problems


LOCATION = {
    "id": 7, "name": "Parkhaus Altstadt", "address": "Marktplatz 5", "postal_code": "80331", "city": "München",
    "state": "", "country": "DEU", "latitude": Decimal("48.1371079"), "longitude": Decimal("11.5753822"),
    "time_zone": "Europe/Berlin", "twentyfourseven": False,
    "opening_hours": [{"weekday": d, "period_begin": "06:00", "period_end": "22:00"} for d in range(1, 6)],
    "parking_type": "PARKING_GARAGE", "parking_restrictions": ["EV_ONLY"],
    "directions": "Ebene -1, hinter der Schranke",
    "hotline": "+49 89 1234567", "operator_name": "Demo Company", "operator_website": "https://demo.example",
    "operator_email": "ops@demo.example", "publish": True, "decommissioned_at": None, "updated_at": T0,
    "last_updated": T0 + timedelta(minutes=5, microseconds=700),
}  # fmt: skip
CHARGE_POINT = {
    "id": 41, "evse_id": "DE*ISE*E1001*1", "physical_reference": "1", "floor_level": "-1", "status": "AVAILABLE",
    "status_updated_at": T0 + timedelta(minutes=5), "auth_local_rfid": True, "auth_remote": True,
    "decommissioned_at": None, "updated_at": T0 + timedelta(minutes=1),
}  # fmt: skip
CONNECTOR = {
    "connector_number": 1, "standard": "IEC_62196_T2", "format": "SOCKET", "power_type": "AC_3_PHASE",
    "max_voltage": 400, "max_amperage": 32, "max_electric_power": 22000, "updated_at": T0 + timedelta(minutes=2),
}  # fmt: skip


def _location(**changes: Any) -> dict[str, Any]:
    connector = ocpi_locations.connector_object(CONNECTOR, ["CPO20261101080000-AC"])
    evse = ocpi_locations.evse_object(
        CHARGE_POINT, [connector], status="Charging", parking_restrictions=LOCATION["parking_restrictions"],
        ocpp_features=["Core", "SmartCharging", "Reservation"],
    )  # fmt: skip
    args: dict[str, Any] = {"country_code": "de", "party_id": "ise", "location": LOCATION, "evses": [evse]}
    return ocpi_locations.location_object(**{**args, **changes})


def test_location_with_evse_and_connector_has_the_specifications_shape() -> None:
    location = _location(name="Demo Company Altstadt", facilities=["PARKING_LOT", "NOT_A_FACILITY"])
    assert location_problems(location) == []
    assert (location["country_code"], location["party_id"], location["id"]) == ("DE", "ISE", "7")
    assert location["name"] == "Demo Company Altstadt"  # the name on the roaming platform
    assert location["coordinates"] == {"latitude": "48.1371079", "longitude": "11.5753822"}
    assert location["opening_times"]["regular_hours"][0] == {"weekday": 1, "period_begin": "06:00",
                                                             "period_end": "22:00"}  # fmt: skip
    assert location["operator"] == {"name": "Demo Company", "website": "https://demo.example"}
    assert location["directions"] == [{"language": "de", "text": "Ebene -1, hinter der Schranke"}]
    assert location["facilities"] == ["PARKING_LOT"]
    evse = location["evses"][0]
    assert evse["status"] == "CHARGING" and evse["evse_id"] == "DE*ISE*E1001*1"
    assert evse["parking_restrictions"] == ["EV_ONLY"]
    assert evse["capabilities"] == ["CHARGING_PROFILE_CAPABLE", "REMOTE_START_STOP_CAPABLE", "RESERVABLE",
                                    "RFID_READER", "UNLOCK_CAPABLE"]  # fmt: skip
    assert evse["connectors"][0]["tariff_ids"] == ["CPO20261101080000-AC"]


def test_last_updated_is_the_latest_of_the_parts_and_the_locations_stored_one() -> None:
    location = _location()
    assert location["evses"][0]["connectors"][0]["last_updated"] == "2026-11-01T08:02:00Z"
    assert location["evses"][0]["last_updated"] == "2026-11-01T08:05:00Z"  # the status change
    # The location's is the stored column (the lists' order), which every change raises; whole seconds.
    assert location["last_updated"] == "2026-11-01T08:05:00Z"
    later = _location(location={**LOCATION, "last_updated": T0 + timedelta(hours=1)})  # e.g. a contract group
    assert later["last_updated"] == "2026-11-01T09:00:00Z"


def test_twentyfourseven_and_missing_optionals() -> None:
    plain = {**LOCATION, "twentyfourseven": True, "parking_type": "", "directions": "", "operator_name": "",
             "postal_code": ""}  # fmt: skip
    location = _location(location=plain)
    assert location_problems(location) == []
    assert location["opening_times"] == {"twentyfourseven": True}
    assert not {"parking_type", "directions", "operator", "postal_code"} & location.keys()
    with pytest.raises(ValueError):
        _location(location={**LOCATION, "latitude": None})


@pytest.mark.parametrize(
    ("value", "expected"),
    [("AVAILABLE", "AVAILABLE"), ("charging", "CHARGING"), ("BLOCKED", "BLOCKED"), ("OUTOFORDER", "OUTOFORDER"),
     ("INOPERATIVE", "INOPERATIVE"), ("RESERVED", "RESERVED"), ("UNKNOWN", "UNKNOWN"), ("REMOVED", "REMOVED"),
     ("Available", "AVAILABLE"), ("Preparing", "CHARGING"), ("SuspendedEV", "CHARGING"), ("Finishing", "CHARGING"),
     ("Reserved", "RESERVED"), ("Unavailable", "INOPERATIVE"), ("Faulted", "OUTOFORDER"), ("OFFLINE", "UNKNOWN"),
     ("", "UNKNOWN"), (None, "UNKNOWN")],
)  # fmt: skip
def test_evse_status(value: str | None, expected: str) -> None:
    assert ocpi_locations.evse_status(value) == expected


def test_a_decommissioned_charge_point_is_removed() -> None:
    assert ocpi_locations.evse_status("AVAILABLE", decommissioned=True) == "REMOVED"
    gone = {**CHARGE_POINT, "decommissioned_at": T0 + timedelta(days=1)}
    evse = ocpi_locations.evse_object(gone, [ocpi_locations.connector_object(CONNECTOR, [])], status="AVAILABLE")
    assert evse["status"] == "REMOVED" and evse["last_updated"] == "2026-11-02T08:00:00Z"


def test_capabilities_follow_the_auth_types() -> None:
    rfid_only = {"auth_local_rfid": True, "auth_remote": False}
    assert ocpi_locations.capabilities(rfid_only) == ["RFID_READER"]
    assert ocpi_locations.capabilities({"auth_local_rfid": False, "auth_remote": False}, ["Core"]) == []


SEED_TARIFF = TariffSnapshot(
    tariff_id=1, code="CPO20261101080000", name="Demo Tarif", currency="EUR", vat_rate=Decimal("19.00"),
    ac=PriceSet(Decimal("0.4000"), Decimal("0.0200"), 60, Decimal("0")),
    dc=PriceSet(Decimal("0.5000"), Decimal("0.0200"), 60, Decimal("1.0000")),
    parking_per_minute=Decimal("0.0500"), parking_from_minute=0,
)  # fmt: skip


@pytest.mark.parametrize("power", ["AC", "DC"])
def test_tariff_has_the_specifications_shape(power: str) -> None:
    tariff = ocpi_tariffs.tariff_object(SEED_TARIFF, power, country_code="DE", party_id="ISE", last_updated=T0)
    assert tariff_problems(tariff) == []
    assert tariff["id"] == f"CPO20261101080000-{power}" and tariff["currency"] == "EUR"
    blocking, parking, basic = tariff["elements"]
    assert blocking["restrictions"] == {"min_duration": 3600}
    assert [(c["type"], c["price"], c["step_size"]) for c in blocking["price_components"]] == [
        ("TIME", Decimal("1.2"), 60), ("PARKING_TIME", Decimal("4.2"), 60)]  # fmt: skip
    assert [(c["type"], c["price"]) for c in parking["price_components"]] == [("PARKING_TIME", Decimal("3"))]
    energy = Decimal("0.4000") if power == "AC" else Decimal("0.5000")
    expected = [("ENERGY", energy, 1)] + ([("FLAT", Decimal("1.0000"), 1)] if power == "DC" else [])
    assert [(c["type"], c["price"], c["step_size"]) for c in basic["price_components"]] == expected
    assert {c["vat"] for e in tariff["elements"] for c in e["price_components"]} == {Decimal("19.00")}


def test_alt_text_in_german_and_english_with_gross_prices() -> None:
    tariff = ocpi_tariffs.tariff_object(SEED_TARIFF, "DC", country_code="DE", party_id="ISE", last_updated=T0)
    texts = {t["language"]: t["text"] for t in tariff["tariff_alt_text"]}
    assert texts["de"] == ("0,595 EUR/kWh, ab Minute 60: 0,0238 EUR/min (Blockiergebühr), Parken ohne Laden: "
                           "0,0595 EUR/min, Startgebühr 1,19 EUR (inkl. 19 % MwSt.)")  # fmt: skip
    assert texts["en"].startswith("0.595 EUR/kWh, from minute 60: 0.0238 EUR/min (blocking fee)")
    assert texts["en"].endswith("(incl. 19 % VAT)")


def test_a_free_tariff_and_a_scheduled_one() -> None:
    zero = PriceSet(Decimal(0))
    free = TariffSnapshot(1, "CPO1", "Frei", "EUR", Decimal("19"), zero, zero)
    tariff = ocpi_tariffs.tariff_object(free, "AC", country_code="DE", party_id="ISE", last_updated=T0)
    assert tariff_problems(tariff) == []
    assert tariff["elements"] == [{"price_components": [{"type": "FLAT", "price": Decimal(0), "vat": Decimal("19"),
                                                         "step_size": 1}]}]  # fmt: skip
    assert tariff["tariff_alt_text"][0]["text"] == "Kostenlos"
    start = datetime(2026, 12, 24, 23, 0, tzinfo=UTC)
    later = ocpi_tariffs.tariff_object(SEED_TARIFF, "AC", country_code="DE", party_id="ISE", last_updated=T0,
                                       start_date_time=start)  # fmt: skip
    assert tariff_problems(later) == []
    assert later["start_date_time"] == "2026-12-24T23:00:00Z" and later["id"] == "CPO20261101080000-AC-20261224T2300"
    assert ocpi_tariffs.connector_tariff_ids("DC", "CPO1", [("CPO2", start)]) == ["CPO1-DC", "CPO2-DC-20261224T2300"]
    assert ocpi_tariffs.connector_tariff_ids("AC_1_PHASE", None) == []


def test_free_idle_minutes_are_not_exact_in_ocpi() -> None:
    assert ocpi_tariffs.exact_in_ocpi(SEED_TARIFF)
    assert not ocpi_tariffs.exact_in_ocpi(TariffSnapshot(1, "C", "n", "EUR", Decimal(19), SEED_TARIFF.ac,
                                                         SEED_TARIFF.dc, Decimal("0.05"), 30))  # fmt: skip


def test_ocpi_datetime_is_utc_to_the_second_whichever_zone_came_first() -> None:
    from zoneinfo import ZoneInfo

    from hub.mapping import ocpi_datetime

    berlin = datetime(2026, 1, 1, 12, 0, 0, 999_000, tzinfo=ZoneInfo("Europe/Berlin"))
    utc = datetime(2026, 1, 1, 11, 0, 0, 999_000, tzinfo=UTC)
    assert ocpi_datetime(berlin) == "2026-01-01T11:00:00Z"
    assert ocpi_datetime(utc) == "2026-01-01T11:00:00Z"  # the same instant: formatted alike
    assert ocpi_datetime(utc + timedelta(hours=1)) == "2026-01-01T12:00:00Z"
    with pytest.raises(ValueError, match="timezone-aware"):
        ocpi_datetime(utc.replace(tzinfo=None))  # never the formatted aware instant of the same fields


def test_coordinates_keep_the_patterns_and_refuse_what_is_out_of_range() -> None:
    coordinates = ocpi_locations.coordinates
    assert coordinates(Decimal("-9.1234567"), Decimal("-179.1234567")) == {"latitude": "-9.1234567",
                                                                           "longitude": "-179.1234567"}  # fmt: skip
    assert coordinates(48.1, "11.57538225") == {"latitude": "48.1000000", "longitude": "11.5753823"}  # half up
    for latitude, longitude in (("100.0", "1.0"), ("-100.0", "1.0"), ("1.0", "1000.0"), ("1.0", "-1000.0")):
        with pytest.raises(ValueError, match="out of range"):
            coordinates(latitude, longitude)
