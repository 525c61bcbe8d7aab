"""core.roaming.token_auth: OCPI's whitelist rules and the real-time answer as OCPP 1.6 statuses."""

from __future__ import annotations

import pytest

from core.roaming.token_auth import Decision, RealtimeAnswer, StoredToken, Verdict, decide, needs_realtime

ALLOWED = RealtimeAnswer("ALLOWED", "AUTH-REF-1")


@pytest.mark.parametrize(("whitelist", "realtime"), [
    ("ALWAYS", False), ("ALLOWED", False), ("ALLOWED_OFFLINE", True), ("NEVER", True),
])  # fmt: skip
def test_which_tokens_are_asked_in_real_time(whitelist: str, realtime: bool) -> None:
    assert needs_realtime(StoredToken(True, whitelist)) is realtime
    assert needs_realtime(StoredToken(False, whitelist)) is realtime  # validity does not change whether to ask
    assert needs_realtime(None)  # a token csms does not hold


@pytest.mark.parametrize(("whitelist", "valid", "answer", "expected"), [
    # whitelisted: the pushed token decides, an answer is not even asked for
    ("ALWAYS", True, None, Decision(Verdict.ACCEPTED, "whitelisted")),
    ("ALWAYS", False, None, Decision(Verdict.BLOCKED, "token_not_valid")),
    ("ALLOWED", True, None, Decision(Verdict.ACCEPTED, "whitelisted")),
    ("ALLOWED", False, None, Decision(Verdict.BLOCKED, "token_not_valid")),
    # ALLOWED_OFFLINE: the eMSP's answer first; without one the pushed token decides
    ("ALLOWED_OFFLINE", True, ALLOWED, Decision(Verdict.ACCEPTED, "realtime_allowed", "AUTH-REF-1")),
    ("ALLOWED_OFFLINE", True, RealtimeAnswer("BLOCKED"), Decision(Verdict.BLOCKED, "realtime_blocked")),
    ("ALLOWED_OFFLINE", True, None, Decision(Verdict.ACCEPTED, "realtime_no_answer_allowed_offline")),
    ("ALLOWED_OFFLINE", False, None, Decision(Verdict.BLOCKED, "token_not_valid")),
    # NEVER: real-time only; the eMSP may allow a token csms holds as not valid (its state may have changed)
    ("NEVER", False, ALLOWED, Decision(Verdict.ACCEPTED, "realtime_allowed", "AUTH-REF-1")),
    ("NEVER", True, None, Decision(Verdict.INVALID, "realtime_no_answer")),
    ("NEVER", True, RealtimeAnswer("EXPIRED"), Decision(Verdict.EXPIRED, "realtime_expired")),
    ("NEVER", True, RealtimeAnswer("NO_CREDIT"), Decision(Verdict.INVALID, "realtime_no_credit")),
    ("NEVER", True, RealtimeAnswer("NOT_ALLOWED"), Decision(Verdict.INVALID, "realtime_not_allowed")),
    ("NEVER", True, RealtimeAnswer(None), Decision(Verdict.INVALID, "unknown_token")),
    ("NEVER", True, RealtimeAnswer("MAYBE"), Decision(Verdict.INVALID, "realtime_bad_answer")),
])  # fmt: skip
def test_known_tokens(whitelist: str, valid: bool, answer: RealtimeAnswer | None, expected: Decision) -> None:
    assert decide(StoredToken(valid, whitelist), answer) == expected


def test_unknown_tokens_need_an_answer() -> None:
    assert decide(None, None) == Decision(Verdict.INVALID, "unknown_token_no_answer")
    assert decide(None, RealtimeAnswer(None)) == Decision(Verdict.INVALID, "unknown_token")
    assert decide(None, ALLOWED).accepted


def test_an_answer_naming_other_evses_does_not_allow_this_one() -> None:
    named = RealtimeAnswer("ALLOWED", "R", ("11", "12"))
    assert decide(None, named, "12").accepted
    assert decide(None, named, "13") == Decision(Verdict.INVALID, "realtime_not_at_this_evse", "R")
    assert decide(None, named, None).accepted  # OCPP Authorize names no charge point: StartTransaction checks it
    assert decide(None, RealtimeAnswer("ALLOWED", "R", None), "13").accepted  # no EVSEs named: the location
