"""The demo data bring the seed's "Demo Tarif", active on every demo charge point; loading twice changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from core.demo import DEMO_SLUG, load_demo
from core.infrastructure.tables import ChargePoint
from core.tariffs import assignments
from core.tariffs.tables import Tariff, TariffAssignment
from core.tenancy.tables import Tenant


async def test_demo_tariff_is_assigned_once() -> None:
    await load_demo()
    await load_demo()
    tenant = await Tenant.select(Tenant.id).where(Tenant.slug == DEMO_SLUG).first()
    assert tenant is not None
    demo_tariffs = await Tariff.select().where(Tariff.tenant == tenant["id"]).order_by(Tariff.id)
    # the demo community's own tariff is no assignment (core.community.demo)
    assert [t["name"] for t in demo_tariffs] == ["Demo Tarif", "Community-Tarif"]
    charge_points = await ChargePoint.select(ChargePoint.id).where(ChargePoint.tenant == tenant["id"])
    assert len(charge_points) == 10
    assert await TariffAssignment.count().where(TariffAssignment.tenant == tenant["id"]) == 10
    snapshot = await assignments.tariff_snapshot_for(charge_points[0]["id"], datetime.now(UTC))
    assert snapshot is not None and snapshot.ac.energy_per_kwh == Decimal("0.4")
