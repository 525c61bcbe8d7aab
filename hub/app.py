"""The OCPI node as an ASGI app of its own, mounted at /ocpi by csms.app: its own error handling (the OCPI envelope
on every answer, 404 and 405 included) under the transport (hub.transport)."""

from __future__ import annotations

import logging
from typing import Any

from litestar import Litestar, MediaType, Request, Response, asgi
from litestar.exceptions import HTTPException

from core.errors import DomainError, NotFound, ValidationError
from hub import cdrs, commands, credentials, hubclientinfo, locations, sessions, tariffs, tokens
from hub.envelope import HTTP_TO_STATUS, OcpiError, Status, encode, envelope
from hub.transport import OcpiTransport

log = logging.getLogger("csms.hub")


def _ocpi_error(_: Request[Any, Any, Any], exc: OcpiError) -> Response[bytes]:
    return Response(encode(envelope(exc.data, exc.status, exc.message)), status_code=exc.http_status,
                    media_type=MediaType.JSON)  # fmt: skip


def _http_error(_: Request[Any, Any, Any], exc: HTTPException) -> Response[bytes]:
    status = exc.status_code
    ocpi = HTTP_TO_STATUS.get(status, Status.CLIENT_ERROR if status < 500 else Status.SERVER_ERROR)
    # Litestar answers a body that does not parse (or a parameter of the wrong type) with 400: for OCPI a
    # request that reached the OCPI layer with bad parameters is 2001.
    return Response(encode(envelope(None, ocpi, str(exc.detail))), status_code=status, media_type=MediaType.JSON,
                    headers=getattr(exc, "headers", None))  # fmt: skip


def _domain_error(_: Request[Any, Any, Any], exc: DomainError) -> Response[bytes]:
    status = Status.CLIENT_ERROR if isinstance(exc, NotFound | ValidationError) else Status.SERVER_ERROR
    return Response(encode(envelope(None, status, str(exc.message))), status_code=200, media_type=MediaType.JSON)


def _server_error(_: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
    log.exception("OCPI request failed", exc_info=exc)
    return Response(encode(envelope(None, Status.SERVER_ERROR, "Internal error")), status_code=500,
                    media_type=MediaType.JSON)  # fmt: skip


def create_hub() -> Any:
    locations.register_module()
    tariffs.register_module()
    tokens.register_module()
    cdrs.register_module()
    sessions.register_module()
    commands.register_module()
    app = Litestar(
        route_handlers=[*credentials.HANDLERS, *hubclientinfo.HANDLERS, *locations.HANDLERS, *tariffs.HANDLERS,
                        *tokens.HANDLERS, *cdrs.HANDLERS, *sessions.HANDLERS, *commands.HANDLERS],
        exception_handlers={
            OcpiError: _ocpi_error,
            HTTPException: _http_error,
            DomainError: _domain_error,
            Exception: _server_error,
        },
        openapi_config=None,
        debug=False,
    )
    return OcpiTransport(app)


_hub: Any = None


async def _endpoint(scope: Any, receive: Any, send: Any) -> None:
    global _hub
    if _hub is None:
        _hub = create_hub()
    await _hub(scope, receive, send)


ocpi_mount = asgi("/ocpi", is_mount=True, copy_scope=True)(_endpoint)
