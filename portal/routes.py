"""Everything the portal and the REST API serve; the app factory mounts it."""

from __future__ import annotations

from typing import Any

from portal.api.commands import CommandApiController
from portal.api.infrastructure import INFRASTRUCTURE_API
from portal.api_cards import CardApiController
from portal.api_cdrs import CdrApiController
from portal.api_driver_groups import DriverGroupApiController
from portal.api_sessions import SessionApiController
from portal.api_tariffs import TariffApiController, TariffAssignmentApiController
from portal.controllers.api_keys import ApiKeyController
from portal.controllers.cards import CardController
from portal.controllers.charging_data import ChargingDataController
from portal.controllers.dashboard import DashboardController
from portal.controllers.driver_groups import DriverGroupController
from portal.controllers.imports import ImportController
from portal.controllers.infra_charge_points import ChargePointController, ConnectorController
from portal.controllers.infra_locations import LocationController
from portal.controllers.infra_stations import StationController
from portal.controllers.operations_commands import OperationsCommandsController
from portal.controllers.operations_views import OperationsViewsController
from portal.controllers.overview import OverviewController
from portal.controllers.profile import ProfileController
from portal.controllers.session import SessionController
from portal.controllers.tariffs import TariffController
from portal.controllers.users import GroupController, UserController

PORTAL_HANDLERS: list[Any] = [SessionController, DashboardController]
PORTAL_HANDLERS += [LocationController, StationController, ChargePointController, ConnectorController]
PORTAL_HANDLERS += [OverviewController, ImportController]
PORTAL_HANDLERS += [CardController, DriverGroupController]
PORTAL_HANDLERS += [TariffController]
PORTAL_HANDLERS += [OperationsViewsController]
PORTAL_HANDLERS += [UserController, GroupController, ProfileController]
PORTAL_HANDLERS += [ApiKeyController]
API_HANDLERS: list[Any] = [CardApiController, DriverGroupApiController]
API_HANDLERS += [TariffApiController, TariffAssignmentApiController]
API_HANDLERS += INFRASTRUCTURE_API
PORTAL_HANDLERS += [ChargingDataController]
API_HANDLERS += [CdrApiController, SessionApiController]
API_HANDLERS += [CommandApiController]
PORTAL_HANDLERS += [OperationsCommandsController]
