"""The pure rules of the monthly billing run (core.billing.rules) at their edges: rounding half up (and a credit
mirroring a charge), VAT, the 2 % commission with zero and negative revenue, who is billed in each reseller model,
the lines' natural keys; and the pro-rata day count the run relies on against a day-by-day count."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.billing import rules
from core.billing.rules import LineKind, TenantRef
from core.months import Month
from core.products.rules import assigned_days


def test_half_up_rounds_half_a_cent_away_from_zero() -> None:
    assert [rules.half_up(Decimal(v)) for v in ("0.5", "0.49", "1.5", "2.5", "-0.5", "-0.49", "-2.5", "0")] == [
        1, 0, 2, 3, -1, 0, -3, 0]  # fmt: skip


def test_vat_is_the_billed_tenants_rate_on_the_net_rounded_half_up() -> None:
    assert rules.amounts(990, Decimal("19.00")) == rules.Amounts(990, Decimal("19.00"), 188, 1178)  # 188.1
    assert rules.amounts(50, "19") == rules.Amounts(50, Decimal("19.00"), 10, 60)  # 9.5 -> 10
    assert rules.amounts(-50, "19") == rules.Amounts(-50, Decimal("19.00"), -10, -60)  # a credit mirrors it
    assert rules.amounts(1490, "7.7") == rules.Amounts(1490, Decimal("7.70"), 115, 1605)  # CH: 114.73
    assert rules.amounts(990, "0") == rules.Amounts(990, Decimal("0.00"), 0, 990)
    assert rules.amounts(0, "19") == rules.Amounts(0, Decimal("19.00"), 0, 0)


def test_commission_is_a_two_percent_credit_rounded_half_up() -> None:
    assert rules.commission_cents(0) == 0  # no revenue: no line
    assert rules.commission_cents(24) == 0  # 0.48 cent
    assert rules.commission_cents(25) == -1  # 0.5 cent: up
    assert rules.commission_cents(12345) == -247  # 2.469 EUR
    assert rules.commission_cents(1025) == -21  # 0.205
    assert rules.commission_cents(100_000) == -2000
    assert rules.commission_cents(-25) == 1  # more credited than charged: the commission on it is taken back


def test_who_is_billed_in_each_model() -> None:
    cpo = TenantRef(1, None, "")
    under_reseller = TenantRef(2, 10, "RESELLER")
    under_affiliate = TenantRef(3, 11, "AFFILIATE")
    assert [rules.product_debtor(t) for t in (cpo, under_reseller, under_affiliate)] == [1, 10, 3]
    assert [rules.commission_receiver(t) for t in (cpo, under_reseller, under_affiliate)] == [None, None, 11]


def test_line_keys_differ_per_station_product_and_currency() -> None:
    keys = {
        rules.line_key("2026-10", 7, LineKind.PRODUCT, station_id=1, product="EOPERATE_AC"),
        rules.line_key("2026-10", 7, LineKind.PRODUCT, station_id=1, product="SUPPORT_360"),
        rules.line_key("2026-10", 7, LineKind.PRODUCT, station_id=2, product="EOPERATE_AC"),
        rules.line_key("2026-11", 7, LineKind.PRODUCT, station_id=1, product="EOPERATE_AC"),
        rules.line_key("2026-10", 7, LineKind.COMMISSION, currency="EUR"),
        rules.line_key("2026-10", 7, LineKind.COMMISSION, currency="CHF"),
        rules.line_key("2026-10", 8, LineKind.COMMISSION, currency="EUR"),
    }
    assert len(keys) == 7 and all(len(key) <= 120 for key in keys)


BERLIN = ZoneInfo("Europe/Berlin")
_spans = st.lists(
    st.tuples(st.integers(min_value=-40, max_value=70), st.one_of(st.none(), st.integers(min_value=0, max_value=50))),
    min_size=1, max_size=4,
)  # fmt: skip


# the shared machine can be slow to generate examples: no deadline, no speed health check
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_spans, st.sampled_from([Month(2026, 2), Month(2026, 3), Month(2026, 10), Month(2024, 12)]))
def test_the_day_count_is_the_days_of_the_union_of_the_assignments(spans: list[tuple[int, int | None]],
                                                                    month: Month) -> None:  # fmt: skip
    """core.products.rules.assigned_days (interval arithmetic, fast for a run over 10,000 stations) counts what a
    day-by-day walk counts: the local days of the month on which any of the assignments held the product."""
    base = datetime(month.year, month.month, 1, 9, tzinfo=UTC)
    intervals = [(base + timedelta(days=start, hours=7 * start % 24),
                  None if length is None else base + timedelta(days=start + length, hours=5))
                 for start, length in spans]  # fmt: skip
    first = date(month.year, month.month, 1)
    following = month.next()
    last = date(following.year, following.month, 1)
    walked = set()
    for start, stop in intervals:
        day = max(start.astimezone(BERLIN).date(), first)
        until = min(stop.astimezone(BERLIN).date(), last) if stop is not None else last
        while day < until:
            walked.add(day)
            day += timedelta(days=1)
    assert assigned_days(intervals, month, BERLIN) == len(walked)
