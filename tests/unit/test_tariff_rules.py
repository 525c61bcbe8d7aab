"""The seed's rule: a price increase of more than 7 % over the highest tariff of the last 30 days needs 30 days'
notice. Checked at its edges, per component, AC against AC and DC against DC."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.tariffs.assignments import parse_valid_from
from core.tariffs.price_increase import check_price_increase
from core.tariffs.pricing import PriceSet, TariffSnapshot
from core.tariffs.tariffs import new_code, preview

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
BASE = TariffSnapshot(
    1, "CPO1", "Base", "EUR", Decimal("19"),
    ac=PriceSet(Decimal("0.40"), Decimal("0.02"), 60),
    dc=PriceSet(Decimal("0.50"), Decimal("0.02"), 60),
)  # fmt: skip


def with_ac(**changes: object) -> TariffSnapshot:
    return replace(BASE, ac=replace(BASE.ac, **changes))


def with_dc(**changes: object) -> TariffSnapshot:
    return replace(BASE, dc=replace(BASE.dc, **changes))


def test_exactly_seven_percent_needs_no_notice() -> None:
    check = check_price_increase(with_ac(energy_per_kwh=Decimal("0.428")), [BASE], NOW, NOW)
    assert check.allowed and not check.needs_lead_time


def test_just_above_seven_percent_needs_thirty_days() -> None:
    new = with_ac(energy_per_kwh=Decimal("0.4281"))
    check = check_price_increase(new, [BASE], NOW, NOW)
    assert not check.allowed and check.earliest_valid_from == NOW + timedelta(days=30)
    (increase,) = check.increases
    assert (increase.component, increase.previous, increase.new, increase.percent) == (
        "ac_energy_per_kwh",
        Decimal("0.40"),
        Decimal("0.4281"),
        Decimal("7.03"),
    )


@pytest.mark.parametrize(
    ("ahead", "allowed"),
    [
        (timedelta(days=29), False),
        (timedelta(days=30) - timedelta(seconds=1), False),
        (timedelta(days=30), True),
        (timedelta(days=45), True),
    ],
)
def test_lead_time_edges(ahead: timedelta, allowed: bool) -> None:
    new = with_ac(energy_per_kwh=Decimal("0.60"))
    assert check_price_increase(new, [BASE], NOW + ahead, NOW).allowed is allowed


def test_ac_is_compared_with_ac_and_dc_with_dc() -> None:
    # New AC price above the old AC price but below the old DC price: still an AC increase.
    assert not check_price_increase(with_ac(energy_per_kwh=Decimal("0.45")), [BASE], NOW, NOW).allowed
    # A DC price cut and an AC price equal to the old DC price: AC rose by 25 %.
    new = replace(BASE, ac=replace(BASE.ac, energy_per_kwh=Decimal("0.50")), dc=replace(BASE.dc, energy_per_kwh=0))
    assert [i.component for i in check_price_increase(new, [BASE], NOW, NOW).increases] == ["ac_energy_per_kwh"]
    # A DC increase alone is detected as DC.
    dc = check_price_increase(with_dc(energy_per_kwh=Decimal("0.54")), [BASE], NOW, NOW)
    assert [i.component for i in dc.increases] == ["dc_energy_per_kwh"]


def test_compared_with_the_highest_of_the_last_30_days() -> None:
    dearer = with_ac(energy_per_kwh=Decimal("0.60"))
    # 0.62 is +55 % over BASE but only +3.3 % over the dearer tariff that was also active recently.
    check = check_price_increase(with_ac(energy_per_kwh=Decimal("0.62")), [BASE, dearer], NOW, NOW)
    assert check.allowed


def test_per_minute_and_session_fees_are_components_too() -> None:
    assert not check_price_increase(with_ac(time_per_minute=Decimal("0.03")), [BASE], NOW, NOW).allowed
    new_fee = check_price_increase(with_dc(session_fee=Decimal("0.50")), [BASE], NOW, NOW)
    assert [(i.component, i.percent) for i in new_fee.increases] == [("dc_session_fee", None)]
    parking = check_price_increase(replace(BASE, parking_per_minute=Decimal("0.10")), [BASE], NOW, NOW)
    assert [i.component for i in parking.increases] == ["parking_per_minute"]


def test_fewer_free_minutes_is_an_increase_more_is_not() -> None:
    earlier = check_price_increase(with_ac(time_from_minute=30), [BASE], NOW, NOW)
    assert [i.component for i in earlier.increases] == ["ac_time_from_minute"]
    assert check_price_increase(with_ac(time_from_minute=90), [BASE], NOW, NOW).allowed


def test_price_cuts_and_first_tariffs_need_no_notice() -> None:
    assert check_price_increase(with_ac(energy_per_kwh=Decimal("0.10")), [BASE], NOW, NOW).allowed
    assert check_price_increase(with_ac(energy_per_kwh=Decimal("9")), [], NOW, NOW).allowed


def test_code_and_valid_from_parsing() -> None:
    assert new_code(datetime(2024, 7, 23, 7, 33, 31, tzinfo=UTC)) == "CPO20240723073331"
    # A datetime-local value is Berlin time (CET in winter: UTC+1).
    assert parse_valid_from("2026-12-01T10:00") == datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    assert parse_valid_from("2026-12-01T10:00:00+00:00") == datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def test_preview_is_the_seed_example() -> None:
    price = preview(BASE)
    assert (price.net, price.vat, price.gross) == (Decimal("9.40"), Decimal("1.79"), Decimal("11.19"))


factors = st.decimals(min_value=Decimal("0.5"), max_value=Decimal("2"), places=4)


@settings(max_examples=200, deadline=None)
@given(factors)
def test_scaling_every_price_is_judged_by_the_factor(factor: Decimal) -> None:
    def scaled(prices: PriceSet) -> PriceSet:
        return replace(
            prices, energy_per_kwh=prices.energy_per_kwh * factor, time_per_minute=prices.time_per_minute * factor
        )

    new = replace(BASE, ac=scaled(BASE.ac), dc=scaled(BASE.dc))
    check = check_price_increase(new, [BASE], NOW, NOW)
    assert check.allowed is (factor <= Decimal("1.07"))


def test_assignment_states_of_one_charge_point() -> None:
    from core.tariffs.assignments import AssignmentState, assignment_states

    now = datetime(2026, 11, 1, 12, tzinfo=UTC)

    def row(id_: int, days: int, cancelled: bool = False) -> dict[str, object]:
        return {"id": id_, "valid_from": now + timedelta(days=days), "cancelled_at": now if cancelled else None}

    rows = [row(1, -10), row(2, -5), row(3, 5), row(4, 7, cancelled=True), row(5, 9), row(6, 9)]
    assert assignment_states(rows, now) == {  # type: ignore[arg-type]
        1: AssignmentState.PAST, 2: AssignmentState.ACTIVE, 3: AssignmentState.SCHEDULED,
        4: AssignmentState.CANCELLED, 5: AssignmentState.SUPERSEDED, 6: AssignmentState.SCHEDULED,
    }  # fmt: skip
