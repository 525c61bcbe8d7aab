"""Receipts of Direct Payment charges (issue 15): what the driver gets after a paid session.

A receipt is assembled from the payment, the session's current CDR (core.cdrs: the captured amount is its gross
total), the location and the tenant: the CPO's name and contacts, the EVSE-ID and location, start and stop in the
station's local time, the energy, the price (net, VAT rate, VAT, gross and the tariff's components), the payment
reference, the card, and the signed meter data (OCMF) with the verification result of core.eichrecht (stored on the
CDR when it was made) and the link to the S.A.F.E. transparency software to check it independently.

- ``assemble`` is the pure part (unit tested); ``receipt_by_token`` / ``receipt_of_payment`` load the rows.
- A receipt is found by the payment's ``receipt_token`` (random, stored with the payment; the page's address) or by
  the public lookup ``find_receipt``: EVSE-ID + local date + amount, or EVSE-ID + local date + the card's last four
  digits. The lookup is throttled by the caller (portal) and answers None for "nothing found" only.
- ``send_receipt`` is the receipt step of core.payments.recovery (registered by csms.wiring): it queues the mail in
  the driver's language with a dedupe key per payment; the payment then moves to receipt_sent.
"""

from __future__ import annotations

import logging
import re
import secrets
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core import outbox
from core.cdrs.tables import Cdr
from core.charging.tables import ChargingSession
from core.db import transaction
from core.eichrecht.ocmf import TRANSPARENCY_SOFTWARE_URL, SignatureStatus
from core.errors import Message, ValidationError
from core.infrastructure.evse_id import compact_evse_id
from core.infrastructure.tables import Location
from core.mail import mail_language, queue_mail
from core.payments import service
from core.payments.states import PaymentState
from core.payments.tables import Payment
from core.settings import get_settings
from core.tenancy.company import ISSUER_COLUMNS, Issuer, issuer
from core.tenancy.tables import Tenant

log = logging.getLogger("csms.payments")
S = PaymentState
# payments that have a receipt: money was taken (a later refund keeps the receipt of the charge)
WITH_RECEIPT = (S.CAPTURED.value, S.RECEIPT_SENT.value, S.REFUNDED.value)
DEFAULT_TIME_ZONE = "Europe/Berlin"
TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
BRANDS = {
    "visa": "Visa",
    "mastercard": "Mastercard",
    "amex": "American Express",
    "maestro": "Maestro",
    "girocard": "girocard",
}  # the providers' brand codes as printed on cards
UNITS = {"ENERGY": "kWh", "TIME": "min", "PARKING_TIME": "min", "FLAT": ""}


@dataclass(frozen=True)
class ReceiptLine:
    """One component of the price (net): energy, time, parking or the session fee."""

    kind: str  # core.tariffs.pricing.PriceComponent.kind
    quantity: Decimal
    unit: str  # kWh, min or "" (the session fee)
    unit_price: Decimal  # net
    net: Decimal


@dataclass(frozen=True)
class Receipt:
    reference: str  # the payment's public reference (uid)
    token: str
    operator_name: str
    operator_hotline: str
    operator_email: str
    operator_website: str
    location_name: str
    address: str  # street and number
    postal_code: str
    city: str
    evse_id: str
    started_at: datetime | None  # in the station's local time
    stopped_at: datetime | None
    time_zone: str
    energy_kwh: Decimal
    currency: str
    vat_rate: Decimal
    net: Decimal
    vat: Decimal
    gross: Decimal
    lines: tuple[ReceiptLine, ...]
    tariff_name: str
    amount_paid: Decimal  # what was taken from the card (equals ``gross``)
    amount_refunded: Decimal
    card_brand: str
    card_last4: str
    paid_at: datetime | None  # local time of the capture (the payment's last state change)
    signature_status: str  # core.eichrecht.ocmf.SignatureStatus
    issuer: Issuer  # the CPO's company data (core.tenancy.company): legal name, postal address, VAT id
    signed_values: tuple[str, ...] = field(default=())  # the OCMF documents verbatim
    transparency_url: str = TRANSPARENCY_SOFTWARE_URL

    @property
    def signed(self) -> bool:
        return bool(self.signed_values)

    @property
    def verified(self) -> bool:
        return self.signature_status == SignatureStatus.VALID


def local_zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or DEFAULT_TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_TIME_ZONE)


def brand_name(code: str) -> str:
    return BRANDS.get(code.lower(), code.title()) if code else ""


def _local(at: datetime | None, zone: ZoneInfo) -> datetime | None:
    if at is None:
        return None
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(zone)


def _lines(components: list[dict[str, Any]] | None) -> tuple[ReceiptLine, ...]:
    return tuple(
        ReceiptLine(str(c.get("kind", "")), Decimal(str(c.get("quantity", "0"))), UNITS.get(str(c.get("kind")), ""),
                    Decimal(str(c.get("unit_price", "0"))), Decimal(str(c.get("net", "0"))))
        for c in components or []
    )  # fmt: skip


def assemble(
    payment: dict[str, Any], cdr: dict[str, Any], location: dict[str, Any] | None, tenant: dict[str, Any] | None
) -> Receipt:
    """The receipt of a captured payment from its rows (``cdr`` is the session's current CDR)."""
    location = location or {}
    zone = local_zone(location.get("time_zone"))
    signed = cdr.get("signed_data") or {}
    tariff = cdr.get("tariff") or {}
    company = issuer(tenant)
    return Receipt(
        reference=payment["uid"], token=payment.get("receipt_token") or "",
        # the CPO's legal name once entered; before that the location's operator, else the tenant's name
        operator_name=(tenant or {}).get("legal_name") or location.get("operator_name") or company.name,
        operator_hotline=location.get("hotline") or company.hotline,
        operator_email=location.get("operator_email") or company.email,
        operator_website=location.get("operator_website", ""),
        location_name=cdr.get("location_name") or location.get("name", ""),
        address=cdr.get("address") or location.get("address", ""),
        postal_code=cdr.get("postal_code") or location.get("postal_code", ""),
        city=cdr.get("city") or location.get("city", ""),
        evse_id=payment.get("evse_id") or cdr.get("evse_id", ""),
        started_at=_local(cdr.get("start_date_time"), zone), stopped_at=_local(cdr.get("end_date_time"), zone),
        time_zone=zone.key, energy_kwh=Decimal(cdr.get("total_energy") or 0), currency=cdr.get("currency") or
        payment["currency"], vat_rate=Decimal(cdr.get("vat_rate") or 0),
        net=Decimal(cdr.get("total_cost_excl_vat") or 0), vat=Decimal(cdr.get("total_vat") or 0),
        gross=Decimal(cdr.get("total_cost_incl_vat") or 0), lines=_lines(cdr.get("price_components")),
        tariff_name=str(tariff.get("name", "")) if isinstance(tariff, dict) else "",
        amount_paid=Decimal(payment.get("amount_captured") or 0),
        amount_refunded=Decimal(payment.get("amount_refunded") or 0),
        card_brand=brand_name(payment.get("card_brand", "")), card_last4=payment.get("card_last4", ""),
        paid_at=_local(payment.get("state_changed_at"), zone),
        signature_status=cdr.get("signature_status") or (SignatureStatus.NOT_SIGNED.value if not signed else ""),
        issuer=company,
        signed_values=tuple(str(v.get("signed_data", "")) for v in signed.get("signed_values", [])
                            if v.get("signed_data")),
    )  # fmt: skip


# --- loading -----------------------------------------------------------------------------------------------------


async def _current_cdr(session_id: int) -> dict[str, Any] | None:
    session = await ChargingSession.select(ChargingSession.cdr_id).where(ChargingSession.id == session_id).first()
    query = Cdr.select().output(load_json=True)
    if session is not None and session["cdr_id"] is not None:
        return await query.where(Cdr.id == session["cdr_id"]).first()
    return await query.where(Cdr.session == session_id).order_by(Cdr.id, ascending=False).first()


async def receipt_of_payment(payment: dict[str, Any]) -> Receipt | None:
    """The receipt of a payment that took money; None before the capture or without a session's CDR."""
    if payment["state"] not in WITH_RECEIPT or payment["session"] is None:
        return None
    cdr = await _current_cdr(int(payment["session"]))
    if cdr is None or cdr["tenant"] != payment["tenant"]:
        return None
    location = None
    if cdr["location"] is not None:
        location = (
            await Location.select()
            .where((Location.id == cdr["location"]) & (Location.tenant == payment["tenant"]))
            .first()
        )
    tenant = await Tenant.select(*ISSUER_COLUMNS).where(Tenant.id == payment["tenant"]).first()
    return assemble(await ensure_token(payment), cdr, location, tenant)


async def ensure_token(payment: dict[str, Any]) -> dict[str, Any]:
    """The payment with its receipt token (payments made before receipts get one now, once)."""
    if payment.get("receipt_token"):
        return payment
    await Payment.update({Payment.receipt_token: secrets.token_urlsafe(24)}).where(
        (Payment.id == payment["id"]) & (Payment.receipt_token == "")
    )
    row = await Payment.select().where(Payment.id == payment["id"]).first()
    return row or payment


async def receipt_by_token(token: str) -> Receipt | None:
    if not TOKEN.match(token or ""):
        return None
    payment = await Payment.select().where(Payment.receipt_token == token).first()
    return None if payment is None else await receipt_of_payment(payment)


def receipt_path(token: str) -> str:
    return f"/pay/receipt/{token}"


def receipt_url(token: str) -> str:
    return f"{get_settings().public_url.rstrip('/')}{receipt_path(token)}"


# --- the public lookup ("Beleg anfordern") ----------------------------------------------------------------------


@dataclass(frozen=True)
class Lookup:
    evse_id: str
    day: date
    amount: Decimal | None
    last4: str


def parse_amount(text: str) -> Decimal | None:
    """``12,34`` or ``12.34`` (a thousands separator is not expected on a charge's price); None when unreadable."""
    cleaned = text.strip().replace(" ", "").replace("€", "").upper().removesuffix("EUR")
    if not re.fullmatch(r"\d{1,6}([.,]\d{1,2})?", cleaned):
        return None
    try:
        return Decimal(cleaned.replace(",", "."))
    except InvalidOperation:
        return None


def parse_lookup(evse_id: str, day: str, amount: str, last4: str, today: date) -> Lookup:
    """The lookup form's values; ValidationError naming each field to correct. Either the amount or the last four
    digits of the card is needed (both may be given: then both must match)."""
    errors: dict[str, Message] = {}
    evse = evse_id.strip().upper()
    if not 3 <= len(compact_evse_id(evse)) <= 48:
        errors["evse_id"] = Message("Enter the EVSE-ID shown on the charge point.")
    parsed_day: date | None = None
    try:
        parsed_day = date.fromisoformat(day.strip())
    except ValueError:
        errors["date"] = Message("Enter the date of the charge.")
    if parsed_day is not None and not today - timedelta(days=3 * 366) <= parsed_day <= today + timedelta(days=1):
        errors["date"] = Message("Enter the date of the charge.")
    value = parse_amount(amount) if amount.strip() else None
    if amount.strip() and value is None:
        errors["amount"] = Message("Enter the amount as on your bank statement, e.g. 12.34.")
    digits = last4.strip()
    if digits and not re.fullmatch(r"\d{4}", digits):
        errors["last4"] = Message("Enter the last four digits of the card.")
    if not amount.strip() and not digits and "amount" not in errors:
        errors["amount"] = Message("Enter the amount or the last four digits of the card.")
    if errors or parsed_day is None:
        raise ValidationError(errors)
    return Lookup(evse, parsed_day, value, digits)


def matches(lookup: Lookup, receipt: Receipt) -> bool:
    """Whether a receipt is the one asked for: the same EVSE-ID, started on the local date, and the amount and/or
    the card's last four digits."""
    if compact_evse_id(receipt.evse_id) != compact_evse_id(lookup.evse_id) or receipt.started_at is None:
        return False
    if receipt.started_at.date() != lookup.day:
        return False
    if lookup.amount is not None and receipt.amount_paid != lookup.amount:
        return False
    return not lookup.last4 or receipt.card_last4 == lookup.last4


async def find_receipt(lookup: Lookup) -> Receipt | None:
    """The newest receipt matching ``lookup``; None when there is none (the caller answers that neutrally)."""
    # local dates reach at most 14 hours either side of UTC: a window of the day +- 1 covers every time zone
    since = datetime.combine(lookup.day - timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    until = since + timedelta(days=3)
    # the EVSE-ID as typed may lack its separators: compared by ``compact_evse_id`` below, not in SQL
    query = Payment.select().where(
        Payment.state.is_in(list(WITH_RECEIPT))
        & (Payment.created_at >= since)
        & (Payment.created_at < until)
    )
    if lookup.amount is not None:
        query = query.where(Payment.amount_captured == lookup.amount)
    if lookup.last4:
        query = query.where(Payment.card_last4 == lookup.last4)
    wanted = compact_evse_id(lookup.evse_id)
    for payment in await query.order_by(Payment.id, ascending=False).limit(500):
        if compact_evse_id(payment["evse_id"]) != wanted:
            continue
        receipt = await receipt_of_payment(payment)
        if receipt is not None and matches(lookup, receipt):
            return receipt
    return None


# --- the mail ----------------------------------------------------------------------------------------------------


def number_text(value: Decimal, digits: int, language: str) -> str:
    text = f"{value:,.{digits}f}"
    if language == "de":
        return text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return text


def _time(at: datetime | None) -> str:
    return at.strftime("%d.%m.%Y %H:%M") if at else ""


def issuer_address(company: Issuer) -> str:
    """The CPO's postal address on one line ("Street 1, 12345 City"); empty without company data."""
    if not company.has_address:
        return ""
    return f"{company.street}, {company.postal_code} {company.city}".replace(" ,", ",").strip()


def mail_context(receipt: Receipt, language: str) -> dict[str, Any]:
    """The values of the mail templates ``receipt`` (numbers formatted for ``language``)."""
    return {
        "operator_name": receipt.operator_name, "operator_hotline": receipt.operator_hotline,
        "operator_email": receipt.operator_email, "location_name": receipt.location_name,
        "operator_address": issuer_address(receipt.issuer), "operator_vat_id": receipt.issuer.vat_id,
        "address": f"{receipt.address}, {receipt.postal_code} {receipt.city}".strip(", "),
        "evse_id": receipt.evse_id, "started_at": _time(receipt.started_at), "stopped_at": _time(receipt.stopped_at),
        "time_zone": receipt.time_zone, "energy": number_text(receipt.energy_kwh, 2, language),
        "currency": receipt.currency, "net": number_text(receipt.net, 2, language),
        "vat_rate": number_text(receipt.vat_rate, 0 if receipt.vat_rate == receipt.vat_rate.to_integral() else 2,
                            language),
        "vat": number_text(receipt.vat, 2, language), "gross": number_text(receipt.gross, 2, language),
        "reference": receipt.reference, "card": f"{receipt.card_brand} •••• {receipt.card_last4}".strip(),
        "signature_status": receipt.signature_status, "signed": receipt.signed,
        "transparency_url": receipt.transparency_url, "receipt_url": receipt_url(receipt.token),
    }  # fmt: skip


async def send_receipt(payment: dict[str, Any]) -> bool:
    """The receipt step of a captured payment (core.payments.recovery.register_receipt_sender): the receipt mail in
    the driver's language, once per payment (dedupe key ``receipt:<uid>``), queued in the transaction that moves the
    payment to receipt_sent (docs/mail.md). True when the receipt is done: queued, queued before, or nothing to mail
    (no address); False when the receipt cannot be made yet (no CDR). service.StateConflict when another worker
    moved the payment meanwhile (nothing queued then)."""
    receipt = await receipt_of_payment(payment)
    if receipt is None:
        return False
    if not payment["email"]:
        return True
    language = mail_language(payment["language"])
    try:
        async with transaction():  # the mail and receipt_sent together, or neither
            await queue_mail(
                tenant_id=payment["tenant"], recipient=payment["email"], language=language, kind="receipt",
                context=mail_context(receipt, language), dedupe_key=f"receipt:{payment['uid']}",
            )  # fmt: skip
            await service.receipt_sent(payment["id"])
    except ValidationError:
        log.warning("payment %s: no receipt mail, the address is not one", payment["uid"])
        return True
    outbox.kick()
    return True
