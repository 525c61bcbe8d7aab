"""The modules and interface roles the node implements, which its version details list: data, so that a module
wired later (locations, tariffs ...) appears by registering itself, and nothing is listed that is not served."""

from __future__ import annotations

from dataclasses import dataclass

VERSION = "2.2.1"
# Configuration modules: no routing headers, and (credentials, versions) the only ones token A opens.
CONFIGURATION = frozenset({"versions", "credentials", "hubclientinfo"})
TOKEN_A_MODULES = frozenset({"versions", "credentials"})


@dataclass(frozen=True)
class Endpoint:
    identifier: str  # OCPI ModuleID
    role: str  # SENDER | RECEIVER
    path: str  # below /ocpi/2.2.1
    max_page: int = 0  # the server's page size cap for a SENDER's list (0: not a list)


ENDPOINTS: list[Endpoint] = [
    Endpoint("credentials", "SENDER", "/credentials"),
    Endpoint("credentials", "RECEIVER", "/credentials"),
    Endpoint("hubclientinfo", "RECEIVER", "/hubclientinfo"),
]


def register(endpoint: Endpoint) -> None:
    if endpoint not in ENDPOINTS:
        ENDPOINTS.append(endpoint)


def module_of(path: str) -> str:
    """The module a path below /ocpi addresses: "versions" for the versions list and the version details."""
    parts = [p for p in path.split("/") if p]
    if not parts or parts[0] == "versions" or (parts[0] == VERSION and len(parts) == 1):
        return "versions"
    return parts[1] if parts[0] == VERSION else parts[0]


def max_page(identifier: str) -> int:
    caps = [e.max_page for e in ENDPOINTS if e.identifier == identifier and e.role == "SENDER" and e.max_page]
    return min(caps) if caps else 100
