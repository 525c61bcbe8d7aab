"""Permission switches of user groups. Admins hold all of them."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Permission(StrEnum):
    INFRASTRUCTURE_VIEW = "infrastructure.view"
    INFRASTRUCTURE_MANAGE = "infrastructure.manage"
    OPERATIONS_TAB = "infrastructure.operations_tab"  # seed 001: Tab 'Betriebsführung'
    TARIFFS_VIEW = "tariffs.view"
    TARIFFS_MANAGE = "tariffs.manage"
    ROAMING_VIEW = "roaming.view"
    ROAMING_MANAGE = "roaming.manage"
    CARDS_VIEW = "cards.view"
    CARDS_MANAGE = "cards.manage"
    DRIVER_GROUPS_VIEW = "driver_groups.view"
    DRIVER_GROUPS_MANAGE = "driver_groups.manage"
    SESSIONS_VIEW = "sessions.view"
    OCPP_COMMANDS = "ocpp.commands"
    USERS_MANAGE = "users.manage"
    COST_APPROVAL = "users.cost_approval"  # seed 001: Kostenfreigabe
    MAIL_VIEW = "mail.view"  # the e-mail outbox: recipients' addresses and what csms wrote them
    COMPANY_VIEW = "company.view"  # the own company data (Unternehmensdaten) and Direct Payment settings
    COMPANY_MANAGE = "company.manage"
    SUB_CPOS_MANAGE = "resellers.sub_cpos"  # a reseller's sub-CPOs: onboarding, master data, usage export (seed 003)
    # Billing (core.billing): the platform operator (the HUB tenant) reads and runs the monthly billing; any other
    # tenant reads its own final invoice lines (and a reseller its commission report) with billing.view.
    BILLING_VIEW = "billing.view"
    BILLING_MANAGE = "billing.manage"
    ALERTS_VIEW = "alerts.view"  # alerts of the charge points and the notification groups (seed 003)
    ALERTS_MANAGE = "alerts.manage"


@dataclass(frozen=True)
class PermissionInfo:
    permission: Permission
    area: str
    label: str


# Labels are msgids (English); the portal shows them translated, German in the de locale.
CATALOGUE: tuple[PermissionInfo, ...] = (
    PermissionInfo(
        Permission.INFRASTRUCTURE_VIEW,
        "Infrastructure management",
        "View locations, stations and charge points",
    ),
    PermissionInfo(
        Permission.INFRASTRUCTURE_MANAGE,
        "Infrastructure management",
        "Create, edit, import and decommission infrastructure",
    ),
    PermissionInfo(
        Permission.OPERATIONS_TAB,
        "Infrastructure management",
        "Enables the 'Operations' tab on the station data sheet",
    ),
    PermissionInfo(Permission.TARIFFS_VIEW, "Tariffs", "View tariffs"),
    PermissionInfo(Permission.TARIFFS_MANAGE, "Tariffs", "Create and assign tariffs"),
    PermissionInfo(
        Permission.ROAMING_VIEW, "Roaming", "View roaming partners, their OCPI log, contract groups and settings"
    ),
    PermissionInfo(Permission.ROAMING_MANAGE, "Roaming", "Manage contract groups and roaming"),
    # Owner notes are personal data: seeing infrastructure does not show the cards.
    PermissionInfo(Permission.CARDS_VIEW, "Charging cards", "View charging cards and their owner notes"),
    PermissionInfo(Permission.CARDS_MANAGE, "Charging cards", "Create charging cards"),
    PermissionInfo(Permission.DRIVER_GROUPS_VIEW, "Driver groups", "View driver groups"),
    PermissionInfo(
        Permission.DRIVER_GROUPS_MANAGE,
        "Driver groups",
        "Create and change driver groups, their tariff, scope and charging cards",
    ),
    PermissionInfo(Permission.SESSIONS_VIEW, "Charging data", "View sessions and charging data"),
    PermissionInfo(Permission.OCPP_COMMANDS, "Operations", "Send OCPP commands to stations"),
    PermissionInfo(Permission.USERS_MANAGE, "User management", "Manage users and user groups"),
    PermissionInfo(
        Permission.COST_APPROVAL,
        "User management",
        "Enable cost approval: may approve actions that incur follow-up costs",
    ),
    # Mails carry drivers' addresses and receipts: only who is given this switch reads them.
    PermissionInfo(Permission.MAIL_VIEW, "E-mail", "View the e-mail outbox and send a test mail to oneself"),
    PermissionInfo(Permission.COMPANY_VIEW, "Company data", "View the company data and the Direct Payment settings"),
    # What every receipt prints as the issuer and what is held on drivers' cards: a switch of its own.
    PermissionInfo(
        Permission.COMPANY_MANAGE, "Company data", "Change the company data and the Direct Payment settings"
    ),
    # Only a reseller's menu offers it: other tenants have no sub-CPOs.
    PermissionInfo(
        Permission.SUB_CPOS_MANAGE,
        "Resellers",
        "Onboard sub-CPOs, change their master data, invite their administrators and export their usage",
    ),
    PermissionInfo(Permission.BILLING_VIEW, "Billing", "View invoice lines and commission reports"),
    # Only the platform operator's staff run billing; in any other tenant this switch does nothing.
    PermissionInfo(Permission.BILLING_MANAGE, "Billing", "Preview and finalise the platform's monthly billing runs"),
    PermissionInfo(Permission.ALERTS_VIEW, "Alerts", "View alerts and notification groups"),
    PermissionInfo(Permission.ALERTS_MANAGE, "Alerts", "Acknowledge alerts and manage notification groups"),
)

ALL_PERMISSIONS: frozenset[Permission] = frozenset(Permission)


def effective_permissions(is_admin: bool, group_permissions: list[list[str]]) -> frozenset[Permission]:
    """The union of a user's groups' switches; unknown codes (from older versions) are ignored."""
    if is_admin:
        return ALL_PERMISSIONS
    valid = {p.value for p in Permission}
    return frozenset(Permission(code) for codes in group_permissions for code in codes if code in valid)
