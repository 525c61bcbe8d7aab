"""The driver's door (issue 15): a charge point with Direct Payment as a driver sees it, and the steps of an ad-hoc
charge - pay (pre-authorise), start the charge point with the payment's idTag, follow the session, stop, and
capture the final price when the session has ended.

No actor: the driver has no login. Everything is found by the charge point's EVSE-ID (only charge points with
``auth_direct_payment`` on and not decommissioned) or by the payment's public uid.

- The offer: station name and address, the charge point's live availability (``availability``), its connectors,
  and the gross prices of the tariff active on it now (core.tariffs): per kWh, per minute from minute N, the
  session fee, parking. Without a tariff the charge point offers no Direct Payment (AFIR: the price comes first).
- ``pay``: the hold (``HOLD_AMOUNT``) is pre-authorised through core.payments.service; the driver's page then goes
  on to the 3-D Secure challenge, the decline page, or ``start``.
- ``start``: an accepted authorization for the payment's idTag is recorded at the charge point (as a remote start
  is), the payment moves to session_starting and RemoteStartTransaction goes out through the OCPP command
  machinery (core.commands). A station that is offline, refuses or does not answer: start_failed, released at once.
  A station that accepted but whose StartTransaction does not come within ``START_CONFIRM_SECONDS``: the same.
- ``progress``: what the driver's page polls: it follows the session (charging, then stopped) and captures at its
  end when the session-stopped handler has not yet done so.
- ``authorize_payment_tag``: the authorization hook (core.charging.authorization) that accepts a payment's idTag
  at its own charge point only, while money is held for it.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
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
from core.infrastructure.tables import ChargePoint, Connector, Location
from core.payments import recovery, service
from core.payments.states import IllegalTransition, PaymentState
from core.payments.tables import Payment
from core.tariffs.assignments import tariff_snapshot_for
from core.tariffs.pricing import gross_unit_price, round_money
from core.tenancy.tables import Tenant

S = PaymentState
HOLD_AMOUNT = Decimal(
    "50.00"
)  # what is held on the card before the start; the final price is captured, the rest released
START_CONFIRM_SECONDS = 90  # a station that accepted the remote start must send its StartTransaction within this
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


async def charge_point_by_evse(evse_id: str) -> dict[str, Any] | None:
    """A charge point that offers Direct Payment, with its station and location facts; None otherwise."""
    if not evse_id or len(evse_id) > 48:
        return None
    row = await (
        ChargePoint.select(
            *ChargePoint.all_columns(),
            ChargePoint.station.charge_box_id.as_alias("charge_box_id"),
            ChargePoint.station.name.as_alias("station_name"),
            ChargePoint.station.connected.as_alias("connected"),
            ChargePoint.station.location.as_alias("location_id"),
        )
        .where(
            (ChargePoint.evse_id == evse_id)
            & (ChargePoint.auth_direct_payment == True)  # noqa: E712 - piccolo column comparison
            & ChargePoint.decommissioned_at.is_null()
        )
        .first()
    )
    return row


async def open_session_of(charge_point_id: int) -> dict[str, Any] | None:
    return await (
        ChargingSession.select()
        .where(
            (ChargingSession.charge_point == charge_point_id)
            & ChargingSession.status.is_in([s.value for s in OPEN_STATUSES])
        )
        .order_by(ChargingSession.id, ascending=False)
        .first()
    )


async def live_availability(charge_point: dict[str, Any]) -> str:
    fresh = (
        await ChargePoint.select(
            ChargePoint.status, ChargePoint.status_detail, ChargePoint.station.connected.as_alias("connected")
        )
        .where(ChargePoint.id == charge_point["id"])
        .first()
    )
    if fresh is None:
        return Availability.FAULTED
    busy = await open_session_of(charge_point["id"]) is not None
    return availability(bool(fresh["connected"]), fresh["status"], fresh["status_detail"], busy)


async def offer(evse_id: str) -> dict[str, Any] | None:
    """Everything the driver's page shows before anything starts; None for an unknown EVSE-ID."""
    charge_point = await charge_point_by_evse(evse_id)
    if charge_point is None:
        return None
    location = await Location.select(
        Location.name, Location.address, Location.postal_code, Location.city, Location.hotline,
        Location.operator_name, Location.time_zone,
    ).where(Location.id == charge_point["location_id"]).first()  # fmt: skip
    tenant = await Tenant.select(Tenant.name).where(Tenant.id == charge_point["tenant"]).first()
    connectors = (
        await Connector.select(Connector.standard, Connector.format, Connector.max_electric_power)
        .where(Connector.charge_point == charge_point["id"])
        .order_by(Connector.connector_number)
    )
    return {
        "charge_point": charge_point,
        "location": location or {},
        "operator": (location or {}).get("operator_name") or (tenant or {}).get("name", ""),
        "connectors": connectors,
        "availability": await live_availability(charge_point),
        "prices": await prices_at(charge_point),
        "hold": HOLD_AMOUNT,
    }


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
    DriverError for an unknown charge point, one that cannot start now, or a form to correct."""
    charge_point = await charge_point_by_evse(evse_id)
    if charge_point is None:
        raise DriverError("unknown")
    state = await live_availability(charge_point)
    if state != Availability.AVAILABLE:
        raise DriverError(state)
    prices = await prices_at(charge_point)
    if prices is None:
        raise DriverError("no_price")
    errors: dict[str, Message] = {}
    if not EMAIL.match(email.strip()):
        errors["email"] = Message("Enter the e-mail address for the receipt.")
    if not accepted_terms:
        errors["terms"] = Message("Please accept the terms and the price.")
    if card is not None:
        errors.update(card.check(now()))
    if errors:
        raise DriverError("form", errors)
    payment = await service.create_payment(
        charge_point["tenant"], amount=round_money(HOLD_AMOUNT, prices.currency), currency=prices.currency,
        charge_point_id=charge_point["id"], evse_id=evse_id, email=email, language=language,
    )  # fmt: skip
    return await service.authorise(payment["id"], payment_method, return_url.replace("{uid}", payment["uid"]))


async def after_challenge(uid: str) -> dict[str, Any]:
    """The driver is back from the 3-D Secure step: ask the provider what it decided."""
    payment = await _payment(uid)
    try:
        return await service.refresh(payment["id"])
    except service.StateConflict:  # a webhook recorded it first
        return await _payment(uid)


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


async def progress(uid: str, at: datetime | None = None) -> dict[str, Any]:
    """What the driver's page shows now: the payment, its session, energy, duration and price so far. Moves the
    payment along: the session started (charging), the start was not confirmed in time (released), the session
    ended (captured at its final price)."""
    at = at or now()
    payment = await _payment(uid)
    session = await _session_of(payment) if payment["charge_point"] is not None else None
    try:
        if payment["state"] == S.SESSION_STARTING:
            if session is not None:
                payment = await service.session_started(payment["id"], int(session["id"]))
            elif payment["state_changed_at"] <= at - timedelta(seconds=START_CONFIRM_SECONDS):
                payment = await service.start_failed(payment["id"], "start_not_confirmed")
        if (
            payment["state"] == S.CHARGING
            and session is not None
            and session["status"] not in [s.value for s in OPEN_STATUSES]
        ):
            payment = await recovery.finish_session(int(session["id"])) or await _payment(uid)
    except (service.StateConflict, IllegalTransition):  # another request or the session-stopped handler was first
        payment = await _payment(uid)
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
        await Payment.select(Payment.charge_point, Payment.state, Payment.session)
        .where((Payment.tenant == tenant_id) & (Payment.id_tag == id_tag))
        .first()
    )
    if payment is None:
        return None
    if charge_point is not None and payment["charge_point"] != charge_point["id"]:
        return AuthResult(AuthStatus.INVALID, "payment_other_charge_point")
    if payment["state"] not in HELD_FOR_CHARGING:
        return AuthResult(AuthStatus.INVALID, "payment_not_held")
    if payment["session"] is not None and payment["session"] != ignore_session_id:
        return AuthResult(AuthStatus.CONCURRENT_TX, "concurrent_transaction")
    return AuthResult(AuthStatus.ACCEPTED, "direct_payment")


async def on_session_stopped(payload: dict[str, Any]) -> None:
    """The outbox handler of ``session.stopped``: the CDR, then the capture of a paid session's final price."""
    await building.on_session_stopped(payload)
    with contextlib.suppress(service.StateConflict, IllegalTransition):  # the driver's page captured it first
        await recovery.finish_session(int(payload["session_id"]))
