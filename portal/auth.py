"""Who is calling: a staff session (portal) or a bearer API key (REST API), and guards."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult

from core.tenancy import api_keys, logins
from core.tenancy.actor import Actor
from core.tenancy.permissions import Permission

PUBLIC_PREFIXES = ("/login", "/static", "/health", "/ocpp", "/ocpi", "/station-files", "/lang", "/api/docs", "/favicon")


class AuthenticationMiddleware(AbstractAuthenticationMiddleware):
    async def authenticate_request(self, connection: ASGIConnection[Any, Any, Any, Any]) -> AuthenticationResult:
        path = connection.url.path
        if path.startswith("/api/"):
            header = connection.headers.get("authorization", "")
            scheme, _, key = header.partition(" ")
            actor = await api_keys.actor_for_api_key(key.strip()) if scheme.lower() == "bearer" else None
            if actor is None:
                raise NotAuthorizedException("A valid API key is required (Authorization: Bearer ...).")
            return AuthenticationResult(user=None, auth=actor)
        user_id = connection.session.get("user_id") if "session" in connection.scope else None
        user = await logins.get_user(int(user_id)) if user_id else None
        if user is None or not user["active"] or connection.session.get("stamp") != logins.session_stamp(user):
            raise NotAuthorizedException("Please log in.")
        return AuthenticationResult(user=user, auth=await logins.actor_for_user(user))


def actor_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Actor:
    actor = connection.scope.get("auth")
    if not isinstance(actor, Actor):
        raise NotAuthorizedException("Please log in.")
    return actor


def requires(*permissions: Permission) -> Callable[[ASGIConnection[Any, Any, Any, Any], BaseRouteHandler], None]:
    """A guard: the caller must hold every one of ``permissions``."""

    def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        actor = actor_of(connection)
        if not all(actor.can(p) for p in permissions):
            raise PermissionDeniedException("You are not allowed to do this.")

    return guard
