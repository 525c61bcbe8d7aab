"""Browser walk: create a "cards only" driver group with a documentation tariff (German portal), add a charging
card in the Ladekarten box, rename it and see the history."""

from __future__ import annotations

from typing import Any

import pytest

from core.access.tables import ChargingCard
from core.tariffs import tariffs
from tests.e2e.conftest import browser_login, screenshot
from tests.support import TenantCtx

pytestmark = pytest.mark.browser


async def test_create_group_and_add_a_card(page: Any, cpo: TenantCtx, unique: str) -> None:
    await tariffs.create_tariff(cpo.actor, {"name": "Gäste-Doku", "currency": "EUR", "ac_energy_per_kwh": "0.30",
                                            "dc_energy_per_kwh": "0.50"})  # fmt: skip
    uid = f"6A{unique[:6]}".upper()
    await ChargingCard(tenant=cpo.id, uid=uid, label="Gast 1").save()
    await browser_login(page, cpo.admin["email"], cpo.password)
    await page.click("[data-testid=lang-de]")
    await page.wait_for_selector("html[lang=de]")

    await page.click("nav.mainnav >> text=Nutzergruppen")
    await page.click("[data-testid=new-driver-group]")
    await page.fill("input[name=name]", "Gäste")
    await page.select_option("[data-testid=kind]", "CARDS_ONLY")
    await page.select_option("[data-testid=tariff]", label=await page.locator(
        "[data-testid=tariff] option", has_text="Gäste-Doku").inner_text())  # fmt: skip
    await page.check("input[name=scope][value=ALL]")
    await screenshot(page, "driver-group-form")
    await page.click("[data-testid=create-driver-group]")

    await page.wait_for_selector("[data-testid=cards-box]")
    assert "Gäste" in await page.inner_text("[data-testid=driver-group-name]")
    assert "Nur Dokumentation" in await page.inner_text("[data-testid=tariff-box]")
    assert "gesamten Ladeinfrastruktur" in await page.inner_text("[data-testid=scope-box]")
    await page.select_option("[data-testid=card-choice]", label=f"{uid} – Gast 1")
    await page.click("[data-testid=add-card-button]")
    await page.wait_for_selector("[data-testid=group-cards]")
    assert uid in await page.inner_text("[data-testid=group-cards]")
    assert (await page.inner_text("[data-testid=card-count]")).strip() == "1"

    await page.click("[data-testid=rename-box] summary")
    await page.fill("[data-testid=rename-box] input[name=name]", "Besucher")
    await page.click("[data-testid=save-name]")
    await page.wait_for_selector("[data-testid=flash]")
    assert "Besucher" in await page.inner_text("[data-testid=driver-group-name]")
    assert uid in await page.inner_text("[data-testid=audit-history]")
    await screenshot(page, "driver-group-detail")

    await page.goto("/driver-groups")
    row = page.locator("[data-testid=driver-group-row]", has_text="Besucher")
    assert "Nur Ladekarten" in await row.inner_text() and "1" in await row.inner_text()
