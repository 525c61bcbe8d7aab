"""A payment from pre-authorisation to receipt with the sandbox provider, its events, declines, 3-D Secure,
refunds and the provider's idempotency."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from core.charging.tables import ChargingSession
from core.payments import recovery, sandbox, service
from core.payments.provider import AuthoriseRequest, Outcome, ProviderError, idempotency_key
from core.payments.states import IllegalTransition
from core.payments.tables import SandboxIntent
from tests.integration.payments.conftest import CHALLENGE, DECLINE, PENDING, RETURN_URL, SUCCESS, Site, later


async def test_pay_charge_capture_receipt_with_events(site: Site) -> None:
    payment = await site.payment()
    payment = await service.authorise(payment["id"], SUCCESS, RETURN_URL)
    assert payment["state"] == "authorised"
    assert (payment["card_last4"], payment["card_brand"]) == ("4242", "visa")
    assert payment["provider_reference"].startswith("sbx_")
    await service.session_starting(payment["id"])
    session_id = await site.session(payment)
    await service.session_started(payment["id"], session_id)

    receipts: list[int] = []

    async def send_receipt(p: dict[str, object]) -> bool:
        receipts.append(int(p["id"]))  # type: ignore[call-overload]
        return True

    hooks = recovery.PaymentHooks(send_receipt=send_receipt)
    outcome = await recovery.recover_payments(
        hooks=hooks, tenant_id=site.ctx.id
    )  # the session has ended: capture, then receipt
    assert outcome[f"captured->{'receipt_sent'}"] >= 1
    done = await service.get_payment(payment["id"])
    assert done["state"] == "receipt_sent" and receipts == [payment["id"]]
    # 10 kWh at 0.40 EUR net + 19 % VAT: the CDR's gross total, the rest of the 30 EUR released by the capture
    assert done["amount_captured"] == Decimal("4.76") and done["session"] == session_id
    captures = await sandbox.captures(payment["provider_reference"])
    assert [c["response"]["amount"] for c in captures] == [476]
    steps = [(e["from_state"], e["to_state"]) for e in await service.events(payment["id"])]
    assert steps == [("", "created"), ("created", "authorising"), ("authorising", "authorised"),
                     ("authorised", "session_starting"), ("session_starting", "charging"),
                     ("charging", "capturing"), ("capturing", "captured"), ("captured", "receipt_sent")]  # fmt: skip
    capture_event = (await service.events(payment["id"]))[6]
    assert capture_event["idempotency_key"] == idempotency_key(payment["uid"], "capture")
    assert capture_event["summary"]["outcome"] == "captured"


async def test_declined_card_and_illegal_next_steps(site: Site) -> None:
    payment = await service.authorise((await site.payment())["id"], DECLINE, RETURN_URL)
    assert (payment["state"], payment["failure"]) == ("declined", "generic_decline")
    with pytest.raises(IllegalTransition):
        await service.session_starting(payment["id"])
    with pytest.raises(IllegalTransition):
        await service.capture(payment["id"], Decimal("1.00"))


async def test_challenge_then_authorised_or_refused(site: Site) -> None:
    approved = await service.authorise((await site.payment())["id"], CHALLENGE, RETURN_URL)
    assert approved["state"] == "challenge" and "/pay/sandbox/challenge/" in approved["challenge_url"]
    assert await service.refresh(approved["id"]) == await service.get_payment(approved["id"])  # still open
    await sandbox.complete_challenge(approved["provider_reference"], approve=True)
    assert (await service.refresh(approved["id"]))["state"] == "authorised"

    refused = await service.authorise((await site.payment())["id"], CHALLENGE, RETURN_URL)
    await sandbox.complete_challenge(refused["provider_reference"], approve=False)
    assert (await service.refresh(refused["id"]))["state"] == "declined"


async def test_pending_payment_is_released_by_recovery_when_it_never_resolves(site: Site) -> None:
    payment = await service.authorise((await site.payment())["id"], PENDING, RETURN_URL)
    assert payment["state"] == "authorising" and payment["provider_reference"]
    assert (await recovery.recover_payments(tenant_id=site.ctx.id))[
        f"{'authorising'}"
    ] >= 0  # not stale yet: left alone
    assert (await service.get_payment(payment["id"]))["state"] == "authorising"
    await recovery.recover_payments(now=later(), tenant_id=site.ctx.id)
    assert (await service.get_payment(payment["id"]))["state"] == "released"
    intent = await SandboxIntent.select().where(SandboxIntent.reference == payment["provider_reference"]).first()
    assert intent is not None and intent["status"] == "released"


async def test_start_failed_releases_at_once(site: Site) -> None:
    payment = await service.authorise((await site.payment())["id"], SUCCESS, RETURN_URL)
    await service.session_starting(payment["id"])
    done = await service.start_failed(payment["id"], "station_offline")
    assert (done["state"], done["failure"]) == ("released", "station_offline")
    assert [e["to_state"] for e in await service.events(payment["id"])][-2:] == ["start_failed", "released"]


async def test_zero_price_releases_instead_of_capturing(site: Site) -> None:
    payment = await service.authorise((await site.payment())["id"], SUCCESS, RETURN_URL)
    await service.session_starting(payment["id"])
    await service.session_started(payment["id"], await site.session(payment, energy_wh=0))
    done = await service.capture(payment["id"], Decimal("0"))
    assert done["state"] == "released" and not await sandbox.captures(payment["provider_reference"])


async def test_capture_is_capped_by_the_hold(site: Site) -> None:
    payment = await service.authorise((await site.payment("5.00"))["id"], SUCCESS, RETURN_URL)
    await service.session_starting(payment["id"])
    await service.session_started(payment["id"], await site.session(payment, energy_wh=50_000))
    done = await service.capture(payment["id"], Decimal("23.80"))
    assert done["amount_captured"] == Decimal("5.00")
    assert (await service.events(payment["id"]))[-2]["summary"]["exceeds_hold"] is True


async def test_partial_then_full_refund(site: Site) -> None:
    payment = await service.authorise((await site.payment())["id"], SUCCESS, RETURN_URL)
    await service.session_starting(payment["id"])
    await service.session_started(payment["id"], await site.session(payment))
    await service.capture(payment["id"], Decimal("4.76"))
    partial = await service.refund(payment["id"], Decimal("1.00"))
    assert (partial["state"], partial["amount_refunded"]) == ("captured", Decimal("1.00"))
    with pytest.raises(ValueError, match="at most 3.76"):
        await service.refund(payment["id"], Decimal("4.00"))
    full = await service.refund(payment["id"])
    assert (full["state"], full["amount_refunded"]) == ("refunded", Decimal("4.76"))
    keys = [e["idempotency_key"] for e in await service.events(payment["id"]) if e["step"] == "refund"]
    assert keys == [idempotency_key(payment["uid"], "refund", 0), idempotency_key(payment["uid"], "refund", 1)]
    intent = await SandboxIntent.select().where(SandboxIntent.reference == payment["provider_reference"]).first()
    assert intent is not None and intent["amount_refunded"] == 476


async def test_sandbox_answers_a_repeated_key_with_its_first_answer(unique: str) -> None:
    provider = sandbox.SandboxProvider()
    request = AuthoriseRequest(payment_uid=unique, amount=2000, currency="EUR", payment_method=SUCCESS,
                               return_url=RETURN_URL, idempotency_key=f"k-{unique}")  # fmt: skip
    first = await provider.authorise(request)
    again = await provider.authorise(request)
    assert first.outcome is Outcome.AUTHORISED and not first.replayed
    assert again.replayed and again.reference == first.reference
    assert await SandboxIntent.count().where(SandboxIntent.reference == first.reference) == 1
    with pytest.raises(ProviderError, match="different request"):
        await provider.authorise(AuthoriseRequest(**{**request.__dict__, "amount": 3000}))
    captured = await provider.capture(first.reference, 1500, f"c-{unique}")
    assert (await provider.capture(first.reference, 1500, f"c-{unique}")).replayed
    with pytest.raises(ProviderError, match="captured"):  # a second capture under another key is refused
        await provider.capture(first.reference, 1500, f"c2-{unique}")
    assert captured.amount == 1500 and len(await sandbox.captures(first.reference)) == 1


async def test_session_end_captures_at_once_and_hands_over_the_receipt(site: Site) -> None:
    payment = await service.authorise((await site.payment())["id"], SUCCESS, RETURN_URL)
    await service.session_starting(payment["id"])
    running = await site.session(payment, stopped=False)
    await service.session_started(payment["id"], running)
    receipts: list[str] = []

    async def send_receipt(p: dict[str, object]) -> bool:
        receipts.append(str(p["uid"]))
        return True

    hooks = recovery.PaymentHooks(send_receipt=send_receipt)
    assert (await recovery.finish_session(running, hooks))["state"] == "charging"  # type: ignore[index]
    await ChargingSession.update({ChargingSession.status: "STOPPED", ChargingSession.meter_stop_wh: 10_000,
                                  ChargingSession.stopped_at: datetime.now(UTC) + timedelta(minutes=30)}).where(
        ChargingSession.id == running)  # fmt: skip
    done = await recovery.finish_session(running, hooks)
    assert done is not None and (done["state"], done["amount_captured"]) == ("receipt_sent", Decimal("4.76"))
    assert receipts == [payment["uid"]] and await recovery.finish_session(running, hooks) is None
    assert await service.get_payment_by_uid(payment["uid"]) == await service.get_payment(payment["id"])


async def test_a_lost_pre_authorisation_is_never_released_blindly(site: Site, crash_after: Any) -> None:
    payment = await site.payment()
    with crash_after("authorise"):
        await service.authorise(payment["id"], SUCCESS, RETURN_URL)
    with pytest.raises(ProviderError, match="not known"):
        await service.release(payment["id"])
    assert (await service.get_payment(payment["id"]))["state"] == "authorising"
