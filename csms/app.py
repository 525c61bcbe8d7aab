"""The app factory: the only place that wires portal, REST API, OCPP and OCPI onto one server."""

from __future__ import annotations

import gc
import hashlib
import logging
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from litestar import Litestar, Router, get
from litestar.middleware import DefineMiddleware
from litestar.middleware.session.client_side import CookieBackendConfig
from litestar.openapi import OpenAPIConfig
from litestar.response import File
from litestar.static_files import create_static_files_router

import core  # noqa: F401 - sets PICCOLO_CONF before any table is used
from core import db
from core.roaming import exchange_log
from core.settings import PROJECT_ROOT, Settings, get_settings
from csms.wiring import wire_hub, wire_payments
from hub.app import ocpi_mount
from ocpp_cs import app as ocpp_app
from portal.api.common import DepthLimitedRequest
from portal.api_docs import VendoredSwaggerUI
from portal.auth import AuthenticationMiddleware, public_path_patterns
from portal.csrf import csrf_middleware
from portal.errors import EXCEPTION_HANDLERS, ids_in_range
from portal.middleware import language_middleware
from portal.routes import API_ROUTER, PORTAL_HANDLERS
from portal.security_headers import add_security_headers

log = logging.getLogger("csms")


class StationSocketsFirst:
    """The ASGI app `csms serve` runs: station websockets ``/ocpp/{charge_box_id}`` go straight to the OCPP
    endpoint, everything else (and the lifespan) to Litestar. A station socket lives for days; through
    Litestar it would keep Litestar's middleware frames and its copy of the scope alive for that long."""

    __slots__ = ("litestar",)

    def __init__(self, litestar: Litestar) -> None:
        self.litestar = litestar

    def __call__(self, scope: Any, receive: Any, send: Any) -> Awaitable[None]:
        # Not a coroutine function: it hands on the callee's coroutine, so no frame of it stays suspended.
        if scope["type"] == "websocket" and scope["path"].startswith(ocpp_app.PATH_PREFIX):
            return ocpp_app.endpoint(scope, receive, send)
        return self.litestar(scope, receive, send)


@get("/health", include_in_schema=False)
async def health() -> dict[str, str]:
    return {"status": "ok"}


@get("/favicon.ico", include_in_schema=False, cache=86400)
async def favicon() -> File:
    """Browsers ask for /favicon.ico whatever the page says; pages link static/favicon.svg (the same picture)."""
    path = Path(PROJECT_ROOT) / "static" / "favicon.ico"
    return File(path, media_type="image/x-icon", content_disposition_type="inline")


def _session_secret(settings: Settings) -> bytes:
    return hashlib.sha256(("session:" + settings.secret_key).encode()).digest()


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or get_settings()
    wire_hub()
    wire_payments()

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        await db.open_pool(settings.db_pool_size)
        from workers.actors import register_jobs
        from workers.broker import start_embedded_jobs, start_outbox_relay, start_periodic

        register_jobs()
        jobs = start_embedded_jobs()
        relay = await start_outbox_relay()
        scheduler = await start_periodic()
        await ocpp_app.start()
        # What start-up loaded (modules, the app, its routes) lives as long as the process: frozen, the garbage
        # collector no longer walks it on every full collection, which a page of a thousand OCPI locations (a
        # hundred thousand new objects) triggers; measured: 40 % of such a page's CPU time.
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            if scheduler is not None:  # before the command bus stops: periodic work may send commands
                await scheduler.stop()
            await ocpp_app.stop()
            await exchange_log.flush()  # the OCPI requests' log rows still buffered
            await relay.stop()
            if jobs is not None:
                await jobs.drain(timeout=10)
                jobs.detach()
            await db.close_pool()

    session_config = CookieBackendConfig(
        secret=_session_secret(settings),
        key="csms_session",
        max_age=settings.session_max_age,
        httponly=True,
        secure=settings.cookie_secure,
        samesite="lax",
    )
    auth = DefineMiddleware(
        AuthenticationMiddleware,
        exclude=public_path_patterns(),
    )
    static = create_static_files_router(path="/static", directories=[Path(PROJECT_ROOT) / "static"], name="static")
    # The OpenAPI document at /api/docs describes the REST API only, not the portal's pages.
    portal = Router("/", route_handlers=PORTAL_HANDLERS, include_in_schema=False)
    handlers: list[Any] = [health, favicon, static, portal, API_ROUTER, *ocpp_app.HANDLERS, ocpi_mount]
    return Litestar(
        route_handlers=handlers,
        # The session cookie carries the data (language, flash messages, the CSRF token) and the id of the server-side
        # session (core.tenancy.staff_sessions) that auth checks on every request; CSRF comes after auth, so
        # that a post whose session ended is sent to the login rather than refused.
        middleware=[session_config.middleware, auth, csrf_middleware, language_middleware],
        before_send=[add_security_headers],
        exception_handlers=EXCEPTION_HANDLERS,
        request_class=DepthLimitedRequest,
        before_request=ids_in_range,
        lifespan=[lifespan],
        openapi_config=OpenAPIConfig(
            title="csms REST API",
            version="1",
            path="/api/docs",
            render_plugins=[VendoredSwaggerUI(schema_url="/api/docs/openapi.json")],
        ),
        debug=False,
    )


def create_asgi(settings: Settings | None = None) -> StationSocketsFirst:
    """What `csms serve` (csms.server.server_config) serves: the Litestar app behind the station-socket router."""
    return StationSocketsFirst(create_app(settings))
