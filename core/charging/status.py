"""StatusNotification and the other status reports of a station: the charge point's live status, its status
history and error rate.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from core import bulk
from core.charging.sessions import (
    FAILED_STOP_REASONS,
    OPEN_STATUSES,
    AnomalyKind,
    SessionStatus,
    charge_point_of,
    now,
    parse_timestamp,
    record_anomaly,
)
from core.charging.tables import ChargingSession, StatusEvent
from core.db import transaction
from core.infrastructure import changes
from core.infrastructure.evse_status import evse_status_of
from core.infrastructure.tables import ChargePoint, ChargingStation

# The open session follows the connector's status.
_SESSION_STATUS_OF = {
    "Charging": SessionStatus.CHARGING,
    "SuspendedEV": SessionStatus.PAUSED,
    "SuspendedEVSE": SessionStatus.PAUSED,
}
ERROR_RATE_DAYS = 30


_STATUS_EVENT_COLUMNS = (
    "tenant", "station", "charge_point", "connector_id", "status", "error_code", "info", "vendor_id",
    "vendor_error_code", "timestamp", "created_at",
)  # fmt: skip
_CHARGE_POINT_STATUS = (
    f'UPDATE "{ChargePoint._meta.tablename}" SET "status" = {{}}, "status_detail" = {{}}, "error_code" = {{}}, '  # noqa: S608
    '"status_updated_at" = {} WHERE "id" = {}'
)
_STATION_STATUS = (
    f'UPDATE "{ChargingStation._meta.tablename}" SET "status" = {{}}, "status_detail" = {{}}, "error_code" = {{}}, '  # noqa: S608
    '"status_updated_at" = {} WHERE "id" = {}'
)
StatusItem = tuple[dict[str, Any], dict[str, Any], datetime]  # (station, StatusNotification.req, received at)


async def _write_status_batch(items: list[StatusItem]) -> None:
    """StatusNotifications of many stations: one select of their charge points, then one transaction with one
    multi-row INSERT of the events and the charge point updates pipelined (in arrival order)."""
    station_ids = sorted({station["id"] for station, _, _ in items})
    points = await ChargePoint.select(ChargePoint.id, ChargePoint.station, ChargePoint.evse_number).where(
        ChargePoint.station.is_in(station_ids) & ChargePoint.decommissioned_at.is_null()
    )
    point_of = {(p["station"], p["evse_number"]): p["id"] for p in points}
    events: list[tuple[Any, ...]] = []
    point_updates: list[tuple[Any, ...]] = []
    station_updates: list[tuple[Any, ...]] = []
    sessions: list[tuple[int, int, SessionStatus, datetime]] = []
    unknown: list[tuple[dict[str, Any], int]] = []
    for station, payload, stamp in items:
        connector_id = int(payload["connectorId"])
        ocpp_status = payload["status"]
        error_code = payload.get("errorCode", "NoError")
        at = parse_timestamp(payload.get("timestamp"), stamp)
        point_id = point_of.get((station["id"], connector_id)) if connector_id > 0 else None
        events.append(
            (station["tenant"], station["id"], point_id, connector_id, ocpp_status, error_code,
             payload.get("info", ""), payload.get("vendorId", ""), payload.get("vendorErrorCode", ""), at, stamp)
        )  # fmt: skip
        shown_error = "" if error_code == "NoError" else error_code
        if connector_id == 0:
            station_updates.append((evse_status_of(ocpp_status).value, ocpp_status, shown_error, at, station["id"]))
        elif point_id is not None:
            point_updates.append((evse_status_of(ocpp_status).value, ocpp_status, shown_error, at, point_id))
            session_status = _SESSION_STATUS_OF.get(ocpp_status)
            if session_status is not None:
                sessions.append((station["id"], connector_id, session_status, stamp))
        elif connector_id > 0:
            unknown.append((station, connector_id))
    async with transaction():
        await bulk.insert_rows(StatusEvent, _STATUS_EVENT_COLUMNS, events)
        await bulk.execute_many(_CHARGE_POINT_STATUS, point_updates)
        await bulk.execute_many(_STATION_STATUS, station_updates)
        # The EVSE status partners see (and are pushed): charge points' own and their station's (connector 0).
        await changes.charge_points_changed(update[-1] for update in point_updates)
        await changes.stations_changed(update[-1] for update in station_updates)
        for station_id, connector_id, session_status, stamp in sessions:
            values: dict[Any, Any] = {ChargingSession.status: session_status, ChargingSession.updated_at: stamp}
            await ChargingSession.update(values).where(
                (ChargingSession.station == station_id)
                & (ChargingSession.connector_id == connector_id)
                & ChargingSession.status.is_in([s.value for s in OPEN_STATUSES])
            )
        for station, connector_id in unknown:
            await record_anomaly(AnomalyKind.UNKNOWN_CONNECTOR, station, {"connector_id": connector_id})


async def _write_status_one(item: StatusItem) -> None:
    await _write_status_batch([item])


# A connect storm sends one StatusNotification per connector of every station: they share transactions.
status_batcher: bulk.GroupCommit[StatusItem] = bulk.GroupCommit(
    "StatusNotification", _write_status_batch, _write_status_one
)


async def status_notification(station: dict[str, Any], payload: dict[str, Any]) -> None:
    """Store a StatusNotification.req; returns once committed (with the others of its group)."""
    stamp = now()
    await status_batcher.submit((station, payload, stamp))
    if payload["status"] == "Faulted":
        charge_point = await charge_point_of(station, int(payload["connectorId"]))
        if charge_point is not None:
            await update_error_rate(charge_point["id"], stamp)


async def update_error_rate(charge_point_id: int, at: datetime | None = None) -> Decimal:
    """% of failures over the last 30 days: Faulted statuses plus failed sessions, per session or fault.

    A session fails when csms closed it as stale or the station stopped it for a fault reason
    (FAILED_STOP_REASONS). Each Faulted status counts as one failed attempt too, so a charge point that
    faults while nobody charges still shows a rate.
    """
    since = (at or now()) - timedelta(days=ERROR_RATE_DAYS)
    sessions = ChargingSession.count().where(
        (ChargingSession.charge_point == charge_point_id)
        & (ChargingSession.started_at >= since)
        & ChargingSession.status.not_in([SessionStatus.AUTHORIZED.value, SessionStatus.EXPIRED.value])
    )
    total_sessions = await sessions
    failed_sessions = await ChargingSession.count().where(
        (ChargingSession.charge_point == charge_point_id)
        & (ChargingSession.started_at >= since)
        & (
            (ChargingSession.status == SessionStatus.CLOSED_STALE.value)
            | ChargingSession.stop_reason.is_in(list(FAILED_STOP_REASONS))
        )
    )
    faults = await StatusEvent.count().where(
        (StatusEvent.charge_point == charge_point_id)
        & (StatusEvent.timestamp >= since)
        & (StatusEvent.status == "Faulted")
    )
    attempts = total_sessions + faults
    rate = Decimal(0) if attempts == 0 else min(Decimal(100), Decimal(100 * (failed_sessions + faults)) / attempts)
    rate = rate.quantize(Decimal("0.01"))
    await ChargePoint.update({ChargePoint.error_rate: rate}).where(ChargePoint.id == charge_point_id)
    return rate


async def station_notification(station: dict[str, Any], column: str, status: str) -> None:
    """DiagnosticsStatusNotification / FirmwareStatusNotification: the latest status on the station."""
    await ChargingStation.update(
        {getattr(ChargingStation, column): status[:30], ChargingStation.updated_at: now()}
    ).where(ChargingStation.id == station["id"])
