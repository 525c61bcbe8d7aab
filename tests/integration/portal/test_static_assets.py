"""Assets every page needs come from csms itself: the favicon (browsers ask for /favicon.ico on every page) and
the API documentation's Swagger UI (vendored, so /api/docs works offline and under a policy without other
origins)."""

from __future__ import annotations

import re
from urllib.parse import urlparse

from portal.security_headers import DOCS_POLICY
from tests.support import app_client


async def test_the_favicon_is_served() -> None:
    async with app_client() as client:
        ico = await client.get("/favicon.ico")
        assert ico.status_code == 200 and ico.headers["content-type"] == "image/x-icon"
        assert ico.content[:4] == b"\x00\x00\x01\x00"  # an ICO header, one image
        svg = await client.get("/static/favicon.svg")
        assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
        login = await client.get("/login")
        assert '<link rel="icon" type="image/svg+xml" href="/static/favicon.svg">' in login.text


async def test_the_api_docs_use_only_same_origin_assets() -> None:
    async with app_client() as client:
        docs = await client.get("/api/docs")
        assert docs.status_code == 200
        assets = re.findall(r"""(?:src|href)=["']([^"']+)["']""", docs.text)
        assert {"/static/vendor/swagger-ui/swagger-ui-bundle.js", "/static/vendor/swagger-ui/swagger-ui.css",
                "/static/api-docs.js"} <= set(assets)  # fmt: skip
        for url in assets:
            assert not urlparse(url).netloc and url.startswith("/"), url  # no other origin
            assert (await client.get(url)).status_code == 200, url
        assert "<script>" not in docs.text.replace(" ", "")  # no inline script: the policy allows none
        schema_url = re.search(r'data-schema-url="([^"]+)"', docs.text)
        assert schema_url is not None
        schema = await client.get(schema_url.group(1))
        assert schema.status_code == 200 and "/api/v1/locations" in schema.json()["paths"]
    assert (
        "cdn" not in DOCS_POLICY
        and "http" not in DOCS_POLICY
        and "'unsafe-inline'" not in DOCS_POLICY.split("script-src")[1].split(";")[0]
    )
