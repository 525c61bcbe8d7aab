"""The portal's products: the catalogue page, the wizard "Produkt zuweisen" from the overview's selection (product,
stations, review with skipped stations and cost, Kostenfreigabe), the station's Products tab with "Beenden", and the
marketing switch that needs an eOperate product."""

from __future__ import annotations

import re

import httpx
import pytest

from core.errors import ValidationError
from core.infrastructure import charge_points
from core.products import assignments
from core.products.catalogue import ProductCode, ensure_catalogue, product_by_code
from core.roaming import marketing
from core.tenancy.permissions import Permission
from tests.integration.infrastructure.conftest import Site, make_site
from tests.support import TenantCtx, app_client, csrf_of, login, make_user, post_form

SELECTION = "/infrastructure/overview/selection"


async def _code_id(code: ProductCode) -> int:
    await ensure_catalogue()
    product = await product_by_code(code)
    assert product is not None
    return int(product["id"])


async def test_the_catalogue_shows_net_and_gross_prices_and_translated_features(
    admin_client: httpx.AsyncClient,
) -> None:
    await ensure_catalogue()
    page = await admin_client.get("/infrastructure/products")
    assert page.status_code == 200
    row = page.text.split('data-testid="product-EOPERATE_AC"')[1].split("</tr>")[0]
    assert "eOperate professional AC" in row and "9.90 EUR" in row and "11.78 EUR" in row and "19 % VAT" in row
    assert "Roaming: partners&#39; drivers may charge" in row and "marketing" not in row.split("<span")[0]
    german = await post_form(admin_client, "/lang", {"language": "de", "next": "/infrastructure/products"},
                             follow_redirects=True)  # fmt: skip
    assert "9,90 EUR" in german.text and "Monatspreis (netto)" in german.text


async def test_the_wizard_from_the_overview_selection_assigns_and_reports_skipped_stations(
    admin_client: httpx.AsyncClient, cpo: TenantCtx, site: Site, unique: str
) -> None:
    dc_site = await make_site(cpo, "D" + unique)
    dc = {"power_type": "DC", "standard": "IEC_62196_T2_COMBO"}
    await charge_points.update_connector(cpo.actor, dc_site.connector["id"], dc)
    hx = {"HX-Request": "true", "x-csrftoken": csrf_of(admin_client)}
    for cp in (site.charge_point["id"], dc_site.charge_point["id"]):
        await admin_client.post(SELECTION, data={"charge_point_id": str(cp), "enabled": "on"}, headers=hx)
    overview = await admin_client.get("/infrastructure/overview")
    assert 'data-testid="bulk-assign-product"' in overview.text
    started = await post_form(admin_client, "/infrastructure/products/assign/select", {"selection": "overview"})
    assert started.status_code == 303
    ids = sorted([site.station["id"], dc_site.station["id"]])
    assert started.headers["location"] == f"/infrastructure/products/assign?station_id={ids[0]}&station_id={ids[1]}"
    step1 = await admin_client.get(started.headers["location"])
    assert "2 stations are preselected." in step1.text
    ac = await _code_id(ProductCode.EOPERATE_AC)
    step2 = await admin_client.get(f"/infrastructure/products/assign?step=2&product_id={ac}"
                                   f"&station_id={ids[0]}&station_id={ids[1]}")  # fmt: skip
    assert all(f'value="{i}" checked' in step2.text for i in ids)
    review = await admin_client.get(f"/infrastructure/products/assign/review?product_id={ac}"
                                    f"&station_id={ids[0]}&station_id={ids[1]}")  # fmt: skip
    assert "1 station gets the product" in review.text and "The product is for AC stations." in review.text
    total = review.text.split('data-testid="review-total"')[1].split("</td>")[0]
    assert "9.90 EUR" in total and "11.78 EUR" in total
    form = {"product_id": str(ac), "station_id": [str(i) for i in ids]}
    unapproved = await post_form(admin_client, "/infrastructure/products/assign", form)
    assert unapproved.status_code == 400 and "Confirm the cost approval to assign the product." in unapproved.text
    assert await assignments.station_assignments(cpo.actor, site.station["id"]) == []
    result = await post_form(admin_client, "/infrastructure/products/assign", {**form, "approve_costs": "on"})
    assert result.status_code == 200
    assigned = result.text.split('data-testid="result-assigned"')[1].split("</ul>")[0]
    skipped = result.text.split('data-testid="result-skipped"')[1].split("</ul>")[0]
    assert site.station["charge_box_id"] in assigned and "9.90 EUR net per month" in assigned
    assert dc_site.station["charge_box_id"] in skipped and "The product is for AC stations." in skipped
    history = await assignments.station_assignments(cpo.actor, site.station["id"])
    assert [row["product_code"] for row in history] == [ProductCode.EOPERATE_AC]
    assert await assignments.station_assignments(cpo.actor, dc_site.station["id"]) == []


async def test_the_station_tab_lists_products_and_ends_one_after_confirmation(
    admin_client: httpx.AsyncClient, cpo: TenantCtx, site: Site
) -> None:
    station_id = site.station["id"]
    await assignments.assign(cpo.actor, await _code_id(ProductCode.SUPPORT_360), [station_id])
    tab = await admin_client.get(f"/infrastructure/products/stations/{station_id}/tab")
    assert "360.SUPPORT" in tab.text and "14.90 EUR" in tab.text and 'data-testid="end-product"' in tab.text
    end_url = re.search(r'href="(/infrastructure/products/assignments/\d+/end)"', tab.text)
    assert end_url is not None
    confirm = await admin_client.get(end_url.group(1))
    assert "End 360.SUPPORT on the station" in confirm.text
    ended = await post_form(admin_client, end_url.group(1), {})
    assert ended.status_code == 303 and ended.headers["location"].endswith("?tab=products")
    (row,) = await assignments.station_assignments(cpo.actor, station_id)
    assert row["ends_at"] is not None
    again = await post_form(admin_client, end_url.group(1), {}, follow_redirects=True)
    assert "This product has already ended on the station." in again.text
    station = await admin_client.get(f"/infrastructure/stations/{station_id}")
    assert "Product assigned" in station.text and "Product ended" in station.text


async def test_without_cost_approval_the_wizard_names_the_switch_and_refuses_the_confirmation(
    cpo: TenantCtx, site: Site
) -> None:
    user = await make_user(cpo.id, permissions=[Permission.INFRASTRUCTURE_VIEW, Permission.INFRASTRUCTURE_MANAGE])
    ac = await _code_id(ProductCode.EOPERATE_AC)
    async with app_client() as client:
        await login(client, user["email"])
        await post_form(client, "/lang", {"language": "en", "next": "/"})
        review = await client.get(f"/infrastructure/products/assign/review?product_id={ac}"
                                  f"&station_id={site.station['id']}")  # fmt: skip
        assert 'data-testid="needs-cost-approval"' in review.text and "Enable cost approval" in review.text
        assert 'data-testid="confirm-assign"' not in review.text
        refused = await post_form(client, "/infrastructure/products/assign", {
            "product_id": str(ac), "station_id": str(site.station["id"]), "approve_costs": "on"})  # fmt: skip
        assert refused.status_code == 403
    assert await assignments.station_assignments(cpo.actor, site.station["id"]) == []


async def test_marketing_needs_an_eoperate_product_and_the_message_names_it(cpo: TenantCtx, site: Site) -> None:
    station_id = site.station["id"]
    switches = {"access_type": "PUBLIC_PAID", "show_as_poi": "on", "marketing": "on", "auth_remote": "on",
                "auth_local_rfid": "on"}  # fmt: skip
    with pytest.raises(ValidationError) as refused:
        await marketing.save_marketing(cpo.actor, station_id, switches)
    assert refused.value.errors["marketing"].params == {"products": "eOperate professional AC"}
    await assignments.assign(cpo.actor, await _code_id(ProductCode.EOPERATE_AC), [station_id])
    saved = await marketing.save_marketing(cpo.actor, station_id, switches)
    assert saved["marketing"].marketing is True
