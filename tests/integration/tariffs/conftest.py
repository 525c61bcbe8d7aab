"""Fixtures of the tariff tests: a small installation per tenant and a logged-in portal client."""

from __future__ import annotations

from typing import Any

import pytest

from core.infrastructure import charge_points
from core.tariffs import tariffs
from tests.integration.infrastructure.conftest import Site, make_site
from tests.support import TenantCtx

SEED_PRICES = {
    "name": "Demo Tarif",
    "currency": "EUR",
    "ac_energy_per_kwh": "0,4000",
    "ac_time_per_minute": "0,0200",
    "ac_time_from_minute": "60",
    "dc_energy_per_kwh": "0,5000",
    "dc_time_per_minute": "0,0200",
    "dc_time_from_minute": "60",
}


def prices(**changes: Any) -> dict[str, Any]:
    return {**SEED_PRICES, **changes}


async def add_charge_point(ctx: TenantCtx, site: Site, number: int) -> dict[str, Any]:
    raw = {"station_id": site.station["id"], "evse_number": number}
    return await charge_points.create_charge_point(ctx.actor, raw)


@pytest.fixture
async def site(cpo: TenantCtx, unique: str) -> Site:
    return await make_site(cpo, unique)


@pytest.fixture
async def foreign_site(other_cpo: TenantCtx, unique: str) -> Site:
    return await make_site(other_cpo, "X" + unique)


@pytest.fixture
async def tariff(cpo: TenantCtx) -> dict[str, Any]:
    return await tariffs.create_tariff(cpo.actor, prices())

