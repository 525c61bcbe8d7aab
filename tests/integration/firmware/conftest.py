"""Firmware campaign tests: the OCPP integration tests' live server, and simulated stations that update."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from ocpp_cs.simulator import SimulatedStation
from tests.integration.ocpp.conftest import Station, ocpp_url
from tests.support import stop_simulated

__all__ = ["ocpp_url", "simulated"]


@contextlib.asynccontextmanager
async def simulated(url: str, stations: list[Station], **kwargs: Any) -> AsyncIterator[list[SimulatedStation]]:
    """The stations connected (firmware 1.0; after an update they boot with 2.0) until the block ends."""
    sims = [SimulatedStation(url, st.charge_box_id, st.password, reconnect_delay=0.2, firmware_version="1.0",
                             reboot_after_firmware=True, firmware_after_update="2.0", **kwargs)
            for st in stations]  # fmt: skip
    runners = [asyncio.create_task(sim.run()) for sim in sims]
    try:
        for sim in sims:
            await asyncio.wait_for(sim.connected.wait(), 10)
        yield sims
    finally:
        await stop_simulated(sims, runners)
