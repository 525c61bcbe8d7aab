"""Credentials tokens in the Authorization header: ``Token <Base64 of the token>`` (OCPI 2.2.1), or the token as it
is for partners switched to "tokens unencoded" (2.1.1-era peers)."""

from __future__ import annotations

import base64
import binascii
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


async def caller_of(authorization: str, module: str) -> partners.Caller | None:
    """The partner the header names, or None (HTTP 401). Which spelling counts: Base64 unless the partner is
    switched to unencoded tokens; both on versions and credentials, where a peer that does not know yet which
    OCPI version it will speak registers. Token A opens only versions and credentials."""
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
