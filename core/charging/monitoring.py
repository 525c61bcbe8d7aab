"""What staff see of OCPP: the station's message log, the authorization monitor (Freischaltmonitor),
anomalies, unknown stations, DataTransfer messages and the charge point's last session.

Every function takes the acting staff member first and reads only that actor's tenants; another tenant's
ids raise NotFound. Seeing these views needs ``VIEW`` (the "Operations" area of the portal); adopting an
unknown station additionally needs infrastructure.manage because it creates a station.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from core import db, safejson
from core.charging import sessions
from core.charging.authorization import AuthSource
from core.charging.tables import (
    ChargingSession,
    DataTransferMessage,
    OcppMessage,
    StatusEvent,
)
from core.errors import NotFound
from core.infrastructure.evse_status import effective_status_of
from core.infrastructure.tables import ChargePoint, ChargingStation
from core.tenancy.actor import Actor
from core.tenancy.permissions import Permission

VIEW = Permission.OCPP_COMMANDS

# OCPP 1.6 actions both ways, for the log's action filter (station->CSMS first).
OCPP16_ACTIONS = (
    "Authorize", "BootNotification", "DataTransfer", "DiagnosticsStatusNotification", "FirmwareStatusNotification",
    "Heartbeat", "MeterValues", "StartTransaction", "StatusNotification", "StopTransaction",
    "CancelReservation", "ChangeAvailability", "ChangeConfiguration", "ClearCache", "ClearChargingProfile",
    "GetCompositeSchedule", "GetConfiguration", "GetDiagnostics", "GetLocalListVersion", "RemoteStartTransaction",
    "RemoteStopTransaction", "ReserveNow", "Reset", "SendLocalList", "SetChargingProfile", "TriggerMessage",
    "UnlockConnector", "UpdateFirmware",
)  # fmt: skip
PERIODS = {"1h": timedelta(hours=1), "24h": timedelta(days=1), "7d": timedelta(days=7), "30d": timedelta(days=30)}
LOG_PAGE = 200
MONITOR_LIMIT = 500
DEFAULT_OPEN_MINUTES = 15  # an open session whose connector reports Available longer than this is an anomaly


def since_of(period: str, at: datetime | None = None) -> datetime | None:
    """The start of a period preset ("1h", "24h", "7d", "30d"); None for all time."""
    span = PERIODS.get(period)
    return None if span is None else (at or sessions.now()) - span


# --- DataTransfer ------------------------------------------------------------------------------------------


async def record_data_transfer(station: dict[str, Any], payload: dict[str, Any], status: str) -> None:
    """Keep an incoming DataTransfer.req (called by the OCPP handler with the authenticated station)."""
    data = payload.get("data")
    text = data if isinstance(data, str) else ("" if data is None else json.dumps(data, ensure_ascii=False))
    await DataTransferMessage.insert(
        DataTransferMessage(
            tenant=station["tenant"],
            station=station["id"],
            vendor_id=str(payload.get("vendorId", ""))[:255],
            message_id=str(payload.get("messageId", ""))[:50],
            data=text,
            status=status[:20],
        )
    )


async def data_transfers(actor: Actor, station_id: int, limit: int = 50) -> list[dict[str, Any]]:
    await _station(actor, station_id)
    return await (
        DataTransferMessage.select()
        .where(DataTransferMessage.station == station_id)
        .order_by(DataTransferMessage.id, ascending=False)
        .limit(limit)
    )


# --- OCPP log -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LogFilter:
    action: str = ""
    direction: str = ""  # "in" station->CSMS, "out" CSMS->station, "" both
    period: str = "24h"

    @classmethod
    def of(cls, action: str = "", direction: str = "", period: str = "24h") -> LogFilter:
        """Unknown values fall back to "all" instead of failing: the filter comes from a query string."""
        return cls(
            action=action if action in OCPP16_ACTIONS else "",
            direction=direction if direction in ("in", "out") else "",
            period=period if period in PERIODS or period == "all" else "24h",
        )


async def _station(actor: Actor, station_id: int) -> dict[str, Any]:
    actor.require(VIEW)
    row = await (
        ChargingStation.select(ChargingStation.id, ChargingStation.tenant, ChargingStation.charge_box_id)
        .where((ChargingStation.id == station_id) & ChargingStation.tenant.is_in(actor.scope))
        .first()
    )
    if row is None:
        raise NotFound("station")
    return row


async def _log_query_where(station_id: int, flt: LogFilter) -> Any:
    where: Any = OcppMessage.station == station_id
    since = since_of(flt.period)
    if since is not None:
        where &= OcppMessage.created_at >= since
    if flt.direction:
        where &= OcppMessage.direction == flt.direction
    if flt.action:
        # A station's CALLRESULT to a CSMS call carries no action: it is found through the call's message id.
        calls: Any = (OcppMessage.station == station_id) & (OcppMessage.action == flt.action)
        calls &= (OcppMessage.message_type == 2) & (OcppMessage.direction == "out")
        if since is not None:
            calls &= OcppMessage.created_at >= since
        call_ids = await OcppMessage.select(OcppMessage.unique_id).where(calls).limit(5000).output(as_list=True)
        if call_ids:
            where &= (OcppMessage.action == flt.action) | (
                (OcppMessage.action == "") & OcppMessage.unique_id.is_in(list(call_ids))
            )
        else:
            where &= OcppMessage.action == flt.action
    return where


async def _fill_reply_actions(station_id: int, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    missing = list({r["unique_id"] for r in rows if not r["action"] and r["message_type"] in (3, 4)})
    if missing:
        calls = await OcppMessage.select(OcppMessage.unique_id, OcppMessage.action).where(
            (OcppMessage.station == station_id) & (OcppMessage.message_type == 2) & OcppMessage.unique_id.is_in(missing)
        )
        actions = {c["unique_id"]: c["action"] for c in calls}
        for row in rows:
            if not row["action"]:
                row["action"] = actions.get(row["unique_id"], "")
    return rows


_LOG_COLUMNS = (
    OcppMessage.id,
    OcppMessage.direction,
    OcppMessage.message_type,
    OcppMessage.unique_id,
    OcppMessage.action,
    OcppMessage.payload,
    OcppMessage.created_at,
)


async def station_log(
    actor: Actor,
    station_id: int,
    flt: LogFilter,
    *,
    after_id: int | None = None,
    before_id: int | None = None,
    limit: int = LOG_PAGE,
) -> list[dict[str, Any]]:
    """The station's frames, newest first; ``after_id`` gives only newer rows (live updates)."""
    await _station(actor, station_id)
    where = await _log_query_where(station_id, flt)
    if after_id is not None:
        where &= OcppMessage.id > after_id
    if before_id is not None:
        where &= OcppMessage.id < before_id
    rows = await OcppMessage.select(*_LOG_COLUMNS).where(where).order_by(OcppMessage.id, ascending=False).limit(limit)
    return await _fill_reply_actions(station_id, rows)


async def iter_station_log(
    actor: Actor, station_id: int, flt: LogFilter, batch: int = 1000
) -> AsyncIterator[list[dict[str, Any]]]:
    """All filtered rows in batches (newest first), for a streamed CSV export."""
    async for rows in db.newest_first_batches(
        lambda before, limit: station_log(actor, station_id, flt, before_id=before, limit=limit), batch
    ):
        yield rows


def pretty_payload(text: str) -> str:
    """The logged frame indented for reading; a frame that is no JSON (or was refused as too deep) as it came."""
    try:
        return json.dumps(safejson.loads(text), indent=2, ensure_ascii=False)
    except ValueError:
        return text


# --- Authorization monitor (Freischaltmonitor) --------------------------------------------------------------


class Stage(StrEnum):
    AUTHORIZED = "AUTHORIZED"
    STARTED = "STARTED"
    CHARGING = "CHARGING"
    PAUSED = "PAUSED"
    STOPPED = "STOPPED"
    CLOSED = "CLOSED"  # closed by csms (stale) or by staff
    EXPIRED = "EXPIRED"  # authorised, never started


STAGE_FILTERS = tuple(Stage)
_CHARGING_STATES = ("Charging", "SuspendedEV", "SuspendedEVSE")


@dataclass(frozen=True)
class MonitorFilter:
    stage: str = ""
    auth_source: str = ""
    period: str = "24h"
    query: str = ""  # charge point id, charge box id, id tag, city or postal code
    charge_point_id: int | None = None

    @classmethod
    def of(
        cls, stage: str = "", auth_source: str = "", period: str = "24h", query: str = "",
        charge_point_id: int | None = None,
    ) -> MonitorFilter:  # fmt: skip
        return cls(
            stage=stage if stage in {s.value for s in Stage} else "",
            auth_source=auth_source if auth_source in {s.value for s in AuthSource} else "",
            period=period if period in PERIODS or period == "all" else "24h",
            query=query.strip()[:64],
            charge_point_id=charge_point_id,
        )


def stage_of(session: dict[str, Any], at: datetime) -> Stage:
    status = session["status"]
    if status == sessions.SessionStatus.AUTHORIZED.value:
        expired = session["authorized_at"] is None or at - session["authorized_at"] > sessions.AUTHORIZATION_TTL
        return Stage.EXPIRED if expired else Stage.AUTHORIZED
    if status == sessions.SessionStatus.EXPIRED.value:
        return Stage.EXPIRED
    if status == sessions.SessionStatus.CLOSED_STALE.value:
        return Stage.CLOSED
    return Stage(status)


_LOCATION: Any = ChargingSession.station.location
_MONITOR_COLUMNS = (
    ChargingSession.id,
    ChargingSession.station,
    ChargingSession.charge_point,
    ChargingSession.connector_id,
    ChargingSession.id_tag,
    ChargingSession.auth_source,
    ChargingSession.auth_status,
    ChargingSession.authorized_at,
    ChargingSession.started_at,
    ChargingSession.stopped_at,
    ChargingSession.status,
    ChargingSession.stop_reason,
    ChargingSession.energy_wh,
    ChargingSession.flags,
    ChargingSession.station.charge_box_id.as_alias("charge_box_id"),
    ChargingSession.charge_point.evse_id.as_alias("evse_id"),
    ChargingSession.charge_point.evse_number.as_alias("evse_number"),
    ChargingSession.card.label.as_alias("card_label"),
    _LOCATION.city.as_alias("city"),
)


async def authorization_monitor(
    actor: Actor, flt: MonitorFilter, *, limit: int = MONITOR_LIMIT, at: datetime | None = None
) -> list[dict[str, Any]]:
    """Every authorised start in the period with its stages: authorised, started, charging/paused, stopped."""
    actor.require(VIEW)
    at = at or sessions.now()
    where: Any = ChargingSession.tenant.is_in(actor.scope) & ChargingSession.authorized_at.is_not_null()
    since = since_of(flt.period, at)
    if since is not None:
        where &= ChargingSession.authorized_at >= since
    if flt.auth_source:
        where &= ChargingSession.auth_source == flt.auth_source
    if flt.charge_point_id is not None:
        where &= ChargingSession.charge_point == flt.charge_point_id
    if flt.query:
        needle = f"%{flt.query}%"
        where &= (
            ChargingSession.id_tag.ilike(needle)
            | ChargingSession.station.charge_box_id.ilike(needle)
            | ChargingSession.charge_point.evse_id.ilike(needle)
            | _LOCATION.city.ilike(needle)
            | _LOCATION.postal_code.ilike(needle)
        )
    stage_statuses = {
        Stage.AUTHORIZED: ["AUTHORIZED"], Stage.EXPIRED: ["AUTHORIZED", "EXPIRED"], Stage.STARTED: ["STARTED"],
        Stage.CHARGING: ["CHARGING"], Stage.PAUSED: ["PAUSED"], Stage.STOPPED: ["STOPPED"],
        Stage.CLOSED: ["CLOSED_STALE"],
    }  # fmt: skip
    if flt.stage:
        where &= ChargingSession.status.is_in(stage_statuses[Stage(flt.stage)])
    rows = await (
        ChargingSession.select(*_MONITOR_COLUMNS)
        .where(where)
        .order_by(ChargingSession.authorized_at, ascending=False)
        .order_by(ChargingSession.id, ascending=False)
        .limit(limit)
        .output(load_json=True)
    )
    charged = await _charging_seen(rows, at)
    result = []
    for row in rows:
        row["stage"] = stage_of(row, at)
        if flt.stage and row["stage"].value != flt.stage:
            continue
        row["charged_at"] = charged.get(row["id"])
        result.append(row)
    return result


async def _charging_seen(rows: list[dict[str, Any]], at: datetime) -> dict[int, datetime]:
    """When each started session's connector first reported Charging / SuspendedEV / SuspendedEVSE."""
    started = [r for r in rows if r["started_at"] is not None]
    if not started:
        return {}
    events = await (
        StatusEvent.select(StatusEvent.station, StatusEvent.connector_id, StatusEvent.timestamp)
        .where(
            StatusEvent.station.is_in(list({r["station"] for r in started}))
            & StatusEvent.status.is_in(list(_CHARGING_STATES))
            & (StatusEvent.timestamp >= min(r["started_at"] for r in started) - timedelta(minutes=1))
        )
        .order_by(StatusEvent.timestamp)
    )
    by_connector: dict[tuple[int, int], list[datetime]] = {}
    for event in events:
        by_connector.setdefault((event["station"], event["connector_id"]), []).append(event["timestamp"])
    seen: dict[int, datetime] = {}
    for row in started:
        # The station's clock may be a little behind ours: a status within a minute before the start counts.
        begin = row["started_at"] - timedelta(minutes=1)
        end = (row["stopped_at"] or at) + timedelta(seconds=5)  # station timestamps are often whole seconds
        for stamp in by_connector.get((row["station"], row["connector_id"]), []):
            if begin <= stamp <= end:
                seen[row["id"]] = stamp
                break
    return seen


# --- Charge point page -------------------------------------------------------------------------------------


async def charge_point_summary(actor: Actor, charge_point_id: int, at: datetime | None = None) -> dict[str, Any]:
    """Status, error rate, the last session and the monitor's last 7 days for one charge point."""
    actor.require(VIEW)
    at = at or sessions.now()
    cp = await (
        ChargePoint.select(
            ChargePoint.id, ChargePoint.tenant, ChargePoint.station, ChargePoint.evse_id, ChargePoint.evse_number,
            ChargePoint.status, ChargePoint.status_detail, ChargePoint.error_code, ChargePoint.status_updated_at,
            ChargePoint.error_rate, ChargePoint.station.status.as_alias("station_status"),
            ChargePoint.station.connected.as_alias("connected"),
        )
        .where((ChargePoint.id == charge_point_id) & ChargePoint.tenant.is_in(actor.scope))
        .first()
    )  # fmt: skip
    if cp is None:
        raise NotFound("charge_point")
    cp["connector_status"], cp["status"] = cp["status"], effective_status_of(cp).value
    last = await (
        ChargingSession.select(
            ChargingSession.id, ChargingSession.id_tag, ChargingSession.started_at, ChargingSession.stopped_at,
            ChargingSession.energy_wh, ChargingSession.status, ChargingSession.stop_reason, ChargingSession.flags,
            ChargingSession.card.label.as_alias("card_label"),
        )
        .where(
            (ChargingSession.charge_point == charge_point_id) & ChargingSession.started_at.is_not_null()
        )
        .order_by(ChargingSession.started_at, ascending=False)
        .output(load_json=True)
        .first()
    )  # fmt: skip
    statuses = await (
        StatusEvent.select(StatusEvent.status, StatusEvent.error_code, StatusEvent.info, StatusEvent.timestamp)
        .where(StatusEvent.charge_point == charge_point_id)
        .order_by(StatusEvent.timestamp, ascending=False)
        .limit(10)
    )
    week = await authorization_monitor(actor, MonitorFilter.of(period="7d", charge_point_id=charge_point_id), at=at)
    counts: dict[str, int] = {}
    for row in week:
        counts[row["stage"].value] = counts.get(row["stage"].value, 0) + 1
    if last is not None:
        last["stage"] = stage_of({**last, "authorized_at": last["started_at"]}, at)
    return {"charge_point": cp, "last_session": last, "statuses": statuses, "week": counts, "week_total": len(week)}
