"""CSRF protection bound to the session.

The token is a random value kept in the session, which lives in an encrypted, signed cookie: another site can
neither read nor plant it. A form post (``_csrf_token``) or an HTMX request (``x-csrftoken`` from
``<body hx-headers>``) must carry exactly the token of the session it is sent with. Logging in starts a new
session and so a new token. The ``csms_csrf`` cookie is only a copy for scripts (and the tests): the check never
reads it, so a cookie planted by a neighbouring site proves nothing.
"""

from __future__ import annotations

import secrets
from typing import Any

from litestar import Request
from litestar.datastructures import MutableScopeHeaders
from litestar.datastructures.cookie import Cookie
from litestar.enums import RequestEncodingType
from litestar.exceptions import PermissionDeniedException
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from core.settings import get_settings

SESSION_KEY = "csrf"
FIELD = "_csrf_token"
HEADER = "x-csrftoken"
COOKIE = "csms_csrf"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
# Machine doors authenticate per request (API key, station password, OCPI credentials token, upload token, a payment
# provider's webhook signature), not by cookie.
EXCLUDE = ("/api/", "/ocpp/", "/ocpi/", "/station-files/diagnostics/", "/pay/webhooks/")
_FORMS = {RequestEncodingType.URL_ENCODED, RequestEncodingType.MULTI_PART}


def _session_of(scope: Scope) -> dict[str, Any] | None:
    session = scope.get("session")
    return session if isinstance(session, dict) else None


def _ensure_token(scope: Scope) -> str:
    session = _session_of(scope)
    token = session.get(SESSION_KEY) if session is not None else None
    if isinstance(token, str) and token:
        return token
    token = secrets.token_urlsafe(32)
    if session is None:
        scope["session"] = {SESSION_KEY: token}
    else:
        session[SESSION_KEY] = token
    return token


def token_for(request: Request[Any, Any, Any]) -> str:
    """The session's token, made when a page first needs one (a page with a form)."""
    return _ensure_token(request.scope)


async def _submitted(request: Request[Any, Any, Any]) -> str:
    token = request.headers.get(HEADER)
    if not token and request.content_type[0] in _FORMS:
        token = (await request.form()).get(FIELD)  # Litestar keeps the parsed form for the handler
    return str(token or "")


def _requested_path(scope: Scope) -> str:
    """The path as requested: below a mount (/ocpp, /ocpi) Litestar has already cut ``scope["path"]`` to the part
    after the mount point when the middleware runs."""
    raw = scope.get("raw_path")
    return raw.decode("latin-1") if isinstance(raw, bytes) else scope["path"]


def csrf_middleware(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or _requested_path(scope).startswith(EXCLUDE):
            await app(scope, receive, send)
            return
        request: Request[Any, Any, Any] = Request(scope, receive)
        if request.method not in SAFE_METHODS:
            session = _session_of(scope)
            expected = str(session.get(SESSION_KEY) or "") if session is not None else ""
            submitted = await _submitted(request)
            if not expected or not secrets.compare_digest(submitted.encode(), expected.encode()):
                raise PermissionDeniedException("CSRF token verification failed")
        mirrored = request.cookies.get(COOKIE)

        async def send_with_copy(message: Message) -> None:
            if message["type"] == "http.response.start" and _session_of(scope):
                # A session started by this request (a login) gets its own token at once.
                token = _ensure_token(scope)
                if token != mirrored:
                    cookie = Cookie(key=COOKIE, value=token, path="/", secure=get_settings().cookie_secure,
                                    samesite="strict")  # fmt: skip
                    MutableScopeHeaders.from_message(message).add("set-cookie", cookie.to_header(header=""))
            await send(message)

        await app(scope, receive, send_with_copy)

    return middleware
