"""The charging process as the stations report it: connection, boot, status, transactions, anomalies.

The OCPP handlers (ocpp_cs) call these functions with the authenticated station's row; the station is the
actor here, so every read and write is scoped to that station and its tenant. Each function commits what the
station sent before it returns, and the handler answers only afterwards: an acknowledged message is on disk.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import json
import logging
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

import msgspec

from core import bulk, outbox
from core.authorization import AuthResult, AuthSource, AuthStatus, authorize
from core.cards import normalize_uid
from core.db import is_postgres, transaction
from core.passwords import verify_password
from core.tables import ChargePoint, ChargingStation, Tenant
from core.tables_charging import Anomaly, ChargingSession, MeterValue, StatusEvent, UnknownStation

log = logging.getLogger("csms.charging")

# A station is offline when it sent nothing for this many heartbeat intervals.
OFFLINE_AFTER_INTERVALS = 2.5
DEFAULT_HEARTBEAT_INTERVAL = 300  # seconds, sent in BootNotification.conf
PENDING_RETRY_INTERVAL = 60  # seconds until a Pending station boots again


class StationLookup(StrEnum):
    OK = "OK"
    UNKNOWN = "UNKNOWN"  # 404
    UNAUTHORIZED = "UNAUTHORIZED"  # 401


def now() -> datetime:
    return datetime.now(UTC)


# Every handshake runs this: fixed SQL, since the ORM spends about a millisecond building the select.
_STATION_AUTH = (
    'SELECT "id", "tenant", "charge_box_id", "ocpp_password_hash", "installation_status" '  # noqa: S608
    f'FROM "{ChargingStation._meta.tablename}" WHERE "charge_box_id" = {{}} AND "decommissioned_at" IS NULL'
)

# Argon2 costs ~50 ms of CPU; a reconnect storm of thousands of stations must not pay it again and again.
# Keyed by the stored hash, so a password change invalidates the entry by itself.
_verified: dict[tuple[str, str], bool] = {}
_VERIFIED_MAX = 100_000


_verifying: dict[tuple[str, str], asyncio.Task[bool]] = {}


def _verify_done(key: tuple[str, str], task: asyncio.Task[bool]) -> None:
    if _verifying.get(key) is task:
        del _verifying[key]
    if task.cancelled() or task.exception() is not None:
        return
    if len(_verified) >= _VERIFIED_MAX:
        _verified.clear()
    _verified[key] = task.result()


async def _verify_cached(password_hash: str, password: str) -> bool:
    """Argon2 verify once per (hash, password); concurrent misses of the same pair share one verification."""
    key = (password_hash, hashlib.sha256(password.encode()).hexdigest())
    if key in _verified:
        return _verified[key]
    task = _verifying.get(key)
    if task is None or task.get_loop() is not asyncio.get_running_loop():
        task = asyncio.ensure_future(asyncio.to_thread(verify_password, password_hash, password))
        _verifying[key] = task
        task.add_done_callback(functools.partial(_verify_done, key))
    # Shielded: one station giving up (socket closed) does not cancel the verification the others wait for.
    return await asyncio.shield(task)


async def authenticate_station(
    charge_box_id: str, username: str | None, password: str | None
) -> tuple[StationLookup, dict[str, Any] | None]:
    """Security profile 1: the Basic user must be the charge box id, the password the station's own."""
    rows = await ChargingStation.raw(_STATION_AUTH, charge_box_id)
    if not rows:
        return StationLookup.UNKNOWN, None
    station = rows[0]
    if username != charge_box_id or not password or not station["ocpp_password_hash"]:
        return StationLookup.UNAUTHORIZED, None
    if not await _verify_cached(station["ocpp_password_hash"], password):
        return StationLookup.UNAUTHORIZED, None
    return StationLookup.OK, station


async def record_unknown_station(charge_box_id: str, remote_addr: str) -> bool:
    """Remember a charge box id nobody configured, when a tenant asked for it; True when recorded.

    An unknown id carries no tenant. The rule: the entry is kept only if some tenant allows unknown stations;
    when exactly one does (the usual single-CPO installation) the entry belongs to it, otherwise it stays
    unassigned and any tenant that allows unknown stations may adopt it. The connection is refused (404)
    either way: once adopted (station created with this charge box id and a password) the station's next
    reconnect succeeds.
    """
    allowing = await Tenant.select(Tenant.id).where(Tenant.allow_unknown_stations.eq(True)).limit(2)
    if not allowing:
        return False
    tenant_id = allowing[0]["id"] if len(allowing) == 1 else None
    stamp = now()
    existing = await UnknownStation.select(UnknownStation.id, UnknownStation.attempts).where(
        UnknownStation.charge_box_id == charge_box_id
    )
    if existing:
        await UnknownStation.update(
            {
                UnknownStation.attempts: existing[0]["attempts"] + 1,
                UnknownStation.last_seen_at: stamp,
                UnknownStation.remote_addr: remote_addr[:64],
            }
        ).where(UnknownStation.id == existing[0]["id"])
    else:
        await UnknownStation.insert(
            UnknownStation(
                charge_box_id=charge_box_id[:64],
                tenant=tenant_id,
                remote_addr=remote_addr[:64],
                first_seen_at=stamp,
                last_seen_at=stamp,
            )
        )
    return True


async def station_connected(station_id: int) -> None:
    forget_sessions(station_id=station_id)  # it may have sent MeterValues to another node meanwhile
    await connected_batcher.submit((station_id, now()))


async def station_disconnected(station_id: int) -> None:
    forget_sessions(station_id=station_id)
    await ChargingStation.update({ChargingStation.connected: False}).where(ChargingStation.id == station_id)


_CONNECTED = (
    f'UPDATE "{ChargingStation._meta.tablename}" SET "connected" = {{}}, "last_message_at" = {{}} '  # noqa: S608
    'WHERE "id" = {}'
)


async def _write_connected_batch(items: list[tuple[int, datetime]]) -> None:
    async with transaction():
        await bulk.execute_many(_CONNECTED, [(True, stamp, station_id) for station_id, stamp in items])


async def _write_connected_one(item: tuple[int, datetime]) -> None:
    await _write_connected_batch([item])


# Connected flags of a reconnect storm share transactions.
connected_batcher: bulk.GroupCommit[tuple[int, datetime]] = bulk.GroupCommit(
    "connected", _write_connected_batch, _write_connected_one
)

_SEEN = f'UPDATE "{ChargingStation._meta.tablename}" SET "last_message_at" = {{}} WHERE "id" = {{}}'  # noqa: S608
_HEARD = (
    f'UPDATE "{ChargingStation._meta.tablename}" SET "last_message_at" = {{}}, "last_heartbeat_at" = {{}} '  # noqa: S608
    'WHERE "id" = {}'
)


async def _write_seen_batch(items: list[tuple[int, bool, datetime]]) -> None:
    async with transaction():
        await bulk.execute_many(_HEARD, [(stamp, stamp, sid) for sid, heartbeat, stamp in items if heartbeat])
        await bulk.execute_many(_SEEN, [(stamp, sid) for sid, heartbeat, stamp in items if not heartbeat])


async def _write_seen_one(item: tuple[int, bool, datetime]) -> None:
    await _write_seen_batch([item])


# Heartbeats (and the periodic "last message" stamp) of many stations go to the database in one transaction.
seen_batcher: bulk.GroupCommit[tuple[int, bool, datetime]] = bulk.GroupCommit(
    "last seen", _write_seen_batch, _write_seen_one
)


async def station_seen(station_id: int, heartbeat: bool = False) -> datetime:
    """Stamp the station's last message (and heartbeat); returns once committed, with others seen meanwhile."""
    stamp = now()
    await seen_batcher.submit((station_id, heartbeat, stamp))
    return stamp


def is_online(
    station: dict[str, Any], at: datetime | None = None, heartbeat_interval: int = DEFAULT_HEARTBEAT_INTERVAL
) -> bool:
    """Connected and heard from within 2.5 heartbeat intervals (a heartbeat or any other message)."""
    if not station.get("connected"):
        return False
    seen = [t for t in (station.get("last_heartbeat_at"), station.get("last_message_at")) if t is not None]
    if not seen:
        return False
    at = at or now()
    return at - max(seen) <= timedelta(seconds=heartbeat_interval * OFFLINE_AFTER_INTERVALS)


# --- BootNotification -------------------------------------------------------------------------------------

BOOT_FIELDS = {  # OCPP 1.6 BootNotification.req key -> column on ChargingStation
    "chargePointVendor": ChargingStation.vendor,
    "chargePointModel": ChargingStation.model,
    "chargePointSerialNumber": ChargingStation.serial_number,
    "firmwareVersion": ChargingStation.firmware_version,
}
BOOT_INFO_KEYS = ("chargeBoxSerialNumber", "iccid", "imsi", "meterType", "meterSerialNumber")


class RegistrationStatus(StrEnum):
    ACCEPTED = "Accepted"
    PENDING = "Pending"
    REJECTED = "Rejected"


def registration_status(installation_status: str) -> RegistrationStatus:
    """Only a commissioned station is Accepted; a planned or merely installed one is Pending.

    Pending keeps the station connected so that a technician can configure it (ChangeConfiguration,
    GetConfiguration) while it does not yet start sessions; it boots again after PENDING_RETRY_INTERVAL and is
    Accepted as soon as the CPO sets the station to commissioned (Inbetriebnahme).
    """
    if installation_status == "COMMISSIONED":
        return RegistrationStatus.ACCEPTED
    return RegistrationStatus.PENDING


class SessionStatus(StrEnum):
    AUTHORIZED = "AUTHORIZED"  # Authorize.req or a remote start accepted, no transaction yet
    STARTED = "STARTED"
    CHARGING = "CHARGING"
    PAUSED = "PAUSED"  # SuspendedEV / SuspendedEVSE
    STOPPED = "STOPPED"
    CLOSED_STALE = "CLOSED_STALE"  # closed by csms: the station rebooted or started another transaction
    EXPIRED = "EXPIRED"  # an authorization that never became a transaction


OPEN_STATUSES = (SessionStatus.STARTED, SessionStatus.CHARGING, SessionStatus.PAUSED)


class AnomalyKind(StrEnum):
    UNKNOWN_TRANSACTION = "unknown_transaction"  # Stop/MeterValues naming a transaction csms does not know
    STALE_SESSION = "stale_session"  # an open session closed by csms
    UNKNOWN_CONNECTOR = "unknown_connector"  # a connectorId without a charge point
    METER_BACKWARDS = "meter_backwards"
    TIMESTAMP_OUT_OF_ORDER = "timestamp_out_of_order"


class SessionFlag(StrEnum):
    METER_BACKWARDS = "meter_backwards"
    TIMESTAMP_OUT_OF_ORDER = "timestamp_out_of_order"
    NEGATIVE_ENERGY = "negative_energy"
    UNKNOWN_CONNECTOR = "unknown_connector"


class StaleReason(StrEnum):
    STATION_REBOOTED = "STATION_REBOOTED"
    NEW_TRANSACTION_ON_CONNECTOR = "NEW_TRANSACTION_ON_CONNECTOR"


# OCPP 1.6 ChargePointStatus -> OCPI EvseStatus. Preparing and Finishing occupy the charge point (a car is
# plugged in), so they count as CHARGING for the overview the way OCPI expects.
OCPP_TO_EVSE_STATUS = {
    "Available": "AVAILABLE",
    "Preparing": "CHARGING",
    "Charging": "CHARGING",
    "SuspendedEV": "CHARGING",
    "SuspendedEVSE": "CHARGING",
    "Finishing": "CHARGING",
    "Reserved": "RESERVED",
    "Unavailable": "INOPERATIVE",
    "Faulted": "OUTOFORDER",
}
# The open session follows the connector's status.
_SESSION_STATUS_OF = {
    "Charging": SessionStatus.CHARGING,
    "SuspendedEV": SessionStatus.PAUSED,
    "SuspendedEVSE": SessionStatus.PAUSED,
}
ERROR_RATE_DAYS = 30
# Stop reasons that mean the session failed rather than ended as the driver wanted.
FAILED_STOP_REASONS = ("EmergencyStop", "PowerLoss", "Reboot", "HardReset", "SoftReset", "EVDisconnected")
AUTHORIZATION_TTL = timedelta(minutes=10)  # an Authorize / remote start waits this long for StartTransaction


def parse_timestamp(value: Any, default: datetime | None = None) -> datetime:
    """OCPP timestamps are RFC 3339; one without a zone is taken as UTC; garbage falls back to ``default``."""
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("z", "Z"))
        except ValueError:
            parsed = None
        if parsed is not None:
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return default or now()


async def record_anomaly(
    kind: AnomalyKind, station: dict[str, Any], detail: dict[str, Any], session_id: int | None = None
) -> None:
    await Anomaly.insert(
        Anomaly(tenant=station["tenant"], station=station["id"], session=session_id, kind=kind, detail=detail)
    )


async def _charge_point_of(station: dict[str, Any], connector_id: int) -> dict[str, Any] | None:
    if connector_id <= 0:
        return None
    return await (
        ChargePoint.select(
            ChargePoint.id,
            ChargePoint.tenant,
            ChargePoint.auth_local_rfid,
            ChargePoint.auth_remote,
            ChargePoint.auth_direct_payment,
        )
        .where(
            (ChargePoint.station == station["id"])
            & (ChargePoint.evse_number == connector_id)
            & (ChargePoint.decommissioned_at.is_null())
        )
        .first()
    )


BootItem = tuple[dict[str, Any], dict[str, Any], datetime, list[str]]  # station, payload, stamp, out: status

# One fixed statement for every boot (pipelined for a batch); fields a station does not send keep their value.
_BOOT_UPDATE = (
    f'UPDATE "{ChargingStation._meta.tablename}" SET '  # noqa: S608
    + ", ".join(
        f'"{c._meta.db_column_name}" = COALESCE({{}}, "{c._meta.db_column_name}")' for c in BOOT_FIELDS.values()
    )
    + ', "boot_info" = {}, "last_message_at" = {}, "updated_at" = {} WHERE "id" = {}'
)


def _boot_params(station: dict[str, Any], payload: dict[str, Any], stamp: datetime) -> tuple[Any, ...]:
    info = {key: payload[key] for key in BOOT_INFO_KEYS if key in payload}
    fields = (payload.get(key) for key in BOOT_FIELDS)
    return (*fields, json.dumps(info), stamp, stamp, station["id"])


async def _write_boot_batch(items: list[BootItem]) -> None:
    """Boots of many stations in one transaction: the device data pipelined, one select for their installation
    status, one for the stations that left sessions open (closed as stale)."""
    station_ids = sorted({station["id"] for station, _, _, _ in items})
    async with transaction():
        await bulk.execute_many(
            _BOOT_UPDATE, [_boot_params(station, payload, stamp) for station, payload, stamp, _ in items]
        )
        installed = await ChargingStation.select(ChargingStation.id, ChargingStation.installation_status).where(
            ChargingStation.id.is_in(station_ids)
        )
        with_open = await ChargingSession.select(ChargingSession.station).where(
            ChargingSession.station.is_in(station_ids) & ChargingSession.status.is_in([s.value for s in OPEN_STATUSES])
        )
        rebooted = {row["station"] for row in with_open}
        for station, _, stamp, _ in items:
            if station["id"] in rebooted:
                rebooted.discard(station["id"])
                where = ChargingSession.station == station["id"]
                await _close_stale(station, StaleReason.STATION_REBOOTED, where, stamp)
    status_of = {row["id"]: row["installation_status"] for row in installed}
    for station, _, _, out in items:
        out[:] = [status_of.get(station["id"], "")]


async def _write_boot_one(item: BootItem) -> None:
    await _write_boot_batch([item])


# A reconnect storm boots thousands of stations at once: their boots share transactions.
boot_batcher: bulk.GroupCommit[BootItem] = bulk.GroupCommit("BootNotification", _write_boot_batch, _write_boot_one)


async def boot(station: dict[str, Any], payload: dict[str, Any]) -> tuple[RegistrationStatus, int, datetime]:
    """Store the device data, close sessions the reboot ended, and decide Accepted or Pending."""
    stamp = now()
    installation_status: list[str] = []
    await boot_batcher.submit((station, payload, stamp, installation_status))
    forget_sessions(station_id=station["id"])
    outbox.kick()
    status = registration_status(installation_status[0] if installation_status else "")
    interval = DEFAULT_HEARTBEAT_INTERVAL if status is RegistrationStatus.ACCEPTED else PENDING_RETRY_INTERVAL
    return status, interval, stamp


async def _close_stale(station: dict[str, Any], reason: StaleReason, where: Any, stamp: datetime) -> list[int]:
    stale = await ChargingSession.select(ChargingSession.id, ChargingSession.connector_id).where(
        where & ChargingSession.status.is_in([s.value for s in OPEN_STATUSES])
    )
    if not stale:
        return []
    ids = [row["id"] for row in stale]
    forget_sessions(ids)
    await ChargingSession.update(
        {
            ChargingSession.status: SessionStatus.CLOSED_STALE,
            ChargingSession.stop_reason: reason,
            ChargingSession.stopped_at: stamp,
            ChargingSession.updated_at: stamp,
        }
    ).where(ChargingSession.id.is_in(ids))
    await Anomaly.insert(
        *[
            Anomaly(
                tenant=station["tenant"],
                station=station["id"],
                session=row["id"],
                kind=AnomalyKind.STALE_SESSION,
                detail={"reason": reason.value, "connector_id": row["connector_id"]},
            )
            for row in stale
        ]
    )
    for session_id in ids:
        await publish_session_stopped(session_id, station["tenant"])
    return ids


async def publish_session_stopped(session_id: int, tenant_id: int, *, after_stale: bool = False) -> None:
    """In the transaction that ended the session: a CDR is made from it (core.cdrs), once per session.

    The late StopTransaction of a session csms had closed as stale publishes once more: its final reading
    corrects the CDR made at the time.
    """
    key = f"session-stopped:{session_id}" + (":final" if after_stale else "")
    await outbox.publish("session.stopped", key, {"session_id": session_id, "tenant_id": tenant_id})


async def heartbeat(station: dict[str, Any]) -> datetime:
    return await station_seen(station["id"], heartbeat=True)


_STATUS_EVENT_COLUMNS = (
    "tenant", "station", "charge_point", "connector_id", "status", "error_code", "info", "vendor_id",
    "vendor_error_code", "timestamp", "created_at",
)  # fmt: skip
_CHARGE_POINT_STATUS = (
    f'UPDATE "{ChargePoint._meta.tablename}" SET "status" = {{}}, "status_detail" = {{}}, "error_code" = {{}}, '  # noqa: S608
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
        if point_id is not None:
            evse_status = OCPP_TO_EVSE_STATUS.get(ocpp_status, "UNKNOWN")
            shown_error = "" if error_code == "NoError" else error_code
            point_updates.append((evse_status, ocpp_status, shown_error, at, point_id))
            session_status = _SESSION_STATUS_OF.get(ocpp_status)
            if session_status is not None:
                sessions.append((station["id"], connector_id, session_status, stamp))
        elif connector_id > 0:
            unknown.append((station, connector_id))
    async with transaction():
        await bulk.insert_rows(StatusEvent, _STATUS_EVENT_COLUMNS, events)
        await bulk.execute_many(_CHARGE_POINT_STATUS, point_updates)
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
        charge_point = await _charge_point_of(station, int(payload["connectorId"]))
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


# --- Authorize / StartTransaction / MeterValues / StopTransaction ------------------------------------------


async def authorize_id_tag(station: dict[str, Any], id_tag: str) -> AuthResult:
    """OCPP 1.6 Authorize: station-wide (no connector); an accepted tag is remembered for the monitor."""
    result = await authorize(station["tenant"], None, id_tag, AuthSource.RFID)
    if result.accepted:
        await record_authorization(station["tenant"], station["id"], None, id_tag, AuthSource.RFID, result)
    return result


async def record_authorization(
    tenant_id: int,
    station_id: int,
    charge_point_id: int | None,
    id_tag: str,
    auth_source: AuthSource | str,
    result: AuthResult,
) -> int:
    """An accepted authorization waiting for its StartTransaction (also used for remote starts)."""
    stamp = now()
    session = ChargingSession(
        tenant=tenant_id,
        station=station_id,
        charge_point=charge_point_id,
        connector_id=0,
        id_tag=normalize_uid(id_tag),
        card=result.card_id,
        auth_source=AuthSource(auth_source).value,
        auth_status=result.status.value,
        authorized_at=stamp,
        status=SessionStatus.AUTHORIZED,
    )
    await session.save()
    return int(session.id)


async def start_transaction(station: dict[str, Any], payload: dict[str, Any]) -> tuple[int, AuthResult]:
    """Open a session; the same StartTransaction sent again (lost confirmation) gets the same id."""
    connector_id = int(payload["connectorId"])
    id_tag = normalize_uid(payload["idTag"])
    meter_start = int(payload["meterStart"])
    stamp = now()
    started_at = parse_timestamp(payload.get("timestamp"), stamp)
    charge_point = await _charge_point_of(station, connector_id)
    async with transaction():
        repeated = await (
            ChargingSession.select(ChargingSession.id, ChargingSession.auth_status, ChargingSession.card)
            .where(
                (ChargingSession.station == station["id"])
                & (ChargingSession.connector_id == connector_id)
                & (ChargingSession.id_tag == id_tag)
                & (ChargingSession.meter_start_wh == meter_start)
                & (ChargingSession.started_at == started_at)
            )
            .first()
        )
        if repeated is not None:
            status = AuthStatus(repeated["auth_status"] or AuthStatus.INVALID.value)
            return int(repeated["id"]), AuthResult(status, "repeated_start", repeated["card"])
        await _close_stale(
            station,
            StaleReason.NEW_TRANSACTION_ON_CONNECTOR,
            (ChargingSession.station == station["id"]) & (ChargingSession.connector_id == connector_id),
            stamp,
        )
        pending = await (
            ChargingSession.select(ChargingSession.id, ChargingSession.auth_source)
            .where(
                (ChargingSession.station == station["id"])
                & (ChargingSession.id_tag == id_tag)
                & (ChargingSession.status == SessionStatus.AUTHORIZED.value)
                & (ChargingSession.authorized_at >= stamp - AUTHORIZATION_TTL)
                & (
                    ChargingSession.charge_point.is_null()
                    | (ChargingSession.charge_point == (charge_point["id"] if charge_point else -1))
                )
            )
            .order_by(ChargingSession.authorized_at, ascending=False)
            .first()
        )
        source = AuthSource(pending["auth_source"]) if pending else AuthSource.RFID
        result = await authorize(station["tenant"], charge_point, id_tag, source)
        flags = [] if charge_point is not None else [SessionFlag.UNKNOWN_CONNECTOR.value]
        values: dict[str, Any] = {
            "charge_point": charge_point["id"] if charge_point else None,
            "connector_id": connector_id,
            "id_tag": id_tag,
            "card": result.card_id,
            "auth_source": source.value,
            "auth_status": result.status.value,
            **result.session_terms(),
            "started_at": started_at,
            "meter_start_wh": meter_start,
            "last_meter_wh": meter_start,
            "last_meter_at": started_at,
            "reservation_id": payload.get("reservationId"),
            "status": SessionStatus.STARTED.value,
            "flags": flags,
            "updated_at": stamp,
        }
        if pending is not None:
            session_id = int(pending["id"])
            await ChargingSession.update({getattr(ChargingSession, k): v for k, v in values.items()}).where(
                ChargingSession.id == session_id
            )
        else:
            session = ChargingSession(tenant=station["tenant"], station=station["id"], authorized_at=stamp, **values)
            await session.save()
            session_id = int(session.id)
        if charge_point is None:
            await record_anomaly(AnomalyKind.UNKNOWN_CONNECTOR, station, {"connector_id": connector_id}, session_id)
    outbox.kick()
    return session_id, result


ENERGY_REGISTER = "Energy.Active.Import.Register"


def energy_wh(sampled: dict[str, Any]) -> int | None:
    """The import register of one sampled value in Wh, or None when it is something else (or signed)."""
    if sampled.get("measurand", ENERGY_REGISTER) != ENERGY_REGISTER or sampled.get("format") == "SignedData":
        return None
    if sampled.get("phase"):
        return None
    try:
        value = Decimal(str(sampled["value"]))
    except (ArithmeticError, KeyError, ValueError):
        return None
    if sampled.get("unit") == "kWh":
        value *= 1000
    return int(value)


def _check_readings(
    session: dict[str, Any], meter_value: list[Any], stamps: list[datetime] | None = None
) -> tuple[set[str], int | None, datetime | None]:
    """Flags for readings going backwards or timestamps out of order; returns the newest register reading.
    ``stamps``: the entries' timestamps when the caller has parsed them already."""
    flags: set[str] = set()
    last_wh = session.get("last_meter_wh")
    last_at = session.get("last_meter_at")
    for index, entry in enumerate(meter_value):
        at = stamps[index] if stamps is not None else parse_timestamp(entry.get("timestamp"))
        if last_at is not None and at < last_at:
            flags.add(SessionFlag.TIMESTAMP_OUT_OF_ORDER.value)
        reading = None
        for sampled in entry.get("sampledValue", []):
            wh = energy_wh(sampled)
            if wh is not None:
                reading = wh
        if reading is not None:
            if last_wh is not None and reading < last_wh:
                flags.add(SessionFlag.METER_BACKWARDS.value)
            last_wh = reading
        if last_at is None or at >= last_at:
            last_at = at
    return flags, last_wh, last_at


_SESSION_METER_COLUMNS = (
    ChargingSession.id,
    ChargingSession.status,
    ChargingSession.meter_start_wh,
    ChargingSession.last_meter_wh,
    ChargingSession.last_meter_at,
    ChargingSession.flags,
    ChargingSession.id_tag,
    ChargingSession.charge_point,
    ChargingSession.started_at,
    ChargingSession.meter_stop_wh,
)


async def _session_of(station: dict[str, Any], transaction_id: int) -> dict[str, Any] | None:
    return await (
        ChargingSession.select(*_SESSION_METER_COLUMNS)
        .where(
            (ChargingSession.id == transaction_id)
            & (ChargingSession.station == station["id"])
            & (ChargingSession.status != SessionStatus.AUTHORIZED.value)
        )
        .output(load_json=True)
        .first()
    )


def _advance(session: dict[str, Any], meter_value: list[Any], stamps: list[datetime] | None = None) -> list[str]:
    """Move the session row (a dict, updated in place) on by these readings; returns the flags they add.

    Updating the row lets a batch of MeterValues check each frame against the one before it.
    """
    new_flags, last_wh, last_at = _check_readings(session, meter_value, stamps)
    added: list[str] = []
    if new_flags:
        flags = list(session["flags"] or [])
        added = [f for f in sorted(new_flags) if f not in flags]
        if added:
            session["flags"] = flags + added
    session["last_meter_wh"] = last_wh
    session["last_meter_at"] = last_at
    return added


async def _apply_readings(session: dict[str, Any], meter_value: list[Any], extra: dict[Any, Any]) -> list[str]:
    """Write the session's new columns after these readings (``extra`` wins); returns the flags they add."""
    added = _advance(session, meter_value)
    values: dict[Any, Any] = {
        ChargingSession.updated_at: now(),
        ChargingSession.last_meter_at: session["last_meter_at"],
    }
    if added:
        values[ChargingSession.flags] = session["flags"]
    if session["last_meter_wh"] is not None:
        values[ChargingSession.last_meter_wh] = session["last_meter_wh"]
        values[ChargingSession.energy_wh] = max(0, session["last_meter_wh"] - session["meter_start_wh"])
    values.update(extra)
    await ChargingSession.update(values).where(ChargingSession.id == session["id"])
    return added


async def _meter_values_one(station: dict[str, Any], payload: dict[str, Any]) -> None:
    """One MeterValues.req in its own transaction (the fallback when a batch fails)."""
    connector_id = int(payload["connectorId"])
    transaction_id = payload.get("transactionId")
    meter_value = payload.get("meterValue", [])
    async with transaction():
        session = await _session_of(station, int(transaction_id)) if transaction_id is not None else None
        session_id = session["id"] if session else None
        await bulk.insert_rows(
            MeterValue, _METER_COLUMNS, _meter_params(station["id"], session_id, connector_id, meter_value, now())
        )
        if transaction_id is not None and session is None:
            await record_anomaly(
                AnomalyKind.UNKNOWN_TRANSACTION,
                station,
                {"message": "MeterValues", "transaction_id": transaction_id, "connector_id": connector_id},
            )
        elif session is not None:
            await _apply_readings(session, meter_value, {})


# --- Open sessions cache -------------------------------------------------------------------------------------
# The MeterValues group commit needs, per session, only what core.charging itself writes (last reading and
# time, flags). A session belongs to its station, whose websocket lives on exactly one node, so this node's copy
# stays right while the station stays connected here: it is dropped when the station connects, disconnects or
# boots, when its transaction stops or is closed as stale, and for every session of a batch that did not commit.
# A restart starts empty (every entry is read back from the database on first use).

SESSION_CACHE_MAX = 100_000
_METER_SESSION_COLUMNS = (
    ChargingSession.id,
    ChargingSession.station,
    ChargingSession.meter_start_wh,
    ChargingSession.last_meter_wh,
    ChargingSession.last_meter_at,
    ChargingSession.flags,
)
_open_sessions: dict[int, dict[str, Any]] = {}  # session id -> the row in _METER_SESSION_COLUMNS
_sessions_of_station: dict[int, set[int]] = {}
_forgotten = 0  # counts invalidations: a read that raced with one is not cached


def forget_sessions(session_ids: Any = (), station_id: int | None = None) -> None:
    """Drop cached sessions (by id, and all of one station) so that the next MeterValues read them again."""
    global _forgotten
    _forgotten += 1
    ids = set(session_ids)
    if station_id is not None:
        ids |= _sessions_of_station.pop(station_id, set())
    for session_id in ids:
        row = _open_sessions.pop(session_id, None)
        if row is not None and row["station"] in _sessions_of_station:
            _sessions_of_station[row["station"]].discard(session_id)


def _clear_session_cache() -> None:
    """What a restart of the node does to the cache."""
    _open_sessions.clear()
    _sessions_of_station.clear()


async def _meter_sessions(ids: set[int]) -> dict[int, dict[str, Any]]:
    """The sessions (not mere authorizations) with these ids, from the cache or the database."""
    found = {i: _open_sessions[i] for i in ids if i in _open_sessions}
    missing = [i for i in ids if i not in found]
    if not missing:
        return found
    before = _forgotten
    rows = await (
        ChargingSession.select(*_METER_SESSION_COLUMNS)
        .where(ChargingSession.id.is_in(missing) & (ChargingSession.status != SessionStatus.AUTHORIZED.value))
        .output(load_json=True)
    )
    if before == _forgotten:
        if len(_open_sessions) + len(rows) > SESSION_CACHE_MAX:
            _clear_session_cache()
        for row in rows:
            _open_sessions[row["id"]] = row
            _sessions_of_station.setdefault(row["station"], set()).add(row["id"])
    found.update((row["id"], row) for row in rows)
    return found


# --- MeterValues group commit ------------------------------------------------------------------------------
# MeterValues are the bulk of what stations send. Instead of one transaction (about six round trips) per
# frame, accepted frames wait a few milliseconds and are written together: their sessions from the cache above
# (one select for those not in it), one COPY of all sampled values, one UPDATE of all sessions touched, one
# COMMIT. Each caller returns only after that commit, so a station is never answered before its data is
# durable. Frames are applied in arrival order, so the checks (meter going backwards, timestamps out of order)
# see each session's frames in sequence.

GROUP_COMMIT_DELAY = 0.002  # seconds a frame waits for company
GROUP_COMMIT_MAX = 500  # frames per transaction
GROUP_COMMIT_WRITERS = 2  # batches written at once
_METER_COLUMNS = ("station", "session", "connector_id", "timestamp", "sampled_value", "created_at")
_encode_json = msgspec.json.Encoder().encode


def _meter_params(
    station_id: int, session_id: int | None, connector_id: int, meter_value: list[Any], stamp: datetime
) -> list[tuple[Any, ...]]:
    """The rows of a meterValue list as plain tuples in ``_METER_COLUMNS`` order (no ORM objects): one per
    OCPP MeterValue, its sampledValue list kept as sent."""
    return [
        (
            station_id,
            session_id,
            connector_id,
            parse_timestamp(entry.get("timestamp")),
            _encode_json(entry.get("sampledValue", [])).decode(),
            stamp,
        )
        for entry in meter_value
    ]


def sampled_values(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One dict per sampled value of stored MeterValue rows, in order, with OCPP's defaults filled in (measurand
    energy register, context Sample.Periodic, format Raw, Wh for energy) and the row's timestamp, connector,
    session, station and id (``meter_value``)."""
    out = []
    for row in rows:
        sampled = row["sampled_value"]
        if isinstance(sampled, str | bytes):
            sampled = msgspec.json.decode(sampled)
        for value in sampled:
            measurand = value.get("measurand", ENERGY_REGISTER)
            out.append(
                {
                    "meter_value": row["id"],
                    "station": row["station"],
                    "session": row["session"],
                    "connector_id": row["connector_id"],
                    "timestamp": row["timestamp"],
                    "measurand": measurand,
                    "phase": value.get("phase", ""),
                    "context": value.get("context", "Sample.Periodic"),
                    "location": value.get("location", ""),
                    "unit": value.get("unit", "Wh" if measurand.startswith("Energy") else ""),
                    "format": value.get("format", "Raw"),
                    "value": str(value.get("value", "")),
                }
            )
    return out


async def session_sampled_values(session_id: int, limit: int | None = None) -> list[dict[str, Any]]:
    """A session's sampled values in the order they were taken (see ``sampled_values``); ``limit`` counts
    MeterValue rows."""
    query = MeterValue.select().where(MeterValue.session == session_id).order_by(MeterValue.timestamp)
    query = query.order_by(MeterValue.id)
    if limit is not None:
        query = query.limit(limit)
    return sampled_values(await query)


_SESSION_TABLE = ChargingSession._meta.tablename
# flags NULL = unchanged (only a batch that adds a flag writes them).
_SESSION_METER_UPDATE = (
    f'UPDATE "{_SESSION_TABLE}" SET "updated_at" = {{}}, "last_meter_wh" = {{}}, '  # noqa: S608
    '"energy_wh" = COALESCE({}, "energy_wh"), "last_meter_at" = {}, "flags" = COALESCE({}, "flags") WHERE "id" = {}'
)
# PostgreSQL: every session of the batch in one statement (a fixed one: prepared once per connection).
_SESSION_METER_UPDATE_PG = (
    f'UPDATE "{_SESSION_TABLE}" AS s SET "updated_at" = {{}}, "last_meter_wh" = v.wh, '  # noqa: S608
    '"energy_wh" = COALESCE(v.energy, s."energy_wh"), "last_meter_at" = v.at, "flags" = COALESCE(v.flags::json, '
    's."flags") FROM unnest({}::bigint[], {}::bigint[], {}::timestamptz[], {}::text[], {}::integer[]) '
    'AS v(wh, energy, at, flags, id) WHERE s."id" = v.id'
)


async def _update_sessions(touched: dict[int, dict[str, Any]], flagged: set[int], stamp: datetime) -> None:
    rows = []
    for session in touched.values():
        wh = session["last_meter_wh"]
        energy = None if wh is None else max(0, wh - session["meter_start_wh"])
        flags = json.dumps(list(session["flags"])) if session["id"] in flagged else None
        rows.append((wh, energy, session["last_meter_at"], flags, session["id"]))
    if is_postgres():
        await bulk.execute(_SESSION_METER_UPDATE_PG, stamp, *(list(column) for column in zip(*rows, strict=True)))
    else:
        await bulk.execute_many(_SESSION_METER_UPDATE, [(stamp, *row) for row in rows])


async def _write_meter_batch(items: list[tuple[dict[str, Any], dict[str, Any]]]) -> None:
    stamp = now()
    wanted = {int(p["transactionId"]) for _, p in items if p.get("transactionId") is not None}
    sessions: dict[int, dict[str, Any]] = {}
    try:
        async with transaction():
            if wanted:
                sessions = await _meter_sessions(wanted)
            meter_rows: list[tuple[Any, ...]] = []
            anomalies: list[Anomaly] = []
            touched: dict[int, dict[str, Any]] = {}
            flagged: set[int] = set()
            for station, payload in items:
                connector_id = int(payload["connectorId"])
                transaction_id = payload.get("transactionId")
                meter_value = payload.get("meterValue", [])
                session = sessions.get(int(transaction_id)) if transaction_id is not None else None
                if session is not None and session["station"] != station["id"]:
                    session = None  # another station's transaction id: unknown to this one
                session_id = session["id"] if session else None
                rows = _meter_params(station["id"], session_id, connector_id, meter_value, stamp)
                meter_rows += rows
                if transaction_id is not None and session is None:
                    detail = {"message": "MeterValues", "transaction_id": transaction_id, "connector_id": connector_id}
                    anomalies.append(
                        Anomaly(
                            tenant=station["tenant"],
                            station=station["id"],
                            session=None,
                            kind=AnomalyKind.UNKNOWN_TRANSACTION,
                            detail=detail,
                        )
                    )
                elif session is not None:
                    if _advance(session, meter_value, [row[3] for row in rows]):  # timestamps parsed once
                        flagged.add(session["id"])
                    touched[session["id"]] = session
            await bulk.insert_rows(MeterValue, _METER_COLUMNS, meter_rows)
            if anomalies:
                await Anomaly.insert(*anomalies)
            await _update_sessions(touched, flagged, stamp)
    except BaseException:
        forget_sessions(sessions)  # advanced in memory but not committed
        raise


async def _write_meter_one(item: tuple[dict[str, Any], dict[str, Any]]) -> None:
    await _meter_values_one(*item)


def _station_of(item: tuple[dict[str, Any], dict[str, Any]]) -> int:
    return int(item[0]["id"])


# Two batches in flight: the node prepares the next while PostgreSQL writes the last. One station's frames never
# share two concurrent batches (its sessions' checks and updates stay in order).
meter_batcher: bulk.GroupCommit[tuple[dict[str, Any], dict[str, Any]]] = bulk.GroupCommit(
    "MeterValues", _write_meter_batch, _write_meter_one, GROUP_COMMIT_DELAY, GROUP_COMMIT_MAX,
    writers=GROUP_COMMIT_WRITERS, key=_station_of,
)  # fmt: skip


async def meter_values(station: dict[str, Any], payload: dict[str, Any]) -> None:
    """Store a MeterValues.req; returns once it is committed (with the other frames of its group)."""
    await meter_batcher.submit((station, payload))


async def stop_transaction(station: dict[str, Any], payload: dict[str, Any]) -> AuthResult | None:
    """Close a session with its final reading; unknown or already closed transactions are still answered."""
    transaction_id = int(payload["transactionId"])
    meter_stop = int(payload["meterStop"])
    stamp = now()
    stopped_at = parse_timestamp(payload.get("timestamp"), stamp)
    reason = payload.get("reason", "Local")
    id_tag = normalize_uid(payload.get("idTag", ""))
    transaction_data = payload.get("transactionData", [])
    charge_point_id = None
    try:
        async with transaction():
            session = await _session_of(station, transaction_id)
            # The same StopTransaction again after a lost confirmation: already stored.
            repeated = (
                session is not None
                and session["status"] == SessionStatus.STOPPED.value
                and session["meter_stop_wh"] == meter_stop
            )
            if transaction_data and not repeated:
                session_id = session["id"] if session else None
                await bulk.insert_rows(
                    MeterValue, _METER_COLUMNS, _meter_params(station["id"], session_id, 0, transaction_data, stamp)
                )
            if session is None:
                await record_anomaly(
                    AnomalyKind.UNKNOWN_TRANSACTION,
                    station,
                    {"message": "StopTransaction", "transaction_id": transaction_id, "meter_stop": meter_stop},
                )
            elif not repeated:
                extra: dict[Any, Any] = {
                    ChargingSession.status: SessionStatus.STOPPED.value,
                    ChargingSession.stopped_at: stopped_at,
                    ChargingSession.meter_stop_wh: meter_stop,
                    ChargingSession.last_meter_wh: meter_stop,
                    ChargingSession.energy_wh: max(0, meter_stop - session["meter_start_wh"]),
                    ChargingSession.stop_reason: reason,
                    ChargingSession.stop_id_tag: id_tag,
                }
                readings = [*transaction_data, {"timestamp": payload.get("timestamp"), "sampledValue": [
                    {"value": str(meter_stop), "measurand": ENERGY_REGISTER, "unit": "Wh"}]}]  # fmt: skip
                await _apply_readings(session, readings, extra)  # session["flags"] now holds the flags it added
                if meter_stop < session["meter_start_wh"] and SessionFlag.NEGATIVE_ENERGY.value not in session["flags"]:
                    current = [*(session["flags"] or []), SessionFlag.NEGATIVE_ENERGY.value]
                    await ChargingSession.update({ChargingSession.flags: current}).where(
                        ChargingSession.id == session["id"]
                    )
                charge_point_id = session["charge_point"]
                after_stale = session["status"] == SessionStatus.CLOSED_STALE.value
                await publish_session_stopped(session["id"], station["tenant"], after_stale=after_stale)
    finally:
        forget_sessions([transaction_id])  # read again from what this stop committed
    outbox.kick()
    if charge_point_id is not None:
        await update_error_rate(charge_point_id, stamp)
    if not id_tag:
        return None
    return await authorize(station["tenant"], None, id_tag, AuthSource.RFID, ignore_session_id=transaction_id)


async def station_notification(station: dict[str, Any], column: str, status: str) -> None:
    """DiagnosticsStatusNotification / FirmwareStatusNotification: the latest status on the station."""
    await ChargingStation.update(
        {getattr(ChargingStation, column): status[:30], ChargingStation.updated_at: now()}
    ).where(ChargingStation.id == station["id"])
