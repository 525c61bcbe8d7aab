"""The driver's door in a phone-sized browser (390x844) against a live server and a simulated station: the QR
code's URL, the price, paying with the sandbox's success card, charging, stopping, the receipt (on screen and
printed to an A4 PDF) and the public lookup "Beleg anfordern"; the return from the bank's page (a GET that only
reads, going on by POST with and without script); axe-core on each page."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from axe_playwright_python.async_playwright import Axe

from core.cdrs.tables import Cdr
from core.infrastructure import charge_points
from core.payments import qr, sandbox, service
from core.tariffs.tables import TariffAssignment
from ocpp_cs.simulator import SimulatedStation
from tests.e2e.conftest import ARTIFACTS, screenshot, ws_url_of
from tests.integration.cdrs.conftest import deliver_session_stopped
from tests.integration.cdrs.test_cdr_pipeline import seed_tariff
from tests.integration.mail.conftest import SmtpServer
from tests.integration.ocpp.conftest import Station, make_station
from tests.support import TenantCtx, csms_site, free_port
from workers import actors  # noqa: F401 - on Redis the test plays `csms worker` for the session-stopped job

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def mail_site() -> Iterator[tuple[str, SmtpServer]]:
    """A live csms of this module's own that sends its mail to a real local SMTP server (aiosmtpd): the receipt mail
    arrives there as at the driver's mailbox."""
    smtp = SmtpServer(free_port())
    smtp.start()
    port = free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "PUBLIC_URL": f"http://127.0.0.1:{port}", "SMTP_URL": smtp.url}
    ARTIFACTS.mkdir(exist_ok=True)
    log_path = ARTIFACTS / f"live-server-pay-mail-{os.environ.get('CSMS_TEST_MODE', 'local')}.log"
    try:
        with log_path.open("w") as log, csms_site(env, log, port=port) as base:
            yield base, smtp
    finally:
        smtp.stop()


@pytest.fixture
async def phone(browser: Any, mail_site: tuple[str, SmtpServer]) -> AsyncIterator[Any]:
    context = await browser.new_context(base_url=mail_site[0], viewport=PHONE, locale="en-GB", is_mobile=True,
                                        has_touch=True)  # fmt: skip
    tab = await context.new_page()
    yield tab
    await context.close()


async def _no_serious_violations(page: Any, axe: Axe, where: str) -> None:
    results = await axe.run(page)
    serious = [(v["id"], v["help"]) for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert serious == [], f"{where}: {serious}"


async def direct_payment_station(cpo: TenantCtx, name: str) -> tuple[Station, str]:
    """A station with one charge point that offers Direct Payment (and its EVSE-ID) with the seed's tariff."""
    station = await make_station(cpo, name, points=1)
    evse_id = f"DE*ISE*E{name[2:10].upper()}*1"
    cp = await charge_points.update_charge_point(
        cpo.actor, station.charge_points[0]["id"], {"evse_id": evse_id, "auth_direct_payment": True}
    )
    await seed_tariff(cpo, cp["id"])
    await TariffAssignment.update({TariffAssignment.valid_from: datetime.now(UTC) - timedelta(minutes=1)}).where(
        TariffAssignment.charge_point == cp["id"]
    )  # in force before the station's StartTransaction timestamp (whole seconds)
    return station, evse_id


@contextlib.asynccontextmanager
async def online(station: Station, server: str) -> AsyncIterator[SimulatedStation]:
    """The station connected to ``server`` (simulated) while the block runs."""
    sim = SimulatedStation(ws_url_of(server), station.charge_box_id, station.password)
    runner = asyncio.create_task(sim.run())
    try:
        await asyncio.wait_for(sim.connected.wait(), 15)
        yield sim
    finally:
        await sim.stop()
        runner.cancel()


async def _open_when_available(phone: Any, evse_id: str) -> None:
    # the QR code opens PUBLIC_URL/pay/{evse_id}; the phone opens that path on the live server
    path = qr.pay_url(evse_id).split("/pay/", 1)[1]
    for _ in range(150):  # until the station's StatusNotification Available has arrived
        await phone.goto(f"/pay/{path}")
        if await phone.locator("[data-testid=live-status][data-status=available]").count():
            break
        await asyncio.sleep(0.1)
    await phone.wait_for_selector("[data-testid=live-status][data-status=available]", timeout=1000)


async def _fill_and_pay(phone: Any, card: str) -> None:
    await phone.fill("#email", "driver@example.org")
    await phone.fill("#card_number", card)
    await phone.fill("#card_expiry", "12/39")
    await phone.fill("#card_cvc", "123")
    await phone.check("#terms")


async def test_phone_scans_pays_charges_and_stops(
    phone: Any, mail_site: tuple[str, SmtpServer], cpo: TenantCtx, unique: str
) -> None:
    live_server, smtp = mail_site
    station, evse_id = await direct_payment_station(cpo, "DP" + unique)
    axe = Axe()
    async with online(station, live_server) as sim:
        await _open_when_available(phone, evse_id)
        assert "0.476 EUR / kWh" in await phone.inner_text("[data-testid=prices]")
        await _no_serious_violations(phone, axe, "price page")
        await screenshot(phone, "pay-1-price-phone")

        await phone.click("[data-testid=language-switch] a")  # Deutsch
        await phone.wait_for_selector("html[lang=de]")
        assert "0,476 EUR / kWh" in await phone.inner_text("[data-testid=prices]")
        await phone.click("[data-testid=language-switch] a")  # back to English
        await phone.wait_for_selector("html[lang=en]")

        await _fill_and_pay(phone, "4242 4242 4242 4242")
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
    stopped = await service.get_payment_by_uid(uid)  # the stop button (a POST) wrote that the session had started
    assert stopped is not None and stopped["session"] is not None
    await deliver_session_stopped(stopped["session"], 30)  # the session-stopped job captures (played when on Redis)
    await _receipt_and_lookup(phone, axe, evse_id, uid)
    payment = await service.get_payment_by_uid(uid)
    assert payment is not None and payment["state"] in ("captured", "receipt_sent")
    cdr = await Cdr.select(Cdr.total_cost_incl_vat).where(Cdr.session == payment["session"]).first()
    assert cdr is not None and payment["amount_captured"] == cdr["total_cost_incl_vat"]
    await _receipt_mail(smtp, evse_id, uid)


async def _receipt_mail(smtp: SmtpServer, evse_id: str, uid: str) -> None:
    """The receipt mail arrives at the local SMTP server with the captured total and the receipt's link."""
    for _ in range(300):
        if [m for m in smtp.inbox.to("driver@example.org") if uid in str(m.get_body())]:
            break
        await asyncio.sleep(0.1)
    [message] = [m for m in smtp.inbox.to("driver@example.org") if uid in str(m.get_body())]
    assert message["Subject"] == f"Your receipt: charging at {evse_id}, 1.90 EUR"
    text = message.get_body(("plain",))
    assert text is not None and "1.90 EUR" in text.get_content() and "/pay/receipt/" in text.get_content()


@pytest.mark.parametrize("script", [True, False], ids=["script", "without-its-script"])
async def test_back_from_the_bank_goes_on_by_post(
    browser: Any, mail_site: tuple[str, SmtpServer], cpo: TenantCtx, unique: str, script: bool
) -> None:
    """The provider's page sends the driver back to /pay/p/{uid}/return: that GET only reads; its page goes on by
    POST at once (its script) or by its button (the script blocked, as without JavaScript: axe-core needs the
    browser's), and then the charge point starts."""
    live_server = mail_site[0]
    context = await browser.new_context(base_url=live_server, viewport=PHONE, locale="en-GB", is_mobile=True,
                                        has_touch=True)  # fmt: skip
    phone = await context.new_page()
    if not script:
        await phone.route("**/static/pay-continue.js", lambda route: route.abort())
    station, evse_id = await direct_payment_station(cpo, "DR" + unique)
    try:
        async with online(station, live_server):
            await _open_when_available(phone, evse_id)
            await _fill_and_pay(phone, "4000 0027 6000 3184")  # the sandbox's 3-D Secure card
            await phone.click("[data-testid=pay]")
            await phone.wait_for_url("**/pay/sandbox/challenge/**")
            reference = urlsplit(phone.url).path.rsplit("/", 1)[1]
            await sandbox.complete_challenge(reference, approve=True)  # the bank's page said yes, the driver comes back
            payment = await service.payment_by_reference("sandbox", reference)
            assert payment is not None and payment["state"] == "challenge"
            await phone.goto(f"/pay/p/{payment['uid']}/return")
            if not script:
                await phone.wait_for_selector("[data-testid=page-returning]")
                assert await _state(payment["uid"]) == "challenge"  # the GET changed nothing
                await _no_serious_violations(phone, Axe(), "back from the bank")
                await screenshot(phone, "pay-return-without-script-phone")
                await phone.click("[data-testid=continue-form] button")
            await phone.wait_for_url(f"**/pay/p/{payment['uid']}")
            await phone.wait_for_selector("[data-testid=progress]", timeout=20000)
            assert await _state(payment["uid"]) in ("session_starting", "charging")
    finally:
        await context.close()


async def _state(uid: str) -> str:
    payment = await service.get_payment_by_uid(uid)
    assert payment is not None
    return str(payment["state"])


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
