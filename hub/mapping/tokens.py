"""A stored partner token (core.roaming.tables.PartnerToken) as the OCPI 2.2.1 Token object it was pushed as."""

from __future__ import annotations

from typing import Any

from hub.mapping import ocpi_datetime

_OPTIONAL = ("visual_number", "group_id", "language", "default_profile_type")


def token_object(row: dict[str, Any]) -> dict[str, Any]:
    token: dict[str, Any] = {
        "country_code": row["country_code"],
        "party_id": row["party_id"],
        "uid": row["uid"],
        "type": row["type"],
        "contract_id": row["contract_id"],
        "issuer": row["issuer"],
        "valid": bool(row["valid"]),
        "whitelist": row["whitelist"],
        "last_updated": ocpi_datetime(row["last_updated"]),
    }
    token.update({name: row[name] for name in _OPTIONAL if row[name]})
    if row["energy_contract"]:
        token["energy_contract"] = row["energy_contract"]
    return token
