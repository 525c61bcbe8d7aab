"""QR codes of Direct Payment: SVG and PNG per charge point, the station's sticker sheet, the one switch."""

from __future__ import annotations

import httpx

from core.infrastructure import charge_points
from core.payments import qr
from core.roaming import marketing
from tests.integration.driver_pay.conftest import PaySite
from tests.support import TenantCtx, app_client, assign_eoperate, login, make_tenant, post_form


async def test_qr_code_opens_the_pay_page_and_is_downloadable(
    admin_client: httpx.AsyncClient, pay_site: PaySite
) -> None:
    cp_id = pay_site.charge_point["id"]
    url = qr.pay_url(pay_site.evse_id)
    assert url.endswith(f"/pay/{pay_site.evse_id}")
    svg = await admin_client.get(f"/infrastructure/charge-points/{cp_id}/qr.svg")
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    assert svg.text.startswith("<svg") and f"<title>{url}</title>" in svg.text
    png = await admin_client.get(f"/infrastructure/charge-points/{cp_id}/qr.png?download=true")
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG\r\n\x1a\n")
    assert png.headers["content-disposition"].startswith("attachment;")
    tab = await admin_client.get(f"/infrastructure/charge-points/{cp_id}/tab/configuration")
    assert 'data-testid="qr-code"' in tab.text and f"/infrastructure/charge-points/{cp_id}/qr.png" in tab.text

    sheet = await admin_client.get(f"/infrastructure/stations/{pay_site.station.id}/stickers")
    assert sheet.status_code == 200
    assert sheet.text.count('data-testid="sticker"') == 1
    assert pay_site.evse_id in sheet.text and "+49 89 123456" in sheet.text and f"<title>{url}</title>" in sheet.text


async def test_no_qr_code_without_direct_payment_nor_for_another_tenant(
    admin_client: httpx.AsyncClient, pay_site: PaySite
) -> None:
    cp_id = pay_site.charge_point["id"]
    await charge_points.update_charge_point(pay_site.ctx.actor, cp_id, {"auth_direct_payment": False})
    assert (await admin_client.get(f"/infrastructure/charge-points/{cp_id}/qr.svg")).status_code == 404
    tab = await admin_client.get(f"/infrastructure/charge-points/{cp_id}/tab/configuration")
    assert 'data-testid="qr-code"' not in tab.text
    sheet = await admin_client.get(f"/infrastructure/stations/{pay_site.station.id}/stickers")
    assert 'data-testid="no-stickers"' in sheet.text
    # and the driver's page does not know it either
    async with app_client() as driver:
        assert (await driver.get(f"/pay/{pay_site.evse_id}")).status_code == 404

    await charge_points.update_charge_point(pay_site.ctx.actor, cp_id, {"auth_direct_payment": True})
    other = await make_tenant()
    async with app_client() as client:
        await login(client, other.admin["email"])
        assert (await client.get(f"/infrastructure/charge-points/{cp_id}/qr.png")).status_code == 404
        assert (await client.get(f"/infrastructure/stations/{pay_site.station.id}/stickers")).status_code == 404


async def test_the_access_tabs_direct_payment_is_the_charge_points_switch(
    admin_client: httpx.AsyncClient, cpo: TenantCtx, pay_site: PaySite
) -> None:
    station_id = pay_site.station.id
    cp_id = pay_site.charge_point["id"]
    await assign_eoperate(cpo.actor, station_id)  # marketing needs it
    state = await marketing.station_marketing(cpo.actor, station_id)
    assert state["marketing"].direct_payment is True  # every active charge point has it
    url = f"/roaming/stations/{station_id}/access"
    switches = {"access_type": "PUBLIC_PAID", "show_as_poi": "on", "marketing": "on", "auth_remote": "on",
                "auth_local_rfid": "on"}  # fmt: skip
    off = await post_form(admin_client, url, switches, follow_redirects=False)
    assert off.status_code == 303
    assert (await charge_points.get_charge_point(cpo.actor, cp_id))["auth_direct_payment"] is False
    on = await post_form(admin_client, url, {**switches, "direct_payment": "on"}, follow_redirects=False)
    assert on.status_code == 303
    assert (await charge_points.get_charge_point(cpo.actor, cp_id))["auth_direct_payment"] is True
    # switching another switch leaves the charge points' Direct Payment alone
    await post_form(admin_client, url, {**switches, "direct_payment": "on", "auth_local_rfid": ""})
    assert (await charge_points.get_charge_point(cpo.actor, cp_id))["auth_direct_payment"] is True
