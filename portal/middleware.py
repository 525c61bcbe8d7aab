"""Per-request language for the portal's translations."""

from __future__ import annotations

from typing import Any

from litestar.types import ASGIApp, Receive, Scope, Send

from core.settings import get_settings
from portal import i18n


def language_middleware(app: ASGIApp) -> ASGIApp:
    """Picks the language: the switch in the header, the user's setting, the tenant's default
    (German for DE, AT, CH), the browser, the site default."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        user: Any = scope.get("user")
        session: Any = scope.get("session") or {}
        headers = dict(scope.get("headers") or [])
        browser = i18n.accept_language(headers.get(b"accept-language", b"").decode("latin-1"))
        session = session if isinstance(session, dict) else {}
        language = i18n.pick_language(
            session.get("lang"),
            (user or {}).get("language") if isinstance(user, dict) else None,
            session.get("tenant_lang"),
            browser,
            get_settings().default_language,
        )
        token = i18n.current_language.set(language)
        try:
            await app(scope, receive, send)
        finally:
            i18n.current_language.reset(token)

    return middleware
