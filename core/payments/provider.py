"""The ``PaymentProvider`` interface, its results and the idempotency keys every call carries.

Amounts cross the interface in the currency's minor unit (cents), as integers, as card schemes and providers
count them. Each call carries an idempotency key derived from the payment and the step (``idempotency_key``):
a retry after a crash sends the same key and the provider answers with the result of the first call instead of
charging again. Providers raise ``ProviderUnavailable`` when the outcome is unknown (network error, 5xx): the
payment then stays in its intermediate state and the same call with the same key is repeated later.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, Protocol

from core.tariffs.pricing import minor_unit


class Outcome(StrEnum):
    AUTHORISED = "authorised"
    DECLINED = "declined"
    REQUIRES_ACTION = "requires_action"  # 3-D Secure: send the driver to ``challenge_url``
    PENDING = "pending"  # the provider has not decided yet; ask again with ``retrieve``
    CAPTURED = "captured"
    RELEASED = "released"
    REFUNDED = "refunded"


class Step(StrEnum):
    """The provider calls of one payment; each one's idempotency key names it."""

    AUTHORISE = "authorise"
    CAPTURE = "capture"
    RELEASE = "release"
    REFUND = "refund"


class CardEntry(StrEnum):
    """Where the driver enters the card."""

    # csms's own form posts the card (the sandbox's test cards only: a real card's data must never reach csms)
    INLINE = "inline"
    # the provider's own page: ``authorise`` without a payment method answers REQUIRES_ACTION with the page's
    # address (``challenge_url``); the page sends the driver back to ``return_url``, or to ``cancel_url`` when
    # the driver gives up, and the payment is then asked for with ``retrieve``
    HOSTED = "hosted"


KEY_PREFIX = "csms-pay"
CANCELLED_QUERY = "cancelled=1"  # what marks a driver's way back from a provider's page as "given up"


def cancel_url_of(return_url: str) -> str:
    """Where a provider's page sends a driver who gives up: ``return_url`` with ``CANCELLED_QUERY``."""
    return f"{return_url}{'&' if '?' in return_url else '?'}{CANCELLED_QUERY}"


def idempotency_key(payment_uid: str, step: Step | str, sequence: int = 0) -> str:
    """The key of ``step`` of the payment ``payment_uid``: the same on every retry of that step, different for every
    other step or payment. ``sequence`` numbers repeatable steps (the 1st, 2nd ... partial refund)."""
    if not payment_uid or not payment_uid.isalnum():
        raise ValueError("payment uid must be a non-empty alphanumeric string")
    step = Step(step)
    if sequence < 0:
        raise ValueError("sequence must not be negative")
    suffix = f"-{sequence}" if step is Step.REFUND else ""
    if step is not Step.REFUND and sequence:
        raise ValueError(f"{step.value} happens once per payment")
    return f"{KEY_PREFIX}-{payment_uid}-{step.value}{suffix}"


def to_minor(amount: Decimal, currency: str) -> int:
    """``Decimal("12.34")`` EUR -> 1234; refuses amounts finer than the currency's minor unit."""
    unit = minor_unit(currency)
    minor = Decimal(amount) / unit
    if minor != minor.to_integral_value():
        raise ValueError(f"{amount} is not a whole number of {currency} minor units")
    return int(minor)


def from_minor(amount: int, currency: str) -> Decimal:
    return (Decimal(amount) * minor_unit(currency)).quantize(minor_unit(currency))


@dataclass(frozen=True)
class ProviderResult:
    """What a provider answered. ``reference`` is the provider's id of the payment (a PaymentIntent id)."""

    outcome: Outcome
    reference: str = ""
    amount: int = 0  # minor units: held (authorise), captured (capture) or refunded (refund)
    challenge_url: str = ""
    card_last4: str = ""
    card_brand: str = ""
    decline_code: str = ""
    message: str = ""
    replayed: bool = False  # the provider answered a repeated idempotency key with its first result
    summary: dict[str, Any] = field(default_factory=dict)  # a short, secret-free digest for the payment's events

    def event_summary(self) -> dict[str, Any]:
        digest: dict[str, Any] = {"outcome": self.outcome.value, "reference": self.reference, "amount": self.amount}
        for name in ("challenge_url", "card_last4", "card_brand", "decline_code", "message"):
            if value := getattr(self, name):
                digest[name] = value
        if self.replayed:
            digest["replayed"] = True
        return {**self.summary, **digest}


@dataclass(frozen=True)
class AuthoriseRequest:
    payment_uid: str
    amount: int  # minor units
    currency: str  # ISO 4217, upper case
    payment_method: str  # opaque to core: a Stripe PaymentMethod id, a sandbox test card number
    return_url: str  # where the issuer's challenge sends the driver back to
    idempotency_key: str
    description: str = ""
    email: str = ""
    # for a provider's own page (CardEntry.HOSTED): the driver's language, what the driver pays for (in that
    # language), where a driver who gives up goes, and when the payment was made (a deadline derived from it is
    # the same on every retry, so a repeated request is the same request)
    language: str = ""
    line_item: str = ""
    line_item_detail: str = ""
    cancel_url: str = ""
    created_at: datetime | None = None


class ProviderError(Exception):
    """The provider refused the request for good (invalid request, wrong state): retrying will not help."""

    def __init__(self, message: str, code: str = "", summary: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.summary = summary or {}


class ProviderUnavailable(Exception):
    """The outcome is unknown (network error, timeout, 5xx): repeat the same call with the same key later."""


class PaymentProvider(Protocol):
    name: str
    card_entry: CardEntry

    async def authorise(self, request: AuthoriseRequest) -> ProviderResult:
        """Hold ``request.amount``: AUTHORISED, DECLINED, REQUIRES_ACTION (with challenge_url) or PENDING. Without a
        ``payment_method`` a CardEntry.HOSTED provider answers REQUIRES_ACTION with its own page's address."""
        ...

    async def retrieve(self, reference: str) -> ProviderResult:
        """The payment's state now (after a challenge or the provider's page, or while pending). The result's
        ``reference`` may be a new one (a hosted page's payment gets its own id once the driver has paid): core
        keeps the newest."""
        ...

    async def capture(self, reference: str, amount: int, idempotency_key: str) -> ProviderResult:
        """Take ``amount`` (<= held) and release the rest: CAPTURED."""
        ...

    async def release(self, reference: str, idempotency_key: str) -> ProviderResult:
        """Cancel the whole hold: RELEASED."""
        ...

    async def refund(self, reference: str, amount: int, idempotency_key: str) -> ProviderResult:
        """Pay back ``amount`` of what was captured: REFUNDED (or PENDING while the provider works on it)."""
        ...


ProviderFactory = Callable[[], PaymentProvider]
_factories: dict[str, ProviderFactory] = {}


def register_provider(name: str, factory: ProviderFactory) -> None:
    """Make provider ``name`` available (the sandbox registers itself; csms.wiring registers Stripe)."""
    _factories[name] = factory


def provider_names() -> list[str]:
    return sorted(_factories)


def card_entry_of(name: str) -> CardEntry:
    """Where provider ``name``'s drivers enter the card."""
    return get_provider(name).card_entry


def get_provider(name: str) -> PaymentProvider:
    try:
        factory = _factories[name]
    except KeyError:
        raise ProviderError(f"payment provider {name!r} is not available", code="unknown_provider") from None
    return factory()


class WebhookRejected(Exception):
    """A provider's webhook request that is not authentic (bad signature, too old, not an event)."""


WebhookHandler = Callable[[bytes, str], Awaitable[Any]]
_webhooks: dict[str, WebhookHandler] = {}


def register_webhook(name: str, handler: WebhookHandler) -> None:
    """The handler of provider ``name``'s webhooks: (body, signature header) -> anything; raises WebhookRejected
    for a request that is not authentic. The driver pages serve it at ``/pay/webhooks/{name}``."""
    _webhooks[name] = handler


def webhook_handler(name: str) -> WebhookHandler | None:
    return _webhooks.get(name)
