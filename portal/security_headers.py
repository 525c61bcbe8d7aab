"""Security headers on every HTTP response (pages, HTMX fragments, errors, redirects, static files, the REST API).

The portal's Content-Security-Policy allows scripts, styles, images and requests from its own origin only: no
inline script, no ``on...=`` handler, no ``style=`` attribute, no eval. htmx runs under it because
``<meta name="htmx-config">`` in base.html turns off its eval-based features and its injected indicator style.
The API documentation pages (/api/docs: Swagger UI and Scalar, rendered by Litestar) load their scripts and
styles from cdn.jsdelivr.net and start with an inline script, so they get a looser policy of their own.
"""

from __future__ import annotations

from litestar.datastructures import MutableScopeHeaders
from litestar.types import Message, Scope

PORTAL_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
DOCS_PREFIX = "/api/docs"
DOCS_CDN = "https://cdn.jsdelivr.net"
DOCS_POLICY = "; ".join(
    (
        "default-src 'self'",
        f"script-src 'self' 'unsafe-inline' {DOCS_CDN}",
        f"style-src 'self' 'unsafe-inline' {DOCS_CDN} https://fonts.googleapis.com",
        f"img-src 'self' data: {DOCS_CDN}",
        f"font-src 'self' data: {DOCS_CDN} https://fonts.gstatic.com https://fonts.scalar.com",
        "connect-src 'self'",
        "worker-src 'self' blob:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
COMMON = (
    ("x-frame-options", "DENY"),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "same-origin"),
)


async def add_security_headers(message: Message, scope: Scope) -> None:
    """A Litestar ``before_send`` hook: it sees every response, also those of unknown routes and of errors."""
    if message["type"] != "http.response.start":
        return
    headers = MutableScopeHeaders.from_message(message)
    policy = DOCS_POLICY if scope.get("path", "").startswith(DOCS_PREFIX) else PORTAL_POLICY
    for name, value in (("content-security-policy", policy), *COMMON):
        if name not in headers:
            headers[name] = value
