"""Who is calling: a staff session (portal) or a bearer API key (REST API), and guards."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException, TooManyRequestsException
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult

from core.errors import Throttled
from core.tenancy import api_keys, logins, staff_sessions
from core.tenancy.actor import Actor
from core.tenancy.permissions import Permission

# --- The public list ---------------------------------------------------------------------------------------
# Every route needs a staff session (portal) or an API key (/api/) unless its path is on this one list. An entry
# ending in "/" opens everything below it, any other entry exactly that path. Machine doors with credentials of
# their own are here too, and say which; the driver pages (/pay/) are here.
# tests/integration/test_route_security.py checks every route of the app against its own table.
PUBLIC_PATHS: tuple[str, ...] = (
    "/health",  # load balancers
    "/favicon.ico",  # browsers ask for it on every page, the login page too
    "/login",
    "/lang",  # the language switch before a login (POST), and its links:
    "/lang/",
    "/static/",
    "/ocpp/",  # station websockets: each station's basic-auth password (ocpp_cs.transport)
    "/ocpi/",  # the OCPI node: each partner's credentials token (hub.transport)
    "/station-files/diagnostics/",  # GetDiagnostics uploads: the command's unguessable token (ocpp_cs.files)
    "/api/docs",  # the REST API's OpenAPI document and its viewers: the API itself needs a key
    "/api/docs/",
    "/pay/",  # the driver's Direct Payment pages (portal.controllers.driver_pay): no login; the Stripe webhook
    # below it (/pay/webhooks/stripe) checks the provider's signature
    "/driver",  # community charging's driver page (portal.controllers.driver_community): its own magic-link
    "/driver/",  # login and driver session, which opens the member's own data only
    "/invitation/",  # a new staff user's set-password page: its single-use token (core.tenancy.invitations)
)


def public_path_patterns() -> list[str]:
    """PUBLIC_PATHS as the anchored regular expressions the authentication middleware leaves alone."""
    return [f"^{re.escape(p)}" if p.endswith("/") else f"^{re.escape(p)}/?$" for p in PUBLIC_PATHS]


def is_public(path: str) -> bool:
    return any(re.match(pattern, path) for pattern in public_path_patterns())


# --- Who is calling -----------------------------------------------------------------------------------------

SESSION_KEY = "sid"  # the portal session's id in the (encrypted) session cookie; core.tenancy.staff_sessions


def client_address(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    """The caller's address; behind a proxy listed in FORWARDED_ALLOW_IPS uvicorn has already put the forwarded one
    here, and from anybody else it ignores X-Forwarded-For."""
    return connection.client.host if connection.client else ""


def session_token(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    session = connection.scope.get("session")
    return str(session.get(SESSION_KEY) or "") if isinstance(session, dict) else ""


def too_many(exc: Throttled, detail: str) -> TooManyRequestsException:
    return TooManyRequestsException(detail, headers={"Retry-After": str(exc.retry_after)})


class AuthenticationMiddleware(AbstractAuthenticationMiddleware):
    async def authenticate_request(self, connection: ASGIConnection[Any, Any, Any, Any]) -> AuthenticationResult:
        path = connection.url.path
        if path.startswith("/api/"):
            header = connection.headers.get("authorization", "")
            scheme, _, key = header.partition(" ")
            try:
                actor = (
                    await api_keys.actor_for_api_key(key.strip(), client_address(connection))
                    if scheme.lower() == "bearer"
                    else None
                )
            except Throttled as exc:
                raise too_many(exc, "Too many wrong API keys from your address. Try again later.") from None
            if actor is None:
                raise NotAuthorizedException("A valid API key is required (Authorization: Bearer ...).")
            return AuthenticationResult(user=None, auth=actor)
        found = await staff_sessions.resolve(session_token(connection), client_address(connection))
        if found is None:
            raise NotAuthorizedException("Please log in.")
        user, session_id = found
        return AuthenticationResult(user=user, auth=await logins.actor_for_user(user, session_id))


def actor_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Actor:
    actor = connection.scope.get("auth")
    if not isinstance(actor, Actor):
        raise NotAuthorizedException("Please log in.")
    return actor


def requires(*permissions: Permission) -> Callable[[ASGIConnection[Any, Any, Any, Any], BaseRouteHandler], None]:
    """A guard: the caller must hold every one of ``permissions``; ``requires()``: any logged-in user."""

    def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        actor = actor_of(connection)
        if not all(actor.can(p) for p in permissions):
            raise PermissionDeniedException("You are not allowed to do this.")

    return guard
