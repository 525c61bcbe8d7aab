"""The driver's door's pure rules: when a charge point can start for a driver, the sandbox card form's checks, and
what the driver's page shows before anything is written."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core.payments.driver import Availability, CardForm, availability, shown

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


def test_the_page_shows_what_the_next_write_will_record() -> None:
    """GETs write nothing: the page computes the state recovery, the session-stopped handler or a POST will write."""
    seconds = 90  # the tenant's start_confirm_seconds
    confirm = timedelta(seconds=seconds)
    starting = {"uid": "u", "state": "session_starting", "state_changed_at": NOW - timedelta(seconds=5),
                "session": None, "failure": ""}  # fmt: skip
    running = {"id": 7, "status": "CHARGING"}
    assert shown(starting, None, NOW, seconds) == starting  # the station still has time
    started = shown(starting, running, NOW, seconds)
    assert (started["state"], started["session"]) == ("charging", 7)
    late = shown(starting, None, NOW + confirm, seconds)
    assert (late["state"], late["failure"], late["release_pending"]) == ("released", "start_not_confirmed", True)
    ended = {"id": 7, "status": "STOPPED"}
    assert shown(starting, ended, NOW + confirm, seconds)["state"] == "capturing"  # started, and already over
    charging = {**starting, "state": "charging", "session": 7}
    assert shown(charging, running, NOW + confirm, seconds) == charging
    assert shown(charging, ended, NOW, seconds)["state"] == "capturing"
    captured = {**charging, "state": "captured"}
    assert shown(captured, ended, NOW, seconds) == captured
    assert starting["state"] == "session_starting"  # the stored row is not touched
