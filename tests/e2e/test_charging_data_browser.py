"""The "Ladedaten" page in a real browser: filter the list via HTMX, switch to the chart view, open a CDR; the EKA
column with the signature check."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from core.infrastructure import stations
from tests.e2e.conftest import browser_login, screenshot
from tests.integration.cdrs.conftest import cdr_of, finished_session, second_location_station
from tests.integration.ocpp.conftest import make_station
from tests.ocmf_signing import payload, public_hex, sign
from tests.support import TenantCtx

pytestmark = pytest.mark.browser


async def test_filter_list_chart_view_and_detail(page, cpo: TenantCtx, unique: str) -> None:
    munich = await make_station(cpo, "BM" + unique)
    vienna = await second_location_station(cpo, "BW" + unique)
    now = datetime.now(UTC)
    for day in range(1, 6):  # within the default period (the last 30 days)
        await cdr_of(await finished_session(cpo, munich, energy_wh=4000 * day, minutes=20 * day,
                                            start=now - timedelta(days=day)))  # fmt: skip
    signed = 'OCMF|{"FV":"1.0","RD":[{"TX":"B","RV":2.5,"RU":"kWh"}]}|{"SD":"30450221"}'
    dc = await cdr_of(await finished_session(cpo, vienna, energy_wh=30_000, minutes=45, auth_source="REMOTE",
                                             start=now - timedelta(days=2), signed=signed))  # fmt: skip

    await browser_login(page, cpo.admin["email"], cpo.password)
    await page.click("nav.mainnav >> text=Ladedaten")
    count = page.locator("[data-testid=result-count]")
    await page.wait_for_selector("[data-testid=cd-table]")
    assert "6 Ergebnisse" in await count.inner_text()
    await screenshot(page, "charging-data-list")

    await page.select_option("[data-testid=filter-power]", "DC")
    await page.wait_for_selector("[data-testid=result-count]:has-text('1 Ergebnis')")
    assert "power=DC" in page.url
    assert "Wien" not in await page.inner_text("[data-testid=cd-table]")  # the table shows ids, the filter worked
    assert await page.locator("[data-testid=cd-row]").count() == 1

    await page.select_option("[data-testid=filter-power]", "")
    await page.wait_for_selector("[data-testid=result-count]:has-text('6 Ergebnisse')")
    await page.click("[data-testid=view-chart]")
    await page.wait_for_selector("svg[data-testid=chart-energy]")
    bars = page.locator("svg[data-testid=chart-energy] rect.bar")
    assert await bars.count() == 5  # five days with sessions
    box = await page.locator("svg[data-testid=chart-energy]").bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] > 80  # really drawn, not an empty element
    heights = [float(await bars.nth(i).get_attribute("height") or 0) for i in range(5)]
    assert all(h > 0 for h in heights)
    assert await page.locator("svg[data-testid=chart-auth] rect.bar").count() == 2  # RFID card and Remote
    assert "view=chart" in page.url
    await screenshot(page, "charging-data-chart")

    await page.goto(f"/charging-data/{dc['id']}")
    assert "30450221" in await page.inner_text("[data-testid=signed-value]")
    assert "Eichrechtskonform" in await page.inner_text("[data-testid=cdr-eichrecht]")
    await screenshot(page, "charging-data-detail")


async def test_eka_column_shows_the_signature_check(page, cpo: TenantCtx, unique: str) -> None:
    meter = ec.generate_private_key(ec.BrainpoolP256R1())
    st = await make_station(cpo, "BE" + unique)
    await stations.update_station(cpo.actor, st.id, {"meter_public_key": public_hex(meter)})
    now = datetime.now(UTC)
    document = sign(meter, payload(("B", 0.0), ("E", 10.0)), "ECDSA-brainpool256r1-SHA256")
    valid = await cdr_of(await finished_session(cpo, st, energy_wh=10_000, start=now - timedelta(hours=3),
                                                signed=document))  # fmt: skip
    tampered = await cdr_of(await finished_session(cpo, st, energy_wh=10_000, start=now - timedelta(hours=2),
                                                   signed=document.replace('"RV":10.0', '"RV":12.0')))  # fmt: skip
    unsigned = await cdr_of(await finished_session(cpo, st, energy_wh=500, start=now - timedelta(hours=1)))

    await browser_login(page, cpo.admin["email"], cpo.password)
    await page.goto("/charging-data")
    await page.wait_for_selector("[data-testid=cd-table]")
    header = await page.inner_text("[data-testid=cd-table] thead")
    assert "EKA" in header

    async def eka(cdr: dict) -> str:
        return await page.inner_text(f"[data-testid=cd-row][data-session='{cdr['session']}'] [data-testid=cd-eka]")

    assert "geprüft" in await eka(valid)
    assert "ungültig" in await eka(tampered)
    assert "nicht signiert" in await eka(unsigned)
    await screenshot(page, "charging-data-eka")

    await page.select_option("[data-testid=filter-signature]", "INVALID_SIGNATURE")
    await page.wait_for_selector("[data-testid=result-count]:has-text('1 Ergebnis')")
    assert "signature=INVALID_SIGNATURE" in page.url
    rows = page.locator("[data-testid=cd-row]")
    assert await rows.count() == 1 and await rows.first.get_attribute("data-session") == str(tampered["session"])

    await page.goto(f"/charging-data/{valid['id']}")
    assert "geprüft" in await page.inner_text("[data-testid=signature-status]")
    assert "10.0 kWh" in await page.inner_text("[data-testid=signed-end]")
    await screenshot(page, "charging-data-detail-eka")
