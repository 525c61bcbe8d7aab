"""An OCPI tariff made by hub.mapping.tariffs prices a session to the same cent as csms's own pricing engine
(core.tariffs.pricing), for many tariffs and sessions.

The small OCPI tariff calculator below follows mod_tariffs.asciidoc: for each dimension the first element that has
it and whose restrictions hold is used (``min_duration`` / ``max_duration`` against the session's duration so
far); TIME is time charging, PARKING_TIME time plugged in without charging; ``step_size`` rounds a dimension's
total up, billed at the price of the last period that used it; prices are per kWh, per hour, per session.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest

from core.tariffs.pricing import PriceSet, SessionFacts, TariffSnapshot, price_session
from hub.mapping.tariffs import exact_in_ocpi, tariff_object

T0 = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
HOUR = Decimal(3600)


@dataclass(frozen=True)
class Period:
    start: Decimal  # seconds since the session started
    end: Decimal
    charging: bool


def _holds(element: dict[str, Any], at: Decimal) -> bool:
    restrictions = element.get("restrictions") or {}
    if "min_duration" in restrictions and at < restrictions["min_duration"]:
        return False
    return not ("max_duration" in restrictions and at >= restrictions["max_duration"])


def _component(tariff: dict[str, Any], dimension: str, at: Decimal) -> dict[str, Any] | None:
    for element in tariff["elements"]:
        if not _holds(element, at):
            continue
        for component in element["price_components"]:
            if component["type"] == dimension:
                return component
    return None


def _boundaries(tariff: dict[str, Any]) -> set[Decimal]:
    found: set[Decimal] = set()
    for element in tariff["elements"]:
        for key in ("min_duration", "max_duration"):
            if key in (element.get("restrictions") or {}):
                found.add(Decimal(element["restrictions"][key]))
    return found


def ocpi_net_cost(tariff: dict[str, Any], periods: list[Period], energy_wh: int) -> Decimal:
    """The session's cost excluding VAT under an OCPI tariff, rounded once to cents."""
    total = Decimal(0)
    for dimension, charging in (("TIME", True), ("PARKING_TIME", False)):
        billed, last = Decimal(0), None
        for period in (p for p in periods if p.charging is charging):
            cuts = sorted(
                {period.start, period.end} | {b for b in _boundaries(tariff) if period.start < b < period.end}
            )
            for a, b in zip(cuts, cuts[1:], strict=False):
                component = _component(tariff, dimension, a)
                if component is not None:
                    total += (b - a) * Decimal(component["price"]) / HOUR
                    billed += b - a
                    last = component
        if last is not None and billed % last["step_size"]:
            extra = last["step_size"] - billed % last["step_size"]
            total += extra * Decimal(last["price"]) / HOUR
    energy = _component(tariff, "ENERGY", Decimal(0))
    if energy is not None:
        total += Decimal(energy_wh) / 1000 * Decimal(energy["price"])
    flat = _component(tariff, "FLAT", Decimal(0))
    if flat is not None:
        total += Decimal(flat["price"])
    return total.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _random_tariff(rng: random.Random) -> TariffSnapshot:
    def prices() -> PriceSet:
        return PriceSet(
            energy_per_kwh=Decimal(rng.randint(0, 9999)) / 10000,
            time_per_minute=Decimal(rng.choice([0, 0, 1, 2, 3, 5, 10])) / 100,  # whole cents per minute
            time_from_minute=rng.choice([0, 0, 30, 60, 90, 240]),
            session_fee=Decimal(rng.choice([0, 0, 50, 100, 299])) / 100,
        )

    return TariffSnapshot(
        tariff_id=1, code="CPO20261101080000", name="Zufall", currency="EUR", vat_rate=Decimal("19.00"),
        ac=prices(), dc=prices(), parking_per_minute=Decimal(rng.choice([0, 0, 1, 5, 10])) / 100,
        parking_from_minute=0,
    )  # fmt: skip


def _cases(seed: int, count: int) -> list[tuple[TariffSnapshot, str, Decimal, Decimal, int]]:
    """(tariff, power, charging seconds, idle seconds, Wh): whole minutes with idle time at the end, and sessions
    without idle time of any length in seconds (csms bills started minutes, OCPI's step_size does the same)."""
    rng = random.Random(seed)
    cases = []
    for i in range(count):
        tariff = _random_tariff(rng)
        if i % 2:
            charging, idle = Decimal(rng.randint(1, 600) * 60), Decimal(rng.choice([0, rng.randint(1, 240)]) * 60)
        else:
            charging, idle = Decimal(rng.randint(1, 36_000)), Decimal(0)
        cases.append((tariff, rng.choice(["AC", "DC"]), charging, idle, rng.randint(0, 150_000)))
    return cases


@pytest.mark.parametrize("case", _cases(seed=13, count=600), ids=lambda c: f"{c[1]}-{c[2]}s-{c[3]}s-{c[4]}Wh")
def test_ocpi_tariff_and_csms_price_the_session_to_the_same_cent(
    case: tuple[TariffSnapshot, str, Decimal, Decimal, int],
) -> None:
    snapshot, power, charging, idle, energy_wh = case
    assert exact_in_ocpi(snapshot)
    tariff = tariff_object(snapshot, power, country_code="DE", party_id="ISE", last_updated=T0)
    periods = [Period(Decimal(0), charging, True)] + ([Period(charging, charging + idle, False)] if idle else [])
    facts = SessionFacts(
        energy_wh=energy_wh, started_at=T0, stopped_at=T0 + timedelta(seconds=float(charging + idle)),
        power_type=power, idle_minutes=idle / 60,
    )  # fmt: skip
    assert ocpi_net_cost(tariff, periods, energy_wh) == price_session(snapshot, facts).net


def test_the_seed_example_blocking_fee_from_minute_60() -> None:
    """Seed 003: 0.02 EUR/min from minute 60. A 90 minute session with 20 kWh at 0.40 EUR/kWh: 8.00 + 0.60."""
    snapshot = TariffSnapshot(1, "CPO1", "Demo", "EUR", Decimal("19"), PriceSet(Decimal("0.40"), Decimal("0.02"), 60),
                              PriceSet(Decimal("0.50")))  # fmt: skip
    tariff = tariff_object(snapshot, "AC", country_code="DE", party_id="ISE", last_updated=T0)
    periods = [Period(Decimal(0), Decimal(75 * 60), True), Period(Decimal(75 * 60), Decimal(90 * 60), False)]
    assert ocpi_net_cost(tariff, periods, 20_000) == Decimal("8.60")
    facts = SessionFacts(20_000, T0, T0 + timedelta(minutes=90), "AC", idle_minutes=Decimal(15))
    assert price_session(snapshot, facts).net == Decimal("8.60")
