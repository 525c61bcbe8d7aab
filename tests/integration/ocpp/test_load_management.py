"""Dynamic load management with simulated stations against the live app: after every step (starts, stops, a lower
limit, a station going offline and back, a station refusing or not answering its profile) the limits in force at the
stations never add up to more than the grid limit, and a watcher checks the same after every profile a station
applies, not just at the end of each step."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from decimal import Decimal
from typing import Any

import pytest

from core.access.tables import ChargingCard
from core.charging.tables import ChargingSession
from core.infrastructure import charge_points as infrastructure_charge_points
from core.infrastructure import stations
from core.load_management import service, settings
from core.load_management.tables import LoadAllocation
from ocpp_cs import bus as command_bus
from ocpp_cs import load_management as ocpp_load_management
from ocpp_cs import registry
from ocpp_cs.simulator import SimulatedStation
from tests.integration.ocpp.conftest import STATION_PASSWORD, Station, make_station
from tests.integration.ocpp.test_commands import simulated
from tests.support import TenantCtx

D = Decimal


class Grid:
    """The limits in force at the simulated stations, checked against the grid limit after every applied profile."""

    def __init__(self, limit: float) -> None:
        self.limit = limit
        self.sims: list[SimulatedStation] = []
        self.watching = False
        self.violations: list[tuple[float, float]] = []

    def applied(self) -> list[float | None]:
        return [sim.applied_limit(c) for sim in self.sims for c in range(1, sim.connectors + 1)]

    def total(self) -> float:
        # No profile yet: the charge point could draw its maximum (22 kW, 31.8 A).
        return round(sum(31.8 if a is None else a for a in self.applied()), 1)

    def check(self, _sim: SimulatedStation | None = None) -> None:
        if self.watching and self.total() > self.limit:
            self.violations.append((self.total(), self.limit))

    def assert_within(self) -> None:
        assert self.total() <= self.limit, (self.applied(), self.limit)
        assert not self.violations, self.violations


@pytest.fixture
async def lm_url(ocpp_url: str) -> str:
    """``ocpp_url`` with its command bus and load management hooks running: another server's lifespan in this
    process may have stopped them (test_connect_path serves TLS next to it)."""
    if command_bus.current() is None:
        await command_bus.start_bus()
    if ocpp_load_management._changed not in registry.on_connect:
        await ocpp_load_management.start_load_management()
    return ocpp_url


@contextlib.asynccontextmanager
async def online(
    url: str, st: Station, grid: Grid, sim: SimulatedStation | None = None
) -> AsyncIterator[SimulatedStation]:
    async with simulated(url, st, sim) as running:
        running.on_profile = grid.check
        if running not in grid.sims:
            grid.sims.append(running)
        yield running


async def settled(predicate: Callable[[], bool] | None = None, timeout: float = 20.0) -> None:
    """Until no recomputation runs and ``predicate`` holds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        await asyncio.sleep(0.05)
        await service.idle()
        if predicate is None or predicate():
            await asyncio.sleep(0.05)
            await service.idle()
            if predicate is None or predicate():
                return
        assert asyncio.get_running_loop().time() < deadline, "not settled"


async def same_location_station(ctx: TenantCtx, first: Station, suffix: str) -> Station:
    station, _ = await stations.create_station(
        ctx.actor,
        {"location_id": first.row["location"], "charge_box_id": f"OC-{suffix}", "vendor": "ABB", "model": "Terra",
         "installation_status": "COMMISSIONED", "ocpp_password": STATION_PASSWORD},
    )  # fmt: skip
    cps = [
        await infrastructure_charge_points.create_charge_point(
            ctx.actor, {"station_id": station["id"], "evse_number": n}
        )
        for n in (1, 2)
    ]
    return Station(station, cps)


async def enable(ctx: TenantCtx, st: Station, limit: str = "32", **extra: Any) -> None:
    raw = {"enabled": "on", "limit_value": limit, "limit_unit": "A", "phases": "3", "min_current_a": "6", **extra}
    await settings.save_settings(ctx.actor, st.row["location"], raw)


async def tag(ctx: TenantCtx, unique: str) -> str:
    uid = f"LM{unique[:8]}".upper()
    await ChargingCard(tenant=ctx.id, uid=uid).save()
    return uid


def limits(sim: SimulatedStation) -> list[float | None]:
    return [sim.applied_limit(c) for c in range(1, sim.connectors + 1)]


async def allocation(cp: dict[str, Any]) -> dict[str, Any]:
    row = await LoadAllocation.select().where(LoadAllocation.charge_point == cp["id"]).first()
    assert row is not None
    return row


async def test_the_sum_of_the_profiles_never_exceeds_the_limit(lm_url: str, cpo: TenantCtx, unique: str) -> None:
    ocpp_url = lm_url
    a = await make_station(cpo, f"{unique}a")
    b = await same_location_station(cpo, a, f"{unique}b")
    uid = await tag(cpo, unique)
    await enable(cpo, a)
    grid = Grid(32)
    async with online(ocpp_url, a, grid) as sim_a:
        async with online(ocpp_url, b, grid) as sim_b:
            await charge_and_stop(cpo, a, b, sim_a, sim_b, grid, uid)

        # B offline: its last profiles (7 + 7 A) stay in force there and keep counting here.
        await settled(lambda: limits(sim_b) == [7, 7])
        rows = [await allocation(cp) for cp in b.charge_points]
        assert [row["state"] for row in rows] == ["offline", "offline"]
        assert [row["counted_a"] for row in rows] == [D(7), D(7)]
        # A's second charge point starts and gets only what is left: 20 - 14 = 6 A go to the first one, which
        # started earlier; the new one is paused.
        await sim_a.start_session(2, uid)
        await settled()
        assert limits(sim_a) == [6, 0]
        assert (await allocation(a.charge_points[1]))["reason"] == "paused"
        grid.assert_within()

        # B back: it booted again, which ended its sessions; its charge points go to 0 A before A's paused one
        # resumes (A's first draws 3 A and keeps 6 A).
        async with online(ocpp_url, b, grid, sim_b):
            await settled(lambda: limits(sim_b) == [0, 0] and limits(sim_a) == [6, 14])
            grid.assert_within()
            states = [(await allocation(cp))["state"] for cp in a.charge_points + b.charge_points]
            assert states == ["confirmed"] * 4


async def charge_and_stop(ctx: TenantCtx, a: Station, b: Station, sim_a: SimulatedStation, sim_b: SimulatedStation,
                          grid: Grid, uid: str) -> None:  # fmt: skip
    # Idle charge points get 0 A, so that a session starts within the limit.
    await settled(lambda: limits(sim_a) == [0, 0] and limits(sim_b) == [0, 0])
    grid.watching = True

    await sim_a.start_session(1, uid)
    await settled(lambda: limits(sim_a) == [31.8, 0])  # alone: its own maximum (22 kW)
    grid.assert_within()

    await sim_b.start_session(1, uid)
    await settled(lambda: limits(sim_a) == [16, 0] and limits(sim_b) == [16, 0])
    grid.assert_within()

    await sim_a.start_session(2, uid)
    await settled(lambda: limits(sim_a) == [10.6, 10.6] and limits(sim_b) == [10.6, 0])
    grid.assert_within()

    await sim_b.start_session(2, uid)
    await settled(lambda: limits(sim_a) == [8, 8] and limits(sim_b) == [8, 8])
    grid.assert_within()

    # A lower limit: three minimums of 6 A fit into 20 A, the session started last is paused.
    await enable(ctx, a, limit="20")
    await settled(lambda: limits(sim_a) == [6.6, 6.6] and limits(sim_b) == [6.6, 0])
    grid.limit = 20
    grid.assert_within()
    assert (await allocation(b.charge_points[1]))["reason"] == "paused"

    # A car drawing less than its share gives the rest back (MeterValues report 3 A).
    sim_a.sessions[1].draw_a = 3
    await sim_a.meter_tick(1)
    await settled(lambda: limits(sim_a)[0] == 6)
    grid.assert_within()

    # Stops: the freed current goes to the others, the paused one resumes.
    await sim_a.stop_session(2)
    await settled(lambda: limits(sim_a) == [6, 0] and limits(sim_b) == [7, 7])
    grid.assert_within()


@pytest.fixture
def short_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(service, "PROFILE_TIMEOUT", 1.0)


@pytest.mark.parametrize("how", ["refuses", "silent"])
async def test_a_station_that_refuses_or_does_not_answer_counts_at_its_minimum(
    lm_url: str, cpo: TenantCtx, unique: str, how: str, short_timeout: None
) -> None:
    ocpp_url = lm_url
    a = await make_station(cpo, f"{unique}a")
    b = await same_location_station(cpo, a, f"{unique}b")
    uid = await tag(cpo, unique)
    await enable(cpo, a)
    grid = Grid(32)
    async with online(ocpp_url, a, grid) as sim_a, online(ocpp_url, b, grid) as sim_b:
        await settled(lambda: limits(sim_a) == [0, 0] and limits(sim_b) == [0, 0])
        await sim_a.start_session(1, uid)
        await settled(lambda: limits(sim_a) == [31.8, 0])
        grid.watching = True
        if how == "refuses":
            sim_b.refuse.add("SetChargingProfile")
        else:
            sim_b.silent.add("SetChargingProfile")
        await sim_b.start_session(1, uid)
        # A is lowered to 16 A first, B's share of 16 A is refused (or never answered): B's charge point counts at
        # its minimum of 6 A from then on, and A gets the remaining 26 A.
        await settled(lambda: limits(sim_a) == [26, 0])
        row = await allocation(b.charge_points[0])
        assert row["state"] == "unconfirmed" and row["counted_a"] == D(6)
        view = await settings.allocation_view(cpo.actor, a.row["location"])
        assert view["unconfirmed"] >= 1
        assert view["counted_a"] <= 32
        # Retried on the next recomputation: once the station accepts, it gets its share.
        sim_b.refuse.clear()
        sim_b.silent.clear()
        await sim_a.meter_tick(1)
        sim_a.sessions[1].draw_a = 10
        await sim_a.meter_tick(1)
        await settled(lambda: limits(sim_b)[0] == 16 or limits(sim_b)[0] == 20)
        assert (await allocation(b.charge_points[0]))["state"] == "confirmed"
        grid.assert_within()
        assert await ChargingSession.count().where(ChargingSession.station == b.id) == 1


async def test_switching_it_off_takes_the_profiles_off_now_or_when_the_station_is_back(
    lm_url: str, cpo: TenantCtx, unique: str
) -> None:
    a = await make_station(cpo, f"{unique}a")
    b = await same_location_station(cpo, a, f"{unique}b")
    await enable(cpo, a)
    grid = Grid(32)
    async with online(lm_url, a, grid) as sim_a:
        async with online(lm_url, b, grid) as sim_b:
            await settled(lambda: limits(sim_a) == [0, 0] and limits(sim_b) == [0, 0])
        await settled(lambda: not sim_b.connected.is_set())
        await enable(cpo, a, enabled="")  # off: B is away
        await settled(lambda: limits(sim_a) == [None, None])  # A's profiles are gone: it may draw its maximum
        assert not sim_a.charging_profiles
        a_points = [cp["id"] for cp in a.charge_points]
        assert await LoadAllocation.count().where(LoadAllocation.charge_point.is_in(a_points)) == 0
        assert sim_b.charging_profiles  # B kept its profiles while away...
        async with online(lm_url, b, grid, sim_b):
            await settled(lambda: not sim_b.charging_profiles)  # ...and loses them once it is back
        assert await LoadAllocation.count().where(LoadAllocation.location == a.row["location"]) == 0
