"""Fixtures of the infrastructure portal tests: a logged-in client and a small installation per tenant."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from core.infrastructure import charge_points, locations, stations
from tests.support import TenantCtx


@dataclass
class Site:
    location: dict[str, Any]
    station: dict[str, Any]
    charge_point: dict[str, Any]
    connector: dict[str, Any]


async def make_site(ctx: TenantCtx, suffix: str) -> Site:
    actor = ctx.actor
    location = await locations.create_location(
        actor,
        {"name": f"Depot {suffix}", "address": "Hauptstr. 1", "postal_code": "80331", "city": "München",
         "country": "DEU", "latitude": "48.137154", "longitude": "11.576124", "hotline": "+49 89 123456"},
    )  # fmt: skip
    station, _ = await stations.create_station(
        actor, {"location_id": location["id"], "charge_box_id": f"CB-{suffix}", "vendor": "ABB", "model": "Terra"}
    )
    cp = await charge_points.create_charge_point(actor, {"station_id": station["id"], "evse_number": 1})
    connectors = await charge_points.list_connectors(actor, cp["id"])
    return Site(location, station, cp, connectors[0])


@pytest.fixture
async def site(cpo: TenantCtx, unique: str) -> Site:
    return await make_site(cpo, unique)


@pytest.fixture
async def foreign_site(other_cpo: TenantCtx, unique: str) -> Site:
    return await make_site(other_cpo, "X" + unique)

