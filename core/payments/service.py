"""The steps of a payment: create, authorise, start, capture, release, refund, receipt.

Each step writes its intent (state and event) before it calls the provider, and the provider's answer after:
a crash in between leaves the payment in an intermediate state that ``core.payments.recovery`` finishes with
the same idempotency key. State changes are compare-and-set on the current state, so two workers finishing the
same payment never both move it.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from core.db import transaction
from core.payments import sandbox  # noqa: F401 - registers the default provider
from core.payments.provider import (
    AuthoriseRequest,
    Outcome,
    PaymentProvider,
    ProviderError,
    ProviderResult,
    ProviderUnavailable,
    Step,
    cancel_url_of,
    from_minor,
    get_provider,
    idempotency_key,
    to_minor,
)
from core.payments.states import PaymentState, check_transition
from core.payments.tables import Payment, PaymentEvent
from core.settings import get_settings
from core.tariffs.pricing import round_money

S = PaymentState
ID_TAG_PREFIX = "PAY"
# what a provider's own payment page shows the driver as the thing paid for, in the driver's language
LINE_ITEM = {"de": "Ladevorgang an {evse_id}", "en": "Charging at {evse_id}"}
LINE_ITEM_DETAIL = {
    "de": "Reservierung: abgebucht wird nur der Preis Ihrer Ladung, der Rest wird freigegeben.",
    "en": "Pre-authorisation: only the price of your charge is taken, the rest is released.",
}
# why a payment was given up before anything was held (Payment.failure): the driver's page shows "cancelled"
ABANDONED = ("cancelled", "expired")


def now() -> datetime:
    return datetime.now(UTC)


class PaymentNotFound(LookupError):
    pass


class StateConflict(RuntimeError):
    """Another step moved the payment first."""


def id_tag_of(uid: str) -> str:
    """The OCPP idTag (20 characters at most) a payment's session is started with."""
    return f"{ID_TAG_PREFIX}{uid[:17].upper()}"


async def get_payment(payment_id: int) -> dict[str, Any]:
    row = await Payment.select().where(Payment.id == payment_id).first()
    if row is None:
        raise PaymentNotFound(payment_id)
    return row


async def events(payment_id: int) -> list[dict[str, Any]]:
    return (
        await PaymentEvent.select()
        .where(PaymentEvent.payment == payment_id)
        .order_by(PaymentEvent.id)
        .output(load_json=True)
    )


async def _event(payment_id: int, step: str, *, from_state: str = "", to_state: str = "", key: str = "",
                 summary: dict[str, Any] | None = None) -> None:  # fmt: skip
    await PaymentEvent(payment=payment_id, at=now(), from_state=from_state, to_state=to_state, step=step,
                       idempotency_key=key, summary=summary or {}).save()  # fmt: skip


async def _move(
    payment: dict[str, Any], target: PaymentState, step: str, *, key: str = "",
    summary: dict[str, Any] | None = None, changes: dict[str, Any] | None = None,
) -> dict[str, Any]:  # fmt: skip
    """``payment`` from its current state to ``target`` with ``changes``, and the event, in one transaction."""
    check_transition(payment["state"], target)
    at = now()
    values = {**(changes or {}), "state": target.value, "state_changed_at": at}
    async with transaction():
        moved = (
            await Payment.update({getattr(Payment, name): value for name, value in values.items()})
            .where((Payment.id == payment["id"]) & (Payment.state == payment["state"]))
            .returning(Payment.id)
        )
        if not moved:
            raise StateConflict(f"payment {payment['id']} is no longer {payment['state']}")
        await _event(payment["id"], step, from_state=payment["state"], to_state=target.value, key=key,
                     summary=summary)  # fmt: skip
    return {**payment, **values}


async def _note(payment: dict[str, Any], step: str, *, key: str = "", summary: dict[str, Any] | None = None,
                changes: dict[str, Any] | None = None) -> dict[str, Any]:  # fmt: skip
    """An event without a state change (a pending answer, a provider error, a partial refund)."""
    async with transaction():
        if changes:
            await Payment.update({getattr(Payment, name): value for name, value in changes.items()}).where(
                Payment.id == payment["id"]
            )
        await _event(payment["id"], step, from_state=payment["state"], to_state=payment["state"], key=key,
                     summary=summary)  # fmt: skip
    return {**payment, **(changes or {})}


def _provider(payment: dict[str, Any]) -> PaymentProvider:
    return get_provider(payment["provider"])


# --- creating and authorising -----------------------------------------------------------------------------------


async def create_payment(
    tenant_id: int, *, amount: Decimal, currency: str, charge_point_id: int | None = None, evse_id: str = "",
    email: str = "", language: str = "de", provider: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    """A new payment of ``amount`` (the hold to ask for) at a charge point; nothing is sent yet."""
    currency = currency.upper()
    amount = Decimal(amount)
    if amount <= 0 or round_money(amount, currency) != amount:
        raise ValueError("the amount to hold must be positive, in whole minor units")
    uid = secrets.token_hex(16)
    payment = Payment(
        uid=uid, tenant=tenant_id, charge_point=charge_point_id, evse_id=evse_id or "", id_tag=id_tag_of(uid),
        state=S.CREATED.value, state_changed_at=now(), currency=currency, amount_authorised=amount,
        provider=provider or get_settings().payments.provider, email=email.strip(), language=language,
        receipt_token=secrets.token_urlsafe(24),
    )  # fmt: skip
    async with transaction():
        await payment.save()
        await _event(payment.id, "create", to_state=S.CREATED.value,
                     summary={"amount": str(amount), "currency": currency, "provider": payment.provider})  # fmt: skip
    return await get_payment(payment.id)


async def authorise(payment_id: int, payment_method: str, return_url: str) -> dict[str, Any]:
    """Ask the provider to hold the amount: the payment ends authorised, challenge, declined, or authorising while
    the provider has not decided (pending) or could not be reached (recovery asks again with the same key)."""
    payment = await get_payment(payment_id)
    key = idempotency_key(payment["uid"], Step.AUTHORISE)
    payment = await _move(payment, S.AUTHORISING, Step.AUTHORISE.value, key=key,
                          changes={"payment_method": payment_method, "return_url": return_url})  # fmt: skip
    return await send_authorisation(payment)


async def send_authorisation(payment: dict[str, Any]) -> dict[str, Any]:
    """(Re)send the pre-authorisation of an authorising payment with its one key."""
    key = idempotency_key(payment["uid"], Step.AUTHORISE)
    language = payment["language"] if payment["language"] in LINE_ITEM else "en"
    request = AuthoriseRequest(
        payment_uid=payment["uid"], amount=to_minor(payment["amount_authorised"], payment["currency"]),
        currency=payment["currency"], payment_method=payment["payment_method"],
        return_url=payment["return_url"], idempotency_key=key, email=payment["email"],
        description=f"Charging at {payment['evse_id']}" if payment["evse_id"] else "Charging",
        language=language, line_item=LINE_ITEM[language].format(evse_id=payment["evse_id"] or "-"),
        line_item_detail=LINE_ITEM_DETAIL[language], cancel_url=cancel_url_of(payment["return_url"]),
        created_at=payment["created_at"],
    )  # fmt: skip
    try:
        result = await _provider(payment).authorise(request)
    except ProviderUnavailable as exc:
        return await _note(payment, "provider_unavailable", key=key, summary={"step": "authorise", "error": str(exc)})
    except ProviderError as exc:
        return await _move(payment, S.DECLINED, Step.AUTHORISE.value, key=key,
                           summary={"error": str(exc), "code": exc.code, **exc.summary},
                           changes={"failure": exc.code or "provider_error"})  # fmt: skip
    return await apply_authorisation(payment, result, key=key)


async def apply_authorisation(payment: dict[str, Any], result: ProviderResult, key: str = "") -> dict[str, Any]:
    """Record what the provider said about a pre-authorisation (its answer, a retrieve, a webhook)."""
    summary = result.event_summary()
    card = {name: value for name in ("card_last4", "card_brand") if (value := getattr(result, name))}
    reference = {"provider_reference": result.reference} if result.reference else {}
    if result.outcome is Outcome.AUTHORISED:
        amount = from_minor(result.amount, payment["currency"]) if result.amount else payment["amount_authorised"]
        return await _move(payment, S.AUTHORISED, Step.AUTHORISE.value, key=key, summary=summary,
                           changes={**reference, **card, "amount_authorised": amount})  # fmt: skip
    if result.outcome is Outcome.REQUIRES_ACTION:
        changes = {**reference, **card, "challenge_url": result.challenge_url}
        if payment["state"] == S.CHALLENGE:
            return await _note(payment, Step.AUTHORISE.value, key=key, summary=summary, changes=changes)
        return await _move(payment, S.CHALLENGE, Step.AUTHORISE.value, key=key, summary=summary, changes=changes)
    if result.outcome is Outcome.DECLINED:
        return await _move(payment, S.DECLINED, Step.AUTHORISE.value, key=key, summary=summary,
                           changes={**reference, **card, "failure": result.decline_code or "declined"})  # fmt: skip
    if result.outcome is Outcome.RELEASED:  # cancelled at the provider (expired, abandoned)
        failure = {"failure": result.decline_code} if result.decline_code else {}
        return await _move(payment, S.RELEASED, Step.RELEASE.value, key=key, summary=summary,
                           changes={**reference, **failure})  # fmt: skip
    # PENDING: the provider decides later; keep its reference so that refresh can ask
    return await _note(payment, "pending", key=key, summary=summary, changes={**reference, **card})


async def refresh(payment_id: int) -> dict[str, Any]:
    """Ask the provider about an authorising (pending) or challenged payment: after the driver's 3-D Secure
    step, or a provider's webhook."""
    payment = await get_payment(payment_id)
    if payment["state"] not in (S.AUTHORISING, S.CHALLENGE) or not payment["provider_reference"]:
        return payment
    try:
        result = await _provider(payment).retrieve(payment["provider_reference"])
    except ProviderUnavailable as exc:
        return await _note(payment, "provider_unavailable", summary={"step": "retrieve", "error": str(exc)})
    return await apply_authorisation(payment, result)


async def payment_by_reference(provider: str, reference: str) -> dict[str, Any] | None:
    return (
        await Payment.select().where((Payment.provider == provider) & (Payment.provider_reference == reference)).first()
    )


async def provider_update(
    provider: str, reference: str, payment_uid: str = "", notice: dict[str, Any] | None = None
) -> dict[str, Any] | None:
    """The provider says something changed about ``reference`` (a webhook): ask it and record the answer. The payment
    is found by ``payment_uid`` (which the provider got from us) when given, since its provider reference may still
    be another one (a hosted page's, before the payment has its own id); else by ``reference``. ``notice`` (what the
    provider said, in short) is recorded."""
    payment = None
    if payment_uid:
        payment = await Payment.select().where((Payment.provider == provider) & (Payment.uid == payment_uid)).first()
    payment = payment or await payment_by_reference(provider, reference)
    if payment is None:
        return None
    if notice:
        await _note(payment, "notice", summary=notice)
    try:
        return await refresh(payment["id"])
    except StateConflict:  # the driver's return page (or a second webhook) recorded it first
        return await get_payment(payment["id"])


async def get_payment_by_uid(uid: str) -> dict[str, Any] | None:
    """A payment by its public reference (the driver's pages and receipts name it so, without a login)."""
    return await Payment.select().where(Payment.uid == uid).first()


# --- the session --------------------------------------------------------------------------------------------------


async def session_starting(payment_id: int) -> dict[str, Any]:
    """The start command is about to be sent to the charge point (with ``payment['id_tag']``)."""
    return await _move(await get_payment(payment_id), S.SESSION_STARTING, "start")


async def session_started(payment_id: int, session_id: int) -> dict[str, Any]:
    payment = await get_payment(payment_id)
    if payment["state"] == S.CHARGING and payment["session"] == session_id:
        return payment
    return await _move(payment, S.CHARGING, "started", summary={"session": session_id},
                       changes={"session": session_id})  # fmt: skip


async def start_failed(payment_id: int, reason: str) -> dict[str, Any]:
    """The charge point did not start (offline, rejected, no answer): the hold is released at once."""
    payment = await get_payment(payment_id)
    payment = await _move(payment, S.START_FAILED, "start_failed", summary={"reason": reason},
                          changes={"failure": reason[:255]})  # fmt: skip
    return await release(payment_id)


# --- capture, release, refund ---------------------------------------------------------------------------------


async def release(payment_id: int, reason: str = "") -> dict[str, Any]:
    """Give the whole hold back (no session, start failed, challenge abandoned, nothing to capture); ``reason``
    becomes the payment's failure (one of ABANDONED: the driver gave up before anything was held)."""
    payment = await get_payment(payment_id)
    failure = {"failure": reason[:255]} if reason else {}
    check_transition(payment["state"], S.RELEASED)
    key = idempotency_key(payment["uid"], Step.RELEASE)
    if not payment["provider_reference"]:
        # the pre-authorisation's answer was lost: money may be held, and only its answer (recovery sends it again
        # with the same key) gives the reference to cancel; never mark such a payment released blindly
        raise ProviderError("the pre-authorisation's outcome is not known yet", code="unknown_outcome")
    try:
        result = await _provider(payment).release(payment["provider_reference"], key)
    except ProviderUnavailable as exc:
        return await _note(payment, "provider_unavailable", key=key, summary={"step": "release", "error": str(exc)})
    except ProviderError as exc:
        # already cancelled or declined at the provider (e.g. the challenge expired): nothing is held either way
        if exc.code not in ("unexpected_state", "payment_intent_unexpected_state"):
            raise
        return await _move(payment, S.RELEASED, Step.RELEASE.value, key=key,
                           summary={"error": str(exc), "code": exc.code}, changes=failure)  # fmt: skip
    return await _move(payment, S.RELEASED, Step.RELEASE.value, key=key, summary=result.event_summary(),
                       changes=failure)  # fmt: skip


async def capture(payment_id: int, final_price: Decimal) -> dict[str, Any]:
    """Take the session's final price (at most the hold; the rest is released by the capture) and finish."""
    payment = await get_payment(payment_id)
    price = round_money(Decimal(final_price), payment["currency"])
    amount = min(max(price, Decimal(0)), Decimal(payment["amount_authorised"]))
    summary: dict[str, Any] = {"final_price": str(price), "amount_to_capture": str(amount)}
    if price > amount:
        summary["exceeds_hold"] = True  # the hold caps what the driver pays; the difference is the CPO's loss
    payment = await _move(payment, S.CAPTURING, Step.CAPTURE.value, summary=summary,
                          changes={"amount_to_capture": amount})  # fmt: skip
    return await send_capture(payment)


async def send_capture(payment: dict[str, Any]) -> dict[str, Any]:
    """(Re)send the capture of a capturing payment with its fixed amount and its one key."""
    amount = Decimal(payment["amount_to_capture"] or 0)
    if amount == 0:
        return await release(payment["id"])
    key = idempotency_key(payment["uid"], Step.CAPTURE)
    try:
        result = await _provider(payment).capture(
            payment["provider_reference"], to_minor(amount, payment["currency"]), key
        )
    except ProviderUnavailable as exc:
        return await _note(payment, "provider_unavailable", key=key, summary={"step": "capture", "error": str(exc)})
    captured = from_minor(result.amount, payment["currency"]) if result.amount else amount
    return await _move(payment, S.CAPTURED, Step.CAPTURE.value, key=key, summary=result.event_summary(),
                       changes={"amount_captured": captured})  # fmt: skip


async def receipt_sent(payment_id: int) -> dict[str, Any]:
    payment = await get_payment(payment_id)
    if payment["state"] == S.RECEIPT_SENT:
        return payment
    return await _move(payment, S.RECEIPT_SENT, "receipt")


async def refund(payment_id: int, amount: Decimal | None = None) -> dict[str, Any]:
    """Pay back ``amount`` (default: everything not yet refunded) of a captured payment; refunded when all is."""
    payment = await get_payment(payment_id)
    if payment["state"] not in (S.CAPTURED, S.RECEIPT_SENT):
        check_transition(payment["state"], S.REFUNDED)  # raises: nothing captured to refund
    left = Decimal(payment["amount_captured"]) - Decimal(payment["amount_refunded"])
    amount = left if amount is None else round_money(Decimal(amount), payment["currency"])
    if not 0 < amount <= left:
        raise ValueError(f"a refund must be more than 0 and at most {left} {payment['currency']}")
    done = await PaymentEvent.count().where((PaymentEvent.payment == payment_id) & (PaymentEvent.step == "refund"))
    key = idempotency_key(payment["uid"], Step.REFUND, sequence=done)
    try:
        result = await _provider(payment).refund(
            payment["provider_reference"], to_minor(amount, payment["currency"]), key
        )
    except ProviderUnavailable as exc:
        await _note(payment, "provider_unavailable", key=key, summary={"step": "refund", "error": str(exc)})
        raise
    refunded = Decimal(payment["amount_refunded"]) + amount
    changes = {"amount_refunded": refunded}
    if refunded == Decimal(payment["amount_captured"]):
        return await _move(payment, S.REFUNDED, Step.REFUND.value, key=key, summary=result.event_summary(),
                           changes=changes)  # fmt: skip
    return await _note(payment, Step.REFUND.value, key=key, summary=result.event_summary(), changes=changes)
