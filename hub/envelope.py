"""The OCPI response envelope and status codes (OCPI 2.2.1 transport_and_format, status_codes), for every answer
of the node: data, status_code, status_message, timestamp."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import IntEnum
from typing import Any

import msgspec


class Status(IntEnum):
    SUCCESS = 1000
    CLIENT_ERROR = 2000
    INVALID_PARAMETERS = 2001
    NOT_ENOUGH_INFORMATION = 2002
    UNKNOWN_LOCATION = 2003
    UNKNOWN_TOKEN = 2004
    SERVER_ERROR = 3000
    CLIENT_API_UNUSABLE = 3001
    UNSUPPORTED_VERSION = 3002
    NO_MATCHING_ENDPOINTS = 3003
    HUB_ERROR = 4000
    UNKNOWN_RECEIVER = 4001
    FORWARD_TIMEOUT = 4002
    RECEIVER_NOT_CONNECTED = 4003


class OcpiError(Exception):
    """An answer other than success: its OCPI status, message and the HTTP status the spec pairs it with (200 for
    requests that reached the OCPI layer, 4xx for transport errors)."""

    def __init__(self, status: Status, message: str, http_status: int = 200, data: Any = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.http_status = http_status
        self.data = data


def timestamp() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def envelope(data: Any = None, status: int = Status.SUCCESS, message: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"data": data, "status_code": int(status)}
    if message:
        body["status_message"] = message
    body["timestamp"] = timestamp()
    return body


# OCPI prices are JSON numbers; msgspec writes Decimal as a string unless told otherwise.
_ENCODER = msgspec.json.Encoder(decimal_format="number")


def encode(body: Any) -> bytes:
    return _ENCODER.encode(body)


def encoded(data: Any) -> msgspec.Raw:
    """``data`` encoded now, to be written as it is into an envelope later (``envelope(encoded(...))``)."""
    return msgspec.Raw(_ENCODER.encode(data))


# HTTP errors raised by the framework (no route, wrong method, bad JSON) and the OCPI status each gets.
HTTP_TO_STATUS = {400: Status.INVALID_PARAMETERS, 401: Status.CLIENT_ERROR, 404: Status.CLIENT_ERROR,
                  405: Status.CLIENT_ERROR, 413: Status.INVALID_PARAMETERS, 429: Status.CLIENT_ERROR}  # fmt: skip
