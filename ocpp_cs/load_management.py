"""Tells core.load_management when a station connects or disconnects (the handlers tell it about sessions and
MeterValues); its recomputations run in tasks of its own, never inside an OCPP exchange."""

from __future__ import annotations

import contextlib

from core.load_management import service
from ocpp_cs import registry
from ocpp_cs.connection import StationConnection


async def _changed(conn: StationConnection) -> None:
    service.notice_station(conn.station_id)


async def start_load_management() -> None:
    service.resume()
    registry.on_connect.append(_changed)
    registry.on_disconnect.append(_changed)


async def stop_load_management() -> None:
    for hooks in (registry.on_connect, registry.on_disconnect):
        with contextlib.suppress(ValueError):
            hooks.remove(_changed)
    await service.shutdown()
