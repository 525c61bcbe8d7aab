"""Advanced overview and CSV import in a real browser: filters via HTMX, remembered view, import preview."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from tests.e2e.conftest import ARTIFACTS, browser_login, screenshot
from tests.integration.overview.helpers import add_charge_point
from tests.support import TenantCtx

pytestmark = pytest.mark.browser


async def test_overview_filters_columns_and_remembered_view(page, cpo: TenantCtx) -> None:
    await add_charge_point(cpo, city="Berlin", status="AVAILABLE", vendor="ABB")
    await add_charge_point(cpo, city="Berlin", status="CHARGING", vendor="Alfen", power_type="DC",
                           standard="IEC_62196_T2_COMBO")  # fmt: skip
    await add_charge_point(cpo, city="Hamburg", status="AVAILABLE", vendor="ABB", error_rate="12")
    await browser_login(page, cpo.admin["email"], cpo.password)
    await page.goto("/infrastructure/overview")
    count = page.locator("[data-testid=result-count]")
    assert "3 Ergebnisse" in await count.inner_text()
    await screenshot(page, "overview-all")

    await page.fill("[data-testid=filter-city]", "Berl")
    await page.press("[data-testid=filter-city]", "Enter")
    await page.wait_for_selector("[data-testid=result-count]:has-text('2 Ergebnisse')")
    await page.select_option("[data-testid=filter-status]", "available")
    await page.wait_for_selector("[data-testid=result-count]:has-text('1 Ergebnis')")
    assert "city=Berl" in page.url and "status=available" in page.url  # the address bar follows the filters

    await page.click("[data-testid=column-chooser] summary")
    await page.check("[data-testid=col-vendor]")
    await page.wait_for_selector("th[data-column=vendor]")
    assert "ABB" in await page.inner_text("[data-testid=overview-table]")
    await screenshot(page, "overview-filtered")

    await page.goto("/")
    await page.goto("/infrastructure/overview")  # no parameters: the last view comes back
    assert "1 Ergebnis" in await count.inner_text()
    assert await page.input_value("[data-testid=filter-city]") == "Berl"
    assert await page.locator("th[data-column=vendor]").count() == 1

    await page.click("[data-testid=reset-filters]")
    await page.wait_for_selector("[data-testid=result-count]:has-text('3 Ergebnisse')")


async def test_csv_import_preview_and_valid_rows(page, cpo: TenantCtx) -> None:
    tag = uuid.uuid4().hex[:6].upper()
    csv_text = (
        "location_name;address;postal_code;city;charge_box_id;vendor;model;evse_number;standard;power_type\n"
        f"Parkhaus {tag};Hauptstr. 1;10115;Berlin;IMP-{tag}-1;ABB;Terra AC;1;IEC_62196_T2;AC_3_PHASE\n"
        f"Parkhaus {tag};Hauptstr. 1;10115;Berlin;IMP-{tag}-1;ABB;Terra AC;2;IEC_62196_T2;AC_3_PHASE\n"
        f"Parkhaus {tag};Hauptstr. 1;10115;Berlin;IMP-{tag}-2;ABB;Terra DC;1;NOT_A_PLUG;DC\n"
    )
    path = Path(ARTIFACTS) / f"import-{tag}.csv"
    path.write_text(csv_text, encoding="utf-8")
    await browser_login(page, cpo.admin["email"], cpo.password)
    await page.goto("/infrastructure/imports")
    await screenshot(page, "imports-index")
    await page.set_input_files("[data-testid=import-file]", str(path))
    await page.click("[data-testid=import-preview]")
    await page.wait_for_selector("[data-testid=import-rows]")
    assert "2" in await page.inner_text("[data-testid=valid-count]")
    assert "1" in await page.inner_text("[data-testid=invalid-count]")
    assert await page.locator("[data-testid=import-all]").is_disabled()
    assert await page.locator("td.cell-error").count() == 1
    await screenshot(page, "imports-preview")

    await page.click("[data-testid=import-valid]")
    await page.wait_for_selector("[data-testid=import-done]")
    await screenshot(page, "imports-done")
    await page.goto("/infrastructure/overview?q=IMP-" + tag)
    assert "2 Ergebnisse" in await page.inner_text("[data-testid=result-count]")
    path.unlink()


async def test_selection_survives_waiting_filtering_and_paging_and_feeds_the_bulk_actions(
    page, cpo: TenantCtx, unique: str
) -> None:
    """A tick used to reload the results (its change reached the filter form) and was gone a second later, so the
    bulk actions got "0 Ladepunkte ausgewählt"; the selection now lives on the server."""
    town = "Selstadt" + unique
    points = [await add_charge_point(cpo, city=town, evse_id=f"DE*SEL*E{unique}{n:02d}") for n in range(26)]
    elsewhere = await add_charge_point(cpo, city="Anderswo" + unique)
    await browser_login(page, cpo.admin["email"], cpo.password)
    await page.goto(f"/infrastructure/overview?city={town}&per_page=25")
    count = page.locator("[data-testid=selection-count]")
    assert "0 Ladepunkte ausgewählt" in await count.inner_text()

    first = points[0]["id"]
    await page.check(f"[data-testid=select-{first}]")
    await page.wait_for_selector("[data-testid=selection-count]:has-text('1 Ladepunkt ausgewählt')")
    await page.wait_for_timeout(1500)  # the old reload came about a second after the tick
    assert await page.is_checked(f"[data-testid=select-{first}]")

    await page.click("[data-testid=next-page]")
    await page.wait_for_selector("[data-testid=prev-page]")
    last = points[-1]["id"]
    await page.check(f"[data-testid=select-{last}]")
    await page.wait_for_selector("[data-testid=selection-count]:has-text('2 Ladepunkte ausgewählt')")

    await page.fill("[data-testid=filter-city]", "Anderswo" + unique)
    await page.press("[data-testid=filter-city]", "Enter")
    await page.wait_for_selector("[data-testid=result-count]:has-text('1 Ergebnis')")
    await page.check(f"[data-testid=select-{elsewhere['id']}]")
    await page.wait_for_selector("[data-testid=selection-count]:has-text('3 Ladepunkte ausgewählt')")
    await page.fill("[data-testid=filter-city]", town)
    await page.press("[data-testid=filter-city]", "Enter")
    await page.wait_for_selector("[data-testid=result-count]:has-text('26 Ergebnisse')")
    assert await page.is_checked(f"[data-testid=select-{first}]")  # the ticks are drawn from the server's selection

    await page.click("[data-testid=bulk-assign-tariff]")
    await page.wait_for_selector("[data-testid=chosen-count]")
    assert "3 Ladepunkte ausgewählt" in await page.inner_text("[data-testid=chosen-count]")

    await page.goto("/infrastructure/overview")
    await page.click("[data-testid=select-all]")  # all 26 of the filter, on both pages, plus the one elsewhere
    await page.wait_for_selector("[data-testid=selection-count]:has-text('27 Ladepunkte ausgewählt')")
    await page.click("[data-testid=bulk-commands]")
    await page.wait_for_selector("input[name=station_id]")
    assert await page.locator("input[name=station_id]:checked").count() == 27

    await page.goto("/infrastructure/overview")
    await page.click("[data-testid=clear-selection]")
    await page.wait_for_selector("[data-testid=selection-count]:has-text('0 Ladepunkte ausgewählt')")
    assert not await page.is_checked(f"[data-testid=select-{first}]")
