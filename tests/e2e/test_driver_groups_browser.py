"""Browser walk (German portal): create a "cards only" driver group in reev's four steps - a form error in step 1,
Back from step 3 keeping the tariff of step 2, the summary - with screenshots of every step on a desktop and at
390 px; then add a card in the Ladekarten box, create many cards into the group at once, rename it and see the
history."""

from __future__ import annotations

from typing import Any

import pytest

from core.access.tables import ChargingCard
from core.tariffs import tariffs
from tests.e2e.conftest import german_login, screenshot
from tests.integration.driver_groups.steps import location
from tests.support import TenantCtx

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1400, "height": 900}


async def _both_widths(page: Any, name: str) -> None:
    """The step as it is on the desktop and on a phone, neither scrolling sideways."""
    for label, size in (("desktop", DESKTOP), ("390", PHONE)):
        await page.set_viewport_size(size)
        await screenshot(page, f"driver-group-{name}-{label}")
        overflow = await page.evaluate("() => document.documentElement.scrollWidth - innerWidth")
        assert overflow <= 0, f"{name} at {label}: {overflow} px wider than the screen"
    await page.set_viewport_size(DESKTOP)


async def _step(page: Any) -> str:
    return (await page.inner_text("[data-testid=current-step]")).strip()


async def test_create_group_in_four_steps_and_add_cards(page: Any, cpo: TenantCtx, unique: str) -> None:
    prices = {"currency": "EUR", "ac_energy_per_kwh": "0.30", "dc_energy_per_kwh": "0.50"}
    doku = await tariffs.create_tariff(cpo.actor, {"name": "Gäste-Doku", **prices})
    await location(cpo, "Parkhaus Süd")
    uid = f"6A{unique[:6]}".upper()
    await ChargingCard(tenant=cpo.id, uid=uid, label="Gast 1").save()
    await german_login(page, cpo.admin["email"], cpo.password)

    await page.click("nav.mainnav >> text=Nutzergruppen")
    await page.click("[data-testid=new-driver-group]")
    assert await _step(page) == "1 Name"
    await page.check("input[name=kind][value=CARDS_ONLY]")
    await page.fill("input[name=name]", "   ")  # passes the browser's own check, not csms's
    await page.click("[data-testid=wizard-next]")
    await page.wait_for_selector("[data-testid=step-name] .error")
    assert "Dieses Feld ist erforderlich." in await page.inner_text("[data-testid=step-name]")
    await page.fill("input[name=name]", "Gäste")
    await _both_widths(page, "step1")
    await page.click("[data-testid=wizard-next]")

    await page.wait_for_selector("[data-testid=step-tariff]")
    assert await _step(page) == "2 Tarif (optional)"
    await page.select_option("[data-testid=tariff]", str(doku["id"]))
    await _both_widths(page, "step2")
    await page.click("[data-testid=wizard-next]")

    await page.wait_for_selector("[data-testid=step-scope]")
    assert "Parkhaus Süd" in await page.inner_text("[data-testid=step-scope]")
    await page.click("[data-testid=wizard-back]")  # Back keeps the tariff chosen in step 2
    await page.wait_for_selector("[data-testid=step-tariff]")
    assert await page.input_value("[data-testid=tariff]") == str(doku["id"])
    await page.click("[data-testid=wizard-next]")
    await page.wait_for_selector("[data-testid=step-scope]")
    await page.check("input[name=scope][value=ALL]")
    await _both_widths(page, "step3")
    await page.click("[data-testid=wizard-next]")

    await page.wait_for_selector("[data-testid=summary]")
    summary = await page.inner_text("[data-testid=summary]")
    assert "Gäste" in summary and "Nur Ladekarten" in summary and "Gäste-Doku" in summary
    assert "Nur Dokumentation" in summary and "Gesamte Ladeinfrastruktur" in summary
    await _both_widths(page, "step4")
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

    # Many new cards straight into the group: one new, one that exists, one with a wrong uid.
    await page.click("[data-testid=import-into-group]")
    assert await page.locator("[data-testid=card-group] option:checked").inner_text() == "Gäste"
    await page.fill("[data-testid=import-text]", f"uid;name\n6B{unique[:6]};Gast 2\n{uid};Gast 1\nxyz;Gast 3")
    await page.click("[data-testid=import-create]")
    await page.wait_for_selector("[data-testid=import-result]")
    outcomes = [await row.get_attribute("data-outcome") for row in await page.query_selector_all(
        "[data-testid=import-line]")]  # fmt: skip
    assert outcomes == ["CREATED", "EXISTS", "INVALID"]
    assert "Übersprungen: Ladekarte gibt es schon" in await page.inner_text("[data-testid=import-lines]")
    await _both_widths(page, "cards-import")

    await page.goto("/driver-groups")
    await page.click("text=Gäste")
    assert (await page.inner_text("[data-testid=card-count]")).strip() == "2"
    await page.click("[data-testid=rename-box] summary")
    await page.fill("[data-testid=rename-box] input[name=name]", "Besucher")
    await page.click("[data-testid=save-name]")
    await page.wait_for_selector("[data-testid=flash]")
    assert "Besucher" in await page.inner_text("[data-testid=driver-group-name]")
    assert uid in await page.inner_text("[data-testid=audit-history]")
    await screenshot(page, "driver-group-detail")

    await page.goto("/driver-groups")
    row = page.locator("[data-testid=driver-group-row]", has_text="Besucher")
    assert "Nur Ladekarten" in await row.inner_text() and "2" in await row.inner_text()
