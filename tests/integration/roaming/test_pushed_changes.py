"""The writers of core.charging (OCPP status, connections) and core.roaming (switches, contract groups, the hub
switch) raise ``Location.last_updated`` in their own transaction: the pushes (core.roaming.pushes) and the OCPI
lists find every change a partner sees by it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from core.charging import connections, status
from core.infrastructure.tables import ChargingStation, Location
from core.roaming import contract_groups, marketing
from core.settings import get_settings
from tests.integration.ocpi.test_sender_modules import SWITCHES_ON, open_to, roaming_cpo, roaming_site
from tests.integration.roaming.conftest import Site
from tests.support import TenantCtx, make_tenant


async def stamp(site: Site) -> datetime:
    row = await Location.select(Location.last_updated).where(Location.id == site.location["id"]).first()
    assert row is not None
    return row["last_updated"]  # type: ignore[no-any-return]


async def raised_by(site: Site, change: Callable[[], Awaitable[Any]]) -> bool:
    before = await stamp(site)
    await asyncio.sleep(0.01)  # a new clock reading, also on SQLite's text timestamps
    await change()
    return await stamp(site) > before


@pytest.fixture
async def setting() -> tuple[TenantCtx, TenantCtx, dict[str, Any], Site]:
    cpo, emp = await roaming_cpo(), await make_tenant(kind="EMP")
    group = await open_to(cpo, emp)
    return cpo, emp, group, await roaming_site(cpo, group)


def notification(connector: int, ocpp_status: str) -> dict[str, Any]:
    return {"connectorId": connector, "status": ocpp_status, "errorCode": "NoError",
            "timestamp": datetime.now(UTC).isoformat()}  # fmt: skip


async def test_ocpp_status_of_a_charge_point_and_of_the_station_raise_the_location(
    setting: tuple[TenantCtx, TenantCtx, dict[str, Any], Site],
) -> None:
    _, _, _, site = setting
    station = site.station
    assert await raised_by(site, lambda: status.status_notification(station, notification(1, "Charging")))
    assert await raised_by(site, lambda: status.status_notification(station, notification(0, "Faulted")))
    # A connector the station does not have changes nothing a partner sees.
    assert not await raised_by(site, lambda: status.status_notification(station, notification(9, "Available")))


async def test_connecting_disconnecting_and_the_node_clean_up_raise_the_location(
    setting: tuple[TenantCtx, TenantCtx, dict[str, Any], Site],
) -> None:
    _, _, _, site = setting
    station_id = site.station["id"]
    node = get_settings().node_id
    assert await raised_by(site, lambda: connections.station_connected(station_id))
    assert await raised_by(site, lambda: connections.station_disconnected(station_id))
    assert await raised_by(site, lambda: connections.mark_connected(node, [station_id]))
    assert await raised_by(site, lambda: connections.release_nodes([node]))
    await connections.mark_connected("gone-node", [station_id])
    assert await raised_by(site, lambda: connections.reset_flags_at_start(node, []))
    flag = await ChargingStation.select(ChargingStation.connected).where(ChargingStation.id == station_id).first()
    assert flag == {"connected": False}


async def test_the_roaming_switches_contract_groups_and_the_hub_switch_raise_the_location(
    setting: tuple[TenantCtx, TenantCtx, dict[str, Any], Site],
) -> None:
    cpo, _, group, site = setting
    station_id = site.station["id"]
    name = {"name": "Gruppe"}
    assert await raised_by(
        site, lambda: marketing.save_marketing(cpo.actor, station_id, {**SWITCHES_ON, "roaming": ""})
    )
    assert await raised_by(site, lambda: contract_groups.save_station_hub(cpo.actor, station_id, False, [group["id"]]))
    assert await raised_by(
        site, lambda: contract_groups.update_group(cpo.actor, group["id"], {**name, "emp_tenant_ids": []})
    )
    assert await raised_by(site, lambda: contract_groups.set_hub_enabled(cpo.actor, False))
    assert await raised_by(site, lambda: contract_groups.delete_group(cpo.actor, group["id"]))
    # Another tenant's hub switch leaves this location alone.
    other = await roaming_cpo()
    assert not await raised_by(site, lambda: contract_groups.set_hub_enabled(other.actor, True))
