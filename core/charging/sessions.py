"""A charging session's states, flags and anomalies, and what every step of the charging process shares
(timestamps as stations send them, the charge point behind a connector id, the event that makes a CDR).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from core import outbox
from core.charging.tables import Anomaly
from core.infrastructure.tables import ChargePoint


def now() -> datetime:
    return datetime.now(UTC)


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


# Stop reasons that mean the session failed rather than ended as the driver wanted.
FAILED_STOP_REASONS = ("EmergencyStop", "PowerLoss", "Reboot", "HardReset", "SoftReset", "EVDisconnected")
AUTHORIZATION_TTL = timedelta(minutes=10)  # an Authorize / remote start waits this long for StartTransaction


def parse_timestamp(value: Any, default: datetime | None = None) -> datetime:
    """OCPP timestamps are RFC 3339; one without a zone is taken as UTC; garbage falls back to ``default``, and so
    does a time that leaves the years 1..9999 in UTC (0001-01-01T00:00+01:00), which no column can hold."""
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("z", "Z"))
            return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)
        except (ValueError, OverflowError):
            pass
    return default or now()


async def record_anomaly(
    kind: AnomalyKind, station: dict[str, Any], detail: dict[str, Any], session_id: int | None = None
) -> None:
    await Anomaly.insert(
        Anomaly(tenant=station["tenant"], station=station["id"], session=session_id, kind=kind, detail=detail)
    )


async def charge_point_of(station: dict[str, Any], connector_id: int) -> dict[str, Any] | None:
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


async def publish_session_stopped(session_id: int, tenant_id: int, *, after_stale: bool = False) -> None:
    """In the transaction that ended the session: a CDR is made from it (core.cdrs), once per session.

    The late StopTransaction of a session csms had closed as stale publishes once more: its final reading
    corrects the CDR made at the time.
    """
    key = f"session-stopped:{session_id}" + (":final" if after_stale else "")
    await outbox.publish("session.stopped", key, {"session_id": session_id, "tenant_id": tenant_id})
