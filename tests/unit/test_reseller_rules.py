"""Pure rules of the reseller pages: the invitation's state, the onboarding form's checks, the usage CSV's lines."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from core.errors import ValidationError
from core.months import Month
from core.products.assignments import ProductLine
from core.products.rules import MonthCharge
from core.resellers import sub_cpos, usage
from core.roaming.settlement import SettlementTotal
from core.tenancy.invitations import InvitationOutcome, invitation_state

NOW = datetime(2026, 12, 6, 12, tzinfo=UTC)
FORM = {
    "name": "Stadtwerke Nord", "slug": "Nord-1", "country_code": "DE", "party_id": " swn ", "debtor_number": "D-100",
    "admin_name": "Nora Nord", "admin_email": "nora@nord.example", "legal_name": "Stadtwerke Nord GmbH",
    "street": "Hafenstr. 2", "postal_code": "20457", "city": "Hamburg", "address_country": "DE",
    "vat_id": "de 987 654 321", "commercial_register": "", "support_email": "", "hotline": "",
}  # fmt: skip


@pytest.mark.parametrize(
    ("row", "active", "expected"),
    [
        (None, True, InvitationOutcome.INVALID),
        ({"used_at": None, "expires_at": NOW + timedelta(seconds=1)}, False, InvitationOutcome.INVALID),
        ({"used_at": NOW, "expires_at": NOW + timedelta(days=1)}, True, InvitationOutcome.USED),
        ({"used_at": None, "expires_at": NOW}, True, InvitationOutcome.EXPIRED),  # the end is exclusive
        ({"used_at": None, "expires_at": (NOW + timedelta(seconds=1)).replace(tzinfo=None)}, True,
         InvitationOutcome.OK),  # SQLite gives naive UTC
    ],
)  # fmt: skip
def test_invitation_state(row: dict | None, active: bool, expected: InvitationOutcome) -> None:
    assert invitation_state(row, active, NOW) is expected


def test_onboarding_form_cleans_party_id_slug_and_company_data() -> None:
    data, firm = sub_cpos.parse_onboarding(FORM)
    assert data["party_id"] == "SWN" and data["slug"] == "nord-1" and data["debtor_number"] == "D-100"
    assert firm["vat_id"] == "DE987654321" and "admin_email" not in firm and "legal_name" not in data


def test_onboarding_form_names_every_wrong_field_at_once() -> None:
    with pytest.raises(ValidationError) as caught:
        sub_cpos.parse_onboarding({**FORM, "party_id": "SW", "debtor_number": "", "admin_email": "nora",
                                   "postal_code": "2045", "country_code": "US"})  # fmt: skip
    assert set(caught.value.errors) == {"party_id", "debtor_number", "admin_email", "postal_code", "country_code"}


def test_usage_rows_in_german_number_format() -> None:
    line = ProductLine(7, "Depot 1", "EOPERATE_AC", "eOperate professional AC", "PRO_RATA", 990, "EUR",
                       MonthCharge(21, 31, 671))  # fmt: skip
    used = usage.SubCpoUsage(3, "Stadtwerke Nord", "D-100", [line], 12, Decimal("123.456"),
                             [SettlementTotal("EUR", 4, Decimal("40.5"), Decimal("12.30"), Decimal("2.34"),
                                              Decimal("14.64"))])  # fmt: skip
    rows = usage.export_rows(Month(2026, 10), [used], lambda text: f"<{text}>")
    assert rows == [
        ["2026-10", "Stadtwerke Nord", "D-100", "<Product>", "Depot 1", "eOperate professional AC", 21, "", "", "6,71",
         "EUR"],
        ["2026-10", "Stadtwerke Nord", "D-100", "<Charging sessions>", "", "", "", 12, "123,456", "", ""],
        ["2026-10", "Stadtwerke Nord", "D-100", "<Roaming revenue>", "", "", "", 4, "40,5", "12,30", "EUR"],
    ]  # fmt: skip
    assert len(rows[0]) == len(usage.HEADER)
    assert usage.german_number(Decimal("-1234.50")) == "-1234,50" and usage.cents(1490) == Decimal("14.90")
