"""The driver's door in a phone-sized browser (390x844) against a live server and a simulated station: the QR
code's URL, the price, paying with the sandbox's success card, charging, stopping, the receipt (on screen and
printed to an A4 PDF) and the public lookup "Beleg anfordern"; axe-core on each page."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from axe_playwright_python.async_playwright import Axe

from core.cdrs.tables import Cdr
from core.infrastructure import charge_points
from core.payments import qr, service
from core.tariffs.tables import TariffAssignment
from ocpp_cs.simulator import SimulatedStation
from tests.e2e.conftest import ARTIFACTS, screenshot, ws_url_of
from tests.integration.cdrs.test_cdr_pipeline import seed_tariff
from tests.integration.ocpp.conftest import make_station
from tests.support import TenantCtx

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}


@pytest.fixture
async def phone(browser: Any, live_server: str) -> AsyncIterator[Any]:
    context = await browser.new_context(base_url=live_server, viewport=PHONE, locale="en-GB", is_mobile=True,
                                        has_touch=True)  # fmt: skip
    tab = await context.new_page()
    yield tab
    await context.close()


async def _no_serious_violations(page: Any, axe: Axe, where: str) -> None:
    results = await axe.run(page)
    serious = [(v["id"], v["help"]) for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert serious == [], f"{where}: {serious}"


async def test_phone_scans_pays_charges_and_stops(phone: Any, live_server: str, cpo: TenantCtx, unique: str) -> None:
    station = await make_station(cpo, "DP" + unique, points=1)
    evse_id = f"DE*ISE*E{unique[:8].upper()}*1"
    cp = await charge_points.update_charge_point(
        cpo.actor, station.charge_points[0]["id"], {"evse_id": evse_id, "auth_direct_payment": True}
    )
    await seed_tariff(cpo, cp["id"])
    await TariffAssignment.update({TariffAssignment.valid_from: datetime.now(UTC) - timedelta(minutes=1)}).where(
        TariffAssignment.charge_point == cp["id"]
    )  # in force before the station's StartTransaction timestamp (whole seconds)
    sim = SimulatedStation(ws_url_of(live_server), station.charge_box_id, station.password)
    runner = asyncio.create_task(sim.run())
    axe = Axe()
    try:
        await asyncio.wait_for(sim.connected.wait(), 15)
        # the QR code opens PUBLIC_URL/pay/{evse_id}; the phone opens that path on the live server
        path = qr.pay_url(evse_id).split("/pay/", 1)[1]
        for _ in range(150):  # until the station's StatusNotification Available has arrived
            await phone.goto(f"/pay/{path}")
            if await phone.locator("[data-testid=live-status][data-status=available]").count():
                break
            await asyncio.sleep(0.1)
        await phone.wait_for_selector("[data-testid=live-status][data-status=available]", timeout=1000)
        assert "0.4760 EUR / kWh" in await phone.inner_text("[data-testid=prices]")
        await _no_serious_violations(phone, axe, "price page")
        await screenshot(phone, "pay-1-price-phone")

        await phone.click("[data-testid=language-switch] a")  # Deutsch
        await phone.wait_for_selector("html[lang=de]")
        assert "0,4760 EUR / kWh" in await phone.inner_text("[data-testid=prices]")
        await phone.click("[data-testid=language-switch] a")  # back to English
        await phone.wait_for_selector("html[lang=en]")

        await phone.fill("#email", "driver@example.org")
        await phone.fill("#card_number", "4242 4242 4242 4242")
        await phone.fill("#card_expiry", "12/39")
        await phone.fill("#card_cvc", "123")
        await phone.check("#terms")
        await screenshot(phone, "pay-2-form-phone")
        await phone.click("[data-testid=pay]")
        await phone.wait_for_selector("[data-testid=progress][data-state=charging]", timeout=20000)
        await sim.meter_tick(1, 4000)
        await phone.wait_for_selector("[data-testid=energy]:has-text('4.00 kWh')", timeout=15000)
        await _no_serious_violations(phone, axe, "charging page")
        await screenshot(phone, "pay-3-charging-phone")

        await phone.click("[data-testid=stop]")
        await phone.wait_for_selector("[data-testid=page-done]", timeout=20000)
        charged = await phone.inner_text("[data-testid=amount-charged]")
        assert charged == "1.90 EUR"  # 4 kWh at 0.476 EUR, rounded once
        await _no_serious_violations(phone, axe, "done page")
        await screenshot(phone, "pay-4-done-phone")
        uid = await phone.inner_text("[data-testid=reference]")
    finally:
        await sim.stop()
        runner.cancel()
    payment = await service.get_payment_by_uid(uid)
    assert payment is not None and payment["state"] in ("captured", "receipt_sent")
    cdr = await Cdr.select(Cdr.total_cost_incl_vat).where(Cdr.session == payment["session"]).first()
    assert cdr is not None and payment["amount_captured"] == cdr["total_cost_incl_vat"]
    await _receipt_and_lookup(phone, axe, evse_id, uid)


async def _receipt_and_lookup(phone: Any, axe: Axe, evse_id: str, uid: str) -> None:
    """The finished charge's page links the receipt; the receipt prints as an A4 page; the lookup finds it."""
    for _ in range(100):  # the capture may still be on its way when the done page first shows
        await phone.goto(f"/pay/p/{uid}")
        if await phone.locator("[data-testid=receipt-link]").count():
            break
        await asyncio.sleep(0.1)
    await phone.click("[data-testid=receipt-link]")
    await phone.wait_for_selector("[data-testid=page-receipt]")
    assert await phone.inner_text("[data-testid=receipt-gross]") == "1.90 EUR"
    assert await phone.inner_text("[data-testid=receipt-evse]") == evse_id
    assert await phone.inner_text("[data-testid=receipt-reference]") == uid
    receipt_path = urlsplit(phone.url).path
    await _no_serious_violations(phone, axe, "receipt page")
    await screenshot(phone, "pay-5-receipt-phone")
    assert await phone.is_visible("[data-testid=receipt-print]")
    await phone.emulate_media(media="print")  # what window.print() prints: no bar, no button
    assert not await phone.is_visible("header.bar") and not await phone.is_visible("[data-testid=receipt-print]")
    await screenshot(phone, "pay-6-receipt-print")
    pdf = await phone.pdf(format="A4", print_background=True)
    assert pdf.startswith(b"%PDF") and b"/MediaBox [0 0 595" in pdf  # an A4 page (595 x 842 pt)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "pay-receipt.pdf").write_bytes(pdf)
    await phone.emulate_media(media="screen")

    await phone.goto("/pay/receipt")
    await _no_serious_violations(phone, axe, "receipt lookup")
    await phone.fill("#evse_id", evse_id)
    await phone.fill("#date", datetime.now(UTC).astimezone(ZoneInfo("Europe/Berlin")).date().isoformat())
    await phone.fill("#amount", "1.91")
    await phone.click("[data-testid=lookup-submit]")
    await phone.wait_for_selector("[data-testid=lookup-neutral]")
    await _no_serious_violations(phone, axe, "receipt lookup, nothing found")
    await screenshot(phone, "pay-7-lookup-nothing-phone")
    await phone.fill("#amount", "1.90")
    await phone.click("[data-testid=lookup-submit]")
    await phone.wait_for_selector("[data-testid=page-receipt]")
    assert urlsplit(phone.url).path == receipt_path
    await screenshot(phone, "pay-8-lookup-found-phone")
