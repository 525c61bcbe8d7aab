"""REST API: a location's load management (``/api/v1/locations/{id}/load-management``): the settings with the
portal form's rules and audit history, the live allocation, errors by attribute, and another tenant's location
not found."""

from __future__ import annotations

from decimal import Decimal

import httpx

from core.load_management import service
from core.load_management.allocation import kw_to_amperes
from core.load_management.tables import LoadLimit
from core.tenancy import audit
from tests.integration.api.conftest import json_of
from tests.integration.infrastructure.conftest import Site
from tests.support import TenantCtx


def _url(site: Site) -> str:
    return f"/api/v1/locations/{site.location['id']}/load-management"


async def test_the_defaults_until_saved_and_each_charge_point_listed(
    client: httpx.AsyncClient, auth: dict[str, str], site: Site
) -> None:
    body = json_of(await client.get(_url(site), headers=auth))
    assert (body["location_id"], body["enabled"], body["limit_unit"], body["phases"]) == (
        site.location["id"], False, "A", 3
    )  # fmt: skip
    assert (Decimal(body["limit_value"]), Decimal(body["min_current_a"])) == (Decimal(32), Decimal(6))
    assert Decimal(body["limit_a"]) == Decimal(32) and body["computed_at"] is None
    [share] = body["evses"]
    assert (share["evse"], share["station_id"], share["charge_box_id"]) == (
        site.charge_point["id"], site.station["id"], site.station["charge_box_id"]
    )  # fmt: skip
    assert (share["connected"], share["state"], share["target_a"]) == (False, None, None)  # never computed
    assert await LoadLimit.count().where(LoadLimit.location == site.location["id"]) == 0  # a read writes nothing


async def test_a_patch_changes_only_what_it_sends_and_recomputes(
    client: httpx.AsyncClient, auth: dict[str, str], site: Site, cpo: TenantCtx
) -> None:
    body = json_of(await client.patch(_url(site), json={"enabled": True, "limit_value": "40"}, headers=auth))
    assert (body["enabled"], Decimal(body["limit_value"]), body["phases"]) == (True, Decimal(40), 3)
    assert Decimal(body["min_current_a"]) == Decimal(6)  # not sent: kept
    await service.idle()  # the recomputation the change started (this process serves the API)
    body = json_of(await client.get(_url(site), headers=auth))
    [share] = body["evses"]
    assert share["state"] == "offline" and body["computed_at"] is not None  # the station is not connected

    body = json_of(await client.patch(_url(site), json={"limit_unit": "kW", "limit_value": 22}, headers=auth))
    assert (body["limit_unit"], Decimal(body["limit_value"]), body["enabled"]) == ("kW", Decimal(22), True)
    assert Decimal(body["limit_a"]) == kw_to_amperes(Decimal(22), 3)
    history = await audit.history(cpo.actor, "location", site.location["id"])
    assert any(entry["action"] == "load_management" for entry in history)

    body = json_of(await client.patch(_url(site), json={"enabled": False}, headers=auth))
    assert body["enabled"] is False and Decimal(body["limit_value"]) == Decimal(22)
    await service.idle()


async def test_invalid_settings_answer_400_by_attribute_and_change_nothing(
    client: httpx.AsyncClient, auth: dict[str, str], site: Site
) -> None:
    json_of(await client.patch(_url(site), json={"limit_value": "25"}, headers=auth))
    cases = [
        ({"limit_value": 5000}, "limit_value"),  # more than 2000 A per phase
        ({"limit_value": "12.34"}, "limit_value"),  # one decimal place
        ({"limit_value": None}, "limit_value"),  # required: null does not clear it
        ({"phases": 2}, "phases"),
        ({"limit_unit": "W"}, "limit_unit"),
        ({"min_current_a": 81}, "min_current_a"),
        ({"enabled": True, "limit_value": 10, "min_current_a": 16}, "limit_value"),  # not even one at its minimum
        ({"limt_value": 30}, "limt_value"),  # a typo is never ignored
    ]
    for sent, attribute in cases:
        answer = await client.patch(_url(site), json=sent, headers=auth)
        assert answer.status_code == 400 and attribute in answer.json()["errors"], (sent, answer.text)
    body = json_of(await client.get(_url(site), headers=auth))
    assert (body["enabled"], Decimal(body["limit_value"]), Decimal(body["min_current_a"])) == (
        False, Decimal(25), Decimal(6)
    )  # fmt: skip


async def test_another_tenants_location_is_not_found(
    client: httpx.AsyncClient, auth: dict[str, str], foreign_site: Site
) -> None:
    assert (await client.get(_url(foreign_site), headers=auth)).status_code == 404
    answer = await client.patch(_url(foreign_site), json={"limit_value": 10}, headers=auth)
    assert answer.status_code == 404
    assert await LoadLimit.count().where(LoadLimit.location == foreign_site.location["id"]) == 0
