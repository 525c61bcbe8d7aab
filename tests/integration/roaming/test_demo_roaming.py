"""The demo data show the roaming feature: hub on, "EMP-Vertragsgruppe" with the demo EMP, three stations on."""

from __future__ import annotations

from core.demo import DEMO_SLUG, load_demo
from core.infrastructure.tables import ChargingStation
from core.roaming import contract_groups
from core.roaming.visibility import PartnerKind, PartnerRef, visible_charge_points
from core.tenancy.actor import system_actor
from core.tenancy.tables import Tenant


async def test_demo_emp_sees_the_demo_stations_switched_on_for_roaming() -> None:
    await load_demo()
    await load_demo()  # the second load adds nothing
    demo = await Tenant.select(Tenant.id).where(Tenant.slug == DEMO_SLUG).first()
    emp = await Tenant.select(Tenant.id).where(Tenant.slug == "demo-emp").first()
    assert demo is not None and emp is not None
    actor = system_actor(demo["id"])
    groups = await contract_groups.list_groups(actor)
    assert [(g["name"], g["members"]) for g in groups] == [("EMP-Vertragsgruppe", ["Demo Mobility (EMP)"])]
    assert (await contract_groups.get_settings(actor))["hub_enabled"] is True
    seen = await visible_charge_points(
        PartnerRef(PartnerKind.EMP_TENANT, emp_tenant_id=emp["id"]), cpo_tenant_id=demo["id"]
    )
    station_ids = {row["station_id"] for row in seen}
    names = await ChargingStation.select(ChargingStation.charge_box_id).where(
        ChargingStation.id.is_in(list(station_ids))
    )
    assert sorted(r["charge_box_id"] for r in names) == ["DEMO-AC-001", "DEMO-AC-101", "DEMO-DC-001"]
    assert len(seen) == 6
