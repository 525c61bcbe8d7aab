"""Tabs of the station data sheet and the charge point page.

Each area adds its tab here; the tab's content is served by that area's own controller at ``url``
(an HTMX fragment), so pages grow without one area editing another's templates.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.tenancy.actor import Actor
from core.tenancy.permissions import Permission


@dataclass(frozen=True)
class Tab:
    key: str
    label: str  # msgid; German in the de catalog
    url: str  # formatted with id=<station or charge point id>
    permission: Permission = Permission.INFRASTRUCTURE_VIEW


STATION_TABS: list[Tab] = [
    Tab("info", "Info", "/infrastructure/stations/{id}/tab/info"),
    Tab("address", "Address", "/infrastructure/stations/{id}/tab/address"),
    Tab("map", "Map", "/infrastructure/stations/{id}/tab/map"),
    Tab("access", "Access", "/roaming/stations/{id}/access"),
    Tab("roaming", "Roaming", "/roaming/stations/{id}/hub", Permission.ROAMING_VIEW),
    Tab("assignments", "Assignments", "/infrastructure/stations/{id}/tab/assignments"),
    Tab("products", "Products", "/infrastructure/products/stations/{id}/tab"),
    Tab("device", "Device details", "/infrastructure/stations/{id}/tab/device"),
    Tab("attributes", "Attributes", "/infrastructure/stations/{id}/tab/attributes"),
    Tab("ocpp", "OCPP communication", "/infrastructure/stations/{id}/tab/ocpp"),
    Tab("alerts", "Alerts", "/alerts/stations/{id}/tab", Permission.ALERTS_VIEW),
    Tab("operations", "Operations management", "/operations/stations/{id}/operations", Permission.OPERATIONS_TAB),
    Tab("diagnostics", "Diagnostics", "/operations/stations/{id}/diagnostics", Permission.OPERATIONS_TAB),
    Tab("ocpp_parameters", "OCPP parameters", "/operations/stations/{id}/parameters", Permission.OCPP_COMMANDS),
    Tab("ocpp_log", "OCPP log", "/operations/stations/{id}/log", Permission.OCPP_COMMANDS),
]

CHARGE_POINT_TABS: list[Tab] = [
    Tab("control", "Control", "/operations/charge-points/{id}/control"),
    Tab("configuration", "Configuration", "/infrastructure/charge-points/{id}/tab/configuration"),
    Tab("device", "Device details", "/infrastructure/charge-points/{id}/tab/device"),
    Tab("ocpp_parameters", "OCPP parameters", "/operations/charge-points/{id}/parameters", Permission.OCPP_COMMANDS),
    Tab("tariffs", "Tariffs", "/tariffs/charge-points/{id}/tab", Permission.TARIFFS_VIEW),
]


def visible_tabs(tabs: list[Tab], actor: Actor) -> list[Tab]:
    return [tab for tab in tabs if actor.can(tab.permission)]
