"""The visibility query (core.roaming.visibility) on the real database agrees with the rule, switch by switch."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from core.infrastructure import locations, stations
from core.roaming import contract_groups, marketing
from core.roaming.visibility import PartnerKind, PartnerRef, may_see, visible_charge_points
from tests.integration.infrastructure.conftest import Site
from tests.integration.roaming.conftest import ready_site
from tests.support import TenantCtx, make_tenant

SWITCHES_ON = {"access_type": "PUBLIC_PAID", "show_as_poi": "on", "marketing": "on", "roaming": "on",
               "auth_local_rfid": "on", "auth_remote": "on"}  # fmt: skip


async def _ids(partner: PartnerRef, cpo: TenantCtx) -> set[int]:
    return {row["charge_point_id"] for row in await visible_charge_points(partner, cpo_tenant_id=cpo.id)}


async def _enable_everything(cpo: TenantCtx, site: Site, emp: TenantCtx) -> dict[str, Any]:
    await contract_groups.set_hub_enabled(cpo.actor, True)
    group = await contract_groups.create_group(cpo.actor, {"name": "EMP-Vertragsgruppe", "emp_tenant_ids": [emp.id]})
    await contract_groups.save_station_hub(cpo.actor, site.station["id"], True, [group["id"]])
    await marketing.save_marketing(cpo.actor, site.station["id"], SWITCHES_ON)
    return group


async def test_each_condition_is_needed_and_the_query_agrees_with_the_rule(
    cpo: TenantCtx, site: Site, emp: TenantCtx
) -> None:
    partner = PartnerRef(PartnerKind.EMP_TENANT, emp_tenant_id=emp.id)
    cp_id = site.charge_point["id"]
    assert await _ids(partner, cpo) == set() and not await may_see(partner, cp_id)
    group = await _enable_everything(cpo, site, emp)
    assert await _ids(partner, cpo) == {cp_id} and await may_see(partner, cp_id)

    # Each revocation hides the charge point again, in the query and in the single-object rule.
    await contract_groups.set_hub_enabled(cpo.actor, False)
    assert await _ids(partner, cpo) == set() and not await may_see(partner, cp_id)
    await contract_groups.set_hub_enabled(cpo.actor, True)

    await contract_groups.update_group(cpo.actor, group["id"], {"name": "EMP-Vertragsgruppe", "emp_tenant_ids": []})
    assert await _ids(partner, cpo) == set() and not await may_see(partner, cp_id)
    await contract_groups.update_group(cpo.actor, group["id"], {"name": "EMP-Vertragsgruppe",
                                                                "emp_tenant_ids": [emp.id]})  # fmt: skip
    assert await _ids(partner, cpo) == {cp_id}

    await contract_groups.save_station_hub(cpo.actor, site.station["id"], False, [group["id"]])
    assert await _ids(partner, cpo) == set() and not await may_see(partner, cp_id)
    await contract_groups.save_station_hub(cpo.actor, site.station["id"], True, [])
    assert await _ids(partner, cpo) == set() and not await may_see(partner, cp_id)
    await contract_groups.save_station_hub(cpo.actor, site.station["id"], True, [group["id"]])

    await marketing.save_marketing(cpo.actor, site.station["id"], {**SWITCHES_ON, "roaming": ""})
    assert await _ids(partner, cpo) == set() and not await may_see(partner, cp_id)
    await marketing.save_marketing(cpo.actor, site.station["id"], SWITCHES_ON)
    assert await _ids(partner, cpo) == {cp_id}

    await locations.update_location(cpo.actor, site.location["id"], {"publish": False})
    assert await _ids(partner, cpo) == set() and not await may_see(partner, cp_id)
    await locations.update_location(cpo.actor, site.location["id"], {"publish": True})

    await stations.decommission_station(cpo.actor, site.station["id"])
    assert await _ids(partner, cpo) == set() and not await may_see(partner, cp_id)


async def test_other_emps_other_cpos_and_platforms(cpo: TenantCtx, site: Site, emp: TenantCtx, unique: str) -> None:
    await _enable_everything(cpo, site, emp)
    stranger = await make_tenant(kind="EMP")
    assert await _ids(PartnerRef(PartnerKind.EMP_TENANT, emp_tenant_id=stranger.id), cpo) == set()
    # Another CPO's station with the same EMP in its group is listed under that CPO only.
    other = await make_tenant()
    other_site = await ready_site(other, "O" + unique)
    await _enable_everything(other, other_site, emp)
    partner = PartnerRef(PartnerKind.EMP_TENANT, emp_tenant_id=emp.id)
    assert await _ids(partner, cpo) == {site.charge_point["id"]}
    everywhere = {row["charge_point_id"] for row in await visible_charge_points(partner)}
    assert {site.charge_point["id"], other_site.charge_point["id"]} <= everywhere

    # One page of locations: only what the partner sees there.
    page = await visible_charge_points(partner, location_ids=[other_site.location["id"]])
    assert [row["charge_point_id"] for row in page] == [other_site.charge_point["id"]]
    assert await visible_charge_points(partner, location_ids=[]) == []

    platform = PartnerRef(PartnerKind.PLATFORM)
    assert await _ids(platform, cpo) == set()
    plus = {**SWITCHES_ON, "roaming_plus": "on", "platform_name": "Demo Altstadt"}
    await marketing.save_marketing(cpo.actor, site.station["id"], plus)
    assert await _ids(platform, cpo) == {site.charge_point["id"]}
    assert await may_see(platform, site.charge_point["id"])


async def test_every_change_raises_last_updated(cpo: TenantCtx, site: Site, emp: TenantCtx) -> None:
    partner = PartnerRef(PartnerKind.EMP_TENANT, emp_tenant_id=emp.id)
    group = await _enable_everything(cpo, site, emp)
    later = datetime.now(UTC) + timedelta(seconds=1)
    assert await visible_charge_points(partner, cpo_tenant_id=cpo.id, since=later) == []
    # A membership change reaches the station through its enabled group: its last_updated rises.
    await contract_groups.update_group(cpo.actor, group["id"], {"name": "Neu", "emp_tenant_ids": [emp.id]})
    before = (await marketing.station_marketing(cpo.actor, site.station["id"]))["last_updated"]
    other = await make_tenant(kind="EMP")
    await contract_groups.update_group(cpo.actor, group["id"], {"name": "Neu", "emp_tenant_ids": [emp.id, other.id]})
    after = (await marketing.station_marketing(cpo.actor, site.station["id"]))["last_updated"]
    assert after > before
    await contract_groups.set_hub_enabled(cpo.actor, False)
    assert (await marketing.station_marketing(cpo.actor, site.station["id"]))["last_updated"] > after
