"""OCPI 2.2.1 Location, EVSE and Connector objects (mod_locations.asciidoc) from csms's infrastructure rows.

* Ids: Location.id is csms's location id, EVSE.uid the charge point id, Connector.id its number on the charge
  point; all as strings, unique within the CPO party (``country_code`` / ``party_id`` of the owning tenant).
* ``last_updated`` of a connector is the latest of the connector, its charge point's data and the tariff ids'
  change; of an EVSE the latest of its own data, status and connectors; of a Location its stored
  ``Location.last_updated``, which every change of anything in it raises (core.infrastructure.changes) and by which
  the lists are ordered and filtered, so a GET with ``date_from`` finds an object whenever anything a partner sees
  of it changed, and the objects' field agrees with their order.
* EVSE status: the OCPI value, or the OCPP 1.6 status (core.infrastructure.evse_status.OCPP_TO_EVSE_STATUS), or
  UNKNOWN; a decommissioned charge point is REMOVED (how a partner learns that it is gone).
* Capabilities come from the charge point's auth types and the station's OCPP feature profiles.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from core.infrastructure.evse_status import OCPP_TO_EVSE_STATUS
from core.infrastructure.specs import EvseStatus
from hub.mapping import ocpi_datetime

PARKING_TYPES = frozenset(
    {"ALONG_MOTORWAY", "PARKING_GARAGE", "PARKING_LOT", "ON_DRIVEWAY", "ON_STREET", "UNDERGROUND_GARAGE"}
)
PARKING_RESTRICTIONS = frozenset({"EV_ONLY", "PLUGGED", "DISABLED", "CUSTOMERS", "MOTORCYCLES"})
FACILITIES = frozenset(
    {"HOTEL", "RESTAURANT", "CAFE", "MALL", "SUPERMARKET", "SPORT", "RECREATION_AREA", "NATURE", "MUSEUM",
     "BIKE_SHARING", "BUS_STOP", "TAXI_STAND", "TRAM_STOP", "METRO_STATION", "TRAIN_STATION", "AIRPORT",
     "PARKING_LOT", "CARPOOL_PARKING", "FUEL_STATION", "WIFI"}
)  # fmt: skip
EVSE_STATUSES = frozenset(EvseStatus)
# OCPP 1.6 feature profiles (SupportedFeatureProfiles) -> what an EVSE can do for a partner.
FEATURE_CAPABILITIES = {
    "SmartCharging": "CHARGING_PROFILE_CAPABLE",
    "Reservation": "RESERVABLE",
}
MAX_DIRECTIONS = 512  # DisplayText.text
SEVEN_PLACES = Decimal("0.0000001")


def _clip(text: Any, length: int) -> str:
    return str(text or "").strip()[:length]


def evse_status(value: str | None, *, decommissioned: bool = False) -> str:
    """The OCPI EvseStatus of a charge point whose live status is ``value`` (OCPI or OCPP 1.6 spelling)."""
    if decommissioned:
        return EvseStatus.REMOVED.value
    text = (value or "").strip()
    if text.upper() in EVSE_STATUSES:
        return text.upper()
    return OCPP_TO_EVSE_STATUS.get(text, EvseStatus.UNKNOWN.value)


def capabilities(charge_point: dict[str, Any], ocpp_features: Iterable[str] = ()) -> list[str]:
    """Capabilities of an EVSE: remote start/stop and unlock for remote authorisation (OCPP Core has both),
    an RFID reader for local RFID, and what the station's feature profiles add."""
    return list(_capabilities(bool(charge_point.get("auth_remote")), bool(charge_point.get("auth_local_rfid")),
                              frozenset(ocpp_features)))  # fmt: skip


@functools.cache
def _capabilities(remote: bool, rfid: bool, ocpp_features: frozenset[str]) -> tuple[str, ...]:
    found: set[str] = set()
    if remote:
        found |= {"REMOTE_START_STOP_CAPABLE", "UNLOCK_CAPABLE"}
    if rfid:
        found |= {"RFID_READER"}
    found |= {FEATURE_CAPABILITIES[f] for f in ocpp_features if f in FEATURE_CAPABILITIES}
    return tuple(sorted(found))


def _coordinate(value: Any, integer_digits: int) -> str:
    # The database's NUMERIC(10, 7) needs no rounding (a page has thousands): only other values are quantized.
    exact = isinstance(value, Decimal) and value.is_finite() and int(value.as_tuple().exponent) >= -7
    number = value if exact else Decimal(str(value)).quantize(SEVEN_PLACES, rounding=ROUND_HALF_UP)
    text = f"{number:.7f}"
    if text.index(".") - text.startswith("-") > integer_digits:
        raise ValueError(f"Coordinate {value} out of range.")
    return text


def coordinates(latitude: Any, longitude: Any) -> dict[str, str]:
    """GeoLocation with the spec's patterns (``-?[0-9]{1,2}\\.[0-9]{5,7}``, longitude with 3 integer digits)."""
    return {"latitude": _coordinate(latitude, 2), "longitude": _coordinate(longitude, 3)}


def _latest(*values: datetime | None) -> datetime:
    latest = None
    for value in values:
        if value is not None and (latest is None or value > latest):
            latest = value
    if latest is None:
        raise ValueError("An OCPI object needs a last_updated time.")
    return latest


def connector_object(
    connector: dict[str, Any], tariff_ids: Sequence[str], changed_at: datetime | None = None
) -> dict[str, Any]:
    """``changed_at``: when the connector's tariff ids last changed (a tariff assignment took effect)."""
    result: dict[str, Any] = {
        "id": str(connector["connector_number"]),
        "standard": connector["standard"],
        "format": connector["format"],
        "power_type": connector["power_type"],
        "max_voltage": int(connector["max_voltage"]),
        "max_amperage": int(connector["max_amperage"]),
        "max_electric_power": int(connector["max_electric_power"]),
        "last_updated": ocpi_datetime(_latest(connector.get("updated_at"), changed_at)),
    }
    if tariff_ids:
        result["tariff_ids"] = [_clip(t, 36) for t in tariff_ids]
    return result


def evse_object(
    charge_point: dict[str, Any],
    connectors: Sequence[dict[str, Any]],
    *,
    status: str | None,
    parking_restrictions: Sequence[str] = (),
    ocpp_features: Iterable[str] = (),
) -> dict[str, Any]:
    """An EVSE with its connectors (already mapped by ``connector_object``); a charge point without connectors is
    not a valid EVSE (the readiness checklist keeps such stations off roaming)."""
    if not connectors:
        raise ValueError("An OCPI EVSE needs at least one connector.")
    decommissioned_at = charge_point.get("decommissioned_at")
    # OCPI DateTimes of one format compare as text in time order.
    changed = _latest(charge_point.get("updated_at"), charge_point.get("status_updated_at"), decommissioned_at)
    stamp = ocpi_datetime(changed)
    for connector in connectors:
        if connector["last_updated"] > stamp:
            stamp = connector["last_updated"]
    result: dict[str, Any] = {
        "uid": str(charge_point["id"]),
        "status": evse_status(status, decommissioned=decommissioned_at is not None),
        "capabilities": capabilities(charge_point, ocpp_features),
        "connectors": list(connectors),
        "last_updated": stamp,
    }
    if evse_id := charge_point.get("evse_id"):
        result["evse_id"] = evse_id
    if floor_level := charge_point.get("floor_level"):
        result["floor_level"] = _clip(floor_level, 4)
    if physical_reference := charge_point.get("physical_reference"):
        result["physical_reference"] = _clip(physical_reference, 16)
    restrictions = [r for r in parking_restrictions if r in PARKING_RESTRICTIONS]
    if restrictions:
        result["parking_restrictions"] = restrictions
    return result


def opening_times(location: dict[str, Any]) -> dict[str, Any]:
    if location.get("twentyfourseven", True):
        return {"twentyfourseven": True}
    hours = [
        {"weekday": int(h["weekday"]), "period_begin": h["period_begin"], "period_end": h["period_end"]}
        for h in location.get("opening_hours") or []
    ]
    return {"twentyfourseven": False, "regular_hours": hours}


def location_object(
    *,
    country_code: str,
    party_id: str,
    location: dict[str, Any],
    evses: Sequence[dict[str, Any]],
    name: str = "",
    language: str = "de",
    facilities: Iterable[str] = (),
    publish: bool = True,
) -> dict[str, Any]:
    """A Location with the EVSEs a partner may see (mapped by ``evse_object``).

    ``name``: the name on the roaming platform when the station has one (seed 003), else the location's name.
    ``publish``: False for a location sent to a partner that no longer sees it (with its EVSEs REMOVED).
    """
    if location.get("latitude") is None or location.get("longitude") is None:
        raise ValueError("An OCPI Location needs coordinates (the readiness checklist asks for them).")
    result: dict[str, Any] = {
        "country_code": country_code.upper(),
        "party_id": party_id.upper(),
        "id": str(location["id"]),
        "publish": bool(publish),
        "name": _clip(name or location.get("name"), 255),
        "address": _clip(location["address"], 45),
        "city": _clip(location["city"], 45),
        "country": location["country"],
        "coordinates": coordinates(location["latitude"], location["longitude"]),
        "time_zone": location.get("time_zone") or "Europe/Berlin",
        "opening_times": opening_times(location),
        "evses": list(evses),
        "last_updated": ocpi_datetime(location["last_updated"]),
    }
    if postal_code := location.get("postal_code"):
        result["postal_code"] = _clip(postal_code, 10)
    if state := location.get("state"):
        result["state"] = _clip(state, 20)
    if (parking_type := location.get("parking_type")) in PARKING_TYPES:
        result["parking_type"] = parking_type
    if directions := location.get("directions"):
        result["directions"] = [{"language": language, "text": _clip(directions, MAX_DIRECTIONS)}]
    if operator_name := location.get("operator_name"):
        operator: dict[str, Any] = {"name": _clip(operator_name, 100)}
        if website := location.get("operator_website"):
            operator["website"] = website
        result["operator"] = operator
    if facilities:
        chosen = sorted({f for f in facilities if f in FACILITIES})
        if chosen:
            result["facilities"] = chosen
    return result
