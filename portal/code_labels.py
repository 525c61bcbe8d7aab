"""Display names of stored codes (OCPI values, installation states, weekdays), once for the whole portal: the
infrastructure pages (``infrastructure/_labels.html``) and the audit history (``portal.audit_labels``) show the
same words. Values are msgids (``Message``), translated when a page is rendered; plain strings are names that
read the same in every language."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from core.errors import Message

ACCESS = {
    "PUBLIC_FREE": Message("Public, free"), "PUBLIC_PAID": Message("Public, paid"), "PRIVATE": Message("Private"),
    "COMMUNITY": Message("Community"),
}  # fmt: skip
INSTALLATION = {
    "PLANNED": Message("Planned"), "INSTALLED": Message("Installed"), "COMMISSIONED": Message("Commissioned"),
    "DECOMMISSIONED": Message("Decommissioned"),
}  # fmt: skip
PARKING = {
    "ALONG_MOTORWAY": Message("Along a motorway"), "PARKING_GARAGE": Message("Parking garage"),
    "PARKING_LOT": Message("Parking lot"), "ON_DRIVEWAY": Message("On a driveway"),
    "ON_STREET": Message("On the street"), "UNDERGROUND_GARAGE": Message("Underground garage"),
}  # fmt: skip
RESTRICTIONS = {
    "EV_ONLY": Message("Electric vehicles only"), "PLUGGED": Message("Only while plugged in"),
    "DISABLED": Message("Reserved for disabled persons"), "CUSTOMERS": Message("Customers only"),
    "MOTORCYCLES": Message("Motorcycles only"),
}  # fmt: skip
POWER: dict[str, Message | str] = {
    "AC_1_PHASE": Message("AC, 1 phase"), "AC_2_PHASE": Message("AC, 2 phases"),
    "AC_3_PHASE": Message("AC, 3 phases"), "DC": "DC",
}  # fmt: skip
STANDARDS: dict[str, Message | str] = {
    "IEC_62196_T2": Message("Type 2"), "IEC_62196_T2_COMBO": "CCS (Combo 2)", "CHADEMO": "CHAdeMO",
    "IEC_62196_T1": Message("Type 1"), "IEC_62196_T1_COMBO": "CCS (Combo 1)", "DOMESTIC_F": Message("Schuko (type F)"),
    "IEC_60309_2_single_16": Message("CEE 16 A, 1 phase"), "IEC_60309_2_three_16": Message("CEE 16 A, 3 phases"),
    "IEC_60309_2_three_32": Message("CEE 32 A, 3 phases"), "TESLA_S": "Tesla", "GBT_AC": "GB/T AC",
    "GBT_DC": "GB/T DC",
}  # fmt: skip
FORMATS = {"SOCKET": Message("Socket"), "CABLE": Message("Cable")}
STATUS = {
    "AVAILABLE": Message("Available"), "CHARGING": Message("Charging"), "BLOCKED": Message("Blocked"),
    "INOPERATIVE": Message("Not available"), "OUTOFORDER": Message("Out of order"), "PLANNED": Message("Planned"),
    "REMOVED": Message("Removed"), "RESERVED": Message("Reserved"), "UNKNOWN": Message("Unknown"),
}  # fmt: skip
# OCPP 1.6 values as the stations send them (StatusNotification, FirmwareStatusNotification, ...).
OCPP_STATUS = {
    "Available": Message("Available"), "Preparing": Message("Preparing"), "Charging": Message("Charging"),
    "SuspendedEVSE": Message("Paused by the station"), "SuspendedEV": Message("Paused by the vehicle"),
    "Finishing": Message("Finishing"), "Reserved": Message("Reserved"), "Unavailable": Message("Not available"),
    "Faulted": Message("Faulted"),
}  # fmt: skip
OCPP_ERRORS = {
    "ConnectorLockFailure": Message("Connector lock failure"),
    "EVCommunicationError": Message("Vehicle communication error"),
    "GroundFailure": Message("Ground failure"), "HighTemperature": Message("High temperature"),
    "InternalError": Message("Internal error"), "LocalListConflict": Message("Local list conflict"),
    "NoError": Message("No error"), "OtherError": Message("Other error"),
    "OverCurrentFailure": Message("Over-current failure"), "PowerMeterFailure": Message("Power meter failure"),
    "PowerSwitchFailure": Message("Power switch failure"), "ReaderFailure": Message("Card reader failure"),
    "ResetFailure": Message("Reset failure"), "UnderVoltage": Message("Under-voltage"),
    "OverVoltage": Message("Over-voltage"), "WeakSignal": Message("Weak signal"),
}  # fmt: skip
OCPP_FIRMWARE = {
    "Downloaded": Message("Downloaded"), "DownloadFailed": Message("Download failed"),
    "Downloading": Message("Downloading"), "Idle": Message("Idle"),
    "InstallationFailed": Message("Installation failed"),
    "Installing": Message("Installing"), "Installed": Message("Installed"), "Uploaded": Message("Uploaded"),
    "UploadFailed": Message("Upload failed"), "Uploading": Message("Uploading"),
}  # fmt: skip
# Answers of stations (configuration changes) and of the authorization (id tag status).
OCPP_ANSWERS = {
    "Accepted": Message("Accepted"), "Rejected": Message("Rejected"), "RebootRequired": Message("Reboot required"),
    "NotSupported": Message("Not supported"), "Blocked": Message("Blocked"), "Expired": Message("Expired"),
    "Invalid": Message("Invalid"), "ConcurrentTx": Message("Already charging elsewhere"),
}  # fmt: skip
OCPP_STOP_REASONS = {
    "EmergencyStop": Message("Emergency stop"), "EVDisconnected": Message("Vehicle disconnected"),
    "HardReset": Message("Hard reset"), "SoftReset": Message("Soft reset"), "Local": Message("Stopped at the station"),
    "Remote": Message("Stopped remotely"), "Other": Message("Other reason"), "PowerLoss": Message("Power loss"),
    "Reboot": Message("Reboot"), "UnlockCommand": Message("Unlock command"),
    "DeAuthorized": Message("Authorisation withdrawn"),
}  # fmt: skip
COUNTRIES = {
    "DEU": Message("Germany"), "AUT": Message("Austria"), "CHE": Message("Switzerland"),
    "LIE": Message("Liechtenstein"), "LUX": Message("Luxembourg"), "NLD": Message("Netherlands"),
    "BEL": Message("Belgium"), "FRA": Message("France"), "ITA": Message("Italy"), "POL": Message("Poland"),
    "CZE": Message("Czechia"), "DNK": Message("Denmark"),
}  # fmt: skip
WEEKDAYS = {
    1: Message("Monday"), 2: Message("Tuesday"), 3: Message("Wednesday"), 4: Message("Thursday"),
    5: Message("Friday"), 6: Message("Saturday"), 7: Message("Sunday"),
}  # fmt: skip

TABLES: dict[str, Mapping[Any, Message | str]] = {
    "ACCESS": ACCESS, "INSTALLATION": INSTALLATION, "PARKING": PARKING, "RESTRICTIONS": RESTRICTIONS,
    "POWER": POWER, "STANDARDS": STANDARDS, "FORMATS": FORMATS, "STATUS": STATUS, "COUNTRIES": COUNTRIES,
    "WEEKDAYS": WEEKDAYS, "OCPP_STATUS": OCPP_STATUS, "OCPP_ERRORS": OCPP_ERRORS, "OCPP_FIRMWARE": OCPP_FIRMWARE,
    "OCPP_ANSWERS": OCPP_ANSWERS, "OCPP_STOP_REASONS": OCPP_STOP_REASONS,
}  # fmt: skip


def translated(name: str, gettext: Callable[[str], str]) -> dict[Any, str]:
    """One table with its names in the current language (for the templates)."""
    table = TABLES[name]
    return {code: label.render(gettext) if isinstance(label, Message) else label for code, label in table.items()}
