"""The month rules of products (core.products.rules): 360.SUPPORT's full month (seed 001) and eOperate's pro rata."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from core.months import Month
from core.products.rules import BillingRule, active_at_month_end, assigned_days, month_charge

BERLIN = ZoneInfo("Europe/Berlin")
PRICE = 1490


def at(text: str) -> datetime:
    """A local Berlin time, as the UTC instant csms stores."""
    return datetime.fromisoformat(text).replace(tzinfo=BERLIN).astimezone(UTC)


def full(intervals: list[tuple[datetime, datetime | None]], month: Month) -> int:
    return month_charge(BillingRule.FULL_MONTH, PRICE, intervals, month, BERLIN).net_cents


def test_the_activation_month_is_billed_in_full_whatever_the_day() -> None:
    for day in ("2026-03-01 00:00", "2026-03-15 12:00", "2026-03-31 23:59"):
        assert full([(at(day), None)], Month(2026, 3)) == PRICE
    assert full([(at("2026-03-31 23:59"), None)], Month(2026, 2)) == 0  # nothing before it


def test_the_deactivation_month_is_not_billed_the_months_between_are() -> None:
    service = [(at("2026-01-20 09:00"), at("2026-04-02 10:00"))]
    assert [full(service, Month(2026, m)) for m in (1, 2, 3, 4, 5)] == [PRICE, PRICE, PRICE, 0, 0]


def test_deactivation_on_the_last_evening_still_leaves_the_month_unbilled() -> None:
    service = [(at("2026-01-20 09:00"), at("2026-02-28 23:59"))]
    assert full(service, Month(2026, 2)) == 0


def test_reactivation_within_the_month_of_a_deactivation_bills_that_month_once() -> None:
    service = [(at("2026-01-10 08:00"), at("2026-03-05 08:00")), (at("2026-03-20 08:00"), None)]
    assert [full(service, Month(2026, m)) for m in (1, 2, 3, 4)] == [PRICE, PRICE, PRICE, PRICE]


def test_activation_and_deactivation_on_the_same_day_bills_nothing() -> None:
    assert full([(at("2026-05-12 08:00"), at("2026-05-12 17:00"))], Month(2026, 5)) == 0


def test_year_edge_activation_on_new_years_eve() -> None:
    service = [(at("2026-12-31 22:00"), at("2027-01-01 10:00"))]
    assert full(service, Month(2026, 12)) == PRICE  # active at the end of December
    assert full(service, Month(2027, 1)) == 0  # and deactivated in January


def test_time_zone_a_utc_evening_can_be_the_next_local_month() -> None:
    # 31 January 23:30 UTC is 1 February 00:30 in Berlin: the activation month is February.
    start = datetime(2026, 1, 31, 23, 30, tzinfo=UTC)
    assert not active_at_month_end([(start, None)], Month(2026, 1), BERLIN)
    assert full([(start, None)], Month(2026, 2)) == PRICE
    # A tenant in UTC activated it in January: January is its activation month.
    assert active_at_month_end([(start, None)], Month(2026, 1), ZoneInfo("UTC"))
    assert (
        month_charge(BillingRule.FULL_MONTH, PRICE, [(start, None)], Month(2026, 1), ZoneInfo("UTC")).net_cents == PRICE
    )


def test_pro_rata_counts_the_start_day_not_the_end_day() -> None:
    assert assigned_days([(at("2026-04-10 15:00"), at("2026-04-20 09:00"))], Month(2026, 4), BERLIN) == 10
    charge = month_charge(BillingRule.PRO_RATA, 3000, [(at("2026-04-10 15:00"), None)], Month(2026, 4), BERLIN)
    assert (charge.days, charge.month_days, charge.net_cents) == (21, 30, 2100)


def test_pro_rata_whole_month_is_exactly_the_price_also_in_the_dst_month() -> None:
    for month in (Month(2026, 3), Month(2026, 10), Month(2026, 2)):
        charge = month_charge(BillingRule.PRO_RATA, 990, [(at("2025-12-01 00:00"), None)], month, BERLIN)
        assert charge.net_cents == 990 and charge.days == charge.month_days


def test_pro_rata_rounds_half_up_to_the_cent_and_counts_overlaps_once() -> None:
    overlapping = [(at("2026-02-01 00:00"), at("2026-02-11 00:00")), (at("2026-02-05 00:00"), at("2026-02-15 00:00"))]
    charge = month_charge(BillingRule.PRO_RATA, 990, overlapping, Month(2026, 2), BERLIN)
    assert charge.days == 14 and charge.net_cents == 495  # 990 * 14 / 28
    odd = month_charge(BillingRule.PRO_RATA, 1000, [(at("2026-01-01 00:00"), at("2026-01-02 00:00"))], Month(2026, 1),
                       BERLIN)  # fmt: skip
    assert odd.net_cents == 32  # 1000 / 31 = 32.26


def test_pro_rata_same_day_start_and_end_costs_nothing() -> None:
    charge = month_charge(BillingRule.PRO_RATA, 990, [(at("2026-06-03 08:00"), at("2026-06-03 18:00"))],
                          Month(2026, 6), BERLIN)  # fmt: skip
    assert charge.net_cents == 0 and charge.days == 0
