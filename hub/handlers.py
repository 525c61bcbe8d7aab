"""Handler plumbing: the calling partner, the JSON body and the enveloped answer."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response

from core import safejson
from core.roaming.partners import Caller
from hub.envelope import OcpiError, Status, encode, envelope

AnyRequest = Request[Any, Any, Any]


def caller(request: AnyRequest) -> Caller:
    found = request.scope.get("state", {}).get("ocpi_caller")
    if not isinstance(found, Caller):  # the transport refuses a request without one before any handler
        raise OcpiError(Status.CLIENT_ERROR, "Unknown or missing credentials token", http_status=401)
    return found


async def json_body(request: AnyRequest) -> Any:
    raw = await request.body()
    try:
        return safejson.loads(raw)
    except ValueError:
        raise OcpiError(Status.INVALID_PARAMETERS, "The body is not valid JSON", http_status=400) from None


def answer(data: Any, status: int = Status.SUCCESS, http_status: int = 200, headers: dict[str, str] | None = None,
           message: str | None = None) -> Response[bytes]:  # fmt: skip
    return Response(encode(envelope(data, status, message)), status_code=http_status, media_type="application/json",
                    headers=headers)  # fmt: skip
