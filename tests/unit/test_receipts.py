"""Receipts of Direct Payment (core.payments.receipts): assembling one from its rows, the lookup form's rules and
which receipt a lookup matches, and the receipt mail's values and words in both languages."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from core.eichrecht.ocmf import TRANSPARENCY_SOFTWARE_URL
from core.errors import ValidationError
from core.mail.rendering import render
from core.payments.receipts import Lookup, assemble, mail_context, matches, parse_amount, parse_lookup

OCMF = 'OCMF|{"FV":"1.0","RD":[{"TM":"2026-07-01T22:30:00,000+0000 S","TX":"B","RV":1.0}]}|{"SD":"3045"}'
TODAY = date(2026, 7, 2)


def payment(**changes: Any) -> dict[str, Any]:
    return {
        "uid": "0f" * 16, "receipt_token": "tok-" + "x" * 28, "tenant": 1, "currency": "EUR", "evse_id": "DE*ABC*E1*1",
        "amount_captured": Decimal("4.76"), "amount_refunded": Decimal("0"), "card_brand": "Visa",
        "card_last4": "4242", "state_changed_at": datetime(2026, 7, 1, 23, 50, tzinfo=UTC), **changes,
    }  # fmt: skip


def cdr(**changes: Any) -> dict[str, Any]:
    return {
        "location_name": "Depot", "address": "Hauptstr. 1", "postal_code": "80331", "city": "München",
        "evse_id": "DE*ABC*E1*1", "start_date_time": datetime(2026, 7, 1, 22, 30, tzinfo=UTC),
        "end_date_time": datetime(2026, 7, 1, 23, 45, tzinfo=UTC), "total_energy": Decimal("10.000"),
        "currency": "EUR", "vat_rate": Decimal("19.00"), "total_cost_excl_vat": Decimal("4.00"),
        "total_vat": Decimal("0.76"), "total_cost_incl_vat": Decimal("4.76"), "tariff": {"name": "AC Standard"},
        "price_components": [{"kind": "ENERGY", "quantity": "10.000", "unit_price": "0.40", "net": "4.00"},
                             {"kind": "FLAT", "quantity": "1", "unit_price": "0", "net": "0.00"}],
        "signed_data": {"encoding_method": "OCMF", "signed_values": [{"signed_data": OCMF}, {"signed_data": ""}]},
        "signature_status": "NO_PUBLIC_KEY", **changes,
    }  # fmt: skip


LOCATION = {"name": "Depot (now)", "operator_name": "Stadtwerke Muster", "hotline": "+49 89 123", "time_zone":
            "Europe/Berlin", "operator_email": "service@sw.example", "operator_website": ""}  # fmt: skip


def test_assemble_takes_the_cdr_snapshot_and_the_local_time() -> None:
    receipt = assemble(payment(), cdr(), LOCATION, {"name": "Tenant GmbH"})
    assert receipt.operator_name == "Stadtwerke Muster" and receipt.operator_hotline == "+49 89 123"
    assert receipt.location_name == "Depot" and (receipt.address, receipt.city) == ("Hauptstr. 1", "München")
    # 22:30 UTC in July is 00:30 the next day in Berlin
    assert receipt.started_at is not None and receipt.started_at.isoformat() == "2026-07-02T00:30:00+02:00"
    assert receipt.stopped_at is not None and receipt.stopped_at.hour == 1 and receipt.stopped_at.minute == 45
    assert (receipt.net, receipt.vat, receipt.gross, receipt.vat_rate) == (
        Decimal("4.00"),
        Decimal("0.76"),
        Decimal("4.76"),
        Decimal("19.00"),
    )
    assert receipt.gross == receipt.amount_paid
    assert [(line.kind, line.unit, line.quantity, line.net) for line in receipt.lines] == [
        ("ENERGY", "kWh", Decimal("10.000"), Decimal("4.00")),
        ("FLAT", "", Decimal("1"), Decimal("0.00")),
    ]
    assert receipt.tariff_name == "AC Standard" and receipt.card_last4 == "4242" and receipt.card_brand == "Visa"
    assert receipt.signed_values == (OCMF,) and receipt.signed and not receipt.verified
    assert receipt.signature_status == "NO_PUBLIC_KEY" and receipt.transparency_url == TRANSPARENCY_SOFTWARE_URL
    assert receipt.reference == "0f" * 16 and receipt.token.startswith("tok-")


def test_assemble_without_operator_name_signed_data_or_time_zone() -> None:
    location = {**LOCATION, "operator_name": "", "time_zone": "Mars/Olympus"}
    receipt = assemble(payment(), cdr(signed_data=None, signature_status=""), location, {"name": "Tenant GmbH"})
    assert receipt.operator_name == "Tenant GmbH"
    assert receipt.time_zone == "Europe/Berlin"  # an unknown zone: the default, not a crash
    assert receipt.signature_status == "NOT_SIGNED" and not receipt.signed


def test_parse_amount() -> None:
    assert parse_amount("12,34") == Decimal("12.34") == parse_amount(" 12.34 € ")
    assert parse_amount("7") == Decimal("7") and parse_amount("4.76 EUR") == Decimal("4.76")
    assert parse_amount("1.234,56") is None and parse_amount("abc") is None and parse_amount("1.234") is None


def test_parse_lookup() -> None:
    lookup = parse_lookup(" de*abc*e1*1 ", "2026-07-02", "4,76", "", TODAY)
    assert lookup == Lookup("DE*ABC*E1*1", date(2026, 7, 2), Decimal("4.76"), "")
    assert parse_lookup("DE*ABC*E1*1", "2026-07-02", "", "4242", TODAY).last4 == "4242"
    with pytest.raises(ValidationError) as missing:
        parse_lookup("DE*ABC*E1*1", "2026-07-02", "", "", TODAY)
    assert set(missing.value.errors) == {"amount"}
    with pytest.raises(ValidationError) as wrong:
        parse_lookup("", "02.07.2026", "zwölf", "42", TODAY)
    assert set(wrong.value.errors) == {"evse_id", "date", "amount", "last4"}
    with pytest.raises(ValidationError) as future:
        parse_lookup("DE*ABC*E1*1", "2026-07-05", "1", "", TODAY)
    assert set(future.value.errors) == {"date"}


def test_a_lookup_matches_on_the_local_date_and_the_amount_or_card() -> None:
    receipt = assemble(payment(), cdr(), LOCATION, None)
    local_day = date(2026, 7, 2)  # the UTC date is the 1st
    assert matches(Lookup("DE*ABC*E1*1", local_day, Decimal("4.76"), ""), receipt)
    assert matches(Lookup("DE*ABC*E1*1", local_day, None, "4242"), receipt)
    assert matches(Lookup("DE*ABC*E1*1", local_day, Decimal("4.76"), "4242"), receipt)
    assert not matches(Lookup("DE*ABC*E1*1", date(2026, 7, 1), Decimal("4.76"), ""), receipt)
    assert not matches(Lookup("DE*ABC*E1*1", local_day, Decimal("4.75"), ""), receipt)
    assert not matches(Lookup("DE*ABC*E1*1", local_day, None, "1111"), receipt)
    assert not matches(Lookup("DE*ABC*E1*1", local_day, Decimal("4.76"), "1111"), receipt)
    assert not matches(Lookup("DE*ABC*E2*1", local_day, Decimal("4.76"), ""), receipt)


def test_the_receipt_mail_in_both_languages() -> None:
    receipt = assemble(payment(), cdr(total_cost_incl_vat=Decimal("1234.50")), LOCATION, None)
    german = render("receipt", "de", mail_context(receipt, "de"))
    english = render("receipt", "en", mail_context(receipt, "en"))
    assert german.subject == "Ihr Beleg: Laden an DE*ABC*E1*1, 1.234,50 EUR"
    assert english.subject == "Your receipt: charging at DE*ABC*E1*1, 1,234.50 EUR"
    assert "Beginn:        02.07.2026 00:30 (Europe/Berlin)" in german.text and "MwSt. 19 %" in german.text
    assert "/pay/receipt/tok-" in german.text and "/pay/receipt/tok-" in english.html
    assert "Visa •••• 4242" in english.text and TRANSPARENCY_SOFTWARE_URL in english.text
    assert "Stadtwerke Muster" in german.html and "Depot, Hauptstr. 1, 80331 München" in german.html


def test_the_lookup_accepts_the_evse_id_with_or_without_separators_in_any_case() -> None:
    receipt = assemble(payment(), cdr(), LOCATION, None)
    for typed in ("DE*ABC*E1*1", "de*abc*e1*1", "DEABCE11", "de abc e1 1", "DE-ABC-E1-1", " de*ABC*e1*1 "):
        lookup = parse_lookup(typed, "2026-07-02", "4.76", "", TODAY)  # 00:30 Berlin time on 2 July
        assert matches(lookup, receipt), typed
    assert not matches(parse_lookup("DEABCE12", "2026-07-02", "4.76", "", TODAY), receipt)
