"""MeterValues: sampled values stored as sent, the session's last reading and its plausibility flags, written by
a group commit, and read back for CDRs and the Eichrecht check.
"""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from typing import Any

import msgspec

from core import bulk
from core.charging.sessions import AnomalyKind, SessionFlag, SessionStatus, now, parse_timestamp, record_anomaly
from core.charging.tables import Anomaly, ChargingSession, MeterValue
from core.db import is_postgres, transaction

ENERGY_REGISTER = "Energy.Active.Import.Register"
METER_WH_DIGITS = 18  # a register reading stays below 10^18 Wh


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
    kwh = sampled.get("unit") == "kWh"
    # Infinity, NaN and numbers beyond any meter (the Wh columns are 64-bit) are no reading either; adjusted()
    # is the decimal exponent, read without arithmetic that could overflow.
    if not value.is_finite() or value.adjusted() + (3 if kwh else 0) >= METER_WH_DIGITS:
        return None
    return int(value * 1000 if kwh else value)


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


async def session_of(station: dict[str, Any], transaction_id: int) -> dict[str, Any] | None:
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


async def apply_readings(session: dict[str, Any], meter_value: list[Any], extra: dict[Any, Any]) -> list[str]:
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
        session = await session_of(station, int(transaction_id)) if transaction_id is not None else None
        session_id = session["id"] if session else None
        await bulk.insert_rows(
            MeterValue, METER_COLUMNS, meter_params(station["id"], session_id, connector_id, meter_value, now())
        )
        if transaction_id is not None and session is None:
            await record_anomaly(
                AnomalyKind.UNKNOWN_TRANSACTION,
                station,
                {"message": "MeterValues", "transaction_id": transaction_id, "connector_id": connector_id},
            )
        elif session is not None:
            await apply_readings(session, meter_value, {})


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
METER_COLUMNS = ("station", "session", "connector_id", "timestamp", "sampled_value", "created_at")
_encode_json = msgspec.json.Encoder().encode


def meter_params(
    station_id: int, session_id: int | None, connector_id: int, meter_value: list[Any], stamp: datetime
) -> list[tuple[Any, ...]]:
    """The rows of a meterValue list as plain tuples in ``METER_COLUMNS`` order (no ORM objects): one per
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
    if not touched:  # readings without a known session: the statement would have no rows to bind
        return
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
                rows = meter_params(station["id"], session_id, connector_id, meter_value, stamp)
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
            await bulk.insert_rows(MeterValue, METER_COLUMNS, meter_rows)
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
