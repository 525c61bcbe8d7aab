"""Values a station may send that its OCPP schema allows but csms cannot keep.

The OCPP 1.6 JSON schemas say "integer" without bounds; OCPP 1.6's own data types (the SOAP binding's
``xs:int``) are signed 32-bit, and so are csms's columns for connector ids, transaction ids and reservation ids.
Every integer in a station's payload must therefore lie in ``core.validation.INT32``; a larger one is a value of
the right type that is not allowed (PropertyConstraintViolation), never a database overflow. Strings must not
hold NUL: PostgreSQL cannot store it in text or JSONB.
"""

from __future__ import annotations

import re
from typing import Any

from core.validation import INT32_MAX, INT32_MIN

# A payload without ten digits in a row holds no integer beyond 32 bits; without "\u0000" no NUL (a raw NUL is
# not JSON). The hot path (MeterValues, Heartbeat) only pays this search.
_SUSPICIOUS = re.compile(r"\d{10}|\\u0000")


def may_hold_bad_value(frame_text: str) -> bool:
    return _SUSPICIOUS.search(frame_text) is not None


def bad_value(value: Any, path: str = "") -> str | None:
    """The first value csms cannot keep, described for the CALLERROR (field path and why), or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        if INT32_MIN <= value <= INT32_MAX:
            return None
        return f"{path or 'value'}: {value} is outside {INT32_MIN}..{INT32_MAX}"
    if isinstance(value, str):
        return f"{path or 'value'}: contains a NUL character" if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            found = bad_value(key, path) or bad_value(item, f"{path}.{key}" if path else str(key))
            if found:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = bad_value(item, f"{path}[{index}]")
            if found:
                return found
    return None
