"""The roaming pages: contract groups, the hub switch, the station tabs Zugang (Access) and Roaming, in the portal."""

from __future__ import annotations

import re

import httpx

from core.infrastructure import charge_points
from core.roaming import contract_groups, marketing
from core.roaming.tables import StationRoaming
from core.roaming.visibility import PartnerKind, PartnerRef, may_see
from tests.integration.infrastructure.conftest import Site
from tests.support import TenantCtx, app_client, login, make_tenant, make_user, post_form


async def test_contract_group_is_created_edited_and_deleted_with_history(
    admin_client: httpx.AsyncClient, cpo: TenantCtx, emp: TenantCtx
) -> None:
    listing = await admin_client.get("/roaming/contract-groups")
    assert listing.status_code == 200 and 'data-testid="no-contract-groups"' in listing.text
    assert 'data-testid="hub-off"' in listing.text
    form = await admin_client.get("/roaming/contract-groups/new")
    assert emp.tenant["name"] in form.text

    bad = await post_form(admin_client, "/roaming/contract-groups", {"name": "", "emp_tenant_ids": ["999999999"]})
    assert bad.status_code == 400
    assert "This field is required." in bad.text and "Choose one of the offered values." in bad.text

    data = {"name": "EMP-Vertragsgruppe", "emp_tenant_ids": [str(emp.id)]}
    created = await post_form(admin_client, "/roaming/contract-groups", data, follow_redirects=False)
    assert created.status_code == 303
    groups = await contract_groups.list_groups(cpo.actor)
    assert [(g["name"], g["members"]) for g in groups] == [("EMP-Vertragsgruppe", [emp.tenant["name"]])]
    group_id = groups[0]["id"]
    again = await post_form(admin_client, "/roaming/contract-groups", data)
    assert again.status_code == 400 and "A contract group with this name exists already." in again.text

    url = f"/roaming/contract-groups/{group_id}"
    saved = await post_form(admin_client, url, {"name": "Partner", "emp_tenant_ids": []}, follow_redirects=False)
    assert saved.status_code == 303
    page = (await admin_client.get(url)).text
    assert 'data-testid="audit-history"' in page and "EMP-Vertragsgruppe" in page and "Partner" in page

    deleted = await post_form(admin_client, f"{url}/delete", {}, follow_redirects=False)
    assert deleted.status_code == 303
    assert await contract_groups.list_groups(cpo.actor) == []
    assert (await admin_client.get(url)).status_code == 404


async def test_another_tenants_contract_group_is_not_found(admin_client: httpx.AsyncClient) -> None:
    other = await make_tenant()
    group = await contract_groups.create_group(other.actor, {"name": "Fremd"})
    assert (await admin_client.get(f"/roaming/contract-groups/{group['id']}")).status_code == 404
    response = await post_form(admin_client, f"/roaming/contract-groups/{group['id']}", {"name": "Meins"})
    assert response.status_code == 404
    assert (await contract_groups.get_group(other.actor, group["id"]))["name"] == "Fremd"


async def test_the_hub_switch_is_saved_and_audited(admin_client: httpx.AsyncClient, cpo: TenantCtx) -> None:
    response = await post_form(admin_client, "/roaming/settings", {"hub_enabled": "on"}, follow_redirects=False)
    assert response.status_code == 303
    assert (await contract_groups.get_settings(cpo.actor))["hub_enabled"] is True
    page = (await admin_client.get("/roaming/settings")).text
    assert re.search(r'name="hub_enabled" value="on"[^>]*checked', page)
    assert 'data-testid="audit-history"' in page and "hub_enabled" in page
    await post_form(admin_client, "/roaming/settings", {})
    assert (await contract_groups.get_settings(cpo.actor))["hub_enabled"] is False


async def test_access_tab_gates_roaming_by_the_checklist_and_links_the_fix(
    admin_client: httpx.AsyncClient, cpo: TenantCtx, site: Site
) -> None:
    station_id = site.station["id"]
    url = f"/roaming/stations/{station_id}/access"
    switches = {"access_type": "PUBLIC_PAID", "show_as_poi": "on", "marketing": "on", "roaming": "on",
                "auth_local_rfid": "on", "auth_remote": "on"}  # fmt: skip
    # A foreign EVSE-ID: roaming stays off, the checklist says why and where to fix it.
    await charge_points.update_charge_point(cpo.actor, site.charge_point["id"], {"evse_id": "DE*ABC*E1*1"})
    tab = (await admin_client.get(url)).text
    assert 'data-check="evse_own_operator" data-ok="no"' in tab
    assert f'href="/infrastructure/stations/{station_id}" data-testid="fix-evse_own_operator"' in tab
    refused = await post_form(admin_client, url, switches)
    assert refused.status_code == 400
    assert "Cannot be switched on while items of the readiness checklist are missing." in refused.text
    assert (await marketing.station_marketing(cpo.actor, station_id))["marketing"].roaming is False

    own = f"{cpo.tenant['country_code']}*{cpo.tenant['party_id']}*E1*1"
    await charge_points.update_charge_point(cpo.actor, site.charge_point["id"], {"evse_id": own})
    saved = await post_form(admin_client, url, {**switches, "platform_name": "  Depot   Nord "}, follow_redirects=False)
    assert saved.status_code == 303 and saved.headers["location"].endswith("?tab=access")
    state = (await marketing.station_marketing(cpo.actor, station_id))["marketing"]
    assert state.roaming and state.marketing and state.platform_name == "Depot Nord"

    # Roaming+ needs the platform name; a too long one is refused next to its field.
    no_name = await post_form(admin_client, url, {**switches, "roaming_plus": "on", "platform_name": ""})
    assert no_name.status_code == 400 and "Roaming+ needs the name on the roaming platform." in no_name.text
    too_long = await post_form(admin_client, url, {**switches, "platform_name": "x" * 101})
    assert too_long.status_code == 400 and 'id="error-platform_name"' in too_long.text
    # Remote authorisation off: the remote_auth item goes missing, Direct Payment is refused.
    refused = await post_form(admin_client, url, {**switches, "auth_remote": "", "direct_payment": "on"})
    assert refused.status_code == 400 and "Direct Payment needs remote authorisation." in refused.text


async def test_roaming_tab_enables_contract_groups_and_the_partner_sees_the_station(
    admin_client: httpx.AsyncClient, cpo: TenantCtx, site: Site, emp: TenantCtx
) -> None:
    station_id = site.station["id"]
    group = await contract_groups.create_group(cpo.actor, {"name": "EMP-Vertragsgruppe", "emp_tenant_ids": [emp.id]})
    foreign = await contract_groups.create_group((await make_tenant()).actor, {"name": "Fremd"})
    await contract_groups.set_hub_enabled(cpo.actor, True)
    await marketing.save_marketing(cpo.actor, station_id, {"access_type": "PUBLIC_PAID", "marketing": "on",
                                                           "roaming": "on", "auth_remote": "on"})  # fmt: skip
    url = f"/roaming/stations/{station_id}/hub"
    tab = (await admin_client.get(url)).text
    assert "EMP-Vertragsgruppe" in tab and "Fremd" not in tab
    refused = await post_form(admin_client, url, {"hub_authorised": "on", "group_ids": [str(foreign["id"])]})
    assert refused.status_code == 400 and "Choose one of the offered values." in refused.text
    partner = PartnerRef(PartnerKind.EMP_TENANT, emp_tenant_id=emp.id)
    assert not await may_see(partner, site.charge_point["id"])

    data = {"hub_authorised": "on", "group_ids": [str(group["id"])]}
    saved = await post_form(admin_client, url, data, follow_redirects=False)
    assert saved.status_code == 303 and saved.headers["location"].endswith("?tab=roaming")
    assert await may_see(partner, site.charge_point["id"])
    sheet = (await admin_client.get(f"/infrastructure/stations/{station_id}?tab=roaming")).text
    assert 'hx-get="/roaming/stations/' in sheet and f"{station_id}/hub" in sheet


async def test_viewers_see_the_tabs_read_only_and_cannot_save(cpo: TenantCtx, site: Site) -> None:
    viewer = await make_user(cpo.id, permissions=["infrastructure.view", "roaming.view"])
    async with app_client() as client:
        await login(client, viewer["email"])
        tab = (await client.get(f"/roaming/stations/{site.station['id']}/access")).text
        assert 'data-testid="save-access"' not in tab and "disabled" in tab and 'method="post"' not in tab
        hub = (await client.get(f"/roaming/stations/{site.station['id']}/hub")).text
        assert 'data-testid="hub-form"' in hub and 'method="post"' not in hub
        refused = await post_form(client, f"/roaming/stations/{site.station['id']}/access", {"access_type": "PRIVATE"})
        assert refused.status_code == 403
        assert (await post_form(client, "/roaming/settings", {"hub_enabled": "on"})).status_code == 403
    # Reading writes nothing: a station keeps no roaming row until its settings are first saved.
    assert await StationRoaming.count().where(StationRoaming.station == site.station["id"]) == 0


async def test_contract_groups_over_the_rest_api(cpo: TenantCtx, emp: TenantCtx) -> None:
    from core.tenancy import api_keys

    key, _row = await api_keys.create_api_key(cpo.id, "roaming", ["roaming.view", "roaming.manage"])
    headers = {"Authorization": f"Bearer {key}"}
    async with app_client() as client:
        created = await client.post("/api/v1/contract-groups", json={"name": "API-Gruppe", "emp_tenant_ids": [emp.id]},
                                    headers=headers)  # fmt: skip
        assert created.status_code == 201, created.text
        group = created.json()
        assert group["name"] == "API-Gruppe" and group["emp_tenant_ids"] == [emp.id]
        listed = (await client.get("/api/v1/contract-groups", headers=headers)).json()
        assert [g["id"] for g in listed] == [group["id"]] and listed[0]["emp_tenant_ids"] == [emp.id]
        url = f"/api/v1/contract-groups/{group['id']}"
        patched = await client.patch(url, json={"emp_tenant_ids": []}, headers=headers)
        assert patched.status_code == 200 and patched.json()["emp_tenant_ids"] == []
        assert patched.json()["name"] == "API-Gruppe"  # PATCH changes only what it names
        wrong = await client.patch(url, json={"emp_tenant_ids": [cpo.id]}, headers=headers)  # a CPO, not an EMP
        assert wrong.status_code == 400 and "emp_tenant_ids" in wrong.text
        assert (await client.delete(url, headers=headers)).status_code == 204
        assert (await client.get(url, headers=headers)).status_code == 404
