"""The driver's door with Stripe as the payment provider: the card is entered on Stripe Checkout's page, never on
csms's. Against the Checkout exchanges of tests/fixtures/stripe (checkout_*) served by the local replay server,
with a simulated station on the in-process server: the session csms creates, the driver's way back (paid or
cancelled), the webhooks (first or second, expired, forged), recovery, and a crash right after the session was
made."""

from __future__ import annotations

import contextlib
import json
import re
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from core.payments import provider as providers
from core.payments import recovery, service
from core.payments.provider import AuthoriseRequest, ProviderResult, idempotency_key
from core.settings import get_settings
from payment_providers.stripe import StripeProvider, sign_webhook
from tests.integration.driver_pay.conftest import PaySite, form_token
from tests.integration.ocpp.test_commands import simulated, until
from tests.integration.payments.stripe_replay import Replay, fixture, stripe_replay

SECRET_KEY = "sk_test_51ExampleSecretKey"
WEBHOOK_SECRET = "whsec_test_Example"
CS = "cs_test_a1CsmsHoldDriverPage00000000000000000000000000000000000004"
PI = "pi_3QCheckout000000000000004"
SESSION_PATH = f"/v1/checkout/sessions/{CS}"


@pytest.fixture
def use_stripe(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[Replay], None]]:
    """Makes Stripe (at the replay server's address) the installation's payment provider, as an operator does with
    PAYMENT_PROVIDER=stripe; afterwards the settings of the test run again."""

    def select(replay: Replay) -> None:
        env = {"PAYMENT_PROVIDER": "stripe", "STRIPE_SECRET_KEY": SECRET_KEY,
               "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET, "STRIPE_API_BASE": replay.base_url}  # fmt: skip
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        get_settings.cache_clear()

    yield select
    monkeypatch.undo()
    get_settings.cache_clear()
    providers.register_provider("stripe", StripeProvider.from_settings)


Checkout = Callable[..., AbstractAsyncContextManager[tuple[Replay, dict[str, Any]]]]


@pytest.fixture
def checkout(
    ocpp_url: str, pay_site: PaySite, driver: httpx.AsyncClient, use_stripe: Callable[[Replay], None]
) -> Checkout:
    """``async with checkout(*fixtures, **form) as (replay, payment)``: Stripe selected at a replay server with
    checkout_create and ``fixtures``, the station online, and the driver sent to Stripe's page (``form``: what the
    page's form posts besides e-mail and terms); the station stays online inside the block."""

    @contextlib.asynccontextmanager
    async def at_stripe(*fixtures: str, **form: str) -> AsyncIterator[tuple[Replay, dict[str, Any]]]:
        with stripe_replay("checkout_create", *fixtures) as replay:
            use_stripe(replay)
            async with simulated(ocpp_url, pay_site.station):
                await until(lambda: _available(driver, pay_site))
                yield replay, await _to_checkout(driver, pay_site, replay, **form)

    return at_stripe


async def _available(driver: httpx.AsyncClient, site: PaySite) -> bool:
    return 'data-status="available"' in (await driver.get(f"/pay/{site.evse_id}/status")).text


async def _to_checkout(driver: httpx.AsyncClient, site: PaySite, replay: Replay, **extra: str) -> dict[str, Any]:
    """The driver opens the page, gives the e-mail, accepts and presses "Continue to payment": csms sends the
    browser to Stripe's page. Returns the payment."""
    page = await driver.get(f"/pay/{site.evse_id}")
    data = {"_csrf_token": form_token(page.text), "email": "driver@example.org", "terms": "on", **extra}
    response = await driver.post(f"/pay/{site.evse_id}", data=data, follow_redirects=False)
    assert response.status_code == 303, response.text
    uid = dict(replay.sent("/v1/checkout/sessions")[-1]["form"])["metadata[payment_uid]"]
    # the form leads to csms's own page (CSP form-action 'self'), which forwards to Stripe's page at once
    assert response.headers["location"] == f"/pay/p/{uid}?forward=1"
    forward = await driver.get(response.headers["location"])
    assert re.search(
        r'<meta http-equiv="refresh" content="0;url=https://checkout\.stripe\.com/c/pay/' + CS, forward.text
    )
    assert 'data-testid="cancel-payment"' in forward.text
    payment = await service.get_payment_by_uid(uid)
    assert payment is not None
    return payment


async def _payment(uid: str) -> dict[str, Any]:
    payment = await service.get_payment_by_uid(uid)
    assert payment is not None
    return payment


async def _webhook(driver: httpx.AsyncClient, event_type: str, obj: dict[str, Any],
                   secret: str = WEBHOOK_SECRET) -> httpx.Response:  # fmt: skip
    """A webhook request as Stripe sends it, signed with ``secret``."""
    now = int(time.time())
    body = json.dumps({"id": f"evt_1Checkout{now}", "object": "event", "api_version": "2024-06-20", "created": now,
                       "type": event_type, "data": {"object": obj}, "livemode": False, "pending_webhooks": 1,
                       "request": {"id": None, "idempotency_key": None}}).encode()  # fmt: skip
    headers = {"Stripe-Signature": sign_webhook(body, secret, now), "Content-Type": "application/json"}
    return await driver.post("/pay/webhooks/stripe", content=body, headers=headers)


def _session_event(name: str, uid: str) -> dict[str, Any]:
    """The Checkout Session of fixture ``name`` as an event carries it (the PaymentIntent as its id)."""
    session = fixture(name)["response"]["body"]
    intent = session["payment_intent"]
    return {**session, "payment_intent": intent["id"] if isinstance(intent, dict) else intent,
            "metadata": {"payment_uid": uid}, "client_reference_id": uid}  # fmt: skip


def _intent_event(uid: str) -> dict[str, Any]:
    intent = fixture("checkout_retrieve_complete")["response"]["body"]["payment_intent"]
    return {**intent, "latest_charge": intent["latest_charge"]["id"], "metadata": {"payment_uid": uid}}


async def _authorised_moves(payment_id: int) -> int:
    return sum(
        1 for e in await service.events(payment_id) if e["to_state"] == "authorised" and e["from_state"] != "authorised"
    )


async def test_the_page_asks_for_no_card_and_stripe_gets_the_session(
    pay_site: PaySite, driver: httpx.AsyncClient, checkout: Checkout
) -> None:
    # a card number posted anyway (an old page, a bot) goes nowhere: Stripe's page takes the card
    async with checkout(card_number="4242 4242 4242 4242", card_cvc="123") as (replay, payment):
        german = await driver.get(f"/pay/{pay_site.evse_id}", headers={"Accept-Language": "de-DE,de;q=0.9"})
        assert 'data-testid="pay-form"' in german.text and "Weiter zur Zahlung" in german.text
        assert 'id="email"' in german.text and 'id="terms"' in german.text
        assert 'name="card_number"' not in german.text and 'name="card_cvc"' not in german.text
    assert (payment["state"], payment["provider"], payment["provider_reference"]) == ("challenge", "stripe", CS)
    assert payment["challenge_url"].startswith("https://checkout.stripe.com/c/pay/")
    assert payment["payment_method"] == "" and payment["language"] == "en"
    sent = replay.sent("/v1/checkout/sessions")[0]
    form = dict(sent["form"])
    assert sent["headers"]["idempotency-key"] == idempotency_key(payment["uid"], "authorise")
    assert sent["headers"]["authorization"] == f"Bearer {SECRET_KEY}"
    return_url = f"{get_settings().public_url}/pay/p/{payment['uid']}/return"
    assert form == {
        "mode": "payment",
        "line_items[0][price_data][currency]": "eur",
        "line_items[0][price_data][unit_amount]": "5000",  # the hold: 50.00 EUR
        "line_items[0][price_data][product_data][name]": f"Charging at {pay_site.evse_id}",
        "line_items[0][price_data][product_data][description]": (
            "Pre-authorisation: only the price of your charge is taken, the rest is released."),
        "line_items[0][quantity]": "1",
        "payment_method_types[0]": "card",
        "payment_intent_data[capture_method]": "manual",
        "payment_intent_data[description]": f"Charging at {pay_site.evse_id}",
        "payment_intent_data[metadata][payment_uid]": payment["uid"],
        "metadata[payment_uid]": payment["uid"],
        "client_reference_id": payment["uid"],
        "customer_email": "driver@example.org",
        "success_url": return_url,
        "cancel_url": return_url + "?cancelled=1",
        "locale": "en",
        "expires_at": str(int((payment["created_at"] + timedelta(minutes=31)).timestamp())),
    }  # fmt: skip
    assert all("4242" not in value for r in replay.requests for _, value in r["form"])  # no card data left csms
    expires = datetime.fromtimestamp(int(form["expires_at"]), UTC)
    assert timedelta(minutes=30) < expires - datetime.now(UTC) <= timedelta(minutes=31)  # Stripe's minimum: 30


async def test_german_driver_gets_a_german_line_item(
    pay_site: PaySite, driver: httpx.AsyncClient, checkout: Checkout
) -> None:
    driver.headers["Accept-Language"] = "de-DE,de;q=0.9"
    async with checkout() as (replay, payment):
        assert payment["language"] == "de"
    form = dict(replay.sent("/v1/checkout/sessions")[0]["form"])
    assert form["locale"] == "de"
    assert form["line_items[0][price_data][product_data][name]"] == f"Ladevorgang an {pay_site.evse_id}"
    assert form["line_items[0][price_data][product_data][description]"].startswith("Reservierung:")


async def _come_back(driver: httpx.AsyncClient, uid: str, query: str = "") -> httpx.Response:
    """What the browser does on Stripe's way back: GET the return address (it only reads), then its form's POST
    (which the page's script submits), unless the GET already sent the browser on."""
    page = await driver.get(f"/pay/p/{uid}/return{query}", follow_redirects=False)
    if page.status_code == 303:
        return page
    assert page.status_code == 200 and 'data-testid="page-returning"' in page.text, page.text
    form = {"_csrf_token": form_token(page.text)}
    return await driver.post(f"/pay/p/{uid}/return{query}", data=form, follow_redirects=False)


async def test_back_from_checkout_first_then_the_webhook(
    pay_site: PaySite, driver: httpx.AsyncClient, checkout: Checkout
) -> None:
    async with checkout("checkout_retrieve_complete") as (replay, payment):
        back = await _come_back(driver, payment["uid"])
        assert back.status_code == 303 and back.headers["location"] == f"/pay/p/{payment['uid']}"
        started = await _payment(payment["uid"])
        assert started["state"] in ("session_starting", "charging")  # the start path went on
        assert (started["provider_reference"], started["card_last4"], started["card_brand"]) == (
            PI, "4444", "mastercard")  # fmt: skip
        late = await _webhook(driver, "checkout.session.completed",
                              _session_event("checkout_retrieve_complete", payment["uid"]))  # fmt: skip
        assert late.status_code == 200, late.text
    after = await _payment(payment["uid"])
    assert after["state"] == started["state"] or after["state"] == "charging"
    assert await _authorised_moves(payment["id"]) == 1  # recorded once, whoever came first
    events = await service.events(payment["id"])
    steps = [(e["step"], e["from_state"], e["to_state"], e["summary"]) for e in events]
    assert any(e["step"] == "notice" and e["summary"]["type"] == "checkout.session.completed" for e in events), steps
    authorised = next(e for e in events if e["to_state"] == "authorised" and e["from_state"] == "challenge")
    assert authorised["summary"]["checkout_session"] == CS and authorised["summary"]["status"] == "requires_capture"
    assert [r["path"] for r in replay.requests] == ["/v1/checkout/sessions", SESSION_PATH]  # the webhook: no call


async def test_the_webhook_first_then_the_driver_comes_back(
    pay_site: PaySite, driver: httpx.AsyncClient, checkout: Checkout
) -> None:
    async with checkout("checkout_retrieve_complete") as (replay, payment):
        # the PaymentIntent's event names a PaymentIntent csms does not know yet: found by our uid in its metadata
        hook = await _webhook(driver, "payment_intent.amount_capturable_updated", _intent_event(payment["uid"]))
        assert hook.status_code == 200, hook.text
        held = await _payment(payment["uid"])
        assert (held["state"], held["provider_reference"]) == (
            "authorised",
            PI,
        )  # held; not started without the driver
        second = await _webhook(driver, "checkout.session.completed",
                                _session_event("checkout_retrieve_complete", payment["uid"]))  # fmt: skip
        assert second.status_code == 200
        assert (await _payment(payment["uid"]))["state"] == "authorised"
        back = await _come_back(driver, payment["uid"])
        assert back.status_code == 303
        assert (await _payment(payment["uid"]))["state"] in ("session_starting", "charging")
    assert await _authorised_moves(payment["id"]) == 1


async def test_cancelled_on_stripes_page(pay_site: PaySite, driver: httpx.AsyncClient, checkout: Checkout) -> None:
    async with checkout("checkout_retrieve_open", "checkout_expire") as (replay, payment):
        back = await _come_back(driver, payment["uid"], "?cancelled=1")
        assert back.status_code == 303 and back.headers["location"] == f"/pay/p/{payment['uid']}"
        page = await driver.get(back.headers["location"], headers={"Accept-Language": "de"})
    assert 'data-testid="page-cancelled"' in page.text and "Zahlung abgebrochen" in page.text
    assert "Sie haben die Zahlung auf der Zahlungsseite abgebrochen." in page.text
    cancelled = await _payment(payment["uid"])
    assert (cancelled["state"], cancelled["failure"], cancelled["session"]) == ("released", "cancelled", None)
    expire = replay.sent(f"{SESSION_PATH}/expire")
    assert len(expire) == 1 and expire[0]["headers"]["idempotency-key"] == idempotency_key(payment["uid"], "release")
    # the way back once more (browser history): nothing more is sent
    await _come_back(driver, payment["uid"], "?cancelled=1")
    assert len(replay.sent(f"{SESSION_PATH}/expire")) == 1


async def test_checkout_expired_webhook(pay_site: PaySite, driver: httpx.AsyncClient, checkout: Checkout) -> None:
    async with checkout("checkout_retrieve_expired") as (replay, payment):
        hook = await _webhook(driver, "checkout.session.expired", _session_event("checkout_retrieve_expired",
                                                                             payment["uid"]))  # fmt: skip
        assert hook.status_code == 200
        page = await driver.get(f"/pay/p/{payment['uid']}")
    expired = await _payment(payment["uid"])
    assert (expired["state"], expired["failure"]) == ("released", "expired")
    assert 'data-testid="page-cancelled"' in page.text and "The payment page has expired" in page.text
    assert "Nothing is held on your card" in page.text


async def test_a_forged_webhook_changes_nothing(
    pay_site: PaySite, driver: httpx.AsyncClient, checkout: Checkout
) -> None:
    async with checkout("checkout_retrieve_complete") as (replay, payment):
        event = _session_event("checkout_retrieve_complete", payment["uid"])
        forged = await _webhook(driver, "checkout.session.completed", event, secret="whsec_not_stripes")
        unsigned = await driver.post("/pay/webhooks/stripe", content=json.dumps({"type": "checkout.session.completed",
                                 "data": {"object": event}}).encode())  # fmt: skip
    assert forged.status_code == 400 and unsigned.status_code == 400
    unchanged = await _payment(payment["uid"])
    assert (unchanged["state"], unchanged["provider_reference"]) == ("challenge", CS)
    assert [r["path"] for r in replay.requests] == ["/v1/checkout/sessions"]  # Stripe was not even asked
    assert not [e for e in await service.events(payment["id"]) if e["step"] == "notice"]


async def test_paid_but_never_back_is_released_by_recovery(
    pay_site: PaySite, driver: httpx.AsyncClient, checkout: Checkout
) -> None:
    async with checkout("checkout_retrieve_complete", "checkout_cancel") as (replay, payment):
        await _webhook(driver, "checkout.session.completed", _session_event("checkout_retrieve_complete",
                                                                        payment["uid"]))  # fmt: skip
        assert (await _payment(payment["uid"]))["state"] == "authorised"
        later = datetime.now(UTC) + timedelta(minutes=60)
        await recovery.recover_payments(now=later, tenant_id=pay_site.ctx.id)
    released = await _payment(payment["uid"])
    assert released["state"] == "released"
    cancel = replay.sent(f"/v1/payment_intents/{PI}/cancel")
    assert len(cancel) == 1 and cancel[0]["headers"]["idempotency-key"] == idempotency_key(payment["uid"], "release")


class _DiesAfterAuthorise:
    """Stripe, but the process dies right after Stripe made the Checkout Session (before csms wrote it down)."""

    def __init__(self, inner: StripeProvider) -> None:
        self.inner = inner
        self.name = inner.name
        self.card_entry = inner.card_entry

    async def authorise(self, request: AuthoriseRequest) -> ProviderResult:
        await self.inner.authorise(request)
        raise _Died

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


class _Died(BaseException):
    pass


async def test_crash_after_the_session_was_made_then_recovery(
    pay_site: PaySite, use_stripe: Callable[[Replay], None]
) -> None:
    with stripe_replay("checkout_create", "checkout_retrieve_open", "checkout_expire") as replay:
        use_stripe(replay)
        payment = await service.create_payment(
            pay_site.ctx.id, amount=Decimal("50.00"), currency="EUR", charge_point_id=pay_site.charge_point["id"],
            evse_id=pay_site.evse_id, email="driver@example.org", language="de",
        )  # fmt: skip
        assert payment["provider"] == "stripe"
        providers.register_provider("stripe", lambda: _DiesAfterAuthorise(StripeProvider.from_settings()))  # type: ignore[arg-type,return-value]
        with pytest.raises(_Died):
            await service.authorise(payment["id"], "", f"{get_settings().public_url}/pay/p/{payment['uid']}/return")
        providers.register_provider("stripe", StripeProvider.from_settings)  # the fresh process
        stuck = await _payment(payment["uid"])
        assert (stuck["state"], stuck["provider_reference"]) == ("authorising", "")
        await recovery.recover_payments(now=datetime.now(UTC) + timedelta(minutes=60), tenant_id=pay_site.ctx.id)
    done = await _payment(payment["uid"])
    assert (done["state"], done["provider_reference"]) == ("released", CS)
    created = replay.sent("/v1/checkout/sessions")
    # the same request with the same key: Stripe answered with the first session instead of making a second one
    assert len(created) == 2 and created[0]["form"] == created[1]["form"]
    assert created[0]["headers"]["idempotency-key"] == created[1]["headers"]["idempotency-key"]
    assert any(e["summary"].get("replayed") for e in await service.events(payment["id"]))
    assert len(replay.sent(f"{SESSION_PATH}/expire")) == 1  # the page closed: nobody can pay on it any more
