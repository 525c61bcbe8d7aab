"""Station pages: list, create (password once), edit, data sheet tabs, clone, change operator, decommission."""

from __future__ import annotations

import re

import httpx
import pytest

from core.errors import NotFound
from core.infrastructure import charge_points, station_sheet, stations
from core.infrastructure.tables import ChargeGroup, ChargeGroupMember, ChargingStation
from core.tenancy import logins
from core.tenancy.passwords import verify_password
from tests.integration.infrastructure.conftest import Site, make_site
from tests.support import TenantCtx, app_client, csrf_of, login, make_tenant, post_form


def _station_form(location_id: int, charge_box_id: str, **extra: str) -> dict[str, str | list[str]]:
    return {
        "location_id": str(location_id),
        "charge_box_id": charge_box_id,
        "name": "Wallbox Nord",
        "vendor": "Alfen",
        "model": "Eve Double",
        "ocpp_version": "1.6",
        "installation_status": "INSTALLED",
        "access_type": "PUBLIC_PAID",
        "show_as_poi": "on",
        "products": ["360.SUPPORT"],
        **extra,
    }


async def _hash_of(station_id: int) -> str:
    row = await ChargingStation.select(ChargingStation.ocpp_password_hash).where(ChargingStation.id == station_id)
    return str(row[0]["ocpp_password_hash"])


async def test_list_shows_station_columns(admin_client: httpx.AsyncClient, site: Site) -> None:
    page = await admin_client.get("/infrastructure/stations")
    assert page.status_code == 200
    for text in (site.station["charge_box_id"], site.location["name"], "ABB Terra", "Offline", "Planned"):
        assert text in page.text


async def test_create_station_shows_password_once_with_connection_url(
    admin_client: httpx.AsyncClient, site: Site, unique: str
) -> None:
    form = await admin_client.get(f"/infrastructure/stations/new?location_id={site.location['id']}")
    assert form.status_code == 200 and f'value="{site.location["id"]}" selected' in form.text
    response = await post_form(
        admin_client, "/infrastructure/stations", _station_form(site.location["id"], f"NEW-{unique}"),
        follow_redirects=False,
    )  # fmt: skip
    assert response.status_code == 303
    detail = await admin_client.get(response.headers["location"])
    assert f"ws://testserver.local/ocpp/NEW-{unique}" in detail.text  # the address the portal was opened at
    password = re.search(r'data-testid="station-password">([^<]+)<', detail.text)
    assert password is not None
    station_id = int(response.headers["location"].rsplit("/", 1)[1])
    assert verify_password(await _hash_of(station_id), password.group(1))
    again = await admin_client.get(response.headers["location"])
    assert password.group(1) not in again.text
    assert 'data-testid="station-password"' not in again.text


async def test_duplicate_charge_box_id_is_a_field_error_with_kept_values(
    admin_client: httpx.AsyncClient, site: Site
) -> None:
    data = _station_form(site.location["id"], site.station["charge_box_id"], ocpp_password="short")
    response = await post_form(admin_client, "/infrastructure/stations", data)
    assert response.status_code == 400
    assert "The station password must have 16 to 40 characters." in response.text
    assert 'value="Eve Double"' in response.text
    assert "short" not in response.text  # a typed password is never echoed
    data["ocpp_password"] = ""
    response = await post_form(admin_client, "/infrastructure/stations", data)
    assert response.status_code == 400
    assert "A station with this charge box id exists." in response.text
    assert f'value="{site.station["charge_box_id"]}"' in response.text


async def test_edit_station(admin_client: httpx.AsyncClient, site: Site, cpo: TenantCtx) -> None:
    station_id = site.station["id"]
    form = await admin_client.get(f"/infrastructure/stations/{station_id}/edit")
    assert 'value="Terra"' in form.text
    data = _station_form(site.location["id"], site.station["charge_box_id"], firmware_version="2.4.1")
    data.pop("show_as_poi")
    response = await post_form(admin_client, f"/infrastructure/stations/{station_id}", data, follow_redirects=False)
    assert response.status_code == 303
    station = await stations.get_station(cpo.actor, station_id)
    assert station["firmware_version"] == "2.4.1" and station["show_as_poi"] is False
    bad = await post_form(admin_client, f"/infrastructure/stations/{station_id}", {**data, "charge_box_id": "bad id!"})
    assert bad.status_code == 400 and "The format is not valid." in bad.text and 'value="bad id!"' in bad.text


async def test_data_sheet_tabs_and_deep_link(admin_client: httpx.AsyncClient, site: Site) -> None:
    station_id = site.station["id"]
    sheet = await admin_client.get(f"/infrastructure/stations/{station_id}?tab=ocpp")
    assert sheet.status_code == 200
    for label in ("Info", "Address", "Map", "Access", "Assignments", "Device details", "Attributes"):
        assert f">{label}</a>" in sheet.text
    assert f'hx-get="/infrastructure/stations/{station_id}/tab/ocpp" hx-trigger="load"' in sheet.text
    assert 'data-tab="ocpp" class="active"' in sheet.text
    assert f'href="/infrastructure/charge-points/{site.charge_point["id"]}"' in sheet.text
    assert "Add charge point" in sheet.text and 'data-testid="audit-history"' in sheet.text
    base = f"/infrastructure/stations/{station_id}/tab"
    assert "München" in (await admin_client.get(f"{base}/address")).text
    # A tab served by another area's controller is not this route's: a clean 404, never a missing template.
    assert (await admin_client.get(f"{base}/ocpp_log")).status_code == 404
    assert (await admin_client.get(f"{base}/no-such-tab")).status_code == 404
    assert "openstreetmap.org" in (await admin_client.get(f"{base}/map")).text
    device = await admin_client.get(f"{base}/device")
    assert "ABB" in device.text and "Terra" in device.text
    ocpp = await admin_client.get(f"{base}/ocpp")
    assert f"ws://testserver.local/ocpp/{site.station['charge_box_id']}" in ocpp.text
    assert "Profile 2" in ocpp.text and ">Set<" in ocpp.text
    assignments = await admin_client.get(f"{base}/assignments")
    assert site.location["name"] in assignments.text and "In no charge group" in assignments.text
    assert (await admin_client.get(f"{base}/nonsense")).status_code == 404


async def test_access_tab_ticks_the_marketing_checklist(
    admin_client: httpx.AsyncClient, site: Site, cpo: TenantCtx, unique: str
) -> None:
    url = f"/roaming/stations/{site.station['id']}/access"  # the roaming area serves the tab
    before = await admin_client.get(url)
    assert 'data-check="evse_id" data-ok="no"' in before.text  # the charge point has no EVSE-ID yet
    assert 'data-check="coordinates" data-ok="yes"' in before.text
    assert 'data-check="connectors" data-ok="yes"' in before.text
    await charge_points.update_charge_point(
        cpo.actor, site.charge_point["id"], {"evse_id": f"DE*ISE*E{unique.upper()}*1"}
    )
    after = await admin_client.get(url)
    assert 'data-check="evse_id" data-ok="yes"' in after.text


async def test_attributes_are_edited_on_their_tab(admin_client: httpx.AsyncClient, site: Site, cpo: TenantCtx) -> None:
    url = f"/infrastructure/stations/{site.station['id']}/attributes"
    data = {"attr_key": ["cable", "note", ""], "attr_value": ["fixed", "gate code 1234", ""]}
    response = await post_form(admin_client, url, data, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].endswith("?tab=attributes")
    tab = await admin_client.get(f"/infrastructure/stations/{site.station['id']}/tab/attributes")
    assert 'value="gate code 1234"' in tab.text
    duplicate = await post_form(admin_client, url, {"attr_key": ["a", "a"], "attr_value": ["1", "2"]})
    assert duplicate.status_code == 400 and "The key a appears twice." in duplicate.text
    assert 'value="2"' in duplicate.text


async def test_reset_password_shows_it_once(admin_client: httpx.AsyncClient, site: Site) -> None:
    station_id = site.station["id"]
    old_hash = await _hash_of(station_id)
    fragment = await admin_client.post(
        f"/infrastructure/stations/{station_id}/password",
        headers={"x-csrftoken": csrf_of(admin_client), "hx-request": "true"},
    )
    assert fragment.status_code == 200 and "<html" not in fragment.text
    password = re.search(r'data-testid="station-password">([^<]+)<', fragment.text)
    assert password is not None and verify_password(await _hash_of(station_id), password.group(1))
    assert old_hash != await _hash_of(station_id)
    plain = await post_form(admin_client, f"/infrastructure/stations/{station_id}/password", {}, follow_redirects=False)
    assert plain.status_code == 303 and plain.headers["location"].endswith("?tab=ocpp")
    sheet = await admin_client.get(plain.headers["location"])
    assert "A new OCPP password was generated." in sheet.text and 'data-testid="station-password"' in sheet.text


async def test_clone_station(admin_client: httpx.AsyncClient, site: Site, cpo: TenantCtx, unique: str) -> None:
    station_id = site.station["id"]
    assert (await admin_client.get(f"/infrastructure/stations/{station_id}/clone")).status_code == 200
    taken = await post_form(
        admin_client, f"/infrastructure/stations/{station_id}/clone", {"charge_box_id": site.station["charge_box_id"]}
    )
    assert taken.status_code == 400 and "A station with this charge box id exists." in taken.text
    response = await post_form(
        admin_client, f"/infrastructure/stations/{station_id}/clone", {"charge_box_id": f"CLONE-{unique}"},
        follow_redirects=False,
    )  # fmt: skip
    assert response.status_code == 303
    copy_id = int(response.headers["location"].rsplit("/", 1)[1])
    sheet = await admin_client.get(response.headers["location"])
    assert "The station was cloned." in sheet.text and 'data-testid="station-password"' in sheet.text
    assert len(await charge_points.list_charge_points(cpo.actor, station_id=copy_id)) == 1


async def test_decommission_station(admin_client: httpx.AsyncClient, site: Site, cpo: TenantCtx) -> None:
    station_id = site.station["id"]
    confirm = await admin_client.get(f"/infrastructure/stations/{station_id}/decommission")
    assert "Charge points affected: <strong>1</strong>" in confirm.text
    response = await post_form(
        admin_client, f"/infrastructure/stations/{station_id}/decommission", {}, follow_redirects=False
    )
    assert response.status_code == 303
    station = await stations.get_station(cpo.actor, station_id)
    assert station["installation_status"] == "DECOMMISSIONED"
    sheet = await admin_client.get(f"/infrastructure/stations/{station_id}")
    assert 'data-testid="edit"' not in sheet.text


async def test_change_operator_only_offered_to_a_reseller_with_a_sub_cpo(
    admin_client: httpx.AsyncClient, site: Site, unique: str
) -> None:
    sheet = await admin_client.get(f"/infrastructure/stations/{site.station['id']}")
    assert 'data-testid="change-operator"' not in sheet.text  # a plain CPO has no other operator
    refused = await post_form(
        admin_client, f"/infrastructure/stations/{site.station['id']}/operator", {"tenant_id": "1"}
    )
    assert refused.status_code == 400 and "Choose one of the offered values." in refused.text

    reseller = await make_tenant(kind="RESELLER")
    sub = await make_tenant(parent_id=reseller.id)
    other = await make_tenant()
    own = await make_site(reseller, "R" + unique)
    async with app_client() as client:
        await login(client, reseller.admin["email"])
        await post_form(client, "/lang", {"language": "en", "next": "/"})
        sheet = await client.get(f"/infrastructure/stations/{own.station['id']}")
        assert 'data-testid="change-operator"' in sheet.text
        form = await client.get(f"/infrastructure/stations/{own.station['id']}/operator")
        assert sub.tenant["name"] in form.text and other.tenant["name"] not in form.text
        foreign = await post_form(
            client, f"/infrastructure/stations/{own.station['id']}/operator", {"tenant_id": str(other.id)}
        )
        assert foreign.status_code == 400 and "Choose one of the offered values." in foreign.text
        moved = await post_form(
            client, f"/infrastructure/stations/{own.station['id']}/operator", {"tenant_id": str(sub.id)},
            follow_redirects=False,
        )  # fmt: skip
        assert moved.status_code == 303
        station = await stations.get_station(await logins.actor_for_user(reseller.admin), own.station["id"])
        assert station["tenant"] == sub.id
        after = await client.get(f"/infrastructure/stations/{own.station['id']}")
        assert after.status_code == 200 and "The station was moved to the other operator." in after.text
        # The reseller still sees the station of its sub-CPO.
        assert own.station["charge_box_id"] in (await client.get("/infrastructure/stations")).text


async def test_assignments_tab_lists_the_charge_groups_of_the_station(
    admin_client: httpx.AsyncClient, site: Site, cpo: TenantCtx, other_cpo: TenantCtx
) -> None:
    group = ChargeGroup(tenant=cpo.id, name="Mitarbeiter Parkhaus")
    await group.save()
    await ChargeGroupMember(group=group.id, charge_point=site.charge_point["id"]).save()
    groups = await station_sheet.station_charge_groups(cpo.actor, site.station["id"])
    assert [g["name"] for g in groups] == ["Mitarbeiter Parkhaus"]
    tab = await admin_client.get(f"/infrastructure/stations/{site.station['id']}/tab/assignments")
    assert "Mitarbeiter Parkhaus" in tab.text and "In no charge group" not in tab.text
    with pytest.raises(NotFound):
        await station_sheet.station_charge_groups(other_cpo.actor, site.station["id"])


async def test_code_labels_follow_the_language_of_each_request(admin_client: httpx.AsyncClient, site: Site) -> None:
    english = await admin_client.get("/infrastructure/stations")
    assert ">Planned<" in english.text
    await post_form(admin_client, "/lang", {"language": "de", "next": "/"})
    german = await admin_client.get("/infrastructure/stations")
    assert ">Geplant<" in german.text and ">Planned<" not in german.text
    assert "Ladestationen" in german.text
