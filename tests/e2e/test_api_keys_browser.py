"""API keys page in the browser: create a key (shown once), use it, revoke it after the confirm dialog."""

import httpx
import pytest

from tests.e2e.conftest import browser_login, screenshot
from tests.support import TenantCtx

pytestmark = pytest.mark.browser


async def test_create_use_and_revoke_an_api_key(page, live_server: str, cpo: TenantCtx) -> None:
    await browser_login(page, cpo.admin["email"], cpo.password)
    await page.click("[data-testid=api-keys-link]")
    await page.wait_for_url("**/settings/api-keys")
    assert "API-Schlüssel" in await page.inner_text("h1")
    await page.click("[data-testid=new-api-key] summary")
    await page.fill("input[name=name]", "Planungstool")
    await page.check("input[value='infrastructure.manage']")
    await page.click("[data-testid=create-api-key]")
    key = (await page.inner_text("[data-testid=api-key]")).strip()
    assert key.startswith("csms_")
    await screenshot(page, "api-key-created")

    async with httpx.AsyncClient(base_url=live_server) as api:
        answer = await api.get("/api/v1/locations", headers={"Authorization": f"Bearer {key}"})
        assert answer.status_code == 200 and answer.json()["total"] == 0

    await page.reload()
    assert await page.locator("[data-testid=api-key]").count() == 0  # shown only once
    page.once("dialog", lambda dialog: dialog.accept())
    await page.click("[data-testid=revoke-api-key]")
    await page.wait_for_selector("[data-testid=flash]")
    assert "Widerrufen" in await page.inner_text("[data-testid=api-keys]")
    async with httpx.AsyncClient(base_url=live_server) as api:
        answer = await api.get("/api/v1/locations", headers={"Authorization": f"Bearer {key}"})
        assert answer.status_code == 401
