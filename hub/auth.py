"""Credentials tokens in the Authorization header: ``Token <Base64 of the token>`` (OCPI 2.2.1), or the token as it
is for partners switched to "tokens unencoded" (2.1.1-era peers).

A partner pushing a million tokens sends the same header thousands of times a second: the functional modules'
callers are kept per header for CACHE_SECONDS. So a token ended, replaced or switched in its encoding elsewhere
(the portal, another node) still opens the functional modules for at most CACHE_SECONDS; the credentials module
(registration, a new token, DELETE) is always checked against the database and empties this node's cache.
Refused headers are never kept (the transport's throttle counts each)."""

from __future__ import annotations

import base64
import binascii
import time
from typing import Any

from core.roaming import partners
from hub.modules import TOKEN_A_MODULES


def encode_token(token: str, unencoded: bool) -> str:
    return "Token " + (token if unencoded else base64.b64encode(token.encode()).decode())


def _decoded(credential: str) -> str | None:
    try:
        text = base64.b64decode(credential, validate=True).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    return text if text and text.isprintable() else None


CACHE_SECONDS = 5.0
CACHE_SIZE = 1000  # headers; when full, the cache starts over
_callers: dict[str, tuple[float, partners.Caller]] = {}  # header -> (expiry on _clock, caller)
_clock = time.monotonic


def forget_callers() -> None:
    _callers.clear()


async def caller_of(authorization: str, module: str) -> partners.Caller | None:
    """The partner the header names, or None (HTTP 401); a functional module's from the cache while it is fresh."""
    if module in TOKEN_A_MODULES:
        return await _caller_of(authorization, module)
    now = _clock()
    kept = _callers.get(authorization)
    if kept is not None and kept[0] > now:
        return kept[1]
    caller = await _caller_of(authorization, module)
    if caller is None:
        _callers.pop(authorization, None)
        return None
    if len(_callers) >= CACHE_SIZE:
        _callers.clear()
    _callers[authorization] = (now + CACHE_SECONDS, caller)
    return caller


async def _caller_of(authorization: str, module: str) -> partners.Caller | None:
    """Which spelling counts: Base64 unless the partner is switched to unencoded tokens; both on versions and
    credentials, where a peer that does not know yet which OCPI version it will speak registers. Token A opens
    only versions and credentials."""
    scheme, _, credential = authorization.strip().partition(" ")
    credential = credential.strip()
    if scheme.lower() != "token" or not credential:
        return None
    either = module in TOKEN_A_MODULES
    candidates: list[tuple[str, bool]] = []
    decoded = _decoded(credential)
    if decoded is not None:
        candidates.append((decoded, True))
    candidates.append((credential, False))
    for token, was_encoded in candidates:
        caller = await partners.partner_for_token(token)
        if caller is None:
            continue
        unencoded: Any = caller.partner["tokens_unencoded"]
        if not either and was_encoded == bool(unencoded):
            continue
        if caller.with_token_a and module not in TOKEN_A_MODULES:
            return None
        return caller
    return None


def presented_token(authorization: str, unencoded: bool) -> str:
    """The token as the caller meant it, from its Authorization header."""
    credential = authorization.strip().partition(" ")[2].strip()
    return credential if unencoded else (_decoded(credential) or credential)
