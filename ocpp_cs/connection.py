"""One connected station: CSMS->station calls with their replies, and the message log.

The transport (ocpp_cs.transport) owns the websocket; it hands every CALLRESULT / CALLERROR frame to
``StationConnection.resolve`` and every outgoing frame goes through ``send_frame`` so the log sees it.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec

from ocpp_cs.msglog import message_log

_encode = msgspec.json.encode


class CallErrorReceived(Exception):
    """The station answered a CSMS call with a CALLERROR."""

    def __init__(self, code: str, description: str = "", details: Any = None) -> None:
        super().__init__(f"{code}: {description}" if description else code)
        self.code = code
        self.description = description
        self.details = details if details is not None else {}


class StationDisconnected(Exception):
    """The websocket closed before the station answered."""


# The ASGI send of the station's websocket.
Send = Callable[[dict[str, Any]], Awaitable[None]]


class StationConnection:
    """A live websocket of one station on this node. Thousands of them sit idle for minutes, so the object is
    kept small: slots, and the call lock made only when the CSMS first calls the station."""

    __slots__ = (
        "_call_lock",
        "_pending",
        "_send",
        "charge_box_id",
        "closed",
        "ocpp_version",
        "remote_addr",
        "station_id",
        "tenant_id",
    )

    def __init__(
        self,
        charge_box_id: str,
        station_id: int,
        tenant_id: int,
        ocpp_version: str,
        send: Send,
        remote_addr: str = "",
    ) -> None:
        self.charge_box_id = charge_box_id
        self.station_id = station_id
        self.tenant_id = tenant_id
        self.ocpp_version = ocpp_version
        self.remote_addr = remote_addr
        self._send = send
        # At most one CSMS->station call in flight (OCPP 1.6 section 4.1.1).
        self._call_lock: asyncio.Lock | None = None
        self._pending: tuple[str, asyncio.Future[dict[str, Any]]] | None = None
        self.closed = False

    async def send_frame(self, text: str, message_type: int, unique_id: str, action: str = "") -> None:
        message_log.add(self.station_id, self.charge_box_id, "out", message_type, unique_id, action, text)
        await self._send({"type": "websocket.send", "text": text})

    async def close(self, code: int, reason: str) -> None:
        """Close the socket (a newer connection of the station replaced it, or the server stops)."""
        await self._send({"type": "websocket.close", "code": code, "reason": reason})

    async def call(self, action: str, payload: dict[str, Any], timeout: float = 30.0) -> dict[str, Any]:
        if self.closed:
            raise StationDisconnected(self.charge_box_id)
        if self._call_lock is None:
            self._call_lock = asyncio.Lock()
        async with self._call_lock:
            if self.closed:
                raise StationDisconnected(self.charge_box_id)
            unique_id = uuid.uuid4().hex
            future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
            self._pending = (unique_id, future)
            try:
                text = _encode([2, unique_id, action, payload]).decode()
                try:
                    await self.send_frame(text, 2, unique_id, action)
                except Exception as exc:  # the socket went away while sending
                    raise StationDisconnected(self.charge_box_id) from exc
                return await asyncio.wait_for(future, timeout)
            finally:
                self._pending = None

    def resolve(self, message_type: int, unique_id: str, frame: list[Any]) -> bool:
        """Deliver a CALLRESULT/CALLERROR; False when no call waits for this id (a late or stray reply)."""
        pending = self._pending
        if pending is None or pending[0] != unique_id or pending[1].done():
            return False
        future = pending[1]
        if message_type == 3:
            payload = frame[2] if len(frame) > 2 and isinstance(frame[2], dict) else {}
            future.set_result(payload)
        else:
            code = str(frame[2]) if len(frame) > 2 else "GenericError"
            description = str(frame[3]) if len(frame) > 3 else ""
            details = frame[4] if len(frame) > 4 else {}
            future.set_exception(CallErrorReceived(code, description, details))
        return True

    def mark_closed(self) -> None:
        self.closed = True
        pending = self._pending
        if pending is not None and not pending[1].done():
            pending[1].set_exception(StationDisconnected(self.charge_box_id))
