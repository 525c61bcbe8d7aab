"""The advanced overview's selection starts the tariff wizard with the ticked charge points."""

from __future__ import annotations

import httpx

from tests.integration.infrastructure.conftest import Site
from tests.support import post_form


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
