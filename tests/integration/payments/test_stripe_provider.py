"""The Stripe provider against recorded Stripe exchanges (tests/fixtures/stripe) served by a local replay server,
and Stripe webhook signatures."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest

from core.payments import provider as providers
from core.payments import service
from core.payments.provider import (
    AuthoriseRequest,
    Outcome,
    ProviderError,
    ProviderUnavailable,
    cancel_url_of,
    idempotency_key,
)
from payment_providers.stripe import (
    StripeProvider,
    WebhookSignatureError,
    checkout_result,
    sign_webhook,
    verify_webhook,
    webhook_payment_uid,
    webhook_reference,
)
from tests.integration.payments.conftest import RETURN_URL, Site
from tests.integration.payments.stripe_replay import fixture, stripe_replay
from tests.support import free_port

SECRET_KEY = "sk_test_51ExampleSecretKey"
WEBHOOK_SECRET = "whsec_test_Example"
PI = "pi_3QAuthOK0000000000000001"
PI3 = "pi_3QChallenge000000000003"


def request(payment_method: str, key: str = "csms-pay-0a1b-authorise") -> AuthoriseRequest:
    return AuthoriseRequest(payment_uid="0a1b", amount=3000, currency="EUR", payment_method=payment_method,
                            return_url=RETURN_URL, idempotency_key=key, email="driver@example.org")  # fmt: skip


async def test_authorise_sends_a_manual_capture_intent_with_its_key_and_replays_it() -> None:
    with stripe_replay("create_requires_capture") as replay:
        stripe = StripeProvider(SECRET_KEY, replay.base_url)
        result = await stripe.authorise(request("pm_card_visa"))
        again = await stripe.authorise(request("pm_card_visa"))
    assert (result.outcome, result.reference, result.amount) == (Outcome.AUTHORISED, PI, 3000)
    assert (result.card_last4, result.card_brand, result.replayed) == ("4242", "visa", False)
    assert again.replayed and again.reference == PI
    sent = replay.requests[0]
    assert sent["headers"]["authorization"] == f"Bearer {SECRET_KEY}"
    assert sent["headers"]["idempotency-key"] == "csms-pay-0a1b-authorise"
    assert ("amount", "3000") in sent["form"] and ("currency", "eur") in sent["form"]
    assert {("capture_method", "manual"), ("confirm", "true"), ("payment_method", "pm_card_visa"),
            ("return_url", RETURN_URL), ("metadata[payment_uid]", "0a1b"),
            ("receipt_email", "driver@example.org")} <= set(sent["form"])  # fmt: skip
    assert replay.requests[1]["headers"]["idempotency-key"] == sent["headers"]["idempotency-key"]


async def test_a_key_reused_with_other_parameters_is_refused() -> None:
    with stripe_replay("create_requires_capture") as replay:
        stripe = StripeProvider(SECRET_KEY, replay.base_url)
        await stripe.authorise(request("pm_card_visa"))
        with pytest.raises(ProviderError) as refused:
            await stripe.authorise(AuthoriseRequest(**{**request("pm_card_visa").__dict__, "amount": 5000}))
    assert refused.value.code == "idempotency_error"


async def test_declined_card() -> None:
    with stripe_replay("create_card_declined") as replay:
        result = await StripeProvider(SECRET_KEY, replay.base_url).authorise(request("pm_card_chargeDeclined"))
    assert (result.outcome, result.decline_code) == (Outcome.DECLINED, "generic_decline")
    assert result.reference == "pi_3QDeclined0000000000002" and result.message == "Your card was declined."


async def test_three_d_secure_challenge_then_authorised() -> None:
    with stripe_replay("create_requires_action", "retrieve_after_challenge") as replay:
        stripe = StripeProvider(SECRET_KEY, replay.base_url)
        challenge = await stripe.authorise(request("pm_card_threeDSecure2Required"))
        after = await stripe.retrieve(PI3)
    assert challenge.outcome is Outcome.REQUIRES_ACTION and challenge.reference == PI3
    assert challenge.challenge_url.startswith("https://hooks.stripe.com/3d_secure_2/hosted?")
    assert (after.outcome, after.card_last4) == (Outcome.AUTHORISED, "3184")
    assert replay.requests[1]["method"] == "GET" and ("expand[]", "latest_charge") in replay.requests[1]["query"]


async def test_capture_cancel_refund_and_a_wrong_state() -> None:
    with stripe_replay("capture", "cancel", "refund", "capture_after_cancel") as replay:
        stripe = StripeProvider(SECRET_KEY, replay.base_url)
        captured = await stripe.capture(PI, 476, "csms-pay-0a1b-capture")
        released = await stripe.release(PI, "csms-pay-0a1b-release")
        refunded = await stripe.refund(PI, 100, "csms-pay-0a1b-refund-0")
        with pytest.raises(ProviderError) as wrong_state:
            await stripe.capture("pi_3QDeclined0000000000002", 476, "csms-pay-0c1d-capture")
    assert (captured.outcome, captured.amount) == (Outcome.CAPTURED, 476)
    assert released.outcome is Outcome.RELEASED
    assert (refunded.outcome, refunded.amount) == (Outcome.REFUNDED, 100)
    assert wrong_state.value.code == "payment_intent_unexpected_state"
    sent = {r["path"]: r for r in replay.requests}
    assert ("amount_to_capture", "476") in sent[f"/v1/payment_intents/{PI}/capture"]["form"]
    assert sent[f"/v1/payment_intents/{PI}/cancel"]["headers"]["idempotency-key"] == "csms-pay-0a1b-release"
    assert {("payment_intent", PI), ("amount", "100")} <= set(sent["/v1/refunds"]["form"])


async def test_unknown_outcomes_are_unavailable_not_failures() -> None:
    with stripe_replay("api_error") as replay, pytest.raises(ProviderUnavailable, match="500"):
        await StripeProvider(SECRET_KEY, replay.base_url).authorise(request("pm_card_visa"))
    with pytest.raises(ProviderUnavailable, match="not reached"):  # nobody listens there
        await StripeProvider(SECRET_KEY, f"http://127.0.0.1:{free_port()}").authorise(request("pm_card_visa"))


@pytest.fixture
def stripe_registered() -> Iterator[Callable[[str], None]]:
    """Core's "stripe" provider pointed at a replay server; afterwards the wiring of csms again."""
    yield lambda base_url: providers.register_provider("stripe", lambda: StripeProvider(SECRET_KEY, base_url))
    providers.register_provider("stripe", StripeProvider.from_settings)


async def test_a_payment_through_core_with_stripe(site: Site, stripe_registered: Callable[[str], None]) -> None:
    with stripe_replay("create_requires_capture", "capture") as replay:
        stripe_registered(replay.base_url)
        payment = await service.create_payment(site.ctx.id, amount=Decimal("30.00"), currency="EUR",
                                               charge_point_id=site.charge_point["id"], provider="stripe")  # fmt: skip
        payment = await service.authorise(payment["id"], "pm_card_visa", RETURN_URL)
        assert (payment["state"], payment["provider_reference"], payment["card_last4"]) == ("authorised", PI, "4242")
        await service.session_starting(payment["id"])
        await service.session_started(payment["id"], await site.session(payment))
        done = await service.capture(payment["id"], Decimal("4.76"))
    assert (done["state"], done["amount_captured"]) == ("captured", Decimal("4.76"))
    keys = [r["headers"]["idempotency-key"] for r in replay.requests]
    assert keys == [idempotency_key(payment["uid"], "authorise"), idempotency_key(payment["uid"], "capture")]


async def test_webhook_refreshes_a_challenged_payment(site: Site, stripe_registered: Callable[[str], None]) -> None:
    with stripe_replay("create_requires_action", "retrieve_after_challenge") as replay:
        stripe_registered(replay.base_url)
        payment = await service.create_payment(site.ctx.id, amount=Decimal("30.00"), currency="EUR",
                                               provider="stripe")  # fmt: skip
        payment = await service.authorise(payment["id"], "pm_card_threeDSecure2Required", RETURN_URL)
        assert payment["state"] == "challenge" and payment["challenge_url"].startswith("https://hooks.stripe.com/")
        body = json.dumps({"id": "evt_1Example", "object": "event", "type": "payment_intent.amount_capturable_updated",
                           "data": {"object": {"id": PI3, "object": "payment_intent"}}}).encode()  # fmt: skip
        event = verify_webhook(body, sign_webhook(body, WEBHOOK_SECRET, int(time.time())), WEBHOOK_SECRET)
        reference = webhook_reference(event)
        assert reference == PI3
        updated = await service.provider_update("stripe", reference)
    assert updated is not None and updated["state"] == "authorised" and updated["card_last4"] == "3184"


def test_webhook_signatures() -> None:
    body = b'{"id": "evt_1", "object": "event", "type": "charge.succeeded", "data": {"object": {"object": "charge"}}}'
    now = 1_764_979_200
    header = sign_webhook(body, WEBHOOK_SECRET, now)
    assert verify_webhook(body, header, WEBHOOK_SECRET, now=now + 299)["id"] == "evt_1"
    # Stripe sends several v1 signatures while a secret is rolled: one matching is enough
    rolled = f"t={now},v1={'0' * 64},v1={header.split('v1=')[1]}"
    assert webhook_reference(verify_webhook(body, rolled, WEBHOOK_SECRET, now=now)) is None  # not a payment event
    for bad_header, secret, at, reason in [
        (header, "whsec_wrong", now, "does not match"),
        (header, WEBHOOK_SECRET, now + 301, "tolerance"),  # a replayed old request
        (header.replace(f"t={now}", f"t={now + 5}"), WEBHOOK_SECRET, now, "does not match"),
        ("v1=abc", WEBHOOK_SECRET, now, "malformed"),
        (header, "", now, "no webhook secret"),
    ]:
        with pytest.raises(WebhookSignatureError, match=reason):
            verify_webhook(body, bad_header, secret, now=at)
    with pytest.raises(WebhookSignatureError, match="does not match"):
        verify_webhook(body + b" ", header, WEBHOOK_SECRET, now=now)  # the body was changed


def test_checkout_sessions_as_results_and_their_webhooks() -> None:
    complete = fixture("checkout_retrieve_complete")["response"]["body"]
    opened = checkout_result(fixture("checkout_create")["response"]["body"])
    assert (opened.outcome, opened.reference, opened.amount) == (Outcome.REQUIRES_ACTION, complete["id"], 5000)
    assert opened.challenge_url.startswith("https://checkout.stripe.com/c/pay/cs_test_")
    paid = checkout_result(complete)
    assert (paid.outcome, paid.reference, paid.amount, paid.card_last4) == (
        Outcome.AUTHORISED, "pi_3QCheckout000000000000004", 5000, "4444")  # fmt: skip
    assert paid.event_summary()["checkout_session"] == complete["id"]
    expired = checkout_result(fixture("checkout_retrieve_expired")["response"]["body"])
    assert (expired.outcome, expired.decline_code) == (Outcome.RELEASED, "expired")
    # complete, but the PaymentIntent not expanded: not decided here, asked again
    assert checkout_result({**complete, "payment_intent": "pi_1"}).outcome is Outcome.PENDING
    with pytest.raises(ProviderError, match="unexpected Checkout Session status"):
        checkout_result({**complete, "status": "weird"})

    def event(kind: str, obj: dict[str, Any]) -> dict[str, Any]:
        return {"type": kind, "data": {"object": obj}}

    session: dict[str, Any] = {"id": "cs_1", "object": "checkout.session", "metadata": {"payment_uid": "ab12"}}
    assert webhook_reference(event("checkout.session.completed", session)) == "cs_1"
    assert webhook_payment_uid(event("checkout.session.expired", session)) == "ab12"
    by_reference_id = {**session, "metadata": {}, "client_reference_id": "cd34"}
    assert webhook_payment_uid(event("checkout.session.completed", by_reference_id)) == "cd34"
    # an event type and an object that do not belong together concern no payment
    assert webhook_reference(event("payment_intent.succeeded", session)) is None
    assert webhook_reference(event("checkout.session.async_payment_failed", session)) is None
    assert cancel_url_of("https://csms.example/pay/p/1/return") == "https://csms.example/pay/p/1/return?cancelled=1"
    assert cancel_url_of("https://csms.example/r?x=1") == "https://csms.example/r?x=1&cancelled=1"
