"""The driver's door (issue 15): a charge point with Direct Payment as a driver sees it, and the steps of an ad-hoc
charge - pay (pre-authorise), start the charge point with the payment's idTag, follow the session, stop, and
capture the final price when the session has ended.

No actor: the driver has no login. Everything is found by the charge point's EVSE-ID (only charge points with
``auth_direct_payment`` on and not decommissioned) or by the payment's public uid.

- The offer: station name and address, the charge point's live availability (``availability``), its connectors,
  and the gross prices of the tariff active on it now (core.tariffs): per kWh, per minute from minute N, the
  session fee, parking. Without a tariff the charge point offers no Direct Payment (AFIR: the price comes first).
- ``pay``: the hold (the tenant's ``hold_amount``, core.payments.direct_settings) is pre-authorised through
  core.payments.service; the driver's page then goes on to the 3-D Secure challenge, the decline page, or ``start``.
  With a provider that takes the card on its own page (``CardEntry.HOSTED``: the offer's ``card_entry``) csms never
  sees a card: ``pay`` asks the provider for its page and the driver is sent there (the payment waits in
  ``challenge``); ``after_challenge`` is where the driver comes back, paid or given up (``cancelled``: nothing is
  held, the page is closed at the provider).
- ``start``: an accepted authorization for the payment's idTag is recorded at the charge point (as a remote start
  is), the payment moves to session_starting and RemoteStartTransaction goes out through the OCPP command
  machinery (core.commands). A station that is offline, refuses or does not answer: start_failed, released at once.
  A station that accepted but whose StartTransaction does not come within the tenant's ``start_confirm_seconds``:
  the same, written by the periodic recovery (core.payments.recovery); its idTag is refused from then on.
- ``progress``: what the driver's page polls (GET: it reads, never writes; prefetchers, link scanners and reloads
  change nothing). ``shown`` tells the truth before anything is written: the session started (charging), the start
  was not confirmed in time (not started, the hold being released), the session ended (the final price being taken).
  The writes are the POSTs' (stop), the session-stopped handler's (capture) and recovery's (every minute).
- ``authorize_payment_tag``: the authorization hook (core.charging.authorization) that accepts a payment's idTag
  at its own charge point only, while money is held for it.
"""

from __future__ import annotations

import contextlib
import functools
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from core.cdrs import building
from core.cdrs.building import power_type_of, priced_so_far
from core.charging.authorization import AuthResult, AuthSource, AuthStatus
from core.charging.sessions import OPEN_STATUSES, SessionStatus
from core.charging.tables import ChargingSession
from core.charging.transactions import record_authorization
from core.commands.catalogue import CommandStatus
from core.commands.running import prepare_call
from core.errors import Message
from core.infrastructure.tables import ChargePoint, Connector
from core.payments import direct_settings, recovery, service
from core.payments.provider import CardEntry, card_entry_of
from core.payments.states import IllegalTransition, PaymentState
from core.payments.tables import Payment
from core.settings import get_settings
from core.tariffs.assignments import tariff_snapshot_for
from core.tariffs.pricing import gross_unit_price, round_money

S = PaymentState
REMOTE_TIMEOUT = 20.0  # seconds the station has to answer RemoteStartTransaction / RemoteStopTransaction
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
# payment states in which the payment's idTag may charge at its charge point
HELD_FOR_CHARGING = (S.AUTHORISED, S.SESSION_STARTING, S.CHARGING)


class Availability:
    AVAILABLE = "available"
    OFFLINE = "offline"
    OCCUPIED = "occupied"
    FAULTED = "faulted"


class DriverError(Exception):
    """A step the driver's page answers with a failure page (``code``) or a form message."""

    def __init__(self, code: str, errors: dict[str, Message] | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.errors = errors or {}


def now() -> datetime:
    return datetime.now(UTC)


# --- the offer --------------------------------------------------------------------------------------------------


def availability(connected: bool, status: str, status_detail: str, open_session: bool) -> str:
    """Whether a driver can start here now. A car already plugged in (OCPP Preparing, shown as CHARGING) without a
    session is the driver's own car waiting: available."""
    if not connected:
        return Availability.OFFLINE
    if open_session:
        return Availability.OCCUPIED
    if status == "AVAILABLE" or (status == "CHARGING" and status_detail == "Preparing"):
        return Availability.AVAILABLE
    if status in ("CHARGING", "BLOCKED", "RESERVED"):
        return Availability.OCCUPIED
    return Availability.FAULTED


@dataclass(frozen=True)
class Prices:
    """Gross prices (VAT included) of the tariff active on the charge point, for its power type."""

    currency: str
    vat_rate: Decimal
    energy_per_kwh: Decimal
    time_per_minute: Decimal
    time_from_minute: int
    session_fee: Decimal
    parking_per_minute: Decimal
    parking_from_minute: int
    tariff_name: str


async def prices_at(charge_point: dict[str, Any], at: datetime | None = None) -> Prices | None:
    snapshot = await tariff_snapshot_for(charge_point["id"], at or now())
    if snapshot is None:
        return None
    prices = snapshot.prices_for(power_type_of(charge_point["power_type"]))
    vat = snapshot.vat_rate

    def gross(net: Decimal) -> Decimal:
        return gross_unit_price(net, vat)

    return Prices(
        currency=snapshot.currency, vat_rate=vat, energy_per_kwh=gross(prices.energy_per_kwh),
        time_per_minute=gross(prices.time_per_minute), time_from_minute=prices.time_from_minute,
        session_fee=gross(prices.session_fee), parking_per_minute=gross(snapshot.parking_per_minute),
        parking_from_minute=snapshot.parking_from_minute, tariff_name=snapshot.name,
    )  # fmt: skip


# the location's facts the offer shows, read with the charge point (one query instead of three)
_LOCATION = ("name", "address", "postal_code", "city", "hotline", "operator_name", "time_zone")


@functools.cache
def _charge_point_columns(with_offer: bool) -> tuple[Any, ...]:
    """The columns of ``charge_point_by_evse``, built once: Piccolo copies every column of a join chain such as
    ``ChargePoint.station.location.name`` when it is spelled, which cost more CPU than the query itself (profiled
    with bench/direct_payment.py)."""
    columns = (
        *ChargePoint.all_columns(),
        ChargePoint.station.charge_box_id.as_alias("charge_box_id"),
        ChargePoint.station.name.as_alias("station_name"),
        ChargePoint.station.connected.as_alias("connected"),
        ChargePoint.station.location.as_alias("location_id"),
    )
    if not with_offer:
        return columns
    location = ChargePoint.station.location
    return (*columns, *(getattr(location, name).as_alias(f"location_{name}") for name in _LOCATION),
            ChargePoint.tenant.name.as_alias("tenant_name"))  # fmt: skip


async def charge_point_by_evse(evse_id: str, with_offer: bool = False) -> dict[str, Any] | None:
    """A charge point that offers Direct Payment, with its station facts (``with_offer``: and its location's and
    its operator's, ``location_*`` and ``tenant_name``); None otherwise."""
    if not evse_id or len(evse_id) > 48:
        return None
    row = await (
        ChargePoint.select(*_charge_point_columns(with_offer))
        .where(
            (ChargePoint.evse_id == evse_id)
            & (ChargePoint.auth_direct_payment == True)  # noqa: E712 - piccolo column comparison
            & ChargePoint.decommissioned_at.is_null()
        )
        .first()
    )
    return row


async def has_open_session(charge_point_id: int) -> bool:
    return await ChargingSession.exists().where(
        (ChargingSession.charge_point == charge_point_id)
        & ChargingSession.status.is_in([s.value for s in OPEN_STATUSES])
    )


async def live_availability(charge_point: dict[str, Any]) -> str:
    """Whether a driver can start at ``charge_point`` (a row of ``charge_point_by_evse`` read in this request: its
    status and connected flag are current) now."""
    busy = await has_open_session(charge_point["id"])
    return availability(bool(charge_point["connected"]), charge_point["status"], charge_point["status_detail"], busy)


async def offer(evse_id: str) -> dict[str, Any] | None:
    """Everything the driver's page shows before anything starts; None for an unknown EVSE-ID."""
    charge_point = await charge_point_by_evse(evse_id, with_offer=True)
    if charge_point is None:
        return None
    facts = {name: charge_point.pop(f"location_{name}") for name in _LOCATION}
    tenant_name = charge_point.pop("tenant_name")
    location = facts if charge_point["location_id"] is not None else {}
    connectors = (
        await Connector.select(Connector.standard, Connector.format, Connector.max_electric_power)
        .where(Connector.charge_point == charge_point["id"])
        .order_by(Connector.connector_number)
    )
    return {
        "charge_point": charge_point,
        "location": location,
        "operator": location.get("operator_name") or tenant_name or "",
        "connectors": connectors,
        "availability": await live_availability(charge_point),
        "prices": await prices_at(charge_point),
        "hold": (await direct_settings.of_tenant(charge_point["tenant"])).hold_amount,
        "card_entry": card_entry(),
    }


def card_entry() -> CardEntry:
    """Where drivers enter the card for new payments: csms's own form, or the provider's page."""
    return card_entry_of(get_settings().payments.provider)


# --- paying ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CardForm:
    """What the sandbox's card form posts (a real provider's hosted page gives a token instead)."""

    number: str
    expiry: str
    cvc: str

    def check(self, at: datetime) -> dict[str, Message]:
        errors: dict[str, Message] = {}
        digits = re.sub(r"[\s-]", "", self.number)
        if not digits.isdigit() or not 12 <= len(digits) <= 19:
            errors["card_number"] = Message("Enter the card number (12 to 19 digits).")
        match = re.fullmatch(r"\s*(\d{1,2})\s*/\s*(\d{2}|\d{4})\s*", self.expiry)
        if match is None or not 1 <= int(match[1]) <= 12:
            errors["card_expiry"] = Message("Enter the expiry date as MM/YY.")
        else:
            year = int(match[2]) + (2000 if len(match[2]) == 2 else 0)
            if (year, int(match[1])) < (at.year, at.month):
                errors["card_expiry"] = Message("The card has expired.")
        if not re.fullmatch(r"\d{3,4}", self.cvc.strip()):
            errors["card_cvc"] = Message("Enter the 3 or 4 digit security code.")
        return errors


async def pay(evse_id: str, *, email: str, language: str, payment_method: str, return_url: str,
              accepted_terms: bool, card: CardForm | None = None) -> dict[str, Any]:  # fmt: skip
    """Hold the amount for a charge at ``evse_id``: returns the payment (authorised, challenge or declined).
    DriverError for an unknown charge point, one that cannot start now, or a form to correct. ``card`` is the
    sandbox's form; with a provider's own page (CardEntry.HOSTED) there is none and no ``payment_method``: the
    payment is then in ``challenge`` with the page's address in ``challenge_url``."""
    charge_point = await charge_point_by_evse(evse_id)
    if charge_point is None:
        raise DriverError("unknown")
    state = await live_availability(charge_point)
    if state != Availability.AVAILABLE:
        raise DriverError(state)
    prices = await prices_at(charge_point)
    if prices is None:
        raise DriverError("no_price")
    if card_entry() is CardEntry.HOSTED:  # the provider's page takes the card: none is ever passed on from here
        card, payment_method = None, ""
    errors: dict[str, Message] = {}
    if not EMAIL.match(email.strip()):
        errors["email"] = Message("Enter the e-mail address for the receipt.")
    if not accepted_terms:
        errors["terms"] = Message("Please accept the terms and the price.")
    if card is not None:
        errors.update(card.check(now()))
    if errors:
        raise DriverError("form", errors)
    hold = (await direct_settings.of_tenant(charge_point["tenant"])).hold_amount
    payment = await service.create_payment(
        charge_point["tenant"], amount=round_money(hold, prices.currency), currency=prices.currency,
        charge_point_id=charge_point["id"], evse_id=evse_id, email=email, language=language,
    )  # fmt: skip
    return await service.authorise(payment["id"], payment_method, return_url.replace("{uid}", payment["uid"]))


async def after_challenge(uid: str, cancelled: bool = False) -> dict[str, Any]:
    """The driver is back from the 3-D Secure step or the provider's payment page: ask the provider what it
    decided. A driver who gave up there (``cancelled``) and whose payment the provider still has open: the page
    is closed at the provider and nothing is held (released, failure ``cancelled``)."""
    payment = await _payment(uid)
    try:
        payment = await service.refresh(payment["id"])
    except service.StateConflict:  # a webhook recorded it first
        payment = await _payment(uid)
    if cancelled and payment["state"] == S.CHALLENGE:
        try:
            payment = await service.release(payment["id"], reason="cancelled")
        except (service.StateConflict, IllegalTransition):  # a webhook (paid or expired) was first
            payment = await _payment(uid)
    return payment


async def _payment(uid: str) -> dict[str, Any]:
    payment = await service.get_payment_by_uid(uid)
    if payment is None:
        raise DriverError("unknown")
    return payment


# --- starting and stopping ---------------------------------------------------------------------------------------


async def _charge_point_of(payment: dict[str, Any]) -> dict[str, Any]:
    row = await ChargePoint.select(
        ChargePoint.id, ChargePoint.evse_number, ChargePoint.tenant,
        ChargePoint.station.as_alias("station_id"), ChargePoint.station.charge_box_id.as_alias("charge_box_id"),
        ChargePoint.station.connected.as_alias("connected"),
    ).where(ChargePoint.id == payment["charge_point"]).first()  # fmt: skip
    if row is None:
        raise DriverError("unknown")
    return row


async def start(uid: str) -> dict[str, Any]:
    """Start the charge point of an authorised payment with its idTag; returns the payment (session_starting, or
    released with ``failure`` when the station is offline, refused or did not answer)."""
    payment = await _payment(uid)
    if payment["state"] != S.AUTHORISED:
        return payment
    cp = await _charge_point_of(payment)
    payment = await service.session_starting(payment["id"])
    if not cp["connected"]:
        return await service.start_failed(payment["id"], "station_offline")
    accepted = AuthResult(AuthStatus.ACCEPTED, "direct_payment")
    pending = await record_authorization(cp["tenant"], cp["station_id"], cp["id"], payment["id_tag"],
                                         AuthSource.DIRECT_PAYMENT, accepted)  # fmt: skip
    station = {"id": cp["station_id"], "tenant": cp["tenant"], "charge_box_id": cp["charge_box_id"]}
    call = await prepare_call(station, cp["id"], "RemoteStartTransaction",
                              {"connectorId": int(cp["evse_number"]), "idTag": payment["id_tag"]},
                              f"Direct Payment {payment['uid'][:8]}", REMOTE_TIMEOUT)  # fmt: skip
    record = await call.run()
    status = record["status"]
    if status == CommandStatus.ACCEPTED or status == CommandStatus.TIMEOUT:
        # after a timeout the station may still start: progress (and recovery) look for the session
        return await _payment(uid)
    await ChargingSession.update({ChargingSession.status: SessionStatus.EXPIRED.value}).where(
        (ChargingSession.id == pending) & (ChargingSession.status == SessionStatus.AUTHORIZED.value)
    )
    reason = "station_offline" if status == CommandStatus.OFFLINE else "station_refused"
    return await service.start_failed(payment["id"], reason)


async def _session_of(payment: dict[str, Any]) -> dict[str, Any] | None:
    session_id = payment["session"] or await recovery.session_of_payment(payment)
    if session_id is None:
        return None
    session = await ChargingSession.select().where(ChargingSession.id == session_id).first()
    if session is None or session["status"] in (SessionStatus.AUTHORIZED.value, SessionStatus.EXPIRED.value):
        return None
    return session


def shown(
    payment: dict[str, Any], session: dict[str, Any] | None, at: datetime, confirm_seconds: int
) -> dict[str, Any]:
    """The payment as the driver's page shows it at ``at``: what the next write (recovery, the session-stopped
    handler, a POST) will record, computed without writing. ``release_pending``: not started, the hold not yet
    released (it is within a minute)."""
    state = payment["state"]
    if state == S.SESSION_STARTING and session is not None:
        payment, state = {**payment, "state": S.CHARGING, "session": session["id"]}, S.CHARGING
    elif state == S.SESSION_STARTING and recovery.start_unconfirmed(payment, at, confirm_seconds):
        return {**payment, "state": S.RELEASED, "failure": "start_not_confirmed", "release_pending": True}
    if state == S.CHARGING and session is not None and session["status"] not in [s.value for s in OPEN_STATUSES]:
        return {**payment, "state": S.CAPTURING}
    return payment


async def progress(uid: str, at: datetime | None = None) -> dict[str, Any]:
    """What the driver's page shows now: the payment (as ``shown``), its session, energy, duration and price so far.
    Reads only."""
    at = at or now()
    stored = await _payment(uid)
    session = await _session_of(stored) if stored["charge_point"] is not None else None
    payment = shown(stored, session, at, await recovery.confirm_seconds_of(stored))
    return {"payment": payment, "session": session, **await _figures(payment, session, at)}


async def _figures(payment: dict[str, Any], session: dict[str, Any] | None, at: datetime) -> dict[str, Any]:
    if session is None or session["started_at"] is None:
        return {"energy_kwh": Decimal("0"), "minutes": 0, "price": Decimal("0")}
    values = await priced_so_far(session, at) or {}
    energy = Decimal(values.get("total_energy") or 0)
    end = session["stopped_at"] or at
    minutes = max(0, int((end - session["started_at"]).total_seconds() // 60))
    if payment["state"] in (S.CAPTURED, S.RECEIPT_SENT, S.REFUNDED):
        price = Decimal(payment["amount_captured"])
    else:
        price = Decimal(values.get("total_cost_incl_vat") or 0)
    return {"energy_kwh": energy, "minutes": minutes, "price": price}


async def stop(uid: str) -> dict[str, Any]:
    """The driver's stop button: RemoteStopTransaction for the payment's running session."""
    payment = await _payment(uid)
    with contextlib.suppress(service.StateConflict, IllegalTransition):  # recovery followed the start meanwhile
        payment = await recovery.follow_start(payment)
    payment = await _payment(uid)
    if payment["state"] != S.CHARGING or payment["session"] is None:
        return payment
    cp = await _charge_point_of(payment)
    station = {"id": cp["station_id"], "tenant": cp["tenant"], "charge_box_id": cp["charge_box_id"]}
    call = await prepare_call(station, cp["id"], "RemoteStopTransaction", {"transactionId": int(payment["session"])},
                              f"Direct Payment {payment['uid'][:8]}", REMOTE_TIMEOUT)  # fmt: skip
    record = await call.run()
    if record["status"] != CommandStatus.ACCEPTED:
        raise DriverError("stop_refused")
    return payment


def ended_by_car(session: dict[str, Any] | None) -> bool:
    """The car (or unplugging) ended the session, not the driver's stop button or the station's own stop."""
    return session is not None and session["stop_reason"] in ("EVDisconnected", "UnlockCommand")


# --- hooks ------------------------------------------------------------------------------------------------------


async def authorize_payment_tag(
    tenant_id: int, charge_point: dict[str, Any] | None, id_tag: str, ignore_session_id: int | None
) -> AuthResult | None:
    """core.charging.authorization's payment check: a payment's idTag is accepted at its own charge point while
    money is held for it; None for an idTag that is no payment's."""
    if not id_tag.startswith(service.ID_TAG_PREFIX):
        return None
    payment = (
        await Payment.select(
            Payment.tenant,
            Payment.id_tag,
            Payment.charge_point,
            Payment.state,
            Payment.session,
            Payment.state_changed_at,
        )
        .where((Payment.tenant == tenant_id) & (Payment.id_tag == id_tag))
        .first()
    )
    if payment is None:
        return None
    if charge_point is not None and payment["charge_point"] != charge_point["id"]:
        return AuthResult(AuthStatus.INVALID, "payment_other_charge_point")
    if payment["state"] not in HELD_FOR_CHARGING:
        return AuthResult(AuthStatus.INVALID, "payment_not_held")
    if (
        payment["state"] == S.SESSION_STARTING
        and recovery.start_unconfirmed(payment, now(), await recovery.confirm_seconds_of(payment))
        and await recovery.session_of_payment(payment) is None
    ):  # the driver's page says it did not start (recovery releases the hold within a minute): too late to start
        return AuthResult(AuthStatus.INVALID, "payment_not_held")
    if payment["session"] is not None and payment["session"] != ignore_session_id:
        return AuthResult(AuthStatus.CONCURRENT_TX, "concurrent_transaction")
    return AuthResult(AuthStatus.ACCEPTED, "direct_payment")


async def on_session_stopped(payload: dict[str, Any]) -> None:
    """The outbox handler of ``session.stopped``: the CDR, then the capture of a paid session's final price."""
    await building.on_session_stopped(payload)
    with contextlib.suppress(service.StateConflict, IllegalTransition):  # the driver's page captured it first
        await recovery.finish_session(int(payload["session_id"]))
