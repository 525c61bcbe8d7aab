"""What infrastructure objects may hold: the code lists (statuses, connector standards, parking ...) and the
FormSpecs of locations, stations, charge points and connectors, shared by the portal's forms, the REST API and
the bulk import.
"""

from __future__ import annotations

import re
from decimal import Decimal
from enum import StrEnum
from typing import Any
from zoneinfo import available_timezones

from core.eichrecht import ocmf
from core.errors import Message
from core.infrastructure.evse_id import InvalidEvseId, normalize_evse_id
from core.validation import Field, FormSpec


class InstallationStatus(StrEnum):
    PLANNED = "PLANNED"
    INSTALLED = "INSTALLED"
    COMMISSIONED = "COMMISSIONED"
    DECOMMISSIONED = "DECOMMISSIONED"


class AccessType(StrEnum):
    PUBLIC_FREE = "PUBLIC_FREE"
    PUBLIC_PAID = "PUBLIC_PAID"
    PRIVATE = "PRIVATE"
    COMMUNITY = "COMMUNITY"


class EvseStatus(StrEnum):
    """OCPI 2.2.1 EvseStatus."""

    AVAILABLE = "AVAILABLE"
    BLOCKED = "BLOCKED"
    CHARGING = "CHARGING"
    INOPERATIVE = "INOPERATIVE"
    OUTOFORDER = "OUTOFORDER"
    PLANNED = "PLANNED"
    REMOVED = "REMOVED"
    RESERVED = "RESERVED"
    UNKNOWN = "UNKNOWN"


# Dashboard tiles (vaylens): each opens the overview filtered by its group. "Not available" is every charge point
# that cannot be used for now without being broken: a station reporting "Unavailable" (OCPP; INOPERATIVE in OCPI,
# shown as "Not available" too), one csms cannot reach (UNKNOWN) and one not built yet. "Out of order" is a fault.
STATUS_GROUPS: dict[str, tuple[str, tuple[str, ...]]] = {
    "available": ("Available", ("AVAILABLE",)),
    "occupied": ("Occupied", ("CHARGING", "BLOCKED", "RESERVED")),
    "unavailable": ("Not available", ("INOPERATIVE", "UNKNOWN", "PLANNED")),
    "inoperative": ("Out of order", ("OUTOFORDER",)),
}

CONNECTOR_STANDARDS = (
    "IEC_62196_T2",
    "IEC_62196_T2_COMBO",
    "CHADEMO",
    "IEC_62196_T1",
    "IEC_62196_T1_COMBO",
    "DOMESTIC_F",
    "IEC_60309_2_single_16",
    "IEC_60309_2_three_16",
    "IEC_60309_2_three_32",
    "TESLA_S",
    "GBT_AC",
    "GBT_DC",
)
CONNECTOR_FORMATS = ("SOCKET", "CABLE")
POWER_TYPES = ("AC_1_PHASE", "AC_2_PHASE", "AC_3_PHASE", "DC")
GRID_PHASES = ("L1", "L2", "L3")
PARKING_TYPES = ("ALONG_MOTORWAY", "PARKING_GARAGE", "PARKING_LOT", "ON_DRIVEWAY", "ON_STREET", "UNDERGROUND_GARAGE")
PARKING_RESTRICTIONS = ("EV_ONLY", "PLUGGED", "DISABLED", "CUSTOMERS", "MOTORCYCLES")
OCPP_VERSIONS = ("1.6", "2.0.1")
# The station's OCPP identity (the last path segment of its websocket URL, the Basic auth user): printable ASCII
# that needs no escaping in a URL. The handshake refuses any other id before it touches the database.
CHARGE_BOX_ID_PATTERN = r"[A-Za-z0-9][A-Za-z0-9._:+\-]{0,47}"
_CHARGE_BOX_ID = re.compile(CHARGE_BOX_ID_PATTERN)
MIN_STATION_PASSWORD = 16  # OCPP security profile 1 (BasicAuthPassword 16..40)


def is_charge_box_id(text: str) -> bool:
    return _CHARGE_BOX_ID.fullmatch(text) is not None


_TIMEZONES = frozenset(available_timezones())


def _check_timezone(value: str) -> Message | None:
    return None if value in _TIMEZONES else Message("Unknown time zone.")


def _check_evse_id(value: str) -> Message | None:
    try:
        normalize_evse_id(value)
    except InvalidEvseId:
        return Message("Not a valid EVSE-ID (e.g. DE*ISE*E12345*1).")
    return None


def _check_station_password(value: str) -> Message | None:
    if not 16 <= len(value) <= 40:
        return Message("The station password must have 16 to 40 characters.")
    return None


def _check_opening_hours(value: Any) -> Message | None:
    if not isinstance(value, list):
        return Message("The format is not valid.")
    for item in value:
        if (
            not isinstance(item, dict)
            or item.get("weekday") not in range(1, 8)
            or not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", str(item.get("period_begin", "")))
            or not re.fullmatch(r"([01]\d|2[0-4]):[0-5]\d", str(item.get("period_end", "")))
        ):
            return Message("Opening hours need weekday 1-7 and times as HH:MM.")
    return None


LOCATION_SPEC = FormSpec(
    "location",
    (
        Field("name", required=True, max_length=255, label="Name"),
        Field("address", required=True, max_length=45, label="Street and number"),
        Field("postal_code", required=True, max_length=10),
        Field("city", required=True, max_length=45),
        Field("state", max_length=20),
        Field("country", required=True, max_length=3, pattern=r"[A-Z]{3}", default="DEU", label="ISO 3166 alpha-3"),
        Field("latitude", kind="decimal", min_value=Decimal(-90), max_value=Decimal(90)),
        Field("longitude", kind="decimal", min_value=Decimal(-180), max_value=Decimal(180)),
        Field("time_zone", max_length=64, default="Europe/Berlin", checks=(_check_timezone,)),
        Field("twentyfourseven", kind="bool", default=True),
        Field("opening_hours", kind="json", checks=(_check_opening_hours,)),
        Field("parking_type", kind="choice", choices=("", *PARKING_TYPES), default=""),
        Field("parking_restrictions", kind="list", choices=PARKING_RESTRICTIONS),
        Field("directions", kind="text", max_length=2000),
        Field("hotline", max_length=40, pattern=r"\+?[0-9 ()/\-]{3,40}"),
        Field("operator_name", max_length=100),
        Field("operator_website", max_length=255, pattern=r"https?://\S+"),
        Field("operator_email", kind="email", max_length=254),
        Field("publish", kind="bool", default=True),
    ),
)

STATION_SPEC = FormSpec(
    "station",
    (
        Field("location_id", kind="int", required=True),
        Field("charge_box_id", required=True, max_length=48, pattern=CHARGE_BOX_ID_PATTERN),
        Field("name", max_length=120),
        Field("vendor", max_length=50),
        Field("model", max_length=50),
        Field("serial_number", max_length=50),
        Field("firmware_version", max_length=50),
        Field("ocpp_version", kind="choice", choices=OCPP_VERSIONS, default="1.6"),
        Field("ocpp_password", max_length=40, checks=(_check_station_password,)),
        Field("technician_name", max_length=120),
        Field("technician_phone", max_length=40),
        Field("technician_email", kind="email", max_length=254),
        Field("installation_status", kind="choice", choices=tuple(InstallationStatus), default="PLANNED"),
        Field("access_type", kind="choice", choices=tuple(AccessType), default="PUBLIC_PAID"),
        Field("show_as_poi", kind="bool", default=True),
        Field("attributes", kind="json"),
        # Eichrecht: the meter's public key as on the station's label (hex of the DER key, or PEM)
        Field("meter_public_key", kind="text", max_length=2000, checks=(ocmf.check_public_key,),
              label="Public key of the calibrated meter (hex of the DER SubjectPublicKeyInfo, or PEM)"),
    ),
)

CHARGE_POINT_SPEC = FormSpec(
    "charge_point",
    (
        Field("station_id", kind="int", required=True),
        Field("evse_number", kind="int", required=True, min_value=1, max_value=999),
        Field("evse_id", max_length=48, checks=(_check_evse_id,)),
        Field("physical_reference", max_length=16),
        Field("floor_level", max_length=4),
        Field("auth_local_rfid", kind="bool", default=True),
        Field("auth_remote", kind="bool", default=True),
        Field("auth_direct_payment", kind="bool", default=False),
        # Calibration law (Eichrecht): the meter signs its readings; CDRs and charging data show it.
        Field("eichrecht_compliant", kind="bool", default=False),
        # Load management: the grid phase a single-phase charge point draws from (empty: not known).
        Field("grid_phase", kind="choice", choices=GRID_PHASES, default="", label="Grid phase"),
    ),
)

CONNECTOR_SPEC = FormSpec(
    "connector",
    (
        Field("charge_point_id", kind="int", required=True),
        Field("connector_number", kind="int", min_value=1, max_value=99, default=1),
        Field("standard", kind="choice", choices=CONNECTOR_STANDARDS, default="IEC_62196_T2"),
        Field("format", kind="choice", choices=CONNECTOR_FORMATS, default="SOCKET"),
        Field("power_type", kind="choice", choices=POWER_TYPES, default="AC_3_PHASE"),
        Field("max_voltage", kind="int", min_value=1, max_value=2000, default=400),
        Field("max_amperage", kind="int", min_value=1, max_value=1000, default=32),
        Field("max_electric_power", kind="int", min_value=1, max_value=1_000_000, default=22000),
    ),
)
