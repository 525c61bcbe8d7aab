"""Browser walk through the roaming workflow of seeds 000 and 003: hub on, a contract group, the station's Zugang
tab (a switch refused while the checklist misses an item, then saved) and its Roaming tab; the partner then sees
the station."""

from __future__ import annotations

from typing import Any

import pytest

from core.infrastructure import charge_points
from core.roaming.visibility import PartnerKind, PartnerRef, may_see
from tests.e2e.conftest import browser_login, screenshot
from tests.integration.roaming.conftest import ready_site
from tests.support import TenantCtx, make_tenant

pytestmark = pytest.mark.browser


async def test_contract_group_zugang_and_roaming_tabs_make_the_station_visible(
    page: Any, cpo: TenantCtx, unique: str
) -> None:
    emp = await make_tenant(kind="EMP")
    site = await ready_site(cpo, unique)
    station = f"/infrastructure/stations/{site.station['id']}"
    await browser_login(page, cpo.admin["email"], cpo.password)
    await page.click("[data-testid=lang-de]")
    await page.wait_for_selector("html[lang=de]")

    # Roaming / Einstellungen: "Roaming-Hub aktiviert".
    await page.goto("/roaming/settings")
    await page.check("[data-testid=hub-enabled]")
    await page.click("[data-testid=save-roaming-settings]")
    await page.wait_for_selector("[data-testid=flash]")

    # Vertragsgruppen (CPO): a new group with the EMP tenant.
    await page.goto("/roaming/contract-groups")
    await page.click("[data-testid=new-contract-group]")
    await page.fill("input[name=name]", "EMP-Vertragsgruppe")
    await page.check(f"input[name=emp_tenant_ids][value='{emp.id}']")
    await screenshot(page, "roaming-contract-group-form")
    await page.click("[data-testid=save-contract-group]")
    await page.wait_for_selector("[data-testid=contract-group-row]")
    assert emp.tenant["name"] in await page.inner_text("[data-testid=contract-groups]")

    # Zugang: with a foreign EVSE-ID the Roaming switch is refused next to it, the checklist links the fix.
    await charge_points.update_charge_point(cpo.actor, site.charge_point["id"], {"evse_id": "DE*ABC*E9*1"})
    await page.goto(f"{station}?tab=access")
    await page.wait_for_selector("[data-testid=access-form]")
    assert await page.locator("[data-testid=fix-evse_own_operator]").count() == 1
    await page.check("[data-testid=switch-marketing]")
    await page.check("[data-testid=switch-roaming]")
    await page.click("[data-testid=save-access]")
    await page.wait_for_selector("#error-roaming")
    assert "Checkliste" in await page.inner_text("#error-roaming")
    await screenshot(page, "roaming-access-refused")

    own = f"{cpo.tenant['country_code']}*{cpo.tenant['party_id']}*E{unique.upper()}*1"
    await charge_points.update_charge_point(cpo.actor, site.charge_point["id"], {"evse_id": own})
    await page.goto(f"{station}?tab=access")
    await page.wait_for_selector("[data-testid=access-form]")
    assert await page.locator("[data-testid=marketing-checklist] li[data-ok=no]").count() == 0
    await page.check("[data-testid=switch-marketing]")
    await page.check("[data-testid=switch-roaming]")
    await page.fill("[data-testid=platform-name]", "Depot Nord")
    async with page.expect_navigation():  # saved: htmx follows HX-Redirect back to the data sheet
        await page.click("[data-testid=save-access]")
    await page.wait_for_selector("[data-testid=flash]")
    await page.wait_for_selector("[data-testid=access-form]")
    assert await page.is_checked("[data-testid=switch-roaming]")
    await screenshot(page, "roaming-access-saved")

    # Roaming tab: authorised globally, the group enabled.
    partner = PartnerRef(PartnerKind.EMP_TENANT, emp_tenant_id=emp.id)
    assert not await may_see(partner, site.charge_point["id"])
    await page.click("[data-tab=roaming]")
    await page.wait_for_selector("[data-testid=hub-form]")
    await page.check("[data-testid=hub-authorised]")
    await page.check("[data-testid=station-contract-groups] input[name=group_ids]")
    async with page.expect_navigation():
        await page.click("[data-testid=save-hub]")
    await page.wait_for_selector("[data-testid=hub-form]")
    assert await page.is_checked("[data-testid=hub-authorised]")
    await screenshot(page, "roaming-station-hub")
    assert await may_see(partner, site.charge_point["id"])
