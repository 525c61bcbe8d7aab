"""The driver's door's pure rules: when a charge point can start for a driver, the sandbox card form's checks."""

from __future__ import annotations

from datetime import UTC, datetime

from core.payments.driver import Availability, CardForm, availability

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


def test_availability() -> None:
    assert availability(False, "AVAILABLE", "Available", False) == Availability.OFFLINE
    assert availability(True, "AVAILABLE", "Available", False) == Availability.AVAILABLE
    # the driver's own car plugged in first (OCPP Preparing), no session yet: it may start
    assert availability(True, "CHARGING", "Preparing", False) == Availability.AVAILABLE
    assert availability(True, "CHARGING", "Preparing", True) == Availability.OCCUPIED
    assert availability(True, "CHARGING", "Charging", False) == Availability.OCCUPIED
    assert availability(True, "RESERVED", "Reserved", False) == Availability.OCCUPIED
    assert availability(True, "OUTOFORDER", "Faulted", False) == Availability.FAULTED
    assert availability(True, "UNKNOWN", "", False) == Availability.FAULTED


def test_card_form_checks() -> None:
    assert CardForm("4242 4242 4242 4242", "12/26", "123").check(NOW) == {}
    assert CardForm("4242-4242-4242-4242", "1/2030", "1234").check(NOW) == {}
    assert set(CardForm("4242", "13/26", "12").check(NOW)) == {"card_number", "card_expiry", "card_cvc"}
    expired = CardForm("4242424242424242", "11/26", "123").check(NOW)
    assert expired["card_expiry"].msgid == "The card has expired."
    assert set(CardForm("abcd efgh ijkl", "ab", "").check(NOW)) == {"card_number", "card_expiry", "card_cvc"}
