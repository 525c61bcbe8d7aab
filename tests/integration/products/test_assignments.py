"""Products on stations (core.products.assignments) on a real database: Kostenfreigabe, tenant isolation, skipped
stations, ending, the feature check and what a month costs."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from core.errors import Conflict, NotFound, PermissionDenied
from core.infrastructure import charge_points, stations
from core.infrastructure.tables import ChargingStation
from core.months import Month
from core.products import assignments
from core.products.catalogue import Feature, ProductCode, ensure_catalogue, product_by_code
from core.tenancy.permissions import Permission
from tests.integration.infrastructure.conftest import Site
from tests.support import TenantCtx, make_tenant

BERLIN = ZoneInfo("Europe/Berlin")


async def _product(code: ProductCode) -> dict[str, Any]:
    await ensure_catalogue()
    product = await product_by_code(code)
    assert product is not None
    return product


async def test_assigning_needs_cost_approval_and_unlocks_the_products_features(cpo: TenantCtx, site: Site) -> None:
    ac = await _product(ProductCode.EOPERATE_AC)
    station_id = site.station["id"]
    without = dataclasses.replace(cpo.actor, permissions=cpo.actor.permissions - {Permission.COST_APPROVAL})
    with pytest.raises(PermissionDenied):
        await assignments.assign(without, ac["id"], [station_id])
    assert not await assignments.has_feature(station_id, Feature.MARKETING)

    done = await assignments.assign(cpo.actor, ac["id"], [station_id])
    assert [row["station"] for row in done.created] == [station_id] and done.skipped == []
    assert done.created[0]["monthly_net_cents"] == ac["monthly_net_cents"]
    assert await assignments.has_feature(station_id, Feature.MARKETING)
    assert await assignments.has_feature(station_id, Feature.ROAMING)
    assert not await assignments.has_feature(station_id, Feature.SUPPORT_360)

    again = await assignments.assign(cpo.actor, ac["id"], [station_id])  # a second time bills nothing twice
    assert again.created == [] and [s.reason.msgid for s in again.skipped] == ["The station already has this product."]

    history = await assignments.station_assignments(cpo.actor, station_id)
    assert [row["product_code"] for row in history] == [ProductCode.EOPERATE_AC]
    ended = await assignments.end(cpo.actor, history[0]["id"])
    assert ended["ends_at"] is not None
    assert not await assignments.has_feature(station_id, Feature.MARKETING)
    with pytest.raises(Conflict):
        await assignments.end(cpo.actor, history[0]["id"])


async def test_a_dc_product_skips_an_ac_station_and_another_tenants_station_is_not_found(
    cpo: TenantCtx, site: Site, foreign_site: Site
) -> None:
    dc = await _product(ProductCode.EOPERATE_DC)
    done = await assignments.assign(cpo.actor, dc["id"], [site.station["id"], foreign_site.station["id"]])
    assert done.created == []
    reasons = {s.station_id: s.reason.msgid for s in done.skipped}
    assert reasons == {site.station["id"]: "The product is for %(kind)s stations.",
                       foreign_site.station["id"]: "Station not found."}  # fmt: skip
    support = await _product(ProductCode.SUPPORT_360)
    await assignments.assign(cpo.actor, support["id"], [site.station["id"]])
    history = await assignments.station_assignments(cpo.actor, site.station["id"])
    stranger = await make_tenant()
    with pytest.raises(NotFound):  # another tenant cannot end it
        await assignments.end(stranger.actor, history[0]["id"])
    assert await assignments.station_assignments(stranger.actor, site.station["id"]) == []


async def test_a_dc_station_takes_the_dc_product_and_a_decommissioned_one_takes_none(
    cpo: TenantCtx, site: Site
) -> None:
    dc = await _product(ProductCode.EOPERATE_DC)
    await charge_points.update_connector(
        cpo.actor, site.connector["id"], {"power_type": "DC", "standard": "IEC_62196_T2_COMBO"}
    )
    done = await assignments.assign(cpo.actor, dc["id"], [site.station["id"]])
    assert len(done.created) == 1
    await stations.decommission_station(cpo.actor, site.station["id"])
    support = await _product(ProductCode.SUPPORT_360)
    refused = await assignments.assign(cpo.actor, support["id"], [site.station["id"]])
    assert [s.reason.msgid for s in refused.skipped] == ["The station is decommissioned."]


async def test_month_lines_follow_each_products_rule(cpo: TenantCtx, site: Site) -> None:
    ac, support = await _product(ProductCode.EOPERATE_AC), await _product(ProductCode.SUPPORT_360)
    started = datetime(2026, 4, 16, 10, 0, tzinfo=UTC)  # 16 April: 15 of April's 30 days
    await assignments.assign(cpo.actor, ac["id"], [site.station["id"]], at=started)
    await assignments.assign(cpo.actor, support["id"], [site.station["id"]], at=datetime(2026, 4, 29, 9, tzinfo=UTC))
    history = await assignments.station_assignments(cpo.actor, site.station["id"])
    support_row = next(row for row in history if row["product_code"] == ProductCode.SUPPORT_360)
    await assignments.end(cpo.actor, support_row["id"], at=datetime(2026, 6, 3, 9, tzinfo=UTC))

    april = {line.product_code: line for line in await assignments.month_lines(cpo.id, Month(2026, 4), BERLIN)}
    assert april[ProductCode.EOPERATE_AC].charge.days == 15
    assert april[ProductCode.EOPERATE_AC].charge.net_cents == round(ac["monthly_net_cents"] / 2)
    assert april[ProductCode.SUPPORT_360].charge.net_cents == support["monthly_net_cents"]  # activation month: full
    may = {
        line.product_code: line.charge.net_cents
        for line in await assignments.month_lines(cpo.id, Month(2026, 5), BERLIN)
    }
    assert may == {
        ProductCode.EOPERATE_AC: ac["monthly_net_cents"],
        ProductCode.SUPPORT_360: support["monthly_net_cents"],
    }
    june = {line.product_code for line in await assignments.month_lines(cpo.id, Month(2026, 6), BERLIN)}
    assert june == {ProductCode.EOPERATE_AC}  # the deactivation month of 360.SUPPORT is not billed
    assert await assignments.month_lines(cpo.id, Month(2026, 3), BERLIN) == []


async def test_a_decommissioned_station_is_billed_nothing_after(cpo: TenantCtx, site: Site) -> None:
    ac, support = await _product(ProductCode.EOPERATE_AC), await _product(ProductCode.SUPPORT_360)
    await assignments.assign(cpo.actor, ac["id"], [site.station["id"]], at=datetime(2025, 1, 5, 9, tzinfo=UTC))
    await assignments.assign(cpo.actor, support["id"], [site.station["id"]], at=datetime(2025, 1, 5, 9, tzinfo=UTC))
    await stations.decommission_station(cpo.actor, site.station["id"])  # nobody ended its products
    await ChargingStation.update({ChargingStation.decommissioned_at: datetime(2025, 3, 16, 9, tzinfo=UTC)}).where(
        ChargingStation.id == site.station["id"]
    )  # on 16 March 2025
    march = {line.product_code: line.charge for line in await assignments.month_lines(cpo.id, Month(2025, 3), BERLIN)}
    assert march[ProductCode.EOPERATE_AC].days == 15  # 1 to 15 March
    assert ProductCode.SUPPORT_360 not in march  # as its deactivation month
    assert await assignments.month_lines(cpo.id, Month(2025, 4), BERLIN) == []
