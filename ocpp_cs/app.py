"""What the OCPP central system contributes to the server: route handlers and start/stop hooks.

csms/app.py mounts HANDLERS and runs the hooks in the app's lifespan.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from ocpp_cs.msglog import message_log
from ocpp_cs.transport import ocpp_mount, shutdown_connections

HANDLERS: list[Any] = [ocpp_mount]
STARTUP: list[Callable[[], Awaitable[None]]] = []
# Close the sockets first (stations reconnect elsewhere), then write the log rows still buffered.
SHUTDOWN: list[Callable[[], Awaitable[None]]] = [message_log.flush, shutdown_connections]
