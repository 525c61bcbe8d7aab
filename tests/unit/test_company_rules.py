"""Company data (Unternehmensdaten): the form's checks, and what a receipt names as its issuer with and without them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from core.errors import ValidationError
from core.mail.rendering import render
from core.payments.receipts import assemble, issuer_address, mail_context
from core.tenancy.company import compact_vat_id, issuer, parse_company
from tests.unit.test_receipts import LOCATION, cdr, payment

VALID = {
    "legal_name": "Stadtwerke Muster GmbH", "street": "Hauptstr. 1", "postal_code": "80331", "city": "München",
    "address_country": "DE", "vat_id": "de 123 456 789", "commercial_register": "", "support_email": "",
    "hotline": "+49 89 123-0",
}  # fmt: skip


def errors_of(raw: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(ValidationError) as caught:
        parse_company(raw)
    return {key: message.msgid for key, message in caught.value.errors.items()}


def test_valid_company_data_is_cleaned() -> None:
    clean = parse_company(VALID)
    assert clean["vat_id"] == "DE123456789" and clean["postal_code"] == "80331"
    assert clean["legal_name"] == "Stadtwerke Muster GmbH" and clean["commercial_register"] == ""
    assert (
        parse_company({**VALID, "address_country": "NL", "postal_code": "1012 ab", "vat_id": "NL123456789B01"})[
            "postal_code"
        ]
        == "1012 AB"
    )
    assert compact_vat_id("ATU 1234-5678") == "ATU12345678"


def test_every_wrong_field_is_named_at_once() -> None:
    wrong = {**VALID, "legal_name": "", "postal_code": "8033", "vat_id": "123456789", "support_email": "no-at",
             "hotline": "call me", "address_country": "DE"}  # fmt: skip
    assert errors_of(wrong) == {
        "legal_name": "This field is required.",
        "postal_code": "Enter a postal code of the chosen country.",
        "vat_id": "Enter the VAT id with its country prefix, e.g. DE123456789.",
        "support_email": "Enter a valid e-mail address.",
        "hotline": "The format is not valid.",
    }
    assert errors_of({**VALID, "address_country": "XX"}) == {"address_country": "Choose one of the offered values."}
    assert errors_of({**VALID, "address_country": "AT"}) == {
        "postal_code": "Enter a postal code of the chosen country."
    }
    assert errors_of({**VALID, "street": " ", "city": ""}).keys() == {"street", "city"}


def test_the_receipt_names_the_cpo_with_its_address_and_vat_id() -> None:
    tenant = {"name": "Muster", **parse_company(VALID), "support_email": "hilfe@sw.example"}
    receipt = assemble(payment(), cdr(), {**LOCATION, "operator_email": "", "hotline": ""}, tenant)
    assert receipt.operator_name == "Stadtwerke Muster GmbH"
    assert receipt.operator_email == "hilfe@sw.example" and receipt.operator_hotline == "+49 89 123-0"
    assert receipt.issuer.vat_id == "DE123456789" and issuer_address(receipt.issuer) == "Hauptstr. 1, 80331 München"
    context = mail_context(receipt, "de")
    assert context["operator_address"] == "Hauptstr. 1, 80331 München" and context["operator_vat_id"] == "DE123456789"
    assert receipt.gross == Decimal("4.76")


def test_without_company_data_the_receipt_falls_back_to_the_names() -> None:
    bare = issuer({"name": "Tenant GmbH"})
    assert bare.name == "Tenant GmbH" and not bare.has_address and bare.vat_id == ""
    receipt = assemble(payment(), cdr(), {**LOCATION, "operator_name": ""}, {"name": "Tenant GmbH"})
    assert receipt.operator_name == "Tenant GmbH" and issuer_address(receipt.issuer) == ""
    assert (
        mail_context(receipt, "en")["operator_address"] == "" and mail_context(receipt, "en")["operator_vat_id"] == ""
    )
    # the location's operator name still comes before the account's name
    assert assemble(payment(), cdr(), LOCATION, {"name": "Tenant GmbH"}).operator_name == "Stadtwerke Muster"


def test_the_receipt_mail_signs_with_the_company_address_and_vat_id() -> None:
    tenant = {"name": "Muster", **parse_company(VALID)}
    receipt = assemble(payment(), cdr(), {**LOCATION, "operator_name": ""}, tenant)
    german = render("receipt", "de", mail_context(receipt, "de"))
    english = render("receipt", "en", mail_context(receipt, "en"))
    footer = "Stadtwerke Muster GmbH, Hauptstr. 1, 80331 München, USt-IdNr. DE123456789"
    assert footer in german.text and footer in german.html
    assert "Stadtwerke Muster GmbH, Hauptstr. 1, 80331 München, VAT id DE123456789" in english.text
    bare = render("receipt", "de", mail_context(assemble(payment(), cdr(), {**LOCATION, "operator_name": ""},
                                                         {"name": "Tenant GmbH"}), "de"))  # fmt: skip
    assert "Tenant GmbH, Hotline" in bare.text and "USt-IdNr." not in bare.text
