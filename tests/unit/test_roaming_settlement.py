"""Roaming settlement totals per currency (core.roaming.settlement.currency_totals) and the month rules."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from core.roaming import settlement
from core.roaming.settlement import SettlementRow, SettlementTotal


def row(partner: int, currency: str, sessions: int, kwh: str, net: str, vat: str, gross: str) -> SettlementRow:
    return SettlementRow(currency, sessions, Decimal(kwh), Decimal(net), Decimal(vat), Decimal(gross),
                         partner_id=partner, partner=f"P{partner}")  # fmt: skip


def test_totals_add_up_per_currency_in_the_order_currencies_first_appear() -> None:
    rows = [
        row(1, "EUR", 3, "30.000", "12.00", "2.28", "14.28"),
        row(1, "CHF", 1, "5.500", "3.00", "0.23", "3.23"),
        row(2, "EUR", 2, "12.250", "4.90", "0.93", "5.83"),
    ]
    assert settlement.currency_totals(rows) == [
        SettlementTotal("EUR", 5, Decimal("42.250"), Decimal("16.90"), Decimal("3.21"), Decimal("20.11")),
        SettlementTotal("CHF", 1, Decimal("5.500"), Decimal("3.00"), Decimal("0.23"), Decimal("3.23")),
    ]


def test_no_rows_no_totals() -> None:
    assert settlement.currency_totals([]) == []


def test_the_month_defaults_to_the_one_before() -> None:
    assert settlement.parse_month("2026-03", date(2026, 12, 6)) == date(2026, 3, 1)
    assert settlement.parse_month("2026-13", date(2026, 1, 6)) == date(2025, 12, 1)
    assert settlement.parse_month(None, date(2026, 12, 6)) == date(2026, 11, 1)
