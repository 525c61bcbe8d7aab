"""How uvicorn serves csms: one configuration for `csms serve` and the tests that start a real server.

Station sockets are many and mostly idle (a heartbeat a minute), so what each one keeps in memory decides how
many a node holds (docs/benchmarks.md). Hence uvicorn's sans-I/O websockets without permessage-deflate (the
zlib state alone is ~46 KB per socket; OCPP frames are small JSON) and ``LeanWebSocketProtocol`` below.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

import uvicorn
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

WS_MAX_SIZE = 65536  # larger OCPP frames are refused (close 1009)


class _Inbox:
    """The received-events queue of one socket: a list and at most one waiter, since only the app's single
    ``receive()`` caller reads it (asyncio.Queue carries three deques and an Event, ~2.4 KB per socket)."""

    __slots__ = ("_items", "_waiter")

    def __init__(self) -> None:
        self._items: list[Any] = []
        self._waiter: asyncio.Future[None] | None = None

    def put_nowait(self, item: Any) -> None:
        self._items.append(item)
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def empty(self) -> bool:
        return not self._items

    async def get(self) -> Any:
        while not self._items:
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        return self._items.pop(0)


class _Writable:
    """asyncio.Event's set / clear / wait for the write back-pressure flag, without its waiter deque."""

    __slots__ = ("_set", "_waiters")

    def __init__(self) -> None:
        self._set = True
        self._waiters: list[asyncio.Future[None]] | None = None

    def set(self) -> None:
        self._set = True
        waiters, self._waiters = self._waiters, None
        for waiter in waiters or ():
            if not waiter.done():
                waiter.set_result(None)

    def clear(self) -> None:
        self._set = False

    async def wait(self) -> None:
        if self._set:
            return
        waiter = asyncio.get_running_loop().create_future()
        if self._waiters is None:
            self._waiters = []
        self._waiters.append(waiter)
        await waiter


class LeanWebSocketProtocol(WebSocketsSansIOProtocol):
    """uvicorn's sans-I/O websocket protocol, minus what an accepted, idle socket never uses again: the parsed
    handshake request and response (headers ~3.5 KB) go after the accept; the queue and the writable flag are
    lean. It relies on uvicorn's attribute names (queue, writable, request, response): the OCPP integration
    tests run through it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.queue = _Inbox()  # type: ignore[assignment]
        self.writable = _Writable()  # type: ignore[assignment]

    async def send(self, message: Any) -> None:
        await super().send(message)
        if message["type"] == "websocket.accept" and self.handshake_complete:
            # websockets' parser generator keeps the request alive for the socket's life: empty its headers.
            self.request.headers.clear()
            self.response.headers.clear()
            self.request = self.response = None  # type: ignore[assignment]


def server_config(app: Any, *, host: str, port: int, log_level: str = "info", **extra: Any) -> uvicorn.Config:
    """The uvicorn configuration of `csms serve` (``extra``: TLS files); tests serve the app with it too."""
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=log_level,
        interface="asgi3",  # csms.app.create_asgi's router is a plain callable returning the coroutine
        proxy_headers=True,
        forwarded_allow_ips=os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1"),
        ws=LeanWebSocketProtocol,
        ws_max_size=WS_MAX_SIZE,
        ws_per_message_deflate=False,
        **extra,
    )
