"""The pricing engine: golden cases from seed 003 and properties that must hold for every session."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.tariffs.pricing import PriceSet, SessionFacts, TariffSnapshot, gross_unit_price, price_session, round_money

START = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)

# Seed 003, "Tarif anlegen": Demo Tarif, AC 0.40/kWh, DC 0.50/kWh, 0.02 EUR/min from minute 60.
SEED_TARIFF = TariffSnapshot(
    tariff_id=1,
    code="CPO20240723073331",
    name="Demo Tarif",
    currency="EUR",
    vat_rate=Decimal("19.0"),
    ac=PriceSet(Decimal("0.4000"), Decimal("0.0200"), 60),
    dc=PriceSet(Decimal("0.5000"), Decimal("0.0200"), 60),
)


def facts(energy_wh: int, minutes: float, power_type: str = "AC", idle: str = "0") -> SessionFacts:
    return SessionFacts(energy_wh, START, START + timedelta(minutes=minutes), power_type, Decimal(idle))


def test_seed_example_22_kwh_ac_90_minutes() -> None:
    price = price_session(SEED_TARIFF, facts(22_000, 90))
    kinds = {c.kind: c for c in price.components}
    assert kinds["ENERGY"].quantity == Decimal("22") and kinds["ENERGY"].net == Decimal("8.80")
    assert kinds["TIME"].quantity == Decimal("30") and kinds["TIME"].net == Decimal("0.60")
    assert (price.net, price.vat, price.gross) == (Decimal("9.40"), Decimal("1.79"), Decimal("11.19"))
    assert price.currency == "EUR" and price.vat_rate == Decimal("19.0")


def test_no_blocking_fee_within_the_first_60_minutes() -> None:
    price = price_session(SEED_TARIFF, facts(10_000, 60))
    assert [c.kind for c in price.components] == ["ENERGY"]
    assert price.net == Decimal("4.00")


def test_started_minute_after_the_free_time_is_charged() -> None:
    price = price_session(SEED_TARIFF, facts(0, 60 + 1 / 3))  # 60 min 20 s
    assert [(c.kind, c.quantity, c.net) for c in price.components] == [("TIME", Decimal(1), Decimal("0.02"))]


def test_dc_uses_dc_prices() -> None:
    price = price_session(SEED_TARIFF, facts(50_000, 30, "DC"))
    assert price.net == Decimal("25.00") and price.gross == Decimal("29.75")


def test_session_fee_and_parking_time() -> None:
    ac = PriceSet(Decimal("0.30"), session_fee=Decimal("1"))
    tariff = TariffSnapshot(2, "CPO1", "Park", "EUR", Decimal("19"), ac, PriceSet(Decimal("0.50")),
                            parking_per_minute=Decimal("0.10"), parking_from_minute=15)
    price = price_session(tariff, facts(1_234, 120, idle="45.5"))
    assert [(c.kind, c.quantity, c.net) for c in price.components] == [
        ("ENERGY", Decimal("1.234"), Decimal("0.37")),
        ("PARKING_TIME", Decimal(31), Decimal("3.10")),
        ("FLAT", Decimal(1), Decimal("1.00")),
    ]
    assert price.net == Decimal("4.47") and price.vat == Decimal("0.85") and price.gross == Decimal("5.32")


def test_rounding_is_half_up_per_component() -> None:
    assert round_money(Decimal("0.125"), "EUR") == Decimal("0.13")
    assert round_money(Decimal("12.5"), "JPY") == Decimal("13")
    tariff = TariffSnapshot(3, "C", "n", "EUR", Decimal("19"), PriceSet(Decimal("0.3333")), PriceSet(Decimal("0.3333")))
    assert price_session(tariff, facts(1_500, 5)).net == Decimal("0.50")  # 0.49995 -> 0.50


def test_gross_unit_price_for_the_form() -> None:
    assert gross_unit_price(Decimal("0.40"), Decimal("19")) == Decimal("0.4760")
    assert gross_unit_price(Decimal("0.0200"), Decimal("7")) == Decimal("0.0214")


def test_snapshot_round_trips_through_json() -> None:
    tariff = TariffSnapshot(9, "CPO20240723073331", "Demo", "EUR", Decimal("19.00"), SEED_TARIFF.ac, SEED_TARIFF.dc,
                            Decimal("0.05"), 30)
    assert TariffSnapshot.from_json(tariff.to_json()) == tariff


@pytest.mark.parametrize(
    "bad",
    [
        SessionFacts(-1, START, START, "AC"),
        SessionFacts(1, START, START - timedelta(seconds=1), "AC"),
        SessionFacts(1, START.replace(tzinfo=None), START.replace(tzinfo=None), "AC"),
        SessionFacts(1, START, START, "XX"),
        SessionFacts(1, START, START, "AC", time_zone="Mars/Olympus"),
        SessionFacts(1, START, START, "AC", idle_minutes=Decimal(-1)),
    ],
)
def test_bad_facts_are_refused_clearly(bad: SessionFacts) -> None:
    with pytest.raises(ValueError):
        price_session(SEED_TARIFF, bad)


money = st.decimals(min_value=0, max_value=5, places=4, allow_nan=False, allow_infinity=False)
price_sets = st.builds(PriceSet, money, money, st.integers(0, 240), money)
tariffs = st.builds(
    TariffSnapshot,
    st.just(1), st.just("CPO1"), st.just("t"), st.sampled_from(["EUR", "CHF", "JPY"]),
    st.decimals(min_value=0, max_value=30, places=2), price_sets, price_sets, money, st.integers(0, 120),
)
sessions = st.tuples(
    st.integers(0, 300_000),  # Wh
    st.integers(0, 3 * 24 * 3600),  # seconds
    st.sampled_from(["AC", "DC"]),
    st.decimals(min_value=0, max_value=600, places=2),  # idle minutes
)


def make(wh: int, seconds: int, power_type: str, idle: Decimal) -> SessionFacts:
    return SessionFacts(wh, START, START + timedelta(seconds=seconds), power_type, idle)


@settings(max_examples=300, deadline=None)
@given(tariffs, sessions)
def test_totals_are_consistent_and_never_negative(tariff: TariffSnapshot, session: tuple) -> None:
    price = price_session(tariff, make(*session))
    assert price.net >= 0 and price.vat >= 0 and price.gross >= 0
    assert price.net == sum((c.net for c in price.components), Decimal(0))
    assert price.gross == price.net + price.vat
    assert all(c.net >= 0 and c.quantity > 0 for c in price.components)


@settings(max_examples=300, deadline=None)
@given(tariffs, sessions, st.integers(0, 100_000), st.integers(0, 24 * 3600), st.decimals(0, 300, places=2))
def test_more_energy_time_or_idle_never_costs_less(
    tariff: TariffSnapshot, session: tuple, more_wh: int, more_seconds: int, more_idle: Decimal
) -> None:
    wh, seconds, power_type, idle = session
    base = price_session(tariff, make(wh, seconds, power_type, idle))
    assert price_session(tariff, make(wh + more_wh, seconds, power_type, idle)).gross >= base.gross
    assert price_session(tariff, make(wh, seconds + more_seconds, power_type, idle)).gross >= base.gross
    assert price_session(tariff, make(wh, seconds, power_type, idle + more_idle)).gross >= base.gross
