"""Unit prices as drivers read them (the driver page, the receipt): 2 decimals, a third (or, on the receipt's net
lines, a fourth) only when the price really has it."""

from decimal import Decimal

import pytest

from core.tariffs.pricing import gross_unit_price, shown_unit_price
from portal import i18n
from portal.templating import build_environment


@pytest.mark.parametrize(
    ("price", "shown"),
    [
        ("0.3900", "0.39"),  # padding zeros of the stored 4 decimals go
        ("0.399", "0.399"),  # PAngV allows a third decimal
        ("0.476", "0.476"),
        ("0.4760", "0.476"),
        ("0.0238", "0.024"),  # a fourth decimal is rounded half-up to the third
        ("0.3925", "0.393"),
        ("0.38996", "0.39"),  # rounds to 0.390: no real third decimal
        ("1", "1.00"),
        ("0", "0.00"),
        ("12.5", "12.50"),
    ],
)
def test_two_decimals_or_a_real_third(price: str, shown: str) -> None:
    result = shown_unit_price(Decimal(price))
    assert str(result) == shown


def test_the_receipt_keeps_a_fourth_decimal_when_the_net_price_has_it() -> None:
    assert str(shown_unit_price(Decimal("0.3277"), most=4)) == "0.3277"
    assert str(shown_unit_price(Decimal("0.4000"), most=4)) == "0.40"
    assert str(shown_unit_price(Decimal("0.4750"), most=4)) == "0.475"


def test_the_gross_price_of_the_seed_tariff() -> None:
    assert str(shown_unit_price(gross_unit_price(Decimal("0.40"), Decimal("19")))) == "0.476"
    assert str(shown_unit_price(gross_unit_price(Decimal("0.3277"), Decimal("19")))) == "0.39"  # 0.3900


@pytest.mark.parametrize(("language", "expected"), [("de", "0,39 | 0,399 | 1.234,50 | 0,3277"),
                                                    ("en", "0.39 | 0.399 | 1,234.50 | 0.3277")])  # fmt: skip
def test_the_template_filter_in_the_readers_language(language: str, expected: str) -> None:
    template = build_environment().from_string(
        "{{ a | unit_price }} | {{ b | unit_price }} | {{ c | unit_price }} | {{ d | unit_price(4) }}"
    )
    token = i18n.current_language.set(language)
    try:
        text = template.render(a=Decimal("0.3900"), b=Decimal("0.399"), c=Decimal("1234.5"), d=Decimal("0.3277"))
    finally:
        i18n.current_language.reset(token)
    assert text == expected
