"""Paginated GETs of a sender interface: the query (offset, limit, date_from, date_to) parsed against the module's
page cap, and the response headers (X-Total-Count, X-Limit, Link rel="next" keeping limit and the date filters).
The database side is core.roaming.paging."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from urllib.parse import urlencode

from core.roaming.paging import Window
from hub.envelope import OcpiError, Status

DEFAULT_LIMIT = 50


def _int(query: Mapping[str, str], name: str, default: int) -> int:
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise OcpiError(Status.INVALID_PARAMETERS, f"{name} must be a whole number") from None
    if value < 0:
        raise OcpiError(Status.INVALID_PARAMETERS, f"{name} must not be negative")
    return value


def _datetime(query: Mapping[str, str], name: str) -> datetime | None:
    raw = query.get(name)
    if not raw:
        return None
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00").replace(" ", "+"))
    except ValueError:
        raise OcpiError(Status.INVALID_PARAMETERS, f"{name} is not an RFC 3339 date-time") from None
    # OCPI DateTimes are UTC; one without an offset is read as UTC.
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _cursor(query: Mapping[str, str]) -> tuple[datetime, str] | None:
    raw = query.get("after")
    if not raw:
        return None
    stamp, _, ident = raw.partition("~")
    when = _datetime({"after": stamp}, "after")
    if when is None or not ident:
        raise OcpiError(Status.INVALID_PARAMETERS, "after is not a cursor of this server")
    return when, ident


def parse_window(query: Mapping[str, str], max_limit: int) -> Window:
    """The request's window; a limit above the module's cap (or none) is cut to the cap. ``after`` is the cursor
    csms's own Link carries (core.roaming.paging.Window.after)."""
    limit = _int(query, "limit", min(DEFAULT_LIMIT, max_limit))
    return Window(
        offset=_int(query, "offset", 0),
        limit=min(limit, max_limit) if limit else min(DEFAULT_LIMIT, max_limit),
        date_from=_datetime(query, "date_from"),
        date_to=_datetime(query, "date_to"),
        after=_cursor(query),
    )


def _stamp(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def page_headers(
    url: str,
    window: Window,
    total: int,
    returned: int,
    last: tuple[datetime, str] | None = None,
    more: bool | None = None,
) -> dict[str, str]:
    """The paginated response's headers; ``url`` is the list's URL without a query; ``last``: the cursor of the
    page's last object, which the Link carries on (with the offset, for partners that read it)."""
    headers = {"X-Total-Count": str(total), "X-Limit": str(window.limit)}
    next_offset = window.offset + returned
    if returned and (next_offset < total if more is None else more):
        params: dict[str, str] = {"offset": str(next_offset), "limit": str(window.limit)}
        if window.date_from is not None:
            params["date_from"] = _stamp(window.date_from)
        if window.date_to is not None:
            params["date_to"] = _stamp(window.date_to)
        if last is not None:
            # To the microsecond, as stored: a cursor cut to the second would repeat the objects of its second.
            params["after"] = f"{last[0].astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%S.%fZ')}~{last[1]}"
        headers["Link"] = f'<{url}?{urlencode(params)}>; rel="next"'
    return headers
