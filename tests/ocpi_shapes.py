"""A small checker of OCPI 2.2.1 object shapes (mod_locations, mod_tariffs): required fields, string lengths,
enums, patterns. Written from the specification's tables; the unit tests first check the specification's own
examples with it (so the checker is right), then csms's objects."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z?$")
LATITUDE = re.compile(r"^-?[0-9]{1,2}\.[0-9]{5,7}$")
LONGITUDE = re.compile(r"^-?[0-9]{1,3}\.[0-9]{5,7}$")
HOUR = re.compile(r"^([0-1][0-9]|2[0-3]):[0-5][0-9]$")

EVSE_STATUS = {"AVAILABLE", "BLOCKED", "CHARGING", "INOPERATIVE", "OUTOFORDER", "PLANNED", "REMOVED", "RESERVED",
               "UNKNOWN"}  # fmt: skip
CAPABILITIES = {"CHARGING_PROFILE_CAPABLE", "CHARGING_PREFERENCES_CAPABLE", "CHIP_CARD_SUPPORT",
                "CONTACTLESS_CARD_SUPPORT", "CREDIT_CARD_PAYABLE", "DEBIT_CARD_PAYABLE", "PED_TERMINAL",
                "REMOTE_START_STOP_CAPABLE", "RESERVABLE", "RFID_READER", "START_SESSION_CONNECTOR_REQUIRED",
                "TOKEN_GROUP_CAPABLE", "UNLOCK_CAPABLE"}  # fmt: skip
CONNECTOR_TYPES = {"CHADEMO", "CHAOJI", "DOMESTIC_A", "DOMESTIC_B", "DOMESTIC_C", "DOMESTIC_D", "DOMESTIC_E",
                   "DOMESTIC_F", "DOMESTIC_G", "DOMESTIC_H", "DOMESTIC_I", "DOMESTIC_J", "DOMESTIC_K", "DOMESTIC_L",
                   "DOMESTIC_M", "DOMESTIC_N", "DOMESTIC_O", "GBT_AC", "GBT_DC", "IEC_60309_2_single_16",
                   "IEC_60309_2_three_16", "IEC_60309_2_three_32", "IEC_60309_2_three_64", "IEC_62196_T1",
                   "IEC_62196_T1_COMBO", "IEC_62196_T2", "IEC_62196_T2_COMBO", "IEC_62196_T3A", "IEC_62196_T3C",
                   "NEMA_5_20", "NEMA_6_30", "NEMA_6_50", "NEMA_10_30", "NEMA_10_50", "NEMA_14_30", "NEMA_14_50",
                   "PANTOGRAPH_BOTTOM_UP", "PANTOGRAPH_TOP_DOWN", "TESLA_R", "TESLA_S"}  # fmt: skip
POWER_TYPES = {"AC_1_PHASE", "AC_2_PHASE", "AC_2_PHASE_SPLIT", "AC_3_PHASE", "DC"}
PARKING_TYPES = {"ALONG_MOTORWAY", "PARKING_GARAGE", "PARKING_LOT", "ON_DRIVEWAY", "ON_STREET", "UNDERGROUND_GARAGE"}
DIMENSIONS = {"ENERGY", "FLAT", "PARKING_TIME", "TIME"}
DAYS = {"MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"}


class Shape:
    def __init__(self, where: str) -> None:
        self.where = where
        self.problems: list[str] = []

    def fail(self, text: str) -> None:
        self.problems.append(f"{self.where}: {text}")


def _fields(obj: dict[str, Any], shape: Shape, required: set[str], optional: set[str]) -> None:
    for name in sorted(required - obj.keys()):
        shape.fail(f"missing {name}")
    for name in sorted(obj.keys() - required - optional):
        shape.fail(f"unknown field {name}")


def _string(obj: dict[str, Any], name: str, length: int, shape: Shape) -> None:
    if name in obj and (not isinstance(obj[name], str) or len(obj[name]) > length):
        shape.fail(f"{name} is not a string of at most {length}: {obj[name]!r}")


def _enum(value: Any, allowed: set[str], what: str, shape: Shape) -> None:
    if value not in allowed:
        shape.fail(f"{what} {value!r} is not one of the specification's values")


def _datetime(obj: dict[str, Any], name: str, shape: Shape) -> None:
    if name in obj and not (isinstance(obj[name], str) and DATETIME.match(obj[name])):
        shape.fail(f"{name} is not an OCPI DateTime: {obj[name]!r}")


def _number(value: Any) -> bool:
    return isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)


def _display_texts(texts: Any, name: str, shape: Shape) -> None:
    for text in texts or []:
        _fields(text, shape, {"language", "text"}, set())
        _string(text, "language", 2, shape)
        _string(text, "text", 512, shape)


def _with_parts(shape: Shape, parts: Any, check: Any, where: str) -> list[str]:
    """The object's problems and those of its parts (an EVSE's connectors, a location's EVSEs)."""
    problems = list(shape.problems)
    for i, part in enumerate(parts or []):
        problems += check(part, f"{where}[{i}]")
    return problems


def connector_problems(c: dict[str, Any], where: str = "connector") -> list[str]:
    shape = Shape(where)
    _fields(c, shape, {"id", "standard", "format", "power_type", "max_voltage", "max_amperage", "last_updated"},
            {"max_electric_power", "tariff_ids", "terms_and_conditions"})  # fmt: skip
    _string(c, "id", 36, shape)
    _enum(c.get("standard"), CONNECTOR_TYPES, "standard", shape)
    _enum(c.get("format"), {"SOCKET", "CABLE"}, "format", shape)
    _enum(c.get("power_type"), POWER_TYPES, "power_type", shape)
    for name in ("max_voltage", "max_amperage", "max_electric_power"):
        if name in c and not isinstance(c[name], int):
            shape.fail(f"{name} is not an int")
    for tariff_id in c.get("tariff_ids", []):
        if not isinstance(tariff_id, str) or len(tariff_id) > 36:
            shape.fail(f"tariff id {tariff_id!r}")
    _datetime(c, "last_updated", shape)
    return shape.problems


def evse_problems(e: dict[str, Any], where: str = "evse") -> list[str]:
    shape = Shape(where)
    _fields(e, shape, {"uid", "status", "connectors", "last_updated"},
            {"evse_id", "status_schedule", "capabilities", "floor_level", "coordinates", "physical_reference",
             "directions", "parking_restrictions", "images"})  # fmt: skip
    _string(e, "uid", 36, shape)
    _string(e, "evse_id", 48, shape)
    _string(e, "floor_level", 4, shape)
    _string(e, "physical_reference", 16, shape)
    _enum(e.get("status"), EVSE_STATUS, "status", shape)
    for capability in e.get("capabilities", []):
        _enum(capability, CAPABILITIES, "capability", shape)
    if not e.get("connectors"):
        shape.fail("an EVSE needs at least one connector")
    _datetime(e, "last_updated", shape)
    return _with_parts(shape, e.get("connectors"), connector_problems, f"{where}.connectors")


def location_problems(loc: dict[str, Any]) -> list[str]:
    shape = Shape("location")
    _fields(loc, shape, {"country_code", "party_id", "id", "publish", "address", "city", "country", "coordinates",
                         "time_zone", "last_updated"},
            {"publish_allowed_to", "name", "postal_code", "state", "related_locations", "parking_type", "evses",
             "directions", "operator", "suboperator", "owner", "facilities", "opening_times", "charging_when_closed",
             "images", "energy_mix"})  # fmt: skip
    for name, length in (
        ("country_code", 2),
        ("party_id", 3),
        ("id", 36),
        ("name", 255),
        ("address", 45),
        ("city", 45),
        ("postal_code", 10),
        ("state", 20),
        ("country", 3),
        ("time_zone", 255),
    ):
        _string(loc, name, length, shape)  # fmt: skip
    if not isinstance(loc.get("publish"), bool):
        shape.fail("publish is not a boolean")
    coords = loc.get("coordinates") or {}
    if not (LATITUDE.match(str(coords.get("latitude", ""))) and LONGITUDE.match(str(coords.get("longitude", "")))):
        shape.fail(f"coordinates {coords!r}")
    if "parking_type" in loc:
        _enum(loc["parking_type"], PARKING_TYPES, "parking_type", shape)
    _display_texts(loc.get("directions"), "directions", shape)
    if "operator" in loc:
        _fields(loc["operator"], shape, {"name"}, {"website", "logo"})
        _string(loc["operator"], "name", 100, shape)
    hours = loc.get("opening_times")
    if hours is not None:
        if not isinstance(hours.get("twentyfourseven"), bool):
            shape.fail("opening_times.twentyfourseven is not a boolean")
        for h in hours.get("regular_hours", []):
            if not (1 <= h.get("weekday", 0) <= 7 and HOUR.match(h.get("period_begin", ""))
                    and HOUR.match(h.get("period_end", ""))):  # fmt: skip
                shape.fail(f"regular_hours {h!r}")
    _datetime(loc, "last_updated", shape)
    return _with_parts(shape, loc.get("evses"), evse_problems, "location.evses")


def tariff_problems(t: dict[str, Any]) -> list[str]:
    shape = Shape("tariff")
    _fields(t, shape, {"country_code", "party_id", "id", "currency", "elements", "last_updated"},
            {"type", "tariff_alt_text", "tariff_alt_url", "min_price", "max_price", "start_date_time",
             "end_date_time", "energy_mix"})  # fmt: skip
    for name, length in (("country_code", 2), ("party_id", 3), ("id", 36), ("currency", 3)):
        _string(t, name, length, shape)
    _display_texts(t.get("tariff_alt_text"), "tariff_alt_text", shape)
    if not t.get("elements"):
        shape.fail("a tariff needs at least one element")
    for element in t.get("elements") or []:
        _fields(element, shape, {"price_components"}, {"restrictions"})
        if not element.get("price_components"):
            shape.fail("an element needs at least one price component")
        for pc in element.get("price_components") or []:
            _fields(pc, shape, {"type", "price", "step_size"}, {"vat"})
            _enum(pc.get("type"), DIMENSIONS, "dimension", shape)
            if not _number(pc.get("price")) or ("vat" in pc and not _number(pc["vat"])):
                shape.fail(f"price component numbers {pc!r}")
            if not isinstance(pc.get("step_size"), int):
                shape.fail(f"step_size {pc.get('step_size')!r}")
        restrictions = element.get("restrictions") or {}
        for day in restrictions.get("day_of_week", []):
            _enum(day, DAYS, "day_of_week", shape)
        for name in ("min_duration", "max_duration"):
            if name in restrictions and not isinstance(restrictions[name], int):
                shape.fail(f"{name} is not an int")
    for name in ("start_date_time", "end_date_time", "last_updated"):
        _datetime(t, name, shape)
    return shape.problems


CDR_DIMENSIONS = {"CURRENT", "ENERGY", "ENERGY_EXPORT", "ENERGY_IMPORT", "MAX_CURRENT", "MIN_CURRENT", "MAX_POWER",
                  "MIN_POWER", "PARKING_TIME", "POWER", "RESERVATION_TIME", "STATE_OF_CHARGE", "TIME"}  # fmt: skip
AUTH_METHODS = {"AUTH_REQUEST", "COMMAND", "WHITELIST"}
TOKEN_TYPES = {"AD_HOC_USER", "APP_USER", "OTHER", "RFID"}


def _price(value: Any, name: str, shape: Shape) -> None:
    if not isinstance(value, dict) or not _number(value.get("excl_vat")) or (
        "incl_vat" in value and not _number(value["incl_vat"])
    ):
        shape.fail(f"{name} is not a Price: {value!r}")


def cdr_problems(c: dict[str, Any]) -> list[str]:
    """mod_cdrs CDR. The specification's own example has a CdrToken without country_code and party_id (required by
    the 2.2.1 table); the checker lets that pass and the tests ask for them separately."""
    shape = Shape("cdr")
    _fields(c, shape, {"country_code", "party_id", "id", "start_date_time", "end_date_time", "cdr_token",
                       "auth_method", "cdr_location", "currency", "charging_periods", "total_cost", "total_energy",
                       "total_time", "last_updated"},
            {"session_id", "authorization_reference", "meter_id", "tariffs", "signed_data", "total_fixed_cost",
             "total_energy_cost", "total_time_cost", "total_parking_time", "total_parking_cost",
             "total_reservation_cost", "remark", "invoice_reference_id", "credit", "credit_reference_id",
             "home_charging_compensation"})  # fmt: skip
    for name, length in (("country_code", 2), ("party_id", 3), ("id", 39), ("session_id", 36),
                         ("authorization_reference", 36), ("currency", 3), ("remark", 255)):  # fmt: skip
        _string(c, name, length, shape)
    token = c.get("cdr_token") or {}
    _fields(token, shape, {"uid", "type", "contract_id"}, {"country_code", "party_id"})
    _enum(token.get("type"), TOKEN_TYPES, "cdr_token.type", shape)
    _enum(c.get("auth_method"), AUTH_METHODS, "auth_method", shape)
    place = c.get("cdr_location") or {}
    _fields(place, shape, {"id", "address", "city", "country", "coordinates", "evse_uid", "evse_id", "connector_id",
                           "connector_standard", "connector_format", "connector_power_type"},
            {"name", "postal_code", "state"})  # fmt: skip
    _enum(place.get("connector_standard"), CONNECTOR_TYPES, "connector_standard", shape)
    _enum(place.get("connector_format"), {"SOCKET", "CABLE"}, "connector_format", shape)
    _enum(place.get("connector_power_type"), POWER_TYPES, "connector_power_type", shape)
    if not c.get("charging_periods"):
        shape.fail("a CDR needs at least one charging period")
    for period in c.get("charging_periods") or []:
        _fields(period, shape, {"start_date_time", "dimensions"}, {"tariff_id"})
        _datetime(period, "start_date_time", shape)
        for dimension in period.get("dimensions") or []:
            _enum(dimension.get("type"), CDR_DIMENSIONS, "dimension", shape)
            if not _number(dimension.get("volume")):
                shape.fail(f"dimension volume {dimension!r}")
    for name in ("total_cost", "total_fixed_cost", "total_energy_cost", "total_time_cost", "total_parking_cost"):
        if name in c:
            _price(c[name], name, shape)
    for name in ("total_energy", "total_time", "total_parking_time"):
        if name in c and not _number(c[name]):
            shape.fail(f"{name} is not a number")
    signed = c.get("signed_data")
    if signed is not None:
        _fields(signed, shape, {"encoding_method", "signed_values"}, {"encoding_method_version", "public_key", "url"})
        for value in signed.get("signed_values") or []:
            _fields(value, shape, {"nature", "plain_data", "signed_data"}, set())
    for name in ("start_date_time", "end_date_time", "last_updated"):
        _datetime(c, name, shape)
    problems = list(shape.problems)
    for i, tariff in enumerate(c.get("tariffs") or []):
        problems += [f"tariffs[{i}].{p}" for p in tariff_problems(tariff)]
    return problems
