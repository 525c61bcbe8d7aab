"""In a real browser: the Content-Security-Policy holds on the main pages without breaking them, and the profile
lists the user's sessions and ends another one."""

from __future__ import annotations

from typing import Any

import pytest

from core.tenancy import users
from tests.e2e.conftest import browser_login, screenshot
from tests.integration.infrastructure.conftest import make_site
from tests.support import TenantCtx

pytestmark = pytest.mark.browser

IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 "
    "Mobile/15E148 Safari/604.1"
)


def _watch_csp(page: Any) -> list[str]:
    """Chromium reports every blocked script, style or eval as a console error naming the policy."""
    violations: list[str] = []

    def console(message: Any) -> None:
        if "Content Security Policy" in message.text or "Refused to" in message.text:
            violations.append(message.text)

    page.on("console", console)
    page.on("pageerror", lambda error: violations.append(f"page error: {error}"))
    return violations


async def _visit(page: Any, url: str) -> None:
    response = await page.goto(url)
    assert response is not None and response.status == 200, url
    assert "script-src 'self'" in response.headers["content-security-policy"], url
    await page.wait_for_load_state("networkidle")


async def test_main_pages_run_under_the_content_security_policy(page: Any, cpo: TenantCtx, unique: str) -> None:
    violations = _watch_csp(page)
    site = await make_site(cpo, unique)
    group = await users.create_group(cpo.actor, {"name": f"CSP {unique}"})
    await browser_login(page, cpo.admin["email"], cpo.password)
    await page.click("[data-testid=lang-en]")
    await page.wait_for_selector("html[lang=en]")
    station, location = site.station["id"], site.location["id"]
    pages = ("/", "/infrastructure/overview", "/infrastructure/locations", f"/infrastructure/locations/{location}",
             "/cards", "/charging-data", "/tariffs", "/tariffs/new", "/operations/authorizations",
             "/operations/anomalies", f"/operations/stations/{station}/log", "/users", "/groups", "/profile",
             "/settings/api-keys", "/infrastructure/imports")  # fmt: skip
    for url in pages:
        await _visit(page, url)
    assert violations == []

    # Opening hours rows are added and removed by static/portal.js.
    await _visit(page, "/infrastructure/locations/new")
    await page.click("[data-testid=add-hours]")
    await page.click("[data-testid=add-hours]")
    assert await page.locator("#hours-rows tr").count() == 2
    await page.click("#hours-rows tr >> text=Remove")
    assert await page.locator("#hours-rows tr").count() == 1

    # Tabs load through htmx; a click marks the tab and loads its content.
    await _visit(page, f"/infrastructure/stations/{site.station['id']}")
    await page.click("[data-tab=device]")
    await page.wait_for_selector("[data-tab=device].active")
    await page.wait_for_load_state("networkidle")
    assert await page.locator("[data-tab=info].active").count() == 0
    await _visit(page, f"/infrastructure/charge-points/{site.charge_point['id']}")

    # A permission switch saves itself (htmx plus the switch's state from static/portal.js).
    await _visit(page, f"/groups/{group['id']}")
    switch = "[data-testid='switch-tariffs.view']"
    await page.check(f"{switch} input")
    await page.wait_for_selector(f"{switch} [data-testid=state][data-state=on]")  # the server's answer swapped in
    assert "tariffs.view" in (await users.get_group(cpo.actor, group["id"]))["permissions"]

    # A select that sends its form on change.
    await _visit(page, "/driver-groups")
    await page.select_option("[data-testid=archived-filter]", "all")
    await page.wait_for_url("**/driver-groups?archived=all")
    await screenshot(page, "csp-driver-groups")
    assert violations == []


async def test_a_form_asks_before_it_sends(page: Any, cpo: TenantCtx) -> None:
    """data-confirm (static/portal.js): cancelled, nothing happens; confirmed, the key is revoked."""
    violations = _watch_csp(page)
    await browser_login(page, cpo.admin["email"], cpo.password)
    await _visit(page, "/settings/api-keys")
    await page.click("[data-testid=new-api-key] summary")
    await page.fill("[data-testid=new-api-key] input[name=name]", "confirm test")
    await page.click("[data-testid=create-api-key]")
    await page.wait_for_selector("[data-testid=api-key-secret]")
    answers: list[str] = []

    async def answer(dialog: Any) -> None:
        answers.append(dialog.message)
        await (dialog.dismiss() if len(answers) == 1 else dialog.accept())

    page.on("dialog", answer)
    await page.click("[data-testid=revoke-api-key]")
    assert await page.locator("[data-testid=revoke-api-key]").count() == 1  # dismissed: still there
    await page.click("[data-testid=revoke-api-key]")
    await page.wait_for_selector("[data-testid=api-key-row] .badge.err")
    assert len(answers) == 2 and answers[0]
    assert violations == []


async def test_profile_lists_the_sessions_and_ends_another(
    page: Any, browser: Any, live_server: str, cpo: TenantCtx
) -> None:
    violations = _watch_csp(page)
    other = await browser.new_context(base_url=live_server, user_agent=IPHONE)
    phone = await other.new_page()
    try:
        await browser_login(phone, cpo.admin["email"], cpo.password)
        await browser_login(page, cpo.admin["email"], cpo.password)
        await page.click("[data-testid=profile-link]")
        rows = page.locator("[data-testid=session-row]")
        await page.wait_for_selector("[data-testid=my-sessions]")
        assert await rows.count() == 2
        table = await page.inner_text("[data-testid=sessions]")
        assert "Aktive Sitzungen" in await page.inner_text("[data-testid=my-sessions]")
        assert "Safari unter iPhone" in table and "Chrome unter Linux" in table
        assert await page.inner_text("[data-testid=current-session]") == "Diese Sitzung"
        await screenshot(page, "profile-sessions-de")
        await page.click("[data-testid=lang-en]")
        await page.wait_for_selector("html[lang=en]")
        assert "Safari on iPhone" in await page.inner_text("[data-testid=sessions]")
        await screenshot(page, "profile-sessions-en")

        await page.click("[data-testid=session-row]:has-text('iPhone') [data-testid=end-session]")
        await page.wait_for_selector("[data-testid=flash]")
        assert "The session was ended." in await page.inner_text("[data-testid=flash]")
        assert await rows.count() == 1
        await phone.reload()
        await phone.wait_for_url("**/login**")
        await page.reload()  # this session carries on
        assert await page.inner_text("[data-testid=current-session]") == "This session"
        assert violations == []
    finally:
        await other.close()
