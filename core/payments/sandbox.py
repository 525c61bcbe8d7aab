"""The sandbox payment provider: csms's default, used in the demo and in tests. No money moves.

It behaves like a card acquirer with Stripe's test cards and keeps its state in our database (``SandboxIntent``,
``SandboxCall``), so it survives restarts and answers a repeated idempotency key with its first answer. Every
capture is a row of ``SandboxCall`` with operation ``capture``: tests count them to prove nobody pays twice.
"""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import quote

from core.db import transaction
from core.payments.provider import (
    AuthoriseRequest,
    CardEntry,
    Outcome,
    ProviderError,
    ProviderResult,
    register_provider,
)
from core.payments.tables import SandboxCall, SandboxIntent
from core.settings import get_settings

NAME = "sandbox"

# test card number -> (outcome, decline code); any other valid number is declined like Stripe's generic decline
TEST_CARDS: dict[str, tuple[Outcome, str]] = {
    "4242424242424242": (Outcome.AUTHORISED, ""),  # Visa, succeeds
    "5555555555554444": (Outcome.AUTHORISED, ""),  # Mastercard, succeeds
    "4000000000000002": (Outcome.DECLINED, "generic_decline"),
    "4000000000009995": (Outcome.DECLINED, "insufficient_funds"),
    "4000002760003184": (Outcome.REQUIRES_ACTION, ""),  # 3-D Secure challenge
    "4000000000000408": (Outcome.PENDING, ""),  # the issuer never answers: stays pending (a timeout)
}


def normalise_card(number: str) -> str:
    return "".join(ch for ch in number if not ch.isspace() and ch != "-")


def luhn_valid(number: str) -> bool:
    if not number.isdigit() or not 12 <= len(number) <= 19:
        return False
    total = 0
    for position, char in enumerate(reversed(number)):
        digit = int(char) * (2 if position % 2 else 1)
        total += digit - 9 if digit > 9 else digit
    return total % 10 == 0


def card_brand(number: str) -> str:
    if number.startswith("4"):
        return "visa"
    if number[:2] in {"51", "52", "53", "54", "55"} or number[:1] == "2":
        return "mastercard"
    if number[:2] in {"34", "37"}:
        return "amex"
    return "unknown"


def authorisation_outcome(card_number: str) -> tuple[Outcome, str]:
    """What the sandbox answers a pre-authorisation with this card (pure; the test card table)."""
    number = normalise_card(card_number)
    if not luhn_valid(number):
        return Outcome.DECLINED, "incorrect_number"
    return TEST_CARDS.get(number, (Outcome.DECLINED, "card_not_supported"))


_STATUS_OUTCOME = {
    "authorised": Outcome.AUTHORISED,
    "requires_action": Outcome.REQUIRES_ACTION,
    "pending": Outcome.PENDING,
    "declined": Outcome.DECLINED,
    "captured": Outcome.CAPTURED,
    "released": Outcome.RELEASED,
}


def _result(response: dict[str, Any], replayed: bool = False) -> ProviderResult:
    if "error" in response:
        raise ProviderError(response["error"], code=response.get("code", ""), summary={"provider": NAME})
    return ProviderResult(
        outcome=Outcome(response["outcome"]), reference=response.get("reference", ""),
        amount=int(response.get("amount", 0)), challenge_url=response.get("challenge_url", ""),
        card_last4=response.get("card_last4", ""), card_brand=response.get("card_brand", ""),
        decline_code=response.get("decline_code", ""), replayed=replayed, summary={"provider": NAME},
    )  # fmt: skip


class SandboxProvider:
    name = NAME
    card_entry = CardEntry.INLINE  # csms's own card form with the test cards above

    async def _once(self, key: str, operation: str, request: dict[str, Any], run: Any) -> ProviderResult:
        """Run ``run(request)`` once per idempotency key; a repeated key gets the stored answer (or an error when
        it comes with a different request, as Stripe does)."""
        async with transaction():
            claimed = (
                await SandboxCall.insert(SandboxCall(idempotency_key=key, operation=operation,
                                                     reference=request.get("reference", "")))
                .on_conflict(target=SandboxCall.idempotency_key, action="DO NOTHING")
                .returning(SandboxCall.id)
            )  # fmt: skip
            if claimed:
                response = await run(request)
                stored = {**response, "request": request}
                await SandboxCall.update(
                    {
                        SandboxCall.response: stored,
                        SandboxCall.reference: response.get("reference", request.get("reference", "")),
                    }
                ).where(SandboxCall.id == claimed[0]["id"])
                return _result(response)
        earlier = await SandboxCall.select().where(SandboxCall.idempotency_key == key).output(load_json=True).first()
        assert earlier is not None
        stored = dict(earlier["response"] or {})
        if earlier["operation"] != operation or stored.pop("request", None) != request:
            raise ProviderError("idempotency key reused with a different request", code="idempotency_key_reused")
        return _result(stored, replayed=True)

    async def authorise(self, request: AuthoriseRequest) -> ProviderResult:
        params = {"amount": request.amount, "currency": request.currency, "payment_method": request.payment_method,
                  "return_url": request.return_url}  # fmt: skip
        return await self._once(request.idempotency_key, "authorise", params, self._authorise)

    async def _authorise(self, params: dict[str, Any]) -> dict[str, Any]:
        if params["amount"] <= 0:
            return {"error": "amount must be positive", "code": "amount_too_small"}
        number = normalise_card(params["payment_method"])
        outcome, decline_code = authorisation_outcome(number)
        status = {Outcome.AUTHORISED: "authorised", Outcome.REQUIRES_ACTION: "requires_action",
                  Outcome.PENDING: "pending"}.get(outcome, "declined")  # fmt: skip
        reference = f"sbx_{secrets.token_hex(12)}"
        last4 = number[-4:] if number.isdigit() else ""
        brand = card_brand(number) if last4 else ""
        await SandboxIntent(reference=reference, status=status, currency=params["currency"], amount=params["amount"],
                            card_last4=last4, card_brand=brand).save()  # fmt: skip
        response = {"outcome": outcome.value, "reference": reference, "amount": params["amount"],
                    "card_last4": last4, "card_brand": brand, "decline_code": decline_code}  # fmt: skip
        if outcome is Outcome.REQUIRES_ACTION:
            response["challenge_url"] = challenge_url(reference, params["return_url"])
        return response

    async def retrieve(self, reference: str) -> ProviderResult:
        intent = await _intent(reference)
        return _result(_intent_response(intent))

    async def capture(self, reference: str, amount: int, idempotency_key: str) -> ProviderResult:
        return await self._once(idempotency_key, "capture", {"reference": reference, "amount": amount}, self._capture)

    async def _capture(self, params: dict[str, Any]) -> dict[str, Any]:
        intent = await _intent(params["reference"])
        if intent["status"] != "authorised":
            return {"error": f"cannot capture a payment that is {intent['status']}", "code": "unexpected_state"}
        if not 0 < params["amount"] <= intent["amount"]:
            return {"error": "amount to capture must be positive and at most the held amount", "code": "amount"}
        await SandboxIntent.update({SandboxIntent.status: "captured", SandboxIntent.amount_captured: params["amount"]}
                                   ).where(SandboxIntent.id == intent["id"])  # fmt: skip
        return {**_intent_response(intent), "outcome": Outcome.CAPTURED.value, "amount": params["amount"]}

    async def release(self, reference: str, idempotency_key: str) -> ProviderResult:
        return await self._once(idempotency_key, "release", {"reference": reference}, self._release)

    async def _release(self, params: dict[str, Any]) -> dict[str, Any]:
        intent = await _intent(params["reference"])
        if intent["status"] not in ("authorised", "requires_action", "pending"):
            return {"error": f"cannot release a payment that is {intent['status']}", "code": "unexpected_state"}
        await SandboxIntent.update({SandboxIntent.status: "released"}).where(SandboxIntent.id == intent["id"])
        return {**_intent_response(intent), "outcome": Outcome.RELEASED.value}

    async def refund(self, reference: str, amount: int, idempotency_key: str) -> ProviderResult:
        return await self._once(idempotency_key, "refund", {"reference": reference, "amount": amount}, self._refund)

    async def _refund(self, params: dict[str, Any]) -> dict[str, Any]:
        intent = await _intent(params["reference"])
        left = intent["amount_captured"] - intent["amount_refunded"]
        if intent["status"] != "captured" or not 0 < params["amount"] <= left:
            return {"error": "refund must be positive and at most what was captured and not refunded",
                    "code": "amount"}  # fmt: skip
        await SandboxIntent.update({SandboxIntent.amount_refunded: SandboxIntent.amount_refunded + params["amount"]}
                                   ).where(SandboxIntent.id == intent["id"])  # fmt: skip
        return {**_intent_response(intent), "outcome": Outcome.REFUNDED.value, "amount": params["amount"]}


def challenge_url(reference: str, return_url: str) -> str:
    """The sandbox's 3-D Secure page (served by the driver pages) that ends with ``complete_challenge``."""
    base = get_settings().public_url
    return f"{base}/pay/sandbox/challenge/{reference}?return_url={quote(return_url, safe='')}"


async def complete_challenge(reference: str, approve: bool) -> None:
    """The driver confirmed (or refused) the sandbox's 3-D Secure challenge."""
    async with transaction():
        intent = await _intent(reference)
        if intent["status"] != "requires_action":
            raise ProviderError(f"no challenge open for {reference}", code="unexpected_state")
        status = "authorised" if approve else "declined"
        await SandboxIntent.update({SandboxIntent.status: status}).where(SandboxIntent.id == intent["id"])


async def captures(reference: str) -> list[dict[str, Any]]:
    """Every capture the sandbox performed for ``reference`` (one per key; repeats of a key are not new rows)."""
    return (
        await SandboxCall.select()
        .where((SandboxCall.reference == reference) & (SandboxCall.operation == "capture"))
        .output(load_json=True)
    )


async def _intent(reference: str) -> dict[str, Any]:
    intent = await SandboxIntent.select().where(SandboxIntent.reference == reference).first()
    if intent is None:
        raise ProviderError(f"no sandbox payment {reference}", code="resource_missing")
    return intent


def _intent_response(intent: dict[str, Any]) -> dict[str, Any]:
    status = intent["status"]
    amount = intent["amount_captured"] if status == "captured" else intent["amount"]
    return {"outcome": _STATUS_OUTCOME[status].value, "reference": intent["reference"], "amount": amount,
            "card_last4": intent["card_last4"], "card_brand": intent["card_brand"],
            "decline_code": "authentication_failed" if status == "declined" else ""}  # fmt: skip


register_provider(NAME, SandboxProvider)
