"""The tariff pages: form with gross prices and preview, the assignment wizard, the charge point tab, permissions
and isolation."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from core.tariffs import assignments, tariffs
from core.tariffs.tables import Tariff
from tests.integration.infrastructure.conftest import Site
from tests.integration.tariffs.conftest import prices
from tests.support import TenantCtx, app_client, csrf_of, login, make_user, post_form, stored_rows


def local(value: datetime) -> str:
    return value.astimezone(ZoneInfo("Europe/Berlin")).strftime("%Y-%m-%dT%H:%M")


async def test_create_via_form_shows_code_and_gross(cpo: TenantCtx, admin_client: httpx.AsyncClient) -> None:
    form = await admin_client.get("/tariffs/new")
    assert form.status_code == 200
    assert "cannot be changed later" in form.text and "net prices" in form.text
    response = await post_form(admin_client, "/tariffs", prices(), follow_redirects=False)
    assert response.status_code == 303, response.text
    listing = await admin_client.get("/tariffs")
    assert "Demo Tarif" in listing.text and re.search(r"CPO\d{14}", listing.text)
    assert "0.4760" in listing.text  # 0.40 net + 19 % VAT
    second = await admin_client.get("/tariffs/new")
    assert "currency-warning" not in second.text and "fixed by your first tariff" in second.text


async def test_form_errors_keep_the_input(admin_client: httpx.AsyncClient) -> None:
    response = await post_form(admin_client, "/tariffs", prices(name="Kept", ac_energy_per_kwh="abc"))
    assert response.status_code == 400
    assert "Enter a number." in response.text and 'value="Kept"' in response.text


async def test_live_preview_fragment(admin_client: httpx.AsyncClient) -> None:
    headers = {"HX-Request": "true", "x-csrftoken": csrf_of(admin_client)}
    response = await admin_client.post("/tariffs/preview", data=prices(), headers=headers)
    assert response.status_code == 200
    assert 'id="price-preview"' in response.text and "<html" not in response.text
    assert "22 kWh AC session of 90 minutes costs 9.40 EUR net + 1.79 EUR VAT = 11.19 EUR" in response.text
    bad = await post_form(admin_client, "/tariffs/preview", prices(ac_energy_per_kwh=""))
    assert "Enter valid prices" in bad.text


async def test_wizard_assigns_and_the_tab_shows_it(
    cpo: TenantCtx, site: Site, admin_client: httpx.AsyncClient
) -> None:
    tariff = await tariffs.create_tariff(cpo.actor, prices())
    cp = site.charge_point["id"]
    step1 = await admin_client.get("/tariffs/assign")
    assert step1.status_code == 200 and f'value="{cp}"' in step1.text and "more than 7" in step1.text
    step2 = await post_form(admin_client, "/tariffs/assign/tariff", {"mode": "points", "charge_point_ids": [str(cp)]})
    assert step2.status_code == 200 and tariff["code"] in step2.text
    valid_from = local(datetime.now(UTC) + timedelta(minutes=2))
    step3 = await post_form(admin_client, "/tariffs/assign/review",
                            {"charge_point_ids": str(cp), "tariff_id": str(tariff["id"]), "valid_from": valid_from})
    assert step3.status_code == 200 and 'data-testid="review-ok"' in step3.text
    done = await post_form(admin_client, "/tariffs/assign/confirm",
                           {"charge_point_ids": str(cp), "tariff_id": str(tariff["id"]), "valid_from": valid_from},
                           follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"].endswith(f"/charge-points/{cp}?tab=tariffs")
    tab = await admin_client.get(f"/tariffs/charge-points/{cp}/tab")
    assert "Demo Tarif" in tab.text and 'data-testid="tariff-history"' in tab.text
    detail = await admin_client.get(f"/infrastructure/charge-points/{cp}")
    assert "/tariffs/charge-points/" in detail.text


async def test_wizard_by_filter_and_review_of_a_large_increase(
    cpo: TenantCtx, site: Site, admin_client: httpx.AsyncClient
) -> None:
    now = datetime.now(UTC)
    cheap = await tariffs.create_tariff(cpo.actor, prices(name="Cheap"))
    dear = await tariffs.create_tariff(cpo.actor, prices(name="Dear", dc_energy_per_kwh="0.80"))
    await assignments.assign_tariff(cpo.actor, cheap["id"], [site.charge_point["id"]], now)
    step2 = await post_form(admin_client, "/tariffs/assign/tariff", {"mode": "filter", "city": "Münch"})
    assert step2.status_code == 200 and f'value="{site.charge_point["id"]}"' in step2.text
    form = {"charge_point_ids": str(site.charge_point["id"]), "tariff_id": str(dear["id"]),
            "valid_from": local(now + timedelta(days=1))}
    review = await post_form(admin_client, "/tariffs/assign/review", form)
    assert 'data-testid="review-refused"' in review.text and "+60.00" in review.text
    refused = await post_form(admin_client, "/tariffs/assign/confirm", form)
    assert refused.status_code == 400 and "30 days" in refused.text
    info = await assignments.charge_point_tariffs(cpo.actor, site.charge_point["id"])
    assert info["active"]["tariff"] == cheap["id"] and info["scheduled"] == []


async def test_past_valid_from_is_a_field_error(cpo: TenantCtx, site: Site, admin_client: httpx.AsyncClient) -> None:
    tariff = await tariffs.create_tariff(cpo.actor, prices())
    form = {"charge_point_ids": str(site.charge_point["id"]), "tariff_id": str(tariff["id"]),
            "valid_from": local(datetime.now(UTC) - timedelta(days=1))}
    response = await post_form(admin_client, "/tariffs/assign/review", form)
    assert response.status_code == 400 and "must not lie in the past" in response.text


async def test_other_tenants_tariffs_and_charge_points_give_404(
    other_cpo: TenantCtx, foreign_site: Site, admin_client: httpx.AsyncClient
) -> None:
    foreign = await tariffs.create_tariff(other_cpo.actor, prices())
    assert (await admin_client.get(f"/tariffs/{foreign['id']}")).status_code == 404
    assert (await post_form(admin_client, f"/tariffs/{foreign['id']}", prices(name="x"))).status_code == 404
    assert (await post_form(admin_client, f"/tariffs/{foreign['id']}/archive", {})).status_code == 404
    assert (await admin_client.get(f"/tariffs/new?copy={foreign['id']}")).status_code == 404
    assert (await admin_client.get(f"/tariffs/charge-points/{foreign_site.charge_point['id']}/tab")).status_code == 404
    review = {"charge_point_ids": str(foreign_site.charge_point["id"]), "tariff_id": str(foreign["id"]),
              "valid_from": local(datetime.now(UTC) + timedelta(hours=1))}
    assert (await post_form(admin_client, "/tariffs/assign/review", review)).status_code == 404
    assert (await post_form(admin_client, "/tariffs/assign/confirm", review)).status_code == 404
    assert await Tariff.count().where(Tariff.tenant == other_cpo.id) == 1


async def _login_with(client: httpx.AsyncClient, cpo: TenantCtx, permissions: list[str]) -> httpx.AsyncClient:
    user = await make_user(cpo.id, permissions=permissions)
    await login(client, user["email"])
    return client


async def test_permissions(cpo: TenantCtx, site: Site, tariff: dict[str, Any]) -> None:
    async with app_client() as viewer:
        await _login_with(viewer, cpo, ["tariffs.view", "infrastructure.view"])
        assert (await viewer.get("/tariffs")).status_code == 200
        assert (await viewer.get(f"/tariffs/{tariff['id']}")).status_code == 200
        assert (await viewer.get(f"/tariffs/charge-points/{site.charge_point['id']}/tab")).status_code == 200
        assert (await viewer.get("/tariffs/new")).status_code == 403
        assert (await viewer.get("/tariffs/assign")).status_code == 403
        before = await stored_rows(cpo.id)
        assert (await post_form(viewer, "/tariffs", prices())).status_code == 403
        assert (await post_form(viewer, f"/tariffs/{tariff['id']}", prices(name="x"))).status_code == 403
        assert (await post_form(viewer, "/tariffs/assign/confirm", {})).status_code == 403
        assert (await post_form(viewer, f"/tariffs/{tariff['id']}/archive", {})).status_code == 403
        assert await stored_rows(cpo.id) == before
        assert (await tariffs.get_tariff(cpo.actor, tariff["id"]))["archived_at"] is None
    async with app_client() as nobody:
        await _login_with(nobody, cpo, ["infrastructure.view"])
        assert (await nobody.get("/tariffs")).status_code == 403
        assert (await nobody.get(f"/tariffs/charge-points/{site.charge_point['id']}/tab")).status_code == 403
        page = await nobody.get(f"/infrastructure/charge-points/{site.charge_point['id']}")
        assert "/tariffs/charge-points/" not in page.text and 'href="/tariffs"' not in page.text


async def test_the_list_shows_the_prices_that_exist_and_the_assignment_is_named(
    cpo: TenantCtx, site: Site, admin_client: httpx.AsyncClient
) -> None:
    created = await post_form(
        admin_client,
        "/tariffs",
        {"name": "Nur AC mit Startgebühr", "currency": "EUR", "ac_energy_per_kwh": "0,39", "ac_session_fee": "1"},
        follow_redirects=True,
    )
    assert created.status_code == 200 and 'Tariff "Nur AC mit Startgebühr" created.' in created.text
    row = created.text.split("Nur AC mit Startgebühr</a>")[1].split("</tr>")[0]
    assert "AC 0.3900 per kWh" in row and "AC session fee 1.0000" in row
    assert "DC" not in row and "per minute" not in row  # no DC fee and no blocking fee: none shown
    tariff = (await tariffs.list_tariffs(cpo.actor))[-1]
    cp = site.charge_point["id"]
    valid_from = local(datetime.now(UTC) + timedelta(minutes=2))
    form = {"charge_point_ids": str(cp), "tariff_id": str(tariff["id"]), "valid_from": valid_from}
    done = await post_form(admin_client, "/tariffs/assign/confirm", form, follow_redirects=True)
    assert 'Tariff "Nur AC mit Startgebühr" assigned to 1 charge point.' in done.text
    await post_form(admin_client, "/lang", {"language": "de", "next": "/"})
    tab = await admin_client.get(f"/tariffs/charge-points/{cp}/tab")
    assert "<th>Status</th>" in tab.text and "Bundesland" not in tab.text
