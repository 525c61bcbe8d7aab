"""A charging session of a partner's driver as the OCPI 2.2.1 Session object (mod_sessions), priced as it stands."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from core.roaming.charged import ChargedSession
from hub.mapping import ocpi_datetime
from hub.mapping.cdrs import cdr_token_object

# csms's session status -> OCPI SessionStatus
SESSION_STATUS = {"STARTED": "ACTIVE", "CHARGING": "ACTIVE", "PAUSED": "ACTIVE", "STOPPED": "COMPLETED",
                  "CLOSED_STALE": "COMPLETED", "AUTHORIZED": "PENDING", "EXPIRED": "INVALID"}  # fmt: skip


def session_object(bundle: ChargedSession) -> dict[str, Any]:
    session, priced = bundle.session, bundle.priced or {}
    energy_kwh = Decimal(session["energy_wh"] or 0) / 1000
    if priced:
        energy_kwh = Decimal(priced["total_energy"])
    result: dict[str, Any] = {
        "country_code": bundle.country_code.upper(),
        "party_id": bundle.party_id.upper(),
        "id": str(session["id"]),
        "start_date_time": ocpi_datetime(session["started_at"] or session["created_at"]),
        "end_date_time": ocpi_datetime(session["stopped_at"]) if session["stopped_at"] else None,
        "kwh": energy_kwh.quantize(Decimal("0.001")),
        "cdr_token": cdr_token_object(session.get("roaming_token"), session["id_tag"], "RFID",
                                      session["roaming_contract_id"]),
        "auth_method": priced.get("auth_method", "WHITELIST"),
        "authorization_reference": session["authorization_reference"] or None,
        "location_id": str(priced["location"]) if priced.get("location") is not None else None,
        "evse_uid": str(session["charge_point"]) if session["charge_point"] is not None else None,
        "connector_id": str(session["connector_id"]),
        "currency": priced.get("currency") or "EUR",
        "status": SESSION_STATUS.get(session["status"], "ACTIVE"),
        "last_updated": ocpi_datetime(session["updated_at"]),
    }  # fmt: skip
    if priced.get("tariff") is not None:
        result["total_cost"] = {
            "excl_vat": Decimal(priced["total_cost_excl_vat"]).quantize(Decimal("0.01")),
            "incl_vat": Decimal(priced["total_cost_incl_vat"]).quantize(Decimal("0.01")),
        }
    return {k: v for k, v in result.items() if v is not None}
