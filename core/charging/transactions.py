"""Transactions as the stations report them: Authorize, StartTransaction, StopTransaction, and sessions closed as
stale when a station reboots or starts another transaction on the same connector.

The OCPP handlers (ocpp_cs) call these functions with the authenticated station's row; the station is the
actor here, so every read and write is scoped to that station and its tenant. Each function commits what the
station sent before it returns, and the handler answers only afterwards: an acknowledged message is on disk
(the same holds for every module of core.charging that a handler calls).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from core import bulk, outbox
from core.access.cards import normalize_uid
from core.charging.authorization import (
    AuthResult,
    AuthSource,
    AuthStatus,
    authorize,
    authorize_roaming,
    is_card,
)
from core.charging.meter_values import (
    ENERGY_REGISTER,
    METER_COLUMNS,
    apply_readings,
    forget_sessions,
    meter_params,
    session_of,
)
from core.charging.sessions import (
    AUTHORIZATION_TTL,
    OPEN_STATUSES,
    AnomalyKind,
    SessionFlag,
    SessionStatus,
    StaleReason,
    charge_point_of,
    now,
    parse_timestamp,
    publish_session_stopped,
    record_anomaly,
)
from core.charging.status import update_error_rate
from core.charging.tables import Anomaly, ChargingSession, MeterValue
from core.db import transaction


async def close_stale(station: dict[str, Any], reason: StaleReason, where: Any, stamp: datetime) -> list[int]:
    """Close the open sessions ``where`` selects as stale (the station rebooted, or started another transaction on
    the connector): each gets an anomaly and a CDR; returns their ids."""
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


# --- Authorize / StartTransaction / StopTransaction --------------------------------------------------------


async def authorize_id_tag(station: dict[str, Any], id_tag: str) -> AuthResult:
    """OCPP 1.6 Authorize: station-wide (no connector); an accepted tag is remembered for the monitor."""
    result = await authorize(station["tenant"], None, id_tag, AuthSource.RFID)
    if result.reason == "unknown_card":
        result = await authorize_roaming(station["tenant"], station["id"], None, id_tag) or result
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
        **result.roaming_terms(),
    )
    await session.save()
    return int(session.id)


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


async def _pending_roaming(station: dict[str, Any], id_tag: str, at: datetime) -> bool:
    """A roaming token accepted by a recent station-wide Authorize, waiting for its StartTransaction."""
    return bool(
        await ChargingSession.exists().where(
            (ChargingSession.station == station["id"])
            & (ChargingSession.id_tag == id_tag)
            & (ChargingSession.status == SessionStatus.AUTHORIZED.value)
            & (ChargingSession.authorized_at >= at - AUTHORIZATION_TTL)
            & ChargingSession.roaming_partner_id.is_not_null()
        )
    )


async def start_transaction(station: dict[str, Any], payload: dict[str, Any]) -> tuple[int, AuthResult]:
    """Open a session; the same StartTransaction sent again (lost confirmation) gets the same id."""
    connector_id = int(payload["connectorId"])
    id_tag = normalize_uid(payload["idTag"])
    meter_start = int(payload["meterStart"])
    stamp = now()
    started_at = parse_timestamp(payload.get("timestamp"), stamp)
    charge_point = await charge_point_of(station, connector_id)
    # A roaming token's real-time answer is awaited here, not inside the transaction below; a station-wide
    # Authorize accepted just before (a pending session with the partner) needs no second question.
    roaming = None
    if not await is_card(station["tenant"], id_tag) and not await _pending_roaming(station, id_tag, stamp):
        roaming = await authorize_roaming(station["tenant"], station["id"], charge_point, id_tag)
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
        await close_stale(
            station,
            StaleReason.NEW_TRANSACTION_ON_CONNECTOR,
            (ChargingSession.station == station["id"]) & (ChargingSession.connector_id == connector_id),
            stamp,
        )
        pending = await (
            ChargingSession.select(
                ChargingSession.id,
                ChargingSession.auth_source,
                ChargingSession.roaming_partner_id,
                ChargingSession.roaming_contract_id,
                ChargingSession.authorization_reference,
                ChargingSession.roaming_token,
            )
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
        if result.reason == "unknown_card":
            if pending is not None and pending["roaming_partner_id"] is not None:
                result = AuthResult(
                    AuthStatus.ACCEPTED, "roaming_authorized", roaming_partner_id=pending["roaming_partner_id"],
                    roaming_contract_id=pending["roaming_contract_id"],
                    authorization_reference=pending["authorization_reference"],
                    roaming_token=_json(pending["roaming_token"]),
                )  # fmt: skip
            elif roaming is not None:
                result = roaming
        flags = [] if charge_point is not None else [SessionFlag.UNKNOWN_CONNECTOR.value]
        values: dict[str, Any] = {
            "charge_point": charge_point["id"] if charge_point else None,
            "connector_id": connector_id,
            "id_tag": id_tag,
            "card": result.card_id,
            "auth_source": source.value,
            "auth_status": result.status.value,
            **result.session_terms(),
            **result.roaming_terms(),
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
            session = await session_of(station, transaction_id)
            # The same StopTransaction again after a lost confirmation: already stored.
            repeated = (
                session is not None
                and session["status"] == SessionStatus.STOPPED.value
                and session["meter_stop_wh"] == meter_stop
            )
            if transaction_data and not repeated:
                session_id = session["id"] if session else None
                await bulk.insert_rows(
                    MeterValue, METER_COLUMNS, meter_params(station["id"], session_id, 0, transaction_data, stamp)
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
                await apply_readings(session, readings, extra)  # session["flags"] now holds the flags it added
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
    result = await authorize(station["tenant"], None, id_tag, AuthSource.RFID, ignore_session_id=transaction_id)
    if result.reason == "unknown_card" and await _roaming_session_of(station, transaction_id, id_tag):
        # The partner's token that started this session stops it; no second real-time question for that.
        return AuthResult(AuthStatus.ACCEPTED, "roaming_session")
    return result


async def _roaming_session_of(station: dict[str, Any], transaction_id: int, id_tag: str) -> bool:
    return bool(
        await ChargingSession.exists().where(
            (ChargingSession.id == transaction_id)
            & (ChargingSession.station == station["id"])
            & (ChargingSession.id_tag == id_tag)
            & ChargingSession.roaming_partner_id.is_not_null()
        )
    )
