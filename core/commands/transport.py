"""The transport that carries commands to stations, as core sees it.

core knows nothing about websockets or Redis: ocpp_cs registers the transport (``register_transport``) at
start-up. It routes the call to the node holding the station's websocket and raises ``StationOffline``,
``CommandTimeout`` or ``StationCallError``; it also checks payloads against the OCPP JSON schemas.
"""

from __future__ import annotations

from typing import Any, Protocol


class StationOffline(Exception):
    """No node holds a websocket of this station."""


class CommandTimeout(Exception):
    """The station did not answer in time."""


class StationCallError(Exception):
    """The station answered with a CALLERROR."""

    def __init__(self, code: str, description: str = "") -> None:
        super().__init__(f"{code}: {description}")
        self.code = code
        self.description = description


class StationCommands(Protocol):
    """Sends one OCPP call to a station wherever it is connected."""

    async def send(self, charge_box_id: str, action: str, payload: dict[str, Any], timeout: float) -> dict[str, Any]:
        """The reply payload; raises StationOffline, CommandTimeout or StationCallError."""
        ...

    def check_payload(self, action: str, payload: dict[str, Any]) -> str | None:
        """None when the request fits the OCPP schema, else what is wrong."""
        ...

    def check_reply(self, action: str, reply: dict[str, Any]) -> str | None:
        """None when the reply fits the OCPP schema, else what is wrong."""
        ...


_transport: StationCommands | None = None


def register_transport(transport: StationCommands | None) -> None:
    global _transport
    _transport = transport


def transport() -> StationCommands | None:
    return _transport
