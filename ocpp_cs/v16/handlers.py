"""OCPP 1.6J station->CSMS handlers: thin adapters from validated payloads to core.charging.

Each handler returns the CALLRESULT payload; core.charging has committed what the station sent before the
handler returns, so the answer never acknowledges something that is not on disk.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from core.charging import boot, connections, monitoring, transactions
from core.charging import meter_values as charging_meter_values
from core.charging import status as charging_status
from core.firmware import progress as firmware_progress
from core.load_management import service as load_management
from ocpp_cs.connection import StationConnection
from ocpp_cs.framing import ERRORS_16, Handler, Protocol

# DataTransfer vendors csms understands: vendorId -> handler(conn, messageId, data) -> response payload.
DataTransferHandler = Callable[[StationConnection, str, Any], Awaitable[dict[str, Any]]]
DATA_TRANSFER_VENDORS: dict[str, DataTransferHandler] = {}


def ocpp_time(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _station(conn: StationConnection) -> dict[str, Any]:
    return {"id": conn.station_id, "tenant": conn.tenant_id, "charge_box_id": conn.charge_box_id}


async def boot_notification(conn: StationConnection, payload: dict[str, Any]) -> dict[str, Any]:
    status, interval, stamp = await boot.boot(_station(conn), payload)
    await firmware_progress.station_booted(conn.station_id, payload.get("firmwareVersion"))
    load_management.notice_station(conn.station_id)  # a reboot closed its sessions
    return {"status": status.value, "currentTime": ocpp_time(stamp), "interval": interval}


async def heartbeat(conn: StationConnection, payload: dict[str, Any]) -> dict[str, Any]:
    return {"currentTime": ocpp_time(await connections.heartbeat(_station(conn)))}


async def status_notification(conn: StationConnection, payload: dict[str, Any]) -> dict[str, Any]:
    await charging_status.status_notification(_station(conn), payload)
    return {}


async def authorize(conn: StationConnection, payload: dict[str, Any]) -> dict[str, Any]:
    result = await transactions.authorize_id_tag(_station(conn), payload["idTag"])
    return {"idTagInfo": result.id_tag_info()}


async def start_transaction(conn: StationConnection, payload: dict[str, Any]) -> dict[str, Any]:
    transaction_id, result = await transactions.start_transaction(_station(conn), payload)
    load_management.notice_station(conn.station_id)
    return {"transactionId": transaction_id, "idTagInfo": result.id_tag_info()}


async def stop_transaction(conn: StationConnection, payload: dict[str, Any]) -> dict[str, Any]:
    result = await transactions.stop_transaction(_station(conn), payload)
    load_management.notice_station(conn.station_id)
    return {} if result is None else {"idTagInfo": result.id_tag_info()}


async def meter_values(conn: StationConnection, payload: dict[str, Any]) -> dict[str, Any]:
    await charging_meter_values.meter_values(_station(conn), payload)
    load_management.notice_meter_values(conn.station_id, payload)
    return {}


async def data_transfer(conn: StationConnection, payload: dict[str, Any]) -> dict[str, Any]:
    # Stored (vendorId, messageId, data and the status answered) for the station's OCPP log page.
    vendor = DATA_TRANSFER_VENDORS.get(payload["vendorId"])
    if vendor is None:
        result: dict[str, Any] = {"status": "UnknownVendorId"}
    else:
        result = await vendor(conn, payload.get("messageId", ""), payload.get("data"))
    await monitoring.record_data_transfer(_station(conn), payload, str(result.get("status", "")))
    return result


async def diagnostics_status_notification(conn: StationConnection, payload: dict[str, Any]) -> dict[str, Any]:
    await charging_status.station_notification(_station(conn), "diagnostics_status", payload["status"])
    return {}


async def firmware_status_notification(conn: StationConnection, payload: dict[str, Any]) -> dict[str, Any]:
    await charging_status.station_notification(_station(conn), "firmware_status", payload["status"])
    await firmware_progress.station_reported(conn.station_id, payload["status"])
    return {}


HANDLERS: dict[str, Handler] = {
    "BootNotification": boot_notification,
    "Heartbeat": heartbeat,
    "StatusNotification": status_notification,
    "Authorize": authorize,
    "StartTransaction": start_transaction,
    "StopTransaction": stop_transaction,
    "MeterValues": meter_values,
    "DataTransfer": data_transfer,
    "DiagnosticsStatusNotification": diagnostics_status_notification,
    "FirmwareStatusNotification": firmware_status_notification,
}

PROTOCOL = Protocol(subprotocol="ocpp1.6", schema_package="ocpp.v16.schemas", errors=ERRORS_16, handlers=HANDLERS)
PROTOCOL.compile_all()
