"""The advanced overview's selection starts the tariff wizard with the ticked charge points."""

from __future__ import annotations

import httpx

from tests.integration.infrastructure.conftest import Site, make_site
from tests.support import TenantCtx, csrf_of, post_form

SELECTION = "/infrastructure/overview/selection"


async def test_overview_offers_tariff_assignment_for_the_selection(site: Site, admin_client: httpx.AsyncClient) -> None:
    overview = await admin_client.get("/infrastructure/overview")
    assert overview.status_code == 200
    assert 'formaction="/tariffs/assign/tariff"' in overview.text
    assert 'data-testid="bulk-assign-tariff"' in overview.text
    cp = site.charge_point["id"]
    # What the selection form posts when the button is pressed: its checkboxes plus the button's name/value.
    step2 = await post_form(admin_client, "/tariffs/assign/tariff", {"mode": "points", "charge_point_ids": [str(cp)]})
    assert step2.status_code == 200
    assert f'value="{cp}"' in step2.text


async def test_the_selection_is_kept_on_the_server_per_tenant_and_feeds_the_wizard(
    site: Site, admin_client: httpx.AsyncClient, other_cpo: TenantCtx, unique: str
) -> None:
    cp = site.charge_point["id"]
    foreign = (await make_site(other_cpo, unique + "x")).charge_point["id"]
    hx = {"HX-Request": "true", "x-csrftoken": csrf_of(admin_client)}
    for chosen in (cp, foreign):  # another tenant's id is never stored
        ticked = await admin_client.post(SELECTION, data={"charge_point_id": str(chosen), "enabled": "on"}, headers=hx)
        assert ticked.status_code == 200
    assert "1 charge point selected" in ticked.text
    step2 = await post_form(admin_client, "/tariffs/assign/tariff", {"mode": "points", "selection": "overview"})
    assert "1 charge point chosen." in step2.text and f'value="{cp}"' in step2.text
    page = await admin_client.get("/infrastructure/overview")
    assert f'data-testid="select-{cp}"' in page.text and "1 charge point selected" in page.text
    cleared = await post_form(admin_client, SELECTION, {"selection_action": "clear"}, follow_redirects=True)
    assert "0 charge points selected" in cleared.text
    unticked = await post_form(admin_client, "/tariffs/assign/tariff", {"mode": "points", "selection": "overview"})
    assert "Choose at least one charge point." in unticked.text
