"""The "Abrechnung" page over HTTP: the operator previews, finalises and exports the month (German number format);
a CPO sees only its own final lines and cannot reach the operator's actions; bad input is a field error."""

from __future__ import annotations

import csv
import io

from core.billing import reading
from core.billing.tables import BillingRun, InvoiceLine
from core.tenancy.tables import Tenant
from tests.integration.billing.helpers import fresh_month, installation
from tests.support import app_client, login, make_tenant, make_user, post_form

YEARS = 2013  # this module bills months from 2013 on


async def test_the_operator_previews_finalises_and_exports_and_a_cpo_sees_its_own_lines(unique: str) -> None:
    month = fresh_month(YEARS)
    setup = await installation(month, unique)
    async with app_client() as operator, app_client() as cpo:
        await login(operator, setup.hub.admin["email"])
        await login(cpo, setup.cpo.admin["email"])

        page = await operator.get("/billing", params={"month": month.period})
        assert page.status_code == 200 and 'data-testid="preview-submit"' in page.text
        previewed = await post_form(operator, "/billing/preview", {"month": month.period}, follow_redirects=False)
        assert previewed.status_code == 303 and previewed.headers["location"] == f"/billing?month={month.period}"
        page = await operator.get("/billing", params={"month": month.period})
        assert f"D-{unique}-0" in page.text and setup.cpo.tenant["name"] in page.text
        assert 'data-testid="finalise"' in page.text

        # a CPO: neither the operator's months nor its actions; its own page is empty until the month is final
        own = await cpo.get("/billing", params={"month": month.period})
        assert own.status_code == 200 and 'data-testid="own-lines-empty"' in own.text
        assert 'data-testid="preview-submit"' not in own.text and f"D-{unique}-2" not in own.text
        refused = await post_form(cpo, "/billing/finalise", {"month": month.period}, follow_redirects=False)
        assert refused.status_code == 404
        run = await BillingRun.select().where(BillingRun.period == month.period).first()
        assert run is not None and run["status"] == "PREVIEW"

        finalised = await post_form(operator, "/billing/finalise", {"month": month.period}, follow_redirects=False)
        assert finalised.status_code == 303
        again = await post_form(operator, "/billing/preview", {"month": month.period}, follow_redirects=True)
        assert again.status_code == 200 and 'data-testid="flash"' in again.text
        assert "This month is final" in again.text or "Dieser Monat ist abgeschlossen" in again.text

        exported = await operator.get("/billing/export.csv", params={"month": month.period})
        assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
        assert exported.content.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM
        rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig")), delimiter=";"))
        ours = [row for row in rows[1:] if row[1].startswith(f"D-{unique}-")]
        assert len(ours) == 6
        support = next(row for row in ours if row[6] == "SUPPORT_360")
        assert support[9:14] == ["14,90", "19,00", "2,83", "17,73", "EUR"]  # decimal comma, no thousands separator
        commission = next(row for row in ours if row[13] == "EUR" and row[9].startswith("-"))
        assert commission[9] == "-2,47" and commission[3] == setup.affiliated.tenant["name"]

        own = await cpo.get("/billing", params={"month": month.period})
        assert own.text.count('data-testid="invoice-line"') == 2 and "360.SUPPORT" in own.text
        mine = await cpo.get("/billing/export.csv", params={"month": month.period})
        own_rows = list(csv.reader(io.StringIO(mine.content.decode("utf-8-sig")), delimiter=";"))[1:]
        assert {row[1] for row in own_rows} == {f"D-{unique}-0"} and len(own_rows) == 2


async def test_bad_months_are_field_errors_and_a_reseller_reads_its_commission(unique: str) -> None:
    month = fresh_month(YEARS)
    setup = await installation(month, unique)
    async with app_client() as operator, app_client() as affiliate:
        await login(operator, setup.hub.admin["email"])
        bad = await post_form(operator, "/billing/preview", {"month": "13/2026"})
        assert bad.status_code in (200, 400, 422) and 'id="error-month"' in bad.text and 'value="13/2026"' in bad.text
        future = await post_form(operator, "/billing/preview", {"month": "2099-01"})
        assert 'id="error-month"' in future.text
        assert (await post_form(operator, "/billing/preview", {"month": month.period})).status_code < 400
        assert (await post_form(operator, "/billing/finalise", {"month": month.period})).status_code < 400

        await login(affiliate, setup.affiliate.admin["email"])
        page = await affiliate.get("/billing", params={"month": month.period})
        assert 'data-testid="commission-link"' in page.text
        report = await affiliate.get("/billing/commission", params={"month": month.period})
        assert report.status_code == 200 and report.text.count('data-testid="commission-row"') == 2
        assert setup.affiliated.tenant["name"] in report.text
        viewer = await make_user(setup.cpo.id, permissions=["infrastructure.view"])
        async with app_client() as other:
            await login(other, viewer["email"])
            assert (await other.get("/billing")).status_code == 403


async def test_the_operators_month_is_paged_by_billed_tenant(unique: str) -> None:
    """A run over thousands of stations has thousands of lines: the operator's page shows 25 billed tenants at a time
    (each with all its lines), in debtor-number order; the CSV has them all."""
    month = fresh_month(YEARS)
    hub = await make_tenant(kind="HUB")
    run = BillingRun(period=month.period, status="PREVIEW")
    await run.save()
    count = reading.DEBTORS_PER_PAGE + 2
    for n in range(count):
        tenant = await make_tenant()
        await Tenant.update({Tenant.debtor_number: f"P-{unique}-{n:02d}"}).where(Tenant.id == tenant.id)
        await InvoiceLine.insert(*[
            InvoiceLine(run=run.id, line_key=f"{run.id}:{tenant.id}:{k}", tenant=tenant.id, concerns=tenant.id,
                        station_name=f"Station {n}-{k}", product_code="EOPERATE_AC", net_cents=1000, vat_cents=190,
                        gross_cents=1190, text="eOperate professional AC")
            for k in range(2)
        ])  # fmt: skip

    first = await reading.month_debtors(hub.actor, month.period)
    assert (first.total, first.pages, first.page) == (count, 2, 1)
    assert [d.debtor_number for d in first.debtors] == [f"P-{unique}-{n:02d}" for n in range(reading.DEBTORS_PER_PAGE)]
    assert all(len(d.lines) == 2 for d in first.debtors)
    last = await reading.month_debtors(hub.actor, month.period, 99)  # past the end: the last page
    rest = [f"P-{unique}-{n:02d}" for n in range(reading.DEBTORS_PER_PAGE, count)]
    assert last.page == 2 and [d.debtor_number for d in last.debtors] == rest

    async with app_client() as operator:
        await login(operator, hub.admin["email"])
        page = await operator.get("/billing", params={"month": month.period, "page": "2"})
        assert page.status_code == 200 and rest[-1] in page.text and f"P-{unique}-00" not in page.text
        assert page.text.count('data-testid="debtor"') == 2
        assert f'href="/billing?month={month.period}&amp;page=1"' in page.text
        for bad in ("0", "-1", "x", "9" * 20):  # any other page parameter: the first page
            assert f"P-{unique}-00" in (await operator.get("/billing", params={"month": month.period,
                                                                              "page": bad})).text  # fmt: skip
        exported = await operator.get("/billing/export.csv", params={"month": month.period})
        rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig")), delimiter=";"))[1:]
        assert len(rows) == 2 * count
