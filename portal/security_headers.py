"""Security headers on every HTTP response (pages, HTMX fragments, errors, redirects, static files, the REST API).

The portal's Content-Security-Policy allows scripts, styles, images and requests from its own origin only: no
inline script, no ``on...=`` handler, no ``style=`` attribute, no eval. htmx runs under it because
``<meta name="htmx-config">`` in base.html turns off its eval-based features and its injected indicator style.
The API documentation page (/api/docs: Swagger UI, portal/api_docs.py) loads its scripts and styles from
static/vendor/swagger-ui, from no other origin; its policy differs from the portal's only in what Swagger UI
needs: inline styles (it injects <style> elements), data: images (the icons in its CSS) and blob: workers.
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
DOCS_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
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
