"""Everything the portal and the REST API serve, grouped by area; the app factory mounts both lists.

Each area lists its portal pages first, then its REST API resources (``/api/v1/...``, one module each in
portal.api). The order here is the order of the OpenAPI document's sections.
"""

from __future__ import annotations

from typing import Any

from portal.api import (
    cards,
    cdrs,
    commands,
    connectors,
    contract_groups,
    driver_groups,
    evses,
    firmware,
    load_management,
    locations,
    sessions,
    stations,
    tariff_assignments,
    tariffs,
    terminals,
)
from portal.api.common import api_router
from portal.controllers.alerts import AlertsController
from portal.controllers.api_keys import ApiKeyController
from portal.controllers.billing import BillingController
from portal.controllers.cards import CardController
from portal.controllers.charging_data import ChargingDataController
from portal.controllers.communities import CommunityController
from portal.controllers.company import CompanyController
from portal.controllers.dashboard import DashboardController
from portal.controllers.driver_community import DriverCommunityController
from portal.controllers.driver_groups import DriverGroupController
from portal.controllers.driver_pay import DriverPayController
from portal.controllers.driver_receipts import DriverReceiptController
from portal.controllers.firmware import DiagnosticsTabController, FirmwareController
from portal.controllers.imports import ImportController
from portal.controllers.infra_charge_points import ChargePointController, ConnectorController
from portal.controllers.infra_locations import LocationController
from portal.controllers.infra_stations import StationController
from portal.controllers.infra_terminals import TerminalController
from portal.controllers.load_management import LoadManagementController
from portal.controllers.mail import MailController
from portal.controllers.operations_commands import OperationsCommandsController
from portal.controllers.operations_views import OperationsViewsController
from portal.controllers.overview import OverviewController
from portal.controllers.products import ProductsController
from portal.controllers.profile import ProfileController
from portal.controllers.resellers import InvitationController, ResellerController
from portal.controllers.roaming import RoamingController
from portal.controllers.roaming_partners import PartnerController
from portal.controllers.roaming_settlement import RoamingSettlementController
from portal.controllers.session import SessionController
from portal.controllers.support360 import Support360Controller
from portal.controllers.tariffs import TariffController
from portal.controllers.users import GroupController, UserController

PORTAL_HANDLERS: list[Any] = []
API_HANDLERS: list[Any] = []

# Login, logout, language, and the start page.
PORTAL_HANDLERS += [SessionController, DashboardController]

# Infrastructure: locations, stations, charge points (EVSEs), connectors; the advanced overview; CSV import.
PORTAL_HANDLERS += [LocationController, StationController, ChargePointController, ConnectorController]
PORTAL_HANDLERS += [LoadManagementController]
PORTAL_HANDLERS += [OverviewController, ImportController]
# Products (core.products): the catalogue, the wizard "Produkt zuweisen", the station's Products tab.
PORTAL_HANDLERS += [ProductsController]
# Payment terminals (core.payments.terminals); a terminal's start comes in through the REST API.
PORTAL_HANDLERS += [TerminalController]
API_HANDLERS += [terminals.TerminalApiController]
API_HANDLERS += [locations.ROUTER, stations.ROUTER, evses.ROUTER, connectors.ROUTER]
API_HANDLERS += [load_management.LoadManagementApiController]

# Access: charging cards and driver groups.
PORTAL_HANDLERS += [CardController, DriverGroupController]
# Community charging (core.community): the staff's pages, and the invited drivers' own page (/driver, magic links).
PORTAL_HANDLERS += [CommunityController, DriverCommunityController]
API_HANDLERS += [cards.CardApiController, driver_groups.DriverGroupApiController]

# Tariffs and their assignments.
PORTAL_HANDLERS += [TariffController]
API_HANDLERS += [tariffs.TariffApiController, tariff_assignments.TariffAssignmentApiController]

# Charging data: CDRs and sessions.
PORTAL_HANDLERS += [ChargingDataController]
API_HANDLERS += [cdrs.CdrApiController, sessions.SessionApiController]

# Operations: OCPP commands (single and bulk), the OCPP log, Freischaltmonitor, anomalies, unknown stations.
PORTAL_HANDLERS += [OperationsCommandsController, OperationsViewsController, Support360Controller]
# Firmware campaigns (core.firmware) and the station's diagnostics history.
PORTAL_HANDLERS += [FirmwareController, DiagnosticsTabController]
API_HANDLERS += [firmware.FirmwareCampaignApiController]
API_HANDLERS += [commands.CommandApiController]

# Roaming: OCPI partners and their logs (contract groups and roaming settings join here).
PORTAL_HANDLERS += [PartnerController]
# Roaming: contract groups, the roaming hub switch, the stations' Access and Roaming tabs.
PORTAL_HANDLERS += [RoamingController]
# Roaming settlement: per partner and month, for invoicing the EMP.
PORTAL_HANDLERS += [RoamingSettlementController]
API_HANDLERS += [contract_groups.ContractGroupApiController]

# Billing ("Abrechnung", core.billing): the platform operator's monthly runs; each tenant's own final invoice lines.
PORTAL_HANDLERS += [BillingController]

# The driver's door: Direct Payment pages behind the charge points' QR codes (public, no login).
PORTAL_HANDLERS += [DriverPayController, DriverReceiptController]

# Users, user groups, the own profile, API keys.
PORTAL_HANDLERS += [UserController, GroupController, ProfileController, ApiKeyController]

# The e-mail outbox (core.mail): what csms mailed, and a test mail.
PORTAL_HANDLERS += [MailController]

# Company data (Unternehmensdaten) and Direct Payment settings of the own tenant.
PORTAL_HANDLERS += [CompanyController, AlertsController]

# Resellers: their sub-CPOs (onboarding, master data, invitations) and the usage export; the invited
# administrator's set-password page (public, its single-use token).
PORTAL_HANDLERS += [ResellerController, InvitationController]

API_ROUTER = api_router(API_HANDLERS)
