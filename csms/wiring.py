"""core's interfaces to the OCPI node (connections, pushes), wired in `csms serve` (csms.app) and in each
`csms worker` (csms.worker): core and workers must not import hub."""

from __future__ import annotations

from core.roaming import connections, pushes
from hub.client import HubLink
from hub.pushes import HubPushLink


def wire_hub() -> None:
    connections.register_link(HubLink())
    pushes.register_link(HubPushLink())
