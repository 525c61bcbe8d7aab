"""csms's data as OCPI 2.2.1 objects: pure functions, no HTTP, no database.

The modules take rows as core returns them (dicts) and plain values (a status, tariff ids, the party), and return
the JSON objects of the specification as dicts. Money and power stay ``Decimal``: the transport encodes them as
JSON numbers (``msgspec.json.Encoder(decimal_format="number")``), never as strings or floats.
"""

from __future__ import annotations

from datetime import UTC, datetime


def ocpi_datetime(value: datetime) -> str:
    """OCPI DateTime: UTC, seconds, ``Z`` (types.asciidoc: "2015-06-29T20:39:09Z")."""
    # A list page formats thousands: no conversion of what the database returns in UTC already, and %-formatting of
    # the fields, about twice as fast as isoformat() and cutting it (strftime is slower still).
    if value.tzinfo is not UTC:
        if value.tzinfo is None:
            raise ValueError("OCPI times are timezone-aware.")
        value = value.astimezone(UTC)
    fields = (value.year, value.month, value.day, value.hour, value.minute, value.second)
    return "%04d-%02d-%02dT%02d:%02d:%02dZ" % fields  # noqa: UP031 - faster than format specifiers here
