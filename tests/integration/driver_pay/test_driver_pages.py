"""The driver's door end to end on a live server with a simulated station: the price page, paying with the
sandbox, the remote start with the payment's idTag, progress, stop, capture of the CDR's gross total; each
failure page; and GETs that change nothing (the provider's return, the progress poll)."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
from ocpp.routing import on
from ocpp.v16 import ChargePoint as ClientChargePoint
from ocpp.v16 import call, call_result
from ocpp.v16.enums import Action

from core.access.tables import ChargingCard
from core.cdrs.tables import Cdr
from core.charging import authorization
from core.charging.tables import ChargingSession
from core.commands.tables import CommandRecord
from core.payments import direct_settings, recovery, sandbox, service
from core.payments.tables import Payment, PaymentEvent, SandboxIntent
from tests.integration.cdrs.conftest import deliver_session_stopped
from tests.integration.driver_pay.conftest import CHALLENGE, DECLINE, PaySite, form_token, make_pay_site, pay
from tests.integration.ocpp.conftest import raw_socket
from tests.integration.ocpp.test_commands import simulated, until
from tests.support import TenantCtx


async def _payment_of(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 303, response.text
    found = re.search(r"/pay/p/([0-9a-f]{32})", response.headers["location"])
    assert found is not None, response.headers["location"]
    payment = await service.get_payment_by_uid(found.group(1))
    assert payment is not None
    return payment


async def _state(uid: str) -> str:
    payment = await service.get_payment_by_uid(uid)
    assert payment is not None
    return str(payment["state"])


async def _shows_charging(driver: httpx.AsyncClient, uid: str) -> bool:
    """The progress fragment shows the running session (whether or not anything wrote yet that it started)."""
    fragment = await driver.get(f"/pay/p/{uid}/progress")
    return fragment.status_code == 200 and "hx-redirect" not in fragment.headers and "/stop" in fragment.text


async def _captured(uid: str) -> bool:
    return await _state(uid) in ("captured", "receipt_sent")


async def _page_after(driver: httpx.AsyncClient, uid: str, testid: str) -> str:
    """The payment's page, polled (as the driver's phone does) until it shows ``testid``."""
    html = ""

    async def shows() -> bool:
        nonlocal html
        html = (await driver.get(f"/pay/p/{uid}")).text
        return f'data-testid="{testid}"' in html

    await until(shows, 20)
    return html


async def test_pay_charge_stop_capture_the_cdr_total(
    ocpp_url: str, pay_site: PaySite, driver: httpx.AsyncClient
) -> None:
    page = await driver.get(f"/pay/{pay_site.evse_id}", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    assert 'data-status="offline"' in page.text  # no station connected yet
    async with simulated(ocpp_url, pay_site.station) as sim:

        async def available() -> bool:
            return 'data-status="available"' in (await driver.get(f"/pay/{pay_site.evse_id}/status")).text

        await until(available)
        page = await driver.get(f"/pay/{pay_site.evse_id}", headers={"Accept-Language": "en"})
        assert "Depot" in page.text and "Hauptstr. 1, 80331 München" in page.text and "Type 2" in page.text
        # 0.40 EUR net + 19 % VAT per kWh (0.476: a real third decimal); 0.02 EUR net per minute from minute 60
        # (0.0238 gross: shown as people read prices, at most 3 decimals)
        assert 'data-testid="price-kwh">0.476 EUR / kWh' in page.text
        assert "0.024 EUR / min from minute 60" in page.text
        german = await driver.get(f"/pay/{pay_site.evse_id}", headers={"Accept-Language": "de-DE,de;q=0.9"})
        assert "Laden und bezahlen" in german.text and "0,476 EUR / kWh" in german.text

        payment = await _payment_of(await pay(driver, pay_site.evse_id))
        uid = payment["uid"]
        assert payment["id_tag"].startswith("PAY") and payment["email"] == "driver@example.org"

        await until(lambda: _shows_charging(driver, uid), 20)  # the page's polling follows the session
        await sim.meter_tick(1, 5000)
        await sim.meter_tick(1, 5000)
        progress = (await driver.get(f"/pay/p/{uid}/progress")).text
        assert 'data-testid="energy">10.00 kWh' in progress and 'data-testid="price-so-far">4.76 EUR' in progress
        assert 'hx-trigger="every 3s"' in progress  # charging: every 3 s is enough
        charging_page = (await driver.get(f"/pay/p/{uid}")).text
        token = form_token(charging_page)
        stopped = await driver.post(f"/pay/p/{uid}/stop", data={"_csrf_token": token}, follow_redirects=False)
        assert stopped.status_code == 303

        stopping = await service.get_payment_by_uid(uid)  # the stop (a POST) wrote that it had started
        assert stopping is not None and stopping["session"] is not None
        await deliver_session_stopped(stopping["session"], 20)  # the session-stopped handler captures, not the page
        assert await _captured(uid)
        done = await _page_after(driver, uid, "page-done")
    payment = await service.get_payment_by_uid(uid)
    assert payment is not None and payment["state"] in ("captured", "receipt_sent")
    cdr = await Cdr.select().where(Cdr.session == payment["session"]).first()
    assert cdr is not None
    assert payment["amount_captured"] == Decimal(cdr["total_cost_incl_vat"]) == Decimal("4.76")
    assert 'data-testid="amount-charged">4.76 EUR' in done
    intent = await SandboxIntent.select().where(SandboxIntent.reference == payment["provider_reference"]).first()
    assert intent is not None and intent["status"] == "captured"
    assert (intent["amount"], intent["amount_captured"]) == (5000, 476)  # the rest of the 50 EUR hold released


async def test_three_d_secure_then_start(ocpp_url: str, pay_site: PaySite, driver: httpx.AsyncClient) -> None:
    async with simulated(ocpp_url, pay_site.station):
        await until(lambda: _available(driver, pay_site))
        response = await pay(driver, pay_site.evse_id, CHALLENGE)
        assert response.status_code == 303 and response.headers["location"].startswith("/pay/sandbox/challenge/")
        challenge = await driver.get(response.headers["location"])
        assert 'data-testid="page-challenge"' in challenge.text
        reference = response.headers["location"].split("/")[-1].split("?")[0]
        answer = {"_csrf_token": form_token(challenge.text), "answer": "approve"}
        answered = await driver.post(f"/pay/sandbox/challenge/{reference}", data=answer, follow_redirects=False)
        payment = await _payment_of(answered)
        assert payment["state"] in ("session_starting", "charging")


async def _available(driver: httpx.AsyncClient, site: PaySite) -> bool:
    return 'data-status="available"' in (await driver.get(f"/pay/{site.evse_id}/status")).text


async def test_declined_card_and_form_errors(ocpp_url: str, pay_site: PaySite, driver: httpx.AsyncClient) -> None:
    async with simulated(ocpp_url, pay_site.station):
        await until(lambda: _available(driver, pay_site))
        wrong = await pay(driver, pay_site.evse_id, card_number="12", card_expiry="13/20", email="x", terms="")
        assert wrong.status_code == 400
        for field in ("email", "card_number", "card_expiry", "terms"):
            assert f'id="error-{field}"' in wrong.text
        declined = await _payment_of(await pay(driver, pay_site.evse_id, DECLINE))
        page = await driver.get(f"/pay/p/{declined['uid']}", headers={"Accept-Language": "de"})
        assert 'data-testid="page-declined"' in page.text and "Zahlung abgelehnt" in page.text
        assert declined["state"] == "declined"


async def test_offline_occupied_and_faulted_pages(
    ocpp_url: str, pay_site: PaySite, cpo: TenantCtx, unique: str, driver: httpx.AsyncClient
) -> None:
    offline = await pay(driver, pay_site.evse_id)
    assert offline.status_code == 409 and 'data-testid="page-offline"' in offline.text
    uid = f"C{unique[:7]}".upper()
    await ChargingCard(tenant=cpo.id, uid=uid).save()
    async with simulated(ocpp_url, pay_site.station) as sim:
        await until(lambda: _available(driver, pay_site))
        await sim.start_session(1, uid)
        occupied = await pay(driver, pay_site.evse_id)
        assert occupied.status_code == 409 and 'data-testid="page-occupied"' in occupied.text
        await sim.stop_session(1)
        await until(lambda: _available(driver, pay_site))
        await sim.send(call.StatusNotification(connector_id=1, error_code="GroundFailure", status="Faulted"))
        faulted = await pay(driver, pay_site.evse_id)
        assert faulted.status_code == 409 and "The charge point is out of order" in faulted.text
    assert await Payment.count().where(Payment.charge_point == pay_site.charge_point["id"]) == 0


async def test_station_refuses_the_start_and_the_hold_is_released(
    ocpp_url: str, pay_site: PaySite, driver: httpx.AsyncClient
) -> None:
    async with simulated(ocpp_url, pay_site.station, refuse={"RemoteStartTransaction"}):
        await until(lambda: _available(driver, pay_site))
        payment = await _payment_of(await pay(driver, pay_site.evse_id))
        page = await driver.get(f"/pay/p/{payment['uid']}")
        assert 'data-testid="page-not-started"' in page.text and "refused to start" in page.text
    assert (payment["state"], payment["failure"]) == ("released", "station_refused")


class SilentStation(ClientChargePoint):
    """Accepts a remote start and never starts."""

    @on(Action.remote_start_transaction)
    async def on_remote_start(self, id_tag: str, **_: Any) -> Any:
        return call_result.RemoteStartTransaction(status="Accepted")


@contextlib.asynccontextmanager
async def silent(ocpp_url: str, site: PaySite) -> AsyncIterator[SilentStation]:
    async with raw_socket(ocpp_url, site.station) as ws:
        cp = SilentStation(site.station.charge_box_id, ws, response_timeout=10)
        task = asyncio.create_task(cp.start())
        await cp.call(call.BootNotification(charge_point_vendor="ABB", charge_point_model="Terra"))
        await cp.call(call.StatusNotification(connector_id=1, error_code="NoError", status="Available"))
        try:
            yield cp
        finally:
            task.cancel()


async def test_start_not_confirmed_is_shown_at_once_and_released_by_recovery(
    ocpp_url: str, pay_site: PaySite, driver: httpx.AsyncClient
) -> None:
    async with silent(ocpp_url, pay_site):
        payment = await _payment_of(await pay(driver, pay_site.evse_id))
        assert payment["state"] == "session_starting"
        page = await driver.get(f"/pay/p/{payment['uid']}")
        assert 'data-testid="progress"' in page.text  # still waiting for the StartTransaction
        assert 'hx-trigger="every 1s"' in page.text  # the driver waits at the car: the page asks every second
        # the tenant's confirmation time (30 s, its lowest) has passed
        await direct_settings.save_settings(pay_site.ctx.actor, {"hold_amount": "50", "start_confirm_seconds": "30"})
        await Payment.update({Payment.state_changed_at: datetime.now(UTC) - timedelta(seconds=31)}).where(
            Payment.id == payment["id"]
        )
        progress = await driver.get(f"/pay/p/{payment['uid']}/progress")
        assert progress.headers["hx-redirect"] == f"/pay/p/{payment['uid']}"
        page = await driver.get(f"/pay/p/{payment['uid']}")
        assert 'data-testid="page-not-started"' in page.text and "did not confirm the start" in page.text
        assert "is being released" in page.text  # the page tells the truth: nothing was written yet
        assert await _state(payment["uid"]) == "session_starting"
        # a late StartTransaction is refused: the page said it did not start
        late = await authorization.authorize(pay_site.ctx.id, pay_site.charge_point, payment["id_tag"], "REMOTE")
        assert (late.status, late.reason) == (authorization.AuthStatus.INVALID, "payment_not_held")
        outcome = await recovery.recover_payments(tenant_id=pay_site.ctx.id)  # the periodic job writes it
        assert outcome["session_starting->released"] == 1, outcome
        page = await driver.get(f"/pay/p/{payment['uid']}")
        assert "has been released" in page.text
    payment = await service.get_payment_by_uid(payment["uid"])
    assert payment is not None and (payment["state"], payment["failure"]) == ("released", "start_not_confirmed")
    assert (await sandbox._intent(payment["provider_reference"]))["status"] == "released"


async def test_car_ends_the_session(ocpp_url: str, pay_site: PaySite, driver: httpx.AsyncClient) -> None:
    async with simulated(ocpp_url, pay_site.station) as sim:
        await until(lambda: _available(driver, pay_site))
        payment = await _payment_of(await pay(driver, pay_site.evse_id))

        await until(lambda: _shows_charging(driver, payment["uid"]), 20)
        await sim.meter_tick(1, 2000)
        await sim.stop_session(1, "EVDisconnected")
        html = await _page_after(driver, payment["uid"], "page-ended-by-car")  # shown at once, before any write
        session = (
            await ChargingSession.select(ChargingSession.id).where(ChargingSession.id_tag == payment["id_tag"]).first()
        )
        assert session is not None
        await deliver_session_stopped(session["id"], 20)  # nothing wrote that it started: the handler follows it
        assert await _captured(payment["uid"])
        html = (await driver.get(f"/pay/p/{payment['uid']}")).text
        assert 'data-testid="amount-charged">0.95 EUR' in html, re.findall(
            r'data-testid="(?:amount-charged|energy|duration)">[^<]*', html
        )  # 2 kWh at 0.476 EUR


async def test_unknown_evse_and_payment_tags_only_at_their_charge_point(
    pay_site: PaySite, cpo: TenantCtx, unique: str, driver: httpx.AsyncClient
) -> None:
    missing = await driver.get("/pay/DE*XXX*E0000*9", headers={"Accept-Language": "en"})
    assert missing.status_code == 404 and 'data-testid="page-not-found"' in missing.text
    assert (await driver.get("/pay/p/" + "0" * 32)).status_code == 404

    other = await make_pay_site(cpo, "O" + unique)
    payment = await service.create_payment(
        cpo.id, amount=Decimal("50.00"), currency="EUR", charge_point_id=pay_site.charge_point["id"]
    )
    payment = await service.authorise(payment["id"], "4242424242424242", "https://csms.example/pay/return")
    here = await authorization.authorize(cpo.id, pay_site.charge_point, payment["id_tag"], "DIRECT_PAYMENT")
    assert (here.status, here.reason) == (authorization.AuthStatus.ACCEPTED, "direct_payment")
    there = await authorization.authorize(cpo.id, other.charge_point, payment["id_tag"], "DIRECT_PAYMENT")
    assert (there.status, there.reason) == (authorization.AuthStatus.INVALID, "payment_other_charge_point")
    await service.release(payment["id"])
    after = await authorization.authorize(cpo.id, pay_site.charge_point, payment["id_tag"], "DIRECT_PAYMENT")
    assert (after.status, after.reason) == (authorization.AuthStatus.INVALID, "payment_not_held")


async def test_stripe_webhook_needs_its_signature(driver: httpx.AsyncClient) -> None:
    # no CSRF token and no login: the provider's signature is the credential
    refused = await driver.post(
        "/pay/webhooks/stripe", content=b'{"type": "x"}', headers={"Stripe-Signature": "t=1,v1=00"}
    )
    assert refused.status_code == 400
    assert (await driver.post("/pay/webhooks/nobody", content=b"{}")).status_code == 404


async def _snapshot(site: PaySite, uid: str) -> list[Any]:
    """Every row a driver's GET could have changed: the payment, its events, the provider's intent, the charge
    point's sessions and the commands sent to its station."""
    payment = await Payment.select().where(Payment.uid == uid).first()
    assert payment is not None
    return [
        payment,
        await PaymentEvent.select().where(PaymentEvent.payment == payment["id"]).order_by(PaymentEvent.id),
        await SandboxIntent.select().where(SandboxIntent.reference == payment["provider_reference"]),
        await ChargingSession.select().where(ChargingSession.charge_point == site.charge_point["id"]),
        await CommandRecord.select().where(CommandRecord.station == site.station.id),
    ]


async def test_gets_of_the_return_and_progress_urls_change_nothing(
    ocpp_url: str, pay_site: PaySite, driver: httpx.AsyncClient
) -> None:
    """A link scanner, a prefetcher or a reload of the provider's return URL or of the progress poll must not
    start a charge or move a payment: only the return page's POST goes on."""
    async with simulated(ocpp_url, pay_site.station) as sim:
        await until(lambda: _available(driver, pay_site))
        response = await pay(driver, pay_site.evse_id, CHALLENGE)
        reference = response.headers["location"].split("/")[-1].split("?")[0]
        payment = await service.payment_by_reference("sandbox", reference)
        assert payment is not None and payment["state"] == "challenge"
        uid = payment["uid"]
        await sandbox.complete_challenge(reference, approve=True)  # the bank said yes on its own page
        before = await _snapshot(pay_site, uid)
        for _ in range(2):  # a prefetch, then the driver's own load
            back = await driver.get(f"/pay/p/{uid}/return", headers={"Accept-Language": "de"})
            assert back.status_code == 200 and 'data-testid="page-returning"' in back.text
            assert "Zurück von Ihrer Bank" in back.text and f'action="/pay/p/{uid}/return"' in back.text
            assert (await driver.get(f"/pay/p/{uid}/progress")).status_code == 200
        with_reference = await driver.get(f"/pay/p/{uid}/return?session_id=cs_1")  # what a provider may add
        assert f'action="/pay/p/{uid}/return?session_id=cs_1"' in with_reference.text  # goes on with the POST
        assert await _snapshot(pay_site, uid) == before

        # the page's form goes on: the provider's answer is recorded and the charge point started
        goes_on = await driver.post(
            f"/pay/p/{uid}/return", data={"_csrf_token": form_token(back.text)}, follow_redirects=False
        )
        assert goes_on.status_code == 303 and goes_on.headers["location"] == f"/pay/p/{uid}"
        assert await _state(uid) in ("session_starting", "charging")
        assert (await driver.post(f"/pay/p/{uid}/return", data={})).status_code == 403  # no CSRF token
        await until(lambda: _shows_charging(driver, uid), 20)

        # while it charges, and after the start should have been confirmed, the progress poll writes nothing
        await direct_settings.save_settings(pay_site.ctx.actor, {"hold_amount": "50", "start_confirm_seconds": "30"})
        await Payment.update({Payment.state_changed_at: datetime.now(UTC) - timedelta(seconds=31)}).where(
            Payment.uid == uid
        )  # the tenant's confirmation time (30 s, its lowest) has passed
        await sim.meter_tick(1, 1000)
        during = await _snapshot(pay_site, uid)
        assert 'data-testid="energy">1.00 kWh' in (await driver.get(f"/pay/p/{uid}/progress")).text
        assert (await driver.get(f"/pay/p/{uid}")).status_code == 200
        assert (await driver.get(f"/pay/p/{uid}/return")).status_code == 303  # nothing to go on with: the page
        assert await _snapshot(pay_site, uid) == during
