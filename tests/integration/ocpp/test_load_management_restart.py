"""Load management across a restart of `csms serve`: the stations keep their profiles while the server is away, the
new process knows nothing in memory, and once the stations reconnect it recomputes from the database; the next
start lowers the others first as before. The limits in force never add up to more than the grid limit."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from core.load_management.tables import LoadAllocation, LoadLimit
from ocpp_cs.simulator import SimulatedStation
from tests.integration.ocpp.conftest import Station, make_station
from tests.integration.ocpp.test_load_management import Grid, enable, limits, same_location_station, tag
from tests.support import TenantCtx, free_port, start_serve, stop_process, stop_simulated


@contextlib.asynccontextmanager
async def serving(port: int, log: IO[str]) -> AsyncIterator[subprocess.Popen[bytes]]:
    env = {**os.environ, "PUBLIC_URL": f"http://127.0.0.1:{port}"}
    proc = await asyncio.to_thread(start_serve, env, port, log)
    try:
        yield proc
    finally:
        await asyncio.to_thread(stop_process, proc, 10)


async def until(predicate, timeout: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, "condition not reached"
        await asyncio.sleep(0.05)


async def confirmed(*stations: Station) -> bool:
    ids = [cp["id"] for st in stations for cp in st.charge_points]
    rows = await LoadAllocation.select(LoadAllocation.state).where(LoadAllocation.charge_point.is_in(ids))
    return len(rows) == len(ids) and all(row["state"] == "confirmed" for row in rows)


async def recomputed_since(st: Station, since: datetime) -> bool:
    row = await LoadLimit.select(LoadLimit.computed_at).where(LoadLimit.location == st.row["location"]).first()
    return row is not None and row["computed_at"] is not None and row["computed_at"] > since


async def post_mortem(st: Station, log: Path) -> str:
    """What a failure shows: the location's lease and allocations, and what the two serves logged."""
    limit = await LoadLimit.select(
        LoadLimit.computed_at, LoadLimit.lease_token, LoadLimit.lease_until, LoadLimit.recompute_again
    ).where(LoadLimit.location == st.row["location"]).first()  # fmt: skip
    rows = await LoadAllocation.select(LoadAllocation.charge_point, LoadAllocation.state).where(
        LoadAllocation.location == st.row["location"]
    )  # fmt: skip
    text = await asyncio.to_thread(log.read_text)
    return f"limit {limit}; allocations {rows}; serve log:\n{text[-6000:]}"


async def test_after_a_restart_the_allocation_is_recomputed_from_the_database(
    cpo: TenantCtx, unique: str, tmp_path: Path
) -> None:
    a = await make_station(cpo, f"{unique}a")
    b = await same_location_station(cpo, a, f"{unique}b")
    uid = await tag(cpo, unique)
    await enable(cpo, a, limit="20")  # no station connected yet: nothing to send from this process
    port = free_port()
    url = f"ws://127.0.0.1:{port}/ocpp"
    grid = Grid(20)
    sims = [SimulatedStation(url, st.charge_box_id, st.password, reconnect_delay=0.3, boot_on_reconnect=False)
            for st in (a, b)]  # fmt: skip
    sim_a, sim_b = sims
    for sim in sims:
        sim.on_profile = grid.check
        grid.sims.append(sim)
    runners: list[asyncio.Task[None]] = []
    log_path = tmp_path / "serve.log"
    log = log_path.open("w")
    try:
        async with serving(port, log):
            runners = [asyncio.create_task(sim.run()) for sim in sims]
            await until(lambda: limits(sim_a) == [0, 0] and limits(sim_b) == [0, 0])
            grid.watching = True
            await sim_a.start_session(1, uid)
            await until(lambda: limits(sim_a) == [20, 0])
            await sim_b.start_session(1, uid)
            await until(lambda: limits(sim_a) == [10, 0] and limits(sim_b) == [10, 0])
            grid.assert_within()
        # The server is gone: the stations keep charging within their last profiles.
        grid.assert_within()
        restarted_at = datetime.now(UTC)
        async with serving(port, log):
            await until(lambda: all(sim.connected.is_set() for sim in sims))
            deadline = asyncio.get_running_loop().time() + 30
            while not await recomputed_since(a, restarted_at) or not await confirmed(a, b):
                if asyncio.get_running_loop().time() > deadline:
                    raise AssertionError(f"not recomputed after the restart: {await post_mortem(a, log_path)}")
                await asyncio.sleep(0.1)
            assert limits(sim_a) == [10, 0] and limits(sim_b) == [10, 0]  # the sessions go on: nothing to change
            # A third session: the new process lowers the two running ones before it gives the newcomer its share.
            await sim_a.start_session(2, uid)
            await until(lambda: limits(sim_a) == [6.6, 6.6] and limits(sim_b) == [6.6, 0])
            grid.assert_within()
            await sim_b.stop_session(1)
            await until(lambda: limits(sim_a) == [10, 10] and limits(sim_b) == [0, 0])
            grid.assert_within()
    finally:
        await stop_simulated(sims, runners)
        log.close()
