"""The driver's door with Stripe in a phone-sized browser: csms (a live server with PAYMENT_PROVIDER=stripe) asks for
no card, sends the browser to "Stripe Checkout" (the replay server's stand-in page, on another host), and the
driver comes back paid (the charge starts, is stopped, the final price is captured) or having cancelled ("Zahlung
abgebrochen", nothing held). Screenshots of each step; axe-core on csms's pages."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import pytest
from axe_playwright_python.async_playwright import Axe

from core.payments import service
from tests.e2e.conftest import ARTIFACTS, screenshot
from tests.e2e.test_driver_pay_browser import PHONE, _no_serious_violations, direct_payment_station, online
from tests.integration.payments.stripe_replay import Replay, fixture, stripe_replay
from tests.support import TenantCtx, csms_site, free_port

pytestmark = pytest.mark.browser
PI = "pi_3QCheckout000000000000004"


@pytest.fixture(scope="module")
def stripe_site() -> Iterator[tuple[str, Replay]]:
    """A live csms whose payment provider is Stripe at the replay server (which also serves Stripe's page)."""
    with stripe_replay(hosted_page=True) as replay:
        port = free_port()
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "PUBLIC_URL": f"http://127.0.0.1:{port}",
               "PAYMENT_PROVIDER": "stripe", "STRIPE_SECRET_KEY": "sk_test_51ExampleSecretKey",
               "STRIPE_WEBHOOK_SECRET": "whsec_test_Example", "STRIPE_API_BASE": replay.base_url}  # fmt: skip
        ARTIFACTS.mkdir(exist_ok=True)
        log_path = ARTIFACTS / f"live-server-stripe-{os.environ.get('CSMS_TEST_MODE', 'local')}.log"
        with log_path.open("w") as log, csms_site(env, log, port=port) as base:
            yield base, replay


@pytest.fixture
async def phone(browser: Any, stripe_site: tuple[str, Replay]) -> AsyncIterator[Any]:
    context = await browser.new_context(base_url=stripe_site[0], viewport=PHONE, locale="de-DE", is_mobile=True,
                                        has_touch=True)  # fmt: skip
    tab = await context.new_page()
    yield tab
    await context.close()


async def _to_stripe(phone: Any, base: str, evse_id: str, axe: Axe, shots: str) -> None:
    """Open the driver's page until the charge point is available, give the e-mail, accept, continue: the browser is
    on Stripe's page then."""
    for _ in range(150):
        await phone.goto(f"/pay/{evse_id}")
        if await phone.locator("[data-testid=live-status][data-status=available]").count():
            break
        await asyncio.sleep(0.1)
    await phone.wait_for_selector("[data-testid=live-status][data-status=available]", timeout=1000)
    assert await phone.locator("#card_number").count() == 0 and await phone.locator("#card_cvc").count() == 0
    assert "Weiter zur Zahlung" in await phone.inner_text("[data-testid=pay]")
    await phone.fill("#email", "driver@example.org")
    await phone.check("#terms")
    await _no_serious_violations(phone, axe, "price page (Stripe)")
    await screenshot(phone, f"{shots}-1-offer-phone")
    await phone.click("[data-testid=pay]")
    await phone.wait_for_selector("#pay")
    assert urlsplit(phone.url).netloc != urlsplit(base).netloc  # the browser left csms
    assert await phone.inner_text("#item") == f"Ladevorgang an {evse_id}"
    assert await phone.inner_text("#amount") == "50.00 EUR"
    await screenshot(phone, f"{shots}-2-checkout-phone")


async def test_driver_pays_on_stripes_page_charges_and_stops(
    phone: Any, stripe_site: tuple[str, Replay], cpo: TenantCtx, unique: str
) -> None:
    base, replay = stripe_site
    replay.fixtures[:] = [fixture(name) for name in ("checkout_create", "checkout_retrieve_complete",
                                                     "checkout_capture")]  # fmt: skip
    station, evse_id = await direct_payment_station(cpo, "SP" + unique)
    axe = Axe()
    async with online(station, base) as sim:
        await _to_stripe(phone, base, evse_id, axe, "pay-stripe")
        await phone.click("#pay")  # "Stripe" sends the browser back to csms's return address
        await phone.wait_for_selector("[data-testid=progress][data-state=charging]", timeout=20000)
        assert urlsplit(phone.url).netloc == urlsplit(base).netloc
        await sim.meter_tick(1, 10000)
        await phone.wait_for_selector("[data-testid=energy]:has-text('10,00 kWh')", timeout=15000)
        await _no_serious_violations(phone, axe, "charging page (Stripe)")
        await screenshot(phone, "pay-stripe-3-charging-phone")
        await phone.click("[data-testid=stop]")
        await phone.wait_for_selector("[data-testid=page-done]", timeout=20000)
        assert await phone.inner_text("[data-testid=amount-charged]") == "4,76 EUR"  # 10 kWh at 0.476 EUR
        await screenshot(phone, "pay-stripe-4-done-phone")
        uid = await phone.inner_text("[data-testid=reference]")
    for _ in range(300):  # the session-stopped job captures (the worker's, or the embedded serve's)
        payment = await service.get_payment_by_uid(uid)
        if payment is not None and payment["state"] in ("captured", "receipt_sent"):
            break
        await asyncio.sleep(0.1)
    assert payment is not None and payment["state"] in ("captured", "receipt_sent")
    assert (payment["provider_reference"], payment["amount_captured"]) == (PI, Decimal("4.76"))
    captures = replay.sent(f"/v1/payment_intents/{PI}/capture")
    assert len(captures) == 1 and ("amount_to_capture", "476") in captures[0]["form"]


async def test_driver_cancels_on_stripes_page(
    phone: Any, stripe_site: tuple[str, Replay], cpo: TenantCtx, unique: str
) -> None:
    base, replay = stripe_site
    replay.fixtures[:] = [fixture(name) for name in ("checkout_create", "checkout_retrieve_open", "checkout_expire")]
    station, evse_id = await direct_payment_station(cpo, "SC" + unique)
    axe = Axe()
    async with online(station, base):
        await _to_stripe(phone, base, evse_id, axe, "pay-stripe-cancel")
        await phone.click("#back")  # the driver gives up on Stripe's page
        await phone.wait_for_selector("[data-testid=page-cancelled]", timeout=20000)
        assert "Zahlung abgebrochen" in await phone.inner_text("h1")
        await _no_serious_violations(phone, axe, "cancelled page")
        await screenshot(phone, "pay-stripe-cancel-3-cancelled-phone")
        uid = urlsplit(phone.url).path.split("/")[3]
    payment = await service.get_payment_by_uid(uid)
    assert payment is not None and (payment["state"], payment["failure"], payment["session"]) == (
        "released", "cancelled", None)  # fmt: skip
    assert (
        len([r for r in replay.sent("/v1/checkout/sessions") if dict(r["form"])["metadata[payment_uid]"] == uid]) == 1
    )
