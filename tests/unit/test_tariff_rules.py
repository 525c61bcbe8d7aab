"""Tariff rules without a database: which prices a tariff needs, and which of its prices exist for display."""

from __future__ import annotations

from decimal import Decimal

from core.tariffs.tariffs import PriceComponent, missing_prices, price_components

AC_ONLY = {"ac_energy_per_kwh": "0,39", "ac_session_fee": "1", "dc_energy_per_kwh": "", "dc_time_per_minute": ""}


def test_an_ac_only_tariff_needs_no_dc_prices() -> None:
    assert missing_prices(AC_ONLY) == {}
    assert missing_prices({"dc_energy_per_kwh": "0,59"}) == {}  # DC only


def test_a_priced_power_type_needs_its_price_per_kwh() -> None:
    errors = missing_prices({"ac_energy_per_kwh": "0,39", "dc_session_fee": "2"})
    assert list(errors) == ["dc_energy_per_kwh"]
    assert errors["dc_energy_per_kwh"].msgid == "This field is required."


def test_a_tariff_without_any_price_is_refused() -> None:
    errors = missing_prices({"ac_energy_per_kwh": " ", "parking_per_minute": "0,1"})
    assert set(errors) == {"ac_energy_per_kwh", "dc_energy_per_kwh"}
    assert errors["ac_energy_per_kwh"].msgid == "Enter the prices for AC, DC or both."


def test_zero_is_a_price_entered() -> None:
    assert missing_prices({"ac_energy_per_kwh": "0"}) == {}  # a free AC tariff is a tariff


def test_only_the_prices_that_exist_are_shown_with_the_session_fee() -> None:
    row = {
        "ac_energy_per_kwh": Decimal("0.39"), "ac_time_per_minute": Decimal("0"), "ac_time_from_minute": 0,
        "ac_session_fee": Decimal("1.00"), "dc_energy_per_kwh": Decimal("0"), "dc_time_per_minute": Decimal("0"),
        "dc_time_from_minute": 0, "dc_session_fee": Decimal("0"), "parking_per_minute": Decimal("0.10"),
        "parking_from_minute": 240,
    }  # fmt: skip
    assert price_components(row) == [
        PriceComponent("ac_energy_per_kwh", "AC", "energy", Decimal("0.39")),
        PriceComponent("ac_session_fee", "AC", "session_fee", Decimal("1.00")),
        PriceComponent("parking_per_minute", "", "parking", Decimal("0.10"), 240),
    ]


def test_a_blocking_fee_keeps_its_first_minute() -> None:
    row = {"dc_energy_per_kwh": "0.59", "dc_time_per_minute": "0.05", "dc_time_from_minute": 60}
    assert price_components(row) == [
        PriceComponent("dc_energy_per_kwh", "DC", "energy", Decimal("0.59")),
        PriceComponent("dc_time_per_minute", "DC", "time", Decimal("0.05"), 60),
    ]
