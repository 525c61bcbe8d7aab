"""The demo data show billing: the demo hub's admin (the platform operator) sees last month's preview and the month
before finalised with the demo company's lines; the demo company sees its lines of the final month."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from core.billing.tables import BillingRun, InvoiceLine
from core.demo import DEMO_EMAIL, DEMO_HUB_EMAIL, DEMO_PASSWORD, DEMO_SLUG, load_demo
from core.months import month_of
from core.tenancy.tables import Tenant
from tests.support import app_client, login


async def test_the_demo_shows_a_final_month_and_a_preview() -> None:
    await load_demo()
    await load_demo()  # the second load adds nothing
    demo = await Tenant.select(Tenant.id, Tenant.debtor_number).where(Tenant.slug == DEMO_SLUG).first()
    assert demo is not None and demo["debtor_number"] == "10001"
    last = month_of(datetime.now(UTC), ZoneInfo("Europe/Berlin")).previous()
    runs = {row["period"]: row for row in await BillingRun.select().where(
        BillingRun.period.is_in([last.period, last.previous().period]))}  # fmt: skip
    assert runs[last.previous().period]["status"] == "FINAL" and runs[last.period]["status"] == "PREVIEW"
    for period in (last.period, last.previous().period):
        codes = {row["product_code"] for row in await InvoiceLine.select(InvoiceLine.product_code).where(
            (InvoiceLine.tenant == demo["id"]) & (InvoiceLine.run.period == period))}  # fmt: skip
        assert codes == {"EOPERATE_AC", "EOPERATE_DC", "SUPPORT_360"}

    async with app_client() as hub, app_client() as company:
        await login(hub, DEMO_HUB_EMAIL, DEMO_PASSWORD)
        page = await hub.get("/billing", params={"month": last.period})
        assert page.status_code == 200 and 'data-testid="finalise"' in page.text and "Demo Company" in page.text
        assert 'data-testid="nav-billing"' in page.text
        await login(company, DEMO_EMAIL, DEMO_PASSWORD)
        own = await company.get("/billing", params={"month": last.previous().period})
        assert own.text.count('data-testid="invoice-line"') == 7  # 5 AC, 1 DC station and 360.SUPPORT on one
        preview = await company.get("/billing", params={"month": last.period})
        assert 'data-testid="own-lines-empty"' in preview.text  # a preview is the operator's only
