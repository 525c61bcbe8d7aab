"""The overview page through the real app: filters, HTMX fragment, remembered preferences, guards."""

from __future__ import annotations

import re

from tests.integration.overview.helpers import add_charge_point
from tests.support import TenantCtx, app_client, login, make_user


def _count(html: str) -> str:
    match = re.search(r'data-testid="result-count">.*?<span class="muted">([^<]+)</span>', html, re.S)
    assert match is not None, html[:2000]
    return match.group(1)


async def test_filters_sort_columns_and_remembered_preferences(cpo: TenantCtx, other_cpo: TenantCtx) -> None:
    berlin = await add_charge_point(cpo, city="Berlin", status="AVAILABLE")
    await add_charge_point(cpo, city="Hamburg", status="CHARGING")
    theirs = await add_charge_point(other_cpo, city="Berlin", status="AVAILABLE")
    async with app_client() as client:
        await login(client, cpo.admin["email"])
        page = await client.get("/infrastructure/overview")
        assert page.status_code == 200
        assert _count(page.text) == "2 Ergebnisse"
        assert theirs["charge_box_id"] not in page.text
        assert f"/infrastructure/stations/{berlin['station_id']}" in page.text
        assert f'data-testid="select-{berlin["id"]}"' in page.text  # the selection's checkboxes

        fragment = await client.get(
            "/infrastructure/overview",
            params={"city": "ber", "status": "available", "col": ["charge_box_id", "city", "vendor"], "sort": "city"},
            headers={"HX-Request": "true"},
        )
        assert fragment.status_code == 200
        assert fragment.text.lstrip().startswith('<div id="results"')  # only the results block
        assert _count(fragment.text) == "1 Ergebnis"
        assert berlin["charge_box_id"] in fragment.text
        assert 'data-column="vendor"' in fragment.text and 'data-column="status"' not in fragment.text

        again = await client.get("/infrastructure/overview")  # no parameters: the last view comes back
        assert _count(again.text) == "1 Ergebnis"
        assert 'name="city" value="ber"' in again.text
        assert 'value="vendor" checked' in again.text

        reset = await client.get("/infrastructure/overview?reset=filters", follow_redirects=True)
        assert _count(reset.text) == "2 Ergebnisse"
        assert 'data-column="vendor"' in reset.text  # columns are kept when filters are reset
        columns = await client.get("/infrastructure/overview?reset=columns", follow_redirects=True)
        assert 'data-column="vendor"' not in columns.text and 'data-column="status"' in columns.text


async def test_paging_and_page_sizes(cpo: TenantCtx) -> None:
    for _ in range(3):
        await add_charge_point(cpo, city="Köln")
    async with app_client() as client:
        await login(client, cpo.admin["email"])
        first = await client.get("/infrastructure/overview", params={"per_page": "25"})
        assert 'data-testid="next-page"' not in first.text
        beyond = await client.get("/infrastructure/overview", params={"page": "99"})
        assert beyond.status_code == 200 and 'data-testid="overview-empty"' in beyond.text


async def test_view_permission_is_required_for_the_page(cpo: TenantCtx) -> None:
    viewer = await make_user(cpo.id, permissions=[])
    async with app_client() as client:
        await login(client, viewer["email"])
        response = await client.get("/infrastructure/overview")
        assert response.status_code == 403
