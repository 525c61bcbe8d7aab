"""A csms CDR of a partner's driver as the OCPI 2.2.1 CDR object (mod_cdrs), from core.roaming.charged bundles."""

from __future__ import annotations

import json
from collections import defaultdict
from decimal import Decimal
from typing import Any

from core.eichrecht.ocmf import TRANSPARENCY_SOFTWARE_URL
from core.roaming.charged import ChargedCdr
from core.tariffs.pricing import TariffSnapshot
from hub.mapping import ocpi_datetime
from hub.mapping.locations import coordinates
from hub.mapping.tariffs import tariff_object

# csms's price component kinds -> the CDR's cost totals (OCPI Price, excl. VAT; the totals incl. VAT are on total_cost)
_COST_FIELDS = {"ENERGY": "total_energy_cost", "TIME": "total_time_cost", "PARKING_TIME": "total_parking_cost",
                "FLAT": "total_fixed_cost"}  # fmt: skip


def _loaded(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _price(excl: Decimal, incl: Decimal | None = None) -> dict[str, Decimal]:
    price = {"excl_vat": Decimal(excl).quantize(Decimal("0.01"))}
    if incl is not None:
        price["incl_vat"] = Decimal(incl).quantize(Decimal("0.01"))
    return price


def cdr_token_object(token: dict[str, Any] | None, uid: str, token_type: str, contract_id: str) -> dict[str, Any]:
    """OCPI CdrToken: the partner's token as kept at authorization, else what the station sent."""
    token = token or {}
    return {
        "country_code": token.get("country_code", ""), "party_id": token.get("party_id", ""),
        "uid": token.get("uid") or uid, "type": token.get("type") or token_type,
        "contract_id": token.get("contract_id") or contract_id or uid,
    }  # fmt: skip


def cdr_location(bundle: ChargedCdr) -> dict[str, Any]:
    cdr, location, plug = bundle.cdr, bundle.location, bundle.connector
    result: dict[str, Any] = {
        "id": str(cdr["location"]),
        "name": cdr["location_name"] or None,
        "address": cdr["address"],
        "city": cdr["city"],
        "postal_code": cdr["postal_code"] or None,
        "state": location.get("state") or None,
        "country": cdr["country"],
        "evse_uid": str(cdr["charge_point"]) if cdr["charge_point"] is not None else "",
        "evse_id": cdr["evse_id"],
        "connector_id": str(cdr["connector_id"]),
        "connector_standard": plug.get("standard") or "IEC_62196_T2",
        "connector_format": plug.get("format") or "SOCKET",
        "connector_power_type": plug.get("power_type") or ("DC" if cdr["power_type"] == "DC" else "AC_3_PHASE"),
    }
    if location.get("latitude") is not None and location.get("longitude") is not None:
        result["coordinates"] = coordinates(location["latitude"], location["longitude"])
    return {k: v for k, v in result.items() if v is not None}


def charging_periods(cdr: dict[str, Any]) -> list[dict[str, Any]]:
    """One period from the start: energy, charging time and parking time (the dimensions csms's tariffs price)."""
    dimensions = [
        {"type": "ENERGY", "volume": Decimal(cdr["total_energy"])},
        {"type": "TIME", "volume": Decimal(cdr["total_time"])},
    ]
    if Decimal(cdr["total_parking_time"] or 0) > 0:
        dimensions.append({"type": "PARKING_TIME", "volume": Decimal(cdr["total_parking_time"])})
    return [{"start_date_time": ocpi_datetime(cdr["start_date_time"]), "dimensions": dimensions}]


def ocmf_major_version(text: str) -> int | None:
    """OCPI's encoding_method_version is an integer: the major of OCMF's format version "FV" ("1.0" -> 1)."""
    parts = str(text).split("|")
    if len(parts) < 2 or parts[0] != "OCMF":
        return None
    try:
        version = str(json.loads(parts[1]).get("FV", ""))
    except (ValueError, AttributeError):
        return None
    major = version.split(".")[0]
    return int(major) if major.isdigit() else None


def signed_data(bundle: ChargedCdr) -> dict[str, Any] | None:
    """OCPI SignedData from the stored OCMF (verbatim), with the meter's public key and the transparency software."""
    stored = _loaded(bundle.cdr["signed_data"])
    if not stored or not stored.get("signed_values"):
        return None
    result: dict[str, Any] = {
        "encoding_method": stored.get("encoding_method") or "OCMF",
        "signed_values": [{"nature": v.get("nature") or "Intermediate", "plain_data": v.get("plain_data") or "",
                           "signed_data": v["signed_data"]} for v in stored["signed_values"]],  # fmt: skip
        "url": TRANSPARENCY_SOFTWARE_URL,
    }
    version = ocmf_major_version(result["signed_values"][0]["signed_data"])
    if version is not None:
        result["encoding_method_version"] = version
    if bundle.meter_public_key:
        result["public_key"] = bundle.meter_public_key[:512]
    return result


def cdr_object(bundle: ChargedCdr) -> dict[str, Any]:
    cdr = bundle.cdr
    token = _loaded(cdr["roaming_token"])
    created = cdr["created_at"]
    result: dict[str, Any] = {
        "country_code": bundle.country_code.upper(),
        "party_id": bundle.party_id.upper(),
        "id": str(cdr["id"]),
        "start_date_time": ocpi_datetime(cdr["start_date_time"]),
        "end_date_time": ocpi_datetime(cdr["end_date_time"]),
        "session_id": str(cdr["session"]) if cdr["session"] is not None else None,
        "cdr_token": cdr_token_object(token, cdr["token_uid"], cdr["token_type"], cdr["roaming_contract_id"]),
        "auth_method": cdr["auth_method"],
        "authorization_reference": cdr["authorization_reference"] or None,
        "cdr_location": cdr_location(bundle),
        "currency": cdr["currency"] or "EUR",
        "charging_periods": charging_periods(cdr),
        "total_cost": _price(cdr["total_cost_excl_vat"], cdr["total_cost_incl_vat"]),
        "total_energy": Decimal(cdr["total_energy"]),
        "total_time": Decimal(cdr["total_time"]),
        "total_parking_time": Decimal(cdr["total_parking_time"] or 0),
        "remark": cdr["remark"] or None,
        "last_updated": ocpi_datetime(created),
    }  # fmt: skip
    tariff = _loaded(cdr["tariff"])
    if tariff:
        snapshot = TariffSnapshot.from_json(tariff)
        result["tariffs"] = [tariff_object(snapshot, "DC" if cdr["power_type"] == "DC" else "AC",
                                           country_code=bundle.country_code, party_id=bundle.party_id,
                                           last_updated=created)]  # fmt: skip
    costs: dict[str, Decimal] = defaultdict(Decimal)
    for component in _loaded(cdr["price_components"]) or []:
        if component.get("kind") in _COST_FIELDS:
            costs[_COST_FIELDS[component["kind"]]] += Decimal(str(component.get("net") or 0))
    result.update({name: _price(value) for name, value in costs.items()})
    signed = signed_data(bundle)
    if signed is not None:
        result["signed_data"] = signed
    if cdr.get("credit"):
        # a credit CDR (core.cdrs.building.credit_values: its total_cost is negative); a normal CDR omits both fields
        result["credit"] = True
        result["credit_reference_id"] = str(cdr["credit_reference_id"])
    return {k: v for k, v in result.items() if v is not None}
