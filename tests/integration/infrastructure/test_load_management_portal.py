"""Load management in the portal: the settings on the location's edit page (with field errors), the allocation card
on the location page and its live fragment, the history entry, and another tenant's location."""

from __future__ import annotations

from decimal import Decimal

import httpx

from core.load_management import service
from core.load_management.tables import LoadAllocation, LoadLimit
from tests.integration.infrastructure.conftest import Site
from tests.support import post_form

VALID = {"enabled": "on", "limit_value": "22", "limit_unit": "kW", "phases": "3", "min_current_a": "6"}


async def test_settings_are_saved_and_the_page_shows_the_allocation(
    admin_client: httpx.AsyncClient, site: Site
) -> None:
    location_id = site.location["id"]
    edit = await admin_client.get(f"/infrastructure/locations/{location_id}/edit")
    assert 'data-testid="load-form"' in edit.text and "Grid connection limit" in edit.text
    before = await admin_client.get(f"/infrastructure/locations/{location_id}")
    assert 'data-testid="load-off"' in before.text

    url = f"/infrastructure/locations/{location_id}/load-management"
    response = await post_form(admin_client, url, VALID, follow_redirects=False)
    assert response.status_code == 303
    await service.idle()
    row = await LoadLimit.select().where(LoadLimit.location == location_id).first()
    assert row is not None and row["enabled"] and row["limit_unit"] == "kW" and row["limit_value"] == Decimal("22")
    # The station is not connected: its charge point counts at the minimum it may draw, its last profile unknown.
    allocation = await LoadAllocation.select().where(LoadAllocation.charge_point == site.charge_point["id"]).first()
    assert allocation is not None and allocation["state"] == "offline" and allocation["counted_a"] == Decimal(6)

    page = await admin_client.get(f"/infrastructure/locations/{location_id}")
    assert 'data-testid="load-allocation"' in page.text
    assert "22.0 kW (31.8 A per phase)" in page.text or "22 kW (31.8 A per phase)" in page.text
    assert "6.0 of 31.8 A per phase" in page.text
    assert "Load management changed" in page.text  # the history
    fragment = await admin_client.get(url)
    assert fragment.status_code == 200
    assert 'data-poll="3000"' in fragment.text and "<html" not in fragment.text

    german = await admin_client.get(url, headers={"accept-language": "de"})
    assert german.status_code == 200


async def test_bad_input_gets_field_errors_and_keeps_what_was_typed(
    admin_client: httpx.AsyncClient, site: Site
) -> None:
    url = f"/infrastructure/locations/{site.location['id']}/load-management"
    bad = {**VALID, "limit_value": "abc", "limit_unit": "MW", "min_current_a": "-1"}
    response = await post_form(admin_client, url, bad)
    assert response.status_code == 400
    assert "Please correct the marked fields." in response.text
    assert 'value="abc"' in response.text
    assert response.text.count('class="field has-error"') >= 3
    tiny = await post_form(admin_client, url, {**VALID, "limit_value": "1", "limit_unit": "A"})
    assert tiny.status_code == 400
    assert "The limit does not hold even one charge point at its minimum current." in tiny.text
    assert await LoadLimit.count().where(LoadLimit.location == site.location["id"]) == 0


async def test_another_tenants_location_is_not_found(admin_client: httpx.AsyncClient, foreign_site: Site) -> None:
    url = f"/infrastructure/locations/{foreign_site.location['id']}/load-management"
    assert (await admin_client.get(url)).status_code == 404
    assert (await post_form(admin_client, url, VALID)).status_code == 404
    assert await LoadLimit.count().where(LoadLimit.location == foreign_site.location["id"]) == 0
