"""Load management with the grid phase of single-phase charge points: three of them wired to L1, L2 and L3 each get
their maximum on a 16 A grid connection; not wired (unknown), each is reserved on every phase and they share 16 A.
Entered like the charge point's other fields (checked, kept, cleared)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from core.charging.tables import ChargingSession
from core.errors import ValidationError
from core.infrastructure import charge_points
from core.infrastructure.tables import ChargingStation
from core.load_management import service
from core.load_management.tables import LoadLimit
from tests.integration.infrastructure.conftest import Site
from tests.support import TenantCtx

SINGLE_PHASE = {"power_type": "AC_1_PHASE", "max_voltage": 230, "max_amperage": 16, "max_electric_power": 3680}


async def _three_charging(cpo: TenantCtx, site: Site, wiring: tuple[str, str, str]) -> list[int]:
    """Three single-phase charge points with a session each at the site's station (connected), wired as given."""
    ids = []
    for number, phase in enumerate(wiring, start=2):
        cp = await charge_points.create_charge_point(
            cpo.actor, {"station_id": site.station["id"], "evse_number": number, "grid_phase": phase}, SINGLE_PHASE
        )  # fmt: skip
        ids.append(int(cp["id"]))
        await ChargingSession(tenant=cpo.id, station=site.station["id"], charge_point=cp["id"], connector_id=number,
                              id_tag="GRID", status="CHARGING", started_at=datetime.now(UTC)).save()  # fmt: skip
    await ChargingStation.update({ChargingStation.connected: True}).where(ChargingStation.id == site.station["id"])
    await LoadLimit(tenant=cpo.id, location=site.location["id"], enabled=True, limit_value=Decimal(16)).save()
    return ids


async def _targets(site: Site, ids: list[int]) -> list[Decimal | None]:
    planned = await service.plan(site.location["id"])
    assert planned is not None
    by_id = {int(item.point["id"]): item.target_a for item in planned[1]}
    return [by_id[i] for i in ids]


async def test_wired_to_three_phases_each_gets_its_maximum(cpo: TenantCtx, site: Site) -> None:
    ids = await _three_charging(cpo, site, ("L1", "L2", "L3"))
    assert await _targets(site, ids) == [Decimal(16)] * 3


async def test_not_wired_each_is_reserved_on_every_phase(cpo: TenantCtx, site: Site) -> None:
    ids = await _three_charging(cpo, site, ("", "", ""))
    # 16 A hold two at their 6 A minimum, not three: the latest session pauses until one stops.
    assert await _targets(site, ids) == [Decimal(8), Decimal(8), Decimal(0)]


async def test_two_on_one_phase_share_it(cpo: TenantCtx, site: Site) -> None:
    ids = await _three_charging(cpo, site, ("L1", "L1", "L2"))
    first, second, third = await _targets(site, ids)
    assert (first, second, third) == (Decimal(8), Decimal(8), Decimal(16))


async def test_the_grid_phase_is_checked_and_kept(cpo: TenantCtx, site: Site) -> None:
    updated = await charge_points.update_charge_point(cpo.actor, site.charge_point["id"], {"grid_phase": "L3"})
    assert updated["grid_phase"] == "L3"
    cleared = await charge_points.update_charge_point(cpo.actor, site.charge_point["id"], {"grid_phase": ""})
    assert cleared["grid_phase"] == ""
    with pytest.raises(ValidationError) as refused:
        await charge_points.update_charge_point(cpo.actor, site.charge_point["id"], {"grid_phase": "L4"})
    assert "grid_phase" in refused.value.errors
