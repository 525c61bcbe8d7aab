"""Fixtures of the roaming tests: a CPO site ready for roaming and an EMP tenant."""

from __future__ import annotations

import pytest

from core.infrastructure import charge_points
from tests.integration.infrastructure.conftest import Site, make_site
from tests.support import TenantCtx, assign_eoperate, make_tenant


async def ready_site(ctx: TenantCtx, suffix: str) -> Site:
    """A site whose readiness checklist is complete: EVSE-ID of the tenant's own operator id, remote auth; and the
    station holds eOperate professional AC, which marketing and roaming need."""
    site = await make_site(ctx, suffix)
    evse_id = f"{ctx.tenant['country_code']}*{ctx.tenant['party_id']}*E{suffix.upper()}*1"
    cp = await charge_points.update_charge_point(ctx.actor, site.charge_point["id"], {"evse_id": evse_id})
    await assign_eoperate(ctx.actor, site.station["id"])
    return Site(site.location, site.station, cp, site.connector)


@pytest.fixture
async def site(cpo: TenantCtx, unique: str) -> Site:
    return await ready_site(cpo, unique)


@pytest.fixture
async def emp() -> TenantCtx:
    return await make_tenant(kind="EMP")
