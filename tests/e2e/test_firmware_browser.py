"""Browser walk through a firmware campaign on the live server with three simulated stations: the overview's
selection into the wizard (firmware, start, pace, stations; a bad URL refused next to its field), the review,
the campaign page following the stations (one download fails), "Retry failed" until every station reports the new
version; and the station's "Diagnose" tab with a stored diagnostics upload."""

from __future__ import annotations

from typing import Any

import pytest

from core.commands import diagnostics, running
from tests.e2e.conftest import german_login, screenshot, ws_url_of
from tests.integration.firmware.conftest import simulated
from tests.integration.ocpp.conftest import make_station
from tests.support import TenantCtx

pytestmark = pytest.mark.browser
SLOW = 90_000  # ms: the server's campaign tick runs every 10 s


async def test_firmware_campaign_from_the_overview(page: Any, live_server: str, cpo: TenantCtx, unique: str) -> None:
    stations = [await make_station(cpo, f"{unique}-{n}", points=1) for n in range(3)]
    async with simulated(ws_url_of(live_server), stations, firmware_step=0.5) as sims:
        sims[1].firmware_failure = "download"
        await german_login(page, cpo.admin["email"], cpo.password)

        # Erweiterte Übersicht: tick the three charge points, then "Firmware-Update".
        await page.goto("/infrastructure/overview?q=" + ",".join(st.charge_box_id for st in stations))
        for count, st in enumerate(stations, start=1):
            await page.check(f"[data-testid=select-{st.charge_points[0]['id']}]")
            await page.wait_for_selector(f"[data-testid=selection-count]:has-text('{count} Ladepunkt')")
        await page.click("[data-testid=bulk-firmware]")
        await page.wait_for_selector("[data-testid=campaign-form]")
        assert "3 Ladestationen sind vorausgewählt." in await page.inner_text("[data-testid=campaign-stations]")
        await page.fill("[data-testid=campaign-name]", "Terra 2.0")
        await page.fill("[data-testid=campaign-location]", "sftp://firmware.example.com/terra-2.0.bin")
        await page.fill("[data-testid=campaign-version]", "2.0")
        await page.fill("[data-testid=campaign-parallel]", "2")
        await page.click("[data-testid=next]")
        await page.wait_for_selector("#error-location")
        assert "http, https, ftp oder ftps" in await page.inner_text("#error-location")
        assert await page.input_value("[data-testid=campaign-name]") == "Terra 2.0"  # what was typed stays
        await page.fill("[data-testid=campaign-location]", "https://firmware.example.com/terra-2.0.bin")
        await screenshot(page, "firmware-wizard-1")
        await page.click("[data-testid=next]")

        await page.wait_for_selector("[data-testid=review]")
        review = await page.inner_text("[data-testid=review]")
        assert "3 Ladestationen erhalten das Update" in review and "terra-2.0.bin" in review
        await screenshot(page, "firmware-wizard-2-review")
        await page.click("[data-testid=start-campaign]")

        # The campaign page follows the stations by itself (HTMX polling) until the campaign is through.
        await page.wait_for_selector("[data-testid=campaign-progress]")
        assert "Die Firmware-Kampagne wurde angelegt." in await page.inner_text("[data-testid=flash]")
        await page.wait_for_selector("[data-testid=campaign-progress][data-status=finished]", timeout=SLOW)
        failed = f"[data-testid=campaign-stations] tr[data-station='{stations[1].charge_box_id}']"
        assert "Der Download ist fehlgeschlagen." in await page.inner_text(failed)
        assert await page.locator("[data-testid=campaign-stations] tr[data-state=confirmed]").count() == 2
        assert "Bestätigt: 2" in await page.inner_text("[data-testid=campaign-counts]")
        await screenshot(page, "firmware-campaign-one-failed")

        sims[1].firmware_failure = ""
        await page.click("[data-testid=retry-failed]")
        await page.wait_for_selector("[data-testid=flash]:has-text('erneut an die Reihe')")
        await page.wait_for_selector(f"{failed}[data-state=confirmed]", timeout=SLOW)
        await page.wait_for_selector("[data-testid=campaign-progress][data-status=finished]", timeout=SLOW)
        row = await page.inner_text(failed)
        assert "Bestätigt" in row and "2.0" in row and "Installiert" in row and "Installed" not in row
        history = await page.inner_text("[data-testid=audit-history]")
        assert "Angelegt" in history and "Fehlgeschlagene Ladestationen wiederholt" in history
        await screenshot(page, "firmware-campaign-confirmed")

        await page.goto("/operations/firmware")
        assert "Terra 2.0" in await page.inner_text("[data-testid=campaigns]")
        await screenshot(page, "firmware-campaigns")


async def test_diagnostics_history_on_the_station(page: Any, live_server: str, cpo: TenantCtx, unique: str) -> None:
    station = await make_station(cpo, unique, points=1)
    # A GetDiagnostics whose file the station uploaded (the upload door of core.commands.diagnostics).
    prepared = await running.start_command(cpo.actor, "diagnostics", {}, station_id=station.id)
    row = await running.get_command(cpo.actor, prepared.record_id)
    assert await diagnostics.store_diagnostics_upload(row["upload_token"], "terra-diag.log", b"diagnostics\n" * 100)

    await german_login(page, cpo.admin["email"], cpo.password)
    await page.goto(f"/infrastructure/stations/{station.id}?tab=diagnostics")
    await page.wait_for_selector("[data-testid=diagnostics-history]")
    history = await page.inner_text("[data-testid=diagnostics-history]")
    assert "terra-diag.log" in history and "Hochgeladen" in history
    await screenshot(page, "firmware-station-diagnostics")
    async with page.expect_download() as info:
        await page.click("[data-testid=diagnostics-download]")
    download = await info.value
    assert download.suggested_filename == "terra-diag.log"
