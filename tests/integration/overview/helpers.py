"""Infrastructure fixtures for overview and import tests, built through the core services."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from core.infrastructure import charge_points, locations, stations
from core.infrastructure.tables import ChargePoint, ChargingStation
from tests.support import TenantCtx


async def add_charge_point(
    ctx: TenantCtx,
    *,
    city: str = "Berlin",
    postal_code: str = "10115",
    address: str = "Hauptstr. 1",
    country: str = "DEU",
    vendor: str = "ABB",
    model: str = "Terra AC",
    firmware: str = "1.0",
    ocpp_version: str = "1.6",
    standard: str = "IEC_62196_T2",
    power_type: str = "AC_3_PHASE",
    status: str = "AVAILABLE",
    error_rate: str = "0",
    evse_id: str | None = None,
    rfid: bool = True,
    remote: bool = True,
    direct_payment: bool = False,
    charge_box_id: str | None = None,
    location_name: str | None = None,
) -> dict[str, Any]:
    location = await locations.create_location(
        ctx.actor,
        {"name": location_name or f"Loc {city} {uuid.uuid4().hex[:6]}", "address": address,
         "postal_code": postal_code, "city": city, "country": country},
    )  # fmt: skip
    station, _ = await stations.create_station(
        ctx.actor,
        {"location_id": location["id"], "charge_box_id": charge_box_id or f"CB-{uuid.uuid4().hex[:10]}",
         "vendor": vendor, "model": model, "firmware_version": firmware, "ocpp_version": ocpp_version,
         "name": f"Station {city}"},
    )  # fmt: skip
    raw: dict[str, Any] = {"station_id": station["id"], "evse_number": 1, "evse_id": evse_id or ""}
    raw.update(auth_local_rfid=rfid, auth_remote=remote, auth_direct_payment=direct_payment)
    cp = await charge_points.create_charge_point(
        ctx.actor,
        raw,
        {"standard": standard, "power_type": power_type, "max_electric_power": 50000 if power_type == "DC" else 22000},
    )
    await ChargePoint.update({ChargePoint.status: status, ChargePoint.error_rate: Decimal(error_rate)}).where(
        ChargePoint.id == cp["id"]
    )
    await ChargingStation.update({ChargingStation.connected: True}).where(ChargingStation.id == station["id"])
    return {**cp, "station_id": station["id"], "location_id": location["id"], "charge_box_id": station["charge_box_id"]}
