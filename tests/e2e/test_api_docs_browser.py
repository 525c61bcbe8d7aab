"""Swagger UI on /api/docs in Chromium: it renders the REST API's operations from csms's own files alone (every
other origin is blocked here, as on a machine without internet access), with no CSP violation."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

import pytest

from tests.e2e.conftest import screenshot

pytestmark = pytest.mark.browser


async def test_swagger_ui_works_offline(page: Any, live_server: str) -> None:
    own = urlparse(live_server).netloc
    foreign: list[str] = []

    async def offline(route: Any) -> None:
        if urlparse(route.request.url).netloc == own:
            await route.continue_()
        else:
            foreign.append(route.request.url)
            await route.abort()

    await page.route("**/*", offline)
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    response = await page.goto("/api/docs")
    assert response is not None and response.status == 200
    await page.locator(".opblock-summary-path", has_text="/api/v1/locations").first.wait_for(timeout=20000)
    assert await page.locator(".opblock").count() > 20
    await screenshot(page, "api-docs")
    assert foreign == [] and problems == []
