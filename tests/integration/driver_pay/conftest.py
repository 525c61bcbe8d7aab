"""The driver's door (/pay): charge points with Direct Payment, a tariff, and a simulated station on a live server."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from core.infrastructure import charge_points
from core.payments import service
from core.payments.tables import Payment
from core.tariffs.tables import TariffAssignment
from tests.integration.cdrs.conftest import cdr_of
from tests.integration.cdrs.test_cdr_pipeline import seed_tariff
from tests.integration.ocpp.conftest import Station, make_station, ocpp_url  # noqa: F401 - fixture
from tests.support import TenantCtx, app_client

SUCCESS = "4242 4242 4242 4242"
DECLINE = "4000 0000 0000 0002"
CHALLENGE = "4000 0027 6000 3184"


@dataclass
class PaySite:
    ctx: TenantCtx
    station: Station
    evse_id: str

    @property
    def charge_point(self) -> dict[str, Any]:
        return self.station.charge_points[0]


async def make_pay_site(ctx: TenantCtx, unique: str, *, tariff: bool = True) -> PaySite:
    """A station with one charge point that offers Direct Payment (EVSE-ID with the tenant's operator id) and the
    seed's tariff: 0.40 EUR/kWh net, 0.02 EUR/min from minute 60, 19 % VAT."""
    st = await make_station(ctx, unique, points=1)
    evse_id = f"{ctx.tenant['country_code']}*{ctx.tenant['party_id']}*E{unique[:8].upper()}*1"
    cp = await charge_points.update_charge_point(
        ctx.actor, st.charge_points[0]["id"], {"evse_id": evse_id, "auth_direct_payment": True}
    )
    st.charge_points[0] = cp
    if tariff:
        await seed_tariff(ctx, cp["id"])
        # in force a minute ago: a station's StartTransaction timestamp has whole seconds, and a session that
        # starts "before" its tariff (in the same second) would be priced without one
        await TariffAssignment.update({TariffAssignment.valid_from: datetime.now(UTC) - timedelta(minutes=1)}).where(
            TariffAssignment.charge_point == cp["id"]
        )
    return PaySite(ctx, st, evse_id)


@pytest.fixture
async def pay_site(cpo: TenantCtx, unique: str) -> PaySite:
    return await make_pay_site(cpo, unique)


@pytest.fixture
async def driver() -> AsyncIterator[httpx.AsyncClient]:
    """A driver's phone in English: no login, its own address (the per-address throttle counts its payments only)."""
    async with app_client() as client:
        client.headers["Accept-Language"] = "en-GB,en;q=0.9"
        yield client


def form_token(html: str) -> str:
    found = re.search(r'name="_csrf_token" value="([^"]+)"', html)
    assert found is not None, html
    return found.group(1)


async def pay(driver: httpx.AsyncClient, evse_id: str, card: str = SUCCESS, **extra: str) -> httpx.Response:
    """Open the driver's page and pay with ``card``: the response of the form post (not followed)."""
    page = await driver.get(f"/pay/{evse_id}")
    assert page.status_code == 200, page.text
    data = {"_csrf_token": form_token(page.text), "email": "driver@example.org", "card_number": card,
            "card_expiry": "12/39", "card_cvc": "123", "terms": "on", **extra}  # fmt: skip
    return await driver.post(f"/pay/{evse_id}", data=data, follow_redirects=False)


async def captured_payment(ctx: TenantCtx, site: PaySite, session_id: int, card_last4: str = "4444") -> dict[str, Any]:
    """A payment that charged the (finished) session ``session_id`` at ``site`` and captured its CDR's gross total,
    written as the flow leaves it (for pages that need one without running a whole charge)."""
    cdr = await cdr_of(session_id)
    payment = await service.create_payment(ctx.id, amount=Decimal("50.00"), currency="EUR",
                                           charge_point_id=site.charge_point["id"], evse_id=site.evse_id,
                                           email="driver@example.org", language="de")  # fmt: skip
    await Payment.update({
        Payment.state: "captured", Payment.session: session_id, Payment.amount_captured: cdr["total_cost_incl_vat"],
        Payment.card_brand: "mastercard", Payment.card_last4: card_last4,
    }).where(Payment.id == payment["id"])  # fmt: skip
    row = await Payment.select().where(Payment.id == payment["id"]).first()
    assert row is not None
    return row
