"""Whether a partner's token may charge: the decision of OCPI 2.2.1's whitelist rules (mod_tokens WhitelistType),
as a pure function of what csms holds and what the eMSP answered in real time.

- ALWAYS: csms decides from the pushed token alone (valid: accepted; not valid: blocked); no real-time request.
- ALLOWED: csms may decide either way; it decides locally, which keeps the station fast.
- ALLOWED_OFFLINE: real-time first; when the eMSP does not answer in time, the last pushed token decides.
- NEVER: real-time only; no answer is a refusal.
- A token csms does not hold: real-time at the partners that may see the charge point; no answer is a refusal.

A real-time answer's AllowedType maps to OCPP 1.6: ALLOWED -> Accepted (unless the eMSP's answer names EVSEs and
not this one), BLOCKED -> Blocked, EXPIRED -> Expired, NO_CREDIT and NOT_ALLOWED -> Invalid (1.6 has no finer
status; the reason says which). The answer's ``authorization_reference`` is kept for the session and the CDR.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from core.roaming.tokens import WhitelistType


class Verdict(StrEnum):
    """OCPP 1.6 AuthorizationStatus values a roaming token can get."""

    ACCEPTED = "Accepted"
    BLOCKED = "Blocked"
    EXPIRED = "Expired"
    INVALID = "Invalid"


@dataclass(frozen=True)
class StoredToken:
    valid: bool
    whitelist: str  # WhitelistType


@dataclass(frozen=True)
class RealtimeAnswer:
    """The eMSP's AuthorizationInfo; ``allowed`` None: it does not know the token (2004 / HTTP 404)."""

    allowed: str | None
    authorization_reference: str = ""
    evse_uids: tuple[str, ...] | None = None  # the EVSEs of the location the eMSP allowed, when it named them


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    reason: str  # for logs and the authorization monitor: whitelisted, realtime_allowed, realtime_no_answer, ...
    authorization_reference: str = ""

    @property
    def accepted(self) -> bool:
        return self.verdict is Verdict.ACCEPTED


_ALLOWED_TYPE = {
    "ALLOWED": Verdict.ACCEPTED,
    "BLOCKED": Verdict.BLOCKED,
    "EXPIRED": Verdict.EXPIRED,
    "NO_CREDIT": Verdict.INVALID,
    "NOT_ALLOWED": Verdict.INVALID,
}


def needs_realtime(token: StoredToken | None) -> bool:
    """Whether csms asks the eMSP before deciding (an unknown token, NEVER and ALLOWED_OFFLINE)."""
    return token is None or token.whitelist in (WhitelistType.NEVER, WhitelistType.ALLOWED_OFFLINE)


def _local(token: StoredToken, reason: str) -> Decision:
    return Decision(Verdict.ACCEPTED, reason) if token.valid else Decision(Verdict.BLOCKED, "token_not_valid")


def decide(token: StoredToken | None, answer: RealtimeAnswer | None, evse_uid: str | None = None) -> Decision:
    """``answer`` None: no real-time answer (not asked, timed out, or the eMSP unreachable). ``evse_uid``: the
    charge point being authorised, when known (OCPP Authorize names none)."""
    if not needs_realtime(token):
        assert token is not None
        return _local(token, "whitelisted")
    if answer is None:
        if token is not None and token.whitelist == WhitelistType.ALLOWED_OFFLINE:
            return _local(token, "realtime_no_answer_allowed_offline")
        return Decision(Verdict.INVALID, "realtime_no_answer" if token is not None else "unknown_token_no_answer")
    if answer.allowed is None:
        return Decision(Verdict.INVALID, "unknown_token")
    verdict = _ALLOWED_TYPE.get(answer.allowed)
    if verdict is None:
        return Decision(Verdict.INVALID, "realtime_bad_answer")
    named = answer.evse_uids
    if verdict is Verdict.ACCEPTED and evse_uid is not None and named is not None and evse_uid not in named:
        return Decision(Verdict.INVALID, "realtime_not_at_this_evse", answer.authorization_reference)
    return Decision(verdict, f"realtime_{answer.allowed.lower()}", answer.authorization_reference)
