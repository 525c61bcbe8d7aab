"""Signed values that travel through a browser and come back unchanged (a form wizard's draft in a hidden field).

The value is JSON, base64url-encoded, followed by an HMAC-SHA256 over it and a ``purpose`` with SECRET_KEY. The
purpose binds a token to what it is for and to whom (for example the draft's tenant and user), so a token made for
one form, tenant or user is refused by another. Signing proves only that csms wrote the value: whatever it holds
is still checked again by the rules that use it.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
from hashlib import sha256
from typing import Any

from core.settings import get_settings


def _mac(purpose: str, body: str) -> str:
    key = get_settings().secret_key.encode()
    return hmac.new(key, f"{purpose}\n{body}".encode(), sha256).hexdigest()


def sign(purpose: str, value: dict[str, Any]) -> str:
    body = base64.urlsafe_b64encode(json.dumps(value, separators=(",", ":")).encode()).decode().rstrip("=")
    return f"{body}.{_mac(purpose, body)}"


def unsign(purpose: str, token: str) -> dict[str, Any] | None:
    """The value ``sign`` was given for this purpose, or None for a token that was changed, made for another
    purpose, or is no token at all."""
    body, _, mac = (token or "").strip().rpartition(".")
    if not body or not hmac.compare_digest(mac.encode(), _mac(purpose, body).encode()):
        return None
    try:
        value = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except (ValueError, binascii.Error):
        return None
    return value if isinstance(value, dict) else None
