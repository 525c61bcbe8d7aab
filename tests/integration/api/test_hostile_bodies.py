"""Hostile REST API bodies: deeply nested JSON, integers beyond the columns, control characters in ids. Each is a
400 problem answer naming what is wrong, never a 500, and nothing is stored."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from core.infrastructure.tables import ChargingStation
from tests.integration.api.conftest import json_of
from tests.integration.infrastructure.conftest import Site


def _station(site: Site, **values: Any) -> dict[str, Any]:
    return {"location_id": site.location["id"], "charge_box_id": "HOSTILE-1", **values}


@pytest.mark.parametrize("depth", [40, 1_000, 100_000])
async def test_deeply_nested_body_is_a_400(
    client: httpx.AsyncClient, auth: dict[str, str], site: Site, depth: int
) -> None:
    attributes = '{"a":' * depth + "1" + "}" * depth
    body = json.dumps(_station(site, charge_box_id=f"DEEP-{depth}", attributes="@")).replace('"@"', attributes)
    answer = json_of(
        await client.post("/api/v1/stations", content=body, headers={**auth, "content-type": "application/json"}), 400
    )
    assert answer["status_code"] == 400 and "deeper than 32 levels" in answer["detail"]
    assert not await ChargingStation.exists().where(ChargingStation.charge_box_id == f"DEEP-{depth}")


async def test_nesting_within_the_limit_is_kept(client: httpx.AsyncClient, auth: dict[str, str], site: Site) -> None:
    attributes: Any = 1
    for _ in range(20):
        attributes = {"a": attributes}
    response = await client.post("/api/v1/stations", json=_station(site, attributes=attributes), headers=auth)
    created = json_of(response, 201)
    assert created["attributes"] == attributes


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"location_id": 2**70, "charge_box_id": "BIG-1"}, "location_id"),
        ({"charge_box_id": "CP\x00001"}, "charge_box_id"),
        ({"charge_box_id": "CP-1\u200b"}, "charge_box_id"),
        ({"charge_box_id": "HOSTILE-1", "name": "Halle\x1b[2J"}, "name"),
    ],
)
async def test_values_the_database_cannot_hold_are_field_errors(
    client: httpx.AsyncClient, auth: dict[str, str], site: Site, body: dict[str, Any], field: str
) -> None:
    response = await client.post("/api/v1/stations", json={"location_id": site.location["id"], **body}, headers=auth)
    assert field in json_of(response, 400)["errors"]
    assert await ChargingStation.count().where(ChargingStation.location == site.location["id"]) == 1  # the site's own

