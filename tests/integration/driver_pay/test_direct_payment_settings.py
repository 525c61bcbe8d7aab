"""The tenant's Direct Payment settings drive the driver's flow: the hold shown on the pay page and held on the card
is the tenant's hold amount, and the start is given up after the tenant's confirmation time, not before; the
settings section of /settings/company refuses values out of bounds with a message next to the field."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx

from core.payments import direct_settings, service
from core.payments import driver as driver_flow
from core.payments.tables import Payment
from core.tenancy.tables import AuditEntry
from tests.integration.driver_pay.conftest import PaySite, pay
from tests.integration.ocpp.test_commands import simulated, until
from tests.support import TenantCtx, post_form


async def test_the_pay_page_shows_and_holds_the_tenants_amount(
    ocpp_url: str, pay_site: PaySite, driver: httpx.AsyncClient
) -> None:
    await direct_settings.save_settings(pay_site.ctx.actor, {"hold_amount": "20,00", "start_confirm_seconds": "90"})
    offer = await driver.get(f"/pay/{pay_site.evse_id}")
    assert "We hold 20.00 EUR on your card." in offer.text
    async with simulated(ocpp_url, pay_site.station):

        async def available() -> bool:
            return 'data-status="available"' in (await driver.get(f"/pay/{pay_site.evse_id}/status")).text

        await until(available)
        paid = await pay(driver, pay_site.evse_id)
        assert paid.status_code == 303, paid.text
        found = re.search(r"/pay/p/([0-9a-f]{32})", paid.headers["location"])
        assert found is not None
    payment = await service.get_payment_by_uid(found.group(1))
    assert payment is not None and payment["amount_authorised"] == Decimal("20.00")


async def test_the_start_is_given_up_after_the_tenants_confirmation_time(pay_site: PaySite) -> None:
    await direct_settings.save_settings(pay_site.ctx.actor, {"hold_amount": "50", "start_confirm_seconds": "120"})
    payment = await service.create_payment(pay_site.ctx.id, amount=Decimal("50.00"), currency="EUR",
                                           charge_point_id=pay_site.charge_point["id"], evse_id=pay_site.evse_id,
                                           email="driver@example.org", language="en")  # fmt: skip
    await service.authorise(payment["id"], "4242424242424242", "http://testserver.local/pay/p/{uid}")
    await service.session_starting(payment["id"])  # the station accepted the start but sends no StartTransaction
    started = datetime.now(UTC) - timedelta(seconds=100)
    await Payment.update({Payment.state_changed_at: started}).where(Payment.id == payment["id"])
    waiting = await driver_flow.progress(payment["uid"])  # 100 s: the default 90 would have given up
    assert waiting["payment"]["state"] == "session_starting"
    later = await driver_flow.progress(payment["uid"], at=started + timedelta(seconds=121))
    assert (later["payment"]["state"], later["payment"]["failure"]) == ("released", "start_not_confirmed")


async def test_the_settings_section_checks_its_bounds(admin_client: httpx.AsyncClient, cpo: TenantCtx) -> None:
    page = await admin_client.get("/settings/company")
    assert 'data-testid="direct-payment-form"' in page.text and 'value="50.00"' in page.text
    wrong = await post_form(admin_client, "/settings/company/direct-payment",
                            {"hold_amount": "4.99", "start_confirm_seconds": "301"})  # fmt: skip
    assert wrong.status_code == 400
    assert 'id="error-hold_amount"' in wrong.text and "Must be at least 5." in wrong.text
    assert 'id="error-start_confirm_seconds"' in wrong.text and "Must be at most 300." in wrong.text
    assert (await direct_settings.get_settings(cpo.actor)).hold_amount == Decimal("50.00")
    saved = await post_form(admin_client, "/settings/company/direct-payment",
                            {"hold_amount": "25", "start_confirm_seconds": "60"}, follow_redirects=False)  # fmt: skip
    assert saved.status_code == 303
    stored = await direct_settings.get_settings(cpo.actor)
    assert (stored.hold_amount, stored.start_confirm_seconds) == (Decimal("25.00"), 60)
    assert (
        await AuditEntry.count().where((AuditEntry.entity_type == "direct_payment") & (AuditEntry.tenant == cpo.id))
        == 1
    )
    shown = await admin_client.get("/settings/company")
    assert "Amount held on the card" in shown.text and 'value="25.00"' in shown.text
