"""csms's data as OCPI 2.2.1 objects: pure functions, no HTTP, no database.

The modules take rows as core returns them (dicts) and plain values (a status, tariff ids, the party), and return
the JSON objects of the specification as dicts. Money and power stay ``Decimal``: the transport encodes them as
JSON numbers (``msgspec.json.Encoder(decimal_format="number")``), never as strings or floats.
"""

from __future__ import annotations

from datetime import UTC, datetime

# Formatted instants: a list page formats thousands, and rows written together (an import, a bulk change) share
# their times. Bounded; equal instants of other time zones are equal keys and format alike (in UTC).
_FORMATTED: dict[datetime, str] = {}
_FORMATTED_KEPT = 4096


def ocpi_datetime(value: datetime) -> str:
    """OCPI DateTime: UTC, seconds, ``Z`` (types.asciidoc: "2015-06-29T20:39:09Z")."""
    text = _FORMATTED.get(value)
    if text is not None:
        return text
    # Not strftime, and no conversion of what the database returns in UTC already.
    if value.tzinfo is not UTC:
        if value.tzinfo is None:
            raise ValueError("OCPI times are timezone-aware.")
        value = value.astimezone(UTC)
    text = value.isoformat(timespec="seconds")[:19] + "Z"
    if len(_FORMATTED) >= _FORMATTED_KEPT:
        _FORMATTED.clear()
    _FORMATTED[value] = text
    return text
