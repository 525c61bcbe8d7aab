"""Finishing payments that a crash (or a driver who walked away) left in an intermediate state.

``recover_payments()`` runs periodically (workers.schedules) and is safe to run in several processes at once:
every provider call repeats the step's idempotency key, and every state change is compare-and-set.

- authorising (no answer recorded, or pending) for ``recovery_minutes``: the pre-authorisation is sent again with
  its key (the provider answers with its first result), and whatever is held is released: the driver's page that
  would have started the session is long gone. While the provider cannot be reached, the payment waits.
- challenge for ``recovery_minutes``: asked once more, then released.
- authorised without a session for ``recovery_minutes``: released.
- session_starting: the session started with the payment's idTag is looked for at every round; found, the payment
  follows it (charging); not found after the tenant's ``start_confirm_seconds``, the start failed and the hold is
  released.
  The driver's page shows both before this writes them (core.payments.driver.shown): a GET changes nothing.
- charging: when the session has ended, its final price (``PaymentHooks.final_price``) is captured.
- capturing: the capture is sent again with its fixed amount and key.
- start_failed: the release is sent again.
- captured: the receipt step (``PaymentHooks.send_receipt``, wired by the receipts) is called; receipt_sent after.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from core.cdrs.building import create_cdr
from core.cdrs.tables import Cdr
from core.charging.sessions import SessionStatus
from core.charging.tables import ChargingSession
from core.payments import direct_settings, service
from core.payments.provider import ProviderError, provider_names
from core.payments.states import IllegalTransition, PaymentState
from core.payments.tables import Payment
from core.settings import get_settings

log = logging.getLogger("csms.payments")
S = PaymentState


@dataclass(frozen=True)
class FinalPrice:
    amount: Decimal  # gross, what the driver pays
    currency: str


FinalPriceFn = Callable[[int], Awaitable[FinalPrice | None]]
FindSessionFn = Callable[[dict[str, Any]], Awaitable[int | None]]
SendReceiptFn = Callable[[dict[str, Any]], Awaitable[bool]]


async def session_final_price(session_id: int) -> FinalPrice | None:
    """The final gross price of a finished session from csms's pricing engine (its CDR: core.cdrs.building, made
    now when it was not yet); None while the session runs."""
    session = await ChargingSession.select(ChargingSession.status).where(ChargingSession.id == session_id).first()
    if session is None or session["status"] not in (SessionStatus.STOPPED, SessionStatus.CLOSED_STALE):
        return None
    cdr_id = await create_cdr(session_id)
    if cdr_id is None:
        return None
    cdr = await Cdr.select(Cdr.total_cost_incl_vat, Cdr.currency).where(Cdr.id == cdr_id).first()
    if cdr is None:
        return None
    return FinalPrice(Decimal(cdr["total_cost_incl_vat"]), cdr["currency"])


async def session_of_payment(payment: dict[str, Any]) -> int | None:
    """The session the charge point started with the payment's idTag, if it did (an authorization still waiting for
    its StartTransaction, or expired, is no session)."""
    query = ChargingSession.select(ChargingSession.id).where(
        (ChargingSession.tenant == payment["tenant"])
        & (ChargingSession.id_tag == payment["id_tag"])
        & ChargingSession.status.not_in([SessionStatus.AUTHORIZED.value, SessionStatus.EXPIRED.value])
    )
    if payment["charge_point"] is not None:
        query = query.where(ChargingSession.charge_point == payment["charge_point"])
    row = await query.order_by(ChargingSession.id, ascending=False).first()
    return int(row["id"]) if row else None


@dataclass(frozen=True)
class PaymentHooks:
    """What the session and receipt sides provide to payments."""

    final_price: FinalPriceFn = session_final_price
    find_session: FindSessionFn = session_of_payment
    send_receipt: SendReceiptFn | None = None  # returns True once the receipt is on its way


_hooks = PaymentHooks()


def register_receipt_sender(fn: SendReceiptFn | None) -> None:
    """The receipt step (mail with the receipt) called for captured payments."""
    global _hooks
    _hooks = PaymentHooks(_hooks.final_price, _hooks.find_session, fn)


def hooks() -> PaymentHooks:
    return _hooks


def start_unconfirmed(payment: dict[str, Any], at: datetime, confirm_seconds: int) -> bool:
    """A payment in session_starting whose station has not sent its StartTransaction within ``confirm_seconds`` (the
    tenant's setting, ``confirm_seconds_of``): it did not start."""
    return bool(payment["state_changed_at"] <= at - timedelta(seconds=confirm_seconds))


async def confirm_seconds_of(payment: dict[str, Any]) -> int:
    """The seconds the payment's tenant gives a station to send its StartTransaction after accepting the start."""
    return (await direct_settings.of_tenant(int(payment["tenant"]))).start_confirm_seconds


async def follow_start(payment: dict[str, Any], find_session: FindSessionFn | None = None) -> dict[str, Any]:
    """A payment in session_starting follows the session its idTag started (charging); unchanged otherwise."""
    if payment["state"] != S.SESSION_STARTING:
        return payment
    session_id = await (find_session or _hooks.find_session)(payment)
    if session_id is None:
        return payment
    return await service.session_started(payment["id"], session_id)


async def capture_final_price(payment: dict[str, Any], final_price: FinalPriceFn) -> dict[str, Any]:
    """Capture a charging payment's final price once its session has ended (unchanged while it runs)."""
    if payment["session"] is None:
        return payment
    price = await final_price(payment["session"])
    if price is None:
        return payment
    if price.currency and price.currency.upper() != payment["currency"]:
        raise ProviderError(f"session priced in {price.currency}, payment held in {payment['currency']}", "currency")
    return await service.capture(payment["id"], price.amount)


async def finish_receipt(payment: dict[str, Any], send_receipt: SendReceiptFn | None) -> dict[str, Any]:
    if send_receipt is None or not await send_receipt(payment):
        return payment
    return await service.receipt_sent(payment["id"])


async def finish_session(session_id: int, h: PaymentHooks | None = None) -> dict[str, Any] | None:
    """The session of a paid charge has ended (the session side calls this when it stops): capture its final price
    and hand it to the receipt, now rather than at recovery's next round. None when no payment charges it."""
    h = h or _hooks
    payment = (
        await Payment.select().where((Payment.session == session_id) & (Payment.state == S.CHARGING.value)).first()
    )
    if payment is None:  # nothing wrote yet that the session started (no GET does): follow it now
        session = (
            await ChargingSession.select(ChargingSession.tenant, ChargingSession.charge_point, ChargingSession.id_tag)
            .where(ChargingSession.id == session_id)
            .first()
        )
        starting = None if session is None or not session["id_tag"] else await Payment.select().where(
            (Payment.tenant == session["tenant"]) & (Payment.id_tag == session["id_tag"])
            & (Payment.charge_point == session["charge_point"]) & (Payment.state == S.SESSION_STARTING.value)
        ).first()  # fmt: skip
        if starting is None or await h.find_session(starting) != session_id:
            return None
        payment = await service.session_started(starting["id"], session_id)
    payment = await capture_final_price(payment, h.final_price)
    if payment["state"] == S.CAPTURED:
        payment = await finish_receipt(payment, h.send_receipt)
    return payment


async def _recover_one(payment: dict[str, Any], at: datetime, stale: bool, h: PaymentHooks) -> str:
    state = payment["state"]
    if state == S.AUTHORISING and stale:
        payment = await service.send_authorisation(payment)
        if payment["state"] in (S.AUTHORISING, S.CHALLENGE, S.AUTHORISED) and payment["provider_reference"]:
            payment = await service.release(payment["id"])
        return f"authorising->{payment['state']}"  # still authorising without a reference: the provider is down
    if state == S.CHALLENGE and stale:
        payment = await service.refresh(payment["id"])
        if payment["state"] in (S.CHALLENGE, S.AUTHORISED):
            payment = await service.release(payment["id"])
        return f"challenge->{payment['state']}"
    if state == S.AUTHORISED and stale:
        await service.release(payment["id"])
        return "authorised->released"
    if state == S.SESSION_STARTING:
        payment = await follow_start(payment, h.find_session)
        if payment["state"] == S.SESSION_STARTING:
            if not (stale or start_unconfirmed(payment, at, await confirm_seconds_of(payment))):
                return "session_starting"  # the station still has time to send its StartTransaction
            payment = await service.start_failed(payment["id"], "start_not_confirmed")
            return f"session_starting->{payment['state']}"
        state = payment["state"]  # and capture at once if the session has ended meanwhile
    if state == S.CHARGING:
        payment = await capture_final_price(payment, h.final_price)
        if payment["state"] == S.CHARGING:
            return "charging"
        state = payment["state"]
    if state == S.CAPTURING:
        payment = await service.send_capture(payment)
        state = payment["state"]
    if state == S.START_FAILED:
        payment = await service.release(payment["id"])
        return f"start_failed->{payment['state']}"
    if state == S.CAPTURED:
        payment = await finish_receipt(payment, h.send_receipt)
        return f"captured->{payment['state']}"
    return f"{state}"


_unavailable_said: set[str] = set()


async def recover_payments(
    now: datetime | None = None, hooks: PaymentHooks | None = None, tenant_id: int | None = None
) -> Counter[str]:
    """Finish every payment (of one tenant, if given) stuck in an intermediate state; returns how many ended how
    (for logs and tests)."""
    at = now or service.now()
    h = hooks or _hooks
    stale_before = at - timedelta(minutes=get_settings().payments.recovery_minutes)
    watched = [S.AUTHORISING, S.CHALLENGE, S.AUTHORISED, S.SESSION_STARTING, S.CHARGING, S.CAPTURING,
               S.START_FAILED, S.CAPTURED]  # fmt: skip
    query = Payment.select().where(Payment.state.is_in([s.value for s in watched]))
    if tenant_id is not None:
        query = query.where(Payment.tenant == tenant_id)
    rows = await query.order_by(Payment.id)
    outcomes: Counter[str] = Counter()
    available = set(provider_names())
    for payment in rows:
        if payment["provider"] not in available:
            # A node without that provider's settings leaves its payments to the nodes that have them; said once.
            if payment["provider"] not in _unavailable_said:
                _unavailable_said.add(payment["provider"])
                log.warning("payments of provider %r wait for a node with its settings", payment["provider"])
            outcomes["provider_unavailable"] += 1
            continue
        stale = payment["state_changed_at"] <= stale_before
        try:
            outcomes[await _recover_one(payment, at, stale, h)] += 1
        except (service.StateConflict, IllegalTransition):
            outcomes["moved_by_another"] += 1  # another worker or the driver's flow got there first
        except ProviderError as exc:
            log.warning("payment %s: provider refused recovery: %s", payment["uid"], exc)
            outcomes["provider_error"] += 1
    return outcomes
