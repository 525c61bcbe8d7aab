"""What the OCPP central system contributes to the server: route handlers and start/stop hooks.

csms/app.py mounts HANDLERS, routes station websockets under PATH_PREFIX to ``endpoint`` ahead of Litestar,
and runs the hooks in the app's lifespan.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from ocpp_cs import files
from ocpp_cs.attempts import start_attempts, stop_attempts
from ocpp_cs.bus import start_bus, stop_bus
from ocpp_cs.load_management import start_load_management, stop_load_management
from ocpp_cs.msglog import message_log
from ocpp_cs.transport import PATH_PREFIX, ocpp_endpoint, ocpp_mount, shutdown_connections

__all__ = ["HANDLERS", "PATH_PREFIX", "SHUTDOWN", "STARTUP", "endpoint", "start", "stop"]
endpoint = ocpp_endpoint

HANDLERS: list[Any] = [ocpp_mount, *files.HANDLERS]
# The command bus registers itself as core.commands' transport (local registry, or Redis routing); with Redis the
# handshake throttle counts there, for all nodes.
STARTUP: list[Callable[[], Awaitable[None]]] = [start_attempts, start_bus, start_load_management]
# Run in reverse: load management stops first, then the sockets close (stations reconnect elsewhere), the log rows
# still buffered are written, the command bus stops (its presence keys of the closed stations go with it), then the
# shared counters.
SHUTDOWN: list[Callable[[], Awaitable[None]]] = [
    stop_attempts,
    stop_bus,
    message_log.flush,
    shutdown_connections,
    stop_load_management,  # first: the stations leaving now are no reason to recompute (they reconnect elsewhere)
]

# The hooks serve the process, not one app: a second app in the same process (a test serving TLS next to the suite's
# app) must not stop the command bus the first one still uses, and an app starting while another is still stopping
# must find the hooks stopped, not half stopped (the bus it kept would then go). The last app to stop runs the
# shutdown hooks; start and stop never interleave.
_apps = 0
_lock: tuple[asyncio.AbstractEventLoop, asyncio.Lock] | None = None


def _hooks_lock() -> asyncio.Lock:
    global _lock
    loop = asyncio.get_running_loop()
    if _lock is None or _lock[0] is not loop:
        _lock = (loop, asyncio.Lock())
    return _lock[1]


async def start() -> None:
    global _apps
    async with _hooks_lock():
        _apps += 1
        if _apps == 1:
            for hook in STARTUP:
                await hook()


async def stop() -> None:
    global _apps
    async with _hooks_lock():
        _apps = max(_apps - 1, 0)
        if _apps == 0:
            for hook in reversed(SHUTDOWN):
                await hook()
