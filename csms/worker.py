"""What `csms worker` hands Dramatiq: the actors, wired like the server (core reaches the OCPI client through
core.roaming.connections, which the periodic health check and the actors use)."""

from __future__ import annotations

from core.roaming import connections
from hub.client import HubLink
from workers import actors  # noqa: F401 - the actors, bound to the broker

connections.register_link(HubLink())
