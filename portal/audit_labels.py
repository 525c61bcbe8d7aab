"""How the audit history names fields and shows values: the forms' own labels, "Yes"/"No", local times.

The history stores raw field names and JSON values (core.tenancy.audit); this maps them to the words staff know from
the forms. A field missing here is shown by its raw name, so a new field never breaks the page.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from core.access.driver_groups import KIND_LABELS, MODE_LABELS, Scope
from core.alerts.cases import CASE_LABELS
from core.errors import Message
from core.tenancy.company import COUNTRY_NAMES
from core.tenancy.permissions import CATALOGUE
from portal import code_labels

FIELD_LABELS: dict[str, Message] = {
    # locations, stations, charge points, connectors
    "name": Message("Name"), "address": Message("Street and number"), "postal_code": Message("Postal code"),
    "city": Message("City"), "state": Message("State"), "country": Message("Country"),
    "latitude": Message("Latitude"), "longitude": Message("Longitude"), "time_zone": Message("Time zone"),
    "hotline": Message("Hotline"), "directions": Message("Directions"), "floor_level": Message("Floor level"),
    "opening_hours": Message("Opening hours"), "twentyfourseven": Message("Open 24/7"),
    "parking_type": Message("Parking type"), "parking_restrictions": Message("Parking restrictions"),
    "operator_name": Message("Operator name"), "operator_email": Message("Operator e-mail"),
    "operator_website": Message("Operator website"), "publish": Message("Publish (roaming and maps)"),
    "show_as_poi": Message("Show as point of interest"), "access_type": Message("Access"),
    "location": Message("Location"), "location_id": Message("Location"), "station": Message("Station"),
    "station_id": Message("Station"), "charge_box_id": Message("Charge box id"), "vendor": Message("Vendor"),
    "model": Message("Model"), "serial_number": Message("Serial number"),
    "firmware_version": Message("Firmware"), "ocpp_version": Message("OCPP version"),
    "ocpp_password": Message("OCPP password"), "installation_status": Message("Installation status"),
    "products": Message("Products"), "technician_name": Message("Technician"),
    "technician_email": Message("Technician e-mail"), "technician_phone": Message("Technician phone"),
    "meter_public_key": Message("Meter public key (calibration law)"), "evse_id": Message("EVSE-ID"),
    "evse_number": Message("Number on the station"), "physical_reference": Message("Physical reference"),
    "power_type": Message("Power type"), "max_power_kw": Message("Max. power (kW)"),
    "auth_local_rfid": Message("Local RFID"), "auth_remote": Message("Remote"), "grid_phase": Message("Grid phase"),
    "auth_direct_payment": Message("Direct Payment"), "eichrecht_compliant": Message("Calibration-law compliant"),
    "status": Message("Status"), "connector_number": Message("Connector number"), "standard": Message("Standard"),
    "format": Message("Format"), "max_voltage": Message("Max. voltage (V)"),
    "max_amperage": Message("Max. current (A)"), "max_electric_power": Message("Max. power (W)"),
    # cards, tariffs, driver groups
    "uid": Message("Card uid (RFID, hex)"), "label": Message("Label"), "visual_number": Message("Printed number"),
    "valid_until": Message("Valid until"), "owner_note": Message("Owner note"), "currency": Message("Currency"),
    "code": Message("Code"), "tariff": Message("Tariff"), "tariff_id": Message("Tariff"), "kind": Message("Kind"),
    "card": Message("Charging card"), "driver_group": Message("Driver group"), "tariff_mode": Message("Tariff mode"),
    "scope": Message("Scope"), "location_ids": Message("Locations"), "note": Message("Note"),
    "parking_per_minute": Message("Parking price per minute"),
    "parking_from_minute": Message("Free parking minutes"), "valid_from": Message("Valid from (date & time)"),
    # users and user groups
    "email": Message("E-mail"), "language": Message("Language"), "active": Message("Active (may log in)"),
    "is_admin": Message("Administrator (holds every permission)"), "password": Message("Password"),
    "description": Message("Description"), "permissions": Message("Permissions"), "groups": Message("Groups"),
    # tariff prices, per power type
    "ac_energy_per_kwh": Message("AC price per kWh"), "ac_time_per_minute": Message("AC price per minute"),
    "ac_time_from_minute": Message("AC price per minute from minute"), "ac_session_fee": Message("AC session fee"),
    "dc_energy_per_kwh": Message("DC price per kWh"), "dc_time_per_minute": Message("DC price per minute"),
    "dc_time_from_minute": Message("DC price per minute from minute"), "dc_session_fee": Message("DC session fee"),
    # roaming: contract groups, the hub switches, the stations' marketing switches
    "emp_tenant_ids": Message("EMP tenants"), "contract_group_ids": Message("Contract groups"),
    "hub_enabled": Message("Roaming hub enabled"), "hub_authorised": Message("Authorised for the roaming hub"),
    "marketing": Message("Marketing"), "roaming": Message("Roaming"), "roaming_plus": Message("Roaming+"),
    "direct_payment": Message("Direct Payment"), "platform_name": Message("Name on the roaming platform"),
    # everything else the history records
    "attributes": Message("Attributes"), "source": Message("Copied from"), "tenant": Message("Operator"),
    "allow_unknown_stations": Message("Accept unknown stations"), "revoked_at": Message("Revoked at"),
    "expected_version": Message("Expected firmware version"), "max_parallel": Message("Stations updating at once"),
    "charge_points": Message("Charge points"), "stations": Message("Stations"), "locations": Message("Locations"),
    "notes": Message("Location / notes"),  # payment terminals
    # company data (Unternehmensdaten)
    "legal_name": Message("Legal name"), "street": Message("Street and number"),
    "address_country": Message("Country"), "vat_id": Message("VAT id (USt-IdNr.)"),
    "commercial_register": Message("Commercial register entry"), "support_email": Message("Support e-mail"),
    "hold_amount": Message("Amount held on the card"), "start_confirm_seconds": Message("Seconds to confirm the start"),
    "community": Message("Community charging"), "invited": Message("Invited"), "member": Message("Member"),
    # a reseller's sub-CPOs (core.resellers.sub_cpos)
    "slug": Message("Slug"), "country_code": Message("Country of operation"), "party_id": Message("Party id"),
    "debtor_number": Message("Debtor number"), "admin_email": Message("E-mail"),
    "reseller_model": Message("Billing model"),
    # notification groups (core.alerts.manage)
    "recipients": Message("E-mail recipients"), "cases": Message("Cases"),
    "all_charge_points": Message("All charge points"),
    # a location's load management (core.load_management.settings)
    "limit_value": Message("Grid connection limit"),
    "limit_unit": Message("Unit"), "phases": Message("Phases of the grid connection"),
    "min_current_a": Message("Minimum current per charge point (A)"),
}  # fmt: skip

# What was done, as the history's "Action" column says it (core.tenancy.audit.record's ``action``).
ACTION_LABELS: dict[str, Message] = {
    "create": Message("Created"), "update": Message("Changed"), "delete": Message("Deleted"),
    "archive": Message("Archived"), "restore": Message("Restored"), "clone": Message("Copied"),
    "import": Message("Imported"), "decommission": Message("Decommissioned"), "adopt": Message("Adopted"),
    "dismiss": Message("Dismissed"), "change_operator": Message("Operator changed"),
    "check_signatures": Message("Signatures checked"), "reset_password": Message("OCPP password reset"),
    "password_reset": Message("Password reset"), "password_change": Message("Password changed"),
    "revoke": Message("Revoked"), "resolve": Message("Resolved"), "resolve_flags": Message("Notes resolved"),
    "close": Message("Closed"), "add_card": Message("Card added"), "remove_card": Message("Card removed"),
    "firmware_cancel": Message("Campaign cancelled"), "firmware_retry": Message("Failed stations retried"),
    "tariff_assign": Message("Tariff assigned"), "tariff_cancel": Message("Tariff assignment cancelled"),
    "community": Message("Community charging enabled"), "invite": Message("Drivers invited"),
    "remove": Message("Member removed"), "invitation_sent": Message("Invitation sent"),
    "product_assigned": Message("Product assigned"), "product_ended": Message("Product ended"),
    "load_management": Message("Load management changed"),
}  # fmt: skip


def _messages(msgids: Mapping[Any, str]) -> dict[Any, Message]:
    return {code: Message(msgid) for code, msgid in msgids.items()}


# Fields whose values are codes: the code -> what the forms show for it (a Message, or a name that reads the
# same in every language).
VALUE_LABELS: dict[str, Mapping[Any, Message | str]] = {
    "kind": _messages(KIND_LABELS),
    "tariff_mode": _messages(MODE_LABELS),
    "scope": {Scope.ALL: Message("Whole infrastructure"), Scope.CHOSEN: Message("Chosen locations")},
    "access_type": code_labels.ACCESS,
    "installation_status": code_labels.INSTALLATION,
    "parking_type": code_labels.PARKING,
    "parking_restrictions": code_labels.RESTRICTIONS,
    "power_type": code_labels.POWER,
    "standard": code_labels.STANDARDS,
    "format": code_labels.FORMATS,
    "country": code_labels.COUNTRIES,
    "address_country": _messages(COUNTRY_NAMES),
    "status": code_labels.STATUS,
    "permissions": {info.permission.value: Message(info.label) for info in CATALOGUE},
    "language": {"de": "Deutsch", "en": "English"},
    "cases": dict(CASE_LABELS),
}


def audit_action(action: str) -> Message:
    """A recorded action by its label; one recorded before its label existed reads as a change."""
    return ACTION_LABELS.get(action, Message("Changed"))


# Where one entity's form calls a field otherwise than the shared label (a terminal is active, it does not log in).
ENTITY_FIELD_LABELS: dict[tuple[str, str], Message] = {
    ("terminal", "active"): Message("Active"),
    ("firmware_campaign", "location"): Message("Firmware URL"),
    ("location", "enabled"): Message("Load management on"),
}


def audit_field(key: str, entity_type: str = "") -> Message | str:
    own = ENTITY_FIELD_LABELS.get((entity_type, key))
    return own if own is not None else FIELD_LABELS.get(key, key)


def audit_value(value: Any, key: str = "") -> Any:
    """A stored value as the forms show it; booleans become Yes/No, codes their labels, ISO times local times,
    opening hours one line per period. A list comes back as a list of shown items (the caller joins them)."""
    label = VALUE_LABELS.get(key, {}).get(value) if isinstance(value, str) else None
    if label is not None:
        return label
    if value is None or value == "" or value == {} or value == []:
        return "–"
    if value is True:
        return Message("Yes")
    if value is False:
        return Message("No")
    if key == "opening_hours" and isinstance(value, list):
        return [_period(item) for item in value] or "–"
    if isinstance(value, list):
        return [audit_value(item, key) for item in value] or "–"
    if isinstance(value, dict):
        # A set of named values (a station's attributes): each as "name: value".
        return [Message("%(name)s: %(value)s", {"name": str(k), "value": _one(audit_value(v))})
                for k, v in value.items()]  # fmt: skip
    if isinstance(value, str) and len(value) >= 19 and value[4] == "-" and value[10] == "T":
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return value
    return value


def _one(shown: Any) -> Message | str:
    return shown if isinstance(shown, Message | str) else str(shown)


def _period(item: Any) -> Any:
    """One regular opening period ({"weekday": 1..7, "period_begin": "08:00", "period_end": "18:00"})."""
    if not isinstance(item, dict):
        return item
    weekday = item.get("weekday")
    day = code_labels.WEEKDAYS.get(weekday, str(weekday)) if isinstance(weekday, int) else str(weekday)
    return Message("%(day)s %(begin)s–%(end)s", {"day": day, "begin": item.get("period_begin", ""),
                                                  "end": item.get("period_end", "")})  # fmt: skip
