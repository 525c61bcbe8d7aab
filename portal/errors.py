"""Errors become a page (portal), a redirect to the login, or JSON (REST API); never a stack trace."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from litestar import MediaType, Request, Response
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.response import Redirect

from core.errors import Conflict, DomainError, NotFound, PermissionDenied, ValidationError
from core.validation import INT32_MAX
from portal import i18n
from portal.templating import render

log = logging.getLogger("csms.portal")


def ids_in_range(request: Request[Any, Any, Any]) -> None:
    """Before every handler: an id in the path that no integer column can hold names no object (404), instead
    of reaching the database, which would refuse the number itself."""
    for value in request.path_params.values():
        if isinstance(value, int) and not 0 <= value <= INT32_MAX:
            raise NotFoundException()


def _wants_json(request: Request[Any, Any, Any]) -> bool:
    return request.url.path.startswith("/api/")


def _page(
    request: Request[Any, Any, Any], status: int, message: str, headers: dict[str, str] | None = None
) -> Response[Any]:
    return render(request, "error.html", {"status": status, "message": message}, status_code=status, headers=headers)


def _json(status: int, detail: str, headers: dict[str, str] | None = None, **extra: Any) -> Response[Any]:
    body = {"status_code": status, "detail": detail, **extra}
    return Response(body, status_code=status, media_type=MediaType.JSON, headers=headers)


def not_authorized(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    if _wants_json(request):
        return _json(401, str(getattr(exc, "detail", "")) or "Not authorized")
    target = "/login?next=" + quote(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
    if request.headers.get("hx-request") == "true":
        return Response("", status_code=401, headers={"HX-Redirect": target})
    return Redirect(target, status_code=303)


def forbidden(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    if _wants_json(request):
        return _json(403, "You are not allowed to do this.")
    return _page(request, 403, i18n.gettext("You are not allowed to do this."))


def not_found(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    if _wants_json(request):
        return _json(404, "Not found")
    return _page(request, 404, i18n.gettext("This page does not exist or you do not have access to it."))


def domain_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    assert isinstance(exc, DomainError)
    status = 409 if isinstance(exc, Conflict) else 400
    if _wants_json(request):
        errors = exc.as_dict() if isinstance(exc, ValidationError) else {}
        return _json(status, str(exc.message), errors=errors)
    return _page(request, status, exc.message.render(i18n.gettext))


def http_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    assert isinstance(exc, HTTPException)
    if _wants_json(request) or not request.url.path.startswith("/"):
        extra = {"errors": exc.extra} if isinstance(exc, ValidationException) and exc.extra else {}
        return _json(exc.status_code, exc.detail, exc.headers, **extra)  # e.g. Retry-After of a 429
    return _page(request, exc.status_code, exc.detail, exc.headers)


def server_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    if _wants_json(request):
        return _json(500, "Internal server error")
    return _page(request, 500, i18n.gettext("Something went wrong. The error was logged."))


EXCEPTION_HANDLERS: dict[Any, Any] = {
    NotAuthorizedException: not_authorized,
    PermissionDeniedException: forbidden,
    PermissionDenied: forbidden,
    NotFoundException: not_found,
    NotFound: not_found,
    DomainError: domain_error,
    HTTPException: http_error,
    Exception: server_error,
}
