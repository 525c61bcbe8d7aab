"""The values of 360.SUPPORT's confirmation mails (core.products.support.mail_context): the tenant's language for
numbers, its VAT for the gross price, its local date, and the links to the station and its sticker sheet."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from core.mail.rendering import render
from core.products.support import gross_cents, mail_context

TENANT = {"name": "Stadtwerke <Nord>", "country_code": "DE", "language": "", "vat_rate": Decimal("19.00"),
          "currency": "EUR"}  # fmt: skip
STATION = {"id": 7, "name": "", "charge_box_id": "CB-7", "technician_name": "Max Techniker",
           "technician_phone": "+49 89 555123", "technician_email": ""}  # fmt: skip
# 23:30 UTC on 31 January is 1 February in Berlin: the local date is the one a person reads
ASSIGNMENT = {"id": 3, "monthly_net_cents": 123456, "starts_at": datetime(2026, 1, 31, 23, 30, tzinfo=UTC),
              "ends_at": datetime(2026, 3, 1, 12, 0, tzinfo=UTC)}  # fmt: skip


def test_gross_is_rounded_half_up_to_the_cent() -> None:
    assert gross_cents(1490, Decimal("19.00")) == 1773  # 17.731
    assert gross_cents(50, Decimal("7.00")) == 54  # 53.5
    assert gross_cents(1490, Decimal("0")) == 1490


def test_german_tenant_reads_german_numbers_and_its_local_dates() -> None:
    context = mail_context(STATION, TENANT, ASSIGNMENT, "https://csms.example")
    assert context["monthly_net"] == "1.234,56" and context["monthly_gross"] == "1.469,13"
    assert context["vat_rate"] == "19,00" and context["since"] == "01.02.2026" and context["until"] == "01.03.2026"
    assert context["station_name"] == "CB-7" and context["technician"] == "Max Techniker, +49 89 555123"
    assert context["stickers_url"] == "https://csms.example/operations/stations/7/support360/stickers"
    mail = render("support360_activated", "de", {"recipient": "a@b.example", **context})
    assert mail.subject == "360.SUPPORT aktiviert: CB-7"
    assert "1.234,56 EUR netto (1.469,13 EUR mit 19,00 % MwSt.)" in mail.text
    assert "Stadtwerke &lt;Nord&gt;" in mail.html and "Stadtwerke <Nord>" in mail.text


def test_english_tenant_reads_english_numbers() -> None:
    context = mail_context(STATION, {**TENANT, "language": "en"}, {**ASSIGNMENT, "ends_at": None}, "https://x")
    assert context["monthly_net"] == "1,234.56" and context["until"] == ""
    mail = render("support360_deactivated", "en", {"recipient": "a@b.example", **context})
    assert mail.subject == "360.SUPPORT ended: CB-7" and "The month of the deactivation is not billed." in mail.text
