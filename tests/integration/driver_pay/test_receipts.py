"""Receipts of Direct Payment end to end: a simulated station charges a paid session, the driver stops it, the
receipt mail arrives at a real SMTP server (aiosmtpd) with the CDR's gross total and a link to the receipt page,
and the page shows the receipt; the public lookup ("Beleg anfordern") finds it by EVSE-ID, date and amount or the
card's last four digits, and answers no match and a throttled request alike."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric import ec
from markupsafe import escape as html_escape

from core.cdrs import building
from core.cdrs.tables import Cdr
from core.infrastructure.tables import ChargingStation
from core.mail import mails
from core.mail.tables import Mail
from core.payments import receipts, service
from portal.controllers.driver_receipts import LOOKUP_ATTEMPTS
from tests.integration.cdrs.conftest import deliver_session_stopped, finished_session
from tests.integration.driver_pay.conftest import PaySite, captured_payment, form_token, pay
from tests.integration.mail.conftest import SmtpServer, outbox_message_of, smtp_server, smtp_settings  # noqa: F401
from tests.integration.ocpp.test_commands import simulated, until
from tests.ocmf_signing import payload, public_hex, sign
from tests.support import TenantCtx, app_client


def unix(text: str) -> str:
    return text.replace("\r\n", "\n")


async def _charge_and_stop(driver: httpx.AsyncClient, ocpp_url: str, site: PaySite) -> dict[str, Any]:
    """Pay with the sandbox's success card, charge 10 kWh at the simulated station, stop: the captured payment."""
    async with simulated(ocpp_url, site.station) as sim:

        async def available() -> bool:
            return 'data-status="available"' in (await driver.get(f"/pay/{site.evse_id}/status")).text

        await until(available)
        paid = await pay(driver, site.evse_id)
        assert paid.status_code == 303, paid.text
        found = re.search(r"/pay/p/([0-9a-f]{32})", paid.headers["location"])
        assert found is not None
        uid = found.group(1)

        async def charging() -> bool:  # the page's polling shows the session (it writes nothing)
            fragment = await driver.get(f"/pay/p/{uid}/progress")
            return "hx-redirect" not in fragment.headers and "/stop" in fragment.text

        await until(charging, 20)
        await sim.meter_tick(1, 5000)
        await sim.meter_tick(1, 5000)
        token = form_token((await driver.get(f"/pay/p/{uid}")).text)
        stopped = await driver.post(f"/pay/p/{uid}/stop", data={"_csrf_token": token}, follow_redirects=False)
        assert stopped.status_code == 303
        stopping = await service.get_payment_by_uid(uid)
        assert stopping is not None and stopping["session"] is not None
        await deliver_session_stopped(stopping["session"], 20)  # capture and receipt: the session-stopped handler
    payment = await service.get_payment_by_uid(uid)
    assert payment is not None and payment["state"] == "receipt_sent"
    return payment


async def test_the_receipt_mail_arrives_with_the_cdr_total_and_its_link_works(
    ocpp_url: str,
    pay_site: PaySite,
    driver: httpx.AsyncClient,
    smtp_settings: SmtpServer,  # noqa: F811
) -> None:
    smtp_settings.start()
    payment = await _charge_and_stop(driver, ocpp_url, pay_site)
    cdr = await Cdr.select().where(Cdr.session == payment["session"]).first()
    assert cdr is not None
    assert payment["amount_captured"] == Decimal(cdr["total_cost_incl_vat"]) == Decimal("4.76")
    assert len(payment["receipt_token"]) >= 32 and payment["uid"] not in payment["receipt_token"]

    mail = await Mail.select().where(Mail.dedupe_key == f"receipt:{payment['uid']}").first()
    assert mail is not None and mail["recipient"] == "driver@example.org" and mail["language"] == "en"
    message_id, _ = await outbox_message_of(mail["id"])
    await mails.send(message_id)  # the job's body; a relay of the live server may have sent it already

    async def arrived() -> bool:
        return bool(smtp_settings.inbox.to("driver@example.org"))

    await until(arrived, 20)
    [message] = [m for m in smtp_settings.inbox.to("driver@example.org") if payment["uid"] in str(m.get_body())]
    assert message["Subject"] == f"Your receipt: charging at {pay_site.evse_id}, 4.76 EUR"
    text, html = message.get_body(("plain",)), message.get_body(("html",))
    assert text is not None and html is not None
    assert "Total:         4.76 EUR" in unix(text.get_content()) and "<strong>4.76 EUR</strong>" in html.get_content()
    link = re.search(r"https?://\S+(/pay/receipt/[A-Za-z0-9_-]+)", text.get_content())
    assert link is not None and link.group(1) == receipts.receipt_path(payment["receipt_token"])
    assert link.group(1) in html.get_content()

    # a second round of the receipt step (recovery, a repeated handler) mails nothing more
    assert await receipts.send_receipt(payment)
    assert await Mail.count().where(Mail.dedupe_key == f"receipt:{payment['uid']}") == 1

    # the link opens the receipt on any phone, without the driver's session
    async with app_client() as other:
        other.headers["Accept-Language"] = "en"
        page = await other.get(link.group(1))
    assert page.status_code == 200, page.text
    assert 'data-testid="receipt-gross">4.76 EUR' in page.text and 'data-testid="receipt-net">4.00 EUR' in page.text
    assert 'data-testid="receipt-vat">0.76 EUR' in page.text and "VAT 19 %" in page.text
    assert f'data-testid="receipt-evse">{pay_site.evse_id}' in page.text
    assert 'data-testid="receipt-energy">10.00 kWh' in page.text and "Visa •••• 4242" in page.text
    assert "<td>0.40 EUR</td>" in page.text and "0.4000" not in page.text  # the net unit price, no padding zeros
    assert payment["uid"] in page.text and "safe-ev.de" in page.text and 'data-signature="NOT_SIGNED"' in page.text
    assert "Hauptstr. 1, 80331 München" in page.text
    done = await driver.get(f"/pay/p/{payment['uid']}")
    assert f'href="{link.group(1)}" data-testid="receipt-link"' in done.text
    german = await driver.get(link.group(1), headers={"Accept-Language": "de-DE"})
    assert "Beleg für Ihren Ladevorgang" in german.text and 'data-testid="receipt-gross">4,76 EUR' in german.text

    # an address that is no receipt's: the receipt's own not-found page
    assert (await driver.get("/pay/receipt/" + "A" * 32)).status_code == 404
    assert (await driver.get("/pay/receipt/" + payment["uid"])).status_code == 404


async def _lookup(client: httpx.AsyncClient, **values: str) -> httpx.Response:
    page = await client.get("/pay/receipt")
    assert page.status_code == 200 and 'data-testid="receipt-lookup"' in page.text
    data = {"_csrf_token": form_token(page.text), "evse_id": "", "date": "", "amount": "", "last4": "", **values}
    return await client.post("/pay/receipt", data=data, follow_redirects=False)


async def test_lookup_match_no_match_and_throttle(ocpp_url: str, pay_site: PaySite, driver: httpx.AsyncClient) -> None:
    payment = await _charge_and_stop(driver, ocpp_url, pay_site)
    receipt = await receipts.receipt_of_payment(payment)
    assert receipt is not None and receipt.started_at is not None
    day = receipt.started_at.date().isoformat()  # the station's local date
    target = receipts.receipt_path(payment["receipt_token"])
    async with app_client() as phone:
        phone.headers["Accept-Language"] = "en"
        by_amount = await _lookup(phone, evse_id=pay_site.evse_id.lower(), date=day, amount="4,76")
        assert by_amount.status_code == 303 and by_amount.headers["location"] == target
        typed = pay_site.evse_id.replace("*", " ").lower()  # as read off the sticker, without the stars
        by_typed = await _lookup(phone, evse_id=typed, date=day, amount="4.76")
        assert by_typed.status_code == 303 and by_typed.headers["location"] == target
        by_card = await _lookup(phone, evse_id=pay_site.evse_id, date=day, last4="4242")
        assert by_card.status_code == 303 and by_card.headers["location"] == target
        assert (await phone.get(target)).status_code == 200

        wrong = {"evse_id": pay_site.evse_id, "date": day, "amount": "4.77"}
        no_match = await _lookup(phone, **wrong)
        assert no_match.status_code == 200 and 'data-testid="lookup-neutral"' in no_match.text
        other_card = await _lookup(phone, evse_id=pay_site.evse_id, date=day, last4="1111")
        assert other_card.status_code == 200 and 'data-testid="lookup-neutral"' in other_card.text
        unknown = await _lookup(phone, evse_id="DE*XXX*E0000*1", date=day, amount="4.76")
        assert unknown.status_code == 200 and 'data-testid="lookup-neutral"' in unknown.text

        invalid = await _lookup(phone, evse_id=pay_site.evse_id, date="yesterday")
        assert invalid.status_code == 400 and 'id="error-date"' in invalid.text and 'id="error-amount"' in invalid.text

        for _ in range(LOOKUP_ATTEMPTS):  # this address's window is used up
            await _lookup(phone, **wrong)
        throttled = await _lookup(phone, evse_id=pay_site.evse_id, date=day, amount="4.76")
        assert throttled.status_code == 200 and 'data-testid="lookup-neutral"' in throttled.text
        throttled_wrong = await _lookup(phone, **wrong)
        # the same answer, byte for byte, as the same details got before the throttle
        assert (throttled_wrong.status_code, throttled_wrong.text) == (no_match.status_code, no_match.text)

    async with app_client() as elsewhere:  # another address is not throttled
        found = await _lookup(elsewhere, evse_id=pay_site.evse_id, date=day, amount="4.76")
        assert found.status_code == 303 and found.headers["location"] == target


async def test_lookup_needs_the_csrf_token(driver: httpx.AsyncClient) -> None:
    await driver.get("/pay/receipt")
    today = datetime.now().date().isoformat()
    refused = await driver.post("/pay/receipt", data={"evse_id": "DE*ABC*E1*1", "date": today, "amount": "1"})
    assert refused.status_code == 403


async def test_the_receipt_shows_the_signed_meter_data_and_its_verification(
    cpo: TenantCtx, pay_site: PaySite, driver: httpx.AsyncClient
) -> None:
    meter = ec.generate_private_key(ec.SECP256R1())
    await ChargingStation.update({ChargingStation.meter_public_key: public_hex(meter)}).where(
        ChargingStation.id == pay_site.station.id
    )
    document = sign(meter, payload(("B", 0.0), ("E", 10.0)))
    start = datetime.now(UTC) - timedelta(minutes=45)
    session_id = await finished_session(cpo, pay_site.station, energy_wh=10_000, minutes=30, start=start,
                                        signed=document)  # fmt: skip
    payment = await captured_payment(cpo, pay_site, session_id)
    receipt = await receipts.receipt_of_payment(payment)
    assert receipt is not None
    assert receipt.signature_status == "VALID" and receipt.verified and receipt.signed_values == (document,)
    assert receipt.gross == payment["amount_captured"] and receipt.card_brand == "Mastercard"

    page = await driver.get(receipts.receipt_path(payment["receipt_token"]))
    assert page.status_code == 200
    assert 'data-signature="VALID"' in page.text and "verified" in page.text
    assert html_escape(document) in page.text  # the OCMF document verbatim, to copy into the transparency software
    assert 'data-testid="receipt-card">Mastercard •••• 4444' in page.text

    # the station's key changes (another meter's): the CDRs are checked again and the receipt follows
    other = ec.generate_private_key(ec.SECP256R1())
    await ChargingStation.update({ChargingStation.meter_public_key: public_hex(other)}).where(
        ChargingStation.id == pay_site.station.id
    )
    await building.check_signatures(pay_site.station.id)
    page = await driver.get(receipts.receipt_path(payment["receipt_token"]))
    assert 'data-signature="INVALID_SIGNATURE"' in page.text
