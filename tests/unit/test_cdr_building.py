"""The pure parts of CDR building: totals, parking time, signed data, status, price or no price; query parsing."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from core import outbox
from core.cdrs import building, charging_data
from core.tariffs.pricing import PriceSet, TariffSnapshot

T0 = datetime(2026, 11, 1, 10, 0, tzinfo=UTC)
OCMF = 'OCMF|{"FV":"1.0","GI":"ABL","RD":[{"TM":"2026-11-01T10:00:00,000+0000 S","RV":1.0,"RU":"kWh"}]}|{"SD":"3045"}'
TARIFF = TariffSnapshot(
    tariff_id=1, code="CPO20240723073331", name="Standard", currency="EUR", vat_rate=Decimal("19"),
    ac=PriceSet(energy_per_kwh=Decimal("0.40"), time_per_minute=Decimal("0.02"), time_from_minute=60),
    dc=PriceSet(energy_per_kwh=Decimal("0.60")),
)  # fmt: skip


def session(**values: Any) -> dict[str, Any]:
    row = {
        "id": 77, "tenant": 5, "station": 3, "charge_point": 9, "connector_id": 1, "id_tag": "AABBCC",
        "card": 4, "auth_source": "RFID", "status": "STOPPED", "authorized_at": T0, "created_at": T0,
        "started_at": T0, "stopped_at": T0 + timedelta(minutes=90), "meter_start_wh": 1000,
        "meter_stop_wh": 23000, "last_meter_wh": 23000, "stop_reason": "Local", "flags": [],
    }  # fmt: skip
    row.update(values)
    return row


STATION = {"id": 3, "charge_box_id": "CB-1"}
LOCATION = {"id": 2, "name": "Depot", "address": "Hauptstr. 1", "city": "München", "postal_code": "80331",
            "country": "DEU", "time_zone": "Europe/Berlin"}  # fmt: skip
CHARGE_POINT = {"id": 9, "evse_id": "DE*ISE*E1*1", "power_type": "AC_3_PHASE", "eichrecht_compliant": True}


def meter(minutes: int, wh: int, **values: Any) -> dict[str, Any]:
    row = {"timestamp": T0 + timedelta(minutes=minutes), "measurand": "Energy.Active.Import.Register",
           "format": "Raw", "value": str(wh), "unit": "Wh", "phase": "", "context": "Sample.Periodic"}  # fmt: skip
    row.update(values)
    return row


def test_seed_example_22_kwh_ac_90_minutes() -> None:
    values = building.cdr_values(session(), CHARGE_POINT, STATION, LOCATION, [], TARIFF, currency="EUR")
    assert values["total_energy"] == Decimal("22.000")
    assert values["total_time"] == Decimal("1.500000")
    # 22 kWh x 0.40 = 8.80; 30 blocked minutes x 0.02 = 0.60; net 9.40, VAT 19 % 1.79, gross 11.19
    assert values["total_cost_excl_vat"] == Decimal("9.40")
    assert values["total_vat"] == Decimal("1.79")
    assert values["total_cost_incl_vat"] == Decimal("11.19")
    assert [c["kind"] for c in values["price_components"]] == ["ENERGY", "TIME"]
    assert values["tariff"]["code"] == "CPO20240723073331" and values["tariff_code"] == "CPO20240723073331"
    assert values["auth_method"] == "WHITELIST" and values["token_type"] == "RFID" and values["token_uid"] == "AABBCC"
    assert values["power_type"] == "AC" and values["eichrecht_compliant"] is True
    assert values["status"] == "COMPLETED" and values["billable"] is True and values["remark"] == ""
    assert (values["city"], values["country"], values["evse_id"]) == ("München", "DEU", "DE*ISE*E1*1")


def test_dc_prices_and_remote_start() -> None:
    cp = {**CHARGE_POINT, "power_type": "DC"}
    values = building.cdr_values(session(auth_source="REMOTE"), cp, STATION, LOCATION, [], TARIFF, currency="EUR")
    assert values["power_type"] == "DC"
    assert values["total_cost_excl_vat"] == Decimal("13.20")  # 22 kWh x 0.60, no blocking fee on DC
    assert values["auth_method"] == "COMMAND" and values["token_type"] == "APP_USER"


def test_no_tariff_gives_zero_cost_and_a_remark() -> None:
    values = building.cdr_values(session(), CHARGE_POINT, STATION, LOCATION, [], None, currency="EUR")
    assert values["total_cost_incl_vat"] == 0 and values["price_components"] == []
    assert values["remark"] == building.NO_TARIFF_REMARK and values["tariff"] is None and values["currency"] == "EUR"


def test_meter_running_backwards_is_clamped_to_zero_energy() -> None:
    stopped = session(meter_stop_wh=500)
    values = building.cdr_values(stopped, CHARGE_POINT, STATION, LOCATION, [], TARIFF, currency="EUR")
    assert values["total_energy"] == 0
    assert values["total_cost_excl_vat"] == Decimal("0.60")  # only the blocking fee


def test_stale_and_fault_stops_are_failed() -> None:
    assert building.cdr_status("CLOSED_STALE", "STATION_REBOOTED") is building.CdrStatus.FAILED
    assert building.cdr_status("STOPPED", "PowerLoss") is building.CdrStatus.FAILED
    assert building.cdr_status("STOPPED", "EVDisconnected") is building.CdrStatus.FAILED
    assert building.cdr_status("STOPPED", "Local") is building.CdrStatus.COMPLETED


def test_stop_without_meter_stop_uses_last_reading_and_start_fallbacks() -> None:
    s = session(meter_stop_wh=None, last_meter_wh=6000, started_at=None, stopped_at=None)
    values = building.cdr_values(s, None, STATION, LOCATION, [], None, currency="EUR")
    assert values["total_energy"] == Decimal("5.000")
    assert values["start_date_time"] == T0 and values["end_date_time"] == T0 and values["total_time"] == 0
    assert values["charge_point"] is None and values["evse_id"] == "" and values["eichrecht_compliant"] is False


def test_parking_time_starts_when_the_meter_reached_its_final_value() -> None:
    readings = [meter(0, 1000), meter(30, 12000), meter(60, 23000), meter(75, 23000)]
    values = building.cdr_values(session(), CHARGE_POINT, STATION, LOCATION, readings, None, currency="EUR")
    assert values["total_parking_time"] == Decimal("0.500000")  # full at minute 60, stopped at 90
    # a session that never charged was parked all along
    assert building.parking_hours(T0, T0 + timedelta(hours=2), 100, 100, []) == Decimal("2.000000")
    # no reading reached the final value before the stop: no parking time known
    assert building.parking_hours(T0, T0 + timedelta(hours=2), 0, 500, [(T0, 0)]) == 0


def test_parking_time_is_priced_when_the_tariff_has_a_parking_price() -> None:
    tariff = TariffSnapshot(**{**TARIFF.__dict__, "parking_per_minute": Decimal("0.10")})
    readings = [meter(60, 23000)]
    values = building.cdr_values(session(), CHARGE_POINT, STATION, LOCATION, readings, tariff, currency="EUR")
    parking = [c for c in values["price_components"] if c["kind"] == "PARKING_TIME"]
    assert parking and Decimal(parking[0]["quantity"]) == 30 and Decimal(parking[0]["net"]) == Decimal("3.00")


def test_signed_values_are_kept_verbatim_with_their_nature() -> None:
    rows = [
        meter(0, 0, format="SignedData", value=OCMF, context="Transaction.Begin"),
        meter(5, 1500),
        meter(90, 0, format="SignedData", value=OCMF + "x", context="Transaction.End"),
    ]
    signed = building.signed_data_of(rows)
    assert signed is not None and signed["encoding_method"] == "OCMF"
    assert [v["nature"] for v in signed["signed_values"]] == ["Start", "End"]
    assert signed["signed_values"][0]["signed_data"] == OCMF and signed["signed_values"][1]["signed_data"] == OCMF + "x"
    other = building.signed_data_of([meter(1, 0, format="SignedData", value="0A1B2C", context="Sample.Clock")])
    assert other is not None and other["encoding_method"] == ""
    assert other["signed_values"][0]["nature"] == "Intermediate"
    assert building.signed_data_of([meter(1, 10)]) is None
    # signed values never count as energy readings
    values = building.cdr_values(session(), CHARGE_POINT, STATION, LOCATION, rows, None, currency="EUR")
    assert values["signed_data"]["signed_values"][0]["signed_data"] == OCMF


def test_a_session_the_engine_refuses_is_kept_without_price() -> None:
    values = building.cdr_values(session(), CHARGE_POINT, STATION, {**LOCATION, "time_zone": "Mars/Base"}, [], TARIFF,
                             currency="EUR")  # fmt: skip
    assert values["total_cost_incl_vat"] == 0 and values["remark"].startswith("not priced:")


def test_query_parsing_drops_what_it_does_not_know() -> None:
    q = charging_data.parse_query({"country": ["deu"], "power": "dc", "auth": "hack", "status": "completed",
                          "from": "2026-11-01", "to": "31.12.2026", "currency": "eur", "eichrecht": "YES",
                          "sort": "1;drop", "dir": "asc", "page": "x", "per_page": "7"})  # fmt: skip
    assert (q.country, q.power, q.auth, q.status) == ("DEU", "DC", "", "COMPLETED")
    assert (q.currency, q.eichrecht) == ("EUR", "yes")
    assert (q.date_from, q.date_to) == (date(2026, 11, 1), date(2026, 12, 31))
    assert (q.sort, q.descending, q.page, q.per_page) == ("start_date_time", False, 1, charging_data.DEFAULT_PAGE_SIZE)
    assert charging_data.parse_query(q.to_params()) == q
    odd = charging_data.parse_query({"from": "0001-01-01", "to": "9999-12-31"})
    assert (odd.date_from, odd.date_to) == (None, None)
    period = charging_data.default_period(charging_data.CdrQuery(), today=date(2026, 11, 30))
    assert (period.date_from, period.date_to) == (date(2026, 11, 1), date(2026, 11, 30))


def test_outbox_backoff_grows_and_is_capped() -> None:
    assert outbox.backoff(1) == timedelta(seconds=outbox.MIN_BACKOFF_SECONDS)
    assert outbox.backoff(2) == timedelta(seconds=2 * outbox.MIN_BACKOFF_SECONDS)
    assert outbox.backoff(30) == timedelta(seconds=outbox.MAX_BACKOFF_SECONDS)
    assert outbox.routes()[building.TOPIC] == building.JOB


@pytest.mark.parametrize("bad", ["NaN", "Infinity", "-Infinity", "sNaN", "abc", ""])
def test_readings_that_are_no_finite_numbers_are_left_out(bad: str) -> None:
    readings = [meter(0, 1000), {**meter(30, 12000), "value": bad}, meter(60, 23000), meter(75, 23000)]
    values = building.cdr_values(session(), CHARGE_POINT, STATION, LOCATION, readings, None, currency="EUR")
    assert values["total_parking_time"] == Decimal("0.500000")
