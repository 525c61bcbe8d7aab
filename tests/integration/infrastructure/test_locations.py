"""Location pages: list, create, edit, detail with map and history, decommission."""

from __future__ import annotations

import httpx

from core.infrastructure import locations, stations
from core.infrastructure.tables import Location
from tests.integration.infrastructure.conftest import Site
from tests.support import TenantCtx, csrf_of, post_form

VALID = {
    "name": "Parkhaus Mitte",
    "address": "Marienplatz 8",
    "postal_code": "80331",
    "city": "München",
    "country": "DEU",
    "latitude": "48.1374",
    "longitude": "11.5755",
    "time_zone": "Europe/Berlin",
    "parking_type": "PARKING_GARAGE",
    "parking_restrictions": ["EV_ONLY", "CUSTOMERS"],
    "hotline": "+49 89 1234",
    "publish": "on",
    "oh_weekday": ["1", "6", ""],
    "oh_from": ["08:00", "09:00", ""],
    "oh_to": ["20:00", "14:00", ""],
}


async def test_list_shows_locations_with_station_count(admin_client: httpx.AsyncClient, site: Site) -> None:
    page = await admin_client.get("/infrastructure/locations")
    assert page.status_code == 200
    assert site.location["name"] in page.text
    assert 'data-testid="infra-subnav"' in page.text
    assert "<td>1</td>" in page.text  # one station at the location
    assert 'href="/infrastructure/locations/new"' in page.text


async def test_create_location_redirects_to_detail_with_map_and_history(
    admin_client: httpx.AsyncClient, cpo: TenantCtx
) -> None:
    response = await post_form(admin_client, "/infrastructure/locations", VALID, follow_redirects=False)
    assert response.status_code == 303
    url = response.headers["location"]
    location_id = int(url.rsplit("/", 1)[1])
    row = await Location.select().where(Location.id == location_id).first()
    assert row is not None and row["tenant"] == cpo.id
    assert row["twentyfourseven"] is False  # the unticked box is stored as off
    detail = await admin_client.get(url)
    assert "The location was created." in detail.text
    assert "Parkhaus Mitte" in detail.text
    assert "openstreetmap.org/?mlat=48.137400&amp;mlon=11.575500" in detail.text
    assert "Saturday: 09:00–14:00" in detail.text
    assert "Customers only" in detail.text
    assert 'data-testid="audit-history"' in detail.text
    again = await admin_client.get(url)
    assert "The location was created." not in again.text  # the message is shown once


async def test_create_with_errors_keeps_values_and_marks_fields(admin_client: httpx.AsyncClient) -> None:
    data = {**VALID, "name": "", "latitude": "north", "hotline": "call me", "oh_to": ["25:00", "14:00", ""]}
    response = await post_form(admin_client, "/infrastructure/locations", data)
    assert response.status_code == 400
    text = response.text
    assert "This field is required." in text
    assert "Must be at most 90." in text or "Enter a number." in text
    assert 'value="north"' in text  # what the user typed is kept
    assert 'value="Marienplatz 8"' in text
    assert "Opening hours need weekday 1-7 and times as HH:MM." in text
    assert 'value="EV_ONLY" checked' in text
    assert "Traceback" not in text


async def test_edit_location_can_untick_publish(admin_client: httpx.AsyncClient, site: Site) -> None:
    location_id = site.location["id"]
    form = await admin_client.get(f"/infrastructure/locations/{location_id}/edit")
    assert form.status_code == 200 and 'value="Hauptstr. 1"' in form.text
    data = {**VALID, "name": "Renamed depot"}
    data.pop("publish")
    response = await post_form(admin_client, f"/infrastructure/locations/{location_id}", data, follow_redirects=False)
    assert response.status_code == 303
    row = await Location.select().where(Location.id == location_id).first()
    assert row is not None and row["name"] == "Renamed depot" and row["publish"] is False
    detail = await admin_client.get(f"/infrastructure/locations/{location_id}")
    assert "Renamed depot" in detail.text and "Not published" in detail.text


async def test_edit_with_error_by_htmx_returns_the_form_with_errors(
    admin_client: httpx.AsyncClient, site: Site
) -> None:
    response = await admin_client.post(
        f"/infrastructure/locations/{site.location['id']}",
        data={**VALID, "country": "XX"},
        headers={"x-csrftoken": csrf_of(admin_client), "hx-request": "true"},
    )
    assert response.status_code == 200  # htmx swaps only 2xx answers
    assert "The format is not valid." in response.text or "Choose one of the offered values." in response.text


async def test_decommission_location_asks_first(admin_client: httpx.AsyncClient, site: Site, cpo: TenantCtx) -> None:
    location_id = site.location["id"]
    confirm = await admin_client.get(f"/infrastructure/locations/{location_id}/decommission")
    assert confirm.status_code == 200
    assert 'data-testid="confirm-decommission"' in confirm.text
    response = await post_form(
        admin_client, f"/infrastructure/locations/{location_id}/decommission", {}, follow_redirects=False
    )
    assert response.status_code == 303
    location = await locations.get_location(cpo.actor, location_id)
    assert location["decommissioned_at"] is not None
    station = await stations.get_station(cpo.actor, site.station["id"])
    assert station["decommissioned_at"] is not None
    listing = await admin_client.get("/infrastructure/locations")
    assert site.location["name"] not in listing.text
    assert site.location["name"] in (await admin_client.get("/infrastructure/locations?all=true")).text


async def test_location_without_coordinates_shows_hint_instead_of_map(
    admin_client: httpx.AsyncClient, cpo: TenantCtx
) -> None:
    location = await locations.create_location(
        cpo.actor, {"name": "No map", "address": "A 1", "postal_code": "1010", "city": "Wien", "country": "AUT"}
    )
    page = await admin_client.get(f"/infrastructure/locations/{location['id']}")
    assert "No coordinates recorded yet." in page.text
    assert "openstreetmap.org" not in page.text


async def test_history_names_fields_by_their_form_labels(
    admin_client: httpx.AsyncClient, cpo: TenantCtx, site: Site
) -> None:
    from portal.i18n import current_language
    from portal.templating import build_environment

    location_id = site.location["id"]
    changes = {"twentyfourseven": False, "city": "Köln", "parking_restrictions": ["EV_ONLY", "CUSTOMERS"]}
    await locations.update_location(cpo.actor, location_id, changes)
    detail = await admin_client.get(f"/infrastructure/locations/{location_id}")
    history = detail.text[detail.text.index('data-testid="audit-history"') :]
    assert "Open 24/7</span>: Yes → No" in history and "City</span>: München → Köln" in history
    assert "Electric vehicles only, Customers only" in history and "EV_ONLY" not in history
    assert "twentyfourseven:" not in history and "True" not in history
    assert "State</span>: – → –" not in history  # empty before and after: nothing to show

    env = build_environment()
    token = current_language.set("de")
    try:
        assert env.filters["audit_field"]("twentyfourseven") == "Rund um die Uhr geöffnet (24/7)"
        assert env.filters["audit_value"](True) == "Ja" and env.filters["audit_value"](None) == "–"
        assert env.filters["audit_value"]("2026-10-01T08:00:00+00:00") == "01.10.2026 10:00"
        assert env.filters["audit_field"]("a_new_field") == "a_new_field"
        assert env.filters["audit_value"]("CARDS_ONLY", "kind") == "Nur Ladekarten"
        assert env.filters["audit_value"]("CARDS_ONLY", "name") == "CARDS_ONLY"  # a name is never a code
        # structured values read like the forms: codes by their labels, opening hours one period each
        shown = env.filters["audit_value"]
        assert shown(["EV_ONLY", "PLUGGED"], "parking_restrictions") == "Nur Elektrofahrzeuge, Nur während des Ladens"
        assert shown("PARKING_LOT", "parking_type") == "Parkplatz" and shown("IEC_62196_T2", "standard") == "Typ 2"
        assert shown("DC", "power_type") == "DC" and shown("XYZ", "standard") == "XYZ"  # unknown code: as stored
        hours = [{"weekday": 1, "period_begin": "08:00", "period_end": "18:00"},
                 {"weekday": 6, "period_begin": "09:00", "period_end": "13:00"}]  # fmt: skip
        assert shown(hours, "opening_hours") == "Montag 08:00–18:00, Samstag 09:00–13:00"
        assert shown([], "opening_hours") == "–" and shown([3, 5], "location_ids") == "3, 5"
    finally:
        current_language.reset(token)
