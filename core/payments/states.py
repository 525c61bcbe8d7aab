"""The payment's states and the transitions between them (pure rules, unit tested)."""

from __future__ import annotations

from enum import StrEnum


class PaymentState(StrEnum):
    CREATED = "created"
    AUTHORISING = "authorising"  # pre-authorisation sent (or pending at the provider)
    CHALLENGE = "challenge"  # the card issuer wants the driver's confirmation (3-D Secure)
    AUTHORISED = "authorised"  # money held
    SESSION_STARTING = "session_starting"  # the start command is on its way to the charge point
    CHARGING = "charging"  # the session runs (payment.session is set)
    CAPTURING = "capturing"  # the final price is being captured
    CAPTURED = "captured"
    RECEIPT_SENT = "receipt_sent"
    DECLINED = "declined"
    START_FAILED = "start_failed"  # the charge point did not start; the hold is being released
    RELEASED = "released"  # the whole hold was given back, nothing charged
    REFUNDED = "refunded"  # everything captured was paid back


S = PaymentState

TRANSITIONS: dict[PaymentState, frozenset[PaymentState]] = {
    S.CREATED: frozenset({S.AUTHORISING, S.DECLINED}),
    # a pending pre-authorisation that never resolves is cancelled: released
    S.AUTHORISING: frozenset({S.AUTHORISED, S.CHALLENGE, S.DECLINED, S.RELEASED}),
    S.CHALLENGE: frozenset({S.AUTHORISED, S.DECLINED, S.RELEASED}),
    S.AUTHORISED: frozenset({S.SESSION_STARTING, S.RELEASED}),
    S.SESSION_STARTING: frozenset({S.CHARGING, S.START_FAILED}),
    S.CHARGING: frozenset({S.CAPTURING}),
    # a final price of zero (car never drew power) captures nothing: the hold is released
    S.CAPTURING: frozenset({S.CAPTURED, S.RELEASED}),
    S.CAPTURED: frozenset({S.RECEIPT_SENT, S.REFUNDED}),
    S.RECEIPT_SENT: frozenset({S.REFUNDED}),
    S.START_FAILED: frozenset({S.RELEASED}),
    S.DECLINED: frozenset(),
    S.RELEASED: frozenset(),
    S.REFUNDED: frozenset(),
}

FINAL = frozenset(state for state, targets in TRANSITIONS.items() if not targets)
# money may be held at the provider in these states (recovery watches them)
HOLDING = frozenset({S.AUTHORISING, S.CHALLENGE, S.AUTHORISED, S.SESSION_STARTING, S.CHARGING, S.CAPTURING,
                     S.START_FAILED})  # fmt: skip


class IllegalTransition(ValueError):
    def __init__(self, current: str, target: str) -> None:
        super().__init__(f"payment cannot go from {current} to {target}")
        self.current = current
        self.target = target


def can_transition(current: str, target: str) -> bool:
    try:
        return PaymentState(target) in TRANSITIONS[PaymentState(current)]
    except ValueError:
        return False


def check_transition(current: str, target: str) -> PaymentState:
    """The target state when ``current -> target`` is allowed; IllegalTransition otherwise."""
    if not can_transition(current, target):
        raise IllegalTransition(current, target)
    return PaymentState(target)
