"""Stations connected to THIS node, and hooks run when one connects or disconnects.

ocpp_cs.bus (multi-node routing) registers Redis presence through ``on_connect`` / ``on_disconnect``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ocpp_cs.connection import StationConnection

Hook = Callable[["StationConnection"], Awaitable[None]]

local: dict[str, StationConnection] = {}
on_connect: list[Hook] = []
on_disconnect: list[Hook] = []


def get(charge_box_id: str) -> StationConnection | None:
    return local.get(charge_box_id)
