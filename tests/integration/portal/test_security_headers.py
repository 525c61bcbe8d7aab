"""Security headers on every response (portal/security_headers.py): pages, HTMX fragments, errors, redirects."""

from __future__ import annotations

import httpx
import pytest

from portal.security_headers import DOCS_POLICY, PORTAL_POLICY
from tests.support import TenantCtx, app_client, login, make_user, post_form

EXPECTED = {
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
}


def assert_secured(response: httpx.Response, policy: str = PORTAL_POLICY) -> None:
    for name, value in {**EXPECTED, "content-security-policy": policy}.items():
        assert response.headers.get(name) == value, (str(response.url), response.status_code, name)


def test_the_portal_policy_allows_no_inline_code_and_no_framing() -> None:
    directives = dict(d.strip().split(" ", 1) for d in PORTAL_POLICY.split(";"))
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'" and directives["object-src"] == "'none'"
    assert "unsafe" not in PORTAL_POLICY and "unsafe" in DOCS_POLICY


async def test_pages_fragments_and_redirects_carry_the_headers(cpo: TenantCtx) -> None:
    async with app_client() as client:
        assert_secured(await client.get("/login"))
        redirect = await client.get("/infrastructure/overview")
        assert redirect.status_code == 303
        assert_secured(redirect)
        htmx_redirect = await client.get("/infrastructure/overview", headers={"hx-request": "true"})
        assert htmx_redirect.status_code == 401 and "hx-redirect" in htmx_redirect.headers
        assert_secured(htmx_redirect)
        await login(client, cpo.admin["email"])
        page = await client.get("/infrastructure/overview")
        assert page.status_code == 200 and "<html" in page.text
        assert_secured(page)
        fragment = await client.get("/infrastructure/overview?q=x", headers={"hx-request": "true"})
        assert fragment.status_code == 200 and "<html" not in fragment.text
        assert_secured(fragment)
        assert_secured(await post_form(client, "/lang", {"language": "en", "next": "/"}))
        assert_secured(await client.get("/static/app.css"))


async def test_errors_carry_the_headers(cpo: TenantCtx) -> None:
    viewer = await make_user(cpo.id, permissions=["infrastructure.view"])
    async with app_client() as client:
        missing_route = await client.get("/no-such-page")
        assert missing_route.status_code in (303, 404)
        assert_secured(missing_route)
        await login(client, viewer["email"])
        forbidden = await client.get("/users")
        assert forbidden.status_code == 403
        assert_secured(forbidden)
        not_found = await client.get("/infrastructure/locations/999999999")
        assert not_found.status_code == 404
        assert_secured(not_found)
        csrf_refused = await client.post("/profile", data={"name": "x"})
        assert csrf_refused.status_code == 403
        assert_secured(csrf_refused)
        unknown = await client.get("/static/no-such-file.css")
        assert unknown.status_code == 404
        assert_secured(unknown)


@pytest.mark.parametrize("path", ["/api/v1/locations", "/health"])
async def test_the_rest_api_carries_them_too(path: str) -> None:
    async with app_client() as client:
        assert_secured(await client.get(path))


async def test_the_api_documentation_has_its_own_looser_policy() -> None:
    async with app_client() as client:
        for path in ("/api/docs", "/api/docs/swagger"):
            response = await client.get(path)
            assert response.status_code == 200, path
            assert_secured(response, DOCS_POLICY)
