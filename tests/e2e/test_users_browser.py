"""User management in a real browser: a group with switches, a user in it, and what that user then sees."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.e2e.conftest import browser_login, screenshot
from tests.support import TenantCtx

pytestmark = pytest.mark.browser


async def test_admin_creates_group_and_user_who_sees_only_permitted_areas(page: Any, cpo: TenantCtx) -> None:
    suffix = uuid.uuid4().hex[:8]
    await browser_login(page, cpo.admin["email"], cpo.password)
    await page.click("text=Benutzerverwaltung")
    await page.wait_for_url("**/users")
    await page.click("[data-testid=users-subnav] >> text=Gruppen")
    await page.click("[data-testid=new-group]")
    await page.fill("[data-testid=group-form] input[name=name]", f"Techniker {suffix}")
    view = "[data-testid='switch-infrastructure.view']"
    assert await page.inner_text(f"{view} [data-testid=state]") == "Aus"
    await page.check(f"{view} input")
    # Before saving, a switched-on permission reads "An" (it used to keep reading "OFF").
    assert await page.inner_text(f"{view} [data-testid=state]") == "An"
    await page.check("[data-testid='switch-infrastructure.operations_tab'] input")
    await page.click("[data-testid=group-form] [data-testid=save]")
    await page.wait_for_selector("[data-testid=flash]")
    assert "Die Benutzergruppe wurde angelegt." in await page.inner_text("[data-testid=flash]")
    # On the edit page a switch saves itself at once (HTMX), seed 001's "Kostenfreigabe".
    cost = "[data-testid='switch-users.cost_approval']"
    assert await page.inner_text(f"{cost} [data-testid=state]") == "Aus"
    await page.check(f"{cost} input")
    await page.wait_for_selector(f"{cost} [data-testid=state][data-state=on]")  # saved and answered by the server
    assert await page.inner_text(f"{cost} [data-testid=state]") == "An"
    await screenshot(page, "users-group-switches")
    await page.reload()  # the switch shows what is stored
    assert await page.is_checked(f"{cost} input")

    # A user in that group, with a password the admin chooses.
    await page.goto("/users/new")
    email = f"techniker-{suffix}@example.test"
    await page.fill("[data-testid=user-form] input[name=email]", email)
    await page.fill("[data-testid=user-form] input[name=name]", "Tina Technik")
    await page.fill("[data-testid=user-form] input[name=password]", "technik-passwort-1")
    await page.check(f"[data-testid=user-groups] label:has-text('Techniker {suffix}') input")
    await page.click("[data-testid=user-form] [data-testid=save]")
    await page.wait_for_selector("[data-testid=flash]")
    await page.goto("/users")
    row = page.locator("[data-testid=user-row]", has_text=email)
    assert f"Techniker {suffix}" in await row.inner_text()
    await screenshot(page, "users-list")
    await page.click("[data-testid=logout]")
    await page.wait_for_url("**/login")

    # The new user sees only what the group allows.
    await browser_login(page, email, "technik-passwort-1")
    nav = await page.inner_text("nav.mainnav")
    assert "Infrastruktur" in nav
    assert "Benutzerverwaltung" not in nav and "Betrieb" not in nav
    response = await page.goto("/users")
    assert response is not None and response.status == 403
    await page.goto("/")
    await page.click("[data-testid=lang-en]")
    await page.wait_for_selector("html[lang=en]")
    nav = await page.inner_text("nav.mainnav")
    assert "Infrastructure" in nav and "User management" not in nav
    await page.click("[data-testid=profile-link]")
    await page.wait_for_selector("[data-testid=profile-form]")
    assert "Change password" in await page.inner_text("main")
    await page.click("[data-testid=lang-de]")
    await page.wait_for_selector("html[lang=de]")
    assert "Passwort ändern" in await page.inner_text("main")
    await screenshot(page, "users-profile-de")
