"""Company data (Unternehmensdaten) at /settings/company: read with company.view, changed with company.manage,
field errors next to the fields, audited, only the own tenant; receipts then print the CPO's legal name, postal
address and VAT id, and fall back to the tenant's name while nothing is entered."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from core import demo
from core.errors import PermissionDenied
from core.payments import receipts
from core.tenancy import company, logins
from core.tenancy.permissions import Permission
from core.tenancy.tables import AuditEntry, Tenant
from tests.integration.cdrs.conftest import finished_session
from tests.integration.driver_pay.conftest import PaySite, captured_payment, driver, pay_site  # noqa: F401
from tests.support import TenantCtx, app_client, login, make_user, post_form

FORM = {
    "legal_name": "Stadtwerke Muster GmbH", "street": "Hauptstr. 1", "postal_code": "80331", "city": "München",
    "address_country": "DE", "vat_id": "DE 123456789", "commercial_register": "Amtsgericht München HRB 1",
    "support_email": "hilfe@sw.example", "hotline": "+49 89 1234",
}  # fmt: skip


async def test_an_admin_enters_the_company_data_and_sees_it_audited(
    admin_client: httpx.AsyncClient, cpo: TenantCtx, other_cpo: TenantCtx
) -> None:
    page = await admin_client.get("/settings/company")
    assert page.status_code == 200 and 'data-testid="company-form"' in page.text
    assert 'data-testid="company-link"' in page.text

    wrong = await post_form(admin_client, "/settings/company", {**FORM, "postal_code": "803", "vat_id": "123"})
    assert wrong.status_code == 400
    assert 'id="error-postal_code"' in wrong.text and "Enter a postal code of the chosen country." in wrong.text
    assert 'id="error-vat_id"' in wrong.text and 'value="803"' in wrong.text  # what was typed stays
    row = await Tenant.select().where(Tenant.id == cpo.id).first()
    assert row is not None and row["legal_name"] == ""

    saved = await post_form(admin_client, "/settings/company", FORM, follow_redirects=False)
    assert saved.status_code == 303
    row = await Tenant.select().where(Tenant.id == cpo.id).first()
    assert row is not None and row["legal_name"] == "Stadtwerke Muster GmbH" and row["vat_id"] == "DE123456789"
    assert row["street"] == "Hauptstr. 1" and row["address_country"] == "DE" and row["hotline"] == "+49 89 1234"
    other = await Tenant.select().where(Tenant.id == other_cpo.id).first()
    assert other is not None and other["legal_name"] == ""  # only the own tenant

    shown = await admin_client.get("/settings/company")
    assert 'value="Stadtwerke Muster GmbH"' in shown.text and "The changes were saved." in shown.text
    assert 'data-testid="audit-history"' in shown.text and "Legal name" in shown.text
    [entry] = await AuditEntry.select().where((AuditEntry.entity_type == "company") & (AuditEntry.tenant == cpo.id))
    assert entry["entity_id"] == cpo.id and entry["action"] == "update"

    # saving the same again records nothing
    await post_form(admin_client, "/settings/company", FORM, follow_redirects=False)
    assert await AuditEntry.count().where((AuditEntry.entity_type == "company") & (AuditEntry.tenant == cpo.id)) == 1


async def test_viewing_and_changing_need_their_switches(cpo: TenantCtx) -> None:
    nobody = await make_user(cpo.id, permissions=[Permission.INFRASTRUCTURE_VIEW.value])
    reader = await make_user(cpo.id, permissions=[Permission.COMPANY_VIEW.value])
    async with app_client() as client:
        await login(client, nobody["email"])
        assert (await client.get("/settings/company")).status_code == 403
        assert 'data-testid="company-link"' not in (await client.get("/")).text
    async with app_client() as client:
        await login(client, reader["email"])
        page = await client.get("/settings/company")
        assert page.status_code == 200 and 'data-testid="company-data"' in page.text
        assert 'data-testid="company-form"' not in page.text
        assert (await post_form(client, "/settings/company", FORM)).status_code == 403
    try:
        await company.save_company(await logins.actor_for_user(reader), FORM)
        raise AssertionError("saved without company.manage")
    except PermissionDenied:
        pass


async def test_the_receipt_prints_the_company_data_or_falls_back_to_the_name(
    cpo: TenantCtx,
    pay_site: PaySite,  # noqa: F811 - the fixture
    driver: httpx.AsyncClient,  # noqa: F811
) -> None:
    start = datetime.now(UTC) - timedelta(minutes=45)
    session_id = await finished_session(cpo, pay_site.station, energy_wh=10_000, minutes=30, start=start)
    payment = await captured_payment(cpo, pay_site, session_id)
    path = receipts.receipt_path(payment["receipt_token"] or (await receipts.ensure_token(payment))["receipt_token"])

    bare = await driver.get(path)
    assert bare.status_code == 200
    assert 'data-testid="receipt-operator-address"' not in bare.text and "VAT id:" not in bare.text

    await company.save_company(cpo.actor, FORM)
    page = await driver.get(path)
    assert page.status_code == 200
    assert "<strong>Stadtwerke Muster GmbH</strong>" in page.text
    assert 'data-testid="receipt-operator-address">Hauptstr. 1, 80331 München</span>' in page.text
    assert 'data-testid="receipt-operator-vat">VAT id: DE123456789</span>' in page.text
    german = await driver.get(path, headers={"Accept-Language": "de-DE"})
    assert "USt-IdNr.: DE123456789" in german.text


async def test_the_demo_cpo_has_company_data() -> None:
    await demo.load_demo()  # a fresh load, or the upgrade of an older demo load
    row = await Tenant.select().where(Tenant.slug == demo.DEMO_SLUG).first()
    assert row is not None and row["legal_name"] == "Demo Company GmbH" and row["vat_id"] == "DE123456789"
    assert (row["street"], row["postal_code"], row["city"]) == ("Musterstraße 1", "50667", "Köln")
