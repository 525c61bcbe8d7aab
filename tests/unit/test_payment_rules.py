"""Direct Payment rules: the state machine, the idempotency keys, minor units and the sandbox's test cards."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.payments.provider import Outcome, Step, from_minor, idempotency_key, to_minor
from core.payments.sandbox import authorisation_outcome, card_brand, luhn_valid
from core.payments.states import (
    FINAL,
    TRANSITIONS,
    IllegalTransition,
    PaymentState,
    can_transition,
    check_transition,
)
from core.settings import PaymentSettings

S = PaymentState

HAPPY_PATH = [S.CREATED, S.AUTHORISING, S.CHALLENGE, S.AUTHORISED, S.SESSION_STARTING, S.CHARGING, S.CAPTURING,
              S.CAPTURED, S.RECEIPT_SENT, S.REFUNDED]  # fmt: skip


def test_the_whole_flow_is_a_chain_of_allowed_transitions() -> None:
    for current, target in zip(HAPPY_PATH, HAPPY_PATH[1:], strict=False):
        assert check_transition(current, target) is target
    assert can_transition(S.AUTHORISING, S.AUTHORISED)  # without a challenge


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (S.CREATED, S.AUTHORISED),  # never without asking the provider
        (S.AUTHORISED, S.CAPTURING),  # no capture without a session
        (S.CHARGING, S.RELEASED),  # a running session is paid by capture, not released
        (S.DECLINED, S.AUTHORISING),  # a declined payment is not retried; the driver starts a new one
        (S.CAPTURED, S.CAPTURING),  # nobody is charged twice
        (S.RECEIPT_SENT, S.CAPTURED),
        (S.RELEASED, S.AUTHORISED),
        (S.START_FAILED, S.CHARGING),
        (S.SESSION_STARTING, S.RELEASED),  # via start_failed, which says why
    ],
)
def test_illegal_transitions_are_rejected(current: PaymentState, target: PaymentState) -> None:
    assert not can_transition(current, target)
    with pytest.raises(IllegalTransition, match=f"from {current.value} to {target.value}"):
        check_transition(current, target)


def test_unknown_states_are_rejected() -> None:
    assert not can_transition("created", "paid")
    with pytest.raises(IllegalTransition):
        check_transition("nonsense", "created")


def test_final_states_lead_nowhere_and_every_state_is_reachable() -> None:
    assert {S.DECLINED, S.RELEASED, S.REFUNDED} == FINAL
    reachable = {S.CREATED}
    for targets in TRANSITIONS.values():
        reachable |= targets
    assert reachable == set(PaymentState)


def test_idempotency_keys_are_stable_per_step_and_distinct_between_steps() -> None:
    uid = "0f" * 16
    assert idempotency_key(uid, Step.CAPTURE) == idempotency_key(uid, "capture") == f"csms-pay-{uid}-capture"
    keys = {idempotency_key(uid, step) for step in Step}
    keys |= {idempotency_key(uid, Step.REFUND, n) for n in range(3)}
    assert len(keys) == len(Step) + 2  # refund-0 is the plain refund step's key, refund-1 and -2 are new
    assert idempotency_key(uid, Step.AUTHORISE) != idempotency_key("1a" * 16, Step.AUTHORISE)


@pytest.mark.parametrize(
    ("uid", "step", "sequence"),
    [("", Step.CAPTURE, 0), ("a-b", Step.CAPTURE, 0), ("ab12", Step.CAPTURE, 1), ("ab12", Step.REFUND, -1),
     ("ab12", "charge", 0)],
)  # fmt: skip
def test_idempotency_key_refuses_bad_input(uid: str, step: str, sequence: int) -> None:
    with pytest.raises(ValueError):
        idempotency_key(uid, step, sequence)


def test_minor_units() -> None:
    assert to_minor(Decimal("12.34"), "EUR") == 1234
    assert to_minor(Decimal("500"), "JPY") == 500
    assert from_minor(1234, "EUR") == Decimal("12.34")
    with pytest.raises(ValueError, match="minor units"):
        to_minor(Decimal("1.005"), "EUR")


@pytest.mark.parametrize(
    ("card", "outcome", "code"),
    [
        ("4242 4242 4242 4242", Outcome.AUTHORISED, ""),
        ("4000-0000-0000-0002", Outcome.DECLINED, "generic_decline"),
        ("4000000000009995", Outcome.DECLINED, "insufficient_funds"),
        ("4000 0027 6000 3184", Outcome.REQUIRES_ACTION, ""),
        ("4000 0000 0000 0408", Outcome.PENDING, ""),
        ("4242 4242 4242 4241", Outcome.DECLINED, "incorrect_number"),
        ("4111 1111 1111 1111", Outcome.DECLINED, "card_not_supported"),
    ],
)
def test_sandbox_test_cards(card: str, outcome: Outcome, code: str) -> None:
    assert authorisation_outcome(card) == (outcome, code)


def test_card_checks() -> None:
    assert luhn_valid("5555555555554444") and not luhn_valid("5555555555554445") and not luhn_valid("42")
    assert [card_brand(n) for n in ("4242", "5555", "3782", "9999")] == ["visa", "mastercard", "amex", "unknown"]


def test_payment_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("PAYMENT_PROVIDER", "STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "STRIPE_API_BASE"):
        monkeypatch.delenv(name, raising=False)
    assert PaymentSettings.from_env() == PaymentSettings()  # the sandbox, with nothing to configure
    monkeypatch.setenv("PAYMENT_PROVIDER", "stripe")
    with pytest.raises(ValueError, match="needs STRIPE_SECRET_KEY"):
        PaymentSettings.from_env()
    monkeypatch.setenv("STRIPE_SECRET_KEY", "sk_test_1")
    monkeypatch.setenv("STRIPE_API_BASE", "http://127.0.0.1:9999/")
    stripe = PaymentSettings.from_env()
    assert (stripe.provider, stripe.stripe_secret_key, stripe.stripe_api_base) == (
        "stripe", "sk_test_1", "http://127.0.0.1:9999")  # fmt: skip
    monkeypatch.setenv("PAYMENT_PROVIDER", "paypal")
    with pytest.raises(ValueError, match="sandbox, stripe"):
        PaymentSettings.from_env()
