"""Charge point pages: create with its first connector, tabs, configuration, connectors, decommission."""

from __future__ import annotations

import httpx

from core.infrastructure import charge_points
from tests.integration.infrastructure.conftest import Site
from tests.support import TenantCtx, csrf_of, post_form


def _cp_form(station_id: int, **extra: str) -> dict[str, str]:
    return {
        "station_id": str(station_id),
        "evse_number": "2",
        "evse_id": f"de*ise*e{station_id}x2*2",  # EVSE-IDs are unique across tenants
        "physical_reference": "Links",
        "auth_local_rfid": "on",
        "standard": "IEC_62196_T2_COMBO",
        "format": "CABLE",
        "power_type": "DC",
        "max_voltage": "920",
        "max_amperage": "200",
        "max_electric_power": "150000",
        **extra,
    }


async def test_create_charge_point_with_first_connector(
    admin_client: httpx.AsyncClient, site: Site, cpo: TenantCtx
) -> None:
    form = await admin_client.get(f"/infrastructure/charge-points/new?station_id={site.station['id']}")
    assert form.status_code == 200
    assert 'name="evse_number" value="2"' in form.text  # next free number on the station
    response = await post_form(
        admin_client, "/infrastructure/charge-points", _cp_form(site.station["id"]), follow_redirects=False
    )
    assert response.status_code == 303
    cp_id = int(response.headers["location"].rsplit("/", 1)[1])
    cp = await charge_points.get_charge_point(cpo.actor, cp_id)
    evse_id = f"DE*ISE*E{site.station['id']}X2*2"
    assert cp["evse_id"] == evse_id and cp["power_type"] == "DC"
    assert cp["auth_remote"] is False and cp["auth_local_rfid"] is True
    connectors = await charge_points.list_connectors(cpo.actor, cp_id)
    assert [(c["standard"], c["max_electric_power"]) for c in connectors] == [("IEC_62196_T2_COMBO", 150000)]
    page = await admin_client.get(response.headers["location"])
    assert evse_id in page.text
    assert f'href="/infrastructure/stations/{site.station["id"]}"' in page.text
    for label in ("Control", "Configuration", "Device details"):
        assert f">{label}</a>" in page.text
    # The first tab belongs to another area; the page works whether or not it is there.
    assert f'hx-get="/operations/charge-points/{cp_id}/control" hx-trigger="load"' in page.text
    assert "This tab is not available." in page.text


async def test_invalid_evse_id_and_duplicate_number_are_field_errors(
    admin_client: httpx.AsyncClient, site: Site
) -> None:
    data = _cp_form(site.station["id"], evse_id="not-an-evse", max_voltage="-5")
    response = await post_form(admin_client, "/infrastructure/charge-points", data)
    assert response.status_code == 400
    assert "Not a valid EVSE-ID (e.g. DE*ISE*E12345*1)." in response.text
    assert 'value="not-an-evse"' in response.text and 'value="Links"' in response.text
    response = await post_form(
        admin_client, "/infrastructure/charge-points", _cp_form(site.station["id"], evse_number="1")
    )
    assert response.status_code == 400
    assert "The station already has a charge point with this number." in response.text
    response = await post_form(
        admin_client, "/infrastructure/charge-points", _cp_form(site.station["id"], max_voltage="-5", evse_number="9")
    )
    assert response.status_code == 400 and "Must be at least 1." in response.text


async def test_configuration_tab_updates_the_charge_point(
    admin_client: httpx.AsyncClient, site: Site, cpo: TenantCtx
) -> None:
    cp_id = site.charge_point["id"]
    tab = await admin_client.get(f"/infrastructure/charge-points/{cp_id}/tab/configuration")
    assert tab.status_code == 200 and 'name="evse_id"' in tab.text and "<html" not in tab.text
    assert 'name="grid_phase"' in tab.text
    url = f"/infrastructure/charge-points/{cp_id}/configuration"
    htmx = {"x-csrftoken": csrf_of(admin_client), "hx-request": "true"}
    bad = await admin_client.post(url, data={"evse_number": "1", "evse_id": "XX"}, headers=htmx)
    assert bad.status_code == 200 and "Not a valid EVSE-ID" in bad.text and 'value="XX"' in bad.text
    changes = {
        "evse_number": "1",
        "evse_id": f"DE*ISE*E{cp_id}X7*1",
        "floor_level": "-1",
        "auth_direct_payment": "on",
        "eichrecht_compliant": "on",
        "grid_phase": "L3",
    }
    good = await admin_client.post(url, data=changes, headers=htmx)
    assert good.status_code == 200
    assert good.headers["hx-redirect"] == f"/infrastructure/charge-points/{cp_id}?tab=configuration"
    cp = await charge_points.get_charge_point(cpo.actor, cp_id)
    assert cp["evse_id"] == f"DE*ISE*E{cp_id}X7*1" and cp["floor_level"] == "-1"
    assert cp["auth_direct_payment"] is True and cp["auth_local_rfid"] is False
    assert cp["eichrecht_compliant"] is True and cp["grid_phase"] == "L3"
    page = await admin_client.get(good.headers["hx-redirect"])
    assert "The changes were saved." in page.text and 'data-tab="configuration" class="active"' in page.text
    assert 'data-testid="evse-id-warning"' not in page.text and cp["evse_id_is_own"] is True


async def test_another_operators_evse_id_is_saved_with_a_warning(
    admin_client: httpx.AsyncClient, site: Site, cpo: TenantCtx
) -> None:
    cp_id = site.charge_point["id"]
    htmx = {"x-csrftoken": csrf_of(admin_client), "hx-request": "true"}
    foreign = f"DE*XYZ*E{cp_id}*1"  # the tenant is DE*ISE
    saved = await admin_client.post(
        f"/infrastructure/charge-points/{cp_id}/configuration", data={"evse_number": "1", "evse_id": foreign},
        headers=htmx,
    )  # fmt: skip
    assert saved.status_code == 200 and "hx-redirect" in saved.headers
    cp = await charge_points.get_charge_point(cpo.actor, cp_id)
    assert cp["evse_id"] == foreign and cp["evse_id_is_own"] is False
    page = (await admin_client.get(saved.headers["hx-redirect"])).text
    warning = page.split('data-testid="evse-id-warning">')[1].split("</p>")[0]
    assert warning == (
        f"The EVSE-ID {foreign} names the operator DE*XYZ, not your operator id DE*ISE: roaming partners will not "
        "receive this charge point."
    )


async def test_connectors_are_added_edited_and_removed(
    admin_client: httpx.AsyncClient, site: Site, cpo: TenantCtx
) -> None:
    cp_id = site.charge_point["id"]
    device = await admin_client.get(f"/infrastructure/charge-points/{cp_id}/tab/device")
    assert "Type 2" in device.text and "Add connector" in device.text
    assert 'data-testid="delete-connector"' not in device.text  # the last connector cannot go
    form = await admin_client.get(f"/infrastructure/charge-points/{cp_id}/connectors/new")
    assert 'name="connector_number" value="2"' in form.text
    new_url = f"/infrastructure/charge-points/{cp_id}/connectors"
    chademo = {"standard": "CHADEMO", "format": "CABLE", "power_type": "DC"}
    duplicate = await post_form(admin_client, new_url, {"connector_number": "1", **chademo})
    assert duplicate.status_code == 400
    assert "The charge point already has a connector with this number." in duplicate.text
    added = await post_form(
        admin_client,
        new_url,
        {"connector_number": "2", "max_electric_power": "50000", **chademo},
        follow_redirects=False,
    )
    assert added.status_code == 303 and added.headers["location"].endswith("?tab=device")
    connectors = await charge_points.list_connectors(cpo.actor, cp_id)
    assert [c["standard"] for c in connectors] == ["IEC_62196_T2", "CHADEMO"]
    edit_url = f"/infrastructure/connectors/{connectors[1]['id']}"
    assert (await admin_client.get(f"{edit_url}/edit")).status_code == 200
    bad = await post_form(admin_client, edit_url, {"connector_number": "2", "standard": "NOPE", "format": "CABLE",
                                                   "power_type": "DC"})  # fmt: skip
    assert bad.status_code == 400 and "Choose one of the offered values." in bad.text
    edited = await post_form(
        admin_client, edit_url, {"connector_number": "2", "standard": "CHADEMO", "format": "CABLE", "power_type": "DC",
        "max_voltage": "500", "max_amperage": "125", "max_electric_power": "62500"}, follow_redirects=False,
    )  # fmt: skip
    assert edited.status_code == 303
    assert (await charge_points.get_connector(cpo.actor, connectors[1]["id"]))["max_electric_power"] == 62500
    removed = await post_form(admin_client, f"{edit_url}/delete", {}, follow_redirects=False)
    assert removed.status_code == 303
    last = await post_form(
        admin_client, f"/infrastructure/connectors/{connectors[0]['id']}/delete", {}, follow_redirects=True
    )
    assert last.status_code == 200 and "A charge point keeps at least one connector." in last.text
    assert len(await charge_points.list_connectors(cpo.actor, cp_id)) == 1


async def test_decommission_charge_point(admin_client: httpx.AsyncClient, site: Site, cpo: TenantCtx) -> None:
    cp_id = site.charge_point["id"]
    assert (await admin_client.get(f"/infrastructure/charge-points/{cp_id}/decommission")).status_code == 200
    response = await post_form(
        admin_client, f"/infrastructure/charge-points/{cp_id}/decommission", {}, follow_redirects=False
    )
    assert response.status_code == 303
    cp = await charge_points.get_charge_point(cpo.actor, cp_id)
    assert cp["status"] == "REMOVED" and cp["decommissioned_at"] is not None
    page = await admin_client.get(f"/infrastructure/charge-points/{cp_id}")
    assert "Removed" in page.text and 'data-testid="decommission"' not in page.text
