"""What the OCPP central system contributes to the server: route handlers and start/stop hooks.

csms/app.py mounts HANDLERS, routes station websockets under PATH_PREFIX to ``endpoint`` ahead of Litestar,
and runs the hooks in the app's lifespan.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from ocpp_cs import files
from ocpp_cs.attempts import start_attempts, stop_attempts
from ocpp_cs.bus import start_bus, stop_bus
from ocpp_cs.msglog import message_log
from ocpp_cs.transport import PATH_PREFIX, ocpp_endpoint, ocpp_mount, shutdown_connections

__all__ = ["HANDLERS", "PATH_PREFIX", "SHUTDOWN", "STARTUP", "endpoint"]
endpoint = ocpp_endpoint

HANDLERS: list[Any] = [ocpp_mount, *files.HANDLERS]
# The command bus registers itself as core.commands' transport (local registry, or Redis routing); with Redis the
# handshake throttle counts there, for all nodes.
STARTUP: list[Callable[[], Awaitable[None]]] = [start_attempts, start_bus]
# Run in reverse: close the sockets first (stations reconnect elsewhere), write the log rows still buffered,
# then stop the command bus (its presence keys of the closed stations go with it) and the shared counters.
SHUTDOWN: list[Callable[[], Awaitable[None]]] = [stop_attempts, stop_bus, message_log.flush, shutdown_connections]
