"""Alerts (Störungen) in a browser: an offline station and a tripped fuse are listed, the admin sets up a
notification group as in seed 003 ("Gruppe erstellen": e-mail, cases, the station), a wrong address is named next
to its field first, then acknowledges an alert; axe-core on both pages, screenshots for a human to look at."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from axe_playwright_python.async_playwright import Axe

from core.alerts import detect
from core.alerts.cases import Case
from core.alerts.rules import Source
from tests.e2e.conftest import browser_login, screenshot
from tests.integration.infrastructure.conftest import make_site
from tests.support import TenantCtx

pytestmark = pytest.mark.browser


async def _no_serious_violations(page: Any, where: str) -> None:
    results = await Axe().run(page)
    serious = [(v["id"], v["help"]) for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert serious == [], f"{where}: {serious}"


async def test_alerts_listed_a_group_set_up_and_an_alert_acknowledged(page: Any, cpo: TenantCtx, unique: str) -> None:
    offline, faulted = await make_site(cpo, unique), await make_site(cpo, "F" + unique)
    now = datetime.now(UTC)
    await detect.open_alerts([
        detect.Opening(cpo.id, offline.station["id"], None, Source.OFFLINE, Case.UNAVAILABILITY, "Offline",
                       now - timedelta(minutes=25)),
        detect.Opening(cpo.id, faulted.station["id"], faulted.charge_point["id"], Source.STATUS, Case.FUSE_TRIPPED,
                       "OverCurrentFailure", now - timedelta(minutes=3)),
    ])  # fmt: skip

    await browser_login(page, cpo.admin["email"], cpo.password)
    await page.click("[data-testid=nav-alerts]")
    await page.wait_for_selector("[data-testid=alerts]")
    rows = await page.inner_text("[data-testid=alerts]")
    assert "Sicherung ausgelöst" in rows and "OverCurrentFailure" in rows and "Nicht verfügbar" in rows
    assert offline.station["charge_box_id"] in rows and faulted.station["charge_box_id"] in rows
    await _no_serious_violations(page, "alerts")
    await screenshot(page, "alerts-open")

    await page.click("[data-testid=new-group]")
    await page.wait_for_selector("[data-testid=group-form]")
    await page.fill("input[name=name]", "Technik Süd")
    await page.fill("textarea[name=recipients]", "technik@cpo.example\nkein-mail")
    await page.uncheck("input[name=all_charge_points]")
    await page.select_option("select[name=station_ids]", [str(faulted.station["id"])])
    await page.click("[data-testid=save-group]")
    await page.wait_for_selector("#error-recipients")
    assert "Keine E-Mail-Adresse: kein-mail" in await page.inner_text("#error-recipients")
    await screenshot(page, "alerts-group-error")
    await page.fill("textarea[name=recipients]", "technik@cpo.example")
    await page.click("[data-testid=save-group]")
    await page.wait_for_selector("[data-testid=flash]")
    assert await page.is_checked("[data-testid=case-FUSE_TRIPPED]")  # the seed's three cases are ticked at first
    await _no_serious_violations(page, "notification group")
    await screenshot(page, "alerts-group")

    await page.goto(page.url.rsplit("/alerts", 1)[0] + "/alerts")
    await page.click("[data-testid=acknowledge] >> nth=0")
    await page.wait_for_selector("[data-testid=flash]")
    assert "Die Störung wurde quittiert." in await page.inner_text("[data-testid=flash]")
    assert "Technik Süd" in await page.inner_text("[data-testid=groups]")
    await screenshot(page, "alerts-acknowledged")
