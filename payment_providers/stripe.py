"""Stripe: PaymentIntents with manual capture over Stripe's form-encoded REST API (httpx), and webhook signatures.

The driver enters the card on Stripe's own page (Stripe Checkout, CardEntry.HOSTED): authorise without a payment
method creates a Checkout Session (POST /v1/checkout/sessions, mode=payment, the PaymentIntent it makes with
capture_method=manual and our payment uid in its metadata) and answers REQUIRES_ACTION with the session's URL. The
payment's reference is the session's id (cs_...) until the driver has paid; retrieving it then gives the
PaymentIntent (pi_...), which becomes the reference. Card data never touches csms.

authorise with a payment method (a PaymentMethod id): POST /v1/payment_intents (capture_method=manual,
confirm=true); capture: POST .../capture with amount_to_capture; release: POST .../cancel (a session still open:
POST /v1/checkout/sessions/{id}/expire); refund: POST /v1/refunds; retrieve: GET /v1/payment_intents/{id} or
GET /v1/checkout/sessions/{id}.
Every POST carries the step's Idempotency-Key; Stripe answers a repeated key with the first response (and the
header Idempotent-Replayed: true). The base URL is a setting (STRIPE_API_BASE), so tests talk to a local replay.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from core.payments import service
from core.payments.provider import (
    AuthoriseRequest,
    CardEntry,
    Outcome,
    ProviderError,
    ProviderResult,
    ProviderUnavailable,
    WebhookRejected,
)
from core.settings import get_settings

NAME = "stripe"
API_VERSION = "2024-06-20"
WEBHOOK_TOLERANCE_SECONDS = 300
CHECKOUT_PREFIX = "cs_"  # a Checkout Session's id; a PaymentIntent's starts with pi_
# a Checkout Session is open this long after the payment was made (Stripe accepts 30 minutes to 24 hours after the
# session's creation, a moment later); csms's recovery closes it earlier (PAYMENT_RECOVERY_MINUTES)
CHECKOUT_MINUTES = 31
CHECKOUT_LOCALES = ("de", "en")  # the driver's language on Stripe's page; any other: Stripe picks (auto)

# PaymentIntent.status -> what core hears while authorising
_INTENT_OUTCOME = {
    "requires_capture": Outcome.AUTHORISED,
    "requires_action": Outcome.REQUIRES_ACTION,
    "processing": Outcome.PENDING,
    "requires_confirmation": Outcome.PENDING,
    "requires_payment_method": Outcome.DECLINED,  # the confirmation failed (or the challenge was refused)
    "canceled": Outcome.RELEASED,
    "succeeded": Outcome.CAPTURED,
}


def _card(intent: dict[str, Any]) -> tuple[str, str]:
    charge = intent.get("latest_charge")
    details = charge.get("payment_method_details", {}) if isinstance(charge, dict) else {}
    card = details.get("card") or {}
    return str(card.get("last4") or ""), str(card.get("brand") or "")


def intent_result(intent: dict[str, Any], replayed: bool = False) -> ProviderResult:
    """A PaymentIntent as core's ProviderResult."""
    status = intent.get("status", "")
    outcome = _INTENT_OUTCOME.get(status)
    if outcome is None:
        raise ProviderError(f"unexpected PaymentIntent status {status!r}", code="unexpected_status")
    last4, brand = _card(intent)
    next_action = intent.get("next_action") or {}
    error = intent.get("last_payment_error") or {}
    amount = intent.get("amount_received") if outcome is Outcome.CAPTURED else intent.get("amount_capturable")
    if outcome is not Outcome.CAPTURED and not amount:
        amount = intent.get("amount", 0)
    return ProviderResult(
        outcome=outcome, reference=intent.get("id", ""), amount=int(amount or 0),
        challenge_url=(next_action.get("redirect_to_url") or {}).get("url", ""), card_last4=last4, card_brand=brand,
        decline_code=error.get("decline_code") or error.get("code") or "", message=error.get("message", ""),
        replayed=replayed, summary={"provider": NAME, "status": status},
    )  # fmt: skip


def checkout_result(session: dict[str, Any], replayed: bool = False) -> ProviderResult:
    """A Checkout Session as core's ProviderResult: open (the driver is to go to, or is on, its page), complete (its
    PaymentIntent decides; expanded), expired (nothing held)."""
    status = session.get("status", "")
    summary = {"provider": NAME, "checkout_session": session.get("id", ""), "checkout_status": status}
    if status == "open":
        return ProviderResult(outcome=Outcome.REQUIRES_ACTION, reference=session.get("id", ""),
                              amount=int(session.get("amount_total") or 0), challenge_url=session.get("url") or "",
                              replayed=replayed, summary=summary)  # fmt: skip
    if status == "expired":
        return ProviderResult(outcome=Outcome.RELEASED, reference=session.get("id", ""), decline_code="expired",
                              replayed=replayed, summary=summary)  # fmt: skip
    intent = session.get("payment_intent")
    if status == "complete" and isinstance(intent, dict):
        result = intent_result(intent, replayed)
        return replace(result, summary={**result.summary, **summary})
    if status == "complete":  # paid, but its PaymentIntent is not in the answer: ask again later
        return ProviderResult(outcome=Outcome.PENDING, reference=session.get("id", ""), replayed=replayed,
                              summary=summary)  # fmt: skip
    raise ProviderError(f"unexpected Checkout Session status {status!r}", code="unexpected_status")


def checkout_form(request: AuthoriseRequest) -> list[tuple[str, str]]:
    """The Checkout Session of a pre-authorisation: Stripe's page takes the card, holds the amount (manual capture)
    and sends the driver back. Everything in it comes from the stored payment, so a retry is the same request."""
    created = request.created_at or datetime.now(UTC)
    expires_at = int((created + timedelta(minutes=CHECKOUT_MINUTES)).timestamp())
    form = [
        ("mode", "payment"),
        ("line_items[0][price_data][currency]", request.currency.lower()),
        ("line_items[0][price_data][unit_amount]", str(request.amount)),
        ("line_items[0][price_data][product_data][name]", request.line_item or request.description),
        ("line_items[0][quantity]", "1"),
        ("payment_method_types[0]", "card"),
        ("payment_intent_data[capture_method]", "manual"),
        ("payment_intent_data[description]", request.description),
        ("payment_intent_data[metadata][payment_uid]", request.payment_uid),
        ("metadata[payment_uid]", request.payment_uid),
        ("client_reference_id", request.payment_uid),
        ("success_url", request.return_url),
        ("cancel_url", request.cancel_url or request.return_url),
        ("locale", request.language if request.language in CHECKOUT_LOCALES else "auto"),
        ("expires_at", str(expires_at)),
    ]
    if request.line_item_detail:
        form.append(("line_items[0][price_data][product_data][description]", request.line_item_detail))
    if request.email:
        form.append(("customer_email", request.email))
    return form


class _CardDeclined(Exception):
    def __init__(self, result: ProviderResult) -> None:
        super().__init__(result.decline_code)
        self.result = result


class StripeProvider:
    name = NAME
    card_entry = CardEntry.HOSTED  # Stripe Checkout's page takes the card

    def __init__(self, secret_key: str, api_base: str = "https://api.stripe.com", timeout: float = 20.0) -> None:
        self.secret_key = secret_key
        self.api_base = api_base.rstrip("/")
        self.timeout = timeout

    @classmethod
    def from_settings(cls) -> StripeProvider:
        settings = get_settings().payments
        if not settings.stripe_secret_key:
            raise ProviderError("STRIPE_SECRET_KEY is not set", code="not_configured")
        return cls(settings.stripe_secret_key, settings.stripe_api_base)

    async def _request(
        self, method: str, path: str, form: list[tuple[str, str]] | None = None, idempotency_key: str = ""
    ) -> tuple[dict[str, Any], bool]:
        headers = {"Authorization": f"Bearer {self.secret_key}", "Stripe-Version": API_VERSION}
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        try:
            async with httpx.AsyncClient(base_url=self.api_base, timeout=self.timeout) as client:
                response = await client.request(method, path, data=dict(form) if form else None, headers=headers)
        except httpx.HTTPError as exc:
            raise ProviderUnavailable(f"Stripe not reached: {exc.__class__.__name__}") from exc
        replayed = response.headers.get("Idempotent-Replayed", "").lower() == "true"
        if response.status_code >= 500 or response.status_code == 429:
            raise ProviderUnavailable(f"Stripe answered {response.status_code}")
        try:
            body = response.json()
        except ValueError as exc:
            raise ProviderUnavailable(f"Stripe answered {response.status_code} without JSON") from exc
        if response.status_code >= 400:
            error = body.get("error") or {}
            if error.get("type") == "card_error" and isinstance(error.get("payment_intent"), dict):
                # a declined confirmation: the PaymentIntent (requires_payment_method) is in the error
                raise _CardDeclined(intent_result({**error["payment_intent"], "last_payment_error": error}, replayed))
            raise ProviderError(error.get("message", f"Stripe answered {response.status_code}"),
                                code=error.get("code", "") or error.get("type", ""),
                                summary={"provider": NAME, "http_status": response.status_code})  # fmt: skip
        return body, replayed

    async def _intent_call(self, method: str, path: str, form: list[tuple[str, str]] | None = None,
                           key: str = "") -> ProviderResult:  # fmt: skip
        try:
            body, replayed = await self._request(method, path, form, key)
        except _CardDeclined as declined:
            return replace(declined.result, outcome=Outcome.DECLINED)
        return intent_result(body, replayed)

    async def authorise(self, request: AuthoriseRequest) -> ProviderResult:
        if not request.payment_method:  # the driver enters the card on Stripe's page
            body, replayed = await self._request(
                "POST", "/v1/checkout/sessions", checkout_form(request), request.idempotency_key
            )
            return checkout_result(body, replayed)
        form = [
            ("amount", str(request.amount)),
            ("currency", request.currency.lower()),
            ("capture_method", "manual"),
            ("confirm", "true"),
            ("payment_method", request.payment_method),
            ("payment_method_types[]", "card"),
            ("return_url", request.return_url),
            ("description", request.description),
            ("metadata[payment_uid]", request.payment_uid),
            ("expand[]", "latest_charge"),
        ]
        if request.email:
            form.append(("receipt_email", request.email))
        return await self._intent_call("POST", "/v1/payment_intents", form, request.idempotency_key)

    async def retrieve(self, reference: str) -> ProviderResult:
        if reference.startswith(CHECKOUT_PREFIX):
            return checkout_result(await self._session(reference))
        return await self._intent_call("GET", f"/v1/payment_intents/{reference}?expand[]=latest_charge")

    async def _session(self, reference: str) -> dict[str, Any]:
        body, _ = await self._request("GET", f"/v1/checkout/sessions/{reference}?expand[]=payment_intent.latest_charge")
        return body

    async def capture(self, reference: str, amount: int, idempotency_key: str) -> ProviderResult:
        form = [("amount_to_capture", str(amount)), ("expand[]", "latest_charge")]
        return await self._intent_call("POST", f"/v1/payment_intents/{reference}/capture", form, idempotency_key)

    async def release(self, reference: str, idempotency_key: str) -> ProviderResult:
        if reference.startswith(CHECKOUT_PREFIX):
            session = await self._session(reference)
            intent = session.get("payment_intent")
            if session.get("status") == "open":  # nobody can pay on the page any more
                body, replayed = await self._request("POST", f"/v1/checkout/sessions/{reference}/expire", [],
                                                     idempotency_key)  # fmt: skip
                return checkout_result(body, replayed)
            if session.get("status") != "complete" or not isinstance(intent, dict):
                return checkout_result(session)  # expired: nothing held
            reference = intent["id"]  # paid meanwhile: cancel its hold
        form = [("cancellation_reason", "abandoned")]
        return await self._intent_call("POST", f"/v1/payment_intents/{reference}/cancel", form, idempotency_key)

    async def refund(self, reference: str, amount: int, idempotency_key: str) -> ProviderResult:
        form = [("payment_intent", reference), ("amount", str(amount))]
        body, replayed = await self._request("POST", "/v1/refunds", form, idempotency_key)
        status = body.get("status", "")
        if status in ("failed", "canceled"):
            raise ProviderError(f"refund {status}: {body.get('failure_reason', '')}", code=f"refund_{status}")
        outcome = Outcome.REFUNDED if status == "succeeded" else Outcome.PENDING
        return ProviderResult(outcome=outcome, reference=reference, amount=int(body.get("amount", amount)),
                              replayed=replayed, summary={"provider": NAME, "refund": body.get("id", ""),
                                                          "status": status})  # fmt: skip


class WebhookSignatureError(ValueError):
    pass


def sign_webhook(payload: bytes, secret: str, timestamp: int) -> str:
    """The Stripe-Signature header Stripe sends with ``payload`` (tests and local tools make events with it)."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify_webhook(
    payload: bytes, header: str, secret: str, *, tolerance: int = WEBHOOK_TOLERANCE_SECONDS, now: float | None = None
) -> dict[str, Any]:
    """The event of a webhook request when its Stripe-Signature header is valid: an HMAC-SHA256 of
    ``"{t}.{payload}"`` with the endpoint's secret in one of its ``v1`` entries, and ``t`` at most ``tolerance``
    seconds from now. Raises WebhookSignatureError otherwise."""
    if not secret:
        raise WebhookSignatureError("no webhook secret configured")
    items = [part.split("=", 1) for part in (header or "").split(",") if "=" in part]
    timestamps = [value for name, value in items if name.strip() == "t"]
    signatures = [value.strip() for name, value in items if name.strip() == "v1"]
    if len(timestamps) != 1 or not timestamps[0].strip().isdigit() or not signatures:
        raise WebhookSignatureError("malformed Stripe-Signature header")
    timestamp = int(timestamps[0])
    expected = sign_webhook(payload, secret, timestamp).split("v1=", 1)[1]
    if not any(hmac.compare_digest(expected, signature) for signature in signatures):
        raise WebhookSignatureError("signature does not match")
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        raise WebhookSignatureError("timestamp outside the tolerance")
    try:
        event = json.loads(payload)
    except ValueError as exc:
        raise WebhookSignatureError("payload is not JSON") from exc
    if not isinstance(event, dict):
        raise WebhookSignatureError("payload is not an event")
    return event


# Events that change what core knows about a payment: core refreshes the payment by its reference.
PAYMENT_EVENTS = frozenset({
    "payment_intent.amount_capturable_updated", "payment_intent.payment_failed", "payment_intent.canceled",
    "payment_intent.succeeded", "payment_intent.requires_action", "payment_intent.processing",
})  # fmt: skip
CHECKOUT_EVENTS = frozenset({"checkout.session.completed", "checkout.session.expired"})
_EVENT_OBJECTS = {"payment_intent": PAYMENT_EVENTS, "checkout.session": CHECKOUT_EVENTS}


def _event_object(event: dict[str, Any]) -> dict[str, Any] | None:
    obj = (event.get("data") or {}).get("object") or {}
    return obj if event.get("type") in _EVENT_OBJECTS.get(obj.get("object", ""), ()) else None


def webhook_reference(event: dict[str, Any]) -> str | None:
    """The PaymentIntent or Checkout Session id a verified event is about, when it concerns a payment."""
    obj = _event_object(event)
    return obj.get("id") if obj else None


def webhook_payment_uid(event: dict[str, Any]) -> str:
    """Our payment's uid in the metadata of the event's PaymentIntent or Checkout Session (we put it there)."""
    obj = _event_object(event) or {}
    return str((obj.get("metadata") or {}).get("payment_uid") or obj.get("client_reference_id") or "")


async def handle_webhook(payload: bytes, signature_header: str) -> dict[str, Any] | None:
    """A webhook request's body and Stripe-Signature header: verified with STRIPE_WEBHOOK_SECRET, then the payment it
    concerns is refreshed from Stripe (the event's object is not trusted for state). Returns the payment, or None
    when the event concerns no payment of ours. The HTTP route that calls this belongs to the driver pages."""
    event = verify_webhook(payload, signature_header, get_settings().payments.stripe_webhook_secret)
    reference = webhook_reference(event)
    if reference is None:
        return None
    notice = {"provider": NAME, "event": str(event.get("id", ""))[:80], "type": str(event.get("type", ""))}
    return await service.provider_update(NAME, reference, webhook_payment_uid(event), notice)


async def webhook(payload: bytes, signature_header: str) -> dict[str, Any] | None:
    """``handle_webhook`` as core.payments.provider's webhook handler (served at /pay/webhooks/stripe)."""
    try:
        return await handle_webhook(payload, signature_header)
    except WebhookSignatureError as exc:
        raise WebhookRejected(str(exc)) from exc
